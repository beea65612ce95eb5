/**
 * Pool API: create on a load balancer or as a listener's default pool, show/list/update/delete,
 * session persistence and TLS rules with upstream's texts, the locks of spec §3.2 (checked on an
 * API without a worker, where statuses stay as the API left them) and the statuses the worker
 * reaches, and pools embedded in a single-call load balancer create.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createActiveLoadBalancer, engines, startTestApi, SUBNET, type TestApi } from '../support/api.js';

const LBS = '/v2/lbaas/loadbalancers';
const POOLS = '/v2/lbaas/pools';
const LISTENERS = '/v2/lbaas/listeners';
const MISSING = '5f0e3b7a-1c9d-4e58-9a7b-2d6c8e4f1a00';

type Api = TestApi;

async function created(api: Api, path: string, key: string, body: unknown, project = 'proj-pools') {
  const res = await api.request('POST', path, { project, body: { [key]: body } });
  assert.equal(res.status, 201, res.text);
  return res.body[key];
}

/** A pool on `lbId`, ACTIVE (worker API) once every job has run. */
async function activePool(api: Api, lbId: string, extra: Record<string, unknown> = {}) {
  const pool = await created(api, POOLS, 'pool', { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', ...extra });
  await api.settle();
  return pool;
}

/** Stands in for the worker on an API without one: everything under the load balancer becomes ACTIVE. */
async function markAllActive(api: Api, lbId: string): Promise<void> {
  const g = (await api.store.loadBalancerGraph(lbId))!;
  const active = { provisioningStatus: 'ACTIVE' } as const;
  await api.store.loadBalancers.setStatus(lbId, active);
  await api.store.listeners.setStatus(g.listeners.map((l) => l.id), active);
  await api.store.pools.setStatus(g.pools.map((p) => p.id), active);
  await api.store.members.setStatus(g.members.map((m) => m.id), active);
  await api.store.healthMonitors.setStatus(g.healthMonitors.map((h) => h.id), active);
  await api.store.l7policies.setStatus(g.l7policies.map((p) => p.id), active);
  await api.store.l7rules.setStatus(g.l7rules.map((r) => r.id), active);
}

async function frozenLoadBalancer(api: Api, project = 'proj-frozen') {
  const lb = await created(api, LBS, 'loadbalancer', { vip_subnet_id: SUBNET }, project);
  await markAllActive(api, lb.id);
  return lb;
}

async function status(api: Api, path: string, key: string): Promise<string> {
  const res = await api.request('GET', path);
  assert.equal(res.status, 200, res.text);
  return res.body[key].provisioning_status;
}

/** A CA, a CRL it signed, a CRL another CA signed and a client certificate, as local cert manager files. */
function writeCertificates(storage: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'octavius-pool-certs-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const caConf = (name: string) => {
    writeFileSync(join(dir, `${name}.idx`), '');
    writeFileSync(join(dir, `${name}.num`), '01\n');
    writeFileSync(
      join(dir, `${name}.cnf`),
      `[ca]\ndefault_ca = d\n[d]\ndatabase = ${name}.idx\ncrlnumber = ${name}.num\ndefault_md = sha256\ndefault_crl_days = 2\n`,
    );
  };
  for (const name of ['ca', 'other']) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
    caConf(name);
    openssl('ca', '-config', `${name}.cnf`, '-gencrl', '-keyfile', `${name}.key`, '-cert', `${name}.crt`, '-out', `${name}.crl`);
  }
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.crt', '-days', '2', '-subj', '/CN=client');
  mkdirSync(storage, { recursive: true });
  const copy = (from: string, to: string) => copyFileSync(join(dir, from), join(storage, to));
  copy('ca.crt', 'ca.crt');
  copy('ca.crl', 'crl.crt');
  copy('other.crl', 'foreign-crl.crt');
  copy('client.crt', 'client.crt');
  copy('client.key', 'client.key');
}

for (const engine of engines()) {
  describe(`pools (${engine})`, () => {
    let api: Api;
    let frozen: Api;
    before(async () => {
      const config = {
        api_settings: {
          default_pool_ciphers: 'ECDHE-RSA-AES256-GCM-SHA384',
          default_pool_tls_versions: ['TLSv1.3'],
          default_pool_alpn_protocols: ['http/1.1'],
          tls_cipher_prohibit_list: 'RC4-SHA:DES-CBC3-SHA',
          minimum_tls_version: 'TLSv1.2' as const,
        },
      };
      api = await startTestApi({ engine, config });
      frozen = await startTestApi({ engine, config, worker: false });
      writeCertificates(join(api.config.DEFAULT.state_path, 'certificates'));
    });
    after(async () => {
      await api?.close();
      await frozen?.close();
    });

    test('create on a load balancer: 201 PENDING_CREATE/OFFLINE in upstream shape, then ACTIVE with the load balancer', async () => {
      const lb = await createActiveLoadBalancer(api, 'proj-pools');
      const res = await api.request('POST', POOLS, {
        project: 'someone-else',
        body: { pool: { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'LEAST_CONNECTIONS', name: 'web', tags: ['a'] } },
      });
      assert.equal(res.status, 201, res.text);
      const pool = res.body.pool;
      assert.equal(pool.provisioning_status, 'PENDING_CREATE');
      assert.equal(pool.operating_status, 'OFFLINE');
      assert.equal(pool.project_id, 'proj-pools', 'children take the project of their load balancer');
      assert.equal(pool.tenant_id, 'proj-pools');
      assert.equal(pool.description, '');
      assert.equal(pool.session_persistence, null);
      assert.deepEqual(pool.loadbalancers, [{ id: lb.id }]);
      assert.deepEqual(pool.listeners, []);
      assert.deepEqual(pool.members, []);
      assert.equal('healthmonitor_id' in pool, false, 'healthmonitor_id is omitted without a monitor');
      assert.equal(pool.tls_enabled, false);
      assert.equal(pool.tls_versions, null);
      assert.equal(pool.tls_ciphers, null);
      assert.equal(pool.alpn_protocols, null);
      assert.deepEqual(pool.tags, ['a']);
      assert.equal(pool.updated_at, null);
      await api.settle();
      assert.equal(await status(api, `${POOLS}/${pool.id}`, 'pool'), 'ACTIVE');
      assert.equal(await status(api, `${LBS}/${lb.id}`, 'loadbalancer'), 'ACTIVE');
    });

    test('create locks the load balancer and enqueues create_pool', async () => {
      const lb = await frozenLoadBalancer(frozen);
      const pool = await created(frozen, POOLS, 'pool', { loadbalancer_id: lb.id, protocol: 'TCP', lb_algorithm: 'SOURCE_IP' });
      assert.equal(await status(frozen, `${LBS}/${lb.id}`, 'loadbalancer'), 'PENDING_UPDATE');
      const jobs = await frozen.store.jobs.forResource(lb.id);
      const job = jobs.find((j) => j.kind === 'create_pool');
      assert.deepEqual(job?.payload, { loadBalancerId: lb.id, listenerIds: [], poolId: pool.id });
      const again = await frozen.request('POST', POOLS, { body: { pool: { loadbalancer_id: lb.id, protocol: 'TCP', lb_algorithm: 'SOURCE_IP' } } });
      assert.equal(again.status, 409);
      assert.equal(again.body.faultstring, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
    });

    test('a load balancer or a listener is required; unknown ones are 404; nothing is written', async () => {
      const before = (await api.request('GET', POOLS)).body.pools.length;
      const none = await api.request('POST', POOLS, { body: { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } } });
      assert.equal(none.status, 400);
      assert.equal(none.body.faultstring, 'Validation failure: Must provide at least one of: loadbalancer_id, listener_id');
      const noLb = await api.request('POST', POOLS, { body: { pool: { loadbalancer_id: MISSING, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } } });
      assert.equal(noLb.status, 404);
      assert.equal(noLb.body.faultstring, `Load Balancer ${MISSING} not found.`);
      const noListener = await api.request('POST', POOLS, { body: { pool: { listener_id: MISSING, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } } });
      assert.equal(noListener.status, 404);
      assert.equal(noListener.body.faultstring, `Listener ${MISSING} not found.`);
      const noProtocol = await api.request('POST', POOLS, { body: { pool: { loadbalancer_id: MISSING, lb_algorithm: 'ROUND_ROBIN' } } });
      assert.equal(noProtocol.status, 400);
      assert.equal(noProtocol.body.faultstring, "Invalid input for field/attribute protocol. Value: 'None'. Mandatory field missing.");
      const lb = await createActiveLoadBalancer(api, 'proj-null');
      const nullProtocol = await api.request('POST', POOLS, { body: { pool: { loadbalancer_id: lb.id, protocol: null, lb_algorithm: 'ROUND_ROBIN' } } });
      assert.equal(nullProtocol.status, 400, 'upstream answers 500 here');
      assert.equal(nullProtocol.body.faultstring, 'None is not a valid option for protocol');
      assert.equal((await api.request('GET', POOLS)).body.pools.length, before);
    });

    test('embedded health monitor or members on a pool POST are refused (upstream fails with 500); empty ones are fine', async () => {
      const lb = await createActiveLoadBalancer(api, 'proj-embed');
      const withHm = await api.request('POST', POOLS, {
        body: {
          pool: {
            loadbalancer_id: lb.id,
            protocol: 'HTTP',
            lb_algorithm: 'ROUND_ROBIN',
            healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 },
          },
        },
      });
      assert.equal(withHm.status, 400, withHm.text);
      const withMembers = await api.request('POST', POOLS, {
        body: { pool: { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '10.0.0.1', protocol_port: 80 }] } },
      });
      assert.equal(withMembers.status, 400, withMembers.text);
      assert.equal(await status(api, `${LBS}/${lb.id}`, 'loadbalancer'), 'ACTIVE', 'the load balancer was not locked');
      const empty = await api.request('POST', POOLS, {
        body: { pool: { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [], healthmonitor: null } },
      });
      assert.equal(empty.status, 201, empty.text);
      await api.settle();
      const pools = await api.request('GET', `${POOLS}?loadbalancer_id=${lb.id}`);
      assert.equal(pools.body.pools.length, 1);
    });

    test('listener_id: the pool becomes its default pool, the listener is locked, one default pool per listener', async () => {
      const lb = await frozenLoadBalancer(frozen, 'proj-listener');
      const listener = await created(frozen, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 });
      await markAllActive(frozen, lb.id);
      const pool = await created(frozen, POOLS, 'pool', { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
      assert.deepEqual(pool.loadbalancers, [{ id: lb.id }]);
      assert.deepEqual(pool.listeners, [{ id: listener.id }]);
      assert.equal(pool.project_id, 'proj-listener');
      const l = (await frozen.request('GET', `${LISTENERS}/${listener.id}`)).body.listener;
      assert.equal(l.default_pool_id, pool.id);
      assert.equal(l.provisioning_status, 'PENDING_UPDATE');
      const job = (await frozen.store.jobs.forResource(lb.id)).find((j) => j.kind === 'create_pool');
      assert.deepEqual(job?.payload, { loadBalancerId: lb.id, listenerIds: [listener.id], poolId: pool.id });

      await markAllActive(frozen, lb.id);
      const second = await frozen.request('POST', POOLS, { body: { pool: { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } } });
      assert.equal(second.status, 409);
      assert.equal(second.body.faultstring, 'This listener already has a default pool');
      assert.equal(await status(frozen, `${LBS}/${lb.id}`, 'loadbalancer'), 'ACTIVE');
    });

    test('listener_id: protocol matrix and PROMETHEUS listeners (also when loadbalancer_id is given)', async () => {
      const lb = await frozenLoadBalancer(frozen, 'proj-matrix');
      const http = await created(frozen, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 81 });
      await markAllActive(frozen, lb.id);
      const prom = await created(frozen, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'PROMETHEUS', protocol_port: 9100 });
      await markAllActive(frozen, lb.id);
      const udp = await frozen.request('POST', POOLS, { body: { pool: { listener_id: http.id, protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN' } } });
      assert.equal(udp.status, 400);
      assert.equal(udp.body.faultstring, "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.");
      const both = await frozen.request('POST', POOLS, {
        body: { pool: { loadbalancer_id: lb.id, listener_id: http.id, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' } },
      });
      assert.equal(both.status, 400);
      assert.equal(both.body.faultstring, "Validation failure: The pool protocol 'TCP' is invalid while the listener protocol is 'HTTP'.");
      const toProm = await frozen.request('POST', POOLS, { body: { pool: { listener_id: prom.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } } });
      assert.equal(toProm.status, 400);
      assert.equal(toProm.body.faultstring, 'Protocol PROMETHEUS listeners cannot have child objects.');
      const other = await frozenLoadBalancer(frozen, 'proj-matrix');
      const elsewhere = await frozen.request('POST', POOLS, {
        body: { pool: { loadbalancer_id: other.id, listener_id: http.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } },
      });
      assert.equal(elsewhere.status, 404);
      assert.equal(elsewhere.body.faultstring, `Listener ${http.id} not found.`);
      const proxy = await frozen.request('POST', POOLS, { body: { pool: { listener_id: http.id, protocol: 'PROXYV2', lb_algorithm: 'ROUND_ROBIN' } } });
      assert.equal(proxy.status, 201, proxy.text);
    });

    test('session persistence rules on create, with upstream texts', async () => {
      const lb = await frozenLoadBalancer(frozen, 'proj-sp');
      const cases: [string, Record<string, unknown>, string][] = [
        ['UDP', { type: 'SOURCE_IP', cookie_name: 'c' }, 'session_persistence SOURCE_IP type for UDP and SCTP protocols only accepts: type, persistence_timeout, persistence_granularity.'],
        ['UDP', { type: 'APP_COOKIE', cookie_name: 'c' }, 'Cookie names are not supported for UDP/SCTP pools.'],
        ['SCTP', { type: 'HTTP_COOKIE' }, 'Session persistence of type HTTP_COOKIE is not supported for UDP/SCTP protocol pools.'],
        ['HTTP', { type: 'APP_COOKIE' }, 'Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.'],
        ['HTTP', { type: 'HTTP_COOKIE', cookie_name: 'c' }, 'Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".'],
        ['HTTP', { type: 'APP_COOKIE', cookie_name: 'a=b' }, 'Supplied "cookie_name" is invalid.'],
        ['HTTP', { type: 'SOURCE_IP', persistence_timeout: 3 }, 'persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.'],
      ];
      for (const [protocol, sp, message] of cases) {
        const res = await frozen.request('POST', POOLS, {
          body: { pool: { loadbalancer_id: lb.id, protocol, lb_algorithm: 'ROUND_ROBIN', session_persistence: sp } },
        });
        assert.equal(res.status, 400, `${protocol} ${JSON.stringify(sp)}: ${res.text}`);
        assert.equal(res.body.faultstring, `Validation failure: ${message}`);
      }
      assert.equal(await status(frozen, `${LBS}/${lb.id}`, 'loadbalancer'), 'ACTIVE');
      const ok = await created(frozen, POOLS, 'pool', {
        loadbalancer_id: lb.id,
        protocol: 'UDP',
        lb_algorithm: 'ROUND_ROBIN',
        session_persistence: { type: 'SOURCE_IP', persistence_timeout: 60, persistence_granularity: '255.255.255.0' },
      });
      assert.deepEqual(ok.session_persistence, {
        type: 'SOURCE_IP',
        cookie_name: null,
        persistence_timeout: 60,
        persistence_granularity: '255.255.255.0',
      });
    });

    test('session persistence on update: a typeless object keeps the stored type, null removes it', async () => {
      const lb = await createActiveLoadBalancer(api, 'proj-sp-put');
      const pool = await activePool(api, lb.id, { session_persistence: { type: 'APP_COOKIE', cookie_name: 'one' } });
      const put = (sp: unknown) => api.request('PUT', `${POOLS}/${pool.id}`, { body: { pool: { session_persistence: sp } } });
      const renamed = await put({ cookie_name: 'two' });
      assert.equal(renamed.status, 200, renamed.text);
      assert.deepEqual(renamed.body.pool.session_persistence, { type: 'APP_COOKIE', cookie_name: 'two', persistence_timeout: null, persistence_granularity: null });
      assert.equal(renamed.body.pool.provisioning_status, 'PENDING_UPDATE');
      await api.settle();
      const timeout = await put({ persistence_timeout: 5 });
      assert.equal(timeout.status, 400);
      assert.equal(timeout.body.faultstring, 'Validation failure: persistence_timeout and persistence_granularity is only for UDP protocol pools.');
      const removed = await put(null);
      assert.equal(removed.status, 200, removed.text);
      assert.equal(removed.body.pool.session_persistence, null);
      await api.settle();
      const typeless = await put({ cookie_name: 'three' });
      assert.equal(typeless.status, 400);
      assert.equal(typeless.body.faultstring, 'Validation failure: Invalid session_persistence provided.');
      assert.equal((await api.request('GET', `${POOLS}/${pool.id}`)).body.pool.session_persistence, null);
    });

    test('TLS: defaults from the configuration when enabled, cipher prohibit list, minimum version', async () => {
      const lb = await frozenLoadBalancer(frozen, 'proj-tls');
      const base = { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' };
      const enabled = await created(frozen, POOLS, 'pool', { ...base, tls_enabled: true });
      assert.equal(enabled.tls_ciphers, 'ECDHE-RSA-AES256-GCM-SHA384');
      assert.deepEqual(enabled.tls_versions, ['TLSv1.3']);
      assert.deepEqual(enabled.alpn_protocols, ['http/1.1']);
      await markAllActive(frozen, lb.id);
      const prohibited = await frozen.request('POST', POOLS, { body: { pool: { ...base, tls_ciphers: 'RC4-SHA:AES128-SHA' } } });
      assert.equal(prohibited.status, 400);
      assert.equal(prohibited.body.faultstring, 'Validation failure: The following ciphers have been prohibited by an administrator: RC4-SHA');
      const badChars = await frozen.request('POST', POOLS, { body: { pool: { ...base, tls_ciphers: 'AES128-SHA\nbind' } } });
      assert.equal(badChars.status, 400);
      assert.match(badChars.body.faultstring, /Invalid characters in cipher string/);
      const old = await frozen.request('POST', POOLS, { body: { pool: { ...base, tls_enabled: true, tls_versions: ['TLSv1.1', 'TLSv1.2'] } } });
      assert.equal(old.status, 400);
      assert.equal(old.body.faultstring, 'Validation failure: Requested TLS versions are less than the minimum: TLSv1.1 < TLSv1.2');
      const empty = await frozen.request('POST', POOLS, { body: { pool: { ...base, tls_enabled: true, alpn_protocols: [] } } });
      assert.equal(empty.status, 400);
      assert.match(empty.body.faultstring, /^Validation failure: Empty ALPN protocol list/);
      // Versions are only checked for TLS-enabled pools, as upstream.
      const disabled = await created(frozen, POOLS, 'pool', { ...base, tls_versions: ['TLSv1.1'] });
      assert.deepEqual(disabled.tls_versions, ['TLSv1.1']);
      assert.equal(disabled.tls_ciphers, null);
    });

    test('TLS: certificate references, CRL needs a CA signed CRL, and the CA stays while a CRL is present', async () => {
      const lb = await createActiveLoadBalancer(api, 'proj-certs');
      const base = { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' };
      const post = (extra: Record<string, unknown>) => api.request('POST', POOLS, { body: { pool: { ...base, ...extra } } });
      const crlOnly = await post({ crl_container_ref: 'crl' });
      assert.equal(crlOnly.status, 400);
      assert.equal(crlOnly.body.faultstring, 'Validation failure: A CA certificate reference is required to specify a revocation list.');
      const unknown = await post({ tls_container_ref: 'nope' });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.faultstring, "Could not retrieve certificate: ['nope']");
      const foreign = await post({ ca_tls_container_ref: 'ca', crl_container_ref: 'foreign-crl' });
      assert.equal(foreign.status, 400);
      assert.equal(foreign.body.faultstring, 'Validation failure: The CRL specified is not valid for client certificate authority reference supplied.');

      const pool = await activePool(api, lb.id, { tls_enabled: true, tls_container_ref: 'client', ca_tls_container_ref: 'ca', crl_container_ref: 'crl' });
      assert.equal(pool.tls_container_ref, 'client');
      assert.equal(pool.ca_tls_container_ref, 'ca');
      assert.equal(pool.crl_container_ref, 'crl');
      const put = (p: Record<string, unknown>) => api.request('PUT', `${POOLS}/${pool.id}`, { body: { pool: p } });
      const dropCa = await put({ ca_tls_container_ref: null });
      assert.equal(dropCa.status, 400);
      assert.equal(dropCa.body.faultstring, 'Validation failure: A CA reference cannot be removed when a certificate revocation list is present.');
      const both = await put({ ca_tls_container_ref: null, crl_container_ref: null, tls_versions: null, tls_ciphers: null });
      assert.equal(both.status, 200, both.text);
      assert.equal(both.body.pool.ca_tls_container_ref, null);
      assert.equal(both.body.pool.crl_container_ref, null);
      assert.deepEqual(both.body.pool.tls_versions, ['TLSv1.3'], 'null resets to the configured default');
      assert.equal(both.body.pool.tls_ciphers, 'ECDHE-RSA-AES256-GCM-SHA384');
      await api.settle();
      const crlWithoutCa = await put({ crl_container_ref: 'crl' });
      assert.equal(crlWithoutCa.status, 400);
      assert.equal(crlWithoutCa.body.faultstring, 'Validation failure: A CA reference is required to specify a certificate revocation list.');
    });

    test('update: 200 PENDING_UPDATE with the new values, the listeners using the pool are locked, then ACTIVE', async () => {
      const lb = await frozenLoadBalancer(frozen, 'proj-put');
      const listener = await created(frozen, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 8080 });
      await markAllActive(frozen, lb.id);
      const pool = await created(frozen, POOLS, 'pool', { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', name: 'x', tags: ['t'] });
      await markAllActive(frozen, lb.id);
      const res = await frozen.request('PUT', `${POOLS}/${pool.id}`, {
        body: { pool: { name: null, lb_algorithm: 'SOURCE_IP', admin_state_up: false, tags: ['u', 'v'] } },
      });
      assert.equal(res.status, 200, res.text);
      const p = res.body.pool;
      assert.equal(p.provisioning_status, 'PENDING_UPDATE');
      assert.equal(p.name, '');
      assert.equal(p.lb_algorithm, 'SOURCE_IP');
      assert.equal(p.admin_state_up, false);
      assert.deepEqual(p.tags, ['u', 'v']);
      assert.notEqual(p.updated_at, null);
      assert.equal(await status(frozen, `${LISTENERS}/${listener.id}`, 'listener'), 'PENDING_UPDATE');
      assert.equal(await status(frozen, `${LBS}/${lb.id}`, 'loadbalancer'), 'PENDING_UPDATE');
      const job = (await frozen.store.jobs.forResource(lb.id)).find((j) => j.kind === 'update_pool');
      assert.deepEqual(job?.payload, { loadBalancerId: lb.id, listenerIds: [listener.id], poolId: pool.id });
      const locked = await frozen.request('PUT', `${POOLS}/${pool.id}`, { body: { pool: { name: 'y' } } });
      assert.equal(locked.status, 409);
      assert.equal(locked.body.faultstring, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
      const immutable = await frozen.request('PUT', `${POOLS}/${pool.id}`, { body: { pool: { protocol: 'TCP' } } });
      assert.equal(immutable.status, 400);
      assert.equal(immutable.body.faultstring, 'Unknown attribute for argument pool_.pool: protocol');
    });

    test('show and list: 404 for unknown pools, filters, field selection and project scoping', async () => {
      const lb = await createActiveLoadBalancer(api, 'proj-list');
      const a = await activePool(api, lb.id, { name: 'a', protocol: 'TCP' });
      await activePool(api, lb.id, { name: 'b', admin_state_up: false });
      const missing = await api.request('GET', `${POOLS}/${MISSING}`);
      assert.equal(missing.status, 404);
      assert.equal(missing.body.faultstring, `Pool ${MISSING} not found.`);
      const one = await api.request('GET', `${POOLS}/${a.id}?fields=id&fields=protocol`);
      assert.deepEqual(one.body, { pool: { id: a.id, protocol: 'TCP' } });
      const byLb = await api.request('GET', `${POOLS}?loadbalancer_id=${lb.id}`);
      assert.deepEqual(byLb.body.pools.map((p: { name: string }) => p.name).sort(), ['a', 'b']);
      assert.deepEqual(byLb.body.pools_links, []);
      const tcp = await api.request('GET', `${POOLS}?loadbalancer_id=${lb.id}&protocol=TCP`);
      assert.deepEqual(tcp.body.pools.map((p: { id: string }) => p.id), [a.id]);
      const disabled = await api.request('GET', `${POOLS}?loadbalancer_id=${lb.id}&admin_state_up=false`);
      assert.deepEqual(disabled.body.pools.map((p: { name: string }) => p.name), ['b']);
      const mine = await api.request('GET', `${POOLS}?project_id=proj-list`);
      assert.equal(mine.body.pools.length, 2);
      assert.ok(mine.body.pools.every((p: { project_id: string }) => p.project_id === 'proj-list'));
      const bogus = await api.request('GET', `${POOLS}?bogus=1`);
      assert.equal(bogus.status, 400);
      assert.equal(bogus.body.faultstring, 'One or more arguments are either duplicate or invalid');
      const sorted = await api.request('GET', `${POOLS}?loadbalancer_id=${lb.id}&sort=name:desc&limit=1`);
      assert.deepEqual(sorted.body.pools.map((p: { name: string }) => p.name), ['b']);
      assert.equal(sorted.body.pools_links[0].rel, 'next');
    });

    test('delete: 204, PENDING_DELETE, then gone with its members and monitor', async () => {
      const lb = await createActiveLoadBalancer(api, 'proj-del');
      const pool = await activePool(api, lb.id);
      const member = await created(api, `${POOLS}/${pool.id}/members`, 'member', { address: '10.0.0.9', protocol_port: 80 });
      await api.settle();
      const hm = await created(api, '/v2/lbaas/healthmonitors', 'healthmonitor', { pool_id: pool.id, type: 'TCP', delay: 5, timeout: 3, max_retries: 2 });
      await api.settle();
      const shown = (await api.request('GET', `${POOLS}/${pool.id}`)).body.pool;
      assert.deepEqual(shown.members, [{ id: member.id }]);
      assert.equal(shown.healthmonitor_id, hm.id);
      const res = await api.request('DELETE', `${POOLS}/${pool.id}`);
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      await api.settle();
      assert.equal((await api.request('GET', `${POOLS}/${pool.id}`)).status, 404);
      assert.equal(await api.store.members.get(member.id), null);
      assert.equal(await api.store.healthMonitors.get(hm.id), null);
      assert.equal(await status(api, `${LBS}/${lb.id}`, 'loadbalancer'), 'ACTIVE');
      const again = await api.request('DELETE', `${POOLS}/${pool.id}`);
      assert.equal(again.status, 404);
    });

    test('a pool that an L7 policy redirects to cannot be deleted; through an enabled policy with a rule it lists that listener', async () => {
      const lb = await createActiveLoadBalancer(api, 'proj-l7');
      const listener = await created(api, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 });
      await api.settle();
      const pool = await activePool(api, lb.id);
      const l7 = await created(api, '/v2/lbaas/l7policies', 'l7policy', { listener_id: listener.id, action: 'REDIRECT_TO_POOL', redirect_pool_id: pool.id });
      await api.settle();
      assert.deepEqual((await api.request('GET', `${POOLS}/${pool.id}`)).body.pool.listeners, [], 'a policy without rules does not use the pool');
      await created(api, `/v2/lbaas/l7policies/${l7.id}/rules`, 'rule', { type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' });
      await api.settle();
      assert.deepEqual((await api.request('GET', `${POOLS}/${pool.id}`)).body.pool.listeners, [{ id: listener.id }]);
      const res = await api.request('DELETE', `${POOLS}/${pool.id}`);
      assert.equal(res.status, 409);
      assert.equal(res.body.faultstring, `Pool ${pool.id} is in use by L7 policy ${l7.id}`);
      assert.equal(await status(api, `${POOLS}/${pool.id}`, 'pool'), 'ACTIVE');
    });

    test('single-call create: embedded pools with monitor and members, full objects in the response, all ACTIVE after', async () => {
      const res = await api.request('POST', LBS, {
        project: 'proj-graph',
        body: {
          loadbalancer: {
            vip_subnet_id: SUBNET,
            pools: [
              {
                name: 'g1',
                protocol: 'HTTP',
                lb_algorithm: 'ROUND_ROBIN',
                session_persistence: { type: 'HTTP_COOKIE' },
                healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 },
                members: [
                  { address: '10.0.0.1', protocol_port: 80 },
                  { address: '10.0.0.2', protocol_port: 80, weight: 5 },
                ],
              },
            ],
          },
        },
      });
      assert.equal(res.status, 201, res.text);
      const [pool] = res.body.loadbalancer.pools;
      assert.equal(pool.name, 'g1');
      assert.equal(pool.project_id, 'proj-graph');
      assert.equal(pool.session_persistence.type, 'HTTP_COOKIE');
      assert.equal(pool.healthmonitor.type, 'HTTP');
      assert.equal(pool.healthmonitor.url_path, '/');
      assert.equal(pool.members.length, 2);
      const weights = Object.fromEntries(pool.members.map((m: { address: string; weight: number }) => [m.address, m.weight]));
      assert.deepEqual(weights, { '10.0.0.1': 1, '10.0.0.2': 5 });
      // As upstream: embedded members start NO_MONITOR even next to an embedded monitor.
      assert.ok(pool.members.every((m: { operating_status: string }) => m.operating_status === 'NO_MONITOR'));
      await api.settle();
      const stored = (await api.request('GET', `${POOLS}/${pool.id}`)).body.pool;
      assert.equal(stored.provisioning_status, 'ACTIVE');
      assert.equal(stored.healthmonitor_id, pool.healthmonitor.id);
      assert.equal(stored.members.length, 2);
    });

    test('single-call create: a reserved member address fails the whole request', async () => {
      const res = await api.request('POST', LBS, {
        project: 'proj-graph-bad',
        body: {
          loadbalancer: {
            vip_subnet_id: SUBNET,
            name: 'graph-bad',
            pools: [{ name: 'g', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '169.254.169.254', protocol_port: 80 }] }],
          },
        },
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.faultstring, '169.254.169.254 is not a valid option for member address');
      const lbs = await api.request('GET', `${LBS}?name=graph-bad`);
      assert.deepEqual(lbs.body.loadbalancers, []);
    });
  });
}
