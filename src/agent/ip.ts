/** iproute2 (`ip -j`) in the amphora's namespace: links, addresses, routes and rules. */
import { ipToBytes, ipVersion } from '../lib/ip.js';
import type { AgentAmphora } from './agent-amphora.js';
import { existsSync } from 'node:fs';
import { ip, IpError, run } from './exec.js';

type Ns = Pick<AgentAmphora, 'netns'>;

export interface LinkInfo {
  readonly ifname: string;
  readonly address: string;
  readonly rxBytes: number;
  readonly txBytes: number;
}

interface IpLinkJson {
  ifname: string;
  address?: string;
  stats64?: { rx?: { bytes?: number }; tx?: { bytes?: number } };
}

interface IpAddrJson {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string; dynamic?: boolean }[];
}

export async function links(ns: Ns): Promise<LinkInfo[]> {
  const out = JSON.parse(await ip(ns, ['-j', '-s', 'link', 'show'])) as IpLinkJson[];
  return out.map((l) => ({
    ifname: l.ifname,
    address: (l.address ?? '').toLowerCase(),
    rxBytes: l.stats64?.rx?.bytes ?? 0,
    txBytes: l.stats64?.tx?.bytes ?? 0,
  }));
}

export async function linkByMac(ns: Ns, mac: string): Promise<string | null> {
  const wanted = mac.toLowerCase();
  return (await links(ns)).find((l) => l.address === wanted)?.ifname ?? null;
}

export interface AddressInfo {
  readonly ifname: string;
  readonly address: string;
  readonly prefixlen: number;
  readonly scope: string;
}

export async function addresses(ns: Ns): Promise<AddressInfo[]> {
  const out = JSON.parse(await ip(ns, ['-j', 'addr', 'show'])) as IpAddrJson[];
  return out.flatMap((l) =>
    (l.addr_info ?? []).map((a) => ({ ifname: l.ifname, address: a.local, prefixlen: a.prefixlen, scope: a.scope ?? 'global' })),
  );
}

/** The interface holding an address (compared as addresses, not as text). */
export async function interfaceOf(ns: Ns, address: string): Promise<string | null> {
  const wanted = ipToBytes(address);
  if (wanted === null) return null;
  for (const a of await addresses(ns)) {
    const b = ipToBytes(a.address);
    if (b !== null && b.length === wanted.length && b.every((v, i) => v === wanted[i])) return a.ifname;
  }
  return null;
}

function exists(err: unknown): boolean {
  return err instanceof IpError && /File exists|[Aa]ddress already assigned/.test(err.stderr);
}

export async function setLinkUp(ns: Ns, ifname: string, mtu: number | null): Promise<void> {
  await ip(ns, ['link', 'set', 'dev', ifname, ...(mtu !== null ? ['mtu', String(mtu)] : []), 'up']);
}

/** Adds an address (IPv6 without duplicate address detection, which would delay it by seconds). */
export async function addAddress(ns: Ns, ifname: string, address: string, prefixlen: number): Promise<void> {
  const extra = ipVersion(address) === 6 ? ['nodad'] : [];
  try {
    await ip(ns, ['addr', 'add', `${address}/${prefixlen}`, 'dev', ifname, ...extra]);
  } catch (err) {
    if (!exists(err)) throw err;
  }
}

export async function deleteAddress(ns: Ns, ifname: string, address: string, prefixlen: number): Promise<void> {
  await ip(ns, ['addr', 'del', `${address}/${prefixlen}`, 'dev', ifname]);
}

export interface RouteSpec {
  readonly destination: string;
  readonly via?: string | null;
  readonly src?: string;
  readonly scopeLink?: boolean;
  readonly onlink?: boolean;
  readonly table?: number;
}

function routeArgs(ifname: string, r: RouteSpec): string[] {
  const args = ['route', 'add', r.destination];
  if (r.via) args.push('via', r.via);
  args.push('dev', ifname);
  if (r.src) args.push('src', r.src);
  if (r.scopeLink) args.push('scope', 'link');
  if (r.onlink) args.push('onlink');
  if (r.table !== undefined) args.push('table', String(r.table));
  return args;
}

/**
 * Interface set-up in one `ip -batch` process instead of one `ip` per step (each start costs tens
 * of milliseconds on a busy host, on the path from create to first request). Like addAddress and
 * addRoute, an address or route that is already there is fine. Every word comes from validated
 * addresses and interface names, so no line can hold a second command.
 */
export class IpBatch {
  readonly #lines: string[][] = [];

  linkUp(ifname: string, mtu: number | null): this {
    this.#lines.push(['link', 'set', 'dev', ifname, ...(mtu !== null ? ['mtu', String(mtu)] : []), 'up']);
    return this;
  }

  address(ifname: string, address: string, prefixlen: number): this {
    this.#lines.push(['addr', 'add', `${address}/${prefixlen}`, 'dev', ifname, ...(ipVersion(address) === 6 ? ['nodad'] : [])]);
    return this;
  }

  route(ifname: string, r: RouteSpec): this {
    this.#lines.push(routeArgs(ifname, r));
    return this;
  }

  async run(ns: Ns): Promise<void> {
    if (this.#lines.length === 0) return;
    for (const line of this.#lines) {
      if (line.some((w) => w === '' || /\s/.test(w))) throw new Error(`ip batch: unusable word in ${JSON.stringify(line)}`);
    }
    const argv = [...(ns.netns === null ? [] : ['-n', ns.netns]), '-force', '-batch', '-'];
    const r = await run({ netns: null }, 'ip', argv, { input: `${this.#lines.map((l) => l.join(' ')).join('\n')}\n` });
    if (r.code === 0) return;
    // -force ran every line; each failure printed an "Error: ..." line. Only "already there" is fine.
    const errors = r.stderr.split('\n').filter((l) => /^Error|RTNETLINK answers/.test(l));
    const real = errors.filter((l) => !/File exists|[Aa]ddress already assigned/.test(l));
    if (real.length > 0 || errors.length === 0) {
      throw new IpError(`ip ${argv.join(' ')}: ${r.stderr.trim() || r.output.trim()}`, r.stderr);
    }
  }
}

/** Adds a route; an identical one already there is fine. */
export async function addRoute(ns: Ns, ifname: string, r: RouteSpec): Promise<void> {
  const args = routeArgs(ifname, r);
  try {
    await ip(ns, args);
  } catch (err) {
    if (!exists(err)) throw err;
  }
}

/** Adds `from <address> table <table>` unless the same rule is there (`ip rule add` would repeat it). */
export async function addSourceRule(ns: Ns, address: string, table: number, priority: number): Promise<void> {
  const family = ipVersion(address) === 6 ? '-6' : '-4';
  const bits = ipVersion(address) === 6 ? 128 : 32;
  const rules = JSON.parse(await ip(ns, ['-j', family, 'rule', 'show'])) as { src?: string; srclen?: number; table?: string }[];
  if (rules.some((r) => r.src === address && (r.srclen ?? bits) === bits && r.table === String(table))) return;
  await ip(ns, [family, 'rule', 'add', 'from', `${address}/${bits}`, 'table', String(table), 'priority', String(priority)]);
}

/**
 * Announces the addresses of every interface that has one (gratuitous ARP, unsolicited neighbour
 * advertisements), as upstream's `send_vip_advertisements` after a HAProxy start or reload outside
 * ACTIVE_STANDBY: neighbours that cached another MAC for an address (the amphora this one replaced,
 * an earlier holder of a reused address) send here at once instead of when their entry expires
 * (tens of seconds). The kernel announces an interface's addresses when its MAC is set and
 * arp_notify / ndisc_notify are on; setting the MAC it already has does that without a raw socket.
 * Best effort: returns the problems instead of throwing (upstream logs and ignores them).
 */
export async function announceAddresses(ns: Ns): Promise<string[]> {
  const problems: string[] = [];
  const sysctls = ['net.ipv4.conf.all.arp_notify=1', ...(existsSync('/proc/sys/net/ipv6') ? ['net.ipv6.conf.all.ndisc_notify=1'] : [])];
  const r = await run(ns, 'sysctl', ['-qw', ...sysctls]);
  if (r.code !== 0) problems.push(`sysctl: ${r.output.trim()}`);
  const withAddress = new Set((await addresses(ns)).filter((a) => a.scope === 'global').map((a) => a.ifname));
  for (const l of await links(ns)) {
    if (!withAddress.has(l.ifname) || l.address === '') continue;
    try {
      await ip(ns, ['link', 'set', 'dev', l.ifname, 'address', l.address]);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}
