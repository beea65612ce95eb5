/**
 * HAProxy's master CLI (`-S <socket>`): `show proc`, `reload`, and `@1 <command>` to reach the
 * current worker's runtime API at admin level whatever the stats socket of the configuration says.
 * One command per connection; the master closes the connection after answering.
 */
import { createConnection } from 'node:net';

export function masterCommand(socketPath: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = createConnection(socketPath);
    const timer = setTimeout(() => socket.destroy(new Error(`no answer to "${command}" within ${timeoutMs} ms`)), timeoutMs);
    // Half-close after the command: the master answers and closes once our side is done.
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

export interface ProcInfo {
  readonly masterPid: number;
  readonly reloads: number;
  readonly failedReloads: number;
  /** Current workers (normally one). */
  readonly workers: readonly number[];
  /** Workers of earlier generations still finishing their connections. */
  readonly oldWorkers: readonly number[];
}

/** Parses `show proc` of HAProxy 2.6 (`<pid> <type> <reloads> [failed: n] <uptime> <version>`). */
export function parseShowProc(text: string): ProcInfo | null {
  let part: 'master' | 'workers' | 'old' | 'other' = 'master';
  let master: { pid: number; reloads: number; failed: number } | null = null;
  const workers: number[] = [];
  const oldWorkers: number[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# workers')) part = 'workers';
    else if (line.startsWith('# old workers')) part = 'old';
    else if (line.startsWith('#')) part = line.startsWith('#<PID>') ? 'master' : 'other';
    else {
      const m = /^(\d+)\s+(\S+)\s+(\d+)(?:\s+\[failed:\s*(\d+)\])?/.exec(line);
      if (!m) continue;
      const pid = Number(m[1]);
      if (m[2] === 'master') master = { pid, reloads: Number(m[3]), failed: Number(m[4] ?? 0) };
      else if (m[2] === 'worker' && part === 'workers') workers.push(pid);
      else if (m[2] === 'worker' && part === 'old') oldWorkers.push(pid);
    }
  }
  return master === null ? null : { masterPid: master.pid, reloads: master.reloads, failedReloads: master.failed, workers, oldWorkers };
}

export async function showProc(socketPath: string): Promise<ProcInfo | null> {
  return parseShowProc(await masterCommand(socketPath, 'show proc'));
}
