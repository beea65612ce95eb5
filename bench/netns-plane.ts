/**
 * Shared by bench/dataplane.ts and bench/failover.ts: the clean-up stack, member servers, one
 * `octavius up` with the real netns data plane, API helpers and a one-shot VIP probe.
 *
 * Importing this module installs the SIGINT/SIGTERM handlers that run the clean-up stack.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { cleanupPrefix, freeSubnets24, leftovers } from '../test/support/host-network.js';
import { freePort, percentile, root } from './lib.js';

// ---------------------------------------------------------------------------------------------
// Clean-up: every resource registers a synchronous undo, run in reverse order at the end, after a
// failure and on SIGINT/SIGTERM.

export const undo: (() => void)[] = [];
export function cleanupAll(): void {
  while (undo.length > 0) {
    try {
      undo.pop()!();
    } catch (err) {
      console.error('clean-up step failed:', err);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    cleanupAll();
    process.exit(130);
  });
}

export function killChild(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round = (n: number, digits = 1) => Number(n.toFixed(digits));

// ---------------------------------------------------------------------------------------------
// Member servers (this process, on the subnet gateway address).

export interface Member {
  readonly name: string;
  readonly port: number;
  /** Arrival times (performance.now()) of requests while tracked; health checks (GET /health) not counted. */
  arrivals: number[] | null;
}

export async function startMember(name: string, host: string, port: number): Promise<Member> {
  const body = Buffer.from(`${name}\n`);
  const member: Member = { name, port, arrivals: null };
  const server = createServer((req, res) => {
    if (req.url !== '/health') member.arrivals?.push(performance.now());
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length, 'x-member': name });
    res.end(body);
  });
  // HAProxy keeps idle server connections for reuse: a member that closes them first races with
  // the next request sent on them (a 502 that would be the benchmark's, not the load balancer's).
  server.keepAliveTimeout = 600_000;
  server.headersTimeout = 601_000;
  server.requestTimeout = 0;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen({ host, port }, () => ok());
  });
  undo.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return member;
}

// ---------------------------------------------------------------------------------------------
// One `octavius up` with the real data plane.

export interface Plane {
  readonly prefix: string;
  readonly url: string;
  readonly subnetId: string;
  /** `198.18.N`: the VIP subnet; the host holds `.1`. */
  readonly stem: string;
  readonly gateway: string;
  readonly runtimePath: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** Stops the service and removes everything; keeps its log per PlaneOptions.keptLog. */
  stop(failed?: boolean): Promise<void>;
}

export interface PlaneOptions {
  /** Two letters: name prefix `<tag><2 hex>-` and runtime path `/dev/shm/o<tag>-*`. */
  readonly tag: string;
  /** State directory: `$TMPDIR/octavius-bench-<stateTag>-*`. */
  readonly stateTag: string;
  readonly spares: number;
  readonly spareCheckInterval: number;
  /** Keep the kernel's 1 s ARP retransmit on the VIP bridge (see below). */
  readonly defaultArp: boolean;
  /**
   * With a `[health_manager]` section: listening on the management network's host address so that
   * amphorae's heartbeats reach it; `heartbeatTimeout` written only when set.
   */
  readonly healthManager?: { readonly heartbeatTimeout?: number };
  /** Where to keep the service's log at stop (null: not kept). */
  keptLog(prefix: string, failed: boolean): string | null;
}

export function logTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function waitListening(url: string): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/`)).ok) return;
    } catch {
      // not yet
    }
    if (performance.now() > deadline) throw new Error('octavius up did not start listening in 60 s');
    await sleep(100);
  }
}

export async function startPlane(opts: PlaneOptions): Promise<Plane> {
  // `<tag>` + 2 hex + `-`: one not used by anything on the host (a crashed earlier run included).
  let prefix = '';
  do prefix = `${opts.tag}${randomBytes(1).toString('hex')}-`;
  while (leftovers(prefix).length > 0);
  const [V, MG] = freeSubnets24(2) as [string, string];
  const stateDir = mkdtempSync(join(tmpdir(), `octavius-bench-${opts.stateTag}-`));
  const runtimePath = mkdtempSync(`/dev/shm/o${opts.tag}-`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const networks = `
[network:${prefix}n]
bridge = ${prefix}bv
subnets = ${prefix}s

[subnet:${prefix}s]
cidr = ${V}.0/24
gateway = ${V}.1
allocation_pools = ${V}.100-${V}.250
`;
  // heartbeat_interval 1, heartbeat_timeout 3, health_check_interval 1 are the defaults.
  const hm = opts.healthManager;
  const healthManager = hm
    ? `[health_manager]
bind_ip = ${MG}.1
controller_ip_port_list = ${MG}.1:5555
heartbeat_key = ${randomBytes(16).toString('hex')}
${hm.heartbeatTimeout !== undefined ? `heartbeat_timeout = ${hm.heartbeatTimeout}\n` : ''}
`
    : '';
  const ini = `[DEFAULT]
state_path = ${stateDir}
log_level = info

[api_settings]
bind_host = 127.0.0.1
bind_port = ${port}
auth_strategy = noauth

[controller_worker]
compute_driver = compute_netns_driver
network_driver = network_local_driver
amphora_driver = amphora_haproxy_rest_driver

[netns]
name_prefix = ${prefix}
mgmt_bridge = ${prefix}mg
mgmt_cidr = ${MG}.1/24
runtime_path = ${runtimePath}

${healthManager}[house_keeping]
spare_amphora_pool_size = ${opts.spares}
spare_check_interval = ${opts.spareCheckInterval}
${networks}`;
  const file = join(stateDir, 'octavius.conf');
  writeFileSync(file, ini);
  const subnet = loadConfig({ files: ['networks.ini'], readFile: () => networks }).config.local_networks.subnets[0]!;

  // Undo in reverse: the child first, then what it left in the kernel and on tmpfs.
  undo.push(() => rmSync(stateDir, { recursive: true, force: true }));
  undo.push(() => cleanupPrefix(prefix, [runtimePath]));
  // The service's log goes to a file (kept in bench/results/ per opts.keptLog).
  const logFile = join(stateDir, 'octavius.log');
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'up', '--config-file', file], { cwd: root, stdio: ['ignore', log, log] });
  closeSync(log);
  const kill = () => killChild(child);
  undo.push(kill);
  const exited = new Promise<never>((_, fail) => child.once('exit', (code) => fail(new Error(`octavius up exited ${code}: ${logTail(logFile)}`))));
  exited.catch(() => undefined);
  await Promise.race([waitListening(url), exited]);
  if (!opts.defaultArp) {
    // The VIP is polled before it exists, and amphorae send no gratuitous ARP when it comes up:
    // the host's unanswered ARP requests are re-sent every retrans_time (1 s by default), which
    // could make a ready VIP look ready late. 10 ms, on this benchmark's own bridge only (runs
    // with --default-arp showed no difference so far; this keeps it that way).
    execFileSync('sysctl', ['-qw', `net.ipv4.neigh.${prefix}bv.retrans_time_ms=10`]);
  }
  return {
    prefix,
    url,
    logFile,
    subnetId: subnet.id,
    stem: V,
    gateway: `${V}.1`,
    runtimePath,
    child,
    async stop(failed = false) {
      // A graceful stop first (it leaves amphorae running for re-adoption), then remove everything.
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, sleep(15_000)]);
      }
      kill();
      cleanupPrefix(prefix, [runtimePath]);
      const kept = opts.keptLog(prefix, failed);
      if (kept !== null) {
        mkdirSync(dirname(kept), { recursive: true });
        copyFileSync(logFile, kept);
        console.error(`octavius log kept in ${kept}`);
      }
      rmSync(stateDir, { recursive: true, force: true });
      const left = leftovers(prefix);
      if (left.length > 0) console.error(`LEFT BEHIND by ${prefix}: ${left.join(', ')}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// API helpers.

const HEADERS = { 'content-type': 'application/json', 'x-project-id': 'bench' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are read freely
export type Json = any;

export async function api(plane: Plane, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${plane.url}${path}`, { method, headers: HEADERS, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let json: Json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

export async function apiOk(plane: Plane, method: string, path: string, body?: unknown): Promise<Json> {
  const r = await api(plane, method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

// ---------------------------------------------------------------------------------------------
// VIP probing: one GET on a new connection, with a short timeout.

export function probe(host: string, port: number, timeoutMs: number): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    let buf = '';
    let settled = false;
    const s = connect({ host, port, noDelay: true });
    const done = (r: { status: number } | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ error: 'timeout' }), timeoutMs);
    s.on('connect', () => s.write(`GET /probe HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    s.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      if (buf.includes('\r\n')) done({ status: Number(buf.slice(9, 12)) });
    });
    s.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message }));
    s.on('close', () => done({ error: 'closed' }));
  });
}

// ---------------------------------------------------------------------------------------------
// Stats.

export interface Stats {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly min: number;
}

/** Percentiles of the values (nulls left out), rounded to 0.1. */
export function stats(values: readonly (number | null)[]): Stats {
  const s = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  return { n: s.length, p50: round(percentile(s, 50)), p99: round(percentile(s, 99)), max: round(s[s.length - 1] ?? 0), min: round(s[0] ?? 0) };
}
