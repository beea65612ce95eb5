/**
 * Heartbeats end to end: real amphorae (netns, agent, HAProxy) send heartbeats every second to a
 * receiver on the controller's management address; the API then shows measured operating
 * statuses (a stopped member goes ERROR and its LB DEGRADED, then both come back) and statistics
 * that match the traffic this test sends through the VIP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rootSkipReason, startDataPlane, type DataPlane, type Member } from '../support/dataplane.js';

const MONITOR = { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1, url_path: '/' };

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('heartbeats, measured statuses and statistics', { skip: rootSkipReason() }, () => {
  let dp: DataPlane;
  let lbId: string;
  let vip: string;
  let listenerId: string;
  let poolId: string;
  const m: Member[] = [];

  before(async () => {
    dp = await startDataPlane({ healthManager: true });
    const g = dp.vip4.gateway;
    m.push(await dp.httpMember('one', g, 20901), await dp.httpMember('two', g, 20902));
    const lb = await dp.createLoadBalancer({
      name: 'heartbeat',
      listeners: [
        {
          protocol: 'HTTP',
          protocol_port: 80,
          default_pool: {
            name: 'hb-pool',
            protocol: 'HTTP',
            lb_algorithm: 'ROUND_ROBIN',
            healthmonitor: MONITOR,
            members: m.map((x) => ({ name: x.name, address: g, protocol_port: x.port, subnet_id: dp.vip4.id })),
          },
        },
      ],
    });
    lbId = lb.id;
    vip = lb.vip;
    listenerId = (lb.body['listeners'] as { id: string }[])[0]!.id;
    poolId = (lb.body['pools'] as { id: string }[])[0]!.id;
  });

  after(async () => {
    await dp?.close();
    if (dp) assert.deepEqual(dp.leftovers(), []);
  });

  const statuses = async () => {
    const get = async (path: string, key: string) => (await dp.api.request('GET', path)).body[key];
    const members = (await get(`/v2/lbaas/pools/${poolId}/members`, 'members')) as { name: string; operating_status: string }[];
    return {
      lb: (await get(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer')).operating_status as string,
      listener: (await get(`/v2/lbaas/listeners/${listenerId}`, 'listener')).operating_status as string,
      pool: (await get(`/v2/lbaas/pools/${poolId}`, 'pool')).operating_status as string,
      one: members.find((x) => x.name === 'one')!.operating_status,
      two: members.find((x) => x.name === 'two')!.operating_status,
    };
  };
  const allOnline = { lb: 'ONLINE', listener: 'ONLINE', pool: 'ONLINE', one: 'ONLINE', two: 'ONLINE' };
  const matches = (want: object) => async () => {
    const s = await statuses();
    return JSON.stringify(s) === JSON.stringify(want) ? s : null;
  };

  test('the amphora reports: listener, pool, members and LB go ONLINE; its health row is fresh', async () => {
    await until('all ONLINE', matches(allOnline));
    const amphorae = await dp.api.store.amphorae.forLoadBalancer(lbId);
    const health = await dp.api.store.executor.selectFrom('amphora_health').selectAll().where('amphora_id', '=', amphorae[0]!.id).executeTakeFirst();
    assert.ok(health && Date.now() - Number(health.last_update) < 5000, 'health refreshed within a few heartbeats');
    assert.equal(dp.receiver!.counters.rejected + dp.receiver!.counters.malformed + dp.receiver!.counters.replayed, 0);
  });

  test('a stopped member goes ERROR and the LB DEGRADED, then both back to ONLINE', async () => {
    await m[1]!.close();
    await until('member two ERROR', matches({ lb: 'DEGRADED', listener: 'ONLINE', pool: 'DEGRADED', one: 'ONLINE', two: 'ERROR' }));
    await m[1]!.reopen();
    await until('all ONLINE again', matches(allOnline));
  });

  test('the stats APIs count the requests this test sends through the VIP', async () => {
    const stats = async () => (await dp.api.request('GET', `/v2/lbaas/loadbalancers/${lbId}/stats`)).body.stats;
    const before = await stats();
    const N = 12;
    let bytes = 0;
    for (let i = 0; i < N; i++) {
      const r = await dp.http(`http://${vip}/count/${i}`);
      assert.equal(r.status, 200);
      bytes += Buffer.byteLength(r.text);
    }
    const after = await until('stats counted', async () => {
      const s = await stats();
      return s.total_connections - before.total_connections >= N ? s : null;
    });
    assert.equal(after.total_connections - before.total_connections, N, 'one connection per request');
    assert.ok(after.bytes_out - before.bytes_out >= bytes, `bytes_out grew by at least the ${bytes} body bytes`);
    assert.ok(after.bytes_in - before.bytes_in > N * 20, 'bytes_in counts the requests');
    const listener = (await dp.api.request('GET', `/v2/lbaas/listeners/${listenerId}/stats`)).body.stats;
    assert.deepEqual(listener, after, 'one listener: the LB stats are its stats');
  });
});
