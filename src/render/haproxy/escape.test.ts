/**
 * The escaper, unit by unit, and then against haproxy itself: values written by argument() are
 * loaded by a real haproxy 2.6 as ACL patterns and read back through the runtime API (`show acl`)
 * byte for byte; the same words go through the test tokenizer model, so the fuzz test's model is
 * the one haproxy follows.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { address, argument, cidr, fetchArgument, identifier, literal, logFormatText, plainPath, unwritable } from './escape.js';
import { tokenize } from './testdata/haproxy-tokenizer.js';

const NASTY = [
  'a b',
  '  leading and trailing  ',
  'back\\slash\\',
  '#hash',
  "single'quote",
  'double"quote',
  '$HOME ${HOME} $ {x}',
  '%[src] %% %{+Q}r',
  '-i',
  '--',
  '-m reg',
  'héllo 日本 😀 e\u0301',
  '\\x41\\n\\t',
  "'\\''",
  '{ }',
  '!neg',
  ',)(',
  'a'.repeat(300),
];

describe('escape', () => {
  test('argument() escapes space, backslash, # and quotes, and nothing else', () => {
    const r = argument(`a b\\c#d'e"f$g%h`);
    assert.ok(r.ok);
    assert.equal(r.word, `a\\ b\\\\c\\#d\\'e\\"f$g%h`);
  });

  test('line breaks, NUL, tabs, other control characters, separators and lone surrogates are refused', () => {
    for (const bad of ['a\nb', 'a\rb', 'a\0b', 'a\tb', 'a\x1bb', 'a\x7fb', 'a\u0085b', 'a\u2028b', 'a\u2029b', 'a\ud800b', 'a\udc00', '']) {
      const r = argument(bad);
      assert.equal(r.ok, false, JSON.stringify(bad));
      assert.notEqual(unwritable(bad), null);
    }
    assert.equal(unwritable('😀'), null, 'a surrogate pair is fine');
  });

  test('argument(…, { spaces: false }) refuses white space', () => {
    assert.equal(argument('/a b', { spaces: false }).ok, false);
    assert.equal(argument('/a\u00a0b', { spaces: false }).ok, false);
    assert.deepEqual(argument('/a#b', { spaces: false }), { ok: true, word: '/a\\#b' });
  });

  test('logFormatText() doubles %', () => {
    assert.equal(logFormatText('50%[x]%%'), '50%%[x]%%%%');
  });

  test('fetchArgument() accepts header-name tokens without , ) quotes # or backslash', () => {
    assert.deepEqual(fetchArgument('X-Forwarded_For.1'), { ok: true, word: 'X-Forwarded_For.1' });
    for (const bad of ['a,b', 'a)b', 'a(b', "a'b", 'a"b', 'a#b', 'a\\b', 'a b', 'é', '']) assert.equal(fetchArgument(bad).ok, false, bad);
  });

  test('identifier() accepts ids as proxy/server/ACL names only', () => {
    assert.ok(identifier('0b3c6f52-6a3e-4b2a-9d6e-2b8f0b1e7a11').ok);
    for (const bad of ['a:b', 'a b', 'a/b', '']) assert.equal(identifier(bad).ok, false, bad);
  });

  test('address() brackets IPv6 and refuses non-addresses', () => {
    assert.deepEqual(address('198.18.0.1'), { ok: true, word: '198.18.0.1' });
    assert.deepEqual(address('fd00::1'), { ok: true, word: '[fd00::1]' });
    for (const bad of ['example.com', '198.18.0.1 backup', 'fe80::1%eth0', '1.2.3.4/32', '']) assert.equal(address(bad).ok, false, bad);
  });

  test('cidr() normalises networks', () => {
    assert.deepEqual(cidr('198.18.5.7/24'), { ok: true, word: '198.18.5.0/24' });
    assert.deepEqual(cidr('FD00:AB::1/64'), { ok: true, word: 'fd00:ab::/64' });
    assert.deepEqual(cidr('203.0.113.9'), { ok: true, word: '203.0.113.9/32' });
    for (const bad of ['10.0.0.0/33', 'x', '10.0.0.0/8 # y']) assert.equal(cidr(bad).ok, false, bad);
  });

  test('plainPath() accepts only absolute paths that need no escaping', () => {
    assert.deepEqual(plainPath('/var/lib/octavia/'), { ok: true, word: '/var/lib/octavia' });
    for (const bad of ['relative', '/a b', '/a#b', "/a'b", '/a\nb']) assert.equal(plainPath(bad).ok, false, bad);
  });

  test('literal() refuses anything that is not a plain word (a renderer bug)', () => {
    assert.throws(() => literal('a b'));
    assert.throws(() => literal('a#b'));
    assert.equal(literal('roundrobin'), 'roundrobin');
  });

  test('the tokenizer model reads every argument() back as one word equal to the input', () => {
    const values = [...NASTY];
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), (v) => {
        const r = argument(v);
        if (!r.ok) return;
        const t = tokenize(`acl x path -m str ${r.word}`);
        assert.ok(t.ok, JSON.stringify(v));
        assert.deepEqual(t.words, ['acl', 'x', 'path', '-m', 'str', v]);
        assert.equal(t.comment, null);
      }),
      { numRuns: 2000 },
    );
    for (const v of values) {
      const r = argument(v);
      assert.ok(r.ok);
      const t = tokenize(`x ${r.word}`);
      assert.ok(t.ok);
      assert.deepEqual(t.words, ['x', v]);
    }
  });

  test('haproxy 2.6 reads the escaped values back unchanged (runtime API `show acl`)', async (t) => {
    const samples = fc.sample(
      fc.string({ unit: fc.constantFrom(' ', '\\', '#', "'", '"', '$', '%', '{', '}', '-', 'a', 'é', '日', '😀', 'x', ',', ')'), minLength: 1, maxLength: 12 }),
      { numRuns: 60, seed: 42 },
    );
    const values = [...new Set([...NASTY, ...samples])];
    const dir = mkdtempSync(join(tmpdir(), 'octv-render-escape-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const sock = join(dir, 'stats.sock');
    const lines = values.map((v, i) => {
      const r = argument(v);
      assert.ok(r.ok);
      // As the emitter does for ACL patterns: `--` ends the flags when a value starts with '-'.
      return `    acl v${i} path -m str ${v.startsWith('-') ? '-- ' : ''}${r.word}`;
    });
    writeFileSync(
      join(dir, 'haproxy.cfg'),
      [
        'global',
        `    stats socket ${sock} mode 600 level admin`,
        'defaults',
        '    timeout connect 1s',
        '    timeout client 1s',
        '    timeout server 1s',
        'frontend f',
        `    bind unix@${join(dir, 'f.sock')}`,
        '    mode http',
        ...lines,
        ...values.map((_, i) => `    http-request deny if v${i}`),
        '',
      ].join('\n'),
    );
    const child = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGTERM');
    });
    const deadline = Date.now() + 5000;
    while (!existsSync(sock)) {
      if (child.exitCode !== null || Date.now() > deadline) assert.fail(`haproxy did not start:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const ask = (cmd: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const c = connect(sock);
        const chunks: Buffer[] = [];
        c.on('data', (d: Buffer) => chunks.push(d));
        c.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        c.on('error', reject);
        c.write(`${cmd}\n`);
      });
    // `show acl` lists each ACL with the config line it came from; line 10 holds value 0.
    const listing = await ask('show acl');
    const idByLine = new Map<number, string>();
    for (const m of listing.matchAll(/^(\d+) \(\) acl 'path' file '[^']*' line (\d+)\./gm)) idByLine.set(Number(m[2]), m[1]!);
    for (const [i, v] of values.entries()) {
      const id = idByLine.get(10 + i);
      assert.ok(id !== undefined, `no ACL for value ${i}: ${listing}`);
      const dump = await ask(`show acl #${id}`);
      const pattern = /^0x[0-9a-f]+ (.*)\n/s.exec(dump)?.[1]?.replace(/\n+$/, '');
      assert.equal(pattern, v, `value ${JSON.stringify(v)} came back as ${JSON.stringify(pattern)}`);
    }
  });
});
