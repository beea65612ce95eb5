/**
 * Address arithmetic for IPAM: addresses as bigints, CIDRs as (network, prefix), ranges of
 * addresses. IPv4 and IPv6 alike; text in and canonical text out (RFC 5952 for IPv6).
 */
import { bytesToIp, ipToBytes } from './ip.js';

export type IpVersion = 4 | 6;

export interface Address {
  readonly version: IpVersion;
  readonly value: bigint;
}

export interface Cidr {
  readonly version: IpVersion;
  /** The network address (host bits cleared). */
  readonly network: bigint;
  readonly prefix: number;
}

export function bitsOf(version: IpVersion): number {
  return version === 4 ? 32 : 128;
}

export function parseAddress(text: string): Address | null {
  if (text.includes('%') || text.includes('/')) return null;
  const bytes = ipToBytes(text.trim());
  if (!bytes) return null;
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return { version: bytes.length === 4 ? 4 : 6, value };
}

export function formatAddress(a: Address): string {
  const n = a.version === 4 ? 4 : 16;
  const out = new Uint8Array(n);
  let v = a.value;
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return bytesToIp(out);
}

/** The canonical text of an address (compressed IPv6), or null when it is not one. */
export function canonicalAddress(text: string): string | null {
  const a = parseAddress(text);
  return a ? formatAddress(a) : null;
}

/**
 * Parses `address/prefix`. Returns the CIDR and the address as written (its host part may be set:
 * `198.19.0.1/16` is an interface address). Null for anything else.
 */
export function parseInterfaceCidr(text: string): { cidr: Cidr; address: Address } | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const address = parseAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1).trim();
  if (!address || !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > bitsOf(address.version)) return null;
  return { cidr: { version: address.version, network: address.value & maskOf(address.version, prefix), prefix }, address };
}

/** Parses a network CIDR; `strict` refuses host bits (as Neutron refuses `198.18.0.5/24`). */
export function parseCidr(text: string, strict = true): Cidr | null {
  const parsed = parseInterfaceCidr(text);
  if (!parsed) return null;
  if (strict && parsed.address.value !== parsed.cidr.network) return null;
  return parsed.cidr;
}

function maskOf(version: IpVersion, prefix: number): bigint {
  const bits = BigInt(bitsOf(version));
  const all = (1n << bits) - 1n;
  return all ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

export function formatCidr(c: Cidr): string {
  return `${formatAddress({ version: c.version, value: c.network })}/${c.prefix}`;
}

/** The last address of the CIDR (the IPv4 broadcast address). */
export function lastOf(c: Cidr): bigint {
  return c.network + (1n << BigInt(bitsOf(c.version) - c.prefix)) - 1n;
}

export function cidrHas(c: Cidr, a: Address): boolean {
  return a.version === c.version && a.value >= c.network && a.value <= lastOf(c);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= lastOf(b) && b.network <= lastOf(a);
}

/** An inclusive range of addresses of one version. */
export interface AddressRange {
  readonly version: IpVersion;
  readonly first: bigint;
  readonly last: bigint;
}

/**
 * The addresses a subnet hands out when no allocation pools are configured, as Neutron does: the
 * whole CIDR without the network address (the subnet-router anycast address in IPv6), without the
 * IPv4 broadcast address and without the gateway.
 */
export function defaultPools(c: Cidr, gateway: bigint | null): AddressRange[] {
  const first = c.network + 1n;
  const last = c.version === 4 ? lastOf(c) - 1n : lastOf(c);
  if (first > last) return [];
  return withoutAddress({ version: c.version, first, last }, gateway);
}

function withoutAddress(r: AddressRange, a: bigint | null): AddressRange[] {
  if (a === null || a < r.first || a > r.last) return [r];
  const out: AddressRange[] = [];
  if (a > r.first) out.push({ version: r.version, first: r.first, last: a - 1n });
  if (a < r.last) out.push({ version: r.version, first: a + 1n, last: r.last });
  return out;
}

export function rangeSize(r: AddressRange): bigint {
  return r.last - r.first + 1n;
}
