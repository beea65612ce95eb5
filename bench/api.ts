/**
 * bench/api: API cost and provisioning throughput (issue: control plane, §6).
 *
 * Starts `octavius api` (from dist/, SQLite in a temp dir; a worker only while the fixtures are
 * built) and measures, at 8 concurrent
 * connections, requests/s, p50/p99 latency and the API process's CPU-ms per request for: list with
 * 0 and with 100 load balancers, show one load balancer, its status tree, and POST create. Then
 * starts `octavius up` (API + worker) and times 100 creates until all are ACTIVE. Prints a table and
 * writes bench/results/api.json.
 *
 * Usage: npm run build && node --import tsx bench/api.ts [--requests N] [--connections C]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { cpuMs, dbUpgrade, freePort, percentile, rssMiB, startOctavius, writeResult } from './lib.js';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const REQUESTS = arg('requests', 2000);
const CONNECTIONS = arg('connections', 8);
const SUBNET = '8b3c1a4e-7b3b-4a0b-9f8f-0f6d2b8c9d10';
const HEADERS = { 'content-type': 'application/json', 'x-project-id': 'bench' };

function config(dir: string, port: number): string {
  const file = join(dir, 'octavius.conf');
  writeFileSync(
    file,
    [
      '[DEFAULT]',
      `state_path = ${dir}`,
      '[api_settings]',
      `bind_port = ${port}`,
      'auth_strategy = noauth',
      '[task_flow]',
      'job_poll_interval = 0.05',
      '',
    ].join('\n'),
  );
  return file;
}

interface Scenario {
  readonly name: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
}

interface Measured {
  readonly scenario: string;
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly apiCpuMsPerRequest: number;
  readonly errors: number;
}

async function measure(pool: Pool, pid: number, s: Scenario, total: number): Promise<Measured> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const one = async (): Promise<void> => {
    const started = performance.now();
    const res = await pool.request({ method: s.method, path: s.path, headers: HEADERS, ...(s.body ? { body: s.body } : {}) });
    await res.body.text();
    if (res.statusCode >= 400) errors++;
    latencies.push(performance.now() - started);
  };
  // Warm up, then measure.
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    for (let i = 0; i < 150; i++) await one();
  }));
  latencies.length = 0;
  errors = 0;
  const cpuBefore = cpuMs(pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < total) {
        next++;
        await one();
      }
    }),
  );
  const elapsed = performance.now() - started;
  const cpu = cpuMs(pid) - cpuBefore;
  latencies.sort((a, b) => a - b);
  return {
    scenario: s.name,
    requests: latencies.length,
    rps: Math.round((latencies.length / elapsed) * 1000),
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
    apiCpuMsPerRequest: Number((cpu / latencies.length).toFixed(3)),
    errors,
  };
}

async function post(url: string, path: string, body: unknown): Promise<{ [k: string]: { id: string } }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { [k: string]: { id: string } };
}

async function apiCost(): Promise<{ results: Measured[]; rssMiB: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'octavius-bench-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // The API alone: nothing moves objects out of PENDING_*, which does not matter for its cost.
  // A worker in another process marks them ACTIVE so that child objects can be added.
  const file = config(dir, port);
  await dbUpgrade(file);
  const api = await startOctavius('api', file, url);
  const worker = await startOctavius('worker', file);
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  try {
    const results: Measured[] = [];
    results.push(await measure(pool, api.pid!, { name: 'list (0 LBs)', method: 'GET', path: '/v2/lbaas/loadbalancers' }, REQUESTS));

    // One load balancer with a listener, a pool and two members for show and status tree.
    const lb = (await post(url, '/v2/lbaas/loadbalancers', {
      loadbalancer: {
        vip_subnet_id: SUBNET,
        name: 'bench',
        listeners: [
          {
            name: 'l1',
            protocol: 'HTTP',
            protocol_port: 80,
            default_pool: {
              name: 'p1',
              protocol: 'HTTP',
              lb_algorithm: 'ROUND_ROBIN',
              healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 },
              members: [
                { address: '198.18.0.10', protocol_port: 8080 },
                { address: '198.18.0.11', protocol_port: 8080 },
              ],
            },
          },
        ],
      },
    })).loadbalancer!;
    // Let the worker make the graph ACTIVE, then stop it: what follows measures the API alone
    // ("against a running octavius api"), not the API competing with a worker for the SQLite lock.
    for (const deadline = Date.now() + 30_000; ; ) {
      const shown = (await (await fetch(`${url}/v2/lbaas/loadbalancers/${lb.id}`, { headers: HEADERS })).json()) as { loadbalancer: { provisioning_status: string } };
      if (shown.loadbalancer.provisioning_status === 'ACTIVE') break;
      if (Date.now() > deadline) throw new Error('benchmark load balancer not ACTIVE');
      await new Promise((r) => setTimeout(r, 50));
    }
    worker.kill('SIGTERM');
    results.push(await measure(pool, api.pid!, { name: 'show LB', method: 'GET', path: `/v2/lbaas/loadbalancers/${lb.id}` }, REQUESTS));
    results.push(await measure(pool, api.pid!, { name: 'status tree', method: 'GET', path: `/v2/lbaas/loadbalancers/${lb.id}/status` }, REQUESTS));

    const body = JSON.stringify({ loadbalancer: { vip_subnet_id: SUBNET, name: 'created' } });
    results.push(await measure(pool, api.pid!, { name: 'POST create', method: 'POST', path: '/v2/lbaas/loadbalancers', body }, Math.min(REQUESTS, 1000)));

    // Exactly 100 load balancers for list-100 (delete is not needed: filter by a project).
    for (let i = 0; i < 100; i++) {
      await fetch(`${url}/v2/lbaas/loadbalancers`, {
        method: 'POST',
        headers: { ...HEADERS, 'x-project-id': 'bench100' },
        body: JSON.stringify({ loadbalancer: { vip_subnet_id: SUBNET, name: `lb${i}` } }),
      });
    }
    results.push(
      await measure(pool, api.pid!, { name: 'list (100 LBs)', method: 'GET', path: '/v2/lbaas/loadbalancers?project_id=bench100' }, Math.min(REQUESTS, 1000)),
    );
    return { results, rssMiB: Number(rssMiB(api.pid!).toFixed(1)) };
  } finally {
    await pool.close();
    api.kill('SIGTERM');
    worker.kill('SIGTERM');
  }
}

async function provisioning(count: number): Promise<{ count: number; wallSeconds: number; lbPerSecond: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'octavius-bench-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const up = await startOctavius('up', config(dir, port), url);
  try {
    const started = performance.now();
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (next < count) {
          next++;
          const res = await post(url, '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } });
          ids.push(res.loadbalancer!.id);
        }
      }),
    );
    const pending = new Set(ids);
    while (pending.size > 0) {
      const res = await fetch(`${url}/v2/lbaas/loadbalancers?provisioning_status=ACTIVE&fields=id&limit=infinite`, { headers: HEADERS });
      const list = (await res.json()) as { loadbalancers: { id: string }[] };
      for (const lb of list.loadbalancers) pending.delete(lb.id);
      if (pending.size > 0) await new Promise((r) => setTimeout(r, 20));
      if (performance.now() - started > 120_000) throw new Error(`${pending.size} load balancers not ACTIVE after 120 s`);
    }
    const wall = (performance.now() - started) / 1000;
    return { count, wallSeconds: Number(wall.toFixed(2)), lbPerSecond: Number((count / wall).toFixed(1)) };
  } finally {
    up.kill('SIGTERM');
  }
}

const UPSTREAM_CPU_MS: Record<string, string> = {
  'list (0 LBs)': '4.8',
  'show LB': '22',
  'status tree': '22-26',
  'POST create': '26',
  'list (100 LBs)': '48-55',
};
const TARGET_CPU_MS: Record<string, number> = {
  'list (0 LBs)': 4.8 / 20,
  'show LB': 22 / 20,
  'status tree': 22 / 20,
  'POST create': 26 / 20,
  'list (100 LBs)': 48 / 20,
};

const cost = await apiCost();
const prov = await provisioning(100);
console.log(`\nAPI at ${CONNECTIONS} connections (octavius api, SQLite):`);
console.log('| scenario | req/s | p50 ms | p99 ms | API CPU-ms/req | target (20x less than upstream) | upstream CPU-ms |');
console.log('|---|---|---|---|---|---|---|');
for (const r of cost.results) {
  const target = TARGET_CPU_MS[r.scenario]!;
  console.log(
    `| ${r.scenario} | ${r.rps} | ${r.p50Ms} | ${r.p99Ms} | ${r.apiCpuMsPerRequest} | <= ${target.toFixed(2)} ${r.apiCpuMsPerRequest <= target ? 'met' : 'MISSED'} | ${UPSTREAM_CPU_MS[r.scenario]} |`,
  );
}
console.log(`\nAPI process RSS after the runs: ${cost.rssMiB} MiB (target <= 150 MiB)`);
console.log(`Provisioning (octavius up, noop drivers): ${prov.count} creates all ACTIVE in ${prov.wallSeconds} s = ${prov.lbPerSecond} LB/s (target <= 5 s)`);
const file = writeResult('api', { date: new Date().toISOString(), connections: CONNECTIONS, api: cost.results, apiRssMiB: cost.rssMiB, provisioning: prov });
console.log(`\nwritten ${file}`);
