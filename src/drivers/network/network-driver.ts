/**
 * Network drivers give load balancers their addresses: VIP ports, amphora ports on the VIP network,
 * member networks. They also answer the read-only lookups of NetworkInventory. Drivers never touch
 * the Octavius database tables of load balancers: tasks persist what drivers return.
 */
import type { Amphora } from '../../domain/amphora.js';
import type { LoadBalancerGraph } from '../../domain/graph.js';
import type { AdditionalVip, LoadBalancer, Vip } from '../../domain/load-balancer.js';
import type { NetworkInventory } from '../../domain/network.js';

export interface VipAllocation {
  readonly vip: Vip;
  readonly additionalVips: readonly AdditionalVip[];
}

/** Layer-3 facts of a subnet an amphora interface sits on (what the agent's plug calls need). */
export interface PlugSubnet {
  readonly subnetId: string;
  readonly cidr: string;
  readonly gateway: string | null;
  readonly hostRoutes: readonly { destination: string; nexthop: string }[];
}

/** What plugging an amphora into the VIP network produced (upstream's UpdateAmphoraVIPData + network configs). */
export interface AmphoraVipPlug {
  readonly vrrpIp: string;
  readonly vrrpPortId: string;
  readonly haIp: string;
  readonly haPortId: string;
  /** MAC of the amphora's interface on the VIP network. */
  readonly macAddress: string;
  readonly mtu: number;
  readonly subnet: PlugSubnet;
  /** Additional VIPs: address and subnet each. */
  readonly additionalVips: readonly (PlugSubnet & { readonly ipAddress: string })[];
}

/** An amphora interface on a member network (upstream's plug_network). */
export interface PluggedPort {
  readonly portId: string;
  readonly macAddress: string;
  readonly mtu: number;
  readonly fixedIps: readonly (PlugSubnet & { readonly ipAddress: string })[];
}

export interface NetworkDriver extends NetworkInventory {
  /**
   * Creates (or adopts the user's) VIP port for a load balancer. Idempotent per load balancer id.
   * Throws DomainError('vip_address_conflict') when a requested address is taken.
   */
  allocateVip(loadBalancer: LoadBalancer): Promise<VipAllocation>;
  /** Releases what allocateVip created (ports Octavius owns only). Succeeds when already gone. */
  deallocateVip(loadBalancer: LoadBalancer): Promise<void>;
  /** Gives an amphora its own port on the VIP network with the VIP as an allowed address. Idempotent per amphora. */
  plugVip(loadBalancer: LoadBalancer, amphora: Amphora): Promise<AmphoraVipPlug>;
  /** Removes the amphora's VIP-network port. Succeeds when already gone. */
  unplugVip(loadBalancer: LoadBalancer, amphora: Amphora): Promise<void>;
  /** Brings the VIP's packet filter in line with the listeners (ports, allowed CIDRs). */
  updateVipSecurity(graph: LoadBalancerGraph): Promise<void>;
  /** Gives the amphora an interface on a member subnet's network. Idempotent per (amphora, subnet). */
  plugNetwork(amphora: Amphora, subnetId: string): Promise<PluggedPort>;
  /** Removes the amphora's interface on that subnet's network. Succeeds when already gone. */
  unplugNetwork(amphora: Amphora, subnetId: string): Promise<void>;
  /** Member subnets the amphora is plugged into (the VIP subnet excluded). */
  pluggedSubnets(amphora: Amphora): Promise<string[]>;
}
