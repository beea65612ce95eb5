/**
 * The local network driver on this host: networks from an INI text, bridges and veths named with a
 * per-run prefix, addresses in 198.18.128.0/17 and a random fd00::/64, IPAM in a SQLite database.
 * Everything with the prefix is removed in `after`, whatever happened.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cleanupPrefix, freeSubnet64, freeSubnets24, leftovers, rootSkipReason, testPrefix } from '../../../test/support/host-network.js';
import { loadConfig } from '../../config/load.js';
import type { LocalNetworks } from '../../config/local-networks.js';
import { connectDatabase, type Db } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { KyselyPortStore } from '../../db/repositories/network-ports.js';
import { isDomainError } from '../../domain/errors.js';
import { newId } from '../../lib/ids.js';
import { hostVethName } from '../linux/names.js';
import { LocalNetworkDriver } from './local-network-driver.js';
import { amphoraWith, loadBalancerOn, networkDriverConformance } from './network-driver.conformance.js';

const skip = rootSkipReason();
const prefix = testPrefix();
const [A, B, C] = skip ? ['198.18.250', '198.18.251', '198.18.252'] : freeSubnets24(3);
const V6 = skip ? 'fd00:0:0:1' : freeSubnet64();

const INI = `
[network:${prefix}n1]
bridge = ${prefix}b1
subnets = ${prefix}vip4, ${prefix}vip6

[subnet:${prefix}vip4]
cidr = ${A}.0/24
allocation_pools = ${A}.10-${A}.200
host_routes = ${B}.0/24 via ${A}.254

[subnet:${prefix}vip6]
cidr = ${V6}::/64

[network:${prefix}n2]
bridge = ${prefix}b2
mtu = 1400

[subnet:${prefix}member4]
network = ${prefix}n2
cidr = ${B}.0/24

[network:${prefix}n3]
bridge = ${prefix}b3

[subnet:${prefix}tiny]
network = ${prefix}n3
cidr = ${C}.0/29
`;

const networks: LocalNetworks = loadConfig({ files: ['t'], readFile: () => INI }).config.local_networks;
const idOf = (name: string): string => [...networks.subnets, ...networks.networks].find((x) => x.name === `${prefix}${name}`)!.id;
let stateDir = '';
let dbUrl = '';

const ns = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const linkJson = (name: string, netns?: string) =>
  JSON.parse(ns(...(netns ? ['-n', netns] : []), '-j', 'address', 'show', 'dev', name))[0] as {
    ifname: string;
    address: string;
    mtu: number;
    master?: string;
    flags: string[];
    addr_info: { local: string; prefixlen: number }[];
  };

let namespaces = 0;
function makeAmphora() {
  const id = newId();
  const name = `${prefix}amp-${id.slice(0, 8)}`;
  ns('netns', 'add', name);
  namespaces++;
  return amphoraWith(name, id);
}

const code = (c: string, message?: RegExp) => (err: unknown) => {
  assert.ok(isDomainError(err), String(err));
  assert.equal(err.code, c, err.message);
  if (message) assert.match(err.message, message);
  return true;
};

describe('local network driver', { skip }, () => {
  let db: Db;
  let driver: LocalNetworkDriver;
  let store: KyselyPortStore;
  before(async () => {
    stateDir = mkdtempSync('/tmp/octavius-localnet-');
    dbUrl = `sqlite:///${join(stateDir, 'ports.sqlite')}`;
    db = connectDatabase(dbUrl);
    await migrateToLatest(db.kysely as never);
    store = new KyselyPortStore(db.kysely);
    driver = new LocalNetworkDriver({ networks, interfacePrefix: prefix, ports: store });
    await driver.ensureBridges();
  });
  after(async () => {
    await db?.close();
    cleanupPrefix(prefix);
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  networkDriverConformance({
    name: 'local',
    create: async () => ({ driver, vipSubnetId: idOf('vip4'), memberSubnetId: idOf('member4'), amphora: async () => makeAmphora() }),
  });

  test('each network is an up bridge holding its subnets\' gateway addresses; ensureBridges may be repeated', async () => {
    await driver.ensureBridges();
    const b1 = linkJson(`${prefix}b1`);
    assert.ok(b1.flags.includes('UP'), `bridge flags ${b1.flags}`);
    assert.deepEqual(b1.addr_info.map((a) => `${a.local}/${a.prefixlen}`).filter((a) => !a.startsWith('fe80')).sort(), [`${A}.1/24`, `${V6}::1/64`].sort());
    assert.equal(linkJson(`${prefix}b2`).mtu, 1400);
    assert.deepEqual(linkJson(`${prefix}b3`).addr_info.map((a) => `${a.local}/${a.prefixlen}`).filter((a) => !a.includes(':')), [`${C}.1/29`]);
  });

  test('plugVip and plugNetwork make veths into the amphora namespace; the host reaches a VIP served inside it; unplug removes them', async () => {
    const amp = makeAmphora();
    const netns = amp.computeId!;
    const lb0 = loadBalancerOn(idOf('vip4'));
    const lb = { ...lb0, vip: (await driver.allocateVip(lb0)).vip };
    const plug = await driver.plugVip(lb, amp);
    const host = hostVethName(prefix, 'v', plug.vrrpPortId);
    assert.equal(linkJson(host).master, `${prefix}b1`);
    const eth1 = linkJson('eth1', netns);
    assert.equal(eth1.address, plug.macAddress);
    assert.notEqual(plug.vrrpIp, plug.haIp);

    // What the agent's plug/vip does, then a server on the VIP inside the namespace.
    ns('-n', netns, 'address', 'add', `${plug.vrrpIp}/24`, 'dev', 'eth1');
    ns('-n', netns, 'address', 'add', `${plug.haIp}/24`, 'dev', 'eth1');
    ns('-n', netns, 'link', 'set', 'eth1', 'up');
    const server = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', `require('net').createServer((s) => s.end('vip ok')).listen(8080, process.argv[1])`, plug.haIp], { stdio: 'ignore' });
    try {
      let answer = '';
      for (let i = 0; i < 50 && answer === ''; i++) {
        answer = await new Promise<string>((resolve) => {
          const s = connect({ host: plug.haIp, port: 8080, timeout: 500 });
          let data = '';
          s.on('data', (d) => (data += d));
          s.once('end', () => resolve(data));
          s.once('error', () => setTimeout(() => resolve(''), 50));
          s.once('timeout', () => (s.destroy(), resolve('')));
        });
      }
      assert.equal(answer, 'vip ok');
    } finally {
      server.kill('SIGKILL');
    }

    const member = await driver.plugNetwork(amp, idOf('member4'));
    const eth2 = linkJson('eth2', netns);
    assert.equal(eth2.address, member.macAddress);
    assert.equal(eth2.mtu, 1400);
    assert.equal(member.mtu, 1400);
    assert.equal(linkJson(hostVethName(prefix, 'v', member.portId)).master, `${prefix}b2`);
    assert.deepEqual(await driver.pluggedSubnets(amp), [idOf('member4')]);

    await driver.unplugNetwork(amp, idOf('member4'));
    assert.throws(() => linkJson('eth2', netns));
    assert.equal(existsSync(`/sys/class/net/${hostVethName(prefix, 'v', member.portId)}`), false);
    assert.equal(await driver.getPort(member.portId), null);
    assert.deepEqual(await driver.pluggedSubnets(amp), []);

    await driver.unplugVip(lb, amp);
    assert.throws(() => linkJson('eth1', netns));
    assert.equal(existsSync(`/sys/class/net/${host}`), false);
    assert.equal(await driver.getPort(plug.vrrpPortId), null);
    await driver.deallocateVip(lb);
    assert.equal(await driver.getPort(lb.vip.portId!), null);
  });

  test('requested VIP addresses: taken or gateway -> 409 VIPAddressConflict; outside the subnet -> 400; outside the pools is allowed', async () => {
    const vip4 = idOf('vip4');
    const first = await driver.allocateVip(loadBalancerOn(vip4, { address: `${A}.50` }));
    assert.equal(first.vip.address, `${A}.50`);
    await assert.rejects(
      driver.allocateVip(loadBalancerOn(vip4, { address: `${A}.50` })),
      code('vip_address_conflict', new RegExp(`^The VIP IP address is already in use: IP address ${A}\\.50 already allocated in subnet ${vip4}$`)),
    );
    await assert.rejects(driver.allocateVip(loadBalancerOn(vip4, { address: `${A}.1` })), code('vip_address_conflict'));
    await assert.rejects(driver.allocateVip(loadBalancerOn(vip4, { address: `${B}.5` })), code('validation', /is not a valid IP for the specified subnet/));
    await assert.rejects(driver.allocateVip(loadBalancerOn(vip4, { address: `${A}.255` })), code('validation'));
    const outsidePools = await driver.allocateVip(loadBalancerOn(vip4, { address: `${A}.220` }));
    assert.equal(outsidePools.vip.address, `${A}.220`);
  });

  test('a full subnet refuses more addresses until one is released, which is then handed out again', async () => {
    const tiny = idOf('tiny');
    assert.equal(await driver.availableIps(tiny), 5);
    const lbs = [];
    for (let i = 0; i < 5; i++) {
      const lb = loadBalancerOn(tiny);
      lbs.push({ ...lb, vip: (await driver.allocateVip(lb)).vip });
    }
    assert.deepEqual(lbs.map((l) => l.vip.address), [2, 3, 4, 5, 6].map((n) => `${C}.${n}`));
    assert.equal(await driver.availableIps(tiny), 0);
    await assert.rejects(driver.allocateVip(loadBalancerOn(tiny)), code('driver_error', new RegExp(`^No more IP addresses available on network ${idOf('n3')}\\.$`)));
    await driver.deallocateVip(lbs[2]!);
    assert.equal(await driver.availableIps(tiny), 1);
    assert.equal((await driver.allocateVip(loadBalancerOn(tiny))).vip.address, `${C}.4`);
  });

  test('IPv6: VIPs and VRRP ports from the /64, addresses stored canonically so that spellings collide', async () => {
    const vip6 = idOf('vip6');
    const lb0 = loadBalancerOn(vip6);
    const lb = { ...lb0, vip: (await driver.allocateVip(lb0)).vip };
    assert.equal(lb.vip.address, `${V6}::2`);
    const plug = await driver.plugVip(lb, makeAmphora());
    assert.equal(plug.vrrpIp, `${V6}::3`);
    assert.equal(plug.subnet.gateway, `${V6}::1`);
    assert.equal(plug.subnet.cidr, `${V6}::/64`);
    const expanded = `${V6.toUpperCase()}:0:0:0:99`;
    assert.equal((await driver.allocateVip(loadBalancerOn(vip6, { address: expanded }))).vip.address, `${V6}::99`);
    await assert.rejects(driver.allocateVip(loadBalancerOn(vip6, { address: `${V6}:0000:0000:0000:0099` })), code('vip_address_conflict'));
    assert.equal(await driver.availableIps(vip6), Number.MAX_SAFE_INTEGER);
  });

  test('host routes of a subnet reach the plug results', async () => {
    const routes = [{ destination: `${B}.0/24`, nexthop: `${A}.254` }];
    assert.deepEqual((await driver.getSubnet(idOf('vip4')))!.hostRoutes, routes);
    const amp = makeAmphora();
    const lb0 = loadBalancerOn(idOf('vip4'));
    const lb = { ...lb0, vip: (await driver.allocateVip(lb0)).vip };
    assert.deepEqual((await driver.plugVip(lb, amp)).subnet.hostRoutes, routes);
    assert.deepEqual((await driver.plugNetwork(amp, idOf('vip4'))).fixedIps[0]!.hostRoutes, routes);
    assert.deepEqual((await driver.plugNetwork(amp, idOf('member4'))).fixedIps[0]!.hostRoutes, []);
  });

  test("a user's vip_port_id is adopted and never deleted; a vanished VIP port is created again", async () => {
    const userPort = newId();
    await store.create({
      id: userPort,
      name: 'user-port',
      networkId: idOf('n1'),
      macAddress: 'fa:16:3e:aa:bb:cc',
      deviceId: '',
      deviceOwner: '',
      projectId: 'someone',
      createdAt: '2026-01-01T00:00:00',
      fixedIps: [{ subnetId: idOf('vip4'), ipAddress: `${A}.150` }],
    });
    const lb = loadBalancerOn(idOf('vip4'), { portId: userPort });
    const allocation = await driver.allocateVip(lb);
    assert.deepEqual(
      { address: allocation.vip.address, portId: allocation.vip.portId, owned: allocation.vip.octaviaOwned, network: allocation.vip.networkId },
      { address: `${A}.150`, portId: userPort, owned: false, network: idOf('n1') },
    );
    await driver.deallocateVip({ ...lb, vip: allocation.vip });
    assert.ok(await driver.getPort(userPort), 'the user port is still there');

    const vanished = loadBalancerOn(idOf('vip4'), { portId: newId() });
    const rebuilt = await driver.allocateVip(vanished);
    assert.notEqual(rebuilt.vip.portId, vanished.vip.portId);
    assert.equal(rebuilt.vip.octaviaOwned, true);
  });

  test('additional VIPs share the VIP port, one address per subnet, on the same network only', async () => {
    const av = { subnetId: idOf('vip6'), networkId: null, portId: null, ipAddress: null };
    const lb0 = loadBalancerOn(idOf('vip4'), {}, { additionalVips: [av] });
    const allocation = await driver.allocateVip(lb0);
    assert.equal(allocation.additionalVips.length, 1);
    const extra = allocation.additionalVips[0]!;
    assert.equal(extra.portId, allocation.vip.portId);
    assert.equal(extra.subnetId, idOf('vip6'));
    assert.ok(extra.ipAddress?.startsWith(`${V6}::`));
    const port = (await driver.getPort(allocation.vip.portId!))!;
    assert.equal(port.fixedIps.length, 2);
    const lb = { ...lb0, vip: allocation.vip, additionalVips: allocation.additionalVips };
    const plug = await driver.plugVip(lb, makeAmphora());
    assert.deepEqual(plug.additionalVips.map((v) => [v.subnetId, v.ipAddress, v.gateway]), [[idOf('vip6'), extra.ipAddress, `${V6}::1`]]);
    await assert.rejects(
      driver.allocateVip(loadBalancerOn(idOf('vip4'), {}, { additionalVips: [{ ...av, subnetId: idOf('member4') }] })),
      code('validation', /All VIP subnets must belong to the same network/),
    );
  });

  test('the Neutron view: networks, subnets and ports by id, name and network; unknown ids are null', async () => {
    assert.deepEqual((await driver.listNetworks({})).map((n) => n.name).sort(), ['n1', 'n2', 'n3'].map((n) => `${prefix}${n}`));
    assert.deepEqual((await driver.listNetworks({ name: [`${prefix}n2`] })).map((n) => n.id), [idOf('n2')]);
    const n1 = (await driver.getNetwork(idOf('n1')))!;
    assert.deepEqual([...n1.subnetIds].sort(), [idOf('vip4'), idOf('vip6')].sort());
    assert.equal(n1.shared, true);
    assert.deepEqual((await driver.listSubnets({ networkId: [idOf('n1')] })).map((s) => s.id).sort(), [idOf('vip4'), idOf('vip6')].sort());
    assert.deepEqual((await driver.listSubnets({ name: [`${prefix}tiny`] })).map((s) => s.cidr), [`${C}.0/29`]);
    const lb = loadBalancerOn(idOf('vip4'));
    const vip = (await driver.allocateVip(lb)).vip;
    const ports = await driver.listPorts({ networkId: [idOf('n1')] });
    assert.ok(ports.some((p) => p.id === vip.portId && p.deviceOwner === 'Octavia' && p.deviceId === `lb-${lb.id}` && p.name === `octavia-lb-${lb.id}`));
    assert.deepEqual((await driver.listPorts({ id: [vip.portId!] })).map((p) => p.fixedIps), [[{ subnetId: idOf('vip4'), ipAddress: vip.address }]]);
    assert.equal(await driver.getNetwork(newId()), null);
    assert.equal(await driver.getSubnet(newId()), null);
    assert.equal(await driver.getPort(newId()), null);
    assert.equal(driver.qosEnabled(), false);
  });

  test('two processes allocating VIPs on one SQLite database never get the same address', async () => {
    const script = `
      const [url, prefix, networks] = process.argv.slice(1);
      const { connectDatabase } = await import(${JSON.stringify(new URL('../../db/connect.ts', import.meta.url).href)});
      const { KyselyPortStore } = await import(${JSON.stringify(new URL('../../db/repositories/network-ports.ts', import.meta.url).href)});
      const { LocalNetworkDriver } = await import(${JSON.stringify(new URL('./local-network-driver.ts', import.meta.url).href)});
      const { loadBalancerOn } = await import(${JSON.stringify(new URL('./network-driver.conformance.ts', import.meta.url).href)});
      const db = connectDatabase(url);
      const parsed = JSON.parse(networks);
      const driver = new LocalNetworkDriver({ networks: parsed, interfacePrefix: prefix, ports: new KyselyPortStore(db.kysely) });
      const subnet = parsed.subnets.find((s) => s.name === prefix + 'vip4').id;
      const out = [];
      for (let i = 0; i < 25; i++) out.push((await driver.allocateVip(loadBalancerOn(subnet))).vip.address);
      await db.close();
      console.log(JSON.stringify(out));`;
    const child = () =>
      new Promise<string[]>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dbUrl, prefix, JSON.stringify(networks)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.once('exit', (c) => (c === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${c}`))));
      });
    const before = await driver.availableIps(idOf('vip4'));
    const [a, b] = await Promise.all([child(), child()]);
    assert.equal(new Set([...a, ...b]).size, 50);
    assert.equal(await driver.availableIps(idOf('vip4')), before - 50);
  });

  test('nothing with the run prefix is left after namespaces and bridges are removed', async () => {
    assert.ok(namespaces > 0);
    for (const name of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!)) {
      if (name.startsWith(prefix)) ns('netns', 'delete', name);
    }
    await driver.removeBridges();
    await driver.removeBridges();
    // Host ends of veths die with their namespace peer, asynchronously.
    for (let i = 0; i < 100 && leftovers(prefix).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(leftovers(prefix), []);
  });
});
