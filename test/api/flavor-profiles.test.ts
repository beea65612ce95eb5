/**
 * Flavor profile API: metadata must be JSON the provider accepts, provider and metadata are frozen
 * while a flavor uses the profile, nulls are refused, upstream's two spellings of the 404 text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines, startTestApi, type TestApi, type TestResponse } from '../support/api.js';

const FPS = '/v2/lbaas/flavorprofiles';
const NIL = '00000000-0000-0000-0000-000000000000';
const MISSING = '6a0f5c6e-2b8e-4b5b-9a53-3f3c2d1e0f99';

function fault(res: TestResponse, status: number, message: string): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { faultcode: status < 500 ? 'Client' : 'Server', faultstring: message, debuginfo: null });
}

for (const engine of engines()) {
  describe(`flavor profiles (${engine})`, () => {
    let api: TestApi;
    before(async () => {
      api = await startTestApi({ engine, worker: false });
    });
    after(async () => api?.close());

    const create = async (name: string, data: string, provider = 'amphora') =>
      api.request('POST', FPS, { body: { flavorprofile: { name, provider_name: provider, flavor_data: data } } });
    const countProfiles = async () => (await api.request('GET', FPS)).body.flavorprofiles.length as number;

    test('create answers 201 with the stored JSON text; show, list (flavorprofile_links) and filters', async () => {
      const data = '{"loadbalancer_topology": "ACTIVE_STANDBY"}';
      const res = await create('fp-create', data);
      assert.equal(res.status, 201, res.text);
      const fp = res.body.flavorprofile;
      assert.deepEqual(Object.keys(fp), ['id', 'name', 'provider_name', 'flavor_data']);
      assert.equal(fp.flavor_data, data, 'stored as sent, not re-serialised');
      assert.equal(fp.provider_name, 'amphora');

      const shown = await api.request('GET', `${FPS}/${fp.id}`);
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body, { flavorprofile: fp });
      const only = await api.request('GET', `${FPS}/${fp.id}?fields=name`);
      assert.deepEqual(only.body, { flavorprofile: { name: 'fp-create' } });

      const list = await api.request('GET', `${FPS}?name=fp-create`);
      assert.equal(list.status, 200);
      assert.deepEqual(list.body, { flavorprofiles: [fp], flavorprofile_links: [] });
      const bad = await api.request('GET', `${FPS}?bogus=1`);
      fault(bad, 400, 'One or more arguments are either duplicate or invalid');
    });

    test('metadata that is not JSON, an unknown provider, or options the provider rejects write nothing', async () => {
      const before = await countProfiles();
      fault(await create('fp-bad', 'not json'), 400, 'not json is not a valid option for flavor_data');
      fault(await create('fp-bad', '{}', 'bogus'), 400, "Provider 'bogus' is not enabled.");
      fault(
        await create('fp-bad', '{"x": 1}'),
        501,
        "Provider 'amphora' does not support a requested option: Additional properties are not allowed ('x' was unexpected)",
      );
      fault(await create('fp-bad', '[1, 2]'), 501, "Provider 'amphora' does not support a requested option: [1, 2] is not of type 'object'");
      fault(await create('fp-bad', 'null'), 501, "Provider 'amphora' does not support a requested option: None is not of type 'object'");
      const nullData = await api.request('POST', FPS, { body: { flavorprofile: { name: 'fp-bad', provider_name: 'amphora', flavor_data: null } } });
      fault(nullData, 400, 'None is not a valid option for flavor_data');
      const missing = await api.request('POST', FPS, { body: { flavorprofile: { name: 'fp-bad', provider_name: 'amphora' } } });
      fault(missing, 400, "Invalid input for field/attribute flavor_data. Value: 'None'. Mandatory field missing.");
      assert.equal(await countProfiles(), before);
    });

    test('an empty provider name means the amphora provider, and is stored as given', async () => {
      const res = await create('fp-empty-provider', '{"compute_flavor": "m1"}', '');
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.flavorprofile.provider_name, '');
      fault(await create('fp-empty-provider2', '{"compute_flavor": 5}', ''), 501, "Provider 'amphora' does not support a requested option: compute_flavor 5 is not of type 'string'");
    });

    test('update: nulls refused, metadata validated against the stored provider, unknown attributes rejected', async () => {
      const fp = (await create('fp-update', '{}')).body.flavorprofile;
      const put = (body: unknown) => api.request('PUT', `${FPS}/${fp.id}`, { body: { flavorprofile: body } });
      fault(await put({ name: null }), 400, 'None is not a valid option for name');
      fault(await put({ provider_name: null }), 400, 'None is not a valid option for provider_name');
      fault(await put({ flavor_data: null }), 400, 'None is not a valid option for flavor_data');
      fault(await put({ flavor_data: '{' }), 400, '{ is not a valid option for flavor_data');
      fault(await put({ flavor_data: '{"nope": true}' }), 501, "Provider 'amphora' does not support a requested option: Additional properties are not allowed ('nope' was unexpected)");
      fault(await put({ provider_name: 'bogus', flavor_data: '{}' }), 400, "Provider 'bogus' is not enabled.");
      fault(await put({ id: MISSING }), 400, 'Unknown attribute for argument flavor_profile_.flavorprofile: id');

      const ok = await put({ name: 'fp-updated', flavor_data: '{"amp_image_tag": "x"}' });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(ok.body.flavorprofile, { id: fp.id, name: 'fp-updated', provider_name: 'amphora', flavor_data: '{"amp_image_tag": "x"}' });
      const shown = await api.request('GET', `${FPS}/${fp.id}`);
      assert.equal(shown.body.flavorprofile.flavor_data, '{"amp_image_tag": "x"}');
    });

    test('while a flavor uses the profile, provider and metadata are frozen and delete is refused', async () => {
      const fp = (await create('fp-in-use', '{}')).body.flavorprofile;
      const flavor = await api.request('POST', '/v2/lbaas/flavors', { body: { flavor: { name: 'fl-uses-fp', flavor_profile_id: fp.id } } });
      assert.equal(flavor.status, 201, flavor.text);
      const inUse = `Flavor profile ${fp.id} is in use and cannot be modified.`;
      fault(await api.request('PUT', `${FPS}/${fp.id}`, { body: { flavorprofile: { flavor_data: '{}' } } }), 409, inUse);
      fault(await api.request('PUT', `${FPS}/${fp.id}`, { body: { flavorprofile: { provider_name: 'amphora' } } }), 409, inUse);
      const rename = await api.request('PUT', `${FPS}/${fp.id}`, { body: { flavorprofile: { name: 'fp-in-use-renamed' } } });
      assert.equal(rename.status, 200, rename.text);
      fault(await api.request('DELETE', `${FPS}/${fp.id}`), 409, inUse);
      assert.equal((await api.request('GET', `${FPS}/${fp.id}`)).status, 200, 'still there');

      assert.equal((await api.request('DELETE', `/v2/lbaas/flavors/${flavor.body.flavor.id}`)).status, 204);
      const del = await api.request('DELETE', `${FPS}/${fp.id}`);
      assert.equal(del.status, 204, del.text);
      assert.equal(del.text, '');
      fault(await api.request('GET', `${FPS}/${fp.id}`), 404, `Flavor Profile ${fp.id} not found.`);
      fault(await api.request('DELETE', `${FPS}/${fp.id}`), 404, `Flavor profile ${fp.id} not found.`);
    });

    test('missing profiles and the reserved nil UUID answer 404 with upstream texts', async () => {
      fault(await api.request('GET', `${FPS}/${MISSING}`), 404, `Flavor Profile ${MISSING} not found.`);
      fault(await api.request('PUT', `${FPS}/${MISSING}`, { body: { flavorprofile: { name: 'x' } } }), 404, `Flavor Profile ${MISSING} not found.`);
      fault(await api.request('PUT', `${FPS}/${MISSING}`, { body: { flavorprofile: { flavor_data: '{}' } } }), 404, `Flavor Profile ${MISSING} not found.`);
      fault(await api.request('GET', `${FPS}/${NIL}`), 404, `Flavor profile ${NIL} not found.`);
      fault(await api.request('PUT', `${FPS}/${NIL}`, { body: { flavorprofile: { name: 'x' } } }), 404, `Flavor profile ${NIL} not found.`);
      fault(await api.request('DELETE', `${FPS}/${NIL}`), 404, `Flavor profile ${NIL} not found.`);
    });
  });
}
