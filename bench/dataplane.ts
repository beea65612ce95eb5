/**
 * bench/dataplane: what a user of real load balancers waits for, and what the data plane costs
 * (issue 3, deliverable 10).
 *
 * Starts the built `octavius up` (dist/) as root with the real data plane (netns amphorae running
 * the agent and HAProxy, the local network driver, the REST amphora driver), with its own state
 * directory, API port, name prefix, management network and one VIP network whose gateway address
 * the host holds. Member servers are plain Node HTTP servers of this process on that gateway
 * address; requests to VIPs go straight from this host. Measures:
 *
 *   (a) single-call create (HTTP listener, pool of 2 members, HTTP health monitor) -> first proxied
 *       200 through the VIP (polled on new connections with short timeouts), and -> ACTIVE; without
 *       spare amphorae and with a spare pool that is full before each create
 *   (b) member add -> first request the new member serves; member delete -> last request that still
 *       reaches it, counted from the DELETE response (and how many arrive after ACTIVE)
 *   (c) config changes (member add/delete/weight, pool algorithm, listener timeout), each waiting for
 *       ACTIVE, while a load generator runs against the VIP: requests sent and failed
 *   (d) requests/s through the load balancer vs directly to one member vs a hand-written minimal
 *       HAProxy with the same two members vs the configuration Octavius rendered, copied out of the
 *       amphora (both run here, each in its own namespace with a veth on the same bridge)
 *
 * The load generator (bench/dataplane-load.ts) runs in a child process. For each part it records
 * how much CPU the benchmark and everything else on the host used (bench/dataplane-cpu.ts): other
 * sessions' tests on the same 2 vCPUs show up there.
 *
 * Prints the numbers and writes bench/results/dataplane.json. Not a test: nothing asserts a time.
 * Everything it creates (processes, namespaces, interfaces, runtime files) is removed at the end,
 * after a failure and on SIGINT/SIGTERM.
 *
 * Usage (root): npm run -s build && node --import tsx bench/dataplane.ts
 *   [--lbs 20] [--spare-lbs 20] [--spares <spare-lbs>] [--member-reps 10] [--changes 100] [--seconds 8]
 *   [--connections 32] [--only a,a-spare,b,c,d] [--default-arp]
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { cleanupPrefix } from '../test/support/host-network.js';
import { cpuShare, cpuSnapshot, type CpuShare } from './dataplane-cpu.js';
import type { LoadResult, LoadSpec } from './dataplane-load.js';
import { benchArgs, cpuMs, root, writeResult } from './lib.js';
import { api, apiOk, cleanupAll, killChild, probe, round, sleep, startMember, startPlane, stats, undo, type Json, type Member, type Plane, type Stats } from './netns-plane.js';

const { arg, only, flag } = benchArgs();

const LBS = arg('lbs', 20);
const SPARE_LBS = arg('spare-lbs', LBS);
const SPARES = arg('spares', SPARE_LBS);
const MEMBER_REPS = arg('member-reps', 10);
const CHANGES = arg('changes', 100);
const SECONDS = arg('seconds', 8);
const CONNECTIONS = arg('connections', 32);
/** Keep the kernel's 1 s ARP retransmit on the VIP bridge (see startPlane). */
const DEFAULT_ARP = flag('default-arp');
const MEMBER_PORTS = [18201, 18202, 18203] as const;
/** Host part of the address of the hand-written HAProxy of (d) (the rendered copy: +1); outside the allocation pool. */
const HAND_HOST = 20;

if (process.getuid?.() !== 0) {
  console.error('bench/dataplane needs root (network namespaces, bridges)');
  process.exit(2);
}

// Clean-up stack, member servers, `octavius up` (startPlane), api/apiOk, probe, stats: ./netns-plane.ts.

// ---------------------------------------------------------------------------------------------
// API helpers.

/** Polls the load balancer every 10 ms until ACTIVE; returns performance.now() when seen. */
async function waitActive(plane: Plane, lbId: string, timeoutMs = 60_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const r = await api(plane, 'GET', `/v2/lbaas/loadbalancers/${lbId}`);
    const status = r.json?.loadbalancer?.provisioning_status;
    if (status === 'ACTIVE') return performance.now();
    if (status === 'ERROR') throw new Error(`load balancer ${lbId} went ERROR`);
    if (performance.now() > deadline) throw new Error(`load balancer ${lbId} not ACTIVE after ${timeoutMs} ms (${status})`);
    await sleep(10);
  }
}

async function deleteLb(plane: Plane, lbId: string): Promise<void> {
  await apiOk(plane, 'DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`);
  const deadline = performance.now() + 60_000;
  for (;;) {
    const r = await api(plane, 'GET', `/v2/lbaas/loadbalancers/${lbId}`);
    if (r.status === 404 || r.json?.loadbalancer?.provisioning_status === 'DELETED') return;
    if (performance.now() > deadline) throw new Error(`load balancer ${lbId} not deleted after 60 s`);
    await sleep(20);
  }
}

/** READY amphorae without a load balancer: the spare pool. */
async function readySpares(plane: Plane): Promise<number> {
  const r = await apiOk(plane, 'GET', '/v2/octavia/amphorae?status=READY');
  return (r.amphorae as { loadbalancer_id: string | null }[]).filter((a) => !a.loadbalancer_id).length;
}

async function waitSpares(plane: Plane, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while ((await readySpares(plane)) < count) {
    if (performance.now() > deadline) throw new Error(`spare pool not full (${count}) after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** The single-call create body of every benchmark load balancer. */
function lbBody(plane: Plane, name: string, memberPorts: readonly number[]): Json {
  return {
    loadbalancer: {
      name,
      vip_subnet_id: plane.subnetId,
      listeners: [
        {
          name: `${name}-l`,
          protocol: 'HTTP',
          protocol_port: 80,
          default_pool: {
            name: `${name}-p`,
            protocol: 'HTTP',
            lb_algorithm: 'ROUND_ROBIN',
            healthmonitor: { type: 'HTTP', delay: 2, timeout: 1, max_retries: 2, url_path: '/health' },
            members: memberPorts.map((port, i) => ({ name: `m${i + 1}`, address: plane.gateway, protocol_port: port, subnet_id: plane.subnetId })),
          },
        },
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// VIP probing: one GET on a new connection, with a short timeout (probe: ./netns-plane.ts).

/** Probes until a 200; returns when it arrived and what the failed attempts were. */
async function firstOk(host: string, port: number, timeoutMs = 60_000): Promise<{ at: number; attempts: Record<string, number> }> {
  const deadline = performance.now() + timeoutMs;
  const attempts: Record<string, number> = {};
  for (;;) {
    const r = await probe(host, port, 150);
    if ('status' in r && r.status === 200) return { at: performance.now(), attempts };
    const kind = 'status' in r ? `status ${r.status}` : r.error;
    attempts[kind] = (attempts[kind] ?? 0) + 1;
    if (performance.now() > deadline) throw new Error(`no 200 from ${host}:${port} after ${timeoutMs} ms: ${JSON.stringify(attempts)}`);
    await sleep(5);
  }
}

// ---------------------------------------------------------------------------------------------
// The load generator in a child process (bench/dataplane-load.ts).

interface RunningLoad {
  /** performance.now() of this process when the generator started. */
  readonly startedAt: number;
  stop(): Promise<LoadResult>;
  readonly done: Promise<LoadResult>;
}

async function startLoad(spec: LoadSpec): Promise<RunningLoad> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'dataplane-load.ts'), JSON.stringify(spec)], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const kill = () => killChild(child);
  undo.push(kill);
  let startedAt = 0;
  const started = new Promise<void>((ok, fail) => {
    child.once('message', () => {
      startedAt = performance.now();
      ok();
    });
    child.once('exit', (code) => fail(new Error(`load generator exited ${code} before starting`)));
  });
  const done = new Promise<LoadResult>((ok, fail) => {
    child.on('message', (m) => {
      if (m !== 'started') ok(m as LoadResult);
    });
    child.once('exit', (code) => fail(new Error(`load generator exited ${code} without a result`)));
  });
  done.catch(() => undefined);
  await started;
  return {
    get startedAt() {
      return startedAt;
    },
    done,
    async stop() {
      child.send('stop');
      return done;
    },
  };
}

/** CPU time (ms) of the processes in a namespace: haproxy's and the others' (the agent). */
function namespaceCpuMs(netns: string): { haproxy: number; other: number } {
  const out = { haproxy: 0, other: 0 };
  const pids = execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      out[comm === 'haproxy' ? 'haproxy' : 'other'] += cpuMs(pid);
    } catch {
      // exited
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// (a) create -> first 200 and ACTIVE.

interface CreateSample {
  readonly firstOkMs: number;
  readonly activeMs: number;
  readonly postMs: number;
  readonly failedProbes: Record<string, number>;
}

async function createAndMeasure(plane: Plane, name: string): Promise<{ sample: CreateSample; lbId: string; vip: string }> {
  // A VIP address freed by an earlier delete comes back with another MAC; the kernel dropped the
  // old neighbour entry with the port in our runs, and this makes sure no stale one is used.
  execFileSync('ip', ['neigh', 'flush', 'dev', `${plane.prefix}bv`]);
  const t0 = performance.now();
  const created = await apiOk(plane, 'POST', '/v2/lbaas/loadbalancers', lbBody(plane, name, MEMBER_PORTS.slice(0, 2)));
  const tPost = performance.now();
  const lbId = created.loadbalancer.id as string;
  const vip = created.loadbalancer.vip_address as string;
  const [first, active] = await Promise.all([firstOk(vip, 80), waitActive(plane, lbId)]);
  return {
    lbId,
    vip,
    sample: { firstOkMs: round(first.at - t0), activeMs: round(active - t0), postMs: round(tPost - t0), failedProbes: first.attempts },
  };
}

async function measureCreates(plane: Plane, count: number, mode: 'fresh' | 'spare'): Promise<CreateSample[]> {
  const samples: CreateSample[] = [];
  for (let i = 0; i < count; i++) {
    if (mode === 'spare' && (await readySpares(plane)) === 0) throw new Error('no READY spare left for the next create');
    const { sample, lbId } = await createAndMeasure(plane, `a${i}`);
    samples.push(sample);
    process.stdout.write(`  ${mode} #${i + 1}: first 200 ${sample.firstOkMs} ms, ACTIVE ${sample.activeMs} ms\n`);
    await deleteLb(plane, lbId);
  }
  return samples;
}

// ---------------------------------------------------------------------------------------------
// (b) member add / delete as seen through the VIP.

interface MemberChurn {
  readonly addToFirstMs: number[];
  readonly addToActiveMs: number[];
  /** From the DELETE response to the last request that still reached the member (0: none did). */
  readonly deleteToLastMs: number[];
  readonly deleteToActiveMs: number[];
  /** Requests that reached the deleted member after the load balancer was ACTIVE again. */
  readonly afterActive: number[];
  readonly load: LoadResult;
}

async function memberChurn(plane: Plane, lb: { id: string; vip: string; poolId: string }, m3: Member, reps: number): Promise<MemberChurn> {
  // 3 paced clients (2 keep-alive, 1 new connection per request), ~1 request per ms in total: with
  // round robin over 3 members the new member is asked every ~3 ms.
  const load = await startLoad({ host: lb.vip, port: 80, keepAlive: 2, close: 1, seconds: 0, paceMs: 2 });
  const out: Omit<MemberChurn, 'load'> = { addToFirstMs: [], addToActiveMs: [], deleteToLastMs: [], deleteToActiveMs: [], afterActive: [] };
  try {
    for (let i = 0; i < reps; i++) {
      m3.arrivals = [];
      const t0 = performance.now();
      const member = await apiOk(plane, 'POST', `/v2/lbaas/pools/${lb.poolId}/members`, {
        member: { name: 'm3', address: plane.gateway, protocol_port: m3.port, subnet_id: plane.subnetId },
      });
      const active = await waitActive(plane, lb.id);
      const deadline = performance.now() + 10_000;
      while (m3.arrivals.length === 0) {
        if (performance.now() > deadline) throw new Error('the added member got no request within 10 s');
        await sleep(1);
      }
      out.addToFirstMs.push(round(m3.arrivals[0]! - t0));
      out.addToActiveMs.push(round(active - t0));

      const d0 = performance.now();
      await apiOk(plane, 'DELETE', `/v2/lbaas/pools/${lb.poolId}/members/${member.member.id}`);
      const deleted = performance.now();
      m3.arrivals = [];
      const activeAgain = await waitActive(plane, lb.id);
      await sleep(300); // anything still on its way arrives by now
      const arrivals = m3.arrivals;
      out.deleteToLastMs.push(round(arrivals.length > 0 ? arrivals[arrivals.length - 1]! - deleted : 0));
      out.deleteToActiveMs.push(round(activeAgain - d0));
      out.afterActive.push(arrivals.filter((t) => t > activeAgain).length);
      m3.arrivals = null;
      process.stdout.write(
        `  #${i + 1}: add -> first request ${out.addToFirstMs.at(-1)} ms; delete -> last request ${out.deleteToLastMs.at(-1)} ms (${out.afterActive.at(-1)} after ACTIVE)\n`,
      );
    }
  } finally {
    m3.arrivals = null;
  }
  return { ...out, load: await load.stop() };
}

// ---------------------------------------------------------------------------------------------
// (c) configuration changes under load.

interface ChangeRun {
  readonly changes: number;
  readonly byKind: Record<string, Stats>;
  readonly load: LoadResult;
  /** Times (ms since the load started) of the changes whose window saw a failure. */
  readonly failuresDuring: { kind: string; atMs: number }[];
}

async function changesUnderLoad(plane: Plane, lb: { id: string; vip: string; poolId: string; listenerId: string; members: string[] }, m3: Member, count: number): Promise<ChangeRun> {
  const load = await startLoad({ host: lb.vip, port: 80, keepAlive: 4, close: 2, seconds: 0 });
  const durations: Record<string, number[]> = {};
  const windows: { kind: string; from: number; to: number }[] = [];
  let m3Id: string | null = null;
  let algorithm = 'ROUND_ROBIN';
  let timeout = 50_000;
  let weight = 1;
  const kinds = ['member add', 'member weight', 'pool algorithm', 'member delete', 'listener timeout', 'member weight'] as const;
  try {
    for (let i = 0; i < count; i++) {
      let kind: string = kinds[i % kinds.length]!;
      const t0 = performance.now();
      if (kind === 'member add' && m3Id === null) {
        const r = await apiOk(plane, 'POST', `/v2/lbaas/pools/${lb.poolId}/members`, {
          member: { name: 'm3', address: plane.gateway, protocol_port: m3.port, subnet_id: plane.subnetId },
        });
        m3Id = r.member.id as string;
      } else if (kind === 'member delete' && m3Id !== null) {
        await apiOk(plane, 'DELETE', `/v2/lbaas/pools/${lb.poolId}/members/${m3Id}`);
        m3Id = null;
      } else if (kind === 'pool algorithm') {
        algorithm = algorithm === 'ROUND_ROBIN' ? 'LEAST_CONNECTIONS' : 'ROUND_ROBIN';
        await apiOk(plane, 'PUT', `/v2/lbaas/pools/${lb.poolId}`, { pool: { lb_algorithm: algorithm } });
      } else if (kind === 'listener timeout') {
        timeout = timeout === 50_000 ? 40_000 : 50_000;
        await apiOk(plane, 'PUT', `/v2/lbaas/listeners/${lb.listenerId}`, { listener: { timeout_client_data: timeout } });
      } else {
        kind = 'member weight';
        weight = weight === 1 ? 5 : 1;
        await apiOk(plane, 'PUT', `/v2/lbaas/pools/${lb.poolId}/members/${lb.members[i % lb.members.length]}`, { member: { weight } });
      }
      const t1 = await waitActive(plane, lb.id);
      (durations[kind] ??= []).push(t1 - t0);
      windows.push({ kind, from: t0 - load.startedAt, to: t1 - load.startedAt });
    }
  } finally {
    if (m3Id !== null) {
      await api(plane, 'DELETE', `/v2/lbaas/pools/${lb.poolId}/members/${m3Id}`);
      await waitActive(plane, lb.id).catch(() => undefined);
    }
  }
  await sleep(500); // a quiet tail after the last change
  const result = await load.stop();
  const failuresDuring = result.firstFailures.map((f) => {
    const w = windows.find((x) => f.atMs >= x.from && f.atMs <= x.to + 100);
    return { kind: w?.kind ?? 'between changes', atMs: f.atMs };
  });
  const all = Object.values(durations).flat();
  const byKind: Record<string, Stats> = { all: stats(all) };
  for (const [k, v] of Object.entries(durations)) byKind[k] = stats(v);
  return { changes: all.length, byKind, load: result, failuresDuring };
}

// ---------------------------------------------------------------------------------------------
// (d) throughput: load balancer vs one member directly vs a hand-written HAProxy.

/** The hand-written minimal HAProxy of (d): the same listener and pool as the benchmark load balancer. */
function handConfig(plane: Plane, host: string, dir: string, memberPorts: readonly number[]): string {
  return `global
    maxconn 9950
    nbthread 1
    stats socket ${dir}/stats.sock mode 600 level admin

defaults
    mode http
    timeout connect 5s
    timeout client 50s
    timeout server 50s
    option idle-close-on-response

frontend fe
    bind ${host}:80
    default_backend be

backend be
    balance roundrobin
    option httpchk GET /health
${memberPorts.map((p, i) => `    server m${i + 1} ${plane.gateway}:${p} check inter 2s fall 2 rise 2`).join('\n')}
`;
}

/** The configuration Octavius rendered for the amphora, moved to another address and directory. */
function renderedConfigElsewhere(plane: Plane, computeId: string, lbId: string, vip: string, host: string, dir: string): string {
  const text = readFileSync(join(plane.runtimePath, computeId, 'base', lbId, 'haproxy.cfg'), 'utf8');
  return text
    .split('\n')
    .map((l) => {
      if (/^\s*bind /.test(l)) return l.replace(`${vip}:`, `${host}:`);
      if (/^\s*stats socket /.test(l)) return `    stats socket ${dir}/stats.sock mode 600 level admin`;
      if (/^\s*server-state-file /.test(l)) return `    server-state-file ${dir}/servers-state`;
      return l;
    })
    .join('\n');
}

/**
 * An HAProxy of our own for (d), in namespace `<prefix><tag>` with a veth on the VIP bridge and
 * address `.<hostIndex>` of the VIP subnet (outside the allocation pool), started as `haproxy -W -f`.
 */
async function startNamespaceHaproxy(
  plane: Plane,
  tag: string,
  hostIndex: number,
  configFor: (host: string, dir: string) => string,
): Promise<{ host: string; netns: string; config: string }> {
  const netns = `${plane.prefix}${tag}`;
  const host = `${plane.stem}.${hostIndex}`;
  const dir = join(plane.runtimePath, tag);
  mkdirSync(dir, { recursive: true });
  const config = configFor(host, dir);
  writeFileSync(join(dir, 'haproxy.cfg'), config);
  const run = (...a: string[]) => execFileSync('ip', a, { stdio: ['ignore', 'ignore', 'inherit'] });
  run('netns', 'add', netns);
  undo.push(() => cleanupPrefix(netns));
  run('-n', netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `${netns}v`, 'netns', '1');
  run('link', 'set', `${netns}v`, 'master', `${plane.prefix}bv`, 'up');
  run('-n', netns, 'addr', 'add', `${host}/24`, 'dev', 'eth0');
  run('-n', netns, 'link', 'set', 'eth0', 'up');
  run('-n', netns, 'link', 'set', 'lo', 'up');
  const child = spawn('ip', ['netns', 'exec', netns, 'haproxy', '-W', '-q', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'inherit'] });
  undo.push(() => killChild(child));
  await firstOk(host, 80, 10_000);
  return { host, netns, config };
}

interface ThroughputRow {
  readonly target: string;
  readonly rps: number[];
  readonly p50Ms: number[];
  readonly p99Ms: number[];
  readonly failed: number;
  /** HAProxy CPU time per request (µs), when the target is an HAProxy. */
  readonly haproxyUsPerRequest: number[];
  /** CPU of the other processes in its namespace (the amphora agent), per request (µs). */
  readonly agentUsPerRequest: number[];
}

async function throughput(targets: { name: string; host: string; port: number; netns: string | null }[], seconds: number, connections: number): Promise<ThroughputRow[]> {
  const rows = new Map<string, ThroughputRow>();
  for (const t of targets) rows.set(t.name, { target: t.name, rps: [], p50Ms: [], p99Ms: [], failed: 0, haproxyUsPerRequest: [], agentUsPerRequest: [] });
  // Two passes, the second in reverse order, so that drift of the machine hits every target alike.
  for (const pass of [targets, [...targets].reverse()]) {
    for (const t of pass) {
      // Warm up (connections, haproxy's server connection pool), then measure.
      await (await startLoad({ host: t.host, port: t.port, keepAlive: connections, close: 0, seconds: 1 })).done;
      const cpu0 = t.netns ? namespaceCpuMs(t.netns) : null;
      const r = await (await startLoad({ host: t.host, port: t.port, keepAlive: connections, close: 0, seconds, latencies: true })).done;
      const cpu1 = t.netns ? namespaceCpuMs(t.netns) : null;
      const row = rows.get(t.name)!;
      row.rps.push(r.rps);
      row.p50Ms.push(r.p50Ms ?? 0);
      row.p99Ms.push(r.p99Ms ?? 0);
      (row as { failed: number }).failed += r.failed;
      if (cpu0 && cpu1) {
        row.haproxyUsPerRequest.push(round(((cpu1.haproxy - cpu0.haproxy) * 1000) / Math.max(1, r.ok), 1));
        row.agentUsPerRequest.push(round(((cpu1.other - cpu0.other) * 1000) / Math.max(1, r.ok), 2));
      }
      process.stdout.write(`  ${t.name}: ${r.rps} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, failed ${r.failed}\n`);
    }
  }
  return [...rows.values()];
}

// ---------------------------------------------------------------------------------------------

async function amphoraNetns(plane: Plane, lbId: string): Promise<string> {
  const r = await apiOk(plane, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`);
  return r.amphorae[0].compute_id as string;
}

async function lbParts(plane: Plane, lbId: string, vip: string) {
  const lb = (await apiOk(plane, 'GET', `/v2/lbaas/loadbalancers/${lbId}`)).loadbalancer;
  const poolId = lb.pools[0].id as string;
  const members = (await apiOk(plane, 'GET', `/v2/lbaas/pools/${poolId}/members`)).members.map((m: { id: string }) => m.id) as string[];
  return { id: lbId, vip, poolId, listenerId: lb.listeners[0].id as string, members };
}

function loadSummary(r: LoadResult) {
  return { sent: r.sent, ok: r.ok, failed: r.failed, failures: r.failures, rps: r.rps, seconds: r.seconds, reconnects: r.reconnects };
}

/** `octavius up` as bench/dataplane.ts wants it; its log is kept in bench/results/ when something fails. */
function planeOptions(spares: number, spareCheckInterval: number) {
  return {
    tag: 'bd',
    stateTag: 'dp',
    spares,
    spareCheckInterval,
    defaultArp: DEFAULT_ARP,
    keptLog: (prefix: string, failed: boolean) => (failed ? join(root, 'bench', 'results', `dataplane-${prefix.slice(0, -1)}.log`) : null),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    settings: { lbs: LBS, spareLbs: SPARE_LBS, spares: SPARES, memberReps: MEMBER_REPS, changes: CHANGES, seconds: SECONDS, connections: CONNECTIONS, defaultArp: DEFAULT_ARP },
    loadAverageAtStart: loadavg().map((x) => round(x, 2)),
  };
  const cpu: Record<string, CpuShare> = {};
  result['cpu'] = cpu;
  /** Runs one part and records how much CPU we and everything else on the host used meanwhile. */
  const part = async <T>(name: string, plane: Plane, fn: () => Promise<T>): Promise<T> => {
    const before = cpuSnapshot();
    const out = await fn();
    const share = cpuShare(before, [plane.prefix]);
    cpu[name] = share;
    console.log(`  [${name}: ${share.seconds} s; CPU used by the benchmark ${share.ours}, by other processes ${share.others} (of 2)${share.others >= 0.2 ? `: ${share.topOthers.map((t) => `${t.command} ${t.cpu}`).join('; ')}` : ''}]`);
    return out;
  };

  if (only('a') || only('b') || only('c') || only('d')) {
    console.log('starting octavius up (no spare pool)');
    const plane = await startPlane(planeOptions(0, 1));
    let failed = true;
    try {
      const members = await Promise.all(MEMBER_PORTS.map((p, i) => startMember(`m${i + 1}`, plane.gateway, p)));
      if (only('a')) {
        console.log(`(a) ${LBS} creates, no spare pool`);
        const samples = await part('a', plane, () => measureCreates(plane, LBS, 'fresh'));
        result['createFresh'] = {
          firstOk: stats(samples.map((s) => s.firstOkMs)),
          active: stats(samples.map((s) => s.activeMs)),
          post: stats(samples.map((s) => s.postMs)),
          samples,
        };
      }
      if (only('b') || only('c')) {
        const { lbId, vip } = await createAndMeasure(plane, 'churn');
        const lb = await lbParts(plane, lbId, vip);
        if (only('b')) {
          console.log(`(b) member add/delete x ${MEMBER_REPS}`);
          const churn = await part('b', plane, () => memberChurn(plane, lb, members[2]!, MEMBER_REPS));
          result['memberChurn'] = {
            addToFirstRequest: stats(churn.addToFirstMs),
            addToActive: stats(churn.addToActiveMs),
            deleteToLastRequest: stats(churn.deleteToLastMs),
            deleteToActive: stats(churn.deleteToActiveMs),
            requestsAfterActive: churn.afterActive,
            load: loadSummary(churn.load),
            samples: churn,
          };
        }
        if (only('c')) {
          console.log(`(c) ${CHANGES} changes under load`);
          const run = await part('c', plane, () => changesUnderLoad(plane, lb, members[2]!, CHANGES));
          result['changesUnderLoad'] = { changes: run.changes, durationMs: run.byKind, load: loadSummary(run.load), firstFailures: run.failuresDuring };
          console.log(`  ${run.changes} changes: sent ${run.load.sent}, failed ${run.load.failed} ${JSON.stringify(run.load.failures)}`);
        }
        await deleteLb(plane, lbId);
      }
      if (only('d')) {
        console.log(`(d) throughput, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run, 2 passes`);
        const { lbId, vip } = await createAndMeasure(plane, 'tput');
        const amp = await amphoraNetns(plane, lbId);
        const hand = await startNamespaceHaproxy(plane, 'hp', HAND_HOST, (host, dir) => handConfig(plane, host, dir, MEMBER_PORTS.slice(0, 2)));
        // The rendered configuration outside the amphora: separates what the configuration costs
        // from what the amphora (agent, namespace set-up, command line) costs.
        const copy = await startNamespaceHaproxy(plane, 'hq', HAND_HOST + 1, (host, dir) => renderedConfigElsewhere(plane, amp, lbId, vip, host, dir));
        const rows = await part('d', plane, () =>
          throughput(
            [
              { name: 'octavius LB', host: vip, port: 80, netns: amp },
              { name: 'hand-written haproxy', host: hand.host, port: 80, netns: hand.netns },
              { name: 'rendered config, plain netns', host: copy.host, port: 80, netns: copy.netns },
              { name: 'direct (one member)', host: plane.gateway, port: MEMBER_PORTS[0], netns: null },
            ],
            SECONDS,
            CONNECTIONS,
          ),
        );
        result['throughput'] = { connections: CONNECTIONS, seconds: SECONDS, rows, handConfig: hand.config };
      }
      failed = false;
    } finally {
      await plane.stop(failed);
    }
  }

  if (only('a-spare')) {
    console.log(`starting octavius up (spare pool of ${SPARES})`);
    // The pool holds a spare for every create and is filled once, at start: no refill builds
    // (agent start-ups) compete with the measured creates for the 2 CPUs.
    const plane = await startPlane(planeOptions(SPARES, 3600));
    let failed = true;
    try {
      console.log(`  waiting for ${SPARES} READY spares`);
      await waitSpares(plane, SPARES, 300_000);
      await Promise.all(MEMBER_PORTS.slice(0, 2).map((p, i) => startMember(`m${i + 1}`, plane.gateway, p)));
      console.log(`(a) ${SPARE_LBS} creates, spare pool full before each`);
      const samples = await part('a-spare', plane, () => measureCreates(plane, SPARE_LBS, 'spare'));
      result['createSpare'] = {
        firstOk: stats(samples.map((s) => s.firstOkMs)),
        active: stats(samples.map((s) => s.activeMs)),
        post: stats(samples.map((s) => s.postMs)),
        samples,
      };
      failed = false;
    } finally {
      await plane.stop(failed);
    }
  }
  result['loadAverageAtEnd'] = loadavg().map((x) => round(x, 2));
  result['wallSeconds'] = round((Date.now() - started) / 1000);
  report(result);
  console.log(`\nwritten ${writeResult('dataplane', result)}`);
}

function report(r: Json): void {
  const met = (ok: boolean) => (ok ? 'met' : 'MISS');
  console.log('\n| measurement | p50 | p99 | max | target | |');
  console.log('|---|---|---|---|---|---|');
  if (r.createFresh) {
    const f = r.createFresh;
    console.log(`| create -> first 200, no spare (n=${f.firstOk.n}) | ${f.firstOk.p50} ms | ${f.firstOk.p99} ms | ${f.firstOk.max} ms | p50 <= 500, p99 <= 1500 | ${met(f.firstOk.p50 <= 500 && f.firstOk.p99 <= 1500)} |`);
    console.log(`| create -> ACTIVE, no spare | ${f.active.p50} ms | ${f.active.p99} ms | ${f.active.max} ms | | |`);
  }
  if (r.createSpare) {
    const s = r.createSpare;
    console.log(`| create -> first 200, spare (n=${s.firstOk.n}) | ${s.firstOk.p50} ms | ${s.firstOk.p99} ms | ${s.firstOk.max} ms | p50 <= 200 | ${met(s.firstOk.p50 <= 200)} |`);
    console.log(`| create -> ACTIVE, spare | ${s.active.p50} ms | ${s.active.p99} ms | ${s.active.max} ms | | |`);
  }
  if (r.memberChurn) {
    const m = r.memberChurn;
    const verdict = (x: Stats) => `${met(x.p50 <= 150)} (p50)${x.max > 150 ? ', max over' : ''}`;
    console.log(`| member add -> first request (n=${m.addToFirstRequest.n}) | ${m.addToFirstRequest.p50} ms | | ${m.addToFirstRequest.max} ms | <= 150 | ${verdict(m.addToFirstRequest)} |`);
    console.log(`| member delete -> last request | ${m.deleteToLastRequest.p50} ms | | ${m.deleteToLastRequest.max} ms | <= 150 | ${verdict(m.deleteToLastRequest)} |`);
    console.log(`| member add -> ACTIVE | ${m.addToActive.p50} ms | | ${m.addToActive.max} ms | | |`);
    console.log(`| member delete -> ACTIVE | ${m.deleteToActive.p50} ms | | ${m.deleteToActive.max} ms | | |`);
    console.log(`| (requests after ACTIVE: ${m.requestsAfterActive.join(',')}; load failed ${m.load.failed} of ${m.load.sent}) | | | | | |`);
  }
  if (r.changesUnderLoad) {
    const c = r.changesUnderLoad;
    console.log(`| ${c.changes} changes under load: failed / sent | ${c.load.failed} / ${c.load.sent} | | | 0 failed | ${met(c.load.failed === 0)} |`);
    console.log(`| change -> ACTIVE | ${c.durationMs.all.p50} ms | ${c.durationMs.all.p99} ms | ${c.durationMs.all.max} ms | | |`);
  }
  if (r.throughput) {
    const rows = r.throughput.rows as ThroughputRow[];
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const rps = (name: string) => mean(rows.find((x) => x.target === name)!.rps);
    const lb = rps('octavius LB');
    const hand = rps('hand-written haproxy');
    const copy = rps('rendered config, plain netns');
    const direct = rps('direct (one member)');
    console.log(`\nthroughput (${r.throughput.connections} keep-alive connections):`);
    console.log('| target | req/s (pass 1 / 2) | p50 ms | p99 ms | haproxy µs CPU/req | agent µs CPU/req | failed |');
    console.log('|---|---|---|---|---|---|---|');
    for (const row of rows) {
      console.log(
        `| ${row.target} | ${row.rps.join(' / ')} | ${row.p50Ms.join(' / ')} | ${row.p99Ms.join(' / ')} | ${row.haproxyUsPerRequest.join(' / ') || '-'} | ${row.agentUsPerRequest.join(' / ') || '-'} | ${row.failed} |`,
      );
    }
    console.log(
      `LB / hand-written: ${round(lb / hand, 2)} (target >= 0.9: ${met(lb / hand >= 0.9)}); rendered config in a plain namespace / hand-written: ${round(copy / hand, 2)}; LB / direct: ${round(lb / direct, 2)}`,
    );
  }
}

try {
  await main();
} finally {
  cleanupAll();
}
