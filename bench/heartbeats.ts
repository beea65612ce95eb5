/**
 * bench/heartbeats: heartbeats processed per second by one HeartbeatReceiver (src/health/receiver.ts,
 * what `octavius health-manager` runs), on SQLite and on PostgreSQL (issue 4, target >= 5,000/s).
 *
 * Setup per engine: a fresh database; two template load balancers created through the API with the
 * noop drivers (one with one HTTP listener, one with two; each listener a pool of three members),
 * then cloned in SQL to `--amphorae` load balancers with one amphora each. The receiver runs in
 * this process on 127.0.0.1; a sender in a child process sends upstream's v3 datagrams (zlib +
 * HMAC-SHA256 hex, src/health/heartbeat-codec.ts, delta stats, a member going DOWN/UP now and then
 * so that some heartbeats change statuses) over UDP loopback, round robin over the amphorae with
 * increasing `seq`, paced at each rate of `--rates` for `--seconds`. Datagrams are encoded before
 * each step so that the sender's CPU does not limit the rate.
 *
 * Per step: sent; received by the socket (the rest were dropped by the kernel: receive buffer full);
 * processed (written to the database); accepted/s = processed / (send time + time to drain the
 * queue after the last datagram); drain lag; CPU of this process per heartbeat (receiver + database
 * client; for SQLite the database work itself). Prints a table and writes bench/results/heartbeats.json.
 *
 * Usage: node --import tsx bench/heartbeats.ts [--engines sqlite,postgresql] [--amphorae 5000]
 *        [--rates 1000,2500,5000,10000,20000] [--seconds 5] [--rcvbuf 0]
 * PostgreSQL: the server at 127.0.0.1:5432 (trust auth, user postgres); a database is created and
 * dropped.
 */
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Engine } from '../src/db/connect.js';
import { createTestDatabase } from '../test/support/databases.js';
import { buildApi, buildDrivers, buildWorker, openStore } from '../src/cli/compose.js';
import { defaultConfig, withOverrides } from '../src/config/config.js';
import type { Store } from '../src/db/store.js';
import { encodeHeartbeat, type Heartbeat } from '../src/health/heartbeat-codec.js';
import { HeartbeatReceiver } from '../src/health/receiver.js';
import { systemClock } from '../src/lib/clock.js';
import { newId } from '../src/lib/ids.js';
import { silentLogger } from '../src/lib/logger.js';
import { writeResult } from './lib.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : def;
};
const KEY = 'bench-heartbeat-key';
const SUBNET = '8b3c1a4e-7b3b-4a0b-9f8f-0f6d2b8c9d10';

/** What the sender needs to know of one amphora. */
interface AmphoraShape {
  readonly id: string;
  readonly listeners: readonly { readonly id: string; readonly poolId: string; readonly members: readonly string[] }[];
}

type ToSender = { type: 'init'; port: number; amphorae: AmphoraShape[] } | { type: 'run'; rate: number; seconds: number } | { type: 'exit' };
type FromSender = { type: 'sent'; sent: number; sendErrors: number; elapsedMs: number; bytes: number };

// ---------------------------------------------------------------------------------------------
// The sender (child process).

if (args.includes('--sender')) {
  const socket = createSocket('udp4');
  let port = 0;
  let amphorae: AmphoraShape[] = [];
  const seq = new Map<string, number>();
  let next = 0;

  const message = (a: AmphoraShape): Buffer => {
    const s = (seq.get(a.id) ?? 0) + 1;
    seq.set(a.id, s);
    const listeners: Record<string, Heartbeat['listeners'][string]> = {};
    const pools: Record<string, Heartbeat['pools'][string]> = {};
    for (const l of a.listeners) {
      listeners[l.id] = { status: 'OPEN', stats: { tx: 1000 + (s % 97), rx: 300 + (s % 13), conns: s % 5, totconns: 3, ereq: s % 31 === 0 ? 1 : 0 } };
      // Every 40th heartbeat of an amphora reports its first member DOWN: a status change, and
      // one back to ONLINE in the next heartbeat.
      const members: Record<string, string> = {};
      l.members.forEach((m, i) => (members[m] = i === 0 && s % 40 === 0 ? 'DOWN' : 'UP'));
      pools[`${l.poolId}:${l.id}`] = { status: 'UP', members };
    }
    return encodeHeartbeat({ id: a.id, seq: s, ver: 3, listeners, pools }, KEY);
  };

  process.on('message', (m: ToSender) => {
    if (m.type === 'init') {
      port = m.port;
      amphorae = m.amphorae;
      return;
    }
    if (m.type === 'exit') {
      socket.close();
      process.disconnect?.();
      return;
    }
    const total = Math.round(m.rate * m.seconds);
    const datagrams: Buffer[] = [];
    let bytes = 0;
    for (let i = 0; i < total; i++) {
      const d = message(amphorae[next++ % amphorae.length]!);
      bytes += d.length;
      datagrams.push(d);
    }
    let sent = 0;
    let sendErrors = 0;
    let done = 0;
    const start = performance.now();
    const finish = () => process.send!({ type: 'sent', sent, sendErrors, elapsedMs: performance.now() - start, bytes: Math.round(bytes / total) } satisfies FromSender);
    const onSent = (err: Error | null) => {
      if (err) sendErrors++;
      if (++done === total) finish();
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * m.rate));
      while (sent < due) socket.send(datagrams[sent++]!, port, '127.0.0.1', onSent);
      if (sent < total) setImmediate(tick);
    };
    tick();
  });
} else {
  await main();
}

// ---------------------------------------------------------------------------------------------
// The receiver side (this process).

async function main(): Promise<void> {
  const engines = arg('engines', 'sqlite,postgresql').split(',');
  const amphoraCount = Number(arg('amphorae', '5000'));
  const rates = arg('rates', '1000,2500,5000,10000,20000').split(',').map(Number);
  const seconds = Number(arg('seconds', '5'));
  const rcvbuf = Number(arg('rcvbuf', '0'));
  const results: unknown[] = [];
  for (const engine of engines) {
    // A fresh database as the tests make them (PostgreSQL: a new database on this machine's server).
    const db = await createTestDatabase(engine as Engine);
    try {
      results.push({ engine, amphorae: amphoraCount, rcvbuf, steps: await benchEngine(engine, db.url, amphoraCount, rates, seconds, rcvbuf) });
    } finally {
      await db.drop();
    }
  }
  const file = writeResult('heartbeats', { when: new Date().toISOString(), results });
  console.log(`\nwritten ${file}`);
}


interface Step {
  rate: number;
  sent: number;
  received: number;
  kernelDrops: number;
  processed: number;
  failed: number;
  unknownAmphora: number;
  sendSeconds: number;
  drainLagMs: number;
  acceptedPerSecond: number;
  cpuUsPerHeartbeat: number;
  datagramBytes: number;
}

async function benchEngine(engine: string, url: string, amphoraCount: number, rates: readonly number[], seconds: number, rcvbuf: number): Promise<Step[]> {
  const state = mkdtempSync(join(tmpdir(), 'octavius-bench-state-'));
  const config = withOverrides(defaultConfig(), {
    DEFAULT: { host: 'bench', state_path: state },
    api_settings: { auth_strategy: 'noauth' },
    task_flow: { job_poll_interval: 0.02 },
    database: { connection: url },
  });
  const log = silentLogger();
  const { db, store } = await openStore(config, log, systemClock, { migrate: true });
  const child = fork(new URL(import.meta.url).pathname, ['--sender'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  try {
    const t0 = performance.now();
    const amphorae = await seed(config, log, db, store, amphoraCount);
    console.log(`\n[${engine}] ${amphorae.length} load balancers/amphorae seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const receiver = new HeartbeatReceiver({
      store,
      log,
      clock: systemClock,
      bindIp: '127.0.0.1',
      bindPort: 0,
      key: KEY,
      heartbeatIntervalMs: 10_000,
      restartWindowMs: 30_000,
      receiveBufferBytes: rcvbuf,
    });
    await receiver.start();
    child.send({ type: 'init', port: receiver.address().port, amphorae } satisfies ToSender);
    const steps: Step[] = [];
    console.log('rate/s   sent     received  k.drops  processed  accepted/s  drain lag  CPU µs/hb  bytes');
    for (const rate of rates) {
      const before = { ...receiver.counters };
      const cpu0 = process.cpuUsage();
      const done = new Promise<FromSender>((resolve) => child.once('message', (m: FromSender) => resolve(m)));
      child.send({ type: 'run', rate, seconds } satisfies ToSender);
      const sent = await done;
      const sentAt = performance.now();
      // Datagrams still in flight or in the socket buffer: wait until nothing arrives for 200 ms,
      // then until the queue is written.
      let last = receiver.counters.received;
      for (;;) {
        await new Promise((r) => setTimeout(r, 200));
        if (receiver.counters.received === last) break;
        last = receiver.counters.received;
      }
      await receiver.idle();
      const drainLagMs = Math.max(0, performance.now() - sentAt - 200);
      const cpu = process.cpuUsage(cpu0);
      const d = (k: keyof typeof before) => receiver.counters[k] - before[k];
      const step: Step = {
        rate,
        sent: sent.sent,
        received: d('received'),
        kernelDrops: sent.sent - d('received'),
        processed: d('processed'),
        failed: d('failed'),
        unknownAmphora: d('unknownAmphora'),
        sendSeconds: sent.elapsedMs / 1000,
        drainLagMs: Math.round(drainLagMs),
        acceptedPerSecond: Math.round(d('processed') / (sent.elapsedMs / 1000 + drainLagMs / 1000)),
        cpuUsPerHeartbeat: Math.round((cpu.user + cpu.system) / Math.max(1, d('received'))),
        datagramBytes: sent.bytes,
      };
      steps.push(step);
      console.log(
        [
          String(rate).padEnd(8),
          String(step.sent).padEnd(8),
          String(step.received).padEnd(9),
          String(step.kernelDrops).padEnd(8),
          String(step.processed).padEnd(10),
          String(step.acceptedPerSecond).padEnd(11),
          `${step.drainLagMs} ms`.padEnd(10),
          String(step.cpuUsPerHeartbeat).padEnd(10),
          String(step.datagramBytes),
        ].join(' '),
      );
      if (d('rejected') + d('malformed') + d('replayed') > 0) console.log('  unexpected drops:', { rejected: d('rejected'), malformed: d('malformed'), replayed: d('replayed') });
      if (step.failed > 0 || step.unknownAmphora > 0) console.log('  failed batches or unknown amphorae:', { failed: step.failed, unknown: step.unknownAmphora });
    }
    await receiver.stop();
    // Sanity: the heartbeats reached the database.
    const health = await store.executor.selectFrom('amphora_health').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    console.log(`  amphora_health rows: ${Number(health.n)}`);
    return steps;
  } finally {
    child.send({ type: 'exit' } satisfies ToSender);
    await db.close();
    rmSync(state, { recursive: true, force: true });
  }
}

/**
 * Two templates through the API (noop drivers), cloned in SQL: every id of a template's rows
 * replaced by a fresh one, so the copies are load balancers like any other.
 */
async function seed(config: ReturnType<typeof defaultConfig>, log: ReturnType<typeof silentLogger>, db: Parameters<typeof buildDrivers>[2], store: Store, count: number): Promise<AmphoraShape[]> {
  const drivers = buildDrivers(config, log, db);
  await drivers.prepare();
  const worker = buildWorker(config, log, store, drivers);
  const { app } = buildApi(config, log, store, drivers, () => worker.notify());
  await app.ready();
  worker.start();
  const listener = (port: number, name: string) => ({
    protocol: 'HTTP',
    protocol_port: port,
    default_pool: {
      name,
      protocol: 'HTTP',
      lb_algorithm: 'ROUND_ROBIN',
      healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 },
      members: [11, 12, 13].map((n) => ({ address: `198.18.9.${n}`, protocol_port: 8080 })),
    },
  });
  const templates: string[] = [];
  for (const listeners of [[listener(80, 'a')], [listener(80, 'a'), listener(81, 'b')]]) {
    const res = await app.inject({
      method: 'POST',
      url: '/v2/lbaas/loadbalancers',
      headers: { 'content-type': 'application/json', 'x-project-id': 'bench' },
      payload: JSON.stringify({ loadbalancer: { vip_subnet_id: SUBNET, listeners } }),
    });
    if (res.statusCode !== 201) throw new Error(`template create: ${res.statusCode} ${res.body}`);
    templates.push(JSON.parse(res.body).loadbalancer.id);
  }
  for (const id of templates) {
    const deadline = Date.now() + 30_000;
    while ((await store.loadBalancers.get(id))?.provisioningStatus !== 'ACTIVE') {
      if (Date.now() > deadline) throw new Error('template load balancer not ACTIVE');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  await worker.stop();
  await app.close();

  const ex = store.executor;
  type Row = Record<string, unknown>;
  const rowsOf = async (lbId: string) => {
    const lb = await ex.selectFrom('load_balancer').selectAll().where('id', '=', lbId).execute();
    const listeners = await ex.selectFrom('listener').selectAll().where('load_balancer_id', '=', lbId).execute();
    const pools = await ex.selectFrom('pool').selectAll().where('load_balancer_id', '=', lbId).execute();
    const members = pools.length ? await ex.selectFrom('member').selectAll().where('pool_id', 'in', pools.map((p) => p.id)).execute() : [];
    const hms = pools.length ? await ex.selectFrom('health_monitor').selectAll().where('pool_id', 'in', pools.map((p) => p.id)).execute() : [];
    const amphorae = await ex.selectFrom('amphora').selectAll().where('load_balancer_id', '=', lbId).execute();
    return { load_balancer: lb, listener: listeners, pool: pools, member: members, health_monitor: hms, amphora: amphorae } as Record<string, Row[]>;
  };
  const tpl = await Promise.all(templates.map(rowsOf));
  const shapes: AmphoraShape[] = [];
  const out: Record<string, Row[]> = { load_balancer: [], listener: [], pool: [], member: [], health_monitor: [], amphora: [] };
  // The templates themselves are load balancers with an amphora too.
  const total = Math.max(0, count - templates.length);
  for (let i = 0; i < total + templates.length; i++) {
    const t = tpl[i % 2]!;
    const ids = new Map<string, string>();
    for (const table of Object.keys(t)) for (const r of t[table]!) if (typeof r['id'] === 'string') ids.set(r['id'], i < templates.length ? r['id'] : newId());
    const map = (r: Row): Row => {
      const c: Row = {};
      for (const [k, v] of Object.entries(r)) c[k] = typeof v === 'string' && ids.has(v) ? ids.get(v) : v;
      return c;
    };
    if (i >= templates.length) {
      for (const table of Object.keys(t)) {
        for (const r of t[table]!) {
          const c = map(r);
          if (table === 'amphora') c['compute_id'] = `bench-${i}`;
          out[table]!.push(c);
        }
      }
    }
    const amp = t['amphora']![0]!;
    shapes.push({
      id: ids.get(amp['id'] as string)!,
      listeners: t['listener']!.map((l) => {
        const pool = l['default_pool_id'] as string;
        return {
          id: ids.get(l['id'] as string)!,
          poolId: ids.get(pool)!,
          members: t['member']!.filter((m) => m['pool_id'] === pool).map((m) => ids.get(m['id'] as string)!),
        };
      }),
    });
  }
  // Parents first: pools before listeners (default_pool_id), members and monitors after pools.
  for (const table of ['load_balancer', 'pool', 'listener', 'member', 'health_monitor', 'amphora']) {
    const rows = out[table]!;
    const width = Math.max(1, Object.keys(rows[0] ?? { a: 1 }).length);
    const per = Math.max(1, Math.floor(30_000 / width));
    for (let i = 0; i < rows.length; i += per) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- cloned rows of several tables
      await ex.insertInto(table as any).values(rows.slice(i, i + per) as any).execute();
    }
  }
  return shapes;
}
