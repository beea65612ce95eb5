#!/usr/bin/env node
// Runs the test files (node:test through tsx) and fails when zero tests ran.
// Usage: node scripts/run-tests.mjs [unit|all] [file-or-directory ...]
// Engines: OCTAVIUS_TEST_ENGINES (default: sqlite,postgresql,mysql; a server that is not reachable
// is skipped with a message, except under CI=true where every engine must be there).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const mode = args[0] === 'unit' || args[0] === 'all' ? args.shift() : 'all';

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

let files = args.length > 0 ? args.flatMap((a) => (statSync(a).isDirectory() ? walk(a) : [a])) : [...walk(join(root, 'src')), ...walk(join(root, 'test'))];
if (mode === 'unit') files = files.filter((f) => f.includes('/src/'));
files.sort();

function reachable(host, port) {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.setTimeout(1000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

let engines = (process.env.OCTAVIUS_TEST_ENGINES ?? 'sqlite,postgresql,mysql').split(',').filter(Boolean);
if (engines.includes('mysql') && !process.env.OCTAVIUS_TEST_MYSQL_URL && !(await reachable('127.0.0.1', 3306))) {
  if (process.env.CI === 'true') {
    console.error('MySQL/MariaDB is not reachable on 127.0.0.1:3306 and CI=true: the MySQL leg cannot be skipped.');
    process.exit(1);
  }
  console.warn('[run-tests] skipping the MySQL leg: no server on 127.0.0.1:3306 (set OCTAVIUS_TEST_MYSQL_URL to use another)');
  engines = engines.filter((e) => e !== 'mysql');
}
// PostgreSQL: this machine's server, OCTAVIUS_TEST_POSTGRES_URL, or an embedded one (test/support/databases.ts).

console.log(`[run-tests] ${files.length} files, engines: ${engines.join(', ')}`);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files.map((f) => relative(root, f))],
  { cwd: root, stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, OCTAVIUS_TEST_ENGINES: engines.join(',') }, encoding: 'utf8', maxBuffer: 1 << 30 },
);
process.stdout.write(result.stdout ?? '');
const tests = /ℹ tests (\d+)/.exec(result.stdout ?? '');
if (!tests || Number(tests[1]) === 0) {
  console.error('[run-tests] no tests ran');
  process.exit(1);
}
process.exit(result.status ?? 1);
