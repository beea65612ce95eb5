/**
 * Ports of the local network driver between their stored form (PortRecord) and what callers see:
 * Neutron-shaped ports, VIP allocations, plug subnets. Pure.
 */
import { DomainError, Errors } from '../../domain/errors.js';
import type { LoadBalancer } from '../../domain/load-balancer.js';
import type { Port, Subnet } from '../../domain/network.js';
import { stableId } from '../../lib/ids.js';
import type { PlugSubnet, VipAllocation } from './network-driver.js';
import type { PortRecord } from './port-store.js';

/** device_owner of the ports Octavius creates for VIPs and VRRP, as upstream. */
export const OCTAVIA_OWNER = 'Octavia';
/** device_owner of amphora ports on member subnets (upstream: Nova's interface attach). */
export const MEMBER_PORT_OWNER = 'compute:octavius';

/** Port ids derived from what they serve, so that a repeated call finds the port of the first. */
export const vipPortId = (lbId: string): string => stableId('octavius-local-vip-port', lbId);
export const vrrpPortId = (amphoraId: string): string => stableId('octavius-local-vrrp-port', amphoraId);
export const memberPortId = (amphoraId: string, subnetId: string): string => stableId('octavius-local-member-port', `${amphoraId}/${subnetId}`);

export function conflict(address: string, subnetId: string): DomainError {
  return Errors.vipAddressConflict(`IP address ${address} already allocated in subnet ${subnetId}`);
}

export function ownsVip(port: PortRecord, lb: LoadBalancer): boolean {
  return port.deviceOwner === OCTAVIA_OWNER && port.deviceId === `lb-${lb.id}`;
}

export function matches(values: readonly string[] | undefined, value: string): boolean {
  return values === undefined || values.some((v) => v === value || v.toLowerCase() === value);
}

export function plugSubnet(s: Subnet): PlugSubnet {
  return { subnetId: s.id, cidr: s.cidr, gateway: s.gatewayIp, hostRoutes: s.hostRoutes };
}

/** The VIP (and additional VIPs) a port carries, as upstream's _port_to_vip. */
export function vipOf(port: PortRecord, lb: LoadBalancer, owned: boolean): VipAllocation {
  const primary = port.fixedIps.find((f) => f.subnetId === lb.vip.subnetId) ?? (lb.vip.subnetId === null ? port.fixedIps[0] : undefined);
  return {
    vip: {
      ...lb.vip,
      address: primary?.ipAddress ?? null,
      subnetId: primary?.subnetId ?? null,
      portId: port.id,
      networkId: port.networkId,
      octaviaOwned: owned,
    },
    additionalVips: port.fixedIps
      .filter((f) => f !== primary)
      .map((f) => ({ subnetId: f.subnetId, networkId: port.networkId, portId: port.id, ipAddress: f.ipAddress })),
  };
}

export function toPort(p: PortRecord): Port {
  return {
    id: p.id,
    name: p.name,
    networkId: p.networkId,
    projectId: p.projectId,
    deviceId: p.deviceId,
    deviceOwner: p.deviceOwner,
    macAddress: p.macAddress,
    fixedIps: p.fixedIps.map((f) => ({ subnetId: f.subnetId, ipAddress: f.ipAddress })),
    qosPolicyId: null,
    securityGroupIds: [],
    adminStateUp: true,
  };
}
