import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { decodeHeartbeat, encodeHeartbeat, MAX_DATAGRAM_BYTES, MAX_JSON_BYTES, pythonJson, type Heartbeat } from './heartbeat-codec.js';

const KEY = 'insecure-heartbeat-key';

/**
 * A stock amphora's datagram, built by hand exactly as upstream's health daemon does
 * (status_message.wrap_envelope) with CPython 3 and zlib 1.2.13:
 *   j = json.dumps(msg).encode(); p = zlib.compress(j, 9)
 *   datagram = p + hmac.new(b'insecure-heartbeat-key', p, hashlib.sha256).hexdigest().encode()
 */
const UPSTREAM_JSON =
  '{"id": "3f9c2a6e-5d7b-4c1e-9a8f-0b1c2d3e4f50", "seq": 3, "listeners": {"a1b2c3d4-0000-4000-8000-000000000001": ' +
  '{"status": "OPEN", "stats": {"tx": 1200, "rx": 340, "conns": 2, "totconns": 5, "ereq": 1}}}, "pools": ' +
  '{"b1b2c3d4-0000-4000-8000-000000000002:a1b2c3d4-0000-4000-8000-000000000001": {"status": "UP", "members": ' +
  '{"c1b2c3d4-0000-4000-8000-000000000003": "UP", "c1b2c3d4-0000-4000-8000-000000000004": "DOWN"}}}, "ver": 3}';
const UPSTREAM_DATAGRAM = Buffer.from(
  '78da9d50cb0a833010fc15c9b981bc6cb5e7f6aa5e4acf26ae20f868352d05f1dfbbab88474bf7b099596687d98cac2ad83960ba8c9dca8fc0c3e264' +
    'b97112789c472517563a5568306528d82160033c51ae11d5d5e0a1857e403eb25c5ae57461b8c0e2865a444d6c2567e1e073ffa21d9666d764b6c4c962' +
    'e23ff84825044e7bc2da10745ddb924021f69d5f698814fa398f9ca609d9a3ebeac5c9eec751e73f32df324adc4063d7c3ddbe89de367f501b525fd27b' +
    'c296a3ded0d34f4c5ff424699f32663161396135653037396639333633343033386562333461323064623137663963633638643365316333363034366135' +
    '343064303361353062343533393033',
  'hex',
);

const SAMPLE: Heartbeat = {
  id: '3f9c2a6e-5d7b-4c1e-9a8f-0b1c2d3e4f50',
  seq: 3,
  ver: 3,
  listeners: { 'a1b2c3d4-0000-4000-8000-000000000001': { status: 'OPEN', stats: { tx: 1200, rx: 340, conns: 2, totconns: 5, ereq: 1 } } },
  pools: {
    'b1b2c3d4-0000-4000-8000-000000000002:a1b2c3d4-0000-4000-8000-000000000001': {
      status: 'UP',
      members: { 'c1b2c3d4-0000-4000-8000-000000000003': 'UP', 'c1b2c3d4-0000-4000-8000-000000000004': 'DOWN' },
    },
  },
};

/** An envelope around arbitrary bytes, signed with `key` (hex trailer unless `raw`). */
function envelope(payload: Buffer, key = KEY, raw = false): Buffer {
  const digest = createHmac('sha256', key).update(payload).digest();
  return Buffer.concat([payload, raw ? digest : Buffer.from(digest.toString('hex'), 'ascii')]);
}

const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe('heartbeat codec', () => {
  test("a stock upstream amphora's datagram is accepted, byte for byte", () => {
    assert.equal(UPSTREAM_DATAGRAM.length, 259);
    assert.equal(UPSTREAM_DATAGRAM.subarray(0, 2).toString('hex'), '78da', 'zlib level 9 header');
    const r = decodeHeartbeat(UPSTREAM_DATAGRAM, KEY);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(r.legacyDigest, false);
    assert.deepEqual(plain(r.heartbeat), plain(SAMPLE));
  });

  test('our JSON text is what Python json.dumps writes (separators, key order), and our datagram decodes', () => {
    assert.equal(pythonJson({ id: SAMPLE.id, seq: SAMPLE.seq, listeners: SAMPLE.listeners, pools: SAMPLE.pools, ver: SAMPLE.ver }), UPSTREAM_JSON);
    const ours = encodeHeartbeat(SAMPLE, KEY);
    assert.equal(ours.subarray(0, 2).toString('hex'), '78da');
    assert.match(ours.subarray(ours.length - 64).toString('ascii'), /^[0-9a-f]{64}$/);
    const r = decodeHeartbeat(ours, KEY);
    assert.ok(r.ok);
    assert.deepEqual(plain(r.heartbeat), plain(SAMPLE));
    // ensure_ascii as Python: non-ASCII escaped, DEL not.
    assert.equal(pythonJson({ a: 'é\u007f😀' }), '{"a": "\\u00e9\u007f\\ud83d\\ude00"}');
    assert.equal(pythonJson({ listeners: {}, pools: {} }), '{"listeners": {}, "pools": {}}');
  });

  test("upstream's legacy raw 32-byte digest is still accepted", () => {
    const payload = deflateSync(Buffer.from(UPSTREAM_JSON), { level: 9 });
    const r = decodeHeartbeat(envelope(payload, KEY, true), KEY);
    assert.ok(r.ok);
    assert.equal(r.legacyDigest, true);
  });

  test('a wrong key, a forged payload or digest, a truncated datagram are refused as HMAC mismatches', () => {
    assert.deepEqual(decodeHeartbeat(UPSTREAM_DATAGRAM, 'other-key'), { ok: false, reason: 'HMAC does not match' });
    const forged = Buffer.from(UPSTREAM_DATAGRAM);
    forged[10] = forged[10]! ^ 1;
    assert.deepEqual(decodeHeartbeat(forged, KEY), { ok: false, reason: 'HMAC does not match' });
    const badDigest = Buffer.from(UPSTREAM_DATAGRAM);
    badDigest[badDigest.length - 1] = 'a'.charCodeAt(0) === badDigest[badDigest.length - 1] ? 98 : 97;
    assert.deepEqual(decodeHeartbeat(badDigest, KEY), { ok: false, reason: 'HMAC does not match' });
    // The digest in upper case is not upstream's hexdigest().
    const upper = Buffer.concat([UPSTREAM_DATAGRAM.subarray(0, 195), Buffer.from(UPSTREAM_DATAGRAM.subarray(195).toString('ascii').toUpperCase())]);
    assert.equal(decodeHeartbeat(upper, KEY).ok, false);
    for (const n of [1, 10, 64, 200]) assert.equal(decodeHeartbeat(UPSTREAM_DATAGRAM.subarray(0, UPSTREAM_DATAGRAM.length - n), KEY).ok, false, `truncated by ${n}`);
    assert.deepEqual(decodeHeartbeat(UPSTREAM_DATAGRAM.subarray(0, 20), KEY), { ok: false, reason: 'datagram too short' });
    assert.deepEqual(decodeHeartbeat(Buffer.alloc(0), KEY), { ok: false, reason: 'datagram too short' });
  });

  test('garbage is refused without an exception', () => {
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.alloc(i * 7);
      for (let j = 0; j < junk.length; j++) junk[j] = (i * 31 + j * 17) & 0xff;
      assert.equal(decodeHeartbeat(junk, KEY).ok, false);
    }
  });

  test('authentic but malformed messages are refused with a reason', () => {
    const signed = (text: string) => envelope(deflateSync(Buffer.from(text), { level: 9 }));
    const reason = (d: Buffer) => {
      const r = decodeHeartbeat(d, KEY);
      assert.equal(r.ok, false);
      return r.ok ? '' : r.reason;
    };
    assert.match(reason(envelope(Buffer.from('not zlib at all'))), /^not zlib data/);
    assert.match(reason(signed('{"id": ')), /^not JSON/);
    assert.match(reason(envelope(deflateSync(Buffer.from([0x7b, 0xff, 0x7d])))), /^not JSON/);
    assert.match(reason(signed('[1, 2]')), /not an object/);
    assert.match(reason(signed('{"seq": 1, "listeners": {}, "pools": {}, "ver": 3}')), /"id"/);
    assert.match(reason(signed('{"id": "a", "listeners": {}, "pools": {}, "ver": 3}')), /"seq"/);
    assert.match(reason(signed('{"id": "a", "seq": -1, "listeners": {}, "pools": {}, "ver": 3}')), /"seq"/);
    assert.match(reason(signed('{"id": "a", "seq": 1, "pools": {}, "ver": 3}')), /"listeners"/);
    assert.match(reason(signed('{"id": "a", "seq": 1, "listeners": {"l": {"status": "OPEN", "stats": {"tx": "1"}}}, "pools": {}, "ver": 3}')), /stats\.tx/);
    assert.match(reason(signed('{"id": "a", "seq": 1, "listeners": {}, "pools": {"p": {"status": "UP", "members": {"m": 1}}}, "ver": 3}')), /member m/);
  });

  test('oversized datagrams and compression bombs are refused', () => {
    assert.match((decodeHeartbeat(Buffer.alloc(MAX_DATAGRAM_BYTES + 1), KEY) as { reason: string }).reason, /exceeds/);
    const bomb = deflateSync(Buffer.alloc(MAX_JSON_BYTES + 1, 0x20), { level: 9 });
    assert.ok(bomb.length < MAX_DATAGRAM_BYTES);
    assert.match((decodeHeartbeat(envelope(bomb), KEY) as { reason: string }).reason, /decompressed message exceeds/);
  });

  test('version 0/1 messages (pools inside listeners) are flattened; ids like __proto__ stay data', () => {
    const text =
      '{"id": "amp", "seq": 0, "listeners": {"__proto__": {"status": "OPEN", "stats": {"tx": 1, "rx": 2, "conns": 0, "totconns": 1, "ereq": 0}, ' +
      '"pools": {"p1": {"status": "UP", "members": {"m1": "UP"}}}}}}';
    const r = decodeHeartbeat(envelope(deflateSync(Buffer.from(text))), KEY);
    assert.ok(r.ok);
    assert.equal(r.heartbeat.ver, 0);
    assert.deepEqual(Object.keys(r.heartbeat.listeners), ['__proto__']);
    assert.equal(r.heartbeat.pools['p1']?.members['m1'], 'UP');
    assert.equal(Object.getPrototypeOf(r.heartbeat.listeners), null);
  });
});
