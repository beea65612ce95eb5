/**
 * The local network driver (`network_local_driver`): networks and subnets come from configuration
 * ([network:<name>], [subnet:<name>]); each network is a Linux bridge in the root namespace that
 * holds the gateway address of each of its subnets, so the host itself reaches members and VIPs.
 * Ports and their addresses (VIPs, amphora VRRP ports, amphora ports on member subnets) are kept in
 * the database through a PortStore; an amphora's port becomes a veth pair whose host end is on the
 * bridge and whose other end, `ethN` with the port's MAC, is inside the amphora's namespace (its
 * compute id), where the agent configures it.
 */
import type { Amphora } from '../../domain/amphora.js';
import { DomainError, Errors } from '../../domain/errors.js';
import type { LoadBalancer } from '../../domain/load-balancer.js';
import type { Network, NetworkFilter, Port, QosPolicy, SecurityGroup, Subnet } from '../../domain/network.js';
import type { LocalNetworkConfig, LocalNetworks } from '../../config/local-networks.js';
import { systemClock, timestamp, type Clock } from '../../lib/clock.js';
import { canonicalAddress } from '../../lib/ip-range.js';
import { silentLogger, type Logger } from '../../lib/logger.js';
import { deleteLink, ensureBridge, hostLinkExists, netnsExists, plugIntoNetns } from '../linux/links.js';
import { hostVethName } from '../linux/names.js';
import { availableCount, firstFree, randomMac, requestedAddressProblem } from './local-ipam.js';
import { conflict, matches, MEMBER_PORT_OWNER, memberPortId, OCTAVIA_OWNER, ownsVip, plugSubnet, toPort, vipOf, vipPortId, vrrpPortId } from './local-ports.js';
import type { AmphoraVipPlug, NetworkDriver, PluggedPort, VipAllocation } from './network-driver.js';
import { AddressInUseError, type PortRecord, type PortStore } from './port-store.js';


export interface LocalNetworkDriverOptions {
  /** `config.local_networks`. */
  readonly networks: LocalNetworks;
  /** `[netns] name_prefix`: host ends of amphora veths are `<prefix>v<8 hex of the port id>`. */
  readonly interfacePrefix: string;
  readonly ports: PortStore;
  readonly clock?: Clock;
  readonly log?: Logger;
}

const ALLOCATION_ATTEMPTS = 50;


interface PortRequest {
  readonly subnet: Subnet;
  /** Requested address; null: the first free one of the pools. */
  readonly address: string | null;
}

export class LocalNetworkDriver implements NetworkDriver {
  readonly #networks = new Map<string, { config: LocalNetworkConfig; network: Network }>();
  readonly #subnets = new Map<string, Subnet>();
  readonly #ports: PortStore;
  readonly #prefix: string;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(options: LocalNetworkDriverOptions) {
    this.#ports = options.ports;
    this.#prefix = options.interfacePrefix;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger();
    for (const s of options.networks.subnets) {
      this.#subnets.set(s.id, {
        id: s.id,
        name: s.name,
        networkId: s.networkId,
        projectId: null,
        cidr: s.cidr,
        ipVersion: s.ipVersion,
        gatewayIp: s.gatewayIp,
        hostRoutes: s.hostRoutes,
        allocationPools: s.allocationPools,
        enableDhcp: s.enableDhcp,
      });
    }
    for (const n of options.networks.networks) {
      this.#networks.set(n.id, {
        config: n,
        network: {
          id: n.id,
          name: n.name,
          projectId: null,
          subnetIds: options.networks.subnets.filter((s) => s.networkId === n.id).map((s) => s.id),
          portSecurityEnabled: true,
          mtu: n.mtu,
          adminStateUp: true,
          // Operator networks: every project may place VIPs and members on them.
          shared: true,
          external: false,
        },
      });
    }
  }

  // ---- bridges ------------------------------------------------------------------------------

  /** Creates every network's bridge (up, MTU, the gateway address of each subnet). Idempotent; run at start. */
  async ensureBridges(): Promise<void> {
    for (const { config } of this.#networks.values()) await this.#ensureBridge(config);
  }

  /** Deletes every network's bridge (tests, uninstall). Amphora veths on them go down with them. */
  async removeBridges(): Promise<void> {
    for (const { config } of this.#networks.values()) await deleteLink(config.bridge);
  }

  async #ensureBridge(n: LocalNetworkConfig): Promise<void> {
    const addresses = [...this.#subnets.values()]
      .filter((s) => s.networkId === n.id && s.gatewayIp !== null)
      .map((s) => `${s.gatewayIp}/${s.cidr.split('/')[1]}`);
    await ensureBridge(n.bridge, n.mtu, addresses);
  }

  // ---- inventory ----------------------------------------------------------------------------

  async getNetwork(id: string): Promise<Network | null> {
    return this.#networks.get(id.toLowerCase())?.network ?? null;
  }

  async getSubnet(id: string): Promise<Subnet | null> {
    return this.#subnets.get(id.toLowerCase()) ?? null;
  }

  async getPort(id: string): Promise<Port | null> {
    const port = await this.#ports.get(id.toLowerCase());
    return port ? toPort(port) : null;
  }

  async getQosPolicy(): Promise<QosPolicy | null> {
    return null; // no QoS on local bridges
  }

  async getSecurityGroup(): Promise<SecurityGroup | null> {
    return null; // no security groups: allowed_cidrs are enforced by HAProxy
  }

  async listNetworks(filter: NetworkFilter): Promise<Network[]> {
    return [...this.#networks.values()].map((n) => n.network).filter((n) => matches(filter.id, n.id) && matches(filter.name, n.name));
  }

  async listSubnets(filter: NetworkFilter): Promise<Subnet[]> {
    return [...this.#subnets.values()].filter((s) => matches(filter.id, s.id) && matches(filter.name, s.name) && matches(filter.networkId, s.networkId));
  }

  async listPorts(filter: NetworkFilter): Promise<Port[]> {
    const ports = await this.#ports.list({
      ...(filter.id ? { ids: filter.id.map((i) => i.toLowerCase()) } : {}),
      ...(filter.name ? { names: filter.name } : {}),
      ...(filter.networkId ? { networkIds: filter.networkId.map((i) => i.toLowerCase()) } : {}),
    });
    return ports.map(toPort);
  }

  async availableIps(subnetId: string): Promise<number> {
    const subnet = this.#subnets.get(subnetId.toLowerCase());
    return subnet ? availableCount(subnet, await this.#ports.usedAddresses(subnet.id)) : 0;
  }

  qosEnabled(): boolean {
    return false;
  }

  // ---- VIPs ---------------------------------------------------------------------------------

  /**
   * The VIP port of a load balancer: the user's port when vip_port_id names one (adopted as it is,
   * never deleted by us), else our port `octavia-lb-<lb id>` with the requested or the first free
   * address of the VIP subnet plus one address per additional VIP. Idempotent per load balancer.
   * Throws vip_address_conflict (409) when a requested address is taken.
   */
  async allocateVip(lb: LoadBalancer): Promise<VipAllocation> {
    if (lb.vip.portId) {
      const given = await this.#ports.get(lb.vip.portId.toLowerCase());
      if (given) return vipOf(given, lb, ownsVip(given, lb));
      // NOTE: as upstream, a VIP port that vanished is created again, now owned by Octavius.
      this.#log.warn({ lb: lb.id, port: lb.vip.portId }, 'VIP port is missing; allocating a new one');
    }
    const id = vipPortId(lb.id);
    const existing = await this.#ports.get(id);
    if (existing) return vipOf(existing, lb, true);
    const subnet = await this.#vipSubnet(lb);
    const requests: PortRequest[] = [{ subnet, address: lb.vip.address }];
    for (const av of lb.additionalVips) {
      const s = this.#subnetOrFail(av.subnetId);
      if (s.networkId !== subnet.networkId) throw Errors.validation('All VIP subnets must belong to the same network.');
      requests.push({ subnet: s, address: av.ipAddress });
    }
    const port = await this.#createPort({
      id,
      name: `octavia-lb-${lb.id}`,
      networkId: subnet.networkId,
      deviceId: `lb-${lb.id}`,
      deviceOwner: OCTAVIA_OWNER,
      projectId: lb.projectId,
      requests,
    });
    return vipOf(port, { ...lb, vip: { ...lb.vip, subnetId: subnet.id } }, true);
  }

  /** Deletes the load balancer's VIP port if Octavius created it; a user's port stays. Idempotent. */
  async deallocateVip(lb: LoadBalancer): Promise<void> {
    const ids = new Set([vipPortId(lb.id), lb.vip.portId, ...lb.additionalVips.map((a) => a.portId)].filter((i): i is string => !!i));
    for (const id of ids) {
      const port = await this.#ports.get(id.toLowerCase());
      if (port && ownsVip(port, lb)) await this.#ports.delete(port.id);
      else if (port) this.#log.info({ lb: lb.id, port: id }, 'VIP port not created by Octavius: kept');
    }
  }

  async #vipSubnet(lb: LoadBalancer): Promise<Subnet> {
    if (lb.vip.subnetId) return this.#subnetOrFail(lb.vip.subnetId);
    const network = lb.vip.networkId ? this.#networks.get(lb.vip.networkId.toLowerCase())?.network : undefined;
    if (!network) throw Errors.invalidSubresource('Network', lb.vip.networkId ?? 'None');
    const subnets = network.subnetIds.map((id) => this.#subnets.get(id)!);
    if (lb.vip.address) {
      const found = subnets.find((s) => requestedAddressProblem(s, lb.vip.address!) !== 'invalid');
      if (!found) throw Errors.validation('Supplied network does not contain a subnet for VIP address specified.');
      return found;
    }
    for (const s of [...subnets.filter((x) => x.ipVersion === 4), ...subnets.filter((x) => x.ipVersion === 6)]) {
      if ((await this.availableIps(s.id)) > 0) return s;
    }
    throw new DomainError('driver_error', `No more IP addresses available on network ${network.id}.`);
  }

  #subnetOrFail(id: string): Subnet {
    const subnet = this.#subnets.get(id.toLowerCase());
    if (!subnet) throw Errors.invalidSubresource('Subnet', id);
    return subnet;
  }

  /**
   * Writes a port with one address per request. Free addresses are proposed from what the
   * database holds and confirmed by its unique key; losing a race to another process just means
   * proposing again.
   */
  async #createPort(spec: {
    id: string;
    name: string;
    networkId: string;
    deviceId: string;
    deviceOwner: string;
    projectId: string | null;
    requests: readonly PortRequest[];
  }): Promise<PortRecord> {
    const macAddress = randomMac();
    for (let attempt = 1; attempt <= ALLOCATION_ATTEMPTS; attempt++) {
      const fixedIps: { subnetId: string; ipAddress: string }[] = [];
      for (const r of spec.requests) {
        const used = new Set(await this.#ports.usedAddresses(r.subnet.id));
        if (r.address !== null) {
          const address = canonicalAddress(r.address);
          const problem = address === null ? 'invalid' : requestedAddressProblem(r.subnet, address);
          if (problem === 'invalid') throw Errors.validation(`IP address ${r.address} is not a valid IP for the specified subnet.`);
          if (problem === 'taken' || used.has(address!)) throw conflict(r.address, r.subnet.id);
          fixedIps.push({ subnetId: r.subnet.id, ipAddress: address! });
        } else {
          const address = firstFree(r.subnet, used);
          if (address === null) throw new DomainError('driver_error', `No more IP addresses available on network ${r.subnet.networkId}.`);
          fixedIps.push({ subnetId: r.subnet.id, ipAddress: address });
        }
      }
      const record: PortRecord = {
        id: spec.id,
        name: spec.name,
        networkId: spec.networkId,
        macAddress,
        deviceId: spec.deviceId,
        deviceOwner: spec.deviceOwner,
        projectId: spec.projectId,
        createdAt: timestamp(this.#clock.now()),
        fixedIps,
      };
      try {
        if ((await this.#ports.create(record)) === 'created') return record;
        return (await this.#ports.get(spec.id))!;
      } catch (err) {
        if (!(err instanceof AddressInUseError)) throw err;
        // Someone took one of the addresses meanwhile: a requested one is a conflict, a proposed one is proposed again.
      }
    }
    throw new DomainError('driver_error', `could not allocate addresses for port ${spec.id} after ${ALLOCATION_ATTEMPTS} attempts`, { retryable: true });
  }

  // ---- amphora interfaces -------------------------------------------------------------------

  /**
   * The amphora's VRRP port on the VIP subnet (fresh MAC, next free address) and its interface in
   * the amphora's namespace. Idempotent per amphora: a repeated call returns the same port.
   */
  async plugVip(lb: LoadBalancer, amphora: Amphora): Promise<AmphoraVipPlug> {
    const netns = netnsOf(amphora);
    if (!lb.vip.subnetId || !lb.vip.address || !lb.vip.portId) {
      throw new DomainError('driver_error', `load balancer ${lb.id} has no allocated VIP to plug`);
    }
    const subnet = this.#subnetOrFail(lb.vip.subnetId);
    const { config } = this.#networkOf(subnet);
    const port = await this.#createPort({
      id: vrrpPortId(amphora.id),
      name: `octavia-lb-vrrp-${amphora.id}`,
      networkId: subnet.networkId,
      deviceId: amphora.id,
      deviceOwner: OCTAVIA_OWNER,
      projectId: lb.projectId,
      requests: [{ subnet, address: null }],
    });
    await this.#plug(netns, port, config);
    return {
      vrrpIp: port.fixedIps[0]!.ipAddress,
      vrrpPortId: port.id,
      haIp: lb.vip.address,
      haPortId: lb.vip.portId,
      macAddress: port.macAddress,
      mtu: config.mtu,
      subnet: plugSubnet(subnet),
      additionalVips: lb.additionalVips
        .filter((av) => av.ipAddress !== null)
        .map((av) => ({ ...plugSubnet(this.#subnetOrFail(av.subnetId)), ipAddress: av.ipAddress! })),
    };
  }

  async unplugVip(_lb: LoadBalancer, amphora: Amphora): Promise<void> {
    const ids = new Set([vrrpPortId(amphora.id), amphora.vrrpPortId].filter((i): i is string => !!i));
    for (const id of ids) await this.#unplugPort(id, amphora);
  }

  /** An amphora port on a member subnet and its interface in the namespace. Idempotent per (amphora, subnet). */
  async plugNetwork(amphora: Amphora, subnetId: string): Promise<PluggedPort> {
    const netns = netnsOf(amphora);
    const subnet = this.#subnetOrFail(subnetId);
    const { config } = this.#networkOf(subnet);
    const port = await this.#createPort({
      id: memberPortId(amphora.id, subnet.id),
      name: `octavia-amp-${amphora.id}-${subnet.name}`.slice(0, 255),
      networkId: subnet.networkId,
      deviceId: amphora.id,
      deviceOwner: MEMBER_PORT_OWNER,
      projectId: null,
      requests: [{ subnet, address: null }],
    });
    await this.#plug(netns, port, config);
    return {
      portId: port.id,
      macAddress: port.macAddress,
      mtu: config.mtu,
      fixedIps: [{ ...plugSubnet(subnet), ipAddress: port.fixedIps[0]!.ipAddress }],
    };
  }

  async unplugNetwork(amphora: Amphora, subnetId: string): Promise<void> {
    await this.#unplugPort(memberPortId(amphora.id, subnetId.toLowerCase()), amphora);
  }

  async pluggedSubnets(amphora: Amphora): Promise<string[]> {
    const ports = await this.#ports.list({ deviceIds: [amphora.id] });
    return [...new Set(ports.filter((p) => p.deviceOwner === MEMBER_PORT_OWNER).flatMap((p) => p.fixedIps.map((f) => f.subnetId)))].sort();
  }

  async updateVipSecurity(): Promise<void> {
    // NOTE: no packet filter on local bridges. allowed_cidrs are enforced by HAProxy in the
    // rendered configuration, and only listener ports are bound in the amphora; per-VIP nftables
    // rules inside the namespace would be the place if filtering below HAProxy is ever needed.
  }

  #networkOf(subnet: Subnet): { config: LocalNetworkConfig; network: Network } {
    const n = this.#networks.get(subnet.networkId);
    if (!n) throw new DomainError('internal', `subnet ${subnet.id} has no network`);
    return n;
  }

  async #plug(netns: string, port: PortRecord, network: LocalNetworkConfig): Promise<void> {
    if (!netnsExists(netns)) throw new DomainError('driver_error', `amphora namespace ${netns} does not exist`, { retryable: true });
    if (!hostLinkExists(network.bridge)) await this.#ensureBridge(network);
    const hostName = hostVethName(this.#prefix, 'v', port.id);
    const peer = await plugIntoNetns({ netns, hostName, bridge: network.bridge, mac: port.macAddress, mtu: network.mtu });
    this.#log.debug({ netns, port: port.id, hostName, peer }, 'amphora interface plugged');
  }

  async #unplugPort(portId: string, amphora: Amphora): Promise<void> {
    // Deleting the host end deletes the pair, so the interface leaves the namespace too.
    await deleteLink(hostVethName(this.#prefix, 'v', portId));
    const port = await this.#ports.get(portId);
    if (port && port.deviceId === amphora.id) await this.#ports.delete(portId);
  }
}

function netnsOf(amphora: Amphora): string {
  if (!amphora.computeId) throw new DomainError('driver_error', `amphora ${amphora.id} has no compute instance to plug`);
  return amphora.computeId;
}
