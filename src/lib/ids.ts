/** Identifiers: random v4 UUIDs for new objects, name-based UUIDs for idempotent retries. */
import { createHash, randomUUID } from 'node:crypto';

export function newId(): string {
  return randomUUID();
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Accepts what upstream's UuidType accepts: 32 hex digits, with or without the four dashes. */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value) && (value.length === 32 || value.length === 36);
}

/** The canonical lower-case dashed form of a UUID accepted by isUuid(). */
export function canonicalUuid(value: string): string {
  const hex = value.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * A UUID (version 5 layout, SHA-1) derived from a namespace string and a name. The same inputs
 * always give the same id, which lets a re-run task find the object its first attempt created.
 */
export function stableId(namespace: string, name: string): string {
  const hash = createHash('sha1').update(namespace).update('\0').update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return canonicalUuid(hex);
}

/**
 * Python's uuid.UUID() parsing: optional `urn:uuid:` prefix and braces, dashes anywhere, 32 hex
 * digits, any case. Returns the canonical form, or null.
 */
export function parseUuid(value: string): string | null {
  let v = value;
  if (v.toLowerCase().startsWith('urn:uuid:')) v = v.slice(9);
  if (v.startsWith('{') && v.endsWith('}')) v = v.slice(1, -1);
  const hex = v.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  return canonicalUuid(hex);
}
