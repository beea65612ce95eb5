/**
 * Networks and subnets of the `local` network driver, defined in configuration as dynamic groups:
 *
 *   [network:public]                    [subnet:public-v4]
 *   bridge = octv-br-public             network = public
 *   mtu = 1500                          cidr = 198.18.0.0/24
 *   subnets = public-v4                 gateway = 198.18.0.1
 *                                       allocation_pools = 198.18.0.10-198.18.0.250
 *                                       host_routes = 198.18.64.0/24 via 198.18.0.254
 *
 * Options are parsed with the same option kinds as the fixed groups, later files win per option,
 * and every problem is reported with the others. The result is complete: ids, gateways, pools and
 * IP versions are filled in here, so drivers never re-derive them.
 */
import type { AllocationPool, HostRoute } from '../domain/network.js';
import { stableId, parseUuid } from '../lib/ids.js';
import {
  cidrHas,
  cidrsOverlap,
  defaultPools,
  formatAddress,
  formatCidr,
  lastOf,
  parseAddress,
  parseCidr,
  parseInterfaceCidr,
  type Cidr,
  type IpVersion,
} from '../lib/ip-range.js';
import { opt, type OptionSpec } from './option-types.js';

export const NETWORK_OPTIONS = {
  id: opt.str(null, 'UUID of the network. Default: derived from the group name, the same on every host and after restarts.'),
  bridge: opt.str(null, 'Linux bridge of the network in the root namespace (at most 15 characters). Default: `octv-br-<name>`.'),
  mtu: opt.int(1500, 'MTU of the bridge and of amphora interfaces on it.', { min: 68, max: 65535 }),
  subnets: opt.list([], 'Names of the `[subnet:<name>]` groups of this network (a subnet may name its network instead).'),
} as const;

export const SUBNET_OPTIONS = {
  id: opt.str(null, 'UUID of the subnet. Default: derived from the group name.'),
  network: opt.str(null, 'Name of the `[network:<name>]` group the subnet belongs to (or list the subnet in that group).'),
  cidr: opt.str(null, 'Network address and prefix length, IPv4 or IPv6 (required; the IP version follows from it).'),
  gateway: opt.str(null, 'Gateway address, held by the host on the bridge; `none` for no gateway. Default: the first address of the CIDR.'),
  allocation_pools: opt.list(
    null,
    'Address ranges handed out, as `start-end` (comma separated). Default: the whole CIDR without network, broadcast and gateway addresses.',
  ),
  host_routes: opt.list([], 'Routes given to amphora interfaces on this subnet, as `<destination cidr> via <nexthop>` (comma separated).'),
  enable_dhcp: opt.bool(true, 'Shown in the Neutron view; addresses are always configured by the amphora agent.'),
} as const;

export interface LocalNetworkConfig {
  readonly name: string;
  readonly id: string;
  readonly bridge: string;
  readonly mtu: number;
}

export interface LocalSubnetConfig {
  readonly name: string;
  readonly id: string;
  readonly networkId: string;
  readonly cidr: string;
  readonly ipVersion: IpVersion;
  readonly gatewayIp: string | null;
  readonly allocationPools: readonly AllocationPool[];
  readonly hostRoutes: readonly HostRoute[];
  readonly enableDhcp: boolean;
}

export interface LocalNetworks {
  readonly networks: readonly LocalNetworkConfig[];
  readonly subnets: readonly LocalSubnetConfig[];
}

export const NO_LOCAL_NETWORKS: LocalNetworks = { networks: [], subnets: [] };

export const DYNAMIC_GROUP = /^(network|subnet):(.*)$/;
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Linux interface names: at most 15 bytes, no slash, colon or white space. */
export const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

export interface RawSetting {
  readonly text: string;
  readonly where: string;
}

/** Values of the dynamic groups as read (last value per option wins), keyed by group name. */
export interface RawLocalNetworks {
  readonly network: Map<string, Map<string, RawSetting>>;
  readonly subnet: Map<string, Map<string, RawSetting>>;
}

export function emptyRawLocalNetworks(): RawLocalNetworks {
  return { network: new Map(), subnet: new Map() };
}

/** Records one `[network:<name>]` / `[subnet:<name>]` option; returns a warning for unknown ones. */
export function recordDynamicOption(raw: RawLocalNetworks, group: string, name: string, setting: RawSetting): string | null {
  const m = DYNAMIC_GROUP.exec(group)!;
  const kind = m[1] as 'network' | 'subnet';
  const specs: Record<string, unknown> = kind === 'network' ? NETWORK_OPTIONS : SUBNET_OPTIONS;
  if (!(name in specs)) return `${setting.where}: unknown option [${group}] ${name} (ignored)`;
  const groupName = m[2]!.trim();
  let values = raw[kind].get(groupName);
  if (!values) raw[kind].set(groupName, (values = new Map()));
  values.set(name, setting);
  return null;
}

type Parsed<S> = { [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never };

function parseGroup<S extends Record<string, OptionSpec<unknown>>>(
  specs: S,
  group: string,
  values: Map<string, RawSetting>,
  problems: string[],
): Parsed<S> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const setting = values.get(name);
    if (!setting) {
      out[name] = spec.default;
      continue;
    }
    const parsed = spec.parse(setting.text);
    if (parsed.ok) out[name] = parsed.value;
    else {
      problems.push(`${setting.where}: [${group}] ${name} = ${JSON.stringify(setting.text)}: ${parsed.problem}`);
      out[name] = spec.default;
    }
  }
  return out as Parsed<S>;
}

function idOf(kind: 'network' | 'subnet', name: string, given: string | null, problems: string[]): string {
  if (given === null || given.trim() === '') return stableId(`octavius-local-${kind}`, name);
  const id = parseUuid(given.trim());
  if (!id) problems.push(`[${kind}:${name}] id = ${JSON.stringify(given)}: must be a UUID`);
  return id ?? stableId(`octavius-local-${kind}`, name);
}

/** Builds the typed networks and subnets, reporting every problem (including cross-group ones). */
export function buildLocalNetworks(raw: RawLocalNetworks): { value: LocalNetworks; problems: string[] } {
  const problems: string[] = [];
  const networks: LocalNetworkConfig[] = [];
  const listedIn = new Map<string, string>(); // subnet name -> network name listing it
  for (const [name, values] of raw.network) {
    const group = `network:${name}`;
    if (!GROUP_NAME.test(name)) problems.push(`[${group}]: the network name must be letters, digits, '.', '_' or '-'`);
    const v = parseGroup(NETWORK_OPTIONS, group, values, problems);
    const bridge = v.bridge ?? `octv-br-${name}`;
    if (!IFNAME.test(bridge)) {
      problems.push(`[${group}] bridge = ${JSON.stringify(bridge)}: must be a Linux interface name of at most 15 characters${v.bridge === null ? ' (set bridge)' : ''}`);
    }
    for (const s of v.subnets) {
      const other = listedIn.get(s);
      if (other && other !== name) problems.push(`[${group}] subnets: subnet ${s} is already listed by [network:${other}]`);
      listedIn.set(s, name);
      if (!raw.subnet.has(s)) problems.push(`[${group}] subnets: no [subnet:${s}] group`);
    }
    networks.push({ name, id: idOf('network', name, v.id, problems), bridge, mtu: v.mtu });
  }

  const subnets: LocalSubnetConfig[] = [];
  const cidrs: { name: string; cidr: Cidr }[] = [];
  for (const [name, values] of raw.subnet) {
    const group = `subnet:${name}`;
    if (!GROUP_NAME.test(name)) problems.push(`[${group}]: the subnet name must be letters, digits, '.', '_' or '-'`);
    const v = parseGroup(SUBNET_OPTIONS, group, values, problems);
    const networkName = v.network ?? listedIn.get(name) ?? null;
    if (v.network !== null && listedIn.has(name) && listedIn.get(name) !== v.network) {
      problems.push(`[${group}] network = ${v.network}: the subnet is listed by [network:${listedIn.get(name)}]`);
    }
    const network = networks.find((n) => n.name === networkName);
    if (networkName === null) problems.push(`[${group}]: no network (set network, or list the subnet in a [network:<name>] group)`);
    else if (!network) problems.push(`[${group}] network = ${networkName}: no [network:${networkName}] group`);
    const subnet = checkSubnet(group, v, problems);
    if (!subnet) continue;
    for (const other of cidrs) {
      if (cidrsOverlap(other.cidr, subnet.cidr)) problems.push(`[${group}] cidr = ${formatCidr(subnet.cidr)}: overlaps [subnet:${other.name}]`);
    }
    cidrs.push({ name, cidr: subnet.cidr });
    if (subnet.cidr.version === 6 && network && network.mtu < 1280) {
      problems.push(`[network:${network.name}] mtu = ${network.mtu}: IPv6 subnet ${name} needs at least 1280`);
    }
    subnets.push({
      name,
      id: idOf('subnet', name, v.id, problems),
      networkId: network?.id ?? '',
      cidr: formatCidr(subnet.cidr),
      ipVersion: subnet.cidr.version,
      gatewayIp: subnet.gateway,
      allocationPools: subnet.pools,
      hostRoutes: subnet.routes,
      enableDhcp: v.enable_dhcp,
    });
  }
  const seen = new Map<string, string>();
  for (const [kind, list] of [
    ['network', networks],
    ['subnet', subnets],
  ] as const) {
    for (const item of list) {
      const prev = seen.get(item.id);
      if (prev) problems.push(`[${kind}:${item.name}] id ${item.id} is also the id of [${prev}]`);
      seen.set(item.id, `${kind}:${item.name}`);
    }
  }
  const bridges = new Map<string, string>();
  for (const n of networks) {
    const prev = bridges.get(n.bridge);
    if (prev) problems.push(`[network:${n.name}] bridge = ${n.bridge}: also the bridge of [network:${prev}]`);
    bridges.set(n.bridge, n.name);
  }
  return { value: { networks, subnets }, problems };
}

function checkSubnet(
  group: string,
  v: Parsed<typeof SUBNET_OPTIONS>,
  problems: string[],
): { cidr: Cidr; gateway: string | null; pools: AllocationPool[]; routes: HostRoute[] } | null {
  if (v.cidr === null) {
    problems.push(`[${group}] cidr: required`);
    return null;
  }
  const cidr = parseCidr(v.cidr.trim());
  if (!cidr) {
    const loose = parseCidr(v.cidr.trim(), false);
    problems.push(
      `[${group}] cidr = ${JSON.stringify(v.cidr)}: ` +
        (loose ? `host bits are set (did you mean ${formatCidr(loose)}?)` : 'must be an IPv4 or IPv6 network address/prefix'),
    );
    return null;
  }
  const bad = (option: string, text: string, why: string): void => {
    problems.push(`[${group}] ${option} = ${JSON.stringify(text)}: ${why}`);
  };
  const usable = (a: bigint): boolean => a !== cidr.network && !(cidr.version === 4 && a === lastOf(cidr) && cidr.prefix < 31);

  let gateway: bigint | null = null;
  if (v.gateway === null) {
    gateway = cidr.network + 1n <= lastOf(cidr) ? cidr.network + 1n : null;
  } else if (v.gateway.trim().toLowerCase() !== 'none' && v.gateway.trim() !== '') {
    const g = parseAddress(v.gateway);
    if (!g || !cidrHas(cidr, g)) bad('gateway', v.gateway, `must be an address inside ${formatCidr(cidr)}`);
    else if (!usable(g.value)) bad('gateway', v.gateway, 'must not be the network or broadcast address');
    else gateway = g.value;
  }

  let pools = defaultPools(cidr, gateway);
  if (v.allocation_pools !== null) {
    pools = [];
    for (const text of v.allocation_pools) {
      const [startText, endText, ...rest] = text.split('-').map((s) => s.trim());
      const start = startText ? parseAddress(startText) : null;
      const end = endText ? parseAddress(endText) : null;
      if (rest.length > 0 || !start || !end) {
        bad('allocation_pools', text, 'each pool must be start-end (two addresses)');
        continue;
      }
      if (!cidrHas(cidr, start) || !cidrHas(cidr, end)) {
        bad('allocation_pools', text, `addresses must be inside ${formatCidr(cidr)}`);
        continue;
      }
      if (start.value > end.value) {
        bad('allocation_pools', text, 'start is after end');
        continue;
      }
      if (!usable(start.value) || !usable(end.value)) {
        bad('allocation_pools', text, 'must not include the network or broadcast address');
        continue;
      }
      if (gateway !== null && gateway >= start.value && gateway <= end.value) {
        bad('allocation_pools', text, 'includes the gateway address');
        continue;
      }
      const overlap = pools.find((p) => start.value <= p.last && p.first <= end.value);
      if (overlap) {
        bad('allocation_pools', text, 'overlaps another pool');
        continue;
      }
      pools.push({ version: cidr.version, first: start.value, last: end.value });
    }
  }

  const routes: HostRoute[] = [];
  for (const text of v.host_routes) {
    const m = /^(\S+)\s+via\s+(\S+)$/.exec(text.trim());
    const destination = m ? parseCidr(m[1]!) : null;
    const nexthop = m ? parseAddress(m[2]!) : null;
    if (!m || !destination || !nexthop) {
      bad('host_routes', text, 'each route must be "<destination cidr> via <nexthop address>"');
      continue;
    }
    if (destination.version !== cidr.version || nexthop.version !== cidr.version) {
      bad('host_routes', text, `destination and nexthop must be IPv${cidr.version} like the subnet`);
      continue;
    }
    routes.push({ destination: formatCidr(destination), nexthop: formatAddress(nexthop) });
  }

  return {
    cidr,
    gateway: gateway === null ? null : formatAddress({ version: cidr.version, value: gateway }),
    pools: pools.map((p) => ({
      start: formatAddress({ version: p.version, value: p.first }),
      end: formatAddress({ version: p.version, value: p.last }),
    })),
    routes,
  };
}

/** Checks of the [netns] group (names must fit Linux's 15-character interface names). */
/** HAProxy's limit on UNIX socket paths (its own message: `too long (max 97)`). */
const MAX_SOCKET_PATH = 97;

export function checkNetnsOptions(netns: {
  readonly name_prefix: string;
  readonly mgmt_bridge: string;
  readonly mgmt_cidr: string;
  readonly runtime_path: string;
}): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9][a-z0-9-]{0,5}$/.test(netns.name_prefix)) {
    problems.push(
      `[netns] name_prefix = ${JSON.stringify(netns.name_prefix)}: must be 1-6 characters of a-z, 0-9 and '-' ` +
        '(interface names are the prefix plus 9 characters, at most 15)',
    );
  }
  if (!IFNAME.test(netns.mgmt_bridge)) {
    problems.push(`[netns] mgmt_bridge = ${JSON.stringify(netns.mgmt_bridge)}: must be a Linux interface name of at most 15 characters`);
  }
  const mgmt = parseInterfaceCidr(netns.mgmt_cidr.trim());
  if (!mgmt) problems.push(`[netns] mgmt_cidr = ${JSON.stringify(netns.mgmt_cidr)}: must be address/prefix, e.g. 198.19.0.1/16`);
  else if (mgmt.address.value === mgmt.cidr.network || bitsOf(mgmt) - mgmt.cidr.prefix < 2) {
    problems.push(`[netns] mgmt_cidr = ${JSON.stringify(netns.mgmt_cidr)}: needs a host address and room for amphorae (prefix at most /${mgmt.cidr.version === 4 ? 30 : 126})`);
  }
  if (!netns.runtime_path.startsWith('/')) problems.push(`[netns] runtime_path = ${JSON.stringify(netns.runtime_path)}: must be an absolute path`);
  // HAProxy's master socket lives at <runtime_path>/<prefix>amp-<8 hex>/base/<lb id>/master.sock and
  // HAProxy refuses socket paths longer than 97 bytes.
  const socketPath = `${netns.runtime_path.replace(/\/+$/, '')}/${'x'.repeat(6)}amp-xxxxxxxx/base/${'x'.repeat(36)}/master.sock`;
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    problems.push(
      `[netns] runtime_path = ${JSON.stringify(netns.runtime_path)}: too long; HAProxy's sockets below it would exceed ${MAX_SOCKET_PATH} bytes ` +
        `(at most ${MAX_SOCKET_PATH - (socketPath.length - netns.runtime_path.replace(/\/+$/, '').length)} bytes)`,
    );
  }
  return problems;
}

function bitsOf(p: { cidr: Cidr }): number {
  return p.cidr.version === 4 ? 32 : 128;
}
