/**
 * A model of how HAProxy 2.6 splits a configuration line into words (cfgparse/parse_line): spaces
 * and tabs separate words, `#` starts a comment, `\` escapes, '…' quotes everything, "…" quotes
 * but expands `$VAR`. Stricter than HAProxy where the renderer never goes: double quotes, unknown
 * escapes and unterminated quotes are errors, so a fuzzed value that produced one would fail the
 * test. escape.test.ts checks the model against haproxy itself. Test support only.
 */

export type Tokenized =
  | { readonly ok: true; readonly words: readonly string[]; readonly comment: string | null }
  | { readonly ok: false; readonly error: string };

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', ' ': ' ', '#': '#', "'": "'", '"': '"', t: '\t', r: '\r', n: '\n' };

export function tokenize(line: string): Tokenized {
  const words: string[] = [];
  let word: string | null = null;
  let i = 0;
  const push = (): void => {
    if (word !== null) words.push(word);
    word = null;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      push();
      i++;
    } else if (c === '#') {
      push();
      return { ok: true, words, comment: line.slice(i) };
    } else if (c === '\\') {
      const n = line[i + 1];
      if (n === undefined) return { ok: false, error: 'backslash at end of line' };
      if (n === 'x') {
        const hex = line.slice(i + 2, i + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) return { ok: false, error: 'bad \\x escape' };
        word = (word ?? '') + String.fromCharCode(parseInt(hex, 16));
        i += 4;
      } else if (Object.hasOwn(SIMPLE_ESCAPES, n)) {
        word = (word ?? '') + SIMPLE_ESCAPES[n]!;
        i += 2;
      } else {
        return { ok: false, error: `unknown escape \\${n}` };
      }
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { ok: false, error: 'unterminated single quote' };
      word = (word ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      return { ok: false, error: 'double quotes (environment expansion) are never written by the renderer' };
    } else if (c === '\n' || c === '\r' || c === '\0') {
      return { ok: false, error: 'line break or NUL inside a line' };
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  push();
  return { ok: true, words, comment: null };
}
