/**
 * The VRRP sub-flow of ACTIVE_STANDBY load balancers with the real worker and store, noop drivers
 * and an amphora driver that records the VRRP calls: order (MASTER first, after the VIP plugs,
 * before the listeners), what is stored, the amphora failover re-configuring the survivor, SINGLE
 * untouched, and a failing keepalived start reverting the create.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildWorker } from '../../src/cli/compose.js';
import type { Worker } from '../../src/controller/worker.js';
import type { Amphora } from '../../src/domain/amphora.js';
import { DomainError } from '../../src/domain/errors.js';
import type { LoadBalancerGraph } from '../../src/domain/graph.js';
import type { AmphoraDriver } from '../../src/drivers/amphora/amphora-driver.js';
import { silentLogger } from '../../src/lib/logger.js';
import { engines, startTestApi, SUBNET, type TestApi } from '../support/api.js';

const LBS = '/v2/lbaas/loadbalancers';

interface Call {
  readonly lbId: string | null;
  readonly call: string;
  readonly role: string | null;
  /** updateVrrpConfig: the ALLOCATED amphorae of the graph it was given (ids). */
  readonly peers?: readonly string[];
}

for (const engine of engines()) {
  describe(`ACTIVE_STANDBY VRRP flows (${engine})`, () => {
    let api: TestApi;
    let worker: Worker;
    const calls: Call[] = [];
    let failStart = false;

    before(async () => {
      api = await startTestApi({ engine, worker: false, config: { controller_worker: { loadbalancer_topology: 'ACTIVE_STANDBY' } } });
      const real = api.drivers.amphora;
      const record = (call: string, a: Amphora, extra: Partial<Call> = {}) => calls.push({ lbId: a.loadBalancerId, call, role: a.role, ...extra });
      const amphora: AmphoraDriver = {
        requiresServerCertificate: real.requiresServerCertificate,
        waitForConnectivity: (a, t) => real.waitForConnectivity(a, t),
        finalize: (a) => real.finalize(a),
        postVipPlug: async (a, lb, plug) => {
          record('postVipPlug', a);
          await real.postVipPlug(a, lb, plug);
        },
        postNetworkPlug: (a, p) => real.postNetworkPlug(a, p),
        updateListeners: async (g, a) => {
          record('updateListeners', a);
          await real.updateListeners(g, a);
        },
        deleteListeners: (lb, a) => real.deleteListeners(lb, a),
        updateAgentConfig: (a) => real.updateAgentConfig(a),
        updateServerCertificate: (a, pem) => real.updateServerCertificate(a, pem),
        async getVrrpInterface(a) {
          record('getVrrpInterface', a);
          return 'eth1';
        },
        async updateVrrpConfig(g: LoadBalancerGraph, a) {
          record('updateVrrpConfig', a, { peers: g.amphorae.filter((x) => x.status === 'ALLOCATED').map((x) => x.id).sort() });
        },
        async startVrrp(a) {
          record('startVrrp', a);
          if (failStart) throw new DomainError('driver_error', 'injected: keepalived refused', { operatorMessage: 'injected startVrrp failure' });
        },
      };
      worker = buildWorker(api.config, silentLogger(), api.store, { ...api.drivers, amphora });
      worker.start();
    });
    after(async () => {
      await worker?.stop();
      await api?.close();
    });

    const create = async (extra: Record<string, unknown> = {}): Promise<string> => {
      const res = await api.request('POST', LBS, {
        project: 'vrrp',
        body: {
          loadbalancer: {
            vip_subnet_id: SUBNET,
            listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }],
            ...extra,
          },
        },
      });
      assert.equal(res.status, 201, res.text);
      return res.body.loadbalancer.id as string;
    };
    const of = (lbId: string) => calls.filter((c) => c.lbId === lbId).map((c) => `${c.call}:${c.role}`);

    test('create: VIPs plugged, then interfaces, configurations and starts (MASTER first), then listeners', async () => {
      const lbId = await create();
      await api.waitForStatus(`${LBS}/${lbId}`, 'loadbalancer', 'ACTIVE');
      // VIP plugs and listener updates go over the amphorae in the order the database lists them
      // (created in the same second: any order); the VRRP steps go MASTER first on purpose.
      const order = of(lbId);
      assert.deepEqual(order.slice(0, 2).sort(), ['postVipPlug:BACKUP', 'postVipPlug:MASTER']);
      assert.deepEqual(order.slice(2, 8), [
        'getVrrpInterface:MASTER',
        'getVrrpInterface:BACKUP',
        'updateVrrpConfig:MASTER',
        'updateVrrpConfig:BACKUP',
        'startVrrp:MASTER',
        'startVrrp:BACKUP',
      ]);
      assert.deepEqual(order.slice(8).sort(), ['updateListeners:BACKUP', 'updateListeners:MASTER']);
      const amphorae = await api.store.amphorae.forLoadBalancer(lbId);
      assert.deepEqual(
        amphorae.map((a) => [a.role, a.vrrpInterface, a.vrrpId, a.vrrpPriority]).sort(),
        [['BACKUP', 'eth1', 1, 90], ['MASTER', 'eth1', 1, 100]],
      );
      const configured = calls.filter((c) => c.lbId === lbId && c.call === 'updateVrrpConfig');
      assert.deepEqual(configured[0]!.peers, amphorae.map((a) => a.id).sort(), 'both amphorae are ALLOCATED when rendered');
    });

    test('amphora failover of the MASTER: the new MASTER and the surviving BACKUP are both re-configured', async () => {
      const lbId = await create();
      await api.waitForStatus(`${LBS}/${lbId}`, 'loadbalancer', 'ACTIVE');
      const before = await api.store.amphorae.forLoadBalancer(lbId);
      const master = before.find((a) => a.role === 'MASTER')!;
      const backup = before.find((a) => a.role === 'BACKUP')!;
      calls.length = 0;
      const res = await api.request('PUT', `/v2/octavia/amphorae/${master.id}/failover`);
      assert.equal(res.status, 202, res.text);
      await api.settle();
      await api.waitForStatus(`${LBS}/${lbId}`, 'loadbalancer', 'ACTIVE');
      const now = (await api.store.amphorae.forLoadBalancer(lbId)).filter((a) => a.status === 'ALLOCATED');
      const fresh = now.find((a) => a.role === 'MASTER')!;
      assert.notEqual(fresh.id, master.id);
      assert.deepEqual(now.map((a) => a.id).sort(), [fresh.id, backup.id].sort());
      assert.deepEqual(
        of(lbId).filter((c) => /Vrrp/.test(c)),
        ['getVrrpInterface:MASTER', 'getVrrpInterface:BACKUP', 'updateVrrpConfig:MASTER', 'updateVrrpConfig:BACKUP', 'startVrrp:MASTER', 'startVrrp:BACKUP'],
      );
      for (const c of calls.filter((x) => x.lbId === lbId && x.call === 'updateVrrpConfig')) {
        assert.deepEqual(c.peers, [fresh.id, backup.id].sort(), 'the failed amphora is no peer any more');
      }
    });

    test('SINGLE (a flavor overriding the configured topology): no VRRP call at all', async () => {
      const fp = await api.request('POST', '/v2/lbaas/flavorprofiles', {
        body: { flavorprofile: { name: 'single', provider_name: 'amphora', flavor_data: '{"loadbalancer_topology": "SINGLE"}' } },
      });
      const fl = await api.request('POST', '/v2/lbaas/flavors', { body: { flavor: { name: 'single', flavor_profile_id: fp.body.flavorprofile.id } } });
      const lbId = await create({ flavor_id: fl.body.flavor.id });
      await api.waitForStatus(`${LBS}/${lbId}`, 'loadbalancer', 'ACTIVE');
      assert.deepEqual(of(lbId), ['postVipPlug:STANDALONE', 'updateListeners:STANDALONE']);
    });

    test('keepalived does not start: the create reverts, the load balancer ends in ERROR', async () => {
      failStart = true;
      try {
        const lbId = await create();
        await api.waitForStatus(`${LBS}/${lbId}`, 'loadbalancer', 'ERROR');
        // The revert sets ERROR before the worker records the job's outcome.
        await api.settle();
        const [job] = await api.store.jobs.forResource(lbId);
        assert.match(job!.error ?? '', /^AmphoraVRRPStart: injected startVrrp failure$/);
        assert.ok(!of(lbId).some((c) => c.startsWith('updateListeners')));
      } finally {
        failStart = false;
      }
    });
  });
}
