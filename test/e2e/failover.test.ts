/**
 * Automatic failover with real amphorae and real traffic: the heartbeat receiver and the
 * stale-amphora scanner run as in `octavius up` (heartbeats every second, heartbeat_timeout 3 s).
 *
 * - an amphora whose namespace is deleted (processes killed, then `ip netns delete`) goes ERROR
 *   (compute supervisor), is found stale and replaced: traffic through the same VIP resumes, the
 *   old namespace and its veths are gone, the new amphora is ALLOCATED and reports;
 * - the same with a READY spare in the pool: the spare becomes the load balancer's amphora;
 * - the failover_threshold circuit breaker: two amphorae that stop reporting at once (agents killed,
 *   HAProxy still serving) go FAILOVER_STOPPED and no failover job is created.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildStaleScanner } from '../../src/cli/compose.js';
import { withOverrides } from '../../src/config/config.js';
import { ComputeSupervisor } from '../../src/controller/compute-supervisor.js';
import type { StaleAmphoraScanner } from '../../src/health/stale-scanner.js';
import { newId } from '../../src/lib/ids.js';
import { silentLogger } from '../../src/lib/logger.js';
import { rootSkipReason, startDataPlane, type DataPlane } from '../support/dataplane.js';
import { until, processAlive as alive, kill9 } from './traffic.js';

/** Traffic must flow again within this (detection 3-4 s + build or spare; generous for loaded machines). */
const RESUME_DEADLINE_MS = 30_000;

const hostLinks = (prefix: string): Set<string> =>
  new Set((JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }) || '[]') as { ifname: string }[]).map((l) => l.ifname).filter((n) => n.startsWith(prefix)));
const namespaces = (): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
const pidsIn = (netns: string): number[] =>
  execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' })
    .split('\n')
    .map(Number)
    .filter((p) => p > 0);

/** What a dead host does to an amphora: every process in its namespace killed, then the namespace deleted. */
async function destroyNamespace(netns: string): Promise<void> {
  const pids = pidsIn(netns);
  assert.ok(pids.length >= 2, `agent and HAProxy run in ${netns}`);
  for (const pid of pids) kill9(pid);
  await until(`processes of ${netns} gone`, 10_000, () => (pids.some(alive) ? undefined : true));
  execFileSync('ip', ['netns', 'delete', netns]);
}

describe('automatic failover (health manager)', { skip: rootSkipReason() }, () => {
  let dp: DataPlane;
  let scanner: StaleAmphoraScanner | null = null;
  let supervisor: ComputeSupervisor;
  let port = 18400;

  before(async () => {
    // The spares pool is on (the worker takes READY spares), but nothing refills it unless a test asks.
    dp = await startDataPlane({ healthManager: true, config: { house_keeping: { spare_amphora_pool_size: 1 } } });
    scanner = buildStaleScanner(dp.api.config, dp.api.deps.log, dp.api.store, undefined, () => dp.api.worker?.notify());
    scanner.start();
    supervisor = new ComputeSupervisor({
      compute: dp.api.drivers.supervised!,
      store: dp.api.store,
      log: silentLogger(),
      superviseIntervalMs: 3_600_000, // passes are run by the tests
      reconcileIntervalMs: 3_600_000,
    });
  });
  after(async () => {
    await scanner?.stop();
    await supervisor?.stop();
    await dp?.close();
    if (dp) assert.deepEqual(dp.leftovers(), []);
  });

  async function loadBalancer(name: string) {
    const g = dp.vip4.gateway;
    const p = port++;
    await dp.httpMember(name, g, p);
    const lb = await dp.createLoadBalancer({
      name,
      listeners: [
        {
          protocol: 'HTTP',
          protocol_port: 80,
          default_pool: { name: `${name}-pool`, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: g, protocol_port: p, subnet_id: dp.vip4.id }] },
        },
      ],
    });
    const [amphora] = await dp.api.store.amphorae.forLoadBalancer(lb.id);
    assert.ok(amphora?.computeId);
    // Monitored from its first heartbeat on.
    await until(`first heartbeat of ${amphora.id}`, 10_000, () => healthOf(amphora.id));
    assert.equal((await dp.http(`http://${lb.vip}/`)).json.member, name);
    return { ...lb, name, amphora };
  }

  const healthOf = async (amphoraId: string) =>
    (await dp.api.store.executor.selectFrom('amphora_health').selectAll().where('amphora_id', '=', amphoraId).executeTakeFirst()) ?? undefined;
  const serves = (vip: string, member: string) => async () => {
    const r = await dp.http(`http://${vip}/`, { timeoutMs: 1000 });
    return r.status === 200 && r.json?.member === member ? true : undefined;
  };

  /** Destroys the amphora of `lb`, waits for traffic through its VIP; returns the replacement. */
  async function failOverByDestruction(lb: Awaited<ReturnType<typeof loadBalancer>>, linksOfAmphora: Set<string>, t: { diagnostic(m: string): void }, markError: boolean) {
    const old = lb.amphora;
    const started = Date.now();
    await destroyNamespace(old.computeId!);
    if (markError) {
      // As `up`'s compute supervisor does within a second: the namespace is gone → ERROR.
      await supervisor.supervise();
      assert.equal((await dp.api.store.amphorae.get(old.id))?.status, 'ERROR');
    }
    await until('traffic through the same VIP', RESUME_DEADLINE_MS, serves(lb.vip, lb.name), 100);
    t.diagnostic(`client-visible outage: ${Date.now() - started} ms`);
    await dp.waitActive(lb.id);

    const lbNow = (await dp.api.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer;
    assert.equal(lbNow.provisioning_status, 'ACTIVE');
    assert.equal(lbNow.vip_address, lb.vip, 'the same VIP');
    const amphorae = await dp.api.store.amphorae.forLoadBalancer(lb.id);
    assert.equal(amphorae.length, 1, 'one amphora (SINGLE)');
    const replacement = amphorae[0]!;
    assert.notEqual(replacement.id, old.id);
    assert.equal(replacement.status, 'ALLOCATED');
    assert.equal(replacement.role, 'STANDALONE');
    assert.equal((await dp.api.store.amphorae.get(old.id))?.status, 'DELETED');
    assert.equal(await healthOf(old.id), undefined, 'the old health row is removed');
    await until('the new amphora reports', 10_000, async () => {
      const h = await healthOf(replacement.id);
      return h && Date.now() - Number(h.last_update) < 3000 && Number(h.busy) === 0 ? true : undefined;
    });
    assert.ok(!namespaces().includes(old.computeId!), 'old namespace gone');
    const links = hostLinks(dp.prefix);
    assert.deepEqual([...linksOfAmphora].filter((l) => links.has(l)), [], 'old veths gone');
    const jobs = (await dp.api.store.jobs.forResource(old.id)).filter((j) => j.kind === 'failover_amphora');
    assert.deepEqual(
      jobs.map((j) => j.state),
      ['succeeded'],
      'one failover job, from the scanner',
    );
    return replacement;
  }

  test('the namespace of an amphora is deleted: it goes ERROR, is failed over, traffic resumes through the same VIP', async (t) => {
    const linksBefore = hostLinks(dp.prefix);
    const lb = await loadBalancer('nsgone');
    const ownLinks = new Set([...hostLinks(dp.prefix)].filter((l) => !linksBefore.has(l)));
    assert.ok(ownLinks.size >= 2, 'management and VIP veths');
    await failOverByDestruction(lb, ownLinks, t, true);
  });

  test('with a READY spare: the spare replaces the destroyed amphora', async (t) => {
    const linksBefore = hostLinks(dp.prefix);
    const lb = await loadBalancer('spare');
    const ownLinks = new Set([...hostLinks(dp.prefix)].filter((l) => !linksBefore.has(l)));
    // One spare for the pool, as housekeeping queues it.
    await dp.api.store.jobs.enqueue({ id: newId(), kind: 'create_spare_amphora', payload: {} });
    dp.api.worker?.notify();
    const spare = await until('a READY spare', 30_000, async () => {
      const all = await dp.api.store.amphorae.live();
      return all.find((a) => a.status === 'READY');
    });
    const replacement = await failOverByDestruction(lb, ownLinks, t, false);
    assert.equal(replacement.id, spare.id, 'the spare was used');
  });

  test('failover_threshold: two amphorae stop reporting at once → FAILOVER_STOPPED, no failover job, traffic still served', async () => {
    await scanner?.stop();
    const lbs = [await loadBalancer('brk1'), await loadBalancer('brk2')];
    const config = withOverrides(dp.api.config, { health_manager: { failover_threshold: 1 } });
    scanner = buildStaleScanner(config, dp.api.deps.log, dp.api.store, undefined, () => dp.api.worker?.notify());
    scanner.start();

    // Kill the agents (the heartbeat senders); HAProxy keeps serving.
    const agentPid = (computeId: string) => Number(readFileSync(join(dp.runtimePath, computeId, 'agent.pid'), 'utf8').split('\n')[0]);
    for (const lb of lbs) process.kill(agentPid(lb.amphora.computeId!), 'SIGKILL');
    for (const lb of lbs) {
      await until(`${lb.name} FAILOVER_STOPPED`, 15_000, async () => ((await dp.api.store.amphorae.get(lb.amphora.id))?.status === 'FAILOVER_STOPPED' ? true : undefined));
    }
    assert.ok(scanner.counters.failoverStopped >= 2);
    assert.equal(scanner.counters.failoversEnqueued, 0);
    for (const lb of lbs) {
      assert.deepEqual(await dp.api.store.jobs.forResource(lb.amphora.id), [], 'no failover job');
      assert.equal((await dp.api.store.loadBalancers.get(lb.id))?.provisioningStatus, 'ACTIVE');
      assert.equal(Number((await healthOf(lb.amphora.id))?.busy), 0);
      assert.equal((await dp.http(`http://${lb.vip}/`)).json.member, lb.name, 'the data plane still serves');
    }

    // NOTE: FAILOVER_STOPPED → ALLOCATED when heartbeats resume is tested in
    // src/health/stale-scanner.test.ts; here an agent restarted by the supervisor sometimes sent no
    // heartbeat at all (reported to the lead), which would make this test flaky.
    await scanner.stop();
    assert.equal(scanner.counters.failoversEnqueued, 0);
    for (const lb of lbs) assert.deepEqual(await dp.api.store.jobs.forResource(lb.amphora.id), [], 'still no failover job');
  });
});
