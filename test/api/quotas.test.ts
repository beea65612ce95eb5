/**
 * Quota API: effective values (null → configured default) for one project, raw rows in the list,
 * partial updates with both spellings (202), reset by DELETE (202, row kept), defaults endpoint,
 * validation texts, list scoping and paging by project.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Authorizer } from '../../src/api/auth.js';
import { engines, startTestApi, type TestApi, type TestResponse } from '../support/api.js';

const QUOTAS = '/v2/lbaas/quotas';

function fault(res: TestResponse, status: number, message: string): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body, { faultcode: status < 500 ? 'Client' : 'Server', faultstring: message, debuginfo: null });
}

/** A quota body in upstream's key order, both spellings and tenant_id. */
function quota(project: string, v: { lb: number | null; listener: number | null; member: number | null; pool: number | null; hm: number | null; l7policy: number | null; l7rule: number | null }) {
  return {
    project_id: project,
    loadbalancer: v.lb,
    load_balancer: v.lb,
    listener: v.listener,
    member: v.member,
    pool: v.pool,
    healthmonitor: v.hm,
    health_monitor: v.hm,
    l7policy: v.l7policy,
    l7rule: v.l7rule,
    tenant_id: project,
  };
}

const DEFAULTS = { lb: -1, listener: 7, member: -1, pool: -1, hm: -1, l7policy: -1, l7rule: 3 };
const NULLS = { lb: null, listener: null, member: null, pool: null, hm: null, l7policy: null, l7rule: null };

for (const engine of engines()) {
  describe(`quotas (${engine})`, () => {
    let api: TestApi;
    before(async () => {
      api = await startTestApi({ engine, worker: false, config: { quotas: { default_listener_quota: 7, default_l7rule_quota: 3 } } });
    });
    after(async () => api?.close());

    const put = (project: string, body: unknown) => api.request('PUT', `${QUOTAS}/${project}`, { body: { quota: body } });

    test('a project without a row gets the configured defaults; no row is created by reading', async () => {
      const res = await api.request('GET', `${QUOTAS}/q-fresh`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { quota: quota('q-fresh', DEFAULTS) });
      assert.deepEqual(Object.keys(res.body.quota), Object.keys(quota('x', DEFAULTS)), 'upstream key order');
      assert.equal(await api.store.quotas.get('q-fresh'), null);
      const defaults = await api.request('GET', `${QUOTAS}/q-fresh/default`);
      assert.deepEqual(defaults.body, { quota: quota('q-fresh', DEFAULTS) });
    });

    test('PUT sets some limits (202, effective values back); the list shows the raw row', async () => {
      const res = await put('q-set', { loadbalancer: 5, pool: 0, l7rule: -1 });
      assert.equal(res.status, 202, res.text);
      assert.deepEqual(res.body, { quota: quota('q-set', { ...DEFAULTS, lb: 5, pool: 0, l7rule: -1 }) });
      const shown = await api.request('GET', `${QUOTAS}/q-set`);
      assert.deepEqual(shown.body, res.body);
      const list = await api.request('GET', `${QUOTAS}?project_id=q-set`);
      assert.deepEqual(list.body, { quotas: [quota('q-set', { ...NULLS, lb: 5, pool: 0, l7rule: -1 })], quotas_links: [] });
      const defaults = await api.request('GET', `${QUOTAS}/q-set/default`);
      assert.deepEqual(defaults.body, { quota: quota('q-set', DEFAULTS) }, 'defaults ignore the row');
    });

    test('both spellings are accepted; the one without underscore wins; null resets one limit', async () => {
      const res = await put('q-alias', { loadbalancer: 5, load_balancer: 9, health_monitor: 4, listener: 2 });
      assert.equal(res.status, 202, res.text);
      assert.equal(res.body.quota.load_balancer, 5);
      assert.equal(res.body.quota.healthmonitor, 4);
      const both = await put('q-alias', { healthmonitor: 6, health_monitor: 8 });
      assert.equal(both.body.quota.health_monitor, 6);
      const reset = await put('q-alias', { listener: null, load_balancer: null });
      assert.deepEqual(reset.body.quota, quota('q-alias', { ...DEFAULTS, hm: 6 }));
      const row = await api.store.quotas.get('q-alias');
      assert.equal(row?.limits.listener, null);
      assert.equal(row?.limits.loadBalancer, null);
      assert.equal(row?.limits.healthMonitor, 6);
    });

    test('DELETE resets every limit (202, no body) and keeps the row; 404 without a row', async () => {
      await put('q-del', { member: 10, l7policy: 2 });
      const del = await api.request('DELETE', `${QUOTAS}/q-del`);
      assert.equal(del.status, 202, del.text);
      assert.equal(del.text, '');
      assert.deepEqual((await api.request('GET', `${QUOTAS}/q-del`)).body, { quota: quota('q-del', DEFAULTS) });
      const list = await api.request('GET', `${QUOTAS}?project_id=q-del`);
      assert.deepEqual(list.body.quotas, [quota('q-del', NULLS)]);
      fault(await api.request('DELETE', `${QUOTAS}/q-no-row`), 404, 'Quotas q-no-row not found.');
      assert.equal(await api.store.quotas.get('q-no-row'), null);
    });

    test('validation texts; nothing is written on 400', async () => {
      fault(await put('q-bad', { loadbalancer: -2 }), 400, "Invalid input for field/attribute loadbalancer. Value: '-2'. Value should be greater or equal to -1");
      fault(await put('q-bad', { pool: 2000000001 }), 400, "Invalid input for field/attribute pool. Value: '2000000001'. Value should be lower or equal to 2000000000");
      fault(await put('q-bad', { bogus: 1 }), 400, 'Unknown attribute for argument quotas.quota: bogus');
      const noRoot = await api.request('PUT', `${QUOTAS}/q-bad`, { body: {} });
      assert.equal(noRoot.status, 400, noRoot.text);
      assert.equal(await api.store.quotas.get('q-bad'), null);
      const empty = await put('q-empty', {});
      assert.equal(empty.status, 202, 'an empty quota object creates the row');
      assert.deepEqual(empty.body, { quota: quota('q-empty', DEFAULTS) });
      assert.notEqual(await api.store.quotas.get('q-empty'), null);
    });

    test('policy: each call checks its quota action against the project in the path; a denial writes nothing', async () => {
      const deps = api.deps as { authorizer: Authorizer };
      const original = deps.authorizer;
      const seen: string[] = [];
      deps.authorizer = {
        allows: (_ctx, action, target) => {
          seen.push(`${action} ${target.projectId}`);
          return action !== 'os_load-balancer_api:quota:put';
        },
      };
      try {
        await api.request('GET', `${QUOTAS}/q-pol`, { project: 'caller' });
        await api.request('GET', `${QUOTAS}/q-pol/default`, { project: 'caller' });
        await api.request('DELETE', `${QUOTAS}/q-pol`, { project: 'caller' });
        fault(await api.request('PUT', `${QUOTAS}/q-pol`, { project: 'caller', body: { quota: { pool: 1 } } }), 403, 'Policy does not allow this request to be performed.');
      } finally {
        deps.authorizer = original;
      }
      assert.deepEqual(seen, [
        'os_load-balancer_api:quota:get_one q-pol',
        'os_load-balancer_api:quota:get_defaults q-pol',
        'os_load-balancer_api:quota:delete q-pol',
        'os_load-balancer_api:quota:put q-pol',
      ]);
      assert.equal(await api.store.quotas.get('q-pol'), null);
    });

    test('the list pages by project id and filters by value', async () => {
      for (const p of ['q-page-b', 'q-page-a', 'q-page-c']) await put(p, { l7policy: 42 });
      const filtered = await api.request('GET', `${QUOTAS}?l7policy=42`);
      assert.deepEqual(filtered.body.quotas.map((q: { project_id: string }) => q.project_id), ['q-page-a', 'q-page-b', 'q-page-c']);
      fault(await api.request('GET', `${QUOTAS}?bogus=1`), 400, 'One or more arguments are either duplicate or invalid');

      const seen: string[] = [];
      let url = `${QUOTAS}?limit=2`;
      for (let page = 0; page < 20; page++) {
        const res = await api.request('GET', url);
        assert.equal(res.status, 200, res.text);
        seen.push(...res.body.quotas.map((q: { project_id: string }) => q.project_id));
        const next = res.body.quotas_links.find((l: { rel: string }) => l.rel === 'next');
        if (!next) break;
        assert.match(next.href, /marker=q-/);
        url = `${QUOTAS}?${new URL(next.href).searchParams.toString()}`;
      }
      const all = (await api.request('GET', QUOTAS)).body.quotas.map((q: { project_id: string }) => q.project_id);
      assert.ok(all.length >= 3);
      assert.deepEqual(seen, all);
    });
  });
}
