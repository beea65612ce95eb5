/**
 * The noop network driver, as upstream's network_noop_driver: every UUID names an existing network,
 * subnet or port, VIPs are 198.51.100.1 unless the user asked for an address, and nothing is
 * configured anywhere. Ids it invents are derived from the ids it was given, so repeated calls
 * (and other processes) agree.
 */
import type { Amphora } from '../../domain/amphora.js';
import type { LoadBalancer } from '../../domain/load-balancer.js';
import type { Network, NetworkFilter, Port, QosPolicy, SecurityGroup, Subnet } from '../../domain/network.js';
import { stableId } from '../../lib/ids.js';
import { noopDelay } from '../noop-delay.js';
import type { AmphoraVipPlug, NetworkDriver, PluggedPort, VipAllocation } from './network-driver.js';

const NOOP_VIP = '198.51.100.1';
const NOOP_CIDR = '198.51.100.0/24';

export class NoopNetworkDriver implements NetworkDriver {
  readonly #delay: () => Promise<void>;

  constructor(options: { delayMs?: number } = {}) {
    this.#delay = noopDelay(options.delayMs ?? 0);
  }

  /** The network a noop subnet belongs to. */
  static networkOfSubnet(subnetId: string): string {
    return stableId('noop-network-of-subnet', subnetId);
  }

  #network(id: string): Network {
    return {
      id,
      name: '',
      projectId: null,
      subnetIds: [stableId('noop-subnet-of-network', id)],
      portSecurityEnabled: true,
      mtu: 1500,
      adminStateUp: true,
      shared: false,
      external: false,
    };
  }

  #subnet(id: string, networkId?: string): Subnet {
    return {
      id,
      name: '',
      networkId: networkId ?? NoopNetworkDriver.networkOfSubnet(id),
      projectId: null,
      cidr: NOOP_CIDR,
      ipVersion: 4,
      gatewayIp: '198.51.100.254',
      hostRoutes: [],
      allocationPools: [{ start: '198.51.100.1', end: '198.51.100.253' }],
      enableDhcp: true,
    };
  }

  #port(id: string): Port {
    const subnetId = stableId('noop-subnet-of-port', id);
    return {
      id,
      name: '',
      networkId: NoopNetworkDriver.networkOfSubnet(subnetId),
      projectId: null,
      deviceId: '',
      deviceOwner: '',
      macAddress: 'fa:16:3e:00:00:01',
      fixedIps: [{ subnetId, ipAddress: NOOP_VIP }],
      qosPolicyId: null,
      securityGroupIds: [],
      adminStateUp: true,
    };
  }

  async getNetwork(id: string): Promise<Network | null> {
    return this.#network(id);
  }
  async getSubnet(id: string): Promise<Subnet | null> {
    return this.#subnet(id);
  }
  async getPort(id: string): Promise<Port | null> {
    return this.#port(id);
  }
  async getQosPolicy(id: string): Promise<QosPolicy | null> {
    return { id };
  }
  async getSecurityGroup(id: string): Promise<SecurityGroup | null> {
    return { id };
  }
  async listNetworks(filter: NetworkFilter): Promise<Network[]> {
    return (filter.id ?? []).map((id) => this.#network(id));
  }
  async listSubnets(filter: NetworkFilter): Promise<Subnet[]> {
    const bySubnet = (filter.id ?? []).map((id) => this.#subnet(id));
    const byNetwork = (filter.networkId ?? []).map((n) => this.#subnet(stableId('noop-subnet-of-network', n), n));
    return [...bySubnet, ...byNetwork];
  }
  async listPorts(filter: NetworkFilter): Promise<Port[]> {
    return (filter.id ?? []).map((id) => this.#port(id));
  }
  async availableIps(): Promise<number> {
    return 253;
  }
  qosEnabled(): boolean {
    return true;
  }

  async allocateVip(lb: LoadBalancer): Promise<VipAllocation> {
    await this.#delay();
    const subnetId = lb.vip.subnetId ?? stableId('noop-vip-subnet', lb.id);
    return {
      vip: {
        ...lb.vip,
        address: lb.vip.address ?? NOOP_VIP,
        portId: lb.vip.portId ?? stableId('noop-vip-port', lb.id),
        subnetId,
        networkId: lb.vip.networkId ?? NoopNetworkDriver.networkOfSubnet(subnetId),
        octaviaOwned: lb.vip.portId === null,
      },
      additionalVips: lb.additionalVips.map((v) => ({
        ...v,
        ipAddress: v.ipAddress ?? NOOP_VIP,
        portId: v.portId ?? stableId('noop-vip-port', lb.id),
        networkId: v.networkId ?? NoopNetworkDriver.networkOfSubnet(v.subnetId),
      })),
    };
  }

  async deallocateVip(): Promise<void> {
    await this.#delay();
  }

  async plugVip(lb: LoadBalancer, amphora: Amphora): Promise<AmphoraVipPlug> {
    await this.#delay();
    const subnet = this.#subnet(lb.vip.subnetId ?? stableId('noop-vip-subnet', lb.id));
    const plugSubnet = { subnetId: subnet.id, cidr: subnet.cidr, gateway: subnet.gatewayIp, hostRoutes: [] };
    return {
      vrrpIp: NOOP_VIP,
      vrrpPortId: stableId('noop-vrrp-port', amphora.id),
      haIp: lb.vip.address ?? NOOP_VIP,
      haPortId: lb.vip.portId ?? stableId('noop-vip-port', lb.id),
      macAddress: 'fa:16:3e:00:00:01',
      mtu: 1500,
      subnet: plugSubnet,
      additionalVips: lb.additionalVips.map((v) => ({ ...plugSubnet, subnetId: v.subnetId, ipAddress: v.ipAddress ?? NOOP_VIP })),
    };
  }

  async plugNetwork(amphora: Amphora, subnetId: string): Promise<PluggedPort> {
    await this.#delay();
    const subnet = this.#subnet(subnetId);
    return {
      portId: stableId('noop-member-port', `${amphora.id}/${subnetId}`),
      macAddress: 'fa:16:3e:00:00:02',
      mtu: 1500,
      fixedIps: [{ subnetId, cidr: subnet.cidr, gateway: subnet.gatewayIp, hostRoutes: [], ipAddress: '198.51.100.56' }],
    };
  }

  async unplugNetwork(): Promise<void> {
    await this.#delay();
  }

  async pluggedSubnets(): Promise<string[]> {
    // Noop plugs leave no trace to report.
    return [];
  }

  async unplugVip(): Promise<void> {
    await this.#delay();
  }

  async updateVipSecurity(): Promise<void> {
    await this.#delay();
  }
}
