/**
 * Listener API: create/show/list/update/delete/stats with upstream's defaults and texts, the
 * locks of spec §3.2 (checked on an API without a worker, where statuses stay as the API left
 * them), port conflicts per L4 protocol, insert_headers, TLS (certificates through the local
 * certificate manager, client CA and CRL, ciphers, versions, ALPN, HSTS), allowed CIDRs, default
 * pools, PROMETHEUS listeners, and listeners embedded in a single-call load balancer create.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createActiveLoadBalancer, engines, startTestApi, SUBNET, type TestApi } from '../support/api.js';

const LBS = '/v2/lbaas/loadbalancers';
const LISTENERS = '/v2/lbaas/listeners';
const POOLS = '/v2/lbaas/pools';
const MISSING = '0b9b4b0f-0000-4000-8000-00000000abcd';

/** Certificates made once with the openssl CLI: a server cert+key, a CA, a CRL it signed, a CRL of another CA. */
let certDir: string;
before(() => {
  certDir = mkdtempSync(join(tmpdir(), 'octavius-listener-certs-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: certDir, stdio: 'pipe' });
  const crl = (ca: string) => {
    writeFileSync(join(certDir, `${ca}.cnf`), `[ca]\ndefault_ca=d\n[d]\ndatabase=${certDir}/${ca}.idx\ncrlnumber=${certDir}/${ca}.num\ndefault_md=sha256\ndefault_crl_days=2\n`);
    writeFileSync(join(certDir, `${ca}.idx`), '');
    writeFileSync(join(certDir, `${ca}.num`), '01\n');
    openssl('ca', '-config', `${ca}.cnf`, '-gencrl', '-keyfile', `${ca}.key`, '-cert', `${ca}.crt`, '-out', `${ca}.crl`);
  };
  for (const ca of ['ca', 'ca2']) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=${ca}`);
    crl(ca);
  }
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.crt', '-days', '2', '-subj', '/CN=www.example.com');
});
after(() => {
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

/** Puts the certificates into the API's local certificate store under the references the tests use. */
function installCertificates(api: TestApi): void {
  const store = api.config.certificates.storage_path ?? join(api.config.DEFAULT.state_path, 'certificates');
  mkdirSync(store, { recursive: true });
  const put = (ref: string, suffix: string, file: string) => copyFileSync(join(certDir, file), join(store, `${ref}${suffix}`));
  put('srv', '.crt', 'srv.crt');
  put('srv', '.key', 'srv.key');
  put('srv2', '.crt', 'srv.crt');
  put('srv2', '.key', 'srv.key');
  put('ca', '.crt', 'ca.crt');
  put('crl', '.crt', 'ca.crl');
  put('crl-other', '.crt', 'ca2.crl');
  writeFileSync(join(store, 'junk.crt'), 'not PEM at all\n');
}

async function post(api: TestApi, body: Record<string, unknown>, project = 'proj-l') {
  return api.request('POST', LISTENERS, { project, body: { listener: body } });
}

async function createdListener(api: TestApi, body: Record<string, unknown>, project = 'proj-l') {
  const res = await post(api, body, project);
  assert.equal(res.status, 201, res.text);
  return res.body.listener;
}

/** Stands in for the worker on an API without one. */
async function markAllActive(api: TestApi, lbId: string): Promise<void> {
  const g = (await api.store.loadBalancerGraph(lbId))!;
  const active = { provisioningStatus: 'ACTIVE' } as const;
  await api.store.loadBalancers.setStatus(lbId, active);
  await api.store.listeners.setStatus(g.listeners.map((l) => l.id), active);
  await api.store.pools.setStatus(g.pools.map((p) => p.id), active);
  await api.store.l7policies.setStatus(g.l7policies.map((p) => p.id), active);
}

async function frozenLoadBalancer(api: TestApi, project = 'proj-l', extra: Record<string, unknown> = {}) {
  const res = await api.request('POST', LBS, { project, body: { loadbalancer: { vip_subnet_id: SUBNET, ...extra } } });
  assert.equal(res.status, 201, res.text);
  await markAllActive(api, res.body.loadbalancer.id);
  return res.body.loadbalancer;
}

async function fault(res: { status: number; body: { faultstring?: string }; text: string }, status: number, message: string) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body.faultstring, message);
}

for (const engine of engines()) {
  describe(`listeners (${engine})`, () => {
    let api: TestApi;
    /** No worker; a cipher prohibit list, a TLS minimum and PROMETHEUS disabled. */
    let frozen: TestApi;
    before(async () => {
      api = await startTestApi({ engine });
      frozen = await startTestApi({
        engine,
        worker: false,
        config: { api_settings: { tls_cipher_prohibit_list: 'RC4-SHA:DES-CBC3-SHA', minimum_tls_version: 'TLSv1.2', allow_prometheus_listeners: false } },
      });
      installCertificates(api);
      installCertificates(frozen);
    });
    after(async () => {
      await api?.close();
      await frozen?.close();
    });

    test('create: 201 PENDING_CREATE/OFFLINE with upstream defaults; LB locked; worker makes both ACTIVE; peer ports 1025, 1026', async () => {
      const lb = await createActiveLoadBalancer(api, 'proj-l');
      const l = await createdListener(api, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, name: 'web', tags: ['a'] });
      assert.equal(l.provisioning_status, 'PENDING_CREATE');
      assert.equal(l.operating_status, 'OFFLINE');
      assert.equal(l.project_id, 'proj-l');
      assert.equal(l.tenant_id, 'proj-l');
      assert.deepEqual(l.loadbalancers, [{ id: lb.id }]);
      assert.equal(l.connection_limit, -1);
      assert.equal(l.timeout_client_data, 50000);
      assert.equal(l.timeout_member_connect, 5000);
      assert.equal(l.timeout_member_data, 50000);
      assert.equal(l.timeout_tcp_inspect, 0);
      assert.equal(l.client_authentication, 'NONE');
      assert.deepEqual(l.insert_headers, {});
      assert.equal(l.allowed_cidrs, null);
      assert.equal(l.tls_ciphers, null);
      assert.equal(l.tls_versions, null);
      assert.equal(l.alpn_protocols, null);
      assert.deepEqual(l.l7policies, []);
      assert.deepEqual(l.sni_container_refs, []);
      assert.equal(l.default_pool_id, null);
      assert.equal(l.updated_at, null);
      assert.equal(l.description, '');
      assert.deepEqual(l.tags, ['a']);
      assert.equal('loadbalancer_id' in l, false);

      const active = await api.waitForStatus(`${LISTENERS}/${l.id}`, 'listener');
      assert.equal(active.operating_status, 'OFFLINE');
      assert.equal((await api.waitForStatus(`${LBS}/${lb.id}`, 'loadbalancer')).provisioning_status, 'ACTIVE');
      const l2 = await createdListener(api, { loadbalancer_id: lb.id, protocol: 'TCP', protocol_port: 81 });
      await api.settle();
      assert.equal((await api.store.listeners.get(l.id))!.peerPort, 1025);
      assert.equal((await api.store.listeners.get(l2.id))!.peerPort, 1026);
    });

    test('create locks the load balancer; a locked one answers 409 and nothing is written', async () => {
      const lb = await frozenLoadBalancer(frozen);
      const l = await createdListener(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 });
      assert.equal((await frozen.store.loadBalancers.get(lb.id))!.provisioningStatus, 'PENDING_UPDATE');
      assert.equal((await frozen.store.listeners.get(l.id))!.provisioningStatus, 'PENDING_CREATE');
      const again = await post(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 81 });
      await fault(again, 409, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
      assert.equal((await frozen.store.listeners.forLoadBalancer(lb.id)).length, 1);
      await fault(await post(frozen, { loadbalancer_id: MISSING, protocol: 'HTTP', protocol_port: 80 }), 404, `Load Balancer ${MISSING} not found.`);
    });

    test('ports are unique per L4 protocol: HTTP:80 blocks TCP:80 (409 naming HTTP), UDP:80 coexists', async () => {
      const lb = await frozenLoadBalancer(frozen);
      await createdListener(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 });
      await markAllActive(frozen, lb.id);
      await fault(
        await post(frozen, { loadbalancer_id: lb.id, protocol: 'TCP', protocol_port: 80 }),
        409,
        'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80',
      );
      await fault(
        await post(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 }),
        409,
        'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80',
      );
      await markAllActive(frozen, lb.id);
      await createdListener(frozen, { loadbalancer_id: lb.id, protocol: 'UDP', protocol_port: 80 });
      await markAllActive(frozen, lb.id);
      await createdListener(frozen, { loadbalancer_id: lb.id, protocol: 'SCTP', protocol_port: 80 });
    });

    test('insert_headers: HTTP family only, known names only, SSL names only on TERMINATED_HTTPS', async () => {
      const lb = await frozenLoadBalancer(frozen);
      const base = { loadbalancer_id: lb.id, protocol_port: 80 };
      await fault(
        await post(frozen, { ...base, protocol: 'TCP', insert_headers: { 'X-Forwarded-For': 'true' } }),
        400,
        'insert-headers is not a valid option for a TCP protocol listener.',
      );
      await fault(
        await post(frozen, { ...base, protocol: 'UDP', insert_headers: { 'X-Forwarded-For': 'true' } }),
        400,
        'insert-headers is not a valid option for a UDP protocol listener.',
      );
      await fault(
        await post(frozen, { ...base, protocol: 'HTTP', insert_headers: { 'X-Foo': 'true', 'X-Forwarded-For': 'true' } }),
        400,
        "dict_keys(['X-Foo', 'X-Forwarded-For']) is not a valid option for insert_headers",
      );
      await fault(
        await post(frozen, { ...base, protocol: 'HTTP', insert_headers: { 'X-SSL-Client-DN': 'true', 'X-Forwarded-For': 'true', 'X-SSL-Issuer': 'true' } }),
        400,
        "['X-SSL-Client-DN', 'X-SSL-Issuer'] is not a valid option for HTTP protocol listener.",
      );
      const bad = await post(frozen, { ...base, protocol: 'HTTP', insert_headers: { 'X-Forwarded-For': 'true\u0007' } });
      assert.equal(bad.status, 400, bad.text);
      const ok = await createdListener(frozen, { ...base, protocol: 'HTTP', insert_headers: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'false' } });
      assert.deepEqual(ok.insert_headers, { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'false' });
      assert.equal((await frozen.store.listeners.forLoadBalancer(lb.id)).length, 1, 'rejected requests wrote nothing');
    });

    test('TLS offload: certificates required and resolved by the cert manager; defaults from config', async () => {
      const lb = await frozenLoadBalancer(frozen);
      const base = { loadbalancer_id: lb.id, protocol: 'TERMINATED_HTTPS', protocol_port: 443 };
      await fault(
        await post(frozen, base),
        400,
        'Validation failure: An SNI or default certificate container reference must be provided for TERMINATED_HTTPS protocol listeners.',
      );
      await fault(await post(frozen, { ...base, default_tls_container_ref: 'nope' }), 400, "Could not retrieve certificate: ['nope']");
      await fault(
        await post(frozen, { ...base, default_tls_container_ref: 'nope', sni_container_refs: ['a', 'srv'] }),
        400,
        "Could not retrieve certificate: ['a', 'nope']",
      );
      await fault(
        await post(frozen, { ...base, default_tls_container_ref: '../srv' }),
        400,
        "Could not retrieve certificate: ['../srv']",
      );
      await fault(
        await post(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, default_tls_container_ref: 'srv' }),
        400,
        'Validation failure: Certificate container references are not allowed on HTTP protocol listeners.',
      );
      await fault(
        await post(frozen, { loadbalancer_id: lb.id, protocol: 'UDP', protocol_port: 80, sni_container_refs: ['srv'] }),
        400,
        'Validation failure: UDP protocol listener does not support TLS.',
      );
      const l = await createdListener(frozen, { ...base, default_tls_container_ref: 'srv', sni_container_refs: ['srv2'] });
      assert.equal(l.default_tls_container_ref, 'srv');
      assert.deepEqual(l.sni_container_refs, ['srv2']);
      assert.deepEqual(l.tls_versions, frozen.config.api_settings.default_listener_tls_versions);
      assert.equal(l.tls_ciphers, frozen.config.api_settings.default_listener_ciphers);
      assert.deepEqual(l.alpn_protocols, ['h2', 'http/1.1', 'http/1.0']);
    });

    test('client authentication: CA needed for OPTIONAL/MANDATORY and for a CRL; CA must be PEM; CRL must be signed by it', async () => {
      const lb = await frozenLoadBalancer(frozen);
      const base = { loadbalancer_id: lb.id, protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: 'srv' };
      await fault(
        await post(frozen, { ...base, client_authentication: 'MANDATORY' }),
        400,
        'Validation failure: Client authentication setting MANDATORY requires a client CA container reference.',
      );
      await fault(
        await post(frozen, { ...base, client_crl_container_ref: 'crl' }),
        400,
        'Validation failure: A client authentication CA reference is required to specify a client authentication revocation list.',
      );
      await fault(
        await post(frozen, { loadbalancer_id: lb.id, protocol: 'TERMINATED_HTTPS', protocol_port: 443, client_ca_tls_container_ref: 'ca' }),
        400,
        'Validation failure: An SNI or default certificate container reference must be provided with a client CA container reference.',
      );
      await fault(
        await post(frozen, { ...base, client_ca_tls_container_ref: 'junk' }),
        400,
        'Validation failure: The client authentication CA certificate is invalid. It must be a valid x509 PEM format certificate. Error: Unable to load PEM file. See https://cryptography.io/en/latest/faq/#why-can-t-i-import-my-pem-file for more details. MalformedFraming',
      );
      await fault(
        await post(frozen, { ...base, client_ca_tls_container_ref: 'ca', client_crl_container_ref: 'nope' }),
        400,
        "Could not retrieve certificate: ['nope']",
      );
      await fault(
        await post(frozen, { ...base, client_ca_tls_container_ref: 'ca', client_crl_container_ref: 'crl-other' }),
        400,
        'Validation failure: The CRL specified is not valid for client certificate authority reference supplied.',
      );
      const l = await createdListener(frozen, { ...base, client_ca_tls_container_ref: 'ca', client_crl_container_ref: 'crl', client_authentication: 'OPTIONAL' });
      assert.equal(l.client_authentication, 'OPTIONAL');
      assert.equal(l.client_crl_container_ref, 'crl');
    });

    test('ciphers, TLS versions, ALPN and HSTS rules', async () => {
      const lb = await frozenLoadBalancer(frozen);
      const base = { loadbalancer_id: lb.id, protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: 'srv' };
      await fault(
        await post(frozen, { ...base, tls_ciphers: 'ECDHE-RSA-AES128-GCM-SHA256 RC4' }),
        400,
        'Validation failure: Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.',
      );
      await fault(
        await post(frozen, { ...base, tls_ciphers: 'RC4-SHA:AES128-SHA:DES-CBC3-SHA' }),
        400,
        'Validation failure: The following ciphers have been prohibited by an administrator: RC4-SHA, DES-CBC3-SHA',
      );
      // Cipher strings reach HAProxy whatever the protocol.
      await fault(
        await post(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, tls_ciphers: 'A;B' }),
        400,
        'Validation failure: Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.',
      );
      await fault(
        await post(frozen, { ...base, tls_versions: [] }),
        400,
        'Validation failure: Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.',
      );
      await fault(await post(frozen, { ...base, tls_versions: ['TLSv1.2', 'TLSv9'] }), 400, 'Validation failure: Invalid TLS versions: TLSv9');
      await fault(
        await post(frozen, { ...base, tls_versions: ['TLSv1', 'TLSv1.1', 'TLSv1.3'] }),
        400,
        'Validation failure: Requested TLS versions are less than the minimum: TLSv1, TLSv1.1 < TLSv1.2',
      );
      await fault(
        await post(frozen, { ...base, alpn_protocols: [] }),
        400,
        'Validation failure: Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.',
      );
      await fault(
        await post(frozen, { ...base, hsts_preload: true }),
        400,
        'Validation failure: HSTS configuration options hsts_include_subdomains and hsts_preload only make sense if hsts_max_age is set as well.',
      );
      await fault(
        await post(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, hsts_max_age: 10 }),
        400,
        'Validation failure: The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol.',
      );
      const l = await createdListener(frozen, { ...base, hsts_max_age: 3600, hsts_include_subdomains: true, tls_versions: ['TLSv1.3'], tls_ciphers: 'AES128-SHA' });
      assert.equal(l.hsts_max_age, 3600);
      assert.equal(l.hsts_include_subdomains, true);
      assert.equal(l.hsts_preload, false);
      assert.deepEqual(l.tls_versions, ['TLSv1.3']);
      assert.equal(l.tls_ciphers, 'AES128-SHA');
    });

    test('allowed_cidrs: normalised and de-duplicated; the IP family must match a VIP', async () => {
      const lb = await frozenLoadBalancer(frozen);
      await fault(
        await post(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, allowed_cidrs: ['10.0.0.0/8', '::/0'] }),
        400,
        `Validation failure: CIDR ::/0 IP version incompatible with all VIPs ['${lb.vip_address}'] IP version.`,
      );
      const l = await createdListener(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, allowed_cidrs: ['10.1.2.3/8', '10.0.0.0/8', '192.0.2.0/24'] });
      assert.deepEqual([...l.allowed_cidrs].sort(), ['10.0.0.0/8', '192.0.2.0/24']);
    });

    test('default_pool_id: same load balancer and a compatible protocol; PROMETHEUS takes no children', async () => {
      const lb = await frozenLoadBalancer(frozen);
      const other = await frozenLoadBalancer(frozen);
      const pool = async (lbId: string, protocol: string) => {
        const res = await frozen.request('POST', POOLS, { project: 'proj-l', body: { pool: { loadbalancer_id: lbId, protocol, lb_algorithm: 'ROUND_ROBIN' } } });
        assert.equal(res.status, 201, res.text);
        await markAllActive(frozen, lbId);
        return res.body.pool.id as string;
      };
      const tcpPool = await pool(lb.id, 'TCP');
      const httpPool = await pool(lb.id, 'HTTP');
      const foreign = await pool(other.id, 'HTTP');
      await fault(await post(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, default_pool_id: foreign }), 404, `Pool ${foreign} not found.`);
      await fault(
        await post(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, default_pool_id: tcpPool }),
        400,
        "Validation failure: The pool protocol 'TCP' is invalid while the listener protocol is 'HTTP'.",
      );
      const promLb = await createActiveLoadBalancer(api, 'proj-l');
      const promPool = await api.request('POST', POOLS, { project: 'proj-l', body: { pool: { loadbalancer_id: promLb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } } });
      await api.settle();
      await fault(
        await post(api, { loadbalancer_id: promLb.id, protocol: 'PROMETHEUS', protocol_port: 9100, default_pool_id: promPool.body.pool.id }),
        400,
        'Protocol PROMETHEUS listeners cannot have child objects.',
      );
      const l = await createdListener(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, default_pool_id: httpPool });
      assert.equal(l.default_pool_id, httpPool);
    });

    test('PROMETHEUS listeners can be switched off by configuration', async () => {
      const lb = await frozenLoadBalancer(frozen);
      await fault(
        await post(frozen, { loadbalancer_id: lb.id, protocol: 'PROMETHEUS', protocol_port: 9100 }),
        400,
        'The selected protocol is not allowed in this deployment: PROMETHEUS',
      );
      const on = await createActiveLoadBalancer(api, 'proj-l');
      const l = await createdListener(api, { loadbalancer_id: on.id, protocol: 'PROMETHEUS', protocol_port: 9100 });
      assert.equal(l.protocol, 'PROMETHEUS');
    });

    test('embedded default_pool and l7policies are refused outside single-call create (upstream: 500)', async () => {
      const lb = await frozenLoadBalancer(frozen);
      const withPool = await post(frozen, {
        loadbalancer_id: lb.id,
        protocol: 'HTTP',
        protocol_port: 80,
        default_pool: { name: 'x', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' },
      });
      assert.equal(withPool.status, 400, withPool.text);
      const withPolicies = await post(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, l7policies: [{ action: 'REJECT' }] });
      assert.equal(withPolicies.status, 400, withPolicies.text);
      assert.equal((await frozen.store.loadBalancers.get(lb.id))!.provisioningStatus, 'ACTIVE');
    });

    test('update: 200 PENDING_UPDATE; nulls reset to defaults; LB and listener locked; validations on the delta', async () => {
      const lb = await frozenLoadBalancer(frozen);
      const l = await createdListener(frozen, {
        loadbalancer_id: lb.id,
        protocol: 'HTTP',
        protocol_port: 80,
        connection_limit: 10,
        timeout_client_data: 1,
        name: 'n',
        insert_headers: { 'X-Forwarded-For': 'true' },
      });
      await markAllActive(frozen, lb.id);
      const path = `${LISTENERS}/${l.id}`;
      await fault(await frozen.request('PUT', path, { body: {} }), 400, 'Validation failure: No listener object supplied.');
      await fault(await frozen.request('PUT', `${LISTENERS}/${MISSING}`, { body: {} }), 404, `Listener ${MISSING} not found.`);
      const res = await frozen.request('PUT', path, {
        body: { listener: { connection_limit: null, timeout_client_data: null, name: null, insert_headers: null, tls_ciphers: null, admin_state_up: false } },
      });
      assert.equal(res.status, 200, res.text);
      const u = res.body.listener;
      assert.equal(u.provisioning_status, 'PENDING_UPDATE');
      assert.equal(u.connection_limit, -1);
      assert.equal(u.timeout_client_data, 50000);
      assert.equal(u.name, '');
      assert.deepEqual(u.insert_headers, {});
      assert.equal(u.admin_state_up, false);
      // Upstream resets a null cipher string to the listener default, whatever the protocol.
      assert.equal(u.tls_ciphers, frozen.config.api_settings.default_listener_ciphers);
      assert.equal((await frozen.store.loadBalancers.get(lb.id))!.provisioningStatus, 'PENDING_UPDATE');
      await fault(
        await frozen.request('PUT', path, { body: { listener: { name: 'x' } } }),
        409,
        `Load Balancer ${lb.id} is immutable and cannot be updated.`,
      );
      await markAllActive(frozen, lb.id);
      await fault(
        await frozen.request('PUT', path, { body: { listener: { insert_headers: { 'X-SSL-Issuer': 'true' } } } }),
        400,
        "['X-SSL-Issuer'] is not a valid option for HTTP protocol listener.",
      );
      await fault(
        await frozen.request('PUT', path, { body: { listener: { default_tls_container_ref: 'srv' } } }),
        400,
        'Validation failure: Certificate container references are not allowed on HTTP protocol listeners.',
      );
      await fault(
        await frozen.request('PUT', path, { body: { listener: { hsts_include_subdomains: true } } }),
        400,
        'Validation failure: Cannot enable hsts_include_subdomains or hsts_preload if hsts_max_age was not set as well.',
      );
      await fault(
        await frozen.request('PUT', path, { body: { listener: { client_authentication: 'OPTIONAL' } } }),
        400,
        'Validation failure: Client authentication setting OPTIONAL requires a client CA container reference.',
      );
      await fault(
        await frozen.request('PUT', path, { body: { listener: { protocol_port: 81 } } }),
        400,
        'Unknown attribute for argument listener_.listener: protocol_port',
      );
      assert.equal((await frozen.store.loadBalancers.get(lb.id))!.provisioningStatus, 'ACTIVE', 'rejected updates leave the LB unlocked');

      const udp = await createdListener(frozen, { loadbalancer_id: lb.id, protocol: 'UDP', protocol_port: 53 });
      await markAllActive(frozen, lb.id);
      await fault(
        await frozen.request('PUT', `${LISTENERS}/${udp.id}`, { body: { listener: { insert_headers: { 'X-Forwarded-For': 'true' } } } }),
        400,
        'Validation failure: UDP protocol listener does not support TLS or header insertion.',
      );
    });

    test('update of a TLS listener: new certificates are resolved, a CRL needs the CA, versions are checked', async () => {
      const lb = await frozenLoadBalancer(frozen);
      const l = await createdListener(frozen, { loadbalancer_id: lb.id, protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: 'srv' });
      await markAllActive(frozen, lb.id);
      const path = `${LISTENERS}/${l.id}`;
      await fault(await frozen.request('PUT', path, { body: { listener: { sni_container_refs: ['zzz'] } } }), 400, "Could not retrieve certificate: ['zzz']");
      await fault(
        await frozen.request('PUT', path, { body: { listener: { client_crl_container_ref: 'crl' } } }),
        400,
        'Validation failure: A client authentication CA reference is required to specify a client authentication revocation list.',
      );
      await fault(await frozen.request('PUT', path, { body: { listener: { tls_versions: ['SSLv3'] } } }), 400, 'Validation failure: Requested TLS versions are less than the minimum: SSLv3 < TLSv1.2');
      const res = await frozen.request('PUT', path, {
        body: { listener: { client_ca_tls_container_ref: 'ca', client_crl_container_ref: 'crl', client_authentication: 'MANDATORY', tls_versions: null, hsts_max_age: 0 } },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.listener.client_authentication, 'MANDATORY');
      assert.deepEqual(res.body.listener.tls_versions, frozen.config.api_settings.default_listener_tls_versions);
      assert.equal(res.body.listener.hsts_max_age, 0);
    });

    test('delete: 204, listener PENDING_DELETE then gone, LB ACTIVE again; 404 afterwards', async () => {
      const lb = await createActiveLoadBalancer(api, 'proj-l');
      const l = await createdListener(api, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 });
      await api.waitForStatus(`${LISTENERS}/${l.id}`, 'listener');
      await api.waitForStatus(`${LBS}/${lb.id}`, 'loadbalancer');
      const del = await api.request('DELETE', `${LISTENERS}/${l.id}`);
      assert.equal(del.status, 204, del.text);
      assert.equal(del.text, '');
      await api.waitForStatus(`${LISTENERS}/${l.id}`, 'listener', 'DELETED');
      assert.equal(await api.store.listeners.get(l.id), null);
      assert.equal((await api.waitForStatus(`${LBS}/${lb.id}`, 'loadbalancer')).provisioning_status, 'ACTIVE');
      await fault(await api.request('DELETE', `${LISTENERS}/${l.id}`), 404, `Listener ${l.id} not found.`);
      await fault(await api.request('GET', `${LISTENERS}/${l.id}`), 404, `Listener ${l.id} not found.`);
    });

    test('delete of a listener whose load balancer is busy → 409', async () => {
      const lb = await frozenLoadBalancer(frozen);
      const l = await createdListener(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 });
      await fault(await frozen.request('DELETE', `${LISTENERS}/${l.id}`), 409, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
      await markAllActive(frozen, lb.id);
      assert.equal((await frozen.request('DELETE', `${LISTENERS}/${l.id}`)).status, 204);
      assert.equal((await frozen.store.listeners.get(l.id))!.provisioningStatus, 'PENDING_DELETE');
      assert.equal((await frozen.store.loadBalancers.get(lb.id))!.provisioningStatus, 'PENDING_UPDATE');
    });

    test('list: project scoping, filters by API and DB names, unknown filters 400, fields; stats', async () => {
      const lb = await frozenLoadBalancer(frozen, 'proj-list');
      const a = await createdListener(frozen, { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80, name: 'a' }, 'proj-list');
      await markAllActive(frozen, lb.id);
      const b = await createdListener(frozen, { loadbalancer_id: lb.id, protocol: 'TCP', protocol_port: 81, name: 'b', admin_state_up: false }, 'proj-list');
      // noauth callers are admins and see every project: filter on this test's project.
      const ids = async (query: string) => {
        const res = await frozen.request('GET', `${LISTENERS}?project_id=proj-list${query}`, { project: 'proj-list' });
        assert.equal(res.status, 200, res.text);
        return res.body.listeners.map((l: { id: string }) => l.id);
      };
      assert.deepEqual((await ids('')).sort(), [a.id, b.id].sort());
      assert.deepEqual(await ids('&protocol=TCP'), [b.id]);
      assert.deepEqual(await ids(`&loadbalancer_id=${lb.id}&admin_state_up=false`), [b.id]);
      assert.deepEqual(await ids(`&load_balancer_id=${lb.id}&enabled=true`), [a.id]);
      assert.deepEqual(await ids('&protocol_port=80'), [a.id]);
      assert.deepEqual(await ids('&sort=name:desc'), [b.id, a.id]);
      assert.deepEqual(await ids('&sort=name:asc&limit=1'), [a.id]);
      const none = await frozen.request('GET', `${LISTENERS}?project_id=someone-else`, { project: 'proj-list' });
      assert.deepEqual(none.body.listeners, []);
      await fault(await frozen.request('GET', `${LISTENERS}?bogus=1`, { project: 'proj-list' }), 400, 'One or more arguments are either duplicate or invalid');
      const fields = await frozen.request('GET', `${LISTENERS}/${a.id}?fields=id&fields=protocol`);
      assert.deepEqual(fields.body, { listener: { id: a.id, protocol: 'HTTP' } });
      const stats = await frozen.request('GET', `${LISTENERS}/${a.id}/stats`);
      assert.equal(stats.status, 200, stats.text);
      assert.deepEqual(stats.body, { stats: { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 } });
      await fault(await frozen.request('GET', `${LISTENERS}/${MISSING}/stats`), 404, `Listener ${MISSING} not found.`);
    });

    test('single-call create: listeners with a default pool, L7 policies (by pool name, positions) and rules all become ACTIVE', async () => {
      const res = await api.request('POST', LBS, {
        project: 'proj-graph',
        body: {
          loadbalancer: {
            vip_subnet_id: SUBNET,
            listeners: [
              {
                protocol: 'HTTP',
                protocol_port: 80,
                default_pool: { name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' },
                l7policies: [
                  { action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'api' }, rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api', key: 'dropped' }] },
                  { action: 'REDIRECT_TO_URL', redirect_url: 'https://example.com/', position: 1 },
                ],
              },
              { protocol: 'TCP', protocol_port: 443 },
            ],
            pools: [{ name: 'api', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }],
          },
        },
      });
      assert.equal(res.status, 201, res.text);
      const lb = res.body.loadbalancer;
      const [web, tcp] = lb.listeners;
      assert.equal(web.provisioning_status, 'PENDING_CREATE');
      assert.equal('loadbalancers' in web, false);
      assert.deepEqual(
        web.l7policies.map((p: { action: string; position: number; redirect_http_code: number | null }) => [p.action, p.position, p.redirect_http_code]),
        [
          ['REDIRECT_TO_URL', 1, 302],
          ['REDIRECT_TO_POOL', 2, null],
        ],
      );
      assert.equal(web.l7policies[1].rules[0].key, null);
      assert.equal(web.l7policies[1].redirect_pool_id, lb.pools.find((p: { name: string }) => p.name === 'api').id);
      assert.equal(web.default_pool_id, lb.pools.find((p: { name: string }) => p.name === 'web').id);
      await api.waitForStatus(`${LBS}/${lb.id}`, 'loadbalancer');
      for (const l of [web, tcp]) assert.equal((await api.request('GET', `${LISTENERS}/${l.id}`)).body.listener.provisioning_status, 'ACTIVE');
      const policies = (await api.store.l7policies.forListeners([web.id])).map((p) => [p.provisioningStatus, p.operatingStatus]);
      assert.deepEqual(policies, [
        ['ACTIVE', 'ONLINE'],
        ['ACTIVE', 'ONLINE'],
      ]);
      const peerPorts = (await api.store.listeners.forLoadBalancer(lb.id)).map((l) => l.peerPort).sort();
      assert.deepEqual(peerPorts, [1025, 1026]);
    });

    test('single-call create: listener validation applies and nothing is written on failure', async () => {
      const bad = async (listeners: unknown[], pools: unknown[] = []) =>
        api.request('POST', LBS, { project: 'proj-graph-bad', body: { loadbalancer: { vip_subnet_id: SUBNET, listeners, pools } } });
      await fault(
        await bad([
          { protocol: 'HTTP', protocol_port: 80 },
          { protocol: 'TCP', protocol_port: 80 },
        ]),
        409,
        'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80',
      );
      await fault(
        await bad([{ protocol: 'PROMETHEUS', protocol_port: 9100, l7policies: [{ action: 'REJECT' }] }]),
        400,
        'Protocol PROMETHEUS listeners cannot have child objects.',
      );
      await fault(
        await bad([{ protocol: 'HTTP', protocol_port: 80, l7policies: [{ action: 'REDIRECT_TO_POOL', redirect_pool: { name: 'udp' } }] }], [
          { name: 'udp', protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN' },
        ]),
        400,
        "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.",
      );
      await fault(
        await bad([{ protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: 'absent' }]),
        400,
        "Could not retrieve certificate: ['absent']",
      );
      const list = await api.request('GET', `${LBS}?project_id=proj-graph-bad`, { project: 'proj-graph-bad' });
      assert.deepEqual(list.body.loadbalancers, []);
    });
  });
}
