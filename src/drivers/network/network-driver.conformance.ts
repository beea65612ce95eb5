/**
 * The conformance suite every NetworkDriver runs: the contract of network-driver.ts checked the same
 * way for noop and real drivers. A driver's test file calls it with a fixture factory that names a
 * VIP subnet and a member subnet the driver knows and makes amphorae it can plug.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blankAmphora, type Amphora } from '../../domain/amphora.js';
import type { LoadBalancer } from '../../domain/load-balancer.js';
import { newId } from '../../lib/ids.js';
import { cidrContains } from '../../lib/ip.js';
import { formatAddress, parseCidr } from '../../lib/ip-range.js';
import type { NetworkDriver } from './network-driver.js';

export interface NetworkConformanceFixture {
  readonly driver: NetworkDriver;
  /** An IPv4 subnet (/25 or larger) with room for a few VIPs. */
  readonly vipSubnetId: string;
  readonly memberSubnetId: string;
  /** An amphora with a compute instance the driver can plug interfaces into. */
  amphora(): Promise<Amphora>;
}

export interface NetworkConformanceOptions {
  readonly name: string;
  readonly create: () => Promise<NetworkConformanceFixture>;
  /** Runs after each test, also after a failure. */
  readonly cleanup?: (fixture: NetworkConformanceFixture) => Promise<void>;
}

export function amphoraWith(computeId: string | null, id = newId()): Amphora {
  return blankAmphora({ id, computeId, status: 'ALLOCATED', role: 'STANDALONE', createdAt: '2026-01-01T00:00:00' });
}

export function loadBalancerOn(subnetId: string | null, vip: Partial<LoadBalancer['vip']> = {}, extra: Partial<LoadBalancer> = {}): LoadBalancer {
  return {
    id: newId(),
    projectId: 'conformance-project',
    name: null,
    description: null,
    adminStateUp: true,
    provisioningStatus: 'PENDING_CREATE',
    operatingStatus: 'OFFLINE',
    topology: 'SINGLE',
    serverGroupId: null,
    provider: 'amphora',
    flavorId: null,
    availabilityZone: null,
    vip: { address: null, portId: null, subnetId, networkId: null, qosPolicyId: null, octaviaOwned: false, vnicType: 'normal', sgIds: [], ...vip },
    additionalVips: [],
    tags: [],
    createdAt: '2026-01-01T00:00:00',
    updatedAt: null,
    ...extra,
  };
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function networkDriverConformance(options: NetworkConformanceOptions): void {
  const t = (name: string, fn: (f: NetworkConformanceFixture) => Promise<void>): void => {
    test(`${options.name}: ${name}`, async () => {
      const fixture = await options.create();
      try {
        await fn(fixture);
      } finally {
        await options.cleanup?.(fixture);
      }
    });
  };

  t('the VIP subnet and its network are in the inventory', async ({ driver, vipSubnetId }) => {
    const subnet = await driver.getSubnet(vipSubnetId);
    assert.ok(subnet, 'getSubnet finds the subnet');
    assert.equal(subnet.id, vipSubnetId);
    assert.ok(parseCidr(subnet.cidr), `cidr ${subnet.cidr} is a network`);
    assert.equal(subnet.ipVersion, 4);
    const network = await driver.getNetwork(subnet.networkId);
    assert.equal(network?.id, subnet.networkId);
    assert.deepEqual((await driver.listSubnets({ id: [vipSubnetId] })).map((s) => s.id), [vipSubnetId]);
    assert.deepEqual((await driver.listNetworks({ id: [subnet.networkId] })).map((n) => n.id), [subnet.networkId]);
    assert.ok((await driver.availableIps(vipSubnetId)) >= 3);
  });

  t('allocateVip gives an address of the VIP subnet on a port of it, and is idempotent per load balancer', async ({ driver, vipSubnetId }) => {
    const subnet = (await driver.getSubnet(vipSubnetId))!;
    const lb = loadBalancerOn(vipSubnetId);
    const first = await driver.allocateVip(lb);
    assert.ok(first.vip.address && cidrContains(subnet.cidr, first.vip.address), `VIP ${first.vip.address} in ${subnet.cidr}`);
    assert.ok(first.vip.portId);
    assert.equal(first.vip.subnetId, vipSubnetId);
    assert.equal(first.vip.networkId, subnet.networkId);
    assert.equal(first.vip.octaviaOwned, true);
    const port = await driver.getPort(first.vip.portId);
    assert.ok(port?.fixedIps.some((f) => f.ipAddress === first.vip.address));
    const again = await driver.allocateVip(lb);
    assert.equal(again.vip.address, first.vip.address);
    assert.equal(again.vip.portId, first.vip.portId);
    // The flow runs it again with what the API stored: still the same port and address.
    const rerun = await driver.allocateVip({ ...lb, vip: first.vip });
    assert.equal(rerun.vip.address, first.vip.address);
    assert.equal(rerun.vip.portId, first.vip.portId);
    await driver.deallocateVip({ ...lb, vip: first.vip });
    await driver.deallocateVip({ ...lb, vip: first.vip });
  });

  t('allocateVip honours a requested address', async ({ driver, vipSubnetId }) => {
    const subnet = (await driver.getSubnet(vipSubnetId))!;
    const cidr = parseCidr(subnet.cidr)!;
    const wanted = formatAddress({ version: cidr.version, value: cidr.network + 77n });
    const lb = loadBalancerOn(vipSubnetId, { address: wanted });
    const allocation = await driver.allocateVip(lb);
    assert.equal(allocation.vip.address, wanted);
    await driver.deallocateVip({ ...lb, vip: allocation.vip });
  });

  t('plugVip gives the amphora a port on the VIP subnet, the same one when repeated; unplug may be repeated', async ({ driver, vipSubnetId, amphora }) => {
    const subnet = (await driver.getSubnet(vipSubnetId))!;
    const lb0 = loadBalancerOn(vipSubnetId);
    const lb = { ...lb0, vip: (await driver.allocateVip(lb0)).vip };
    const amp = await amphora();
    const plug = await driver.plugVip(lb, amp);
    assert.ok(cidrContains(subnet.cidr, plug.vrrpIp), `VRRP address ${plug.vrrpIp} in ${subnet.cidr}`);
    assert.equal(plug.haIp, lb.vip.address);
    assert.equal(plug.haPortId, lb.vip.portId);
    assert.match(plug.macAddress, MAC);
    assert.ok(plug.mtu >= 1280);
    assert.equal(plug.subnet.subnetId, vipSubnetId);
    assert.equal(plug.subnet.cidr, subnet.cidr);
    const again = await driver.plugVip(lb, amp);
    assert.equal(again.vrrpPortId, plug.vrrpPortId);
    assert.equal(again.vrrpIp, plug.vrrpIp);
    assert.equal(again.macAddress, plug.macAddress);
    const withPort = { ...amp, vrrpPortId: plug.vrrpPortId, vrrpIp: plug.vrrpIp };
    await driver.unplugVip(lb, withPort);
    await driver.unplugVip(lb, withPort);
    await driver.deallocateVip(lb);
  });

  t('plugNetwork gives the amphora an address of the member subnet, the same one when repeated', async ({ driver, memberSubnetId, amphora }) => {
    const subnet = (await driver.getSubnet(memberSubnetId))!;
    const amp = await amphora();
    const port = await driver.plugNetwork(amp, memberSubnetId);
    assert.equal(port.fixedIps.length, 1);
    assert.equal(port.fixedIps[0]!.subnetId, memberSubnetId);
    assert.ok(cidrContains(subnet.cidr, port.fixedIps[0]!.ipAddress));
    assert.match(port.macAddress, MAC);
    const again = await driver.plugNetwork(amp, memberSubnetId);
    assert.equal(again.portId, port.portId);
    assert.equal(again.fixedIps[0]!.ipAddress, port.fixedIps[0]!.ipAddress);
    assert.equal(again.macAddress, port.macAddress);
    await driver.unplugNetwork(amp, memberSubnetId);
    await driver.unplugNetwork(amp, memberSubnetId);
  });
}
