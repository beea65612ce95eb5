/**
 * Availability zones (keyed by name) and availability zone profiles: metadata validation by the
 * provider, unique names, updates, profiles frozen while used, delete refused while a load balancer
 * uses the zone, listing by name with working pagination, the nil UUID.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NIL_UUID } from '../../src/domain/load-balancer.js';
import { createActiveLoadBalancer, engines, startTestApi, type TestApi, type TestResponse } from '../support/api.js';

const AZS = '/v2/lbaas/availabilityzones';
const AZPS = '/v2/lbaas/availabilityzoneprofiles';
const MISSING = '6a0f5c6e-2b8e-4b5b-9a53-3f3c2d1e0f99';

function fault(res: TestResponse, status: number, message: string): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { faultcode: status < 500 ? 'Client' : 'Server', faultstring: message, debuginfo: null });
}

for (const engine of engines()) {
  describe(`availability zone profiles (${engine})`, () => {
    let api: TestApi;
    before(async () => {
      api = await startTestApi({ engine, worker: false });
    });
    after(async () => api?.close());

    const create = (name: string, data: string | null, provider = 'amphora') =>
      api.request('POST', AZPS, { body: { availability_zone_profile: { name, provider_name: provider, availability_zone_data: data } } });

    test('create, show, list under availability_zone_profile_links', async () => {
      const res = await create('azp-create', '{"compute_zone": "nova", "valid_vip_networks": ["n1"]}');
      assert.equal(res.status, 201, res.text);
      const p = res.body.availability_zone_profile;
      assert.deepEqual(p, {
        id: p.id,
        name: 'azp-create',
        provider_name: 'amphora',
        availability_zone_data: '{"compute_zone": "nova", "valid_vip_networks": ["n1"]}',
      });
      assert.deepEqual((await api.request('GET', `${AZPS}/${p.id}`)).body, { availability_zone_profile: p });
      const list = await api.request('GET', `${AZPS}?name=azp-create`);
      assert.deepEqual(list.body, { availability_zone_profiles: [p], availability_zone_profile_links: [] });
    });

    test('bad metadata is refused with the provider texts; nothing is written', async () => {
      fault(await create('azp-bad', 'x'), 400, 'x is not a valid option for availability_zone_data');
      fault(await create('azp-bad', null), 400, 'None is not a valid option for availability_zone_data');
      fault(await create('azp-bad', '{"compute_zone": 5}'), 501, "Provider 'amphora' does not support a requested option: compute_zone 5 is not of type 'string'");
      fault(await create('azp-bad', '{"valid_vip_networks": "n1"}'), 501, "Provider 'amphora' does not support a requested option: valid_vip_networks 'n1' is not of type 'array'");
      fault(await create('azp-bad', '{}', 'bogus'), 400, "Provider 'bogus' is not enabled.");
      assert.deepEqual((await api.request('GET', `${AZPS}?name=azp-bad`)).body.availability_zone_profiles, []);
    });

    test('update validates new metadata (upstream names flavor_data in the parse error) and refuses nulls', async () => {
      const p = (await create('azp-upd', '{}')).body.availability_zone_profile;
      const put = (body: unknown) => api.request('PUT', `${AZPS}/${p.id}`, { body: { availability_zone_profile: body } });
      fault(await put({ availability_zone_data: 'x' }), 400, 'x is not a valid option for flavor_data');
      fault(await put({ availability_zone_data: '{"volume_zone": []}' }), 501, "Provider 'amphora' does not support a requested option: volume_zone [] is not of type 'string'");
      fault(await put({ name: null }), 400, 'None is not a valid option for name');
      fault(await put({ availability_zone_data: null }), 400, 'None is not a valid option for availability_zone_data');
      const ok = await put({ name: 'azp-upd2', availability_zone_data: '{"volume_zone": "v"}' });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(ok.body.availability_zone_profile, { id: p.id, name: 'azp-upd2', provider_name: 'amphora', availability_zone_data: '{"volume_zone": "v"}' });
    });

    test('unknown ids and the nil UUID answer 404', async () => {
      for (const id of [MISSING, NIL_UUID]) {
        const msg = `Availability Zone Profile ${id} not found.`;
        fault(await api.request('GET', `${AZPS}/${id}`), 404, msg);
        fault(await api.request('PUT', `${AZPS}/${id}`, { body: { availability_zone_profile: { name: 'x' } } }), 404, msg);
        fault(await api.request('DELETE', `${AZPS}/${id}`), 404, msg);
      }
    });
  });

  describe(`availability zones (${engine})`, () => {
    let api: TestApi;
    let profileId: string;
    before(async () => {
      api = await startTestApi({ engine });
      const p = await api.request('POST', AZPS, {
        body: { availability_zone_profile: { name: 'azp', provider_name: 'amphora', availability_zone_data: '{"compute_zone": "z1"}' } },
      });
      assert.equal(p.status, 201, p.text);
      profileId = p.body.availability_zone_profile.id;
    });
    after(async () => api?.close());

    const create = (az: Record<string, unknown>) => api.request('POST', AZS, { body: { availability_zone: az } });

    test('create is keyed by name; duplicates are 409 with upstream text', async () => {
      const res = await create({ name: 'az-create', availability_zone_profile_id: profileId });
      assert.equal(res.status, 201, res.text);
      const az = res.body.availability_zone;
      assert.deepEqual(az, { name: 'az-create', description: '', enabled: true, availability_zone_profile_id: profileId });
      assert.deepEqual((await api.request('GET', `${AZS}/az-create`)).body, { availability_zone: az });
      fault(await create({ name: 'az-create', availability_zone_profile_id: profileId }), 409, 'A availability zone of az-create already exists.');
      fault(await create({ name: NIL_UUID, availability_zone_profile_id: profileId }), 409, `A availability zone of ${NIL_UUID} already exists.`);
      fault(await create({ name: 'az-bad', availability_zone_profile_id: MISSING }), 400, `Availability Zone Profile ${MISSING} not found.`);
      fault(await create({ name: 'az-bad', availability_zone_profile_id: profileId, enabled: null }), 400, 'None is not a valid option for enabled');
      fault(await api.request('GET', `${AZS}/az-bad`), 404, 'Availability Zone az-bad not found.');
    });

    test('update changes description and enabled only', async () => {
      await create({ name: 'az-upd', description: 'd1', availability_zone_profile_id: profileId });
      const put = (body: unknown) => api.request('PUT', `${AZS}/az-upd`, { body: { availability_zone: body } });
      const res = await put({ description: 'd2', enabled: false });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.availability_zone, { name: 'az-upd', description: 'd2', enabled: false, availability_zone_profile_id: profileId });
      fault(await put({ name: 'other' }), 400, 'Unknown attribute for argument availability_zone_.availability_zone: name');
      fault(await put({ enabled: null }), 400, 'None is not a valid option for enabled');
      assert.equal((await put({ description: null })).body.availability_zone.description, '');
      fault(await api.request('PUT', `${AZS}/nope`, { body: { availability_zone: { description: 'x' } } }), 404, 'Availability Zone nope not found.');
    });

    test('listing filters by name and pages by name', async () => {
      for (const n of ['az-page-b', 'az-page-a', 'az-page-c']) await create({ name: n, availability_zone_profile_id: profileId });
      const one = await api.request('GET', `${AZS}?name=az-page-a&fields=name`);
      assert.deepEqual(one.body, { availability_zones: [{ name: 'az-page-a' }], availability_zones_links: [] });
      fault(await api.request('GET', `${AZS}?id=az-page-a`), 400, 'One or more arguments are either duplicate or invalid');

      const seen: string[] = [];
      let url = `${AZS}?limit=2`;
      for (let page = 0; page < 20; page++) {
        const res = await api.request('GET', url);
        assert.equal(res.status, 200, res.text);
        seen.push(...res.body.availability_zones.map((a: { name: string }) => a.name));
        const next = res.body.availability_zones_links.find((l: { rel: string }) => l.rel === 'next');
        if (!next) break;
        url = `${AZS}?${new URL(next.href).searchParams.toString()}`;
      }
      const all = (await api.request('GET', AZS)).body.availability_zones.map((a: { name: string }) => a.name);
      assert.deepEqual(all, [...all].sort(), 'sorted by name');
      assert.deepEqual(seen, all, 'following next links visits every zone once');
    });

    test('a profile in use is frozen; a zone in use by a load balancer cannot be deleted', async () => {
      await create({ name: 'az-used', availability_zone_profile_id: profileId });
      const inUse = `Availability Zone Profile ${profileId} is in use and cannot be modified.`;
      fault(await api.request('PUT', `${AZPS}/${profileId}`, { body: { availability_zone_profile: { availability_zone_data: '{}' } } }), 409, inUse);
      fault(await api.request('DELETE', `${AZPS}/${profileId}`), 409, inUse);

      const lb = await createActiveLoadBalancer(api, 'az-project', { availability_zone: 'az-used' });
      assert.equal(lb.availability_zone, 'az-used');
      fault(await api.request('DELETE', `${AZS}/az-used`), 409, 'Availability Zone az-used is in use and cannot be modified.');
      assert.equal((await api.request('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).status, 204);
      await api.waitForStatus(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', 'DELETED');
      const del = await api.request('DELETE', `${AZS}/az-used`);
      assert.equal(del.status, 204, del.text);
      fault(await api.request('GET', `${AZS}/az-used`), 404, 'Availability Zone az-used not found.');
      assert.notEqual((await api.store.loadBalancers.get(lb.id))?.availabilityZone, 'az-used', 'the DELETED load balancer no longer points at it');
    });

    test('the nil UUID is hidden and answers 404', async () => {
      fault(await api.request('GET', `${AZS}/${NIL_UUID}`), 404, `Availability Zone ${NIL_UUID} not found.`);
      fault(await api.request('PUT', `${AZS}/${NIL_UUID}`, { body: { availability_zone: { description: 'x' } } }), 404, `Availability Zone ${NIL_UUID} not found.`);
      fault(await api.request('DELETE', `${AZS}/${NIL_UUID}`), 404, `Availability Zone ${NIL_UUID} not found.`);
    });
  });
}
