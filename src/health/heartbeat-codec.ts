/**
 * The heartbeat wire format (spec §8.1, §14 "Heartbeat datagram"), shared by the agent's sender
 * and the health manager's receiver: `zlib.compress(json_utf8, 9) || hex(HMAC-SHA256(key, compressed))`,
 * the digest as 64 lowercase ASCII hex characters, nothing else. The JSON text is written the way
 * upstream's amphora writes it (Python `json.dumps`: `", "` and `": "` separators, non-ASCII
 * escaped, keys in the order `id, seq, listeners, pools, ver`), so our datagrams are what a stock
 * amphora sends, and a stock amphora's datagrams decode here.
 *
 * Pure: no I/O, no clock. Decoding never throws: a bad datagram is a `{ ok: false, reason }`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';

/** What upstream's receiver reads from one datagram (UDP_MAX_SIZE). */
export const MAX_DATAGRAM_BYTES = 64 * 1024;
/**
 * Largest JSON text accepted after decompression. A 64 KiB datagram of member ids inflates to a
 * few hundred KiB; anything far beyond is a compression bomb, refused before it is parsed.
 */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;
/** Current message version: stats `tx, rx, totconns, ereq` are deltas since the previous message. */
export const HEARTBEAT_VERSION = 3;

const HEX_DIGEST_BYTES = 64;
const RAW_DIGEST_BYTES = 32;

/** Listener counters as sent: deltas in version 3 (except `conns`), absolute values before. */
export interface HeartbeatStats {
  readonly tx: number;
  readonly rx: number;
  readonly conns: number;
  readonly totconns: number;
  readonly ereq: number;
}

export interface HeartbeatListener {
  /** HAProxy's frontend status: `OPEN`, `FULL`, ... (UDP listeners: `OPEN`, `DOWN`). */
  readonly status: string;
  readonly stats: HeartbeatStats;
}

export interface HeartbeatPool {
  /** `UP` or `DOWN`. */
  readonly status: string;
  /** Member id → `UP`, `DOWN`, `DRAIN`, `MAINT`, `no check`, `RESTARTING` (possibly with ` n/m`). */
  readonly members: Readonly<Record<string, string>>;
}

/**
 * One heartbeat, normalised to the version-2+ shape: pools at the top level keyed
 * `<pool_id>:<listener_id>` (or a bare pool id). Version 0/1 messages, which nest pools in their
 * listeners, are flattened on decode (first occurrence of a key wins).
 */
export interface Heartbeat {
  readonly id: string;
  readonly seq: number;
  /** 0 when the message carries no `ver` (pre-versioning amphorae). */
  readonly ver: number;
  readonly listeners: Readonly<Record<string, HeartbeatListener>>;
  readonly pools: Readonly<Record<string, HeartbeatPool>>;
}

export type DecodeResult = { ok: true; heartbeat: Heartbeat; legacyDigest: boolean } | { ok: false; reason: string };

/** `json.dumps(obj)` of upstream's Python (default separators, ensure_ascii) for plain JSON values. */
export function pythonJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('heartbeat values must be finite numbers');
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`).join(', ')}}`;
  }
  throw new TypeError(`cannot encode ${typeof value} in a heartbeat`);
}

function hmacOf(payload: Uint8Array, key: string): Buffer {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(payload).digest();
}

/** The datagram of a heartbeat, as upstream's `wrap_envelope(msg, key)` builds it. */
export function encodeHeartbeat(h: Heartbeat, key: string): Buffer {
  // Key order of upstream's build_stats_message.
  const text = pythonJson({ id: h.id, seq: h.seq, listeners: h.listeners, pools: h.pools, ver: h.ver });
  const payload = deflateSync(Buffer.from(text, 'utf8'), { level: 9 });
  return Buffer.concat([payload, Buffer.from(hmacOf(payload, key).toString('hex'), 'ascii')]);
}

/**
 * Verifies and decodes a datagram. The 64-byte hex trailer is tried first, then upstream's legacy
 * 32-byte raw digest; both comparisons take constant time. Nothing is decompressed before the
 * digest matched, so forged data costs one HMAC.
 */
export function decodeHeartbeat(datagram: Uint8Array, key: string): DecodeResult {
  if (datagram.length > MAX_DATAGRAM_BYTES) return { ok: false, reason: `datagram of ${datagram.length} bytes exceeds ${MAX_DATAGRAM_BYTES}` };
  const buf = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length);
  let payload: Buffer | null = null;
  let legacyDigest = false;
  if (buf.length > HEX_DIGEST_BYTES) {
    const p = buf.subarray(0, buf.length - HEX_DIGEST_BYTES);
    const expected = Buffer.from(hmacOf(p, key).toString('hex'), 'ascii');
    if (timingSafeEqual(expected, buf.subarray(buf.length - HEX_DIGEST_BYTES))) payload = p;
  }
  if (payload === null && buf.length > RAW_DIGEST_BYTES) {
    const p = buf.subarray(0, buf.length - RAW_DIGEST_BYTES);
    if (timingSafeEqual(hmacOf(p, key), buf.subarray(buf.length - RAW_DIGEST_BYTES))) {
      payload = p;
      legacyDigest = true;
    }
  }
  if (payload === null) return { ok: false, reason: buf.length <= RAW_DIGEST_BYTES ? 'datagram too short' : 'HMAC does not match' };

  let json: Buffer;
  try {
    json = inflateSync(payload, { maxOutputLength: MAX_JSON_BYTES });
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { ok: false, reason: e.code === 'ERR_BUFFER_TOO_LARGE' ? `decompressed message exceeds ${MAX_JSON_BYTES} bytes` : `not zlib data: ${e.message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  const parsed = parseHeartbeat(value);
  return parsed.ok ? { ok: true, heartbeat: parsed.heartbeat, legacyDigest } : parsed;
}

type ParseResult = { ok: true; heartbeat: Heartbeat } | { ok: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Checks the decoded JSON against the message structure of versions 0-3. */
export function parseHeartbeat(value: unknown): ParseResult {
  const fail = (reason: string): ParseResult => ({ ok: false, reason });
  if (!isObject(value)) return fail('message is not an object');
  const { id, seq, ver } = value;
  if (typeof id !== 'string' || id === '' || id.length > 255) return fail('"id" is not an amphora id');
  // Replay protection needs a sequence number; every upstream amphora since versioning sends one.
  if (!isCount(seq)) return fail('"seq" is not a non-negative integer');
  if (ver !== undefined && !isCount(ver)) return fail('"ver" is not a non-negative integer');
  const version = ver ?? 0;
  if (!isObject(value['listeners'])) return fail('"listeners" is not an object');

  // Keys are data: no prototype, so "__proto__" or "constructor" are ordinary ids.
  const listeners: Record<string, HeartbeatListener> = Object.create(null) as Record<string, HeartbeatListener>;
  const pools: Record<string, HeartbeatPool> = Object.create(null) as Record<string, HeartbeatPool>;
  const parsePool = (key: string, p: unknown): string | null => {
    if (!isObject(p)) return `pool ${key} is not an object`;
    if (typeof p['status'] !== 'string') return `pool ${key}: "status" is not a string`;
    const members = p['members'] ?? {};
    if (!isObject(members)) return `pool ${key}: "members" is not an object`;
    for (const [m, s] of Object.entries(members)) if (typeof s !== 'string') return `pool ${key}: member ${m} status is not a string`;
    if (!(key in pools)) pools[key] = { status: p['status'], members: Object.assign(Object.create(null) as Record<string, string>, members) };
    return null;
  };
  for (const [lid, l] of Object.entries(value['listeners'])) {
    if (!isObject(l)) return fail(`listener ${lid} is not an object`);
    const status = l['status'];
    const stats = l['stats'];
    if (typeof status !== 'string') return fail(`listener ${lid}: "status" is not a string`);
    if (!isObject(stats)) return fail(`listener ${lid}: "stats" is not an object`);
    const counters: Record<string, number> = {};
    for (const name of ['tx', 'rx', 'conns', 'totconns', 'ereq'] as const) {
      const v = stats[name] ?? 0;
      if (!isCount(v)) return fail(`listener ${lid}: stats.${name} is not a non-negative integer`);
      counters[name] = v;
    }
    listeners[lid] = { status, stats: counters as unknown as HeartbeatStats };
    if (version < 2 && l['pools'] !== undefined) {
      if (!isObject(l['pools'])) return fail(`listener ${lid}: "pools" is not an object`);
      for (const [pk, p] of Object.entries(l['pools'])) {
        const problem = parsePool(pk, p);
        if (problem) return fail(problem);
      }
    }
  }
  if (version >= 2) {
    const top = value['pools'] ?? {};
    if (!isObject(top)) return fail('"pools" is not an object');
    for (const [pk, p] of Object.entries(top)) {
      const problem = parsePool(pk, p);
      if (problem) return fail(problem);
    }
  }
  return { ok: true, heartbeat: { id, seq, ver: version, listeners, pools } };
}
