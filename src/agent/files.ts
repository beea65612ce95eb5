/** File helpers of the agent: every file a running process reads is replaced atomically. */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export function md5(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** Writes to a temporary file in the same directory and renames it over the target. */
export async function writeAtomic(path: string, data: string | Buffer, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { mode });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The pid in a pid file, or null when there is no file or no number in it. */
export function readPid(path: string): number | null {
  const text = existsSync(path) ? readIfExists(path) : null;
  const pid = text === null ? NaN : Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * True when the process exists and is not a zombie. A zombie answers kill(pid, 0) but is gone; an
 * orphaned child of a dead agent stays a zombie where pid 1 does not reap.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readIfExists(`/proc/${pid}/stat`);
  if (stat === null) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** The short command name of a process (`/proc/<pid>/comm`), or null. */
export function processName(pid: number): string | null {
  return readIfExists(`/proc/${pid}/comm`)?.trim() ?? null;
}
