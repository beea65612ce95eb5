/**
 * Address choice of the local network driver, pure: which address of a subnet is free, whether a
 * requested one may be used, how many remain. The database decides races (unique key); this module
 * only proposes.
 */
import { randomBytes } from 'node:crypto';
import type { Subnet } from '../../domain/network.js';
import { cidrHas, formatAddress, lastOf, parseAddress, parseCidr, type AddressRange } from '../../lib/ip-range.js';

function poolsOf(subnet: Subnet): AddressRange[] {
  return subnet.allocationPools.map((p) => {
    const start = parseAddress(p.start)!;
    return { version: start.version, first: start.value, last: parseAddress(p.end)!.value };
  });
}

/** The lowest address of the pools that is not in `used` (canonical texts), or null when full. */
export function firstFree(subnet: Subnet, used: ReadonlySet<string>): string | null {
  for (const pool of poolsOf(subnet)) {
    // At most used.size + 1 steps per pool, whatever the pool's size (an IPv6 /64 included).
    for (let v = pool.first; v <= pool.last; v++) {
      const text = formatAddress({ version: pool.version, value: v });
      if (!used.has(text)) return text;
    }
  }
  return null;
}

/** Free addresses in the pools (capped at Number.MAX_SAFE_INTEGER for huge IPv6 pools). */
export function availableCount(subnet: Subnet, used: Iterable<string>): number {
  const pools = poolsOf(subnet);
  let total = pools.reduce((n, p) => n + (p.last - p.first + 1n), 0n);
  for (const text of used) {
    const a = parseAddress(text);
    if (a && pools.some((p) => a.version === p.version && a.value >= p.first && a.value <= p.last)) total--;
  }
  return total > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(total);
}

/**
 * Why a requested address cannot be a port's address on this subnet (null: it can). As Neutron, an
 * address outside the pools but inside the CIDR is allowed. The network address (IPv6: the
 * subnet-router anycast address) and the IPv4 broadcast address are not addresses of the subnet;
 * the gateway's address is taken (by the host).
 */
export function requestedAddressProblem(subnet: Subnet, text: string): 'invalid' | 'taken' | null {
  const a = parseAddress(text);
  const cidr = parseCidr(subnet.cidr)!;
  if (!a || !cidrHas(cidr, a)) return 'invalid';
  if (a.value === cidr.network && (cidr.version === 6 || cidr.prefix < 31)) return 'invalid';
  if (a.value === lastOf(cidr) && cidr.version === 4 && cidr.prefix < 31) return 'invalid';
  if (subnet.gatewayIp !== null && parseAddress(subnet.gatewayIp)!.value === a.value) return 'taken';
  return null;
}

/** A MAC in Neutron's default base (fa:16:3e), the rest random. */
export function randomMac(): string {
  return ['fa', '16', '3e', ...[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
