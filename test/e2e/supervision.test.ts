/**
 * Supervision of netns amphorae with real traffic: HAProxy keeps serving while the agent is dead
 * and the supervisor starts the agent again; a killed HAProxy is started again by the agent; a
 * controller restart (new drivers, new supervisor) re-adopts the running amphora and deletes an
 * orphan namespace; an amphora whose namespace vanished is reported and set to ERROR.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ComputeSupervisor } from '../../src/controller/compute-supervisor.js';
import { NetnsComputeDriver, netnsComputeOptions } from '../../src/drivers/compute/netns-compute-driver.js';
import { silentLogger } from '../../src/lib/logger.js';
import { rootSkipReason, startDataPlane, type DataPlane } from '../support/dataplane.js';
import { until, processAlive as alive, kill9 } from './traffic.js';


describe('amphora supervision', { skip: rootSkipReason() }, () => {
  let dp: DataPlane;
  let supervisor: ComputeSupervisor;
  before(async () => {
    dp = await startDataPlane();
    supervisor = new ComputeSupervisor({
      compute: dp.api.drivers.supervised!,
      store: dp.api.store,
      log: silentLogger(),
      superviseIntervalMs: 3_600_000, // passes are run by the tests
      reconcileIntervalMs: 3_600_000,
      graceMs: 0,
    });
  });
  after(async () => {
    await supervisor?.stop();
    await dp?.close();
  });

  async function loadBalancer(port: number) {
    const g = dp.vip4.gateway;
    await dp.httpMember(`m${port}`, g, port);
    const lb = await dp.createLoadBalancer({
      listeners: [
        {
          protocol: 'HTTP',
          protocol_port: 80,
          default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: g, protocol_port: port, subnet_id: dp.vip4.id }] },
        },
      ],
    });
    const [amphora] = await dp.api.store.amphorae.forLoadBalancer(lb.id);
    assert.ok(amphora?.computeId);
    return { ...lb, amphoraId: amphora.id, computeId: amphora.computeId };
  }

  const agentPid = (computeId: string): number => Number(readFileSync(join(dp.runtimePath, computeId, 'agent.pid'), 'utf8').split('\n')[0]);
  const haproxyPids = (computeId: string): number[] =>
    execFileSync('ip', ['netns', 'pids', computeId], { encoding: 'utf8' })
      .split('\n')
      .map(Number)
      // Short-lived helpers of the agent (ip, sysctl) may be gone before their comm is read.
      .filter((pid) => pid > 0 && commOf(pid) === 'haproxy');
  const commOf = (pid: number): string | null => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return null;
    }
  };

  test('HAProxy serves while the agent is dead; the supervisor starts the agent again', async () => {
    const lb = await loadBalancer(18201);
    const before = agentPid(lb.computeId);
    process.kill(before, 'SIGKILL');
    await until('agent gone', 10_000, () => (alive(before) ? undefined : true));
    assert.equal((await dp.http(`http://${lb.vip}/`)).status, 200, 'traffic does not depend on the agent');
    await supervisor.supervise();
    const after = agentPid(lb.computeId);
    assert.notEqual(after, before);
    assert.ok(alive(after));
    // The new agent adopted the running HAProxy: a change through it works and keeps traffic flowing.
    await dp.httpMember('m18202', dp.vip4.gateway, 18202);
    const poolId = (await dp.api.request('GET', '/v2/lbaas/pools', { project: 'e2e' })).body.pools.find((p: { loadbalancers: { id: string }[] }) =>
      p.loadbalancers.some((l) => l.id === lb.id),
    ).id;
    const res = await dp.api.request('POST', `/v2/lbaas/pools/${poolId}/members`, {
      project: 'e2e',
      body: { member: { address: dp.vip4.gateway, protocol_port: 18202, subnet_id: dp.vip4.id } },
    });
    assert.equal(res.status, 201, res.text);
    await dp.waitActive(lb.id);
    const members = new Set<string>();
    for (let i = 0; i < 4; i++) members.add((await dp.http(`http://${lb.vip}/`)).json.member);
    assert.deepEqual([...members].sort(), ['m18201', 'm18202']);
    const amphora = await dp.api.store.amphorae.get(lb.amphoraId);
    assert.equal(amphora?.status, 'ALLOCATED');
  });

  test('a killed HAProxy is started again by the agent and traffic resumes', async () => {
    const lb = await loadBalancer(18203);
    const pids = haproxyPids(lb.computeId);
    assert.ok(pids.length > 0, 'haproxy runs in the namespace');
    for (const pid of pids) kill9(pid);
    const reply = await until('traffic again', 15_000, () =>
      dp.http(`http://${lb.vip}/`, { timeoutMs: 500 }).then((r) => (r.status === 200 ? r : undefined)),
    );
    assert.equal(reply.json.member, 'm18203');
    assert.ok(haproxyPids(lb.computeId).every((pid) => !pids.includes(pid)), 'new processes');
  });

  test('a controller restart re-adopts running amphorae and deletes orphan namespaces', async () => {
    const lb = await loadBalancer(18204);
    const pid = agentPid(lb.computeId);
    const orphan = `${dp.prefix}amp-0dead0ff`;
    execFileSync('ip', ['netns', 'add', orphan]);
    // A new controller: a new compute driver over the same configuration and database.
    const restarted = new ComputeSupervisor({
      compute: new NetnsComputeDriver({ ...netnsComputeOptions(dp.api.config.netns), log: silentLogger() }),
      store: dp.api.store,
      log: silentLogger(),
      superviseIntervalMs: 3_600_000,
      reconcileIntervalMs: 3_600_000,
      graceMs: 0,
    });
    const deleted = await restarted.reconcile();
    assert.deepEqual(deleted, [orphan]);
    assert.ok(!existsSync(`/run/netns/${orphan}`));
    assert.equal(agentPid(lb.computeId), pid, 'the running amphora was left alone');
    assert.ok(alive(pid));
    assert.equal((await dp.http(`http://${lb.vip}/`)).json.member, 'm18204');
  });

  test('an amphora whose namespace vanished is reported and set to ERROR', async () => {
    const lb = await loadBalancer(18205);
    for (const p of execFileSync('ip', ['netns', 'pids', lb.computeId], { encoding: 'utf8' }).split('\n').map(Number).filter((n) => n > 0)) {
      kill9(p);
    }
    execFileSync('ip', ['netns', 'delete', lb.computeId]);
    await supervisor.supervise();
    const amphora = await dp.api.store.amphorae.get(lb.amphoraId);
    assert.equal(amphora?.status, 'ERROR');
  });
});
