/**
 * The shortest real path: a single-call create of an HTTP load balancer with two members on the
 * VIP subnet, round robin through the VIP, cascade delete removes the amphora (namespace, veths,
 * processes) and nothing of the data plane is left behind after close().
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rootSkipReason, startDataPlane, type DataPlane } from '../support/dataplane.js';

describe('data plane smoke', { skip: rootSkipReason() }, () => {
  let dp: DataPlane;
  before(async () => {
    dp = await startDataPlane();
  });
  after(async () => {
    await dp?.close();
    if (dp) assert.deepEqual(dp.leftovers(), []);
  });

  test('create, round robin through the VIP, delete removes the amphora', async () => {
    const g = dp.vip4.gateway;
    await dp.httpMember('m1', g, 18101);
    await dp.httpMember('m2', g, 18102);
    const lb = await dp.createLoadBalancer({
      listeners: [
        {
          protocol: 'HTTP',
          protocol_port: 80,
          default_pool: {
            name: 'pool1',
            protocol: 'HTTP',
            lb_algorithm: 'ROUND_ROBIN',
            members: [
              { address: g, protocol_port: 18101, subnet_id: dp.vip4.id },
              { address: g, protocol_port: 18102, subnet_id: dp.vip4.id },
            ],
          },
        },
      ],
    });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push((await dp.http(`http://${lb.vip}/x`)).json.member);
    assert.deepEqual(seen.sort(), ['m1', 'm1', 'm2', 'm2']);
    const amphorae = await dp.api.store.amphorae.forLoadBalancer(lb.id);
    assert.equal(amphorae.length, 1);
    await dp.deleteLoadBalancer(lb.id);
    assert.deepEqual(
      dp.leftovers().filter((l) => l.startsWith('netns')),
      [],
    );
    await assert.rejects(dp.http(`http://${lb.vip}/x`, { timeoutMs: 1000 }));
  });
});
