/**
 * Runs the real OpenStack clients from Debian (/usr/bin/openstack, /usr/bin/python3 with
 * openstacksdk) — never pyenv's python3, which comes first in PATH on developer machines and has
 * none of these packages. Commands run with execFile (no shell), a timeout, and an environment
 * that contains only what the clients need, so a developer's OS_* variables or ~/.config/openstack
 * cannot change what the test exercises.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const OPENSTACK = '/usr/bin/openstack';
export const PYTHON = '/usr/bin/python3';

export interface ClientResult {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly ms: number;
}

/**
 * Why the client packages cannot be used here, or null when they can. `cli` needs the openstack
 * command with the octaviaclient plugin; `sdk` needs openstacksdk importable by /usr/bin/python3.
 */
export function missingClients(kind: 'cli' | 'sdk'): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  if (kind === 'cli' && !existsSync(OPENSTACK)) return `${OPENSTACK} not found: python3-openstackclient not installed`;
  const modules = kind === 'cli' ? ['openstackclient', 'octaviaclient'] : ['openstack'];
  const packages = kind === 'cli' ? 'python3-openstackclient / python3-octaviaclient' : 'python3-openstacksdk';
  const probe = spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8', timeout: 30_000 });
  if (probe.status !== 0) return `${packages} not installed (${PYTHON}: ${(probe.stderr ?? '').trim().split('\n').pop()})`;
  return null;
}

/**
 * True when a client test must be skipped: the packages are missing and this is not CI. In CI the
 * set-up script installs them, so there a missing package is a failure, not a skip.
 */
export function skipReason(kind: 'cli' | 'sdk'): string | null {
  const missing = missingClients(kind);
  if (missing === null) return null;
  if (process.env['CI'] === 'true') return null;
  return missing;
}

/** Environment of a client run: nothing inherited but PATH/locale; HOME is the test's own directory. */
export function clientEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    PYTHONUNBUFFERED: '1',
    ...extra,
  };
}

export function runClient(
  file: string,
  args: readonly string[],
  options: { env: Record<string, string>; cwd: string; timeoutMs: number },
): Promise<ClientResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { env: options.env, cwd: options.cwd, timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string | null }) | null;
        const ms = Date.now() - started;
        if (e && typeof e.code === 'string') {
          // The program could not be started at all (ENOENT, EACCES).
          resolve({ code: null, signal: null, stdout, stderr: `${stderr}\n${e.message}`, timedOut: false, ms });
          return;
        }
        resolve({
          code: e ? ((e.code as number | undefined) ?? null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
          timedOut: Boolean(e?.killed) && ms >= options.timeoutMs,
          ms,
        });
      },
    );
  });
}
