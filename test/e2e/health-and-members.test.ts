/**
 * Health monitors and member settings with real traffic through the VIP of one load balancer: an
 * HTTP health monitor takes a closed or hung member out and puts it back when it answers again;
 * a member set admin_state_up=false, a backup member and a weight 0 member get what upstream
 * promises (nothing, only when the primary is down, nothing).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rootSkipReason, startDataPlane, type DataPlane, type Member } from '../support/dataplane.js';
import { amphoraFiles, blackhole, serverStatus, tally, until } from './traffic.js';

const PORT = { monitored: 80, adminWeight: 81, backup: 82 } as const;
/** HTTP health monitor checking every second, one failure marks down, one success up. */
const MONITOR = { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1, url_path: '/' };

describe('health monitors and members', { skip: rootSkipReason() }, () => {
  let dp: DataPlane;
  let vip: string;
  let lbId: string;
  const m: Record<string, Member> = {};
  const hung: { close(): Promise<void> }[] = [];

  before(async () => {
    dp = await startDataPlane();
    const g = dp.vip4.gateway;
    const specs: [string, number][] = [
      ['hm1', 20801],
      ['hm2', 20802],
      ['on', 20811],
      ['off', 20812],
      ['zero', 20813],
      ['primary', 20821],
      ['backup', 20822],
    ];
    for (const [name, port] of specs) m[name] = await dp.httpMember(name, g, port);
    const member = (name: string, extra: Record<string, unknown> = {}) => ({ name, address: g, protocol_port: m[name]!.port, subnet_id: dp.vip4.id, ...extra });
    const lb = await dp.createLoadBalancer({
      name: 'health-and-members',
      listeners: [
        {
          protocol: 'HTTP',
          protocol_port: PORT.monitored,
          default_pool: { name: 'monitored', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', healthmonitor: MONITOR, members: [member('hm1'), member('hm2')] },
        },
        {
          protocol: 'HTTP',
          protocol_port: PORT.adminWeight,
          default_pool: {
            name: 'admin-weight',
            protocol: 'HTTP',
            lb_algorithm: 'ROUND_ROBIN',
            members: [member('on'), member('off'), member('zero', { weight: 0 })],
          },
        },
        {
          protocol: 'HTTP',
          protocol_port: PORT.backup,
          default_pool: {
            name: 'with-backup',
            protocol: 'HTTP',
            lb_algorithm: 'ROUND_ROBIN',
            healthmonitor: MONITOR,
            members: [member('primary'), member('backup', { backup: true })],
          },
        },
      ],
    });
    vip = lb.vip;
    lbId = lb.id;
  });

  after(async () => {
    for (const h of hung) await h.close();
    await dp?.close();
    if (dp) assert.deepEqual(dp.leftovers(), []);
  });

  const memberOf = async (port: number, timeoutMs = 5000) => {
    const r = await dp.http(`http://${vip}:${port}/`, { timeoutMs });
    assert.equal(r.status, 200, r.text);
    return r.json.member as string;
  };
  const sequence = async (n: number, probe: () => Promise<string>) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await probe());
    return out;
  };
  /** Waits until `n` requests in a row are all answered by `name` (each try may fail or hang). */
  const settlesOn = (port: number, name: string, timeoutMs: number, n = 6) =>
    until(`${n} requests in a row answered by ${name}`, timeoutMs, async () => {
      const seen = await sequence(n, () => memberOf(port, 1500));
      return seen.every((s) => s === name) ? seen : undefined;
    });

  test('HTTP health monitor: checks reach the members every second', async () => {
    const before = { hm1: m.hm1!.served(), hm2: m.hm2!.served() };
    // No client traffic on this pool meanwhile: what the members receive are the checks.
    await until('two checks on each member', 5000, () => (m.hm1!.served() >= before.hm1 + 2 && m.hm2!.served() >= before.hm2 + 2 ? true : undefined));
    assert.deepEqual(tally(await sequence(4, () => memberOf(PORT.monitored))), { hm1: 2, hm2: 2 });
  });

  test('HTTP health monitor: a closed member gets nothing until it is back, then it receives requests again', async () => {
    await m.hm1!.close();
    await settlesOn(PORT.monitored, 'hm2', 10_000);
    // Requests alone cannot tell a monitor from redispatch here: wait until HAProxy has marked the
    // member down, so that it only comes back by passing a check.
    const files = await amphoraFiles(dp, lbId);
    const id = await memberId('monitored', 'hm1');
    await until('HAProxy marks hm1 DOWN', 10_000, async () => ((await serverStatus(files.statsSocket, id))?.startsWith('DOWN') ? true : undefined));
    assert.deepEqual(tally(await sequence(6, () => memberOf(PORT.monitored))), { hm2: 6 });
    await m.hm1!.reopen();
    await until('hm1 answers through the VIP again', 10_000, async () => ((await memberOf(PORT.monitored)) === 'hm1' ? true : undefined));
    assert.deepEqual(tally(await sequence(4, () => memberOf(PORT.monitored))), { hm1: 2, hm2: 2 });
  });

  test('HTTP health monitor: a member that accepts but never answers is taken out (requests stop hanging)', async () => {
    // A closed port is retried on the other member anyway (option redispatch); a hung member is
    // not: without a working monitor every second request here would hang until the client gives up.
    await m.hm1!.close();
    const hole = await blackhole(m.hm1!.address, m.hm1!.port);
    hung.push(hole);
    await settlesOn(PORT.monitored, 'hm2', 15_000);
    await hole.close();
    await m.hm1!.reopen();
    await until('hm1 answers through the VIP again', 10_000, async () => ((await memberOf(PORT.monitored)) === 'hm1' ? true : undefined));
  });

  test('weight 0 member gets nothing; admin_state_up=false (PUT) takes a member out, true brings it back', async () => {
    const zeroBefore = m.zero!.served();
    assert.deepEqual(tally(await sequence(6, () => memberOf(PORT.adminWeight))), { off: 3, on: 3 });
    assert.equal(m.zero!.served(), zeroBefore, 'the weight 0 member received requests');

    const poolId = await poolIdByName('admin-weight');
    const setAdmin = async (up: boolean) => {
      const res = await dp.api.request('PUT', `/v2/lbaas/pools/${poolId}/members/${await memberId('admin-weight', 'off')}`, { project: 'e2e', body: { member: { admin_state_up: up } } });
      assert.equal(res.status, 200, res.text);
      await dp.waitActive(lbId);
    };
    await setAdmin(false);
    const offBefore = m.off!.served();
    assert.deepEqual(tally(await sequence(6, () => memberOf(PORT.adminWeight))), { on: 6 });
    assert.equal(m.off!.served(), offBefore, 'the disabled member received requests');
    await setAdmin(true);
    assert.deepEqual(tally(await sequence(6, () => memberOf(PORT.adminWeight))), { off: 3, on: 3 });
    assert.equal(m.zero!.served(), zeroBefore, 'the weight 0 member received requests');
  });

  test('backup member gets traffic only while the primary is down', async () => {
    // The echo names who answered (health checks reach the backup too, so its counter would not tell).
    assert.deepEqual(tally(await sequence(6, () => memberOf(PORT.backup))), { primary: 6 });
    await m.primary!.close();
    await settlesOn(PORT.backup, 'backup', 10_000);
    await m.primary!.reopen();
    await settlesOn(PORT.backup, 'primary', 10_000);
    assert.deepEqual(tally(await sequence(6, () => memberOf(PORT.backup))), { primary: 6 });
  });

  async function memberId(pool: string, name: string): Promise<string> {
    const list = await dp.api.request('GET', `/v2/lbaas/pools/${await poolIdByName(pool)}/members`, { project: 'e2e' });
    const found = list.body.members.find((x: { name: string }) => x.name === name);
    assert.ok(found, `member ${name}: ${list.text}`);
    return found.id as string;
  }

  async function poolIdByName(name: string): Promise<string> {
    const res = await dp.api.request('GET', `/v2/lbaas/pools?loadbalancer_id=${lbId}`, { project: 'e2e' });
    const pool = res.body.pools.find((p: { name: string }) => p.name === name);
    assert.ok(pool, `pool ${name}: ${res.text}`);
    return pool.id as string;
  }
});
