/** IP address helpers with Python ipaddress semantics where upstream relies on them. */
import { isIPv4, isIPv6 } from 'node:net';

export function isIpAddress(value: string): boolean {
  return isIPv4(value) || (isIPv6(value) && !value.includes('%'));
}

export function ipVersion(value: string): 4 | 6 | null {
  if (isIPv4(value)) return 4;
  if (isIPv6(value)) return 6;
  return null;
}

/** The 16 bytes (IPv6) or 4 bytes (IPv4) of an address. */
export function ipToBytes(value: string): Uint8Array | null {
  if (isIPv4(value)) return Uint8Array.from(value.split('.').map(Number));
  if (!isIPv6(value)) return null;
  let v = value;
  // Embedded IPv4 tail.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(v);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    v = v.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = v.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined ? [] : tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  const groups = [...h, ...fill, ...t];
  if (groups.length !== 8) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = Number.parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // RFC 5952: compress the longest run (>= 2) of zero groups.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Exploded upper-case form of an IPv6 address (how upstream compares reserved IPs). */
export function explodeIpv6(value: string): string {
  const b = ipToBytes(value);
  if (!b || b.length !== 16) return value;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16).padStart(4, '0'));
  return groups.join(':').toUpperCase();
}

/**
 * Python's ipaddress.ip_network(value, strict=False).with_prefixlen: the network address with the
 * host bits cleared. Returns null for anything that is not an IPv4 or IPv6 address or network.
 */
export function normaliseCidr(value: string): string | null {
  const slash = value.indexOf('/');
  const addr = slash < 0 ? value : value.slice(0, slash);
  const bytes = ipToBytes(addr);
  if (!bytes) return null;
  const bits = bytes.length * 8;
  let prefix = bits;
  if (slash >= 0) {
    const p = value.slice(slash + 1);
    if (!/^\d+$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > bits) return null;
  }
  const out = new Uint8Array(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return `${bytesToIp(out)}/${prefix}`;
}

/** True when `address` lies inside `cidr`. */
export function cidrContains(cidr: string, address: string): boolean {
  const net = normaliseCidr(cidr);
  const a = ipToBytes(address);
  if (!net || !a) return false;
  const [netAddr, prefixText] = net.split('/') as [string, string];
  const n = ipToBytes(netAddr)!;
  if (n.length !== a.length) return false;
  const prefix = Number(prefixText);
  for (let i = 0; i < n.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((a[i]! & mask) !== n[i]) return false;
  }
  return true;
}
