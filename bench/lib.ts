/** Shared helpers of the benchmarks: starting Octavius processes, process CPU/RSS, latency stats. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Runs `octavius db upgrade` with a config file. */
export async function dbUpgrade(configFile: string): Promise<void> {
  const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'db', 'upgrade', '--config-file', configFile], { cwd: root, stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`octavius db upgrade exited ${code}`);
}

/** Starts `octavius <command>` from the build (dist/) with a config file; resolves when it listens. */
export async function startOctavius(command: string, configFile: string, url?: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), command, '--config-file', configFile], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OCTAVIUS_LOG_LEVEL: 'warn' },
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[octavius ${command}] ${d}`));
  child.stdout?.resume();
  if (url) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const res = await fetch(`${url}/`);
        if (res.ok) break;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw new Error(`octavius ${command} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return child;
}

const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

/** User + system CPU time of a process, in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS;
}

/** Resident set size of a process, in MiB. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function writeResult(name: string, result: unknown): string {
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** The command line of a benchmark: `--name N` numbers, `--flag`s and `--only a,b`. */
export function benchArgs(args: readonly string[] = process.argv.slice(2)) {
  const arg = (name: string, def: number): number => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const onlyArg = args.indexOf('--only') >= 0 ? args[args.indexOf('--only') + 1]!.split(',') : null;
  const only = (part: string) => onlyArg === null || onlyArg.includes(part);
  const flag = (name: string) => args.includes(`--${name}`);
  return { arg, only, flag };
}
