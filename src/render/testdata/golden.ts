/**
 * The machinery the renderers' golden tests share: `<dir>/<case>.in.json` inputs, expected files
 * compared byte for byte (`UPDATE_GOLDEN=1` rewrites them; review them as diffs), and a seeded
 * shuffle to show that output does not depend on the order objects come in. Test support only.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export interface GoldenDir {
  /** Case names: the `<case>.in.json` files, sorted. */
  readonly cases: readonly string[];
  /** The parsed `<case>.in.json`. */
  input<T>(name: string): T;
  /** Compares `actual` with `<file>` (null: the file must not exist), or rewrites it under UPDATE_GOLDEN=1. */
  check(file: string, actual: string | null): void;
  /** Every expected file (matching `outputs`) belongs to a case. */
  assertComplete(outputs: RegExp): void;
}

export function goldenDir(dir: string): GoldenDir {
  const update = process.env['UPDATE_GOLDEN'] === '1';
  const cases = readdirSync(dir)
    .filter((f) => f.endsWith('.in.json'))
    .map((f) => f.slice(0, -'.in.json'.length))
    .sort();
  return {
    cases,
    input: <T>(name: string) => JSON.parse(readFileSync(`${dir}${name}.in.json`, 'utf8')) as T,
    check(file, actual) {
      const path = `${dir}${file}`;
      if (update) {
        if (actual === null) rmSync(path, { force: true });
        else writeFileSync(path, actual);
        return;
      }
      const expected = existsSync(path) ? readFileSync(path, 'utf8') : null;
      assert.equal(actual, expected, `${file} differs from the golden file (UPDATE_GOLDEN=1 rewrites it)`);
    },
    assertComplete(outputs) {
      const known = new Set(cases);
      for (const f of readdirSync(dir)) {
        const m = outputs.exec(f);
        if (m) assert.ok(known.has(m[1]!), `${f} has no ${m[1]}.in.json`);
      }
    },
  };
}

/** A deterministic shuffle (the same seed, the same order). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
