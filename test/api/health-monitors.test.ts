/**
 * Health monitor API: create/show/list/update/delete, defaults by type, the type/pool-protocol
 * rules and the HTTP field rules with upstream's texts, one monitor per pool, the locks of spec
 * §3.2 (on an API without a worker) and what the worker does (ONLINE when enabled, members back to
 * NO_MONITOR when the monitor goes).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createActiveLoadBalancer, engines, startTestApi, SUBNET, type TestApi } from '../support/api.js';

const LBS = '/v2/lbaas/loadbalancers';
const POOLS = '/v2/lbaas/pools';
const LISTENERS = '/v2/lbaas/listeners';
const HMS = '/v2/lbaas/healthmonitors';
const MISSING = '5f0e3b7a-1c9d-4e58-9a7b-2d6c8e4f1a00';

type Api = TestApi;

async function created(api: Api, path: string, key: string, body: unknown, project = 'proj-hm') {
  const res = await api.request('POST', path, { project, body: { [key]: body } });
  assert.equal(res.status, 201, res.text);
  return res.body[key];
}

async function activePool(api: Api, protocol = 'HTTP', project = 'proj-hm') {
  const lb = await createActiveLoadBalancer(api, project);
  const pool = await created(api, POOLS, 'pool', { loadbalancer_id: lb.id, protocol, lb_algorithm: 'ROUND_ROBIN' }, project);
  await api.settle();
  return { lb, pool };
}

async function markAllActive(api: Api, lbId: string): Promise<void> {
  const g = (await api.store.loadBalancerGraph(lbId))!;
  const active = { provisioningStatus: 'ACTIVE' } as const;
  await api.store.loadBalancers.setStatus(lbId, active);
  await api.store.listeners.setStatus(g.listeners.map((l) => l.id), active);
  await api.store.pools.setStatus(g.pools.map((p) => p.id), active);
  await api.store.members.setStatus(g.members.map((m) => m.id), active);
  await api.store.healthMonitors.setStatus(g.healthMonitors.map((h) => h.id), active);
}

async function status(api: Api, path: string, key: string): Promise<string> {
  const res = await api.request('GET', path);
  assert.equal(res.status, 200, res.text);
  return res.body[key].provisioning_status;
}

const tcp = { type: 'TCP', delay: 5, timeout: 3, max_retries: 2 };

for (const engine of engines()) {
  describe(`health monitors (${engine})`, () => {
    let api: Api;
    let frozen: Api;
    before(async () => {
      const config = { api_settings: { allow_ping_health_monitors: false, udp_connect_min_interval_health_monitor: 4 } };
      api = await startTestApi({ engine, config });
      frozen = await startTestApi({ engine, config, worker: false });
    });
    after(async () => {
      await api?.close();
      await frozen?.close();
    });

    test('create HTTP: defaults, upstream shape, then ACTIVE/ONLINE and shown on the pool', async () => {
      const { lb, pool } = await activePool(api);
      const hm = await created(api, HMS, 'healthmonitor', { pool_id: pool.id, type: 'HTTP', delay: 5, timeout: 3, max_retries: 2, name: 'h' });
      assert.equal(hm.provisioning_status, 'PENDING_CREATE');
      assert.equal(hm.operating_status, 'OFFLINE');
      assert.equal(hm.http_method, 'GET');
      assert.equal(hm.url_path, '/');
      assert.equal(hm.expected_codes, '200');
      assert.equal(hm.max_retries_down, 3);
      assert.equal(hm.http_version, null);
      assert.equal(hm.domain_name, null);
      assert.deepEqual(hm.pools, [{ id: pool.id }]);
      assert.equal(hm.project_id, 'proj-hm');
      assert.equal(hm.tenant_id, 'proj-hm');
      assert.equal('pool_id' in hm, false);
      await api.settle();
      const shown = (await api.request('GET', `${HMS}/${hm.id}`)).body.healthmonitor;
      assert.equal(shown.provisioning_status, 'ACTIVE');
      assert.equal(shown.operating_status, 'ONLINE');
      assert.equal((await api.request('GET', `${POOLS}/${pool.id}`)).body.pool.healthmonitor_id, hm.id);
      assert.equal(await status(api, `${LBS}/${lb.id}`, 'loadbalancer'), 'ACTIVE');
    });

    test('one monitor per pool; HTTP fields only on HTTP/HTTPS monitors; domain_name needs HTTP/1.1', async () => {
      const { pool } = await activePool(api, 'HTTP', 'proj-hm-rules');
      const post = (extra: Record<string, unknown>) => api.request('POST', HMS, { body: { healthmonitor: { pool_id: pool.id, ...tcp, ...extra } } });
      const urlOnTcp = await post({ url_path: '/health' });
      assert.equal(urlOnTcp.status, 400);
      assert.equal(urlOnTcp.body.faultstring, 'url_path is not a valid option for health monitors of type TCP');
      const codesOnTls = await post({ type: 'TLS-HELLO', expected_codes: '200' });
      assert.equal(codesOnTls.body.faultstring, 'expected_codes is not a valid option for health monitors of type TLS-HELLO');
      const noVersion = await post({ type: 'HTTP', domain_name: 'example.org' });
      assert.equal(noVersion.status, 400);
      assert.equal(noVersion.body.faultstring, "Validation failure: 'http_version' must be specified when 'domain_name' is provided.");
      const oldVersion = await post({ type: 'HTTP', domain_name: 'example.org', http_version: 1.0 });
      assert.equal(oldVersion.status, 400);
      assert.equal(oldVersion.body.faultstring, 'http_version 1.0 is not a valid option for health monitors HTTP 1.1 domain name health check');
      const nullDelay = await post({ delay: null });
      assert.equal(nullDelay.status, 400);
      assert.equal(nullDelay.body.faultstring, 'None is not a valid option for delay');
      const ping = await post({ type: 'PING' });
      assert.equal(ping.status, 400);
      assert.equal(ping.body.faultstring, 'The selected type is not allowed in this deployment: PING');
      const udpType = await post({ type: 'UDP-CONNECT' });
      assert.equal(udpType.status, 400);
      assert.equal(udpType.body.faultstring, 'Validation failure: The UDP-CONNECT type is only supported for pools of type UDP/SCTP.');

      const hm = await created(api, HMS, 'healthmonitor', { pool_id: pool.id, type: 'HTTPS', delay: 5, timeout: 3, max_retries: 2, http_version: 1.1, domain_name: 'example.org' });
      assert.equal(hm.http_version, 1.1);
      assert.equal(hm.domain_name, 'example.org');
      await api.settle();
      const second = await post({});
      assert.equal(second.status, 409);
      assert.equal(second.body.faultstring, 'This pool already has a health monitor');
      const missingPool = await api.request('POST', HMS, { body: { healthmonitor: { pool_id: MISSING, ...tcp } } });
      assert.equal(missingPool.status, 404);
      assert.equal(missingPool.body.faultstring, `Pool ${MISSING} not found.`);
    });

    test('UDP pools: only UDP-CONNECT/SCTP/TCP/HTTP monitors, UDP-CONNECT no faster than the configured minimum', async () => {
      const { pool } = await activePool(api, 'UDP', 'proj-hm-udp');
      const post = (extra: Record<string, unknown>) => api.request('POST', HMS, { body: { healthmonitor: { pool_id: pool.id, ...tcp, ...extra } } });
      const tls = await post({ type: 'TLS-HELLO' });
      assert.equal(tls.status, 400);
      assert.equal(tls.body.faultstring, 'Validation failure: The associated pool protocol is UDP, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.');
      const fast = await post({ type: 'UDP-CONNECT', delay: 3 });
      assert.equal(fast.status, 400);
      assert.equal(fast.body.faultstring, 'Validation failure: The request delay value 3 should be larger than 4 for UDP-CONNECT health monitor type.');
      const hm = await created(api, HMS, 'healthmonitor', { pool_id: pool.id, ...tcp, type: 'UDP-CONNECT', delay: 4 });
      assert.equal(hm.http_method, null);
      await api.settle();
      const slower = await api.request('PUT', `${HMS}/${hm.id}`, { body: { healthmonitor: { delay: 2 } } });
      assert.equal(slower.status, 400);
      assert.equal(slower.body.faultstring, 'Validation failure: The request delay value 2 should be larger than 4 for UDP-CONNECT health monitor type.');
      const renamed = await api.request('PUT', `${HMS}/${hm.id}`, { body: { healthmonitor: { name: 'ok' } } });
      assert.equal(renamed.status, 200, renamed.text);
    });

    test('create and update lock the pool, its listeners and the load balancer; a pool that is not ACTIVE refuses', async () => {
      const lb = await created(frozen, LBS, 'loadbalancer', { vip_subnet_id: SUBNET });
      await markAllActive(frozen, lb.id);
      const listener = await created(frozen, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 });
      await markAllActive(frozen, lb.id);
      const pool = await created(frozen, POOLS, 'pool', { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
      const notActive = await frozen.request('POST', HMS, { body: { healthmonitor: { pool_id: pool.id, ...tcp } } });
      assert.equal(notActive.status, 409);
      assert.equal(notActive.body.faultstring, `Pool ${pool.id} is immutable and cannot be updated.`);
      await markAllActive(frozen, lb.id);
      const hm = await created(frozen, HMS, 'healthmonitor', { pool_id: pool.id, ...tcp });
      assert.equal(await status(frozen, `${POOLS}/${pool.id}`, 'pool'), 'PENDING_UPDATE');
      assert.equal(await status(frozen, `${LISTENERS}/${listener.id}`, 'listener'), 'PENDING_UPDATE');
      assert.equal(await status(frozen, `${LBS}/${lb.id}`, 'loadbalancer'), 'PENDING_UPDATE');
      const job = (await frozen.store.jobs.forResource(lb.id)).find((j) => j.kind === 'create_health_monitor');
      assert.deepEqual(job?.payload, { loadBalancerId: lb.id, listenerIds: [listener.id], poolId: pool.id, healthMonitorId: hm.id });
      await markAllActive(frozen, lb.id);
      const put = await frozen.request('PUT', `${HMS}/${hm.id}`, { body: { healthmonitor: { delay: 10 } } });
      assert.equal(put.status, 200, put.text);
      assert.equal(put.body.healthmonitor.provisioning_status, 'PENDING_UPDATE');
      assert.equal(put.body.healthmonitor.delay, 10);
      assert.equal(await status(frozen, `${POOLS}/${pool.id}`, 'pool'), 'PENDING_UPDATE');
      const busy = await frozen.request('PUT', `${HMS}/${hm.id}`, { body: { healthmonitor: { delay: 11 } } });
      assert.equal(busy.status, 409);
      assert.equal(busy.body.faultstring, `Pool ${pool.id} is immutable and cannot be updated.`);
    });

    test('update: null resets max_retries_down and HTTP fields to defaults; null delay and HTTP fields on TCP are refused', async () => {
      const { pool } = await activePool(api, 'HTTP', 'proj-hm-put');
      const http = await created(api, HMS, 'healthmonitor', {
        pool_id: pool.id,
        type: 'HTTP',
        delay: 5,
        timeout: 3,
        max_retries: 2,
        max_retries_down: 7,
        http_method: 'HEAD',
        url_path: '/status',
        expected_codes: '200-204',
      });
      await api.settle();
      const res = await api.request('PUT', `${HMS}/${http.id}`, {
        body: { healthmonitor: { max_retries_down: null, http_method: null, url_path: null, expected_codes: null, admin_state_up: false } },
      });
      assert.equal(res.status, 200, res.text);
      const h = res.body.healthmonitor;
      assert.equal(h.max_retries_down, 3);
      assert.equal(h.http_method, 'GET');
      assert.equal(h.url_path, '/');
      assert.equal(h.expected_codes, '200');
      assert.equal(h.admin_state_up, false);
      await api.settle();
      const disabled = (await api.request('GET', `${HMS}/${http.id}`)).body.healthmonitor;
      assert.equal(disabled.operating_status, 'OFFLINE', 'the worker marks a disabled monitor OFFLINE');
      const nullDelay = await api.request('PUT', `${HMS}/${http.id}`, { body: { healthmonitor: { delay: null } } });
      assert.equal(nullDelay.status, 400);
      assert.equal(nullDelay.body.faultstring, 'None is not a valid option for delay');
      const domainOld = await api.request('PUT', `${HMS}/${http.id}`, { body: { healthmonitor: { http_version: 1.0, domain_name: 'a.example' } } });
      assert.equal(domainOld.status, 400);
      assert.equal(domainOld.body.faultstring, 'http_version 1.0 is not a valid option for health monitors HTTP 1.1 domain name health check');

      const other = await activePool(api, 'TCP', 'proj-hm-put');
      const t = await created(api, HMS, 'healthmonitor', { pool_id: other.pool.id, ...tcp });
      await api.settle();
      const method = await api.request('PUT', `${HMS}/${t.id}`, { body: { healthmonitor: { http_method: null } } });
      assert.equal(method.status, 400);
      assert.equal(method.body.faultstring, 'http_method is not a valid option for health monitors of type TCP');
      const typeChange = await api.request('PUT', `${HMS}/${t.id}`, { body: { healthmonitor: { type: 'HTTP' } } });
      assert.equal(typeChange.status, 400);
      assert.equal(typeChange.body.faultstring, 'Unknown attribute for argument health_monitor_.healthmonitor: type');
    });

    test('delete: 204, gone after the worker, and the members of the pool are NO_MONITOR again', async () => {
      const { pool } = await activePool(api, 'HTTP', 'proj-hm-del');
      const hm = await created(api, HMS, 'healthmonitor', { pool_id: pool.id, ...tcp });
      await api.settle();
      const m = await created(api, `${POOLS}/${pool.id}/members`, 'member', { address: '10.0.0.1', protocol_port: 80 });
      assert.equal(m.operating_status, 'OFFLINE');
      await api.settle();
      const res = await api.request('DELETE', `${HMS}/${hm.id}`);
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      await api.settle();
      const gone = await api.request('GET', `${HMS}/${hm.id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.faultstring, `Health Monitor ${hm.id} not found.`);
      const member = (await api.request('GET', `${POOLS}/${pool.id}/members/${m.id}`)).body.member;
      assert.equal(member.operating_status, 'NO_MONITOR');
      const shownPool = (await api.request('GET', `${POOLS}/${pool.id}`)).body.pool;
      assert.equal('healthmonitor_id' in shownPool, false);
      assert.equal(shownPool.provisioning_status, 'ACTIVE');
    });

    test('list: filters on API names (max_retries is rise_threshold), field selection, unknown filters refused', async () => {
      const one = await activePool(api, 'HTTP', 'proj-hm-list');
      const two = await activePool(api, 'TCP', 'proj-hm-list');
      const a = await created(api, HMS, 'healthmonitor', { pool_id: one.pool.id, type: 'HTTP', delay: 5, timeout: 3, max_retries: 4 }, 'proj-hm-list');
      const b = await created(api, HMS, 'healthmonitor', { pool_id: two.pool.id, ...tcp }, 'proj-hm-list');
      await api.settle();
      const mine = await api.request('GET', `${HMS}?project_id=proj-hm-list`);
      assert.deepEqual(mine.body.healthmonitors.map((h: { id: string }) => h.id).sort(), [a.id, b.id].sort());
      assert.deepEqual(mine.body.healthmonitors_links, []);
      const retries = await api.request('GET', `${HMS}?project_id=proj-hm-list&max_retries=4&fields=id&fields=type`);
      assert.deepEqual(retries.body.healthmonitors, [{ id: a.id, type: 'HTTP' }]);
      const byPool = await api.request('GET', `${HMS}?pool_id=${two.pool.id}`);
      assert.deepEqual(byPool.body.healthmonitors.map((h: { id: string }) => h.id), [b.id]);
      const bogus = await api.request('GET', `${HMS}?colour=red`);
      assert.equal(bogus.status, 400);
      assert.equal(bogus.body.faultstring, 'One or more arguments are either duplicate or invalid');
    });
  });
}
