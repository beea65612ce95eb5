/** Names of the interfaces Octavius creates: the configured prefix, one letter, 8 hex digits (15 at most). */
import { createHash } from 'node:crypto';

/** First 8 hex digits of an id (of its SHA-1 when the id is not a UUID). */
export function shortHex(id: string): string {
  const hex = id.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{8}/.test(hex) ? hex.slice(0, 8) : createHash('sha1').update(id).digest('hex').slice(0, 8);
}

/**
 * `<prefix><kind><8 hex of id>`: kind `m` for management veths (id: the amphora's), `v` for
 * data-plane veths (id: the port's). With a prefix of at most 6 characters it fits IFNAMSIZ.
 */
export function hostVethName(prefix: string, kind: 'm' | 'v', id: string): string {
  return `${prefix}${kind}${shortHex(id)}`;
}
