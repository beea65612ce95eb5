/**
 * The agent's amphora-wide endpoints against a real `octavius agent` in a network namespace
 * (testdata/lab.ts): mutual TLS, Werkzeug-style routing errors, plug/vip and plug/network on veths
 * moved into the namespace, interface lookup, keepalived, PUT /config, certificate rotation.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:tls';
import { rootSkipReason } from '../../test/support/host-network.js';
import { LocalCa } from '../drivers/certs/local-ca.js';
import { createLab, MEMBER_NET, VIP_NET, type Lab } from './testdata/lab.js';

const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');
const readIfThere = (f: string): string => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface IpAddr {
  ifname: string;
  addr_info: { local: string; prefixlen: number; tentative?: boolean }[];
}

describe('amphora agent: network, VRRP, configuration and TLS', { skip: rootSkipReason() }, () => {
  let lab: Lab;
  const vip = `${VIP_NET}.10`;
  const vipBody = () => ({
    subnet_cidr: `${VIP_NET}.0/24`,
    gateway: `${VIP_NET}.1`,
    mac_address: lab.vipMac,
    vrrp_ip: `${VIP_NET}.11`,
    mtu: 1400,
    host_routes: [{ nexthop: `${VIP_NET}.1`, destination: '198.18.210.0/24' }],
  });
  const addrs = (ifname: string) =>
    (JSON.parse(lab.exec(lab.ampNs, 'ip', ['-j', 'addr', 'show', 'dev', ifname])) as IpAddr[])[0]!.addr_info;
  /** The TLS certificate the agent presents to a new connection. */
  const presented = () =>
    new Promise<string>((resolve, reject) => {
      void (async () => {
        const client = await lab.ca.controllerCertificate();
        const s = connect({
          host: lab.mgmtIp,
          port: 9443,
          ca: await lab.ca.serverCaPem(),
          cert: client.certificatePem,
          key: client.privateKeyPem,
          servername: lab.amphoraId,
        });
        s.once('secureConnect', () => {
          resolve(s.getPeerCertificate().serialNumber);
          s.destroy();
        });
        s.once('error', reject);
      })();
    });

  before(async () => {
    lab = await createLab('net');
    await lab.startAgent();
  });

  after(async () => {
    if (lab) await lab.cleanup();
  });

  test('mutual TLS: a client without a certificate, or with one of another CA, is refused', async () => {
    await assert.rejects(lab.request('GET', '/', { clientCert: false }));
    const other = new LocalCa({ directory: join(lab.runtimeDir, 'other-ca'), passphrase: 'x', validityMs: 3_600_000, clock: { now: () => Date.now() } });
    const stranger = await other.controllerCertificate();
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = connect({ host: lab.mgmtIp, port: 9443, ca: readFileSync(join(lab.runtimeDir, 'client_ca.pem')), cert: stranger.certificatePem, key: stranger.privateKeyPem, servername: lab.amphoraId });
        s.once('secureConnect', () => s.end('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
        s.once('data', resolve);
        s.once('error', reject);
        s.once('close', () => reject(new Error('closed without an answer')));
      }),
    );
    const ok = await lab.request('GET', '/');
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '{"api_version":"1.0"}');
    assert.equal(ok.headers['content-type'], 'application/json');
    assert.equal(ok.headers['connection'], 'close');
  });

  test('info and details as upstream (Zed keys) plus max_open_files', async () => {
    const info = JSON.parse((await lab.request('GET', '/1.0/info')).text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(info), ['hostname', 'haproxy_version', 'api_version', 'keepalived_version', 'ipvsadm_version']);
    assert.match(info['haproxy_version'] as string, /^2\.\d+\.\d+/);
    const details = JSON.parse((await lab.request('GET', '/1.0/details')).text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(details), [
      'hostname', 'haproxy_version', 'api_version', 'networks', 'active', 'haproxy_count', 'cpu', 'memory', 'disk', 'load',
      'topology', 'topology_status', 'listeners', 'packages', 'lvs_listener_process_count', 'keepalived_version', 'ipvsadm_version',
      'max_open_files',
    ]);
    assert.deepEqual(Object.keys(details['networks'] as object).sort(), ['eth1', 'eth2'], 'data interfaces only, not mgmt0 or lo');
    const limits = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
    assert.equal(details['max_open_files'], Number(limits.trim().split(/\s+/)[4]));
    assert.equal(typeof (details['cpu'] as { user: unknown }).user, 'string');
  });

  test('routing errors are Werkzeug JSON errors', async () => {
    const notFound = await lab.request('GET', '/1.0/nothing');
    assert.equal(notFound.status, 404);
    assert.deepEqual(JSON.parse(notFound.text), {
      error: '404 Not Found: The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.',
      http_code: 404,
    });
    const method = await lab.request('DELETE', '/1.0/info');
    assert.equal(method.status, 405);
    assert.equal(JSON.parse(method.text).error, '405 Method Not Allowed: The method is not allowed for the requested URL.');
    assert.match(String(method.headers['allow']), /GET/);
    // PUT on the config download URL is the action route with action "haproxy", as in Flask.
    const put = await lab.request('PUT', '/1.0/loadbalancer/abc/haproxy');
    assert.deepEqual(JSON.parse(put.text), { message: 'Invalid Request', details: 'Unknown action: haproxy' });
  });

  test('plug/vip: validation, unknown MAC, the VIP with policy routing, then 409', async () => {
    const garbage = await lab.request('POST', `/1.0/plug/vip/${vip}`, { body: 'not json' });
    assert.equal(garbage.status, 400);
    assert.deepEqual(JSON.parse(garbage.text), { error: '400 Bad Request: Invalid subnet information', http_code: 400 });
    const { gateway: _omitted, ...noGateway } = vipBody();
    assert.equal((await lab.request('POST', `/1.0/plug/vip/${vip}`, { json: noGateway })).status, 400);
    const badVip = await lab.request('POST', '/1.0/plug/vip/not-an-ip', { json: vipBody() });
    assert.deepEqual(JSON.parse(badVip.text), { message: "Invalid VIP: 'not-an-ip' does not appear to be an IPv4 or IPv6 address" });
    const hostBits = await lab.request('POST', `/1.0/plug/vip/${vip}`, { json: { ...vipBody(), subnet_cidr: `${VIP_NET}.5/24` } });
    assert.deepEqual(JSON.parse(hostBits.text), { message: `Invalid VIP: ${VIP_NET}.5/24 has host bits set` });
    const noMac = await lab.request('POST', `/1.0/plug/vip/${vip}`, { json: { ...vipBody(), mac_address: '02:00:00:00:00:99' } });
    assert.equal(noMac.status, 404);
    assert.equal(noMac.text, '{"details":"No suitable network interface found"}');

    const r = await lab.request('POST', `/1.0/plug/vip/${vip}`, { json: vipBody() });
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(JSON.parse(r.text), { message: 'OK', details: `VIPs plugged on interface eth1: ${vip}` });
    const eth1 = addrs('eth1').map((a) => `${a.local}/${a.prefixlen}`);
    assert.ok(eth1.includes(`${VIP_NET}.11/24`) && eth1.includes(`${vip}/32`), eth1.join(' '));
    const link = JSON.parse(lab.exec(lab.ampNs, 'ip', ['-j', 'link', 'show', 'dev', 'eth1'])) as { mtu: number; operstate: string }[];
    assert.equal(link[0]!.mtu, 1400);
    const table1 = lab.exec(lab.ampNs, 'ip', ['route', 'show', 'table', '1']);
    assert.match(table1, new RegExp(`default via ${VIP_NET}\\.1 dev eth1 onlink`));
    assert.match(table1, new RegExp(`${VIP_NET}\\.0/24 dev eth1 scope link src ${vip}`));
    assert.match(table1, /198\.18\.210\.0\/24 via .* dev eth1 onlink/);
    assert.match(lab.exec(lab.ampNs, 'ip', ['rule', 'show']), new RegExp(`100:\\s+from ${vip} lookup 1`));
    assert.match(lab.exec(lab.ampNs, 'ip', ['route', 'show']), new RegExp(`default via ${VIP_NET}\\.1 dev eth1 onlink`));
    // Replies from the VIP find their way back: a closed port answers at once (refused, not a timeout).
    const probe = lab.exec(lab.netNs, process.execPath, [
      '-e',
      `require('net').connect(9, '${vip}').on('error', (e) => { console.log(e.code); process.exit(0); }).setTimeout(2000, () => { console.log('TIMEOUT'); process.exit(0); })`,
    ]);
    assert.equal(probe.trim(), 'ECONNREFUSED');

    const again = await lab.request('POST', `/1.0/plug/vip/${vip}`, { json: vipBody() });
    assert.equal(again.status, 409);
    assert.equal(again.text, '{"message":"Interface already exists"}');
  });

  test('interface lookup', async () => {
    assert.deepEqual(JSON.parse((await lab.request('GET', `/1.0/interface/${VIP_NET}.11`)).text), { message: 'OK', interface: 'eth1' });
    const unknown = await lab.request('GET', '/1.0/interface/198.18.99.99');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, '{"message":"Error interface not found for IP address"}');
    const invalid = await lab.request('GET', '/1.0/interface/nonsense');
    assert.equal(invalid.status, 400);
    assert.equal(invalid.text, '{"message":"Invalid IP address"}');
  });

  test('plug/network: validation, plugged with IPv4 and IPv6 (no DAD wait), then updated', async () => {
    const noMac = await lab.request('POST', '/1.0/plug/network', { json: { fixed_ips: [] } });
    assert.deepEqual(JSON.parse(noMac.text), { error: '400 Bad Request: Invalid port information', http_code: 400 });
    const badIp = await lab.request('POST', '/1.0/plug/network', {
      json: { mac_address: lab.memberMac, fixed_ips: [{ ip_address: '300.1.1.1', subnet_cidr: `${MEMBER_NET}.0/24`, host_routes: [], gateway: null }] },
    });
    assert.equal(badIp.status, 400);
    assert.equal(badIp.text, '{"message":"Invalid network port"}');

    const port = (v4: string) => ({
      mac_address: lab.memberMac,
      fixed_ips: [
        { ip_address: v4, subnet_cidr: `${MEMBER_NET}.0/24`, host_routes: [], gateway: `${MEMBER_NET}.1` },
        { ip_address: 'fd00:c0de::5', subnet_cidr: 'fd00:c0de::/64', host_routes: [], gateway: null },
      ],
      mtu: 1450,
      is_sriov: false,
    });
    const r = await lab.request('POST', '/1.0/plug/network', { json: port(`${MEMBER_NET}.5`) });
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(JSON.parse(r.text), { message: 'OK', details: 'Plugged on interface eth2' });
    let eth2 = addrs('eth2');
    assert.ok(eth2.some((a) => a.local === `${MEMBER_NET}.5` && a.prefixlen === 24));
    const v6 = eth2.find((a) => a.local === 'fd00:c0de::5');
    assert.ok(v6 && v6.prefixlen === 64 && !v6.tentative, JSON.stringify(eth2));
    // Member networks get no default route of their own (upstream: only the VIP subnet does).
    assert.doesNotMatch(lab.exec(lab.ampNs, 'ip', ['route', 'show']), /default via 198\.18\.202\.1/);

    const updated = await lab.request('POST', '/1.0/plug/network', { json: port(`${MEMBER_NET}.6`) });
    assert.deepEqual(JSON.parse(updated.text), { message: 'OK', details: 'Updated existing interface eth2' });
    eth2 = addrs('eth2');
    assert.ok(eth2.some((a) => a.local === `${MEMBER_NET}.6`));
    assert.ok(!eth2.some((a) => a.local === `${MEMBER_NET}.5`), 'the address the port lost is removed');
  });

  test('vrrp: upload, start (the VIP appears), start again is a reload, stop (the VIP goes)', async () => {
    const vrrpVip = `${VIP_NET}.20`;
    const conf = `global_defs {
  router_id amp
  vrrp_version 3
}
vrrp_track_file haproxy_down {
  file ${lab.basePath}/vrrp/haproxy_down
  weight 0
}
vrrp_instance VI_1 {
  state MASTER
  interface eth1
  virtual_router_id 51
  priority 100
  advert_int 0.05
  unicast_src_ip ${VIP_NET}.11
  unicast_peer {
    ${VIP_NET}.12
  }
  virtual_ipaddress {
    ${vrrpVip}/32 dev eth1
  }
  track_file {
    haproxy_down
  }
}
`;
    const up = await lab.request('PUT', '/1.0/vrrp/upload', { body: conf });
    assert.equal(up.status, 200);
    assert.equal(up.text, '{"message":"OK"}');
    assert.equal(up.headers['etag'], md5(conf));
    assert.equal(readFileSync(join(lab.basePath, 'vrrp', 'octavia-keepalived.conf'), 'utf8'), conf);
    assert.equal(readFileSync(join(lab.basePath, 'vrrp', 'haproxy_down'), 'utf8'), '0\n');
    assert.equal(readFileSync(join(lab.basePath, 'vrrp', 'check_scripts', 'haproxy_check_script.sh'), 'utf8'), 'exit 1\n', 'no haproxy yet');

    const bad = await lab.request('PUT', '/1.0/vrrp/restart');
    assert.deepEqual(JSON.parse(bad.text), { message: 'Invalid Request', details: 'Unknown action: restart' });
    const start = await lab.request('PUT', '/1.0/vrrp/start');
    assert.equal(start.status, 202, start.text);
    assert.deepEqual(JSON.parse(start.text), { message: 'OK', details: 'keepalived started' });
    const pid = Number(readFileSync(join(lab.basePath, 'vrrp', 'octavia-keepalived.pid'), 'utf8'));
    assert.ok(lab.exec(lab.ampNs, 'ip', ['netns', 'identify', String(pid)]).trim() === lab.ampNs, 'keepalived runs in the amphora namespace');
    let found = '';
    for (let i = 0; i < 100 && found !== 'eth1'; i++) {
      await sleep(50);
      const r = await lab.request('GET', `/1.0/interface/${vrrpVip}`);
      found = r.status === 200 ? (JSON.parse(r.text) as { interface: string }).interface : '';
    }
    assert.equal(found, 'eth1', 'keepalived became MASTER and added the VIP');

    const again = await lab.request('PUT', '/1.0/vrrp/start');
    assert.deepEqual(JSON.parse(again.text), { message: 'OK', details: 'keepalived reloaded' });
    assert.equal(Number(readFileSync(join(lab.basePath, 'vrrp', 'octavia-keepalived.pid'), 'utf8')), pid);

    // A keepalived that dies is restarted by the agent (and takes the VIP again).
    process.kill(pid, 'SIGKILL');
    let restarted = 0;
    for (let i = 0; i < 100 && (restarted === 0 || restarted === pid); i++) {
      await sleep(50);
      restarted = Number(readIfThere(join(lab.basePath, 'vrrp', 'octavia-keepalived.pid')));
    }
    assert.ok(restarted !== 0 && restarted !== pid, readIfThere(join(lab.basePath, 'vrrp', 'octavia-keepalived.log')));
    found = '';
    for (let i = 0; i < 100 && found !== 'eth1'; i++) {
      await sleep(50);
      const r = await lab.request('GET', `/1.0/interface/${vrrpVip}`);
      found = r.status === 200 ? (JSON.parse(r.text) as { interface: string }).interface : '';
    }
    assert.equal(found, 'eth1');

    const stop = await lab.request('PUT', '/1.0/vrrp/stop');
    assert.deepEqual(JSON.parse(stop.text), { message: 'OK', details: 'keepalived stoped' });
    assert.equal((await lab.request('GET', `/1.0/interface/${vrrpVip}`)).status, 404, 'keepalived removed the VIP');
  });

  test('PUT /config replaces the controller file; mutable options apply, a broken file is refused', async () => {
    const original = readFileSync(lab.bootConfig, 'utf8');
    assert.match(original, /loadbalancer_topology = SINGLE/);
    const next = original.replace(/heartbeat_interval = \d+/, 'heartbeat_interval = 7').replace('loadbalancer_topology = SINGLE', 'loadbalancer_topology = ACTIVE_STANDBY');
    const r = await lab.request('PUT', '/1.0/config', { body: next });
    assert.equal(r.status, 202);
    assert.equal(r.text, '{"message":"OK"}');
    assert.equal(readFileSync(lab.bootConfig, 'utf8'), next);
    const broken = await lab.request('PUT', '/1.0/config', { body: `${next}\n[haproxy_amphora]\nbind_port = many\n` });
    assert.equal(broken.status, 500);
    const body = JSON.parse(broken.text) as { message: string; details: string };
    assert.equal(body.message, 'Unable to update amphora-agent configuration.');
    assert.match(body.details, /bind_port/);
    assert.equal(readFileSync(lab.bootConfig, 'utf8'), next, 'the file is not replaced');
    assert.equal((await lab.request('GET', '/')).status, 200);

    // The topology is mutable: in ACTIVE_STANDBY plug/vip leaves the VIP and its table-1 routing to
    // keepalived and configures only the VRRP address (and the main table).
    const mac = '02:0d:00:00:00:03';
    lab.exec(lab.netNs, 'ip', ['link', 'add', 'c3', 'type', 'veth', 'peer', 'name', 'eth3', 'address', mac, 'netns', lab.ampNs]);
    const plugged = await lab.request('POST', '/1.0/plug/vip/198.18.203.10', {
      json: { subnet_cidr: '198.18.203.0/24', gateway: '198.18.203.1', mac_address: mac, vrrp_ip: '198.18.203.11', host_routes: [] },
    });
    assert.equal(plugged.status, 202, plugged.text);
    const eth3 = addrs('eth3').map((a) => `${a.local}/${a.prefixlen}`);
    assert.deepEqual(eth3.filter((a) => a.startsWith('198.')), ['198.18.203.11/24']);
    assert.doesNotMatch(lab.exec(lab.ampNs, 'ip', ['route', 'show', 'table', '1']), /198\.18\.203/);
    assert.doesNotMatch(lab.exec(lab.ampNs, 'ip', ['rule', 'show']), /198\.18\.203\.10/);
  });

  test('PUT /certificate swaps the server certificate without restarting the agent', async () => {
    const before = await presented();
    const fresh = await lab.ca.issueAmphoraCertificate(lab.amphoraId);
    const bad = await lab.request('PUT', '/1.0/certificate', { body: fresh.certificatePem });
    assert.equal(bad.status, 400, 'a certificate without its key is refused');
    assert.equal(await presented(), before);
    const pid = lab.agentPid;
    const r = await lab.request('PUT', '/1.0/certificate', { body: `${fresh.certificatePem}${fresh.privateKeyPem}` });
    assert.equal(r.status, 202);
    assert.equal(r.text, '{"message":"OK"}');
    const after = await presented();
    assert.notEqual(after, before);
    assert.equal(after, new X509Certificate(fresh.certificatePem).serialNumber);
    assert.equal(readFileSync(join(lab.runtimeDir, 'server.pem'), 'utf8'), `${fresh.certificatePem}${fresh.privateKeyPem}`);
    assert.equal(lab.agentPid, pid);
    process.kill(pid!, 0);
  });
});
