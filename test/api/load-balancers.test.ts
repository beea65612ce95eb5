/**
 * Load balancer API: create/show/list/update/delete, statuses reached with the noop drivers,
 * validation errors with upstream's texts, the status tree and stats, failover, cascade delete.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createActiveLoadBalancer, engines, startTestApi, SUBNET, type TestApi } from '../support/api.js';

const LBS = '/v2/lbaas/loadbalancers';

for (const engine of engines()) {
  describe(`load balancers (${engine})`, () => {
    let api: TestApi;
    before(async () => {
      api = await startTestApi({ engine });
    });
    after(async () => api?.close());

    test('create answers 201 PENDING_CREATE/OFFLINE with the VIP filled in, then becomes ACTIVE with one STANDALONE amphora', async () => {
      const res = await api.request('POST', LBS, {
        project: 'proj-a',
        body: { loadbalancer: { vip_subnet_id: SUBNET, name: 'lb1', tags: ['t1', 't2'] } },
      });
      assert.equal(res.status, 201, res.text);
      const lb = res.body.loadbalancer;
      assert.equal(lb.provisioning_status, 'PENDING_CREATE');
      assert.equal(lb.operating_status, 'OFFLINE');
      assert.equal(lb.project_id, 'proj-a');
      assert.equal(lb.tenant_id, 'proj-a');
      assert.equal(lb.vip_subnet_id, SUBNET);
      assert.equal(lb.vip_address, '198.51.100.1');
      assert.match(lb.vip_port_id, /^[0-9a-f-]{36}$/);
      assert.match(lb.vip_network_id, /^[0-9a-f-]{36}$/);
      assert.equal(lb.provider, 'amphora');
      assert.equal(lb.description, '');
      assert.equal(lb.updated_at, null);
      assert.match(lb.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      assert.deepEqual(lb.tags.sort(), ['t1', 't2']);
      assert.deepEqual(lb.listeners, []);
      assert.deepEqual(lb.pools, []);
      assert.equal(lb.vip_vnic_type, 'normal');
      assert.deepEqual(lb.vip_sg_ids, []);

      const active = await api.waitForStatus(`${LBS}/${lb.id}`, 'loadbalancer');
      assert.equal(active.operating_status, 'OFFLINE');
      const amps = await api.request('GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`);
      assert.equal(amps.status, 200, amps.text);
      assert.equal(amps.body.amphorae.length, 1);
      assert.equal(amps.body.amphorae[0].role, 'STANDALONE');
      assert.equal(amps.body.amphorae[0].status, 'ALLOCATED');
      assert.equal(amps.body.amphorae[0].vrrp_priority, null);
    });

    test('missing project → 400 with upstream text; a VIP is required', async () => {
      const noProject = await api.request('POST', LBS, { body: { loadbalancer: { vip_subnet_id: SUBNET } } });
      assert.equal(noProject.status, 400);
      assert.deepEqual(noProject.body, {
        faultcode: 'Client',
        faultstring:
          'Validation failure: Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.',
        debuginfo: null,
      });
      const noVip = await api.request('POST', LBS, { project: 'p', body: { loadbalancer: { name: 'x' } } });
      assert.equal(noVip.status, 400);
      assert.equal(noVip.body.faultstring, 'Validation failure: VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.');
      const rows = await api.store.loadBalancers.list({ filters: [{ column: 'name', values: ['x'] }], sort: [], limit: null, marker: null, pageReverse: false });
      assert.equal(rows.length, 0, 'nothing written on 400');
    });

    test('body decoding errors use WSME texts', async () => {
      const unknown = await api.request('POST', LBS, { project: 'p', body: { loadbalancer: { vip_subnet_id: SUBNET, bogus: 1 } } });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.faultstring, 'Unknown attribute for argument load_balancer.loadbalancer: bogus');
      const badBool = await api.request('POST', LBS, { project: 'p', body: { loadbalancer: { vip_subnet_id: SUBNET, admin_state_up: 'maybe' } } });
      assert.equal(badBool.status, 400);
      assert.equal(
        badBool.body.faultstring,
        `Invalid input for field/attribute load_balancer. Value: '{'loadbalancer': {'vip_subnet_id': '${SUBNET}', 'admin_state_up': 'maybe'}}'. Value not an unambiguous boolean: maybe`,
      );
      const badUuid = await api.request('POST', LBS, { project: 'p', body: { loadbalancer: { vip_subnet_id: 'nope' } } });
      assert.equal(badUuid.body.faultstring, "Invalid input for field/attribute vip_subnet_id. Value: 'nope'. Value should be UUID format");
      const long = await api.request('POST', LBS, { project: 'p', body: { loadbalancer: { vip_subnet_id: SUBNET, name: 'x'.repeat(256) } } });
      assert.equal(long.body.faultstring, `Invalid input for field/attribute name. Value: '${'x'.repeat(256)}'. Value should have a maximum character requirement of 255`);
      const notJson = await api.request('POST', LBS, { project: 'p', rawBody: '{nope' });
      assert.equal(notJson.status, 400);
      assert.equal(notJson.body.faultstring, 'Request is not in valid JSON format');
      const empty = await api.request('POST', LBS, { project: 'p', rawBody: '' });
      assert.equal(empty.status, 400);
      assert.equal(empty.body.faultstring, 'Missing argument: "load_balancer"');
      const notObject = await api.request('POST', LBS, { project: 'p', body: [] });
      assert.equal(notObject.status, 400);
    });

    test('show, list with filters, fields, sorting and pagination links', async () => {
      const a = await createActiveLoadBalancer(api, 'proj-list', { name: 'alpha' });
      const b = await createActiveLoadBalancer(api, 'proj-list', { name: 'beta' });
      const shown = await api.request('GET', `${LBS}/${a.id}`);
      assert.equal(shown.status, 200);
      assert.equal(shown.body.loadbalancer.name, 'alpha');

      const byName = await api.request('GET', `${LBS}?name=beta`);
      assert.deepEqual(byName.body.loadbalancers.map((l: { id: string }) => l.id), [b.id]);
      const fields = await api.request('GET', `${LBS}?project_id=proj-list&fields=id&fields=name`);
      assert.deepEqual(Object.keys(fields.body.loadbalancers[0]).sort(), ['id', 'name']);
      const sorted = await api.request('GET', `${LBS}?project_id=proj-list&sort=name:desc`);
      assert.deepEqual(sorted.body.loadbalancers.map((l: { name: string }) => l.name), ['beta', 'alpha']);

      const page1 = await api.request('GET', `${LBS}?project_id=proj-list&limit=1&fields=id`);
      assert.equal(page1.body.loadbalancers.length, 1);
      const next = page1.body.loadbalancers_links.find((l: { rel: string }) => l.rel === 'next');
      assert.ok(next, 'a full page has a next link');
      assert.ok(!next.href.includes('fields'), 'upstream drops fields from links');
      const page2 = await api.request('GET', `${LBS}${new URL(next.href).search}&project_id=proj-list`);
      assert.equal(page2.body.loadbalancers.length, 1);
      assert.notEqual(page2.body.loadbalancers[0].id, page1.body.loadbalancers[0].id);
      assert.ok(page2.body.loadbalancers_links.some((l: { rel: string }) => l.rel === 'previous'));

      const badKey = await api.request('GET', `${LBS}?sort=nope`);
      assert.equal(badKey.status, 400);
      assert.equal(badKey.body.faultstring, "Supplied sort key 'nope' is not valid.");
      const badFilter = await api.request('GET', `${LBS}?nope=1`);
      assert.equal(badFilter.body.faultstring, 'One or more arguments are either duplicate or invalid');
      const badLimit = await api.request('GET', `${LBS}?limit=abc`);
      assert.equal(badLimit.status, 400);
      assert.deepEqual(badLimit.body, { code: 400, title: 'Bad Request', description: "Supplied pagination limit 'abc' is not valid." });
      const badMarker = await api.request('GET', `${LBS}?marker=abc`);
      assert.equal(badMarker.body.faultstring, "Supplied pagination marker 'abc' is not valid.");
      for (const prefix of ['/v2.0/lbaas', '/v2', '/v2.0']) {
        const alt = await api.request('GET', `${prefix}/loadbalancers/${a.id}`);
        assert.equal(alt.status, 200, prefix);
      }
      const nul = await api.request('GET', `${LBS}/a%00b`);
      assert.equal(nul.status, 400, 'NUL in a path is refused before it reaches the database');
      const nulFilter = await api.request('GET', `${LBS}?name=a%00b`);
      assert.equal(nulFilter.status, 400);
      const dotJson = await api.request('GET', `${LBS}/${a.id}.json`);
      assert.equal(dotJson.status, 200);
    });

    test('tags filters', async () => {
      const x = await createActiveLoadBalancer(api, 'proj-tags', { tags: ['red', 'blue'] });
      const y = await createActiveLoadBalancer(api, 'proj-tags', { tags: ['red'] });
      const ids = async (q: string) =>
        (await api.request('GET', `${LBS}?project_id=proj-tags&${q}`)).body.loadbalancers.map((l: { id: string }) => l.id).sort();
      assert.deepEqual(await ids('tags=red,blue'), [x.id]);
      assert.deepEqual(await ids('tags=red'), [x.id, y.id].sort());
      assert.deepEqual(await ids('tags-any=blue&tags-any=green'), [x.id]);
      assert.deepEqual(await ids('not-tags=red,blue'), [y.id]);
      assert.deepEqual(await ids('not-tags-any=blue'), [y.id]);
    });

    test('update: 200 PENDING_UPDATE with new values, 409 while not ACTIVE, then ACTIVE', async () => {
      const lb = await createActiveLoadBalancer(api, 'proj-upd');
      const res = await api.request('PUT', `${LBS}/${lb.id}`, { body: { loadbalancer: { name: 'renamed', admin_state_up: false } } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.loadbalancer.name, 'renamed');
      assert.equal(res.body.loadbalancer.admin_state_up, false);
      assert.equal(res.body.loadbalancer.provisioning_status, 'PENDING_UPDATE');
      const immutable = await api.request('PUT', `${LBS}/${lb.id}`, { body: { loadbalancer: { name: 'again' } } });
      if (immutable.status === 409) {
        assert.equal(immutable.body.faultstring, `Invalid state PENDING_UPDATE of loadbalancer resource ${lb.id}`);
      }
      await api.waitForStatus(`${LBS}/${lb.id}`, 'loadbalancer');
      const vip = await api.request('PUT', `${LBS}/${lb.id}`, { body: { loadbalancer: { vip_address: '10.0.0.1' } } });
      assert.equal(vip.status, 400);
      assert.equal(vip.body.faultstring, 'Unknown attribute for argument load_balancer.loadbalancer: vip_address');
    });

    test('delete: 204, PENDING_DELETE then 404; amphora DELETED', async () => {
      const lb = await createActiveLoadBalancer(api, 'proj-del');
      const res = await api.request('DELETE', `${LBS}/${lb.id}`);
      assert.equal(res.status, 204);
      await api.waitForStatus(`${LBS}/${lb.id}`, 'loadbalancer', 'DELETED');
      const gone = await api.request('GET', `${LBS}/${lb.id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.faultstring, `Load Balancer ${lb.id} not found.`);
      const row = await api.store.loadBalancers.get(lb.id);
      assert.equal(row?.provisioningStatus, 'DELETED', 'load balancers linger as DELETED');
      const amps = await api.store.amphorae.list({ filters: [{ column: 'load_balancer_id', values: [lb.id] }], sort: [], limit: null, marker: null, pageReverse: false });
      assert.equal(amps.length, 0, 'DELETED amphorae are hidden');
      const again = await api.request('DELETE', `${LBS}/${lb.id}`);
      assert.equal(again.status, 404);
    });

    test('status tree, stats and failover', async () => {
      const lb = await createActiveLoadBalancer(api, 'proj-st', { name: 'st' });
      const tree = await api.request('GET', `${LBS}/${lb.id}/status`);
      assert.equal(tree.status, 200);
      assert.deepEqual(tree.body, {
        statuses: { loadbalancer: { listeners: [], provisioning_status: 'ACTIVE', id: lb.id, operating_status: 'OFFLINE', name: 'st' } },
      });
      const alias = await api.request('GET', `${LBS}/${lb.id}/statuses`);
      assert.equal(alias.status, 200);
      const stats = await api.request('GET', `${LBS}/${lb.id}/stats`);
      assert.deepEqual(stats.body, { stats: { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 } });

      const before = (await api.request('GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).body.amphorae[0];
      const fo = await api.request('PUT', `${LBS}/${lb.id}/failover`);
      assert.equal(fo.status, 202);
      assert.equal(fo.text, '');
      await api.waitForStatus(`${LBS}/${lb.id}`, 'loadbalancer');
      const afterAmps = (await api.request('GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`)).body.amphorae;
      assert.equal(afterAmps.length, 1);
      assert.notEqual(afterAmps[0].id, before.id, 'failover replaced the amphora');
      assert.equal((await api.store.amphorae.get(before.id))?.status, 'DELETED');
    });

    test('bodies over [oslo_middleware] max_request_body_size are refused with 413, nothing written', async () => {
      const before = (await api.store.jobs.countByState()).queued;
      const huge = await api.request('POST', LBS, {
        project: 'p-big',
        body: { loadbalancer: { vip_subnet_id: SUBNET, description: 'x'.repeat(200_000) } },
      });
      assert.equal(huge.status, 413);
      assert.deepEqual(huge.body, { code: 413, title: 'Request Entity Too Large', description: 'Request is too large.' });
      assert.equal((await api.request('GET', `${LBS}?project_id=p-big`)).body.loadbalancers.length, 0);
      assert.equal((await api.store.jobs.countByState()).queued, before);
    });

    test('/openapi.json describes every route with the request schemas that validate bodies', async () => {
      const doc = await api.request('GET', '/openapi.json');
      assert.equal(doc.status, 200);
      assert.equal(doc.body.openapi, '3.0.3');
      assert.ok(doc.body.paths['/v2/lbaas/loadbalancers'].post.requestBody);
      assert.ok(doc.body.paths['/v2.0/lbaas/pools/{pool_id}/members'].put);
      assert.ok(doc.body.paths['/v2/octavia/amphorae/{id}/failover'].put);
      const listener = doc.body.components.schemas.ListenerRootPOST.properties.listener;
      assert.deepEqual(listener.required, ['protocol', 'protocol_port', 'loadbalancer_id']);
      assert.equal(listener.properties.protocol_port.maximum, 65535);
    });

    test('version document and roots', async () => {
      const root = await api.request('GET', '/');
      assert.equal(root.status, 200);
      const versions = root.body.versions;
      assert.equal(versions.length, 31);
      assert.equal(versions[30].id, 'v2.30');
      assert.equal(versions[30].status, 'CURRENT');
      assert.equal(versions[0].status, 'SUPPORTED');
      assert.match(versions[0].links[0].href, /\/v2$/);
      const v2 = await api.request('GET', '/v2');
      assert.equal(v2.body, 'v2');
      const xml = await api.request('GET', LBS, { headers: { accept: 'application/xml' } });
      assert.equal(xml.status, 406);
      assert.deepEqual(xml.body, { code: 406, title: 'Not Acceptable', description: 'Only content type application/json is accepted.' });
      const unknown = await api.request('GET', '/v2/lbaas/nothing');
      assert.equal(unknown.status, 404);
      assert.ok(unknown.headers['x-openstack-request-id']);
    });
  });
}
