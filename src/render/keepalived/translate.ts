/** Load balancer + amphora + VIP subnets → keepalived IR (spec §7.4 with the dataplane.md settings). */
import { VRRP_PRIORITY, type Amphora } from '../../domain/amphora.js';
import type { LoadBalancerGraph } from '../../domain/graph.js';
import type { Subnet } from '../../domain/network.js';
import { ipVersion, normaliseCidr } from '../../lib/ip.js';
import { plainPath } from '../haproxy/escape.js';
import { ProblemList, type RenderProblem } from '../problem.js';
import type { KeepalivedConfigIR, VirtualRoute, VirtualRule } from './ir.js';

export interface KeepalivedSettings {
  /** The agent's base path; the track file is `<base>/vrrp/haproxy_down`. */
  readonly basePath: string;
  /** `[keepalived_vrrp] vrrp_advert_int`, seconds (VRRPv3: 0.01 to 40.95). */
  readonly advertInt: number;
  /** `[keepalived_vrrp] vrrp_garp_refresh_interval` and `vrrp_garp_refresh_count`. */
  readonly garpRefreshInterval: number;
  readonly garpRefreshCount: number;
}

export interface KeepalivedRenderInput {
  readonly graph: LoadBalancerGraph;
  /** The amphora the file is for: its vrrp_ip, vrrp_interface, vrrp_id and priority. */
  readonly amphora: Amphora;
  /** The subnets of the VIP and additional VIPs (cidr, gateway, host routes). */
  readonly subnets: readonly Subnet[];
  readonly settings: KeepalivedSettings;
}

/**
 * Name of the track file keepalived watches; the agent writes 1 when haproxy exits, 0 when it is
 * back. Must match the agent's `paths.haproxyTrackFile` (golden.test.ts checks it).
 */
export const HAPROXY_TRACK_FILE = 'haproxy_down';

export function haproxyTrackFilePath(basePath: string): string {
  return `${basePath.replace(/\/+$/, '')}/vrrp/${HAPROXY_TRACK_FILE}`;
}

// Linux interface names: at most 15 bytes, no '/', white space or ':'.
const INTERFACE = /^[A-Za-z0-9_.@-]{1,15}$/;
// VRRPv3 advertises in centiseconds, 12 bits.
const ADVERT_MIN = 0.01;
const ADVERT_MAX = 40.95;

function plainAddress(value: string | null): string | null {
  return value !== null && !value.includes('%') && ipVersion(value) !== null ? value : null;
}

/** Family of a normalised `address/prefix`. */
function networkVersion(cidr: string): 4 | 6 | null {
  return ipVersion(cidr.slice(0, cidr.indexOf('/')));
}

export function translate(input: KeepalivedRenderInput): { ir: KeepalivedConfigIR | null; problems: readonly RenderProblem[] } {
  const { graph, amphora, settings } = input;
  const lb = graph.loadBalancer;
  const problems = new ProblemList();
  const none = (type: 'loadbalancer' | 'amphora', id: string, message: string) => {
    problems.error(type, id, message);
    return { ir: null, problems: problems.toArray() };
  };
  if (lb.topology !== 'ACTIVE_STANDBY') return { ir: null, problems: [] };
  if (!/^[A-Za-z0-9-]+$/.test(lb.id)) return none('loadbalancer', lb.id, 'load balancer id cannot name a VRRP instance');
  if (!/^[A-Za-z0-9_.-]+$/.test(amphora.id)) return none('amphora', amphora.id, 'amphora id cannot be a router_id');
  const base = plainPath(settings.basePath);
  if (!base.ok) return none('loadbalancer', lb.id, `[haproxy_amphora] base_path ${base.reason}`);
  const advert = Math.round(settings.advertInt * 100) / 100;
  if (!Number.isFinite(advert) || advert < ADVERT_MIN || advert > ADVERT_MAX) {
    return none('loadbalancer', lb.id, `[keepalived_vrrp] vrrp_advert_int ${settings.advertInt} is outside ${ADVERT_MIN}..${ADVERT_MAX} s (VRRPv3)`);
  }
  for (const [name, n] of [['vrrp_garp_refresh_interval', settings.garpRefreshInterval], ['vrrp_garp_refresh_count', settings.garpRefreshCount]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) return none('loadbalancer', lb.id, `[keepalived_vrrp] ${name} must be a non-negative integer`);
  }

  const source = plainAddress(amphora.vrrpIp);
  if (!source) return none('amphora', amphora.id, 'vrrp_ip is missing or not an IP address');
  const family = ipVersion(source);
  const iface = amphora.vrrpInterface;
  if (!iface || !INTERFACE.test(iface)) return none('amphora', amphora.id, 'vrrp_interface is missing or not an interface name');
  const routerId = amphora.vrrpId ?? 1;
  if (!Number.isSafeInteger(routerId) || routerId < 1 || routerId > 255) return none('amphora', amphora.id, 'vrrp_id must be 1 to 255');
  const priority = amphora.vrrpPriority ?? (amphora.role ? VRRP_PRIORITY[amphora.role] : null) ?? VRRP_PRIORITY.BACKUP!;
  if (!Number.isSafeInteger(priority) || priority < 1 || priority > 254) return none('amphora', amphora.id, 'vrrp_priority must be 1 to 254');

  const peers: string[] = [];
  for (const amp of [...graph.amphorae].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (amp.id === amphora.id || amp.status !== 'ALLOCATED' || amp.vrrpIp === null || amp.vrrpIp === source) continue;
    const peer = plainAddress(amp.vrrpIp);
    if (!peer || ipVersion(peer) !== family) {
      problems.error('amphora', amp.id, `vrrp_ip ${JSON.stringify(amp.vrrpIp)} is not an IPv${family} address: not a VRRP peer`);
      continue;
    }
    if (!peers.includes(peer)) peers.push(peer);
  }
  // keepalived 2.2 turns an empty unicast_peer block into multicast VRRP ("Defaulting to
  // multicast"), where every load balancer's instance uses virtual_router_id 1 on a shared L2
  // segment and a lone amphora could silence another load balancer's. Refuse instead.
  if (peers.length === 0) return none('amphora', amphora.id, 'no other ALLOCATED amphora has a usable vrrp_ip: keepalived would fall back to multicast VRRP');

  const addresses: string[] = [];
  const excludedAddresses: string[] = [];
  const routes: VirtualRoute[] = [];
  const rules: VirtualRule[] = [];
  const vips = [
    { address: lb.vip.address, subnetId: lb.vip.subnetId },
    // As upstream: the primary VIP first, additional VIPs by address.
    ...[...lb.additionalVips]
      .map((v) => ({ address: v.ipAddress, subnetId: v.subnetId }))
      .sort((a, b) => ((a.address ?? '') < (b.address ?? '') ? -1 : (a.address ?? '') > (b.address ?? '') ? 1 : 0)),
  ];
  for (const vip of vips) {
    if (vip.address === null) continue;
    const address = plainAddress(vip.address);
    if (!address) {
      problems.error('loadbalancer', lb.id, `VIP ${JSON.stringify(vip.address)} is not an IP address`);
      continue;
    }
    const v = ipVersion(address)!;
    (v === family ? addresses : excludedAddresses).push(address);
    rules.push({ kind: 'source-rule', source: address, prefixLength: v === 4 ? 32 : 128 });
    const subnet = input.subnets.find((s) => s.id === vip.subnetId);
    if (!subnet) {
      problems.notice('loadbalancer', lb.id, `no subnet known for VIP ${address}: no routes for it in table 1`);
      continue;
    }
    // Every address of a route must be of the VIP's family: `keepalived -t` reports anything else
    // as a configuration error ("Cannot mix IPv4 and IPv6 addresses for route").
    const network = normaliseCidr(subnet.cidr);
    if (!network || networkVersion(network) !== v) {
      problems.notice('loadbalancer', lb.id, `subnet ${subnet.id} has no IPv${v} CIDR (${JSON.stringify(subnet.cidr)}): no routes for VIP ${address} in table 1`);
      continue;
    }
    routes.push({ kind: 'subnet-route', network, source: address });
    const gateway = plainAddress(subnet.gatewayIp);
    if (gateway && ipVersion(gateway) === v) routes.push({ kind: 'default-route', gateway });
    else if (subnet.gatewayIp !== null) {
      problems.notice('loadbalancer', lb.id, `gateway ${JSON.stringify(subnet.gatewayIp)} of subnet ${subnet.id} is not an IPv${v} address: no default route for VIP ${address} in table 1`);
    }
    for (const hr of subnet.hostRoutes) {
      const destination = normaliseCidr(hr.destination);
      const nexthop = plainAddress(hr.nexthop);
      if (!destination || networkVersion(destination) !== v || !nexthop || ipVersion(nexthop) !== v) {
        problems.notice('loadbalancer', lb.id, `host route ${JSON.stringify(hr)} of subnet ${subnet.id} is not usable: left out`);
        continue;
      }
      routes.push({ kind: 'host-route', destination, nexthop });
    }
  }
  if (addresses.length === 0 && excludedAddresses.length === 0) return none('loadbalancer', lb.id, 'the load balancer has no VIP address');

  return {
    ir: {
      kind: 'keepalived-config',
      loadBalancerId: lb.id,
      amphoraId: amphora.id,
      routerId: amphora.id,
      trackFile: { kind: 'track-file', name: 'haproxy_down', path: haproxyTrackFilePath(base.word) },
      instance: {
        kind: 'vrrp-instance',
        name: lb.id.replace(/-/g, ''),
        interface: iface,
        virtualRouterId: routerId,
        priority,
        advertInt: advert,
        garpRefreshInterval: settings.garpRefreshInterval,
        garpRefreshCount: settings.garpRefreshCount,
        sourceAddress: source,
        peers,
        addresses,
        excludedAddresses,
        routes,
        rules,
      },
    },
    problems: problems.toArray(),
  };
}
