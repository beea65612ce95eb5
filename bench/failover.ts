/**
 * bench/failover: the client-visible outage when the amphora of a SINGLE load balancer dies
 * (issue 4, deliverable 7, failover part).
 *
 * Starts the built `octavius up` (dist/) as root with the real data plane, like bench/dataplane.ts
 * (its own state directory, API port, name prefix, management network and VIP network whose gateway
 * address the host holds), with the health manager listening on the management network's host
 * address so that amphorae's heartbeats reach it. Member servers are Node HTTP servers of this
 * process on the VIP subnet's gateway address.
 *
 * One load balancer (HTTP listener, pool of 2 members, single-call create). A client sends a GET on
 * a new connection every 5 ms (200 ms timeout) to the VIP and logs each result with its send time.
 * Then the amphora is destroyed as a dead host would be: every process in its namespace gets
 * SIGKILL (`ip netns pids`) and the namespace is deleted. Outage = send time of the first success
 * after which every request succeeds, minus send time of the first failed request. Also: kill ->
 * load balancer ACTIVE again on a new amphora. N times without a spare pool, N times with a spare
 * pool of 1 (a READY spare before each destruction).
 *
 * Prints the numbers and writes bench/results/failover.json. Not a test: nothing asserts a time.
 * Everything it creates is removed at the end, after a failure and on SIGINT/SIGTERM.
 *
 * Usage (root): npm run -s build && node --import tsx bench/failover.ts [--runs 5] [--only fresh,spare]
 *   [--heartbeat-timeout 3] [--default-arp]
 * (a run with a non-default --heartbeat-timeout or --default-arp writes bench/results/failover-<variant>.json)
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { benchArgs, root, writeResult } from './lib.js';
import { apiOk, cleanupAll, logTail, probe, round, sleep, startMember, startPlane, stats, type Json, type Plane } from './netns-plane.js';

const { arg, only, flag } = benchArgs();

const RUNS = arg('runs', 5);
/** `[health_manager] heartbeat_timeout` (Octavius's default: 3). */
const HEARTBEAT_TIMEOUT = arg('heartbeat-timeout', 3);
/** Keep the kernel's 1 s ARP retransmit on the VIP bridge (see startPlane). */
const DEFAULT_ARP = flag('default-arp');
const VARIANT = [HEARTBEAT_TIMEOUT !== 3 ? `hbt${HEARTBEAT_TIMEOUT}` : '', DEFAULT_ARP ? 'default-arp' : ''].filter(Boolean).join('-');
const RESULT_NAME = VARIANT ? `failover-${VARIANT}` : 'failover';
/** Client: one request on a new connection every PERIOD_MS, each failing after TIMEOUT_MS. */
const PERIOD_MS = 5;
const TIMEOUT_MS = 200;
/** After ACTIVE again, the client keeps going this long so that late failures are seen. */
const SETTLE_MS = 3000;
const MEMBER_PORTS = [18301, 18302] as const;

if (process.getuid?.() !== 0) {
  console.error('bench/failover needs root (network namespaces, bridges)');
  process.exit(2);
}

// Clean-up stack, member servers, `octavius up` (startPlane), api/apiOk, probe, stats: ./netns-plane.ts.

/**
 * One `octavius up` with the real data plane and the health manager on the management network
 * (amphorae's heartbeats reach it). The failover flows' log is always kept: it is the explanation
 * of the numbers.
 */
function startFailoverPlane(spares: number): Promise<Plane> {
  return startPlane({
    tag: 'bf',
    stateTag: 'fo',
    spares,
    spareCheckInterval: 1,
    // As bench/dataplane.ts: unanswered ARP requests for the VIP re-sent every 10 ms, not 1 s, on this
    // benchmark's own bridge only (a client on the VIP's L2 segment with default settings: --default-arp).
    defaultArp: DEFAULT_ARP,
    healthManager: HEARTBEAT_TIMEOUT !== 3 ? { heartbeatTimeout: HEARTBEAT_TIMEOUT } : {},
    keptLog: (_prefix, failed) => join(root, 'bench', 'results', `${RESULT_NAME}-${spares > 0 ? 'spare' : 'fresh'}${failed ? '-failed' : ''}.log`),
  });
}

// ---------------------------------------------------------------------------------------------
// API helpers.

async function lbStatus(plane: Plane, lbId: string): Promise<string> {
  return (await apiOk(plane, 'GET', `/v2/lbaas/loadbalancers/${lbId}`)).loadbalancer.provisioning_status as string;
}

interface Amphora {
  id: string;
  compute_id: string;
  status: string;
  loadbalancer_id: string | null;
}

async function lbAmphorae(plane: Plane, lbId: string): Promise<Amphora[]> {
  return (await apiOk(plane, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).amphorae as Amphora[];
}

async function readySpares(plane: Plane): Promise<Amphora[]> {
  const r = await apiOk(plane, 'GET', '/v2/octavia/amphorae?status=READY');
  return (r.amphorae as Amphora[]).filter((a) => !a.loadbalancer_id);
}

async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | null | undefined | false>, everyMs = 20): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The client: a GET on a new connection every PERIOD_MS.

interface Sample {
  /** performance.now() when sent. */
  readonly at: number;
  /** 'ok' or the failure kind. */
  result: string | null;
}

function startClient(host: string): { samples: Sample[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const s: Sample = { at: performance.now(), result: null };
    samples.push(s);
    const p = probe(host, 80, TIMEOUT_MS).then((r) => {
      s.result = 'status' in r ? (r.status === 200 ? 'ok' : `status ${r.status}`) : r.error;
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }, PERIOD_MS);
  return {
    samples,
    async stop() {
      clearInterval(timer);
      await Promise.all([...pending]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One destruction.

interface Run {
  readonly run: number;
  /** Outage seen by the client (ms); 0 when no request failed, null when it never recovered. */
  readonly outageMs: number | null;
  /** Kill -> first failed request sent (negative: sent before the kill and failed). */
  readonly killToFirstFailureMs: number | null;
  /** Kill -> load balancer seen leaving ACTIVE (the failover started: detection). */
  readonly killToDetectedMs: number | null;
  /** Kill -> load balancer ACTIVE on a new amphora. */
  readonly killToActiveMs: number;
  /** Kill -> the first success of the lasting recovery. */
  readonly killToRecoveredMs: number | null;
  readonly failedRequests: number;
  readonly failures: Record<string, number>;
  readonly requestsPerSecond: number;
  readonly usedSpare: boolean | null;
}

function destroyNamespace(netns: string): number {
  let pids: string[] = [];
  try {
    pids = execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
  } catch {
    // already gone
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  try {
    execFileSync('ip', ['netns', 'delete', netns], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    // gone
  }
  return pids.length;
}

async function failoverOnce(plane: Plane, lbId: string, vip: string, run: number, withSpare: boolean): Promise<Run> {
  const current = await waitFor('one ALLOCATED amphora', 30_000, async () => {
    const amps = (await lbAmphorae(plane, lbId)).filter((a) => a.status === 'ALLOCATED');
    return amps.length === 1 ? amps[0]! : null;
  });
  let spareIds: Set<string> | null = null;
  if (withSpare) {
    const spares = await waitFor('a READY spare', 120_000, async () => {
      const s = await readySpares(plane);
      return s.length > 0 ? s : null;
    }, 100);
    spareIds = new Set(spares.map((s) => s.id));
  }
  const client = startClient(vip);
  // A second of steady traffic first: failures before the kill are the set-up's, not the failover's.
  await sleep(1000);
  const killAt = performance.now();
  const killed = destroyNamespace(current.compute_id);
  let detectedAt: number | null = null;
  let replacement: Amphora | null = null;
  const activeAt = await waitFor('ACTIVE on a new amphora', 120_000, async () => {
    const status = await lbStatus(plane, lbId);
    if (status !== 'ACTIVE' && detectedAt === null) detectedAt = performance.now();
    if (status === 'ERROR') throw new Error(`load balancer ${lbId} went ERROR after run ${run}: ${logTail(plane.logFile)}`);
    if (status !== 'ACTIVE') return null;
    const amps = (await lbAmphorae(plane, lbId)).filter((a) => a.status === 'ALLOCATED' && a.id !== current.id);
    if (amps.length === 0) return null;
    replacement = amps[0]!;
    return performance.now();
  });
  await sleep(SETTLE_MS);
  await client.stop();
  const samples = client.samples;
  const after = samples.filter((s) => s.at >= killAt - TIMEOUT_MS);
  const failedSamples = after.filter((s) => s.result !== 'ok');
  const failures: Record<string, number> = {};
  for (const s of failedSamples) failures[s.result!] = (failures[s.result!] ?? 0) + 1;
  const before = samples.filter((s) => s.at < killAt - TIMEOUT_MS && s.result !== 'ok').length;
  // No failed request at all: no outage. Null only when the client never recovered.
  let outageMs: number | null = 0;
  let firstFailAt: number | null = null;
  let recoveredAt: number | null = null;
  if (failedSamples.length > 0) {
    firstFailAt = failedSamples[0]!.at;
    const lastFail = failedSamples[failedSamples.length - 1]!;
    const recovered = after.find((s) => s.at > lastFail.at && s.result === 'ok');
    recoveredAt = recovered?.at ?? null;
    outageMs = recoveredAt === null ? null : recoveredAt - firstFailAt;
  }
  const seconds = (samples[samples.length - 1]!.at - samples[0]!.at) / 1000;
  const r: Run = {
    run,
    outageMs: outageMs === null ? null : round(outageMs, 0),
    killToFirstFailureMs: firstFailAt === null ? null : round(firstFailAt - killAt, 0),
    killToDetectedMs: detectedAt === null ? null : round(detectedAt - killAt, 0),
    killToActiveMs: round(activeAt - killAt, 0),
    killToRecoveredMs: recoveredAt === null ? null : round(recoveredAt - killAt, 0),
    failedRequests: failedSamples.length,
    failures,
    requestsPerSecond: round(samples.length / seconds, 0),
    usedSpare: spareIds === null ? null : spareIds.has((replacement as Amphora | null)?.id ?? ''),
  };
  console.log(
    `  run ${run}: killed ${killed} processes; outage ${r.outageMs} ms (kill -> first failure ${r.killToFirstFailureMs}, -> detected ${r.killToDetectedMs}, -> recovered ${r.killToRecoveredMs}, -> ACTIVE ${r.killToActiveMs} ms); ${r.failedRequests} failed ${JSON.stringify(failures)}; ${r.requestsPerSecond} req/s${before > 0 ? `; ${before} failed before the kill` : ''}${r.usedSpare !== null ? `; spare used: ${r.usedSpare}` : ''}`,
  );
  return r;
}

async function scenario(name: 'fresh' | 'spare'): Promise<{ runs: Run[]; createToActiveMs: number }> {
  const withSpare = name === 'spare';
  console.log(`starting octavius up (${withSpare ? 'spare pool of 1' : 'no spare pool'})`);
  const plane = await startFailoverPlane(withSpare ? 1 : 0);
  let failed = true;
  try {
    await Promise.all(MEMBER_PORTS.map((p, i) => startMember(`m${i + 1}`, plane.gateway, p)));
    if (withSpare) await waitFor('a READY spare', 120_000, async () => (await readySpares(plane)).length > 0, 100);
    const t0 = performance.now();
    const created = await apiOk(plane, 'POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: {
        name: `fo-${name}`,
        vip_subnet_id: plane.subnetId,
        listeners: [
          {
            name: 'l',
            protocol: 'HTTP',
            protocol_port: 80,
            default_pool: {
              name: 'p',
              protocol: 'HTTP',
              lb_algorithm: 'ROUND_ROBIN',
              members: MEMBER_PORTS.map((port, i) => ({ name: `m${i + 1}`, address: plane.gateway, protocol_port: port, subnet_id: plane.subnetId })),
            },
          },
        ],
      },
    });
    const lbId = created.loadbalancer.id as string;
    const vip = created.loadbalancer.vip_address as string;
    await waitFor('ACTIVE after create', 60_000, async () => {
      const s = await lbStatus(plane, lbId);
      if (s === 'ERROR') throw new Error('create went ERROR');
      return s === 'ACTIVE';
    });
    const createToActiveMs = round(performance.now() - t0, 0);
    console.log(`  load balancer ${lbId} ACTIVE in ${createToActiveMs} ms, VIP ${vip}`);
    const runs: Run[] = [];
    for (let i = 1; i <= RUNS; i++) runs.push(await failoverOnce(plane, lbId, vip, i, withSpare));
    failed = false;
    return { runs, createToActiveMs };
  } finally {
    await plane.stop(failed);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    settings: { runs: RUNS, periodMs: PERIOD_MS, timeoutMs: TIMEOUT_MS, settleMs: SETTLE_MS, heartbeatInterval: 1, heartbeatTimeout: HEARTBEAT_TIMEOUT, healthCheckInterval: 1, defaultArp: DEFAULT_ARP },
    loadAverageAtStart: loadavg().map((x) => round(x, 2)),
  };
  for (const name of ['fresh', 'spare'] as const) {
    if (!only(name)) continue;
    const { runs, createToActiveMs } = await scenario(name);
    result[name] = {
      outage: stats(runs.map((r) => r.outageMs)),
      killToActive: stats(runs.map((r) => r.killToActiveMs)),
      killToDetected: stats(runs.map((r) => r.killToDetectedMs)),
      createToActiveMs,
      runs,
    };
  }
  result['loadAverageAtEnd'] = loadavg().map((x) => round(x, 2));
  result['wallSeconds'] = round((Date.now() - started) / 1000);
  const met = (ok: boolean) => (ok ? 'met' : 'MISS');
  console.log('\n| scenario | outage p50 | outage max | kill -> detected p50 | kill -> ACTIVE p50 / max | target | |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, target] of [['fresh', 5000], ['spare', 3000]] as const) {
    const r = result[name] as Json;
    if (!r) continue;
    console.log(
      `| ${name === 'fresh' ? 'no spare' : 'spare pool 1'} (n=${r.runs.length}) | ${r.outage.p50} ms | ${r.outage.max} ms | ${r.killToDetected.p50} ms | ${r.killToActive.p50} / ${r.killToActive.max} ms | <= ${target} ms | ${met(r.outage.n === r.runs.length && r.outage.max <= target)} |`,
    );
  }
  console.log(`\nwritten ${writeResult(RESULT_NAME, result)}`);
}

try {
  await main();
} finally {
  cleanupAll();
}
