/**
 * Helpers shared by the traffic end-to-end tests (balancing, health and members, limits and
 * lifecycle, supervision): more client addresses on the VIP bridge, a member that accepts and never answers,
 * polling with a deadline, and where an amphora keeps its HAProxy files. Not a test file.
 */
import { execFileSync } from 'node:child_process';
import { Agent } from 'node:http';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { DataPlane } from '../support/dataplane.js';

/**
 * Adds `<vip4 stem>.<n>/24` to the VIP bridge (the host then has another client address on the
 * VIP subnet) and returns the address. `n` in 2..99 is outside the allocation pool. The bridge,
 * and with it the address, goes away with the data plane's clean-up.
 */
export function addClientAddress(dp: DataPlane, n: number): string {
  const address = `${dp.vip4.stem}.${n}`;
  try {
    execFileSync('ip', ['addr', 'add', `${address}/24`, 'dev', `${dp.prefix}bv`], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    if (!String((err as { stderr?: Buffer }).stderr ?? '').includes('File exists')) throw err;
  }
  return address;
}

/** Polls `probe` until it returns a value other than undefined; fails with `what` after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** How often each name occurs, as a plain object sorted by name (for deepEqual). */
export function tally(names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of [...names].sort()) out[n] = (out[n] ?? 0) + 1;
  return out;
}

/**
 * A member that accepts connections and never answers: what a hung application looks like from
 * HAProxy's side (a closed port is retried elsewhere by `option redispatch`, a hang is not).
 */
export async function blackhole(address: string, port: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen({ host: address, port }, () => ok());
  });
  let open = true;
  return {
    close: () =>
      new Promise<void>((ok) => {
        if (!open) return ok();
        open = false;
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

export interface AmphoraFiles {
  readonly computeId: string;
  /** `<runtime_path>/<compute id>`: everything of the amphora that is a file. */
  readonly runtimeDir: string;
  readonly haproxyConfig: string;
  readonly haproxyPidFile: string;
  readonly agentPidFile: string;
  readonly masterSocket: string;
  /** HAProxy's stats socket of the load balancer (runtime API). */
  readonly statsSocket: string;
}

/** The files of the (single) amphora of a load balancer, by the agent's layout under base_path. */
export async function amphoraFiles(dp: DataPlane, lbId: string): Promise<AmphoraFiles> {
  const amphorae = await dp.api.store.amphorae.forLoadBalancer(lbId);
  const computeId = amphorae[0]?.computeId;
  if (amphorae.length !== 1 || !computeId) throw new Error(`expected one amphora with a compute id, got ${JSON.stringify(amphorae)}`);
  const runtimeDir = join(dp.runtimePath, computeId);
  const lbDir = join(runtimeDir, 'base', lbId);
  return {
    computeId,
    runtimeDir,
    haproxyConfig: join(lbDir, 'haproxy.cfg'),
    haproxyPidFile: join(lbDir, `${lbId}.pid`),
    agentPidFile: join(runtimeDir, 'agent.pid'),
    masterSocket: join(lbDir, 'master.sock'),
    statsSocket: join(runtimeDir, 'base', `${lbId}.sock`),
  };
}

/**
 * One command on an HAProxy CLI socket (master or stats): unix sockets of an amphora are reachable
 * from the host's file system.
 */
export function haproxyCli(socketPath: string, command: string): Promise<string> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    const s = connect({ path: socketPath });
    s.setTimeout(3000, () => s.destroy(new Error(`HAProxy CLI timeout: ${command}`)));
    s.on('connect', () => s.end(`${command}\n`));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
    s.on('error', fail);
  });
}

/** HAProxy's view of a server (`UP`, `DOWN`, `MAINT`, ... from `show stat`), by backend server name. */
export async function serverStatus(statsSocket: string, serverName: string): Promise<string | undefined> {
  const csv = (await haproxyCli(statsSocket, 'show stat')).trim().split('\n');
  const header = (csv[0] ?? '').replace(/^# /, '').split(',');
  const [svname, status] = [header.indexOf('svname'), header.indexOf('status')];
  const row = csv.slice(1).map((l) => l.split(',')).find((r) => r[svname] === serverName);
  return row?.[status];
}

/** SIGKILL; a process that exited meanwhile (ESRCH) is fine: short-lived helpers come and go. */
export function kill9(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** True while a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A keep-alive HTTP agent with one connection that really stays open between requests. Node's
 * default agent drops a connection whose response announces `Keep-Alive: timeout=1` (the harness's
 * members do, and HAProxy passes the header on), so it would open a new connection per request;
 * this one keeps the behaviour Node documents for keepSocketAlive().
 */
export function keepAliveAgent(): Agent {
  class ReusingAgent extends Agent {
    keepSocketAlive(socket: Socket): boolean {
      socket.setKeepAlive(true, 1000);
      socket.unref();
      return true;
    }
  }
  return new ReusingAgent({ keepAlive: true, maxSockets: 1 });
}
