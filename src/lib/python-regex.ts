/**
 * Python's `re.compile` as a yes/no question: upstream accepts an L7 rule's REGEX value when Python
 * can compile it and reports `str(error)` otherwise, so users see Python's own wording
 * ("missing ), unterminated subpattern at position 1"). This is a syntax checker written after the
 * grammar of CPython 3.11's `re._parser` (tokens, escapes, character sets, repeats, groups and
 * extensions, inline flags, group references, conditionals) plus the one check its compiler adds
 * (look-behind must have a fixed width). It builds no matcher.
 *
 * Known gaps, on purpose: `\N{name}` accepts any well-formed name (there is no Unicode name table
 * here) and identifiers follow Unicode ID_Start/ID_Continue, which is what Python's isidentifier()
 * means up to normalisation details.
 */

const MAXREPEAT = 4294967295;
const MAXGROUPS = 1073741823;

const SPECIAL_CHARS = '.\\[{()*+?^$|';
const REPEAT_CHARS = '*+?{';
const DIGITS = '0123456789';
const OCTDIGITS = '01234567';
const HEXDIGITS = '0123456789abcdefABCDEF';
const WHITESPACE = ' \t\n\r\v\f';
const isAsciiLetter = (c: string): boolean => /^[A-Za-z]$/.test(c);

const FLAG_BITS: ReadonlyMap<string, number> = new Map([
  ['i', 2],
  ['L', 4],
  ['m', 8],
  ['s', 16],
  ['x', 64],
  ['a', 256],
  ['t', 1],
  ['u', 32],
]);
const VERBOSE = 64;
const TYPE_FLAGS = 256 | 4 | 32;
const GLOBAL_FLAGS = 128 | 1;

/** Escapes that are plain characters (also inside sets). */
const LITERAL_ESCAPES = new Set(['\\a', '\\b', '\\f', '\\n', '\\r', '\\t', '\\v', '\\\\']);
/** Escapes that stand for a class of characters (allowed inside sets). */
const CLASS_ESCAPES = new Set(['\\d', '\\D', '\\s', '\\S', '\\w', '\\W']);
/** Zero-width escapes (outside sets only). */
const AT_ESCAPES = new Set(['\\A', '\\b', '\\B', '\\Z']);

class RegexError extends Error {
  constructor(
    msg: string,
    readonly pos: number | null,
  ) {
    super(pos === null ? msg : `${msg} at position ${pos}`);
  }
}

/** Widths as re._parser computes them: (min, max) characters matched. */
type Width = readonly [number, number];

/** What the last parsed item is, for "nothing to repeat" / "multiple repeat". */
type ItemKind = 'unit' | 'at' | 'repeat' | 'group' | 'other';

interface Item {
  readonly kind: ItemKind;
  readonly width: Width;
}

class State {
  flags = 0;
  readonly groupNames = new Map<string, number>();
  /** Width of each closed group; null while open. Index 0 is the whole pattern. */
  readonly groupWidths: (Width | null)[] = [null];
  lookbehindGroups: number | null = null;
  readonly grouprefPos = new Map<number, number>();
  /** A look-behind without a fixed width was seen (an error of re's compiler, not its parser). */
  variableLookbehind = false;

  get groups(): number {
    return this.groupWidths.length;
  }
  checkGroup(gid: number): boolean {
    return gid < this.groups && this.groupWidths[gid] !== null;
  }
}

class Tokenizer {
  readonly chars: string[];
  index = 0;
  next: string | null = null;

  constructor(pattern: string) {
    this.chars = Array.from(pattern);
    this.advance();
  }

  private advance(): void {
    const index = this.index;
    const char = this.chars[index];
    if (char === undefined) {
      this.next = null;
      return;
    }
    let token = char;
    let end = index + 1;
    if (char === '\\') {
      const second = this.chars[index + 1];
      if (second === undefined) throw new RegexError('bad escape (end of pattern)', this.chars.length - 1);
      token += second;
      end = index + 2;
    }
    this.index = end;
    this.next = token;
  }

  match(token: string): boolean {
    if (token === this.next) {
      this.advance();
      return true;
    }
    return false;
  }

  get(): string | null {
    const t = this.next;
    this.advance();
    return t;
  }

  getWhile(n: number, charset: string): string {
    let result = '';
    for (let i = 0; i < n; i++) {
      const c = this.next;
      if (c === null || c.length !== 1 || !charset.includes(c)) break;
      result += c;
      this.advance();
    }
    return result;
  }

  getUntil(terminator: string, name: string): string {
    let result = '';
    for (;;) {
      const c = this.next;
      this.advance();
      if (c === null) {
        if (!result) throw this.error(`missing ${name}`);
        throw this.error(`missing ${terminator}, unterminated name`, Array.from(result).length);
      }
      if (c === terminator) {
        if (!result) throw this.error(`missing ${name}`, 1);
        break;
      }
      result += c;
    }
    return result;
  }

  tell(): number {
    return this.index - (this.next === null ? 0 : Array.from(this.next).length);
  }

  seek(index: number): void {
    this.index = index;
    this.advance();
  }

  error(msg: string, offset = 0): RegexError {
    return new RegexError(msg, this.tell() - offset);
  }

  checkGroupName(name: string, offset: number): void {
    if (!isIdentifier(name)) throw this.error(`bad character in group name ${pyRepr(name)}`, Array.from(name).length + offset);
  }
}

function isIdentifier(s: string): boolean {
  return /^[\p{ID_Start}_][\p{ID_Continue}]*$/u.test(s);
}

function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  return quote + s.replace(/\\/g, '\\\\').replace(new RegExp(quote, 'g'), `\\${quote}`) + quote;
}

const len = (s: string): number => Array.from(s).length;

/** One escape inside a character set: a literal code point, or null for a class (\d, \w, ...). */
function classEscape(source: Tokenizer, escapeIn: string): number | null {
  let escape = escapeIn;
  if (LITERAL_ESCAPES.has(escape)) return literalOf(escape);
  if (CLASS_ESCAPES.has(escape)) return null;
  const c = escape.slice(1);
  const fixed = hexEscape(source, escape, c);
  if (fixed !== undefined) return fixed;
  if (c === 'N') return namedEscape(source);
  if (OCTDIGITS.includes(c)) {
    escape += source.getWhile(2, OCTDIGITS);
    const value = Number.parseInt(escape.slice(1), 8);
    if (value > 0o377) throw source.error(`octal escape value ${escape} outside of range 0-0o377`, len(escape));
    return value;
  }
  if (DIGITS.includes(c)) throw source.error(`bad escape ${escape}`, len(escape));
  if (len(escape) === 2) {
    if (isAsciiLetter(c)) throw source.error(`bad escape ${escape}`, len(escape));
    return c.codePointAt(0)!;
  }
  throw source.error(`bad escape ${escape}`, len(escape));
}

function literalOf(escape: string): number {
  const map: Record<string, number> = { '\\a': 7, '\\b': 8, '\\f': 12, '\\n': 10, '\\r': 13, '\\t': 9, '\\v': 11, '\\\\': 92 };
  return map[escape]!;
}

/** \x, \u, \U escapes (undefined when `c` is none of them). */
function hexEscape(source: Tokenizer, escapeIn: string, c: string): number | undefined {
  const digits = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
  if (digits === 0) return undefined;
  const escape = escapeIn + source.getWhile(digits, HEXDIGITS);
  if (len(escape) !== digits + 2) throw source.error(`incomplete escape ${escape}`, len(escape));
  const value = Number.parseInt(escape.slice(2), 16);
  if (value > 0x10ffff) throw source.error(`bad escape ${escape}`, len(escape));
  return value;
}

function namedEscape(source: Tokenizer): number {
  if (!source.match('{')) throw source.error('missing {');
  const name = source.getUntil('}', 'character name');
  if (!/^[A-Za-z0-9][A-Za-z0-9 \-]*$/.test(name)) {
    throw source.error(`undefined character name ${pyRepr(name)}`, len(name) + 4);
  }
  return 0x20;
}

/** One escape outside a character set. */
function escapeItem(source: Tokenizer, escapeIn: string, state: State): Item {
  let escape = escapeIn;
  if (AT_ESCAPES.has(escape)) return { kind: 'at', width: [0, 0] };
  if (CLASS_ESCAPES.has(escape) || LITERAL_ESCAPES.has(escape)) return unit();
  const c = escape.slice(1);
  if (hexEscape(source, escape, c) !== undefined) return unit();
  if (c === 'N') {
    namedEscape(source);
    return unit();
  }
  if (c === '0') {
    source.getWhile(2, OCTDIGITS);
    return unit();
  }
  if (DIGITS.includes(c)) {
    // An octal escape or a decimal group reference.
    if (source.next !== null && DIGITS.includes(source.next) && source.next.length === 1) {
      escape += source.get();
      const [d1, d2] = [escape[1]!, escape[2]!];
      if (OCTDIGITS.includes(d1) && OCTDIGITS.includes(d2) && source.next !== null && source.next.length === 1 && OCTDIGITS.includes(source.next)) {
        escape += source.get();
        const value = Number.parseInt(escape.slice(1), 8);
        if (value > 0o377) throw source.error(`octal escape value ${escape} outside of range 0-0o377`, len(escape));
        return unit();
      }
    }
    const group = Number.parseInt(escape.slice(1), 10);
    if (group < state.groups) {
      if (!state.checkGroup(group)) throw source.error('cannot refer to an open group', len(escape));
      checkLookbehindGroup(state, group, source);
      return { kind: 'other', width: state.groupWidths[group]! };
    }
    throw source.error(`invalid group reference ${group}`, len(escape) - 1);
  }
  if (len(escape) === 2) {
    if (isAsciiLetter(c)) throw source.error(`bad escape ${escape}`, len(escape));
    return unit();
  }
  throw source.error(`bad escape ${escape}`, len(escape));
}

const unit = (): Item => ({ kind: 'unit', width: [1, 1] });

function checkLookbehindGroup(state: State, gid: number, source: Tokenizer): void {
  if (state.lookbehindGroups !== null) {
    if (!state.checkGroup(gid)) throw source.error('cannot refer to an open group');
    if (gid >= state.lookbehindGroups) throw source.error('cannot refer to group defined in the same lookbehind subpattern');
  }
}

const capWidth = (w: Width): Width => [Math.min(w[0], MAXREPEAT - 1), Math.min(w[1], MAXREPEAT)];

function sumWidths(items: readonly Item[]): Width {
  let lo = 0;
  let hi = 0;
  for (const i of items) {
    lo += i.width[0];
    hi += i.width[1];
  }
  return capWidth([lo, hi]);
}

/** An alternation `a|b|c`; returns its width. */
function parseSub(source: Tokenizer, state: State, verboseIn: boolean, nested: number): Width {
  let verbose = verboseIn;
  const widths: Width[] = [];
  for (;;) {
    widths.push(parseSeq(source, state, verbose, nested + 1, nested === 0 && widths.length === 0));
    if (!source.match('|')) break;
    if (nested === 0) verbose = (state.flags & VERBOSE) !== 0;
  }
  if (widths.length === 1) return widths[0]!;
  let lo = MAXREPEAT - 1;
  let hi = 0;
  for (const [l, h] of widths) {
    lo = Math.min(lo, l);
    hi = Math.max(hi, h);
  }
  return [lo, hi];
}

/** A sequence of items up to `|`, `)` or the end. */
function parseSeq(source: Tokenizer, state: State, verboseIn: boolean, nested: number, first: boolean): Width {
  let verbose = verboseIn;
  const items: Item[] = [];
  for (;;) {
    const self = source.next;
    if (self === null || self === '|' || self === ')') break;
    source.get();
    if (verbose) {
      if (WHITESPACE.includes(self)) continue;
      if (self === '#') {
        for (;;) {
          const c = source.get();
          if (c === null || c === '\n') break;
        }
        continue;
      }
    }
    if (self[0] === '\\' && self.length === 2) {
      items.push(escapeItem(source, self, state));
    } else if (!SPECIAL_CHARS.includes(self)) {
      items.push(unit());
    } else if (self === '[') {
      parseSet(source);
      items.push(unit());
    } else if (REPEAT_CHARS.includes(self)) {
      const here = source.tell();
      let min = 0;
      let max = MAXREPEAT;
      if (self === '?') max = 1;
      else if (self === '+') min = 1;
      else if (self === '{') {
        if (source.next === '}') {
          items.push(unit());
          continue;
        }
        let lo = '';
        let hi = '';
        while (source.next !== null && source.next.length === 1 && DIGITS.includes(source.next)) lo += source.get();
        if (source.match(',')) {
          while (source.next !== null && source.next.length === 1 && DIGITS.includes(source.next)) hi += source.get();
        } else {
          hi = lo;
        }
        if (!source.match('}')) {
          items.push(unit());
          source.seek(here);
          continue;
        }
        if (lo) {
          min = Number(lo);
          if (min >= MAXREPEAT) throw new RegexError('the repetition number is too large', null);
        }
        if (hi) {
          max = Number(hi);
          if (max >= MAXREPEAT) throw new RegexError('the repetition number is too large', null);
          if (max < min) throw source.error('min repeat greater than max repeat', source.tell() - here);
        }
      }
      const last = items[items.length - 1];
      if (!last || last.kind === 'at') throw source.error('nothing to repeat', source.tell() - here + 1);
      if (last.kind === 'repeat') throw source.error('multiple repeat', source.tell() - here + 1);
      if (!source.match('?')) source.match('+');
      items[items.length - 1] = { kind: 'repeat', width: capWidth([last.width[0] * min, last.width[1] * max]) };
    } else if (self === '.') {
      items.push(unit());
    } else if (self === '(') {
      const r = parseGroup(source, state, verbose, nested, first, items.length > 0);
      if (r === 'flags') {
        verbose = (state.flags & VERBOSE) !== 0;
        continue;
      }
      if (r !== null) items.push(r);
    } else {
      // ^ and $
      items.push({ kind: 'at', width: [0, 0] });
    }
  }
  return sumWidths(items);
}

function parseSet(source: Tokenizer): void {
  const here = source.tell() - 1;
  let count = 0;
  source.match('^');
  for (;;) {
    const self = source.get();
    if (self === null) throw source.error('unterminated character set', source.tell() - here);
    if (self === ']' && count > 0) break;
    const code1 = self.length === 2 ? classEscape(source, self) : self.codePointAt(0)!;
    if (source.match('-')) {
      const that = source.get();
      if (that === null) throw source.error('unterminated character set', source.tell() - here);
      if (that === ']') {
        count += 2;
        break;
      }
      const code2 = that.length === 2 ? classEscape(source, that) : that.codePointAt(0)!;
      if (code1 === null || code2 === null || code2 < code1) {
        throw source.error(`bad character range ${self}-${that}`, len(self) + 1 + len(that));
      }
    }
    count++;
  }
}

/**
 * A parenthesised construct after its `(`. Returns the item it adds, null for items that add
 * nothing (comments), or 'flags' for global inline flags.
 */
function parseGroup(
  source: Tokenizer,
  state: State,
  verbose: boolean,
  nested: number,
  first: boolean,
  hasItems: boolean,
): Item | null | 'flags' {
  const start = source.tell() - 1;
  let capture = true;
  let name: string | null = null;
  let addFlags = 0;
  let delFlags = 0;
  if (source.match('?')) {
    const char = source.get();
    if (char === null) throw source.error('unexpected end of pattern');
    if (char === 'P') {
      if (source.match('<')) {
        name = source.getUntil('>', 'group name');
        source.checkGroupName(name, 1);
      } else if (source.match('=')) {
        const ref = source.getUntil(')', 'group name');
        source.checkGroupName(ref, 1);
        const gid = state.groupNames.get(ref);
        if (gid === undefined) throw source.error(`unknown group name ${pyRepr(ref)}`, len(ref) + 1);
        if (!state.checkGroup(gid)) throw source.error('cannot refer to an open group', len(ref) + 1);
        checkLookbehindGroup(state, gid, source);
        return { kind: 'other', width: state.groupWidths[gid]! };
      } else {
        const c = source.get();
        if (c === null) throw source.error('unexpected end of pattern');
        throw source.error(`unknown extension ?P${c}`, len(c) + 2);
      }
    } else if (char === ':') {
      capture = false;
    } else if (char === '#') {
      for (;;) {
        if (source.next === null) throw source.error('missing ), unterminated comment', source.tell() - start);
        if (source.get() === ')') break;
      }
      return null;
    } else if ('=!<'.includes(char)) {
      let behind = false;
      let outerLookbehind: number | null = null;
      if (char === '<') {
        const c = source.get();
        if (c === null) throw source.error('unexpected end of pattern');
        if (!'=!'.includes(c)) throw source.error(`unknown extension ?<${c}`, len(c) + 2);
        behind = true;
        outerLookbehind = state.lookbehindGroups;
        if (outerLookbehind === null) state.lookbehindGroups = state.groups;
      }
      const width = parseSub(source, state, verbose, nested + 1);
      if (behind && outerLookbehind === null) state.lookbehindGroups = null;
      if (!source.match(')')) throw source.error('missing ), unterminated subpattern', source.tell() - start);
      // re's compiler rejects this only once the whole pattern has parsed.
      if (behind && width[0] !== width[1]) state.variableLookbehind = true;
      return { kind: 'other', width: [0, 0] };
    } else if (char === '(') {
      return parseConditional(source, state, verbose, nested, start);
    } else if (char === '>') {
      capture = false;
    } else if (FLAG_BITS.has(char) || char === '-') {
      const flags = parseFlags(source, state, char);
      if (flags === null) {
        if (!first || hasItems) throw source.error('global flags not at the start of the expression', source.tell() - start);
        return 'flags';
      }
      [addFlags, delFlags] = flags;
      capture = false;
    } else {
      throw source.error(`unknown extension ?${char}`, len(char) + 1);
    }
  }
  let group: number | null = null;
  if (capture) {
    group = state.groups;
    state.groupWidths.push(null);
    if (state.groups > MAXGROUPS) throw source.error('too many groups', name === null ? 1 : len(name) + 1);
    if (name !== null) {
      const old = state.groupNames.get(name);
      if (old !== undefined) {
        throw source.error(`redefinition of group name ${pyRepr(name)} as group ${group}; was group ${old}`, len(name) + 1);
      }
      state.groupNames.set(name, group);
    }
  }
  const subVerbose = (verbose || (addFlags & VERBOSE) !== 0) && (delFlags & VERBOSE) === 0;
  const width = parseSub(source, state, subVerbose, nested + 1);
  if (!source.match(')')) throw source.error('missing ), unterminated subpattern', source.tell() - start);
  if (group !== null) state.groupWidths[group] = width;
  return { kind: 'group', width };
}

function parseConditional(source: Tokenizer, state: State, verbose: boolean, nested: number, start: number): Item {
  const condname = source.getUntil(')', 'group name');
  let condgroup: number;
  if (isIdentifier(condname)) {
    const gid = state.groupNames.get(condname);
    if (gid === undefined) throw source.error(`unknown group name ${pyRepr(condname)}`, len(condname) + 1);
    condgroup = gid;
  } else {
    if (!/^\s*\+?\d+(_\d+)*\s*$/.test(condname)) {
      throw source.error(`bad character in group name ${pyRepr(condname)}`, len(condname) + 1);
    }
    condgroup = Number(condname.replace(/[\s_+]/g, ''));
    if (condgroup === 0) throw source.error('bad group number', len(condname) + 1);
    if (condgroup >= MAXGROUPS) throw source.error(`invalid group reference ${condgroup}`, len(condname) + 1);
    if (!state.grouprefPos.has(condgroup)) state.grouprefPos.set(condgroup, source.tell() - len(condname) - 1);
  }
  checkLookbehindGroup(state, condgroup, source);
  const yes = parseSeq(source, state, verbose, nested + 1, false);
  let no: Width | null = null;
  if (source.match('|')) {
    no = parseSeq(source, state, verbose, nested + 1, false);
    if (source.next === '|') throw source.error('conditional backref with more than two branches');
  }
  if (!source.match(')')) throw source.error('missing ), unterminated subpattern', source.tell() - start);
  return { kind: 'other', width: no === null ? [0, yes[1]] : [Math.min(yes[0], no[0]), Math.max(yes[1], no[1])] };
}

/** Inline flags after `(?`; null for global flags `(?i)`, else the scoped (add, del) pair. */
function parseFlags(source: Tokenizer, state: State, charIn: string): [number, number] | null {
  let char: string | null = charIn;
  let addFlags = 0;
  let delFlags = 0;
  if (char !== '-') {
    for (;;) {
      const flag = FLAG_BITS.get(char!)!;
      if (char === 'L') throw source.error("bad inline flags: cannot use 'L' flag with a str pattern");
      addFlags |= flag;
      if ((flag & TYPE_FLAGS) !== 0 && (addFlags & TYPE_FLAGS) !== flag) {
        throw source.error("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
      }
      char = source.get();
      if (char === null) throw source.error('missing -, : or )');
      if (')-:'.includes(char)) break;
      if (!FLAG_BITS.has(char)) {
        throw source.error(/^\p{L}$/u.test(char) ? 'unknown flag' : 'missing -, : or )', len(char));
      }
    }
  }
  if (char === ')') {
    state.flags |= addFlags;
    return null;
  }
  if ((addFlags & GLOBAL_FLAGS) !== 0) throw source.error('bad inline flags: cannot turn on global flag', 1);
  if (char === '-') {
    char = source.get();
    if (char === null) throw source.error('missing flag');
    if (!FLAG_BITS.has(char)) throw source.error(/^\p{L}$/u.test(char) ? 'unknown flag' : 'missing flag', len(char));
    for (;;) {
      const flag = FLAG_BITS.get(char!)!;
      if ((flag & TYPE_FLAGS) !== 0) throw source.error("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
      delFlags |= flag;
      char = source.get();
      if (char === null) throw source.error('missing :');
      if (char === ':') break;
      if (!FLAG_BITS.has(char)) throw source.error(/^\p{L}$/u.test(char) ? 'unknown flag' : 'missing :', len(char));
    }
  }
  if ((delFlags & GLOBAL_FLAGS) !== 0) throw source.error('bad inline flags: cannot turn off global flag', 1);
  if ((addFlags & delFlags) !== 0) throw source.error('bad inline flags: flag turned on and off', 1);
  return [addFlags, delFlags];
}

/**
 * Returns null when Python 3's `re.compile(pattern)` accepts the pattern, otherwise the text of the
 * error it raises (`str(e)`).
 */
export function pythonRegexError(pattern: string): string | null {
  try {
    const source = new Tokenizer(pattern);
    const state = new State();
    parseSub(source, state, false, 0);
    if (source.next !== null) throw source.error('unbalanced parenthesis');
    for (const [g, pos] of state.grouprefPos) {
      if (g >= state.groups) throw new RegexError(`invalid group reference ${g}`, pos);
    }
    // re's compiler runs after the parser; its one check has no position.
    if (state.variableLookbehind) return 'look-behind requires fixed-width pattern';
    return null;
  } catch (err) {
    if (err instanceof RegexError) return err.message;
    throw err;
  }
}
