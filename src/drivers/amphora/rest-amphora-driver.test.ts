/**
 * The REST amphora driver against a real `octavius agent` in a network namespace (the agent's test
 * bench, src/agent/testdata/lab.ts): connectivity and identity checks, VIP and member network
 * plugging, listeners rendered by render/haproxy with traffic through them, member changes without
 * a reload, TLS termination with files from the certificate manager, delete, agent configuration
 * and certificate rotation, VRRP.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rootSkipReason } from '../../../test/support/host-network.js';
import { showProc } from '../../agent/master-cli.js';
import { createLab, MEMBER_NET, startLoad, startMember, VIP_NET, type Lab } from '../../agent/testdata/lab.js';
import type { Amphora } from '../../domain/amphora.js';
import { DomainError } from '../../domain/errors.js';
import type { LoadBalancerGraph } from '../../domain/graph.js';
import { silentLogger } from '../../lib/logger.js';
import { certificateFileName } from '../../render/haproxy/index.js';
import * as fx from '../../render/haproxy/testdata/fixture.js';
import type { CertManager, TlsContainer } from '../certs/cert-manager.js';
import { LocalCa } from '../certs/local-ca.js';
import { RestAmphoraDriver, type RestAmphoraDriverOptions } from './rest-amphora-driver.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Certificate containers held in memory, as a certificate manager would return them. */
class MemoryCertManager implements CertManager {
  readonly containers = new Map<string, TlsContainer>();
  readonly fetched: string[] = [];
  async getCertificate(_project: string | null, ref: string): Promise<TlsContainer> {
    this.fetched.push(ref);
    const c = this.containers.get(ref);
    if (!c) throw new DomainError('certificate_retrieval', `no container ${ref}`);
    return c;
  }
  async getSecret(_project: string | null, ref: string): Promise<string> {
    return (await this.getCertificate(null, ref)).certificate;
  }
}

describe('REST amphora driver with a real agent', { skip: rootSkipReason() }, () => {
  let lab: Lab;
  let amp: Amphora;
  let driver: RestAmphoraDriver;
  let options: RestAmphoraDriverOptions;
  const certManager = new MemoryCertManager();
  const vip = `${VIP_NET}.10`;
  const lbId = randomUUID();
  const [httpListener, tlsListener, pool1, pool2, hm] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const tlsRef = `memory://${randomUUID()}`;
  const member = (n: number, poolId = pool1) => fx.member({ id: `member-${n}`, poolId, address: `${VIP_NET}.1`, protocolPort: 8080 + n });
  let agentConfigText = '';

  const graph = (o: { members: number[]; tls?: boolean; listeners?: boolean }): LoadBalancerGraph => {
    const lb = fx.loadBalancer({ id: lbId, vip: { address: vip } });
    const listeners = o.listeners === false ? [] : [
      fx.listener({ id: httpListener, loadBalancerId: lbId, protocolPort: 80, defaultPoolId: pool1 }),
      ...(o.tls ? [fx.listener({ id: tlsListener, loadBalancerId: lbId, protocol: 'TERMINATED_HTTPS', protocolPort: 443, defaultPoolId: pool2, defaultTlsContainerRef: tlsRef })] : []),
    ];
    return {
      loadBalancer: lb,
      listeners,
      pools: [fx.pool({ id: pool1, loadBalancerId: lbId }), ...(o.tls ? [fx.pool({ id: pool2, loadBalancerId: lbId })] : [])],
      members: [...o.members.map((n) => member(n)), ...(o.tls ? [member(1, pool2)] : [])],
      healthMonitors: [fx.healthMonitor({ id: hm, poolId: pool1, delay: 1, timeout: 1, maxRetries: 1, maxRetriesDown: 2 })],
      l7policies: [],
      l7rules: [],
      amphorae: [amp],
    };
  };
  const masterSocket = () => join(lab.basePath, lbId, 'master.sock');
  const worker = async () => (await showProc(masterSocket()))!.workers[0]!;
  async function traffic(url = `http://${vip}/`): Promise<Record<string, number>> {
    const load = startLoad(lab, url, 2);
    await sleep(700);
    const r = await load.stop();
    assert.equal(r.failed, 0, JSON.stringify(r.errors));
    return r.byName;
  }

  before(async () => {
    lab = await createLab('drv');
    await lab.startAgent();
    amp = fx.amphora({ id: lab.amphoraId, loadBalancerId: lbId, lbNetworkIp: lab.mgmtIp, vrrpIp: `${VIP_NET}.11`, haIp: vip });
    options = {
      certs: lab.ca,
      certManager,
      agent: { port: 9443, connectTimeoutMs: 2000, readTimeoutMs: 60_000, maxRetries: 3, retryIntervalMs: 200, lbNetworkInterface: 'o-hm0' },
      render: { ...fx.DEFAULT_SETTINGS, basePath: lab.basePath, baseCertDir: lab.certDir, connectionLogging: false },
      keepalived: { advertInt: 1, garpRefreshInterval: 5, garpRefreshCount: 2 },
      agentConfigFor: () => agentConfigText,
      log: silentLogger(),
    };
    driver = new RestAmphoraDriver(options);
    for (const n of [1, 2, 3]) await startMember(lab, 8080 + n, `m${n}`);
    // The listener's certificate, from a "tenant" CA the client trusts.
    const tenantCa = new LocalCa({ directory: join(lab.runtimeDir, 'tenant-ca'), passphrase: 'p', validityMs: 3_600_000, clock: { now: () => Date.now() } });
    const site = await tenantCa.issueAmphoraCertificate('www.example.test');
    certManager.containers.set(tlsRef, { certificate: site.certificatePem, privateKey: site.privateKeyPem, intermediates: [], primaryCn: 'www.example.test' });
    writeFileSync(join(lab.runtimeDir, 'tenant-ca.pem'), await tenantCa.serverCaPem());
  });

  after(async () => {
    if (lab) await lab.cleanup();
  });

  test('waitForConnectivity: answers; a certificate naming another amphora is refused at once; silence times out', async () => {
    await driver.waitForConnectivity(amp, 5000);
    const t0 = Date.now();
    const impostor = await driver.waitForConnectivity({ ...amp, id: randomUUID() }, 10_000).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(impostor instanceof DomainError && impostor.code === 'driver_error' && !impostor.retryable, String(impostor));
    assert.ok(Date.now() - t0 < 5000, 'not retried');
    const closed = new RestAmphoraDriver({ ...options, agent: { ...options.agent, port: 9 } });
    const err = await closed.waitForConnectivity(amp, 300).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof DomainError && err.code === 'driver_error' && err.retryable, String(err));
  });

  test('postVipPlug and postNetworkPlug configure the interfaces found by MAC; repeating them is fine', async () => {
    const plug = {
      vrrpIp: `${VIP_NET}.11`,
      vrrpPortId: 'vrrp-port',
      haIp: vip,
      haPortId: 'vip-port',
      macAddress: lab.vipMac,
      mtu: 1500,
      subnet: { subnetId: 's1', cidr: `${VIP_NET}.0/24`, gateway: `${VIP_NET}.1`, hostRoutes: [] },
      additionalVips: [],
    };
    const lb = graph({ members: [] }).loadBalancer;
    await driver.postVipPlug(amp, lb, plug);
    await driver.postVipPlug(amp, lb, plug);
    assert.equal(await driver.getInterfaceFromIp(amp, vip), 'eth1');
    const port = {
      portId: 'p2',
      macAddress: lab.memberMac,
      mtu: 1500,
      fixedIps: [{ subnetId: 's2', cidr: `${MEMBER_NET}.0/24`, gateway: `${MEMBER_NET}.1`, hostRoutes: [], ipAddress: `${MEMBER_NET}.7` }],
    };
    await driver.postNetworkPlug(amp, port);
    await driver.postNetworkPlug(amp, port);
    assert.equal(await driver.getInterfaceFromIp(amp, `${MEMBER_NET}.7`), 'eth2');
    assert.equal(await driver.getInterfaceFromIp(amp, '198.18.99.1'), null);
  });

  test('updateListeners renders, uploads and starts haproxy; traffic reaches the members', async () => {
    await driver.updateListeners(graph({ members: [1, 2] }), amp);
    const byName = await traffic();
    assert.deepEqual(Object.keys(byName).sort(), ['m1', 'm2'], JSON.stringify(byName));
    assert.equal((await driver.getInfo(amp)).api_version, '1.0');
  });

  test('member add and delete go through the runtime API: the worker stays', async () => {
    const pid = await worker();
    await driver.updateListeners(graph({ members: [1, 2, 3] }), amp);
    assert.equal(await worker(), pid);
    let byName = await traffic();
    assert.deepEqual(Object.keys(byName).sort(), ['m1', 'm2', 'm3'], JSON.stringify(byName));
    await driver.updateListeners(graph({ members: [2, 3] }), amp);
    assert.equal(await worker(), pid);
    byName = await traffic();
    assert.deepEqual(Object.keys(byName).sort(), ['m2', 'm3'], JSON.stringify(byName));
  });

  test('a TLS-terminating listener: certificate files uploaded once, HTTPS served with them', async () => {
    await driver.updateListeners(graph({ members: [2, 3], tls: true }), amp);
    const crtList = join(lab.certDir, lbId, `${tlsListener}.pem`);
    const certFile = join(lab.certDir, lbId, certificateFileName(tlsRef));
    const inodes = [statSync(crtList).ino, statSync(certFile).ino];
    const https = lab.exec(lab.netNs, process.execPath, [
      '-e',
      `require('https').get({ host: '${vip}', port: 443, servername: 'www.example.test', ca: require('fs').readFileSync('${join(lab.runtimeDir, 'tenant-ca.pem')}') }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => console.log(r.statusCode, b)); }).on('error', (e) => console.log('ERR', e.message))`,
    ]);
    assert.equal(https.trim(), '200 m1');
    // Same graph again: the amphora has the files (same md5), nothing is uploaded or reloaded.
    const pid = await worker();
    await driver.updateListeners(graph({ members: [2, 3], tls: true }), amp);
    assert.deepEqual([statSync(crtList).ino, statSync(certFile).ino], inodes);
    assert.equal(await worker(), pid);
  });

  test('deleteListeners removes haproxy and its files; a graph without listeners changes nothing', async () => {
    await driver.deleteListeners(graph({ members: [] }).loadBalancer, amp);
    await driver.deleteListeners(graph({ members: [] }).loadBalancer, amp);
    assert.deepEqual(JSON.parse((await lab.request('GET', '/1.0/listeners')).text), []);
    await driver.updateListeners(graph({ members: [1], listeners: false }), amp);
    assert.equal((await lab.request('GET', `/1.0/loadbalancer/${lbId}/haproxy`)).status, 404);
  });

  test('VRRP through the driver: upload, start, stop', async () => {
    await driver.uploadVrrpConfig(amp, `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth1\n  virtual_router_id 52\n  priority 90\n  advert_int 1\n  virtual_ipaddress {\n    ${VIP_NET}.30/32 dev eth1\n  }\n}\n`);
    await driver.vrrpAction(amp, 'start');
    await driver.vrrpAction(amp, 'stop');
    await assert.rejects(driver.vrrpAction(amp, 'restart' as never), (e: unknown) => e instanceof DomainError && !e.retryable);
  });

  test('updateVrrpConfig renders keepalived for the amphora from the pair and uploads it; a lone amphora keeps its file', async () => {
    const me: Amphora = { ...amp, role: 'MASTER', vrrpId: 1, vrrpPriority: 100, vrrpInterface: await driver.getVrrpInterface(amp) };
    assert.equal(me.vrrpInterface, 'eth1', 'the interface holding the vrrp_ip (plugged above)');
    await assert.rejects(driver.getVrrpInterface({ ...amp, vrrpIp: '198.18.99.1' }), (e: unknown) => e instanceof DomainError && e.code === 'driver_error');
    const peer = fx.amphora({ id: randomUUID(), loadBalancerId: lbId, role: 'BACKUP', vrrpIp: `${VIP_NET}.12`, vrrpId: 1, vrrpPriority: 90 });
    const base = graph({ members: [] });
    const pairGraph: LoadBalancerGraph = { ...base, loadBalancer: { ...base.loadBalancer, topology: 'ACTIVE_STANDBY' }, amphorae: [me, peer] };
    const subnet = { id: base.loadBalancer.vip.subnetId!, name: '', networkId: 'n1', projectId: null, cidr: `${VIP_NET}.0/24`, ipVersion: 4 as const, gatewayIp: `${VIP_NET}.1`, hostRoutes: [], allocationPools: [], enableDhcp: false };
    await driver.updateVrrpConfig(pairGraph, me, [subnet]);
    const file = join(lab.basePath, 'vrrp', 'octavia-keepalived.conf');
    const text = readFileSync(file, 'utf8');
    assert.match(text, new RegExp(`unicast_src_ip ${VIP_NET}\\.11\\n`));
    assert.match(text, new RegExp(`unicast_peer \\{\\n\\s+${VIP_NET}\\.12\\n`));
    assert.match(text, new RegExp(`file ${join(lab.basePath, 'vrrp', 'haproxy_down')}\\n`), "the agent's track file");
    assert.match(text, /priority 100\n/);
    // The peer is being replaced: no file can be rendered, the amphora keeps the one it has.
    await driver.updateVrrpConfig({ ...pairGraph, amphorae: [me, { ...peer, status: 'PENDING_DELETE' }] }, me, [subnet]);
    assert.equal(readFileSync(file, 'utf8'), text);
  });

  test('updateAgentConfig pushes the rendered configuration; updateServerCertificate rotates the certificate', async () => {
    agentConfigText = `${readFileSync(lab.bootConfig, 'utf8')}\n# rotated by the test\n`;
    await driver.updateAgentConfig(amp);
    assert.equal(readFileSync(lab.bootConfig, 'utf8'), agentConfigText);
    const fresh = await lab.ca.issueAmphoraCertificate(amp.id);
    await driver.updateServerCertificate(amp, `${fresh.certificatePem}${fresh.privateKeyPem}`);
    // The next connection checks the new certificate's identity like the first.
    await driver.waitForConnectivity(amp, 2000);
    const other = await lab.ca.issueAmphoraCertificate(randomUUID());
    await driver.updateServerCertificate(amp, `${other.certificatePem}${other.privateKeyPem}`);
    await assert.rejects(driver.waitForConnectivity(amp, 2000), (e: unknown) => e instanceof DomainError && !e.retryable);
  });
});
