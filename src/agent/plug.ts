/**
 * plug/vip and plug/network: configure a data-plane interface the network driver put into the
 * amphora, found by its MAC address. Addresses, MTU and routes follow upstream's interface files
 * (amphorae/backends/utils/interface_file.py): the VIP subnet's default route and host routes in
 * the main table, and — unless keepalived owns the VIP (ACTIVE_STANDBY) — the VIP itself plus a
 * policy routing table 1 selected by `from <vip>`, so replies leave by the VIP's interface.
 */
import { appendFile } from 'node:fs/promises';
import { explodeIpv6, ipToBytes, ipVersion, normaliseCidr } from '../lib/ip.js';
import { paths, type AgentAmphora } from './agent-amphora.js';
import { run } from './exec.js';
import { readIfExists } from './files.js';
import { json, message, type AgentResponse } from './http.js';
import { addAddress, addresses, addRoute, addSourceRule, deleteAddress, IpBatch, linkByMac, setLinkUp } from './ip.js';

/** Upstream's policy routing table for VIP traffic and the rule priority keepalived also uses. */
const VIP_TABLE = 1;
const VIP_RULE_PRIORITY = 100;

interface HostRoute {
  readonly destination: string;
  readonly nexthop: string;
}

interface VipSpec {
  readonly address: string;
  readonly version: 4 | 6;
  readonly prefixlen: number;
  readonly cidr: string;
  readonly gateway: string | null;
  readonly hostRoutes: readonly HostRoute[];
}

class BadInput extends Error {}

function pyRepr(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}

/** Python's `ipaddress.ip_address(v).exploded` or its ValueError text. */
function parseAddress(v: unknown): { address: string; version: 4 | 6 } {
  const version = typeof v === 'string' ? ipVersion(v) : null;
  if (version === null) throw new BadInput(`${pyRepr(v)} does not appear to be an IPv4 or IPv6 address`);
  return { address: version === 6 ? explodeIpv6(v as string).toLowerCase() : (v as string), version };
}

/** Python's `ipaddress.ip_network(v)` (strict) or its ValueError text. */
function parseNetwork(v: unknown): { cidr: string; prefixlen: number } {
  const text = typeof v === 'string' ? v : '';
  const cidr = normaliseCidr(text);
  if (cidr === null) throw new BadInput(`${pyRepr(v)} does not appear to be an IPv4 or IPv6 network`);
  const given = ipToBytes(text.split('/')[0]!)!;
  const network = ipToBytes(cidr.split('/')[0]!)!;
  if (given.some((b, i) => b !== network[i])) throw new BadInput(`${text} has host bits set`);
  return { cidr, prefixlen: Number(cidr.split('/')[1]) };
}

function hostRoutesOf(v: unknown): HostRoute[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new BadInput('host_routes must be a list');
  return v.map((r: { destination?: unknown; nexthop?: unknown }) => {
    if (typeof r?.destination !== 'string' || typeof r?.nexthop !== 'string') throw new BadInput('invalid host route');
    return { destination: r.destination, nexthop: r.nexthop };
  });
}

function vipSpec(address: unknown, subnetCidr: unknown, gateway: unknown, hostRoutes: unknown): VipSpec {
  const a = parseAddress(address);
  const n = parseNetwork(subnetCidr);
  return {
    address: a.address,
    version: a.version,
    prefixlen: n.prefixlen,
    cidr: n.cidr,
    gateway: typeof gateway === 'string' && gateway !== '' ? gateway : null,
    hostRoutes: hostRoutesOf(hostRoutes),
  };
}

export class PlugService {
  readonly #amphora: AgentAmphora;
  readonly #topology: () => string;

  constructor(amphora: AgentAmphora, topology: () => string) {
    this.#amphora = amphora;
    this.#topology = topology;
  }

  /** MACs already configured by plug/vip or plug/network (upstream's plugged_interfaces file). */
  #plugged(): Map<string, string> {
    const text = readIfExists(paths.pluggedInterfaces(this.#amphora)) ?? '';
    return new Map(
      text
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((p) => p.length === 2)
        .map(([mac, ifname]) => [mac!.toLowerCase(), ifname!]),
    );
  }

  async #record(mac: string, ifname: string): Promise<void> {
    if (!this.#plugged().has(mac)) await appendFile(paths.pluggedInterfaces(this.#amphora), `${mac} ${ifname}\n`, { mode: 0o644 });
  }

  async plugVip(vip: string, body: Record<string, unknown>): Promise<AgentResponse> {
    let vips: VipSpec[];
    try {
      const extra = Array.isArray(body['additional_vips']) ? (body['additional_vips'] as Record<string, unknown>[]) : [];
      vips = [
        vipSpec(vip, body['subnet_cidr'], body['gateway'], body['host_routes']),
        ...extra.map((x) => vipSpec(x['ip_address'], x['subnet_cidr'], x['gateway'], x['host_routes'])),
      ];
    } catch (err) {
      if (err instanceof BadInput) return message(400, `Invalid VIP: ${err.message}`);
      throw err;
    }
    let vrrp: { address: string; prefixlen: number } | null = null;
    try {
      if (body['vrrp_ip'] !== undefined && body['vrrp_ip'] !== null && body['vrrp_ip'] !== '') {
        vrrp = { address: parseAddress(body['vrrp_ip']).address, prefixlen: parseNetwork(body['subnet_cidr']).prefixlen };
      }
    } catch (err) {
      if (err instanceof BadInput) return message(400, `Invalid VRRP Address: ${err.message}`);
      throw err;
    }
    const mac = String(body['mac_address']).toLowerCase();
    if (this.#plugged().has(mac)) return message(409, 'Interface already exists');
    const ifname = await linkByMac(this.#amphora, mac);
    if (ifname === null) return json(404, { details: 'No suitable network interface found' });
    try {
      await this.#configureVip(ifname, vips, vrrp, numberOrNull(body['mtu']));
    } catch (err) {
      return message(500, 'Error plugging VIP', (err as Error).message);
    }
    await this.#record(mac, ifname);
    return message(202, 'OK', `VIPs plugged on interface ${ifname}: ${vips.map((v) => v.address).join(', ')}`);
  }

  async plugNetwork(body: Record<string, unknown>): Promise<AgentResponse> {
    const fixed: { address: string; prefixlen: number; hostRoutes: HostRoute[] }[] = [];
    try {
      const list = body['fixed_ips'];
      if (list !== undefined && list !== null && !Array.isArray(list)) throw new BadInput('fixed_ips');
      for (const f of (list ?? []) as Record<string, unknown>[]) {
        fixed.push({
          address: parseAddress(f['ip_address']).address,
          prefixlen: parseNetwork(f['subnet_cidr']).prefixlen,
          hostRoutes: hostRoutesOf(f['host_routes']),
        });
      }
    } catch (err) {
      if (err instanceof BadInput) return message(400, 'Invalid network port');
      throw err;
    }
    const mac = String(body['mac_address']).toLowerCase();
    const mtu = numberOrNull(body['mtu']);
    const existing = this.#plugged().has(mac);
    const ifname = await linkByMac(this.#amphora, mac);
    if (ifname === null) return json(404, { details: 'No suitable network interface found' });
    try {
      const info = body['vip_net_info'];
      if (existing && info !== null && typeof info === 'object') {
        // The VRRP port gets a subnet more: a re-plug of the VIP with the port's fixed IPs.
        const i = info as Record<string, unknown>;
        const extra = Array.isArray(i['additional_vips']) ? (i['additional_vips'] as Record<string, unknown>[]) : [];
        const vips = [
          vipSpec(i['vip'], i['subnet_cidr'], i['gateway'], i['host_routes']),
          ...extra.map((x) => vipSpec(x['ip_address'], x['subnet_cidr'], x['gateway'], x['host_routes'])),
        ];
        const vrrpIp = typeof i['vrrp_ip'] === 'string' ? { address: i['vrrp_ip'], prefixlen: vips[0]!.prefixlen } : null;
        await this.#configureVip(ifname, vips, vrrpIp, mtu);
        for (const f of fixed) await addAddress(this.#amphora, ifname, f.address, f.prefixlen);
      } else {
        await this.#configurePort(ifname, fixed, mtu, existing);
      }
    } catch (err) {
      if (err instanceof BadInput) return message(400, 'Invalid network port');
      return message(500, 'Error plugging network', (err as Error).message);
    }
    if (existing) return message(202, 'OK', `Updated existing interface ${ifname}`);
    await this.#record(mac, ifname);
    return message(202, 'OK', `Plugged on interface ${ifname}`);
  }

  async #configureVip(
    ifname: string,
    vips: readonly VipSpec[],
    vrrp: { address: string; prefixlen: number } | null,
    mtu: number | null,
  ): Promise<void> {
    const ns = this.#amphora;
    // keepalived adds and removes the VIP, its table-1 routes and rules in ACTIVE_STANDBY.
    const ownsVip = this.#topology() !== 'ACTIVE_STANDBY';
    const batch = new IpBatch().linkUp(ifname, mtu);
    if (vrrp !== null) batch.address(ifname, vrrp.address, vrrp.prefixlen);
    for (const v of vips) {
      const any = v.version === 6 ? '::/0' : '0.0.0.0/0';
      if (ownsVip) batch.address(ifname, v.address, v.version === 6 ? 128 : 32);
      if (v.gateway) batch.route(ifname, { destination: any, via: v.gateway, onlink: true });
      batch.route(ifname, { destination: v.cidr, scopeLink: true });
      if (ownsVip) {
        if (v.gateway) batch.route(ifname, { destination: any, via: v.gateway, onlink: true, table: VIP_TABLE });
        batch.route(ifname, { destination: v.cidr, src: v.address, scopeLink: true, table: VIP_TABLE });
      }
      for (const r of v.hostRoutes) {
        batch.route(ifname, { destination: r.destination, via: r.nexthop, onlink: true });
        batch.route(ifname, { destination: r.destination, via: r.nexthop, onlink: true, table: VIP_TABLE });
      }
    }
    // Order matters within the batch (the link is up and the address there before routes use it).
    await batch.run(ns);
    if (ownsVip) for (const v of vips) await addSourceRule(ns, v.address, VIP_TABLE, VIP_RULE_PRIORITY);
  }

  async #configurePort(
    ifname: string,
    fixed: readonly { address: string; prefixlen: number; hostRoutes: readonly HostRoute[] }[],
    mtu: number | null,
    existing: boolean,
  ): Promise<void> {
    const ns = this.#amphora;
    await setLinkUp(ns, ifname, mtu);
    for (const f of fixed) await addAddress(ns, ifname, f.address, f.prefixlen);
    if (existing) {
      // Upstream's interface update removes the static addresses the port no longer has. Without
      // promote_secondaries, removing an interface's first IPv4 address would take the others
      // of its subnet (the ones just added) with it.
      await run(ns, 'sysctl', ['-qw', `net.ipv4.conf.${ifname}.promote_secondaries=1`]);
      const keep = new Set(fixed.map((f) => `${f.address}/${f.prefixlen}`));
      for (const a of await addresses(ns)) {
        const key = `${ipVersion(a.address) === 6 ? explodeIpv6(a.address).toLowerCase() : a.address}/${a.prefixlen}`;
        if (a.ifname === ifname && a.scope === 'global' && !keep.has(key)) await deleteAddress(ns, ifname, a.address, a.prefixlen);
      }
    }
    for (const f of fixed) {
      for (const r of f.hostRoutes) await addRoute(ns, ifname, { destination: r.destination, via: r.nexthop, onlink: true });
    }
  }
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null;
}
