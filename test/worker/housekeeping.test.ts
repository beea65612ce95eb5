/**
 * Housekeeping on every engine, with the real worker, store and noop drivers (the amphora driver
 * records the certificates it is given, or fails on demand): certificate rotation before expiry
 * (spec §6.9: scan, `cert_busy`, the cert_rotate_amphora job, revert to ERROR) and stats retention.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { buildHousekeeping, buildWorker } from '../../src/cli/compose.js';
import type { Worker } from '../../src/controller/worker.js';
import { DomainError } from '../../src/domain/errors.js';
import type { Amphora } from '../../src/domain/amphora.js';
import type { AmphoraDriver } from '../../src/drivers/amphora/amphora-driver.js';
import type { Housekeeping } from '../../src/housekeeping/housekeeping.js';
import { parseTimestamp, timestamp } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createActiveLoadBalancer, engines, startTestApi, type TestApi } from '../support/api.js';

const DAY_MS = 86_400_000;

for (const engine of engines()) {
  describe(`housekeeping (${engine})`, () => {
    let api: TestApi;
    let worker: Worker;
    let hk: Housekeeping;
    const pushed: { amphoraId: string; pem: string }[] = [];
    let failPush = false;
    let amphora: AmphoraDriver;
    const startWorker = () => {
      worker = buildWorker(api.config, silentLogger(), api.store, { ...api.drivers, amphora });
      worker.start();
    };

    before(async () => {
      // Default cert_expiry_buffer (14 days); two rotations at once at most.
      api = await startTestApi({ engine, worker: false, config: { house_keeping: { cert_rotate_threads: 2 } } });
      const real = api.drivers.amphora;
      amphora = new Proxy(real, {
        get(t, key) {
          if (key === 'updateServerCertificate') {
            return async (a: Amphora, pem: string) => {
              if (failPush) throw new DomainError('driver_error', 'injected: agent refused the certificate');
              pushed.push({ amphoraId: a.id, pem });
            };
          }
          const value = Reflect.get(t, key, t) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
        },
      }) as AmphoraDriver;
      startWorker();
      hk = buildHousekeeping(api.config, silentLogger(), api.store, undefined, () => worker.notify());
    });
    after(async () => {
      await worker?.stop();
      await api?.close();
    });

    /** An ACTIVE load balancer's amphora, its certificate set to expire in `inMs`. */
    const amphoraExpiringIn = async (inMs: number): Promise<string> => {
      const lb = await createActiveLoadBalancer(api, 'hk');
      const [amp] = await api.store.amphorae.forLoadBalancer(lb.id);
      await api.store.amphorae.update(amp!.id, { certExpiration: timestamp(Date.now() + inMs) });
      return amp!.id;
    };

    test('amphorae whose certificate expires within cert_expiry_buffer get a new one, once', async () => {
      pushed.length = 0;
      const soon = await amphoraExpiringIn(DAY_MS);
      const expired = await amphoraExpiringIn(-DAY_MS);
      const later = await amphoraExpiringIn(20 * DAY_MS);
      const r = await hk.rotateCertificates();
      assert.equal(r.queued, 2);
      for (const id of [soon, expired]) assert.equal((await api.store.amphorae.get(id))!.certBusy, true);
      assert.equal((await hk.rotateCertificates()).queued, 0, 'a busy amphora is not picked twice');
      await api.settle();

      assert.deepEqual(pushed.map((p) => p.amphoraId).sort(), [soon, expired].sort());
      for (const { amphoraId, pem } of pushed) {
        assert.match(pem, /-----BEGIN CERTIFICATE-----[\s\S]+-----BEGIN PRIVATE KEY-----/, 'certificate and key in one PEM, as the agent expects');
        const cert = new X509Certificate(pem);
        assert.match(cert.subject, new RegExp(`CN=${amphoraId}`));
        const amp = (await api.store.amphorae.get(amphoraId))!;
        assert.equal(amp.certBusy, false);
        assert.equal(amp.status, 'ALLOCATED');
        assert.equal(amp.certExpiration, timestamp(Date.parse(cert.validTo)), 'cert_expiration is the new notAfter');
        assert.ok(parseTimestamp(amp.certExpiration!) > Date.now() + 14 * DAY_MS);
        const [job] = (await api.store.jobs.forResource(amphoraId)).filter((j) => j.kind === 'cert_rotate_amphora');
        assert.equal(job!.state, 'succeeded');
      }
      const untouched = (await api.store.amphorae.get(later))!;
      assert.equal(untouched.certBusy, false);
      assert.equal(parseTimestamp(untouched.certExpiration!) < Date.now() + 21 * DAY_MS, true);
      assert.equal((await hk.rotateCertificates()).queued, 0, 'rotated certificates are not due any more');
    });

    test('no more than cert_rotate_threads rotations at once; the rest wait for the next scan', async () => {
      pushed.length = 0;
      const ids = [await amphoraExpiringIn(DAY_MS), await amphoraExpiringIn(DAY_MS), await amphoraExpiringIn(DAY_MS)];
      await worker.stop();
      try {
        assert.deepEqual(await hk.rotateCertificates(), { queued: 2, more: true });
        assert.deepEqual(await hk.rotateCertificates(), { queued: 0, more: true }, 'two rotations queued: no room');
      } finally {
        startWorker();
      }
      await api.settle();
      assert.equal((await hk.rotateCertificates()).queued, 1);
      await api.settle();
      assert.deepEqual(pushed.map((p) => p.amphoraId).sort(), [...ids].sort());
    });

    test('a failed upload reverts: the amphora goes ERROR and stays cert_busy (as upstream), the job failed', async () => {
      const id = await amphoraExpiringIn(DAY_MS);
      failPush = true;
      try {
        assert.equal((await hk.rotateCertificates()).queued, 1);
        await api.settle();
      } finally {
        failPush = false;
      }
      const amp = (await api.store.amphorae.get(id))!;
      assert.equal(amp.status, 'ERROR');
      assert.equal(amp.certBusy, true);
      const [job] = (await api.store.jobs.forResource(id)).filter((j) => j.kind === 'cert_rotate_amphora');
      assert.equal(job!.state, 'failed');
      assert.match(job!.error ?? '', /refused the certificate/);
      assert.equal((await hk.rotateCertificates()).queued, 0, 'not retried every scan');
    });

    test('stats retention: rows of deleted listeners and purged amphorae go, the rest stay', async () => {
      const lb = await createActiveLoadBalancer(api, 'hk');
      const listener = await api.request('POST', '/v2/lbaas/listeners', {
        project: 'hk',
        body: { listener: { loadbalancer_id: lb.id, protocol: 'TCP', protocol_port: 7000 } },
      });
      assert.equal(listener.status, 201, listener.text);
      const listenerId = listener.body.listener.id as string;
      await api.waitForStatus(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
      const [amp] = await api.store.amphorae.forLoadBalancer(lb.id);
      const row = (listener_id: string, amphora_id: string) => ({
        listener_id,
        amphora_id,
        bytes_in: 10,
        bytes_out: 20,
        active_connections: 0,
        total_connections: 3,
        request_errors: 0,
      });
      const goneListener = '00000000-0000-4000-8000-0000000000a1';
      const purgedAmphora = '00000000-0000-4000-8000-0000000000a2';
      await api.store.executor
        .insertInto('listener_statistics')
        .values([row(listenerId, amp!.id), row(listenerId, listenerId), row(listenerId, purgedAmphora), row(goneListener, amp!.id)])
        .execute();
      const before = await api.request('GET', `/v2/lbaas/listeners/${listenerId}/stats`, { project: 'hk' });
      assert.equal(before.body.stats.total_connections, 9);

      const purged = await hk.cleanup();
      assert.equal(purged.statistics, 2);
      const left = await api.store.executor.selectFrom('listener_statistics').select(['listener_id', 'amphora_id']).execute();
      assert.deepEqual(
        left.map((r) => `${r.listener_id}/${r.amphora_id}`).sort(),
        [`${listenerId}/${amp!.id}`, `${listenerId}/${listenerId}`].sort(),
      );
      const after = await api.request('GET', `/v2/lbaas/listeners/${listenerId}/stats`, { project: 'hk' });
      assert.equal(after.body.stats.total_connections, 6, 'live rows still count');
      assert.equal((await hk.cleanup()).statistics, 0);
    });
  });
}
