/**
 * Flavor API: create with defaults, unique names (on create and on rename), update, listing with
 * filters and pagination, delete refused while a load balancer uses the flavor, the nil UUID.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Authorizer } from '../../src/api/auth.js';
import { NIL_UUID } from '../../src/domain/load-balancer.js';
import { createActiveLoadBalancer, engines, startTestApi, type TestApi, type TestResponse } from '../support/api.js';

const FLAVORS = '/v2/lbaas/flavors';
const MISSING = '6a0f5c6e-2b8e-4b5b-9a53-3f3c2d1e0f99';

function fault(res: TestResponse, status: number, message: string): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { faultcode: status < 500 ? 'Client' : 'Server', faultstring: message, debuginfo: null });
}

for (const engine of engines()) {
  describe(`flavors (${engine})`, () => {
    let api: TestApi;
    let profileId: string;
    before(async () => {
      api = await startTestApi({ engine });
      const fp = await api.request('POST', '/v2/lbaas/flavorprofiles', {
        body: { flavorprofile: { name: 'fp', provider_name: 'amphora', flavor_data: '{"loadbalancer_topology": "ACTIVE_STANDBY"}' } },
      });
      assert.equal(fp.status, 201, fp.text);
      profileId = fp.body.flavorprofile.id;
    });
    after(async () => api?.close());

    const create = (flavor: Record<string, unknown>) => api.request('POST', FLAVORS, { body: { flavor } });

    test('create: enabled defaults to true, description to ""; the flavor is shown and listed', async () => {
      const res = await create({ name: 'fl-create', flavor_profile_id: profileId });
      assert.equal(res.status, 201, res.text);
      const f = res.body.flavor;
      assert.match(f.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(f, { id: f.id, name: 'fl-create', description: '', enabled: true, flavor_profile_id: profileId });
      assert.deepEqual((await api.request('GET', `${FLAVORS}/${f.id}`)).body, { flavor: f });
      assert.deepEqual((await api.request('GET', `/v2.0/flavors?name=fl-create`)).body, { flavors: [f], flavors_links: [] });
    });

    test('names are unique on create and on rename', async () => {
      assert.equal((await create({ name: 'fl-dup', flavor_profile_id: profileId })).status, 201);
      fault(await create({ name: 'fl-dup', flavor_profile_id: profileId }), 409, 'A flavor of fl-dup already exists.');
      const other = (await create({ name: 'fl-other', flavor_profile_id: profileId })).body.flavor;
      fault(await api.request('PUT', `${FLAVORS}/${other.id}`, { body: { flavor: { name: 'fl-dup' } } }), 409, 'A flavor of fl-dup already exists.');
      const same = await api.request('PUT', `${FLAVORS}/${other.id}`, { body: { flavor: { name: 'fl-other' } } });
      assert.equal(same.status, 200, 'keeping its own name is fine');
      const rows = await api.request('GET', `${FLAVORS}?name=fl-dup`);
      assert.equal(rows.body.flavors.length, 1);
    });

    test('create needs an existing profile and refuses nulls; nothing is written', async () => {
      fault(await create({ name: 'fl-bad', flavor_profile_id: MISSING }), 400, `Flavor Profile ${MISSING} not found.`);
      fault(await create({ name: 'fl-bad' }), 400, "Invalid input for field/attribute flavor_profile_id. Value: 'None'. Mandatory field missing.");
      fault(await create({ name: 'fl-bad', flavor_profile_id: 'bogus' }), 400, "Invalid input for field/attribute flavor_profile_id. Value: 'bogus'. Value should be UUID format");
      fault(await create({ name: null, flavor_profile_id: profileId }), 400, 'None is not a valid option for name');
      fault(await create({ name: 'fl-bad', flavor_profile_id: profileId, enabled: null }), 400, 'None is not a valid option for enabled');
      fault(await create({ name: 'x'.repeat(256), flavor_profile_id: profileId }), 400, `Invalid input for field/attribute name. Value: '${'x'.repeat(256)}'. Value should have a maximum character requirement of 255`);
      assert.deepEqual((await api.request('GET', `${FLAVORS}?name=fl-bad`)).body.flavors, []);
    });

    test('update changes name, description and enabled; the profile cannot be changed', async () => {
      const f = (await create({ name: 'fl-upd', description: 'd1', flavor_profile_id: profileId })).body.flavor;
      const put = (flavor: unknown) => api.request('PUT', `${FLAVORS}/${f.id}`, { body: { flavor } });
      const res = await put({ name: 'fl-upd2', description: 'd2', enabled: false });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.flavor, { id: f.id, name: 'fl-upd2', description: 'd2', enabled: false, flavor_profile_id: profileId });
      const cleared = await put({ description: null });
      assert.equal(cleared.body.flavor.description, '');
      const unchanged = await put({});
      assert.deepEqual(unchanged.body.flavor, { ...res.body.flavor, description: '' });
      fault(await put({ flavor_profile_id: profileId }), 400, 'Unknown attribute for argument flavor_.flavor: flavor_profile_id');
      fault(await put({ name: null }), 400, 'None is not a valid option for name');
      fault(await put({ enabled: null }), 400, 'None is not a valid option for enabled');
      assert.equal((await api.request('GET', `${FLAVORS}/${f.id}`)).body.flavor.name, 'fl-upd2');
    });

    test('list filters and pagination links', async () => {
      for (const n of ['fl-page-1', 'fl-page-2', 'fl-page-3']) await create({ name: n, flavor_profile_id: profileId, enabled: n !== 'fl-page-2' });
      const disabled = await api.request('GET', `${FLAVORS}?enabled=False&name=fl-page-2`);
      assert.deepEqual(disabled.body.flavors.map((f: { name: string }) => f.name), ['fl-page-2']);
      const enabled = await api.request('GET', `${FLAVORS}?enabled=true&name=fl-page-2`);
      assert.deepEqual(enabled.body.flavors, []);
      fault(await api.request('GET', `${FLAVORS}?id=x&bogus=1`), 400, 'One or more arguments are either duplicate or invalid');

      const seen: string[] = [];
      let url = `${FLAVORS}?limit=2`;
      for (let page = 0; page < 20; page++) {
        const res = await api.request('GET', url);
        assert.equal(res.status, 200, res.text);
        seen.push(...res.body.flavors.map((f: { id: string }) => f.id));
        const next = res.body.flavors_links.find((l: { rel: string }) => l.rel === 'next');
        if (!next) break;
        url = `${FLAVORS}?${new URL(next.href).searchParams.toString()}`;
      }
      const all = (await api.request('GET', FLAVORS)).body.flavors.map((f: { id: string }) => f.id);
      assert.ok(all.length >= 3);
      assert.deepEqual(seen, all, 'following next links visits every flavor once, in order');
      const fields = await api.request('GET', `${FLAVORS}?name=fl-page-1&fields=name&fields=enabled`);
      assert.deepEqual(fields.body.flavors, [{ name: 'fl-page-1', enabled: true }]);
    });

    test('delete is refused while a load balancer uses the flavor; a DELETED one is re-pointed to the nil UUID', async () => {
      const f = (await create({ name: 'fl-used', flavor_profile_id: profileId })).body.flavor;
      const lb = await createActiveLoadBalancer(api, 'flavor-project', { flavor_id: f.id });
      assert.equal(lb.flavor_id, f.id);
      const amps = await api.request('GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`);
      assert.deepEqual(amps.body.amphorae.map((a: { role: string }) => a.role).sort(), ['BACKUP', 'MASTER'], "the profile's topology applies");

      fault(await api.request('DELETE', `${FLAVORS}/${f.id}`), 409, `Flavor ${f.id} is in use and cannot be modified.`);
      assert.equal((await api.request('GET', `${FLAVORS}/${f.id}`)).status, 200);

      assert.equal((await api.request('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).status, 204);
      await api.waitForStatus(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED');
      const del = await api.request('DELETE', `${FLAVORS}/${f.id}`);
      assert.equal(del.status, 204, del.text);
      fault(await api.request('GET', `${FLAVORS}/${f.id}`), 404, `Flavor ${f.id} not found.`);
      const row = await api.store.loadBalancers.get(lb.id);
      assert.equal(row?.provisioningStatus, 'DELETED');
      assert.equal(row?.flavorId, NIL_UUID);
      fault(await api.request('DELETE', `${FLAVORS}/${f.id}`), 404, `Flavor ${f.id} not found.`);
    });

    test('policy: flavor actions are checked against the caller\'s project; a denied create writes nothing', async () => {
      const deps = api.deps as { authorizer: Authorizer };
      const original = deps.authorizer;
      const seen: string[] = [];
      deps.authorizer = {
        allows: (_ctx, action, target) => {
          seen.push(`${action} ${target.projectId}`);
          return action !== 'os_load-balancer_api:flavor:post';
        },
      };
      try {
        await api.request('GET', FLAVORS, { project: 'reader' });
        fault(await create({ name: 'fl-denied', flavor_profile_id: profileId }), 403, 'Policy does not allow this request to be performed.');
      } finally {
        deps.authorizer = original;
      }
      assert.deepEqual(seen, ['os_load-balancer_api:flavor:get_all reader', 'os_load-balancer_api:flavor:post null']);
      assert.deepEqual((await api.request('GET', `${FLAVORS}?name=fl-denied`)).body.flavors, []);
    });

    test('the nil UUID and unknown ids answer 404', async () => {
      for (const id of [NIL_UUID, MISSING]) {
        fault(await api.request('GET', `${FLAVORS}/${id}`), 404, `Flavor ${id} not found.`);
        fault(await api.request('PUT', `${FLAVORS}/${id}`, { body: { flavor: { name: 'x' } } }), 404, `Flavor ${id} not found.`);
        fault(await api.request('DELETE', `${FLAVORS}/${id}`), 404, `Flavor ${id} not found.`);
      }
    });
  });
}
