/**
 * The spares pool: housekeeping keeps `spare_amphora_pool_size` amphorae READY; a load balancer
 * create takes a ready spare and only configures it; the pool is refilled afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildHousekeeping } from '../../src/cli/compose.js';
import { silentLogger } from '../../src/lib/logger.js';
import { engines, startTestApi, SUBNET, type TestApi } from '../support/api.js';

for (const engine of engines()) {
  describe(`spares pool (${engine})`, () => {
    let api: TestApi;
    before(async () => {
      api = await startTestApi({ engine, config: { house_keeping: { spare_amphora_pool_size: 2 } } });
    });
    after(async () => api?.close());

    const ready = async () =>
      (await api.store.executor.selectFrom('amphora').select(['id', 'status', 'load_balancer_id']).where('status', '=', 'READY').execute()).map((r) => r.id);

    test('refill builds READY spares once; a create takes one of them; the next refill replaces it', async () => {
      const hk = buildHousekeeping(api.config, silentLogger(), api.store, undefined, () => api.worker?.notify());
      assert.equal(await hk.refillSpares(), 2);
      assert.equal(await hk.refillSpares(), 0, 'queued spare jobs count towards the pool');
      await api.settle();
      const spares = await ready();
      assert.equal(spares.length, 2);

      const created = await api.request('POST', '/v2/lbaas/loadbalancers', { project: 'sp', body: { loadbalancer: { vip_subnet_id: SUBNET } } });
      assert.equal(created.status, 201);
      const lbId = created.body.loadbalancer.id;
      await api.waitForStatus(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer');
      const amps = await api.store.amphorae.forLoadBalancer(lbId);
      assert.equal(amps.length, 1);
      assert.ok(spares.includes(amps[0]!.id), 'the load balancer got a spare, not a new amphora');
      assert.equal(amps[0]!.status, 'ALLOCATED');
      assert.equal(amps[0]!.role, 'STANDALONE');
      const [job] = await api.store.jobs.forResource(lbId);
      const done = (job!.progress as { done: string[] }).done;
      assert.ok(done.includes('MapLoadBalancerToAmphora[STANDALONE]'));
      assert.equal((await ready()).length, 1);

      assert.equal(await hk.refillSpares(), 1);
      await api.settle();
      assert.equal((await ready()).length, 2);
      const total = await api.store.executor.selectFrom('amphora').select('id').execute();
      assert.equal(total.length, 3, 'no amphora built twice');
    });
  });
}
