/**
 * VIP validation of load balancer create (spec §2.1 step 3 and 8): which of port, network and
 * subnet the user gave, what they resolve to, and whether the deployment allows them.
 */
import { Errors } from '../../domain/errors.js';
import type { NetworkInventory, Subnet } from '../../domain/network.js';
import { cidrContains, ipToBytes } from '../../lib/ip.js';
import type { ApiDeps } from '../deps.js';

export interface VipRequest {
  address: string | null;
  portId: string | null;
  subnetId: string | null;
  networkId: string | null;
  qosPolicyId: string | null;
  /** True when the user gave vip_qos_policy_id (even null). */
  qosGiven: boolean;
  sgIds: string[] | null;
  additional: { subnetId: string; ipAddress: string | null; portId: string | null; networkId: string | null }[];
}

async function subnetExists(net: NetworkInventory, id: string): Promise<Subnet> {
  const subnet = await net.getSubnet(id);
  if (!subnet) throw Errors.invalidSubresource('Subnet', id);
  return subnet;
}

function sameIp(a: string, b: string): boolean {
  const x = ipToBytes(a);
  const y = ipToBytes(b);
  return !!x && !!y && x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Fills in network, subnet and address from what the user gave; throws the upstream 400s. */
export async function validateVipRequest(deps: ApiDeps, vip: VipRequest, topology: 'SINGLE' | 'ACTIVE_STANDBY'): Promise<void> {
  const cfg = deps.config.networking;
  const net = deps.network;
  const allowed: string[] = [];
  if (cfg.allow_vip_port_id) allowed.push('vip_port_id');
  if (cfg.allow_vip_network_id) allowed.push('vip_network_id');
  if (cfg.allow_vip_subnet_id) allowed.push('vip_subnet_id');
  const disallowed = (object: string) =>
    Errors.validation(`use of ${object} is disallowed by this deployment's configuration.`);
  if (vip.portId && !cfg.allow_vip_port_id) throw disallowed('vip_port_id');
  if (vip.networkId && !cfg.allow_vip_network_id) throw disallowed('vip_network_id');
  if (vip.subnetId && !cfg.allow_vip_subnet_id) throw disallowed('vip_subnet_id');
  if (!(vip.portId || vip.networkId || vip.subnetId)) throw Errors.vipValidation(allowed.join(', '));

  if (vip.portId) {
    const port = await net.getPort(vip.portId);
    if (!port) throw Errors.invalidSubresource('Port', vip.portId);
    if (port.deviceId) throw Errors.validation(`Port ${port.id} is already used by device ${port.deviceId} `);
    vip.networkId = port.networkId;
    if (port.qosPolicyId && !vip.qosGiven) vip.qosPolicyId = port.qosPolicyId;
    if (vip.subnetId) {
      await subnetExists(net, vip.subnetId);
      const fixed = port.fixedIps.find((f) => f.subnetId === vip.subnetId);
      if (fixed) vip.address = fixed.ipAddress;
      if (!vip.address) throw Errors.validation('No VIP address found on the specified VIP port within the specified subnet.');
    } else if (vip.address) {
      const fixed = port.fixedIps.find((f) => sameIp(f.ipAddress, vip.address!));
      if (fixed) vip.subnetId = fixed.subnetId;
      if (!vip.subnetId) throw Errors.validation('Specified VIP address not found on the specified VIP port.');
    } else if (port.fixedIps.length === 1) {
      vip.subnetId = port.fixedIps[0]!.subnetId;
      vip.address = port.fixedIps[0]!.ipAddress;
    } else {
      throw Errors.validation("VIP port's subnet could not be determined. Please specify either a VIP subnet or address.");
    }
  } else if (vip.networkId) {
    const network = await net.getNetwork(vip.networkId);
    if (!network) throw Errors.invalidSubresource('Network', vip.networkId);
    if (vip.subnetId && !network.subnetIds.includes(vip.subnetId)) {
      // The noop inventory knows every subnet: ask it before refusing.
      const subnet = await net.getSubnet(vip.subnetId);
      if (!subnet || subnet.networkId !== network.id) throw Errors.invalidSubresource('Subnet', vip.subnetId);
    }
    if (!vip.subnetId) {
      if (vip.address) {
        for (const id of network.subnetIds) {
          const subnet = await net.getSubnet(id);
          if (!subnet) throw Errors.validation(`Subnet ${id} not found`);
          if (cidrContains(subnet.cidr, vip.address)) {
            vip.subnetId = id;
            break;
          }
        }
        if (!vip.subnetId) throw Errors.validation('Supplied network does not contain a subnet for VIP address specified.');
      } else {
        if (network.subnetIds.length === 0) throw Errors.validation('Supplied network does not contain a subnet.');
        const needed = topology === 'ACTIVE_STANDBY' ? 3 : 2;
        const candidates: string[] = [];
        for (const id of network.subnetIds) if ((await net.availableIps(id)) >= needed) candidates.push(id);
        if (candidates.length === 0) throw Errors.validation('Subnet(s) in the supplied network do not contain enough available IPs.');
        for (const id of candidates) {
          vip.subnetId ??= id;
          const subnet = await net.getSubnet(id);
          if (!subnet) throw Errors.validation(`Subnet ${id} not found`);
          if (subnet.ipVersion === 4) {
            vip.subnetId = id;
            break;
          }
        }
      }
    }
  } else if (vip.subnetId) {
    const subnet = await subnetExists(net, vip.subnetId);
    vip.networkId = subnet.networkId;
  }
  if (vip.qosPolicyId) {
    if (!net.qosEnabled()) throw Errors.validation('VIP QoS policy is not allowed in this deployment.');
    if (!(await net.getQosPolicy(vip.qosPolicyId))) throw Errors.invalidSubresource('qos_policy', vip.qosPolicyId);
  }
  if (!vip.networkId && vip.subnetId) vip.networkId = (await subnetExists(net, vip.subnetId)).networkId;

  // Additional VIPs: one address per subnet, all subnets on the VIP's network.
  const used = new Map<string, Subnet | null>([[vip.subnetId!, null]]);
  for (const a of vip.additional) {
    if (used.has(a.subnetId)) throw Errors.validation('Duplicate VIP subnet(s) specified. Only one IP can be bound per subnet.');
    used.set(a.subnetId, null);
  }
  for (const id of used.keys()) {
    const subnet = await net.getSubnet(id);
    if (!subnet) throw Errors.validation(`Subnet ${id} not found`);
    used.set(id, subnet);
  }
  const networks = new Set([...used.values()].map((s) => s!.networkId));
  if (vip.additional.length > 0 && networks.size > 1) throw Errors.validation('All VIP subnets must belong to the same network.');
  for (const a of vip.additional) a.networkId = used.get(a.subnetId)!.networkId;

  for (const sg of vip.sgIds ?? []) {
    // A null entry is no security group (Neutron's lookup of None fails the same way).
    if (sg === null || !(await net.getSecurityGroup(sg))) throw Errors.invalidSubresource('Security Group', sg ?? 'None');
  }
}

/** `[networking] valid_vip_networks` (or the AZ's list) and `denylist_vip_networks`. */
export function checkVipNetworkAllowed(deps: ApiDeps, networkId: string, azValid?: readonly string[] | null): void {
  const cfg = deps.config.networking;
  const valid = azValid && azValid.length > 0 ? azValid : cfg.valid_vip_networks;
  const message = 'Supplied VIP network_id is not allowed by the configuration of this deployment.';
  if (valid && valid.length > 0 && !valid.map((v) => v.toLowerCase()).includes(networkId.toLowerCase())) {
    throw Errors.validation(message);
  }
  if (cfg.denylist_vip_networks.map((v) => v.toLowerCase()).includes(networkId.toLowerCase())) throw Errors.validation(message);
}
