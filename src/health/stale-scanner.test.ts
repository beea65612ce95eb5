/**
 * The stale-amphora scanner on every test engine, against load balancers created through the API
 * (noop drivers; the worker is stopped afterwards so that queued failover jobs stay visible):
 * what it takes, that it takes each amphora once even with two scanners on two connections, the
 * load balancer lock, failover_threads, the failover_threshold circuit breaker and the "nobody
 * reports" alarm.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { connectDatabase } from '../db/connect.js';
import { engines, startTestApi, createActiveLoadBalancer, type TestApi } from '../../test/support/api.js';
import { Store } from '../db/store.js';
import type { AmphoraStatus } from '../domain/status.js';
import { systemClock } from '../lib/clock.js';
import { silentLogger } from '../lib/logger.js';
import { StaleAmphoraScanner, type StaleAmphoraScannerOptions } from './stale-scanner.js';

const TIMEOUT_MS = 3000;

for (const engine of engines()) {
  describe(`stale-amphora scanner (${engine})`, () => {
    let api: TestApi;
    const lbs: { id: string; amphoraId: string }[] = [];

    before(async () => {
      api = await startTestApi({ engine });
      for (let i = 0; i < 6; i++) {
        const lb = await createActiveLoadBalancer(api, 'p1', { name: `scan-${i}` });
        const [amphora] = await api.store.amphorae.forLoadBalancer(lb.id);
        lbs.push({ id: lb.id as string, amphoraId: amphora!.id });
      }
      await api.settle();
      // From here on nobody runs jobs: the failover jobs a scan queues stay queued.
      await api.worker!.stop();
    });
    after(async () => {
      await api?.close();
    });

    const scanner = (o: Partial<StaleAmphoraScannerOptions> = {}, store: Store = api.store) =>
      new StaleAmphoraScanner({
        store,
        log: silentLogger(),
        clock: systemClock,
        heartbeatTimeoutMs: TIMEOUT_MS,
        healthCheckIntervalMs: 1000,
        failoverThreads: 10,
        failoverThreshold: null,
        ...o,
      });

    /** Health rows: `ages[i]` ms since the last heartbeat of amphora i (undefined: no row). */
    async function setHealth(ages: readonly (number | undefined)[]): Promise<void> {
      const ex = api.store.executor;
      await ex.deleteFrom('amphora_health').execute();
      const now = Date.now();
      const rows = ages.flatMap((age, i) => (age === undefined ? [] : [{ amphora_id: lbs[i]!.amphoraId, last_update: now - age, busy: 0 }]));
      if (rows.length > 0) await ex.insertInto('amphora_health').values(rows).execute();
    }
    const busy = async (i: number) =>
      Number((await api.store.executor.selectFrom('amphora_health').select('busy').where('amphora_id', '=', lbs[i]!.amphoraId).executeTakeFirst())?.busy);
    const failoverJobs = async () =>
      (await api.store.executor.selectFrom('job').select(['resource_id', 'payload', 'state']).where('kind', '=', 'failover_amphora').execute()).map((j) => ({
        ...j,
        payload: JSON.parse(j.payload) as { amphoraId: string; loadBalancerId: string | null },
      }));
    const lbStatus = async (i: number) => (await api.store.loadBalancers.get(lbs[i]!.id))!.provisioningStatus;
    const ampStatus = async (i: number) => (await api.store.amphorae.get(lbs[i]!.amphoraId))!.status;

    beforeEach(async () => {
      const ex = api.store.executor;
      await ex.deleteFrom('job').where('kind', '=', 'failover_amphora').execute();
      await ex.deleteFrom('amphora_health').execute();
      await ex.updateTable('load_balancer').set({ provisioning_status: 'ACTIVE' }).execute();
      await ex.updateTable('amphora').set({ status: 'ALLOCATED' }).where('status', '!=', 'DELETED').execute();
    });

    test('a stale amphora: health busy, LB PENDING_UPDATE, one failover job; fresh ones untouched; never twice', async () => {
      await setHealth([10_000, 100, undefined]);
      const s = scanner();
      const r = await s.scan();
      assert.deepEqual(r.enqueued, [lbs[0]!.amphoraId]);
      assert.equal(await busy(0), 1);
      assert.equal(await busy(1), 0);
      assert.equal(await lbStatus(0), 'PENDING_UPDATE');
      assert.equal(await lbStatus(1), 'ACTIVE');
      const jobs = await failoverJobs();
      assert.deepEqual(
        jobs.map((j) => [j.resource_id, j.payload, j.state]),
        [[lbs[0]!.amphoraId, { amphoraId: lbs[0]!.amphoraId, loadBalancerId: lbs[0]!.id }, 'queued']],
      );
      assert.deepEqual((await s.scan()).enqueued, [], 'a busy row is not taken again');
      assert.deepEqual((await scanner().scan()).enqueued, [], 'nor by another scanner');
      assert.equal((await failoverJobs()).length, 1);
      assert.equal(s.counters.failoversEnqueued, 1);
      assert.match(await s.metrics.text(), /octavius_health_manager_failovers_enqueued_total 1/);
    });

    test('an amphora in ERROR is failed over; building and deleting ones are not', async () => {
      await setHealth([10_000, 10_000, 10_000]);
      const statuses: AmphoraStatus[] = ['ERROR', 'BOOTING', 'PENDING_DELETE'];
      for (const [i, st] of statuses.entries()) await api.store.amphorae.setStatus(lbs[i]!.amphoraId, st);
      const r = await scanner().scan();
      assert.deepEqual(r.enqueued, [lbs[0]!.amphoraId]);
      assert.equal(r.stale, 1);
    });

    test('two scanners on two connections race for six stale amphorae: each is taken exactly once', async () => {
      // Two connections as two health manager processes would have. In one process better-sqlite3
      // waits for a lock synchronously (blocking the holder, which shares the event loop), so on
      // SQLite both give up at once and let Store.transaction retry.
      const connect = () => connectDatabase(api.config.database.connection!, engine === 'sqlite' ? { busyTimeoutMs: 0 } : {});
      const dbs = [connect(), connect()];
      try {
        await setHealth([10_000, 10_000, 10_000, 10_000, 10_000, 10_000]);
        const a = scanner({}, new Store(dbs[0]!, systemClock));
        const b = scanner({}, new Store(dbs[1]!, systemClock));
        const rounds = await Promise.all([a.scan(), b.scan(), a.scan(), b.scan()]);
        const taken = rounds.flatMap((r) => r.enqueued).sort();
        assert.deepEqual(taken, lbs.map((l) => l.amphoraId).sort(), 'every amphora once');
        const jobs = await failoverJobs();
        assert.equal(jobs.length, 6);
        assert.equal(new Set(jobs.map((j) => j.resource_id)).size, 6, 'one job per amphora');
        assert.equal(a.counters.failoversEnqueued + b.counters.failoversEnqueued, 6);
        for (let i = 0; i < 6; i++) assert.equal(await lbStatus(i), 'PENDING_UPDATE');
      } finally {
        for (const db of dbs) await db.close();
      }
    });

    test('a load balancer held by another flow: the amphora waits, its row stays not busy', async () => {
      await setHealth([10_000]);
      await api.store.loadBalancers.setStatus(lbs[0]!.id, { provisioningStatus: 'PENDING_UPDATE' });
      const s = scanner();
      assert.deepEqual((await s.scan()).enqueued, []);
      assert.equal(await busy(0), 0);
      assert.equal(s.counters.skippedLoadBalancerBusy, 1);
      assert.equal((await failoverJobs()).length, 0);
      await api.store.loadBalancers.setStatus(lbs[0]!.id, { provisioningStatus: 'ERROR' });
      assert.deepEqual((await s.scan()).enqueued, [lbs[0]!.amphoraId], 'an LB in ERROR is failed over');
    });

    test('failover_threads bounds the jobs a scanner has outstanding', async () => {
      await setHealth([10_000, 10_000, 10_000, 10_000, 10_000]);
      const s = scanner({ failoverThreads: 2 });
      const first = await s.scan();
      assert.equal(first.enqueued.length, 2);
      assert.equal((await s.scan()).enqueued.length, 0, 'two outstanding: no more');
      assert.equal(s.outstanding, 2);
      await api.store.executor.updateTable('job').set({ state: 'succeeded' }).where('resource_id', '=', first.enqueued[0]!).execute();
      assert.equal((await s.scan()).enqueued.length, 1, 'one finished: one more');
      await api.store.executor.updateTable('job').set({ state: 'failed' }).where('kind', '=', 'failover_amphora').execute();
      assert.equal((await s.scan()).enqueued.length, 2, 'the remaining two');
      assert.equal((await failoverJobs()).length, 5);
    });

    test('failover_threshold: as many stale as the threshold → FAILOVER_STOPPED, no job; back to ALLOCATED when they report', async () => {
      await setHealth([10_000, 10_000, 10_000, 100]);
      const s = scanner({ failoverThreshold: 3 });
      const r = await s.scan();
      assert.equal(r.circuitOpen, true);
      assert.equal(r.stopped, 3);
      assert.deepEqual(r.enqueued, []);
      for (let i = 0; i < 3; i++) {
        assert.equal(await ampStatus(i), 'FAILOVER_STOPPED');
        assert.equal(await busy(i), 0);
        assert.equal(await lbStatus(i), 'ACTIVE', 'the load balancer is not touched');
      }
      assert.equal(await ampStatus(3), 'ALLOCATED');
      assert.equal((await failoverJobs()).length, 0);
      assert.equal((await s.scan()).stopped, 0, 'already stopped');
      assert.equal(s.counters.failoverStopped, 3);

      // Two of them report again: back to ALLOCATED; the one left is below the threshold and is failed over.
      const now = Date.now();
      await api.store.executor.updateTable('amphora_health').set({ last_update: now }).where('amphora_id', 'in', [lbs[0]!.amphoraId, lbs[1]!.amphoraId]).execute();
      const again = await s.scan();
      assert.equal(again.resumed, 2);
      assert.equal(await ampStatus(0), 'ALLOCATED');
      assert.equal(await ampStatus(1), 'ALLOCATED');
      assert.deepEqual(again.enqueued, [lbs[2]!.amphoraId], 'a FAILOVER_STOPPED amphora is failed over once the breaker closes');
    });

    test('nobody reports: an error metric once heartbeats stop arriving altogether', async () => {
      await setHealth([10_000, 10_000, 10_000, 10_000, 10_000, 10_000]);
      const s = scanner({ failoverThreshold: 1 }); // keep it from queueing failovers
      await s.scan();
      assert.equal(s.silent, true);
      assert.match(await s.metrics.text(), /octavius_health_manager_amphorae_silent 1/);
      await setHealth([10_000, 100]);
      await s.scan();
      assert.equal(s.silent, false, 'one amphora reports');
      assert.match(await s.metrics.text(), /octavius_health_manager_amphorae_silent 0/);

      // No health row at all (wrong key everywhere): known only after heartbeat_timeout of looking.
      await setHealth([]);
      const fresh = scanner({ heartbeatTimeoutMs: 300 });
      await fresh.scan();
      assert.equal(fresh.silent, false, 'not yet: the scanner only just started looking');
      await new Promise((r) => setTimeout(r, 350));
      await fresh.scan();
      assert.equal(fresh.silent, true);
    });

    test('start() scans on its own after the start delay and stop() waits for the scan', async () => {
      await setHealth([10_000]);
      const s = scanner({ startDelayMs: 0, healthCheckIntervalMs: 50 });
      s.start();
      const deadline = Date.now() + 5000;
      while (s.counters.failoversEnqueued === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await s.stop();
      assert.equal(s.counters.failoversEnqueued, 1);
      const scans = s.counters.scans;
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(s.counters.scans, scans, 'no scan after stop()');
    });
  });
}
