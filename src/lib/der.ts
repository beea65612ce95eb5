/**
 * Just enough DER to read the two X.509 structures node:crypto cannot: certificate revocation
 * lists (to check who signed them) and PKCS#7 certificate bundles (intermediate chains). A reader
 * of tag-length-value triples, PEM unwrapping, and the two structure walkers. Anything malformed
 * throws DerError; nothing here trusts lengths it has not checked.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export class DerError extends Error {}

export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  readonly tag: number;
  /** Offset of the value inside the buffer. */
  readonly start: number;
  /** Offset just past the value. */
  readonly end: number;
  /** Offset of the identifier octet (start of the whole element). */
  readonly offset: number;
}

export const TAG = { INTEGER: 0x02, BIT_STRING: 0x03, OID: 0x06, SEQUENCE: 0x30, SET: 0x31 } as const;

/** Reads the element at `offset`; `limit` is the end of the enclosing value. */
export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let length = buf[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) throw new DerError('unsupported length');
    if (start + n > limit) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + length;
  if (end > limit) throw new DerError('element overruns its container');
  return { tag, start, end, offset };
}

/** The elements inside a constructed value. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const t = readTlv(buf, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t || t.tag !== tag) throw new DerError(`expected ${what}`);
  return t;
}

/** Dotted form of an OBJECT IDENTIFIER value. */
export function oidText(buf: Uint8Array, t: Tlv): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = t.start; i < t.end; i++) {
    const b = buf[i]!;
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** The DER bytes of every PEM block labelled `label` (e.g. "X509 CRL"), in order. */
export function pemBlocks(text: string, label: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  const out: Buffer[] = [];
  for (const m of text.matchAll(re)) {
    const body = m[1]!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new DerError('invalid base64 in PEM block');
    out.push(Buffer.from(body, 'base64'));
  }
  return out;
}

export interface Crl {
  /** The signed part (tbsCertList), exactly as encoded. */
  readonly tbs: Buffer;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
}

/** CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }. */
export function parseCrl(der: Buffer): Crl {
  const outer = expect(readTlv(der, 0), TAG.SEQUENCE, 'CertificateList');
  if (outer.end !== der.length) throw new DerError('trailing data after CertificateList');
  const [tbs, alg, sig] = children(der, outer);
  expect(tbs, TAG.SEQUENCE, 'tbsCertList');
  const algOid = expect(children(der, expect(alg, TAG.SEQUENCE, 'AlgorithmIdentifier'))[0], TAG.OID, 'algorithm');
  const bits = expect(sig, TAG.BIT_STRING, 'signatureValue');
  if (bits.end - bits.start < 1 || der[bits.start] !== 0) throw new DerError('unsupported signature bit string');
  return {
    tbs: der.subarray(tbs!.offset, tbs!.end),
    signatureAlgorithm: oidText(der, algOid),
    signature: der.subarray(bits.start + 1, bits.end),
  };
}

const DIGEST_OF: Readonly<Record<string, string | null>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null, // Ed25519
  '1.3.101.113': null, // Ed448
};

/** True when `crl` carries a valid signature by `issuerKey`; false for unknown algorithms. */
export function crlSignedBy(crl: Crl, issuerKey: KeyObject | string): boolean {
  if (!(crl.signatureAlgorithm in DIGEST_OF)) return false;
  const key = typeof issuerKey === 'string' ? createPublicKey(issuerKey) : issuerKey;
  try {
    return verify(DIGEST_OF[crl.signatureAlgorithm] ?? null, crl.tbs, key, crl.signature);
  } catch {
    return false;
  }
}

const SIGNED_DATA = '1.2.840.113549.1.7.2';

/**
 * The DER certificates of a PKCS#7 SignedData bundle (ContentInfo { contentType signedData,
 * [0] EXPLICIT SignedData { version, digestAlgorithms, contentInfo, [0] IMPLICIT certificates } }).
 */
export function pkcs7Certificates(der: Buffer): Buffer[] {
  const info = expect(readTlv(der, 0), TAG.SEQUENCE, 'ContentInfo');
  const [type, content] = children(der, info);
  if (oidText(der, expect(type, TAG.OID, 'contentType')) !== SIGNED_DATA) throw new DerError('not a signedData bundle');
  const explicit = expect(content, 0xa0, 'content');
  const signed = expect(children(der, explicit)[0], TAG.SEQUENCE, 'SignedData');
  const certs = children(der, signed).find((t) => t.tag === 0xa0);
  if (!certs) return [];
  return children(der, certs)
    .filter((t) => t.tag === TAG.SEQUENCE)
    .map((t) => der.subarray(t.offset, t.end));
}
