/**
 * Amphora admin API (/v2/octavia/amphorae): list filters (including the load balancer's project),
 * show, delete only from ERROR, failover (load balancer locked, amphora replaced by the worker),
 * agent configuration push, per-listener statistics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Authorizer } from '../../src/api/auth.js';
import { createActiveLoadBalancer, engines, startTestApi, type TestApi, type TestResponse } from '../support/api.js';

const AMPS = '/v2/octavia/amphorae';
const LBS = '/v2/lbaas/loadbalancers';
const MISSING = '6a0f5c6e-2b8e-4b5b-9a53-3f3c2d1e0f99';

function fault(res: TestResponse, status: number, message: string): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { faultcode: status < 500 ? 'Client' : 'Server', faultstring: message, debuginfo: null });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const engine of engines()) {
  describe(`amphorae (${engine})`, () => {
    let api: TestApi;
    before(async () => {
      api = await startTestApi({ engine });
    });
    after(async () => api?.close());

    const amphoraeOf = async (lbId: string) => (await api.request('GET', `${AMPS}?loadbalancer_id=${lbId}`)).body.amphorae as { id: string; status: string; role: string }[];

    test('list filters by load balancer, by its project and by column; show; DELETED ones are hidden', async () => {
      const lb = await createActiveLoadBalancer(api, 'amp-list-project');
      const amps = await amphoraeOf(lb.id);
      assert.equal(amps.length, 1);
      const amp = amps[0]!;
      const byProject = await api.request('GET', `/v2.0/octavia/amphorae?project_id=amp-list-project`);
      assert.equal(byProject.status, 200, byProject.text);
      assert.deepEqual(byProject.body.amphorae.map((a: { id: string }) => a.id), [amp.id]);
      const otherProject = await api.request('GET', `${AMPS}?project_id=amp-nobody`);
      assert.deepEqual(otherProject.body, { amphorae: [], amphorae_links: [] });
      const byStatus = await api.request('GET', `${AMPS}?loadbalancer_id=${lb.id}&status=ALLOCATED&role=STANDALONE`);
      assert.equal(byStatus.body.amphorae.length, 1);
      const wrongStatus = await api.request('GET', `${AMPS}?loadbalancer_id=${lb.id}&status=ERROR`);
      assert.equal(wrongStatus.body.amphorae.length, 0);
      fault(await api.request('GET', `${AMPS}?bogus=1`), 400, 'One or more arguments are either duplicate or invalid');
      fault(await api.request('GET', `${AMPS}?sort=project_id`), 400, "Supplied sort key 'project_id' is not valid.");

      const shown = await api.request('GET', `${AMPS}/${amp.id}`);
      assert.equal(shown.status, 200, shown.text);
      assert.equal(shown.body.amphora.loadbalancer_id, lb.id);
      assert.deepEqual(Object.keys(shown.body.amphora), [
        'id', 'loadbalancer_id', 'compute_id', 'lb_network_ip', 'vrrp_ip', 'ha_ip', 'vrrp_port_id', 'ha_port_id', 'cert_expiration',
        'cert_busy', 'role', 'status', 'vrrp_interface', 'vrrp_id', 'vrrp_priority', 'cached_zone', 'created_at', 'updated_at',
        'image_id', 'compute_flavor',
      ]);
      const fields = await api.request('GET', `${AMPS}/${amp.id}?fields=status&fields=role`);
      assert.deepEqual(fields.body, { amphora: { status: 'ALLOCATED', role: 'STANDALONE' } });

      await api.store.amphorae.setStatus(amp.id, 'DELETED');
      fault(await api.request('GET', `${AMPS}/${amp.id}`), 404, `Amphora ${amp.id} not found.`);
      assert.deepEqual(await amphoraeOf(lb.id), []);
      fault(await api.request('DELETE', `${AMPS}/${amp.id}`), 404, `Amphora ${amp.id} not found.`);
    });

    test('delete only from ERROR: 409 otherwise; then PENDING_DELETE, a delete_amphora job, and the amphora is gone', async () => {
      const lb = await createActiveLoadBalancer(api, 'amp-del-project');
      const amp = (await amphoraeOf(lb.id))[0]!;
      fault(await api.request('DELETE', `${AMPS}/${amp.id}`), 409, `amphora ${amp.id} is immutable and cannot be updated.`);
      assert.equal((await api.store.amphorae.get(amp.id))?.status, 'ALLOCATED');
      assert.equal((await api.store.jobs.forResource(amp.id)).filter((j) => j.kind === 'delete_amphora').length, 0);

      await api.store.amphorae.setStatus(amp.id, 'ERROR');
      const del = await api.request('DELETE', `${AMPS}/${amp.id}`);
      assert.equal(del.status, 204, del.text);
      const jobs = (await api.store.jobs.forResource(amp.id)).filter((j) => j.kind === 'delete_amphora');
      assert.equal(jobs.length, 1);
      assert.deepEqual(jobs[0]!.payload, { amphoraId: amp.id });
      await waitFor('amphora deleted', async () => (await api.request('GET', `${AMPS}/${amp.id}`)).status === 404);
      assert.equal((await api.store.amphorae.get(amp.id))?.status, 'DELETED');
      fault(await api.request('DELETE', `${AMPS}/${MISSING}`), 404, `Amphora ${MISSING} not found.`);
    });

    test('failover locks the load balancer and the worker replaces the amphora', async () => {
      const lb = await createActiveLoadBalancer(api, 'amp-fo-project');
      const old = (await amphoraeOf(lb.id))[0]!;
      const res = await api.request('PUT', `${AMPS}/${old.id}/failover`);
      assert.equal(res.status, 202, res.text);
      assert.equal(res.text, '');
      const jobs = (await api.store.jobs.forResource(old.id)).filter((j) => j.kind === 'failover_amphora');
      assert.deepEqual(jobs.map((j) => j.payload), [{ amphoraId: old.id, loadBalancerId: lb.id }]);

      await api.settle();
      await api.waitForStatus(`${LBS}/${lb.id}`, 'loadbalancer');
      fault(await api.request('GET', `${AMPS}/${old.id}`), 404, `Amphora ${old.id} not found.`);
      const now = await amphoraeOf(lb.id);
      assert.equal(now.length, 1);
      assert.notEqual(now[0]!.id, old.id);
      assert.equal(now[0]!.status, 'ALLOCATED');
    });

    test('failover needs an ACTIVE load balancer: 409 and no job otherwise', async () => {
      const lb = await createActiveLoadBalancer(api, 'amp-fo2-project');
      const amp = (await amphoraeOf(lb.id))[0]!;
      await api.store.loadBalancers.setStatus(lb.id, { provisioningStatus: 'ERROR' });
      fault(await api.request('PUT', `${AMPS}/${amp.id}/failover`), 409, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
      assert.equal((await api.store.jobs.forResource(amp.id)).filter((j) => j.kind === 'failover_amphora').length, 0);
      assert.equal((await api.store.loadBalancers.get(lb.id))?.provisioningStatus, 'ERROR');
      fault(await api.request('PUT', `${AMPS}/${MISSING}/failover`), 404, `Amphora ${MISSING} not found.`);
    });

    test("policy: failover is checked against the load balancer's project; a denial changes nothing", async () => {
      const lb = await createActiveLoadBalancer(api, 'amp-pol-project');
      const amp = (await amphoraeOf(lb.id))[0]!;
      const deps = api.deps as { authorizer: Authorizer };
      const original = deps.authorizer;
      const seen: string[] = [];
      deps.authorizer = {
        allows: (_ctx, action, target) => {
          seen.push(`${action} ${target.projectId}`);
          return action !== 'os_load-balancer_api:amphora:put_failover';
        },
      };
      try {
        await api.request('GET', `${AMPS}/${amp.id}`, { project: 'admin-project' });
        await api.request('PUT', `${AMPS}/${amp.id}/config`, { project: 'admin-project' });
        fault(await api.request('PUT', `${AMPS}/${amp.id}/failover`, { project: 'admin-project' }), 403, 'Policy does not allow this request to be performed.');
      } finally {
        deps.authorizer = original;
      }
      assert.deepEqual(seen, [
        'os_load-balancer_api:amphora:get_one admin-project',
        'os_load-balancer_api:amphora:put_config amp-pol-project',
        'os_load-balancer_api:amphora:put_failover amp-pol-project',
      ]);
      assert.equal((await api.store.loadBalancers.get(lb.id))?.provisioningStatus, 'ACTIVE');
      assert.equal((await api.store.jobs.forResource(amp.id)).filter((j) => j.kind === 'failover_amphora').length, 0);
    });

    test('config queues an agent configuration push (202) without touching statuses', async () => {
      const lb = await createActiveLoadBalancer(api, 'amp-cfg-project');
      const amp = (await amphoraeOf(lb.id))[0]!;
      const res = await api.request('PUT', `${AMPS}/${amp.id}/config`);
      assert.equal(res.status, 202, res.text);
      const jobs = (await api.store.jobs.forResource(amp.id)).filter((j) => j.kind === 'update_amphora_agent_config');
      assert.deepEqual(jobs.map((j) => j.payload), [{ amphoraId: amp.id }]);
      assert.equal((await api.store.loadBalancers.get(lb.id))?.provisioningStatus, 'ACTIVE');
      fault(await api.request('PUT', `${AMPS}/${MISSING}/config`), 404, `Amphora ${MISSING} not found.`);
    });

    test('stats: one row per listener with the load balancer id; 404 when there are none', async () => {
      const lb = await createActiveLoadBalancer(api, 'amp-stats-project');
      const amp = (await amphoraeOf(lb.id))[0]!;
      fault(await api.request('GET', `${AMPS}/${amp.id}/stats`), 404, `Amphora stats for ${amp.id} not found.`);
      fault(await api.request('GET', `${AMPS}/${MISSING}/stats`), 404, `Amphora stats for ${MISSING} not found.`);
      const listenerId = 'a2c0b0c4-1d3e-4f5a-8b9c-0d1e2f3a4b5c';
      await api.store.executor
        .insertInto('listener_statistics')
        .values({ listener_id: listenerId, amphora_id: amp.id, bytes_in: 10, bytes_out: 20, active_connections: 1, total_connections: 5, request_errors: 2 })
        .execute();
      const res = await api.request('GET', `${AMPS}/${amp.id}/stats`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, {
        amphora_stats: [
          {
            active_connections: 1,
            bytes_in: 10,
            bytes_out: 20,
            id: amp.id,
            listener_id: listenerId,
            loadbalancer_id: lb.id,
            request_errors: 2,
            total_connections: 5,
          },
        ],
      });
    });
  });
}
