/**
 * The networking view shared by the API (VIP and member subnet validation, the read-only Neutron
 * view) and the network drivers that implement it. Shapes follow Neutron's resources.
 */

export interface Network {
  readonly id: string;
  readonly name: string;
  readonly projectId: string | null;
  readonly subnetIds: readonly string[];
  readonly portSecurityEnabled: boolean;
  readonly mtu: number;
  readonly adminStateUp: boolean;
  readonly shared: boolean;
  readonly external: boolean;
}

export interface HostRoute {
  readonly destination: string;
  readonly nexthop: string;
}

export interface AllocationPool {
  readonly start: string;
  readonly end: string;
}

export interface Subnet {
  readonly id: string;
  readonly name: string;
  readonly networkId: string;
  readonly projectId: string | null;
  readonly cidr: string;
  readonly ipVersion: 4 | 6;
  readonly gatewayIp: string | null;
  readonly hostRoutes: readonly HostRoute[];
  readonly allocationPools: readonly AllocationPool[];
  readonly enableDhcp: boolean;
}

export interface FixedIp {
  readonly subnetId: string;
  readonly ipAddress: string;
}

export interface Port {
  readonly id: string;
  readonly name: string;
  readonly networkId: string;
  readonly projectId: string | null;
  readonly deviceId: string;
  readonly deviceOwner: string;
  readonly macAddress: string;
  readonly fixedIps: readonly FixedIp[];
  readonly qosPolicyId: string | null;
  readonly securityGroupIds: readonly string[];
  readonly adminStateUp: boolean;
}

export interface QosPolicy {
  readonly id: string;
}

export interface SecurityGroup {
  readonly id: string;
}

export interface NetworkFilter {
  readonly id?: readonly string[];
  readonly name?: readonly string[];
  readonly networkId?: readonly string[];
}

/**
 * Read-only lookups of networks, subnets, ports, QoS policies and security groups. Every method
 * answers null for an unknown id; none of them changes anything.
 */
export interface NetworkInventory {
  getNetwork(id: string): Promise<Network | null>;
  getSubnet(id: string): Promise<Subnet | null>;
  getPort(id: string): Promise<Port | null>;
  getQosPolicy(id: string): Promise<QosPolicy | null>;
  getSecurityGroup(id: string): Promise<SecurityGroup | null>;
  listNetworks(filter: NetworkFilter): Promise<Network[]>;
  listSubnets(filter: NetworkFilter): Promise<Subnet[]>;
  listPorts(filter: NetworkFilter): Promise<Port[]>;
  /** Free addresses per subnet of a network, for picking a VIP subnet. */
  availableIps(subnetId: string): Promise<number>;
  /** True when QoS policies can be applied in this deployment. */
  qosEnabled(): boolean;
}
