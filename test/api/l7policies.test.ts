/**
 * L7 policy API: create/show/list/update/delete with upstream's defaults, the action/redirect
 * sanitising rules and their texts, redirect pools (existence, load balancer, protocol), positions
 * kept contiguous per listener, the locks of spec §3.2 (on an API without a worker) and the
 * statuses the worker reaches, and the provider's refusal of L7 on non-HTTP listeners.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createActiveLoadBalancer, engines, startTestApi, SUBNET, type TestApi } from '../support/api.js';

const LBS = '/v2/lbaas/loadbalancers';
const LISTENERS = '/v2/lbaas/listeners';
const POOLS = '/v2/lbaas/pools';
const POLICIES = '/v2/lbaas/l7policies';
const MISSING = '0b9b4b0f-0000-4000-8000-00000000beef';
const PROJECT = 'proj-l7p';

async function fault(res: { status: number; body: { faultstring?: string }; text: string }, status: number, message: string) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body.faultstring, message);
}

async function markAllActive(api: TestApi, lbId: string): Promise<void> {
  const g = (await api.store.loadBalancerGraph(lbId))!;
  const active = { provisioningStatus: 'ACTIVE' } as const;
  await api.store.loadBalancers.setStatus(lbId, active);
  await api.store.listeners.setStatus(g.listeners.map((l) => l.id), active);
  await api.store.pools.setStatus(g.pools.map((p) => p.id), active);
  await api.store.l7policies.setStatus(g.l7policies.map((p) => p.id), active);
  await api.store.l7rules.setStatus(g.l7rules.map((r) => r.id), active);
}

async function created(api: TestApi, path: string, key: string, body: Record<string, unknown>) {
  const res = await api.request('POST', path, { project: PROJECT, body: { [key]: body } });
  assert.equal(res.status, 201, res.text);
  return res.body[key];
}

/** On an API without a worker: an LB with an HTTP listener, an HTTP pool and a TCP pool, all ACTIVE. */
async function frozenSetup(api: TestApi) {
  const lb = await created(api, LBS, 'loadbalancer', { vip_subnet_id: SUBNET });
  await markAllActive(api, lb.id);
  const listener = await created(api, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 });
  await markAllActive(api, lb.id);
  const pool = await created(api, POOLS, 'pool', { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
  await markAllActive(api, lb.id);
  const tcpPool = await created(api, POOLS, 'pool', { loadbalancer_id: lb.id, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' });
  await markAllActive(api, lb.id);
  return { lb, listener, pool, tcpPool };
}

async function post(api: TestApi, body: Record<string, unknown>) {
  return api.request('POST', POLICIES, { project: PROJECT, body: { l7policy: body } });
}

async function positions(api: TestApi, listenerId: string): Promise<[string, number][]> {
  return (await api.store.l7policies.forListeners([listenerId])).map((p) => [p.id, p.position]);
}

for (const engine of engines()) {
  describe(`L7 policies (${engine})`, () => {
    let api: TestApi;
    let frozen: TestApi;
    before(async () => {
      api = await startTestApi({ engine });
      frozen = await startTestApi({ engine, worker: false });
    });
    after(async () => {
      await api?.close();
      await frozen?.close();
    });

    test('create: 201 PENDING_CREATE/OFFLINE, redirect_http_code 302 for URL actions; worker makes it ACTIVE/ONLINE and unlocks', async () => {
      const lb = await createActiveLoadBalancer(api, PROJECT);
      const listener = await created(api, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 });
      await api.waitForStatus(`${LBS}/${lb.id}`, 'loadbalancer');
      const p = await created(api, POLICIES, 'l7policy', { listener_id: listener.id, action: 'REDIRECT_TO_URL', redirect_url: 'http://example.com/x', name: 'p', tags: ['t'] });
      assert.equal(p.provisioning_status, 'PENDING_CREATE');
      assert.equal(p.operating_status, 'OFFLINE');
      assert.equal(p.redirect_http_code, 302);
      assert.equal(p.position, 1);
      assert.equal(p.listener_id, listener.id);
      assert.equal(p.project_id, PROJECT);
      assert.equal(p.tenant_id, PROJECT);
      assert.equal(p.redirect_pool_id, null);
      assert.equal(p.redirect_prefix, null);
      assert.deepEqual(p.rules, []);
      assert.equal(p.updated_at, null);
      assert.deepEqual(p.tags, ['t']);
      const active = await api.waitForStatus(`${POLICIES}/${p.id}`, 'l7policy');
      assert.equal(active.operating_status, 'ONLINE');
      assert.equal((await api.waitForStatus(`${LISTENERS}/${listener.id}`, 'listener')).provisioning_status, 'ACTIVE');
      assert.equal((await api.waitForStatus(`${LBS}/${lb.id}`, 'loadbalancer')).provisioning_status, 'ACTIVE');
      const shown = await api.request('GET', `${LISTENERS}/${listener.id}`);
      assert.deepEqual(shown.body.listener.l7policies, [{ id: p.id }]);

      const del = await api.request('DELETE', `${POLICIES}/${p.id}`);
      assert.equal(del.status, 204, del.text);
      await api.waitForStatus(`${POLICIES}/${p.id}`, 'l7policy', 'DELETED');
      await fault(await api.request('GET', `${POLICIES}/${p.id}`), 404, `L7 Policy ${p.id} not found.`);
      assert.equal((await api.waitForStatus(`${LISTENERS}/${listener.id}`, 'listener')).provisioning_status, 'ACTIVE');
    });

    test('create, update and delete lock the load balancer and the listener (409 while locked)', async () => {
      const { lb, listener } = await frozenSetup(frozen);
      const p = await created(frozen, POLICIES, 'l7policy', { listener_id: listener.id, action: 'REJECT' });
      assert.equal((await frozen.store.loadBalancers.get(lb.id))!.provisioningStatus, 'PENDING_UPDATE');
      assert.equal((await frozen.store.listeners.get(listener.id))!.provisioningStatus, 'PENDING_UPDATE');
      await fault(await post(frozen, { listener_id: listener.id, action: 'REJECT' }), 409, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
      await fault(
        await frozen.request('PUT', `${POLICIES}/${p.id}`, { body: { l7policy: { name: 'x' } } }),
        409,
        `Load Balancer ${lb.id} is immutable and cannot be updated.`,
      );
      await fault(await frozen.request('DELETE', `${POLICIES}/${p.id}`), 409, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
      assert.equal((await frozen.store.l7policies.forListeners([listener.id])).length, 1);
      await markAllActive(frozen, lb.id);
      const put = await frozen.request('PUT', `${POLICIES}/${p.id}`, { body: { l7policy: { name: 'x' } } });
      assert.equal(put.status, 200, put.text);
      assert.equal(put.body.l7policy.provisioning_status, 'PENDING_UPDATE');
      assert.equal(put.body.l7policy.name, 'x');
      await markAllActive(frozen, lb.id);
      assert.equal((await frozen.request('DELETE', `${POLICIES}/${p.id}`)).status, 204);
      assert.equal((await frozen.store.l7policies.get(p.id))!.provisioningStatus, 'PENDING_DELETE');
      assert.equal((await frozen.store.listeners.get(listener.id))!.provisioningStatus, 'PENDING_UPDATE');
    });

    test('action and redirect attributes are sanitised as upstream does', async () => {
      const { listener, pool } = await frozenSetup(frozen);
      const l = listener.id;
      await fault(await post(frozen, { listener_id: l, action: 'REDIRECT_TO_URL' }), 400, 'Invalid L7 Policy arguments: redirect_url must not be None');
      await fault(await post(frozen, { listener_id: l, action: 'REDIRECT_PREFIX' }), 400, 'Invalid L7 Policy arguments: redirect_prefix must not be None');
      await fault(
        await post(frozen, { listener_id: l, action: 'REDIRECT_TO_POOL' }),
        400,
        'Invalid L7 Policy arguments: redirect_pool_id or redirect_pool must not be None',
      );
      await fault(
        await post(frozen, { listener_id: l, action: 'REDIRECT_TO_POOL', redirect_pool_id: pool.id, redirect_prefix: 'http://a.example/' }),
        400,
        'Invalid L7 Policy arguments: Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time',
      );
      await fault(await post(frozen, { listener_id: l, action: 'BOGUS' }), 400, "Invalid input for field/attribute action. Value: 'BOGUS'. Value should be one of: REDIRECT_TO_POOL, REDIRECT_TO_URL, REJECT, REDIRECT_PREFIX");
      await fault(
        await post(frozen, { listener_id: l, action: 'REDIRECT_TO_URL', redirect_url: 'http://a.example/x y' }),
        400,
        "Invalid input for field/attribute redirect_url. Value: 'http://a.example/x y'. Value must be a valid URL string",
      );
      const long = `http://a.example/${'x'.repeat(300)}`;
      await fault(
        await post(frozen, { listener_id: l, action: 'REDIRECT_TO_URL', redirect_url: long }),
        400,
        `Invalid input for field/attribute redirect_url. Value: '${long}'. Value should have a maximum character requirement of 255`,
      );
      const c1 = await post(frozen, { listener_id: l, action: 'REDIRECT_TO_URL', redirect_url: 'http://a.example/\u0085' });
      assert.equal(c1.status, 400, c1.text);
      const embedded = await post(frozen, { listener_id: l, action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/x' }] });
      assert.equal(embedded.status, 400, embedded.text);
      assert.equal((await frozen.store.l7policies.forListeners([l])).length, 0, 'nothing written');

      // A redirect attribute decides the action; the others are cleared.
      const prefix = await created(frozen, POLICIES, 'l7policy', { listener_id: l, action: 'REJECT', redirect_prefix: 'https://b.example', redirect_http_code: 308 });
      assert.equal(prefix.action, 'REDIRECT_PREFIX');
      assert.equal(prefix.redirect_http_code, 308);
      const lbId = (await frozen.store.listeners.get(l))!.loadBalancerId;
      await markAllActive(frozen, lbId);
      const toPool = await frozen.request('PUT', `${POLICIES}/${prefix.id}`, { body: { l7policy: { redirect_pool_id: pool.id } } });
      assert.equal(toPool.status, 200, toPool.text);
      assert.equal(toPool.body.l7policy.action, 'REDIRECT_TO_POOL');
      assert.equal(toPool.body.l7policy.redirect_pool_id, pool.id);
      assert.equal(toPool.body.l7policy.redirect_prefix, null);
      assert.equal(toPool.body.l7policy.redirect_http_code, null);
      await markAllActive(frozen, lbId);
      const toUrl = await frozen.request('PUT', `${POLICIES}/${prefix.id}`, { body: { l7policy: { action: 'REDIRECT_TO_URL', redirect_url: 'http://c.example/' } } });
      assert.equal(toUrl.status, 200, toUrl.text);
      assert.equal(toUrl.body.l7policy.redirect_pool_id, null);
      assert.equal(toUrl.body.l7policy.redirect_http_code, 302);
      await markAllActive(frozen, lbId);
      await fault(
        await frozen.request('PUT', `${POLICIES}/${prefix.id}`, { body: { l7policy: {} } }),
        400,
        'Invalid L7 Policy arguments: Invalid update options',
      );
      await fault(
        await frozen.request('PUT', `${POLICIES}/${prefix.id}`, { body: { l7policy: { redirect_url: null } } }),
        400,
        'Invalid L7 Policy arguments: redirect_url must not be None',
      );
      await fault(
        await frozen.request('PUT', `${POLICIES}/${prefix.id}`, { body: { l7policy: { action: null } } }),
        400,
        'Invalid L7 Policy action specified: None',
      );
      await fault(await frozen.request('PUT', `${POLICIES}/${prefix.id}`, { body: {} }), 400, 'Validation failure: No l7policy object supplied.');
      const reject = await frozen.request('PUT', `${POLICIES}/${prefix.id}`, { body: { l7policy: { action: 'REJECT' } } });
      assert.equal(reject.status, 200, reject.text);
      assert.deepEqual(
        [reject.body.l7policy.redirect_url, reject.body.l7policy.redirect_http_code, reject.body.l7policy.redirect_pool_id],
        [null, null, null],
      );
    });

    test('redirect pools: must exist (404), be on the listener\'s load balancer and serve its protocol', async () => {
      const { listener, tcpPool, pool } = await frozenSetup(frozen);
      const other = await frozenSetup(frozen);
      await fault(await post(frozen, { listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: MISSING }), 404, `Pool ${MISSING} not found.`);
      await fault(
        await post(frozen, { listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: tcpPool.id }),
        400,
        "Validation failure: The pool protocol 'TCP' is invalid while the listener protocol is 'HTTP'.",
      );
      await fault(
        await post(frozen, { listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: other.pool.id }),
        404,
        `Pool ${other.pool.id} not found.`,
      );
      await fault(await post(frozen, { listener_id: MISSING, action: 'REJECT' }), 404, `Listener ${MISSING} not found.`);
      const p = await created(frozen, POLICIES, 'l7policy', { listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: pool.id, redirect_http_code: 301 });
      assert.equal(p.redirect_pool_id, pool.id);
      assert.equal(p.redirect_http_code, null);
    });

    test('positions stay 1..N per listener: insert before, move, delete renumbers (worker)', async () => {
      const lb = await createActiveLoadBalancer(api, PROJECT);
      const listener = await created(api, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 });
      await api.settle();
      const add = async (position?: number) => {
        const p = await created(api, POLICIES, 'l7policy', { listener_id: listener.id, action: 'REJECT', ...(position ? { position } : {}) });
        await api.settle();
        return p.id as string;
      };
      const a = await add();
      const b = await add();
      const c = await add(1);
      const d = await add(99);
      assert.deepEqual(await positions(api, listener.id), [
        [c, 1],
        [a, 2],
        [b, 3],
        [d, 4],
      ]);
      const moved = await api.request('PUT', `${POLICIES}/${d}`, { body: { l7policy: { position: 2 } } });
      assert.equal(moved.status, 200, moved.text);
      assert.equal(moved.body.l7policy.position, 2);
      await api.settle();
      assert.deepEqual(await positions(api, listener.id), [
        [c, 1],
        [d, 2],
        [a, 3],
        [b, 4],
      ]);
      assert.equal((await api.request('DELETE', `${POLICIES}/${c}`)).status, 204);
      await api.settle();
      assert.deepEqual(await positions(api, listener.id), [
        [d, 1],
        [a, 2],
        [b, 3],
      ]);
      const shown = await api.request('GET', `${LISTENERS}/${listener.id}`);
      assert.deepEqual(shown.body.listener.l7policies, [{ id: d }, { id: a }, { id: b }]);
    });

    test('L7 policies only on HTTP listeners (provider 501); PROMETHEUS listeners take no children (400)', async () => {
      const lb = await createActiveLoadBalancer(api, PROJECT);
      const tcp = await created(api, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'TCP', protocol_port: 80 });
      await api.settle();
      const refused = await post(api, { listener_id: tcp.id, action: 'REJECT' });
      assert.equal(refused.status, 501, refused.text);
      assert.equal(refused.body.faultcode, 'Server');
      assert.equal(refused.body.faultstring, "Provider 'amphora' does not support a requested option: TCP protocol listeners do not support L7 policies");
      assert.equal((await api.store.loadBalancers.get(lb.id))!.provisioningStatus, 'ACTIVE', 'the refused create left nothing locked');
      const prom = await created(api, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'PROMETHEUS', protocol_port: 9100 });
      await api.settle();
      await fault(await post(api, { listener_id: prom.id, action: 'REJECT' }), 400, 'Protocol PROMETHEUS listeners cannot have child objects.');
    });

    test('list and show: filters, fields, 404', async () => {
      const { listener, pool } = await frozenSetup(frozen);
      const lbId = (await frozen.store.listeners.get(listener.id))!.loadBalancerId;
      const a = await created(frozen, POLICIES, 'l7policy', { listener_id: listener.id, action: 'REJECT', name: 'a' });
      await markAllActive(frozen, lbId);
      const b = await created(frozen, POLICIES, 'l7policy', { listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: pool.id, name: 'b' });
      const ids = async (query: string) => {
        const res = await frozen.request('GET', `${POLICIES}?listener_id=${listener.id}${query}`, { project: PROJECT });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.body.l7policies_links, []);
        return res.body.l7policies.map((p: { id: string }) => p.id);
      };
      assert.deepEqual((await ids('')).sort(), [a.id, b.id].sort());
      assert.deepEqual(await ids('&action=REJECT'), [a.id]);
      assert.deepEqual(await ids(`&redirect_pool_id=${pool.id}`), [b.id]);
      assert.deepEqual(await ids('&sort=position:desc'), [b.id, a.id]);
      assert.deepEqual(await ids('&position=2'), [b.id]);
      await fault(await frozen.request('GET', `${POLICIES}?nope=1`), 400, 'One or more arguments are either duplicate or invalid');
      const one = await frozen.request('GET', `${POLICIES}/${b.id}?fields=id&fields=action`);
      assert.deepEqual(one.body, { l7policy: { id: b.id, action: 'REDIRECT_TO_POOL' } });
      await fault(await frozen.request('GET', `${POLICIES}/${MISSING}`), 404, `L7 Policy ${MISSING} not found.`);
      await fault(await frozen.request('PUT', `${POLICIES}/${MISSING}`, { body: { l7policy: { name: 'x' } } }), 404, `L7 Policy ${MISSING} not found.`);
      await fault(await frozen.request('DELETE', `${POLICIES}/${MISSING}`), 404, `L7 Policy ${MISSING} not found.`);
    });
  });
}
