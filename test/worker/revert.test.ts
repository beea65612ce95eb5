/**
 * Reverts of a failed load balancer create, on every engine, with the real worker, store and noop
 * drivers and one driver call that fails.
 *
 * Regression: LoadBalancerToErrorOnRevert marked the children ERROR (mark_subobjects) through the
 * outer store inside its transaction; on SQLite, whose one connection the transaction holds, that
 * query waited forever, so a single-call create with listeners that failed stayed in
 * PENDING_CREATE. Each case here must end within a deadline, not just eventually.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildWorker } from '../../src/cli/compose.js';
import type { Worker } from '../../src/controller/worker.js';
import { DomainError } from '../../src/domain/errors.js';
import type { AmphoraDriver } from '../../src/drivers/amphora/amphora-driver.js';
import type { ComputeDriver } from '../../src/drivers/compute/compute-driver.js';
import { silentLogger } from '../../src/lib/logger.js';
import { engines, startTestApi, SUBNET, type TestApi } from '../support/api.js';

const LBS = '/v2/lbaas/loadbalancers';
/** Far above what a revert takes (tens of ms); far below "stuck". */
const DEADLINE_MS = 8000;

/** `target` with some methods replaced; the rest still run on the real driver (its #private state). */
function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, key) {
      if (Object.prototype.hasOwnProperty.call(overrides, key)) return overrides[key as keyof T];
      const value = Reflect.get(t, key, t) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/**
 * `promise`, or a failure after `ms`. The timer also keeps the event loop alive: when the revert
 * deadlocks, every query (the API's reads too) waits on SQLite's one connection forever and
 * node:test would otherwise only report "Promise resolution is still pending".
 */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms (a stuck revert?)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const singleCallBody = (name: string) => ({
  loadbalancer: {
    name,
    vip_subnet_id: SUBNET,
    listeners: [
      {
        protocol: 'HTTP',
        protocol_port: 80,
        default_pool: {
          name: 'web',
          protocol: 'HTTP',
          lb_algorithm: 'ROUND_ROBIN',
          members: [
            { address: '198.18.1.11', protocol_port: 8080 },
            { address: '198.18.1.12', protocol_port: 8080 },
          ],
          healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 },
        },
        l7policies: [{ action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/admin' }] }],
      },
    ],
  },
});

for (const engine of engines()) {
  describe(`failed load balancer create reverts (${engine})`, () => {
    let api: TestApi;
    let worker: Worker;
    let failCompute = false;

    before(async () => {
      api = await startTestApi({ engine, worker: false });
      const real = api.drivers;
      const amphora = overriding<AmphoraDriver>(real.amphora, {
        async updateListeners() {
          throw new DomainError('driver_error', 'injected: amphora refused the listeners', { operatorMessage: 'injected updateListeners failure' });
        },
      });
      const compute = overriding<ComputeDriver>(real.compute, {
        async build(request) {
          if (failCompute) throw new DomainError('driver_error', 'injected: no capacity', { operatorMessage: 'injected compute build failure' });
          return real.compute.build(request);
        },
      });
      worker = buildWorker(api.config, silentLogger(), api.store, { ...real, amphora, compute });
      worker.start();
    });

    after(async () => {
      // A stuck flow (the regression) never finishes; bound the shutdown so the failure is reported.
      await within(2000, 'worker shutdown', worker?.stop() ?? Promise.resolve()).catch(() => undefined);
      await within(2000, 'API shutdown', api?.close() ?? Promise.resolve()).catch(() => undefined);
    });

    const create = async (body: unknown): Promise<string> => {
      const res = await api.request('POST', LBS, { project: 'revert', body });
      assert.equal(res.status, 201, res.text);
      return res.body.loadbalancer.id as string;
    };

    const amphoraRows = async (lbId: string) =>
      api.store.executor.selectFrom('amphora').select(['id', 'status']).where('load_balancer_id', '=', lbId).execute();

    test('amphora driver fails in updateListeners: the LB and every child end in ERROR, the job says why', { timeout: DEADLINE_MS + 5000 }, async () => {
      failCompute = false;
      const lbId = await create(singleCallBody('listeners-fail'));
      await within(DEADLINE_MS, 'load balancer ERROR', api.waitForStatus(`${LBS}/${lbId}`, 'loadbalancer', 'ERROR', DEADLINE_MS));

      const g = (await api.store.loadBalancerGraph(lbId))!;
      const statuses = (objects: readonly { provisioningStatus: string }[]) => objects.map((o) => o.provisioningStatus);
      assert.equal(g.listeners.length, 1);
      assert.equal(g.pools.length, 1);
      assert.equal(g.members.length, 2);
      assert.equal(g.healthMonitors.length, 1);
      assert.equal(g.l7policies.length, 1);
      assert.equal(g.l7rules.length, 1);
      assert.deepEqual(statuses(g.listeners), ['ERROR']);
      assert.deepEqual(statuses(g.pools), ['ERROR']);
      assert.deepEqual(statuses(g.members), ['ERROR', 'ERROR']);
      assert.deepEqual(statuses(g.healthMonitors), ['ERROR']);
      assert.deepEqual(statuses(g.l7policies), ['ERROR']);
      assert.deepEqual(statuses(g.l7rules), ['ERROR']);

      // The revert sets ERROR before the worker records the job's outcome.
      await api.settle();
      const [job, ...others] = await api.store.jobs.forResource(lbId);
      assert.equal(others.length, 0);
      assert.equal(job!.state, 'failed');
      assert.match(job!.error ?? '', /^ListenersUpdate: injected updateListeners failure$/);
      // The build was reverted too: the amphora that got as far as ALLOCATED is gone.
      const amps = await amphoraRows(lbId);
      assert.equal(amps.length, 1);
      assert.equal(amps[0]!.status, 'DELETED');
    });

    test('compute driver fails to build: the LB ends in ERROR and the amphora row DELETED', { timeout: DEADLINE_MS + 5000 }, async () => {
      failCompute = true;
      const lbId = await create({ loadbalancer: { name: 'compute-fail', vip_subnet_id: SUBNET, listeners: [{ protocol: 'TCP', protocol_port: 5000 }] } });
      await within(DEADLINE_MS, 'load balancer ERROR', api.waitForStatus(`${LBS}/${lbId}`, 'loadbalancer', 'ERROR', DEADLINE_MS));

      const g = (await api.store.loadBalancerGraph(lbId))!;
      assert.deepEqual(g.listeners.map((l) => l.provisioningStatus), ['ERROR']);
      await api.settle();
      const [job] = await api.store.jobs.forResource(lbId);
      assert.equal(job!.state, 'failed');
      assert.match(job!.error ?? '', /^ComputeCreate\[STANDALONE\]: injected compute build failure$/);
      assert.deepEqual((await amphoraRows(lbId)).map((a) => a.status), ['DELETED']);
      // Nothing is left running: the worker is idle again.
      await api.settle(DEADLINE_MS);
    });
  });
}
