/**
 * Interfaces, bridges and namespaces through iproute2. Every function is idempotent: creating what
 * exists or deleting what is gone succeeds, so a retried task converges.
 */
import { existsSync } from 'node:fs';
import { DomainError } from '../../domain/errors.js';
import { ip, isExists, isMissing } from './command.js';

export interface LinkInfo {
  readonly ifname: string;
  readonly address: string;
  readonly master: string | null;
  readonly kind: string | null;
}

/** Namespaces are bind mounts under /run/netns (iproute2's convention). */
export const NETNS_DIR = '/run/netns';

export function netnsExists(name: string): boolean {
  return existsSync(`${NETNS_DIR}/${name}`);
}

/** True when the interface exists in the root namespace (no process spawned). */
export function hostLinkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

export async function listLinks(netns?: string): Promise<LinkInfo[]> {
  const args = [...(netns ? ['-n', netns] : []), '-j', '-d', 'link', 'show'];
  const out = JSON.parse((await ip(args)) || '[]') as {
    ifname: string;
    address?: string;
    master?: string;
    linkinfo?: { info_kind?: string };
  }[];
  return out.map((l) => ({ ifname: l.ifname, address: (l.address ?? '').toLowerCase(), master: l.master ?? null, kind: l.linkinfo?.info_kind ?? null }));
}

export async function addNetns(name: string): Promise<void> {
  try {
    await ip(['netns', 'add', name]);
  } catch (err) {
    if (!isExists(err)) throw err;
  }
}

export async function deleteNetns(name: string): Promise<void> {
  if (!netnsExists(name)) return;
  try {
    await ip(['netns', 'delete', name]);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
}

/** Deletes an interface (a veth takes its peer with it). Succeeds when it is gone. */
export async function deleteLink(name: string, netns?: string): Promise<void> {
  if (!netns && !hostLinkExists(name)) return;
  try {
    await ip([...(netns ? ['-n', netns] : []), 'link', 'delete', name]);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
}

/**
 * A bridge in the root namespace, up, with the given MTU and interface addresses (`a.b.c.d/nn`,
 * IPv6 without duplicate address detection so that it is usable at once).
 */
export async function ensureBridge(name: string, mtu: number, addresses: readonly string[]): Promise<void> {
  if (!hostLinkExists(name)) {
    try {
      await ip(['link', 'add', name, 'mtu', String(mtu), 'type', 'bridge']);
    } catch (err) {
      if (!isExists(err)) throw err;
    }
  }
  const batch = [`link set ${name} mtu ${mtu} up`];
  for (const a of addresses) batch.push(`address replace ${a} dev ${name}${a.includes(':') ? ' nodad' : ''}`);
  await ip(['-batch', '-'], `${batch.join('\n')}\n`);
}

/**
 * A veth pair: `hostName` in the root namespace enslaved to `bridge` and up; the peer `peerName`
 * inside `netns` with the given MAC and MTU, left down (whoever configures it brings it up).
 */
export async function addVethIntoNetns(options: {
  readonly hostName: string;
  readonly bridge: string;
  readonly netns: string;
  readonly peerName: string;
  readonly mac?: string;
  readonly mtu: number;
}): Promise<void> {
  const o = options;
  const mtu = String(o.mtu);
  await ip(['link', 'add', o.hostName, 'mtu', mtu, 'type', 'veth', 'peer', 'name', o.peerName, 'netns', o.netns, ...(o.mac ? ['address', o.mac] : []), 'mtu', mtu]);
  await attachToBridge(o.hostName, o.bridge);
}

export async function attachToBridge(hostName: string, bridge: string): Promise<void> {
  await ip(['link', 'set', hostName, 'master', bridge, 'up']);
}

/**
 * Makes sure a namespace has an interface with this MAC whose veth peer `hostName` is on `bridge`:
 * the new interface inside is the lowest free `ethN`. Idempotent (the MAC identifies the interface,
 * as the agent identifies it). Returns the interface name inside.
 */
export async function plugIntoNetns(o: { netns: string; hostName: string; bridge: string; mac: string; mtu: number }): Promise<string> {
  let links = await listLinks(o.netns);
  for (let attempt = 0; attempt < 5; attempt++) {
    const present = links.find((l) => l.address === o.mac);
    if (present) {
      if (hostLinkExists(o.hostName)) await attachToBridge(o.hostName, o.bridge);
      return present.ifname;
    }
    // A host end whose peer is not (or no longer) in the namespace is left from an interrupted plug.
    await deleteLink(o.hostName);
    const names = new Set(links.map((l) => l.ifname));
    let n = 1;
    while (names.has(`eth${n}`)) n++;
    try {
      await addVethIntoNetns({ hostName: o.hostName, bridge: o.bridge, netns: o.netns, peerName: `eth${n}`, mac: o.mac, mtu: o.mtu });
      return `eth${n}`;
    } catch (err) {
      if (!isExists(err)) throw err;
      links = await listLinks(o.netns); // another plug took that ethN meanwhile: look again
    }
  }
  throw new DomainError('driver_error', `could not plug ${o.hostName} into ${o.netns}`, { retryable: true });
}
