/**
 * What members learn about the client: X-Forwarded-* headers an HTTP listener inserts when asked
 * (`insert_headers`), and the PROXY protocol header (v1 text, v2 binary) that PROXY and PROXYV2
 * pools send behind TCP and HTTP listeners. Requests leave from an extra host address on the VIP
 * network so that "the client address" is not the one address the host would use anyway.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { rootSkipReason, startDataPlane, type DataPlane } from '../support/dataplane.js';

/** Source address and ports of a PROXY v2 header as the harness records it (`PROXYv2 <hex from byte 12>`). */
function parseProxyV2(line: string): { command: number; family: number; src: string; dst: string; srcPort: number; dstPort: number } {
  assert.match(line, /^PROXYv2 [0-9a-f]+$/);
  const b = Buffer.from(line.slice('PROXYv2 '.length), 'hex');
  const ip = (at: number) => [...b.subarray(at, at + 4)].join('.');
  return { command: b[0]!, family: b[1]!, src: ip(4), dst: ip(8), srcPort: b.readUInt16BE(12), dstPort: b.readUInt16BE(14) };
}

describe('client address at the members: insert_headers and the PROXY protocol', { skip: rootSkipReason() }, () => {
  let dp: DataPlane;
  let vip: string;
  let client: string;

  before(async () => {
    dp = await startDataPlane();
    // A second host address on the VIP network (below the allocation pool), used as the client.
    client = `${dp.vip4.stem}.50`;
    execFileSync('ip', ['address', 'add', `${client}/24`, 'dev', `${dp.prefix}bv`]);
    const g = dp.vip4.gateway;
    await dp.httpMember('headers', g, 18301);
    await dp.httpMember('plain', g, 18302);
    await dp.httpMember('tcp-proxy', g, 18303, { proxyProtocol: true });
    await dp.httpMember('tcp-proxyv2', g, 18304, { proxyProtocol: true });
    await dp.httpMember('http-proxy', g, 18305, { proxyProtocol: true });
    await dp.httpMember('http-proxyv2', g, 18306, { proxyProtocol: true });
    const pool = (name: string, protocol: string, port: number) => ({
      name,
      protocol,
      lb_algorithm: 'ROUND_ROBIN',
      members: [{ address: g, protocol_port: port, subnet_id: dp.vip4.id }],
    });
    const lb = await dp.createLoadBalancer({
      listeners: [
        {
          protocol: 'HTTP',
          protocol_port: 8080,
          insert_headers: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' },
          default_pool: pool('headers', 'HTTP', 18301),
        },
        { protocol: 'HTTP', protocol_port: 8081, default_pool: pool('plain', 'HTTP', 18302) },
        { protocol: 'TCP', protocol_port: 9001, default_pool: pool('tcp-proxy', 'PROXY', 18303) },
        { protocol: 'TCP', protocol_port: 9002, default_pool: pool('tcp-proxyv2', 'PROXYV2', 18304) },
        { protocol: 'HTTP', protocol_port: 9003, default_pool: pool('http-proxy', 'PROXY', 18305) },
        { protocol: 'HTTP', protocol_port: 9004, default_pool: pool('http-proxyv2', 'PROXYV2', 18306) },
      ],
    });
    vip = lb.vip;
  });
  after(async () => {
    await dp?.close();
    if (dp) assert.deepEqual(dp.leftovers(), []);
  });

  const get = async (port: number, headers: Record<string, string> = {}, from = client) => {
    const res = await dp.http(`http://${vip}:${port}/who`, { localAddress: from, headers });
    assert.equal(res.status, 200, res.text);
    return res.json;
  };

  test('insert_headers: X-Forwarded-For is the client, X-Forwarded-Port the listener port, X-Forwarded-Proto http', async () => {
    const seen = await get(8080, { 'x-forwarded-port': '1', 'x-forwarded-proto': 'gopher' });
    assert.equal(seen.member, 'headers');
    assert.equal(seen.headers['x-forwarded-for'], client);
    assert.equal(seen.headers['x-forwarded-port'], '8080', 'set, not appended: the client cannot choose it');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.notEqual(seen.peer.split(':')[0], client, 'the member itself only sees the amphora');
    const other = await get(8080, {}, dp.vip4.gateway);
    assert.equal(other.headers['x-forwarded-for'], dp.vip4.gateway, 'per request, not a constant');
  });

  test('without insert_headers nothing is added', async () => {
    const seen = await get(8081);
    assert.equal(seen.member, 'plain');
    for (const h of ['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto']) assert.equal(seen.headers[h], undefined, h);
  });

  for (const [listener, port, member] of [['TCP', 9001, 'tcp-proxy'], ['HTTP', 9003, 'http-proxy']] as const) {
    test(`PROXY pool behind a ${listener} listener: the member gets a PROXY v1 line with the client address`, async () => {
      const seen = await get(port);
      assert.equal(seen.member, member);
      const m = /^PROXY TCP4 (\S+) (\S+) (\d+) (\d+)$/.exec(seen.proxyLine ?? '');
      assert.ok(m, `PROXY v1 line: ${seen.proxyLine}`);
      assert.deepEqual([m[1], m[2], m[4]], [client, vip, String(port)]);
      assert.notEqual(seen.peer.split(':')[0], client);
      // Another client right after: a reused server connection would still carry the first header.
      const other = await get(port, {}, dp.vip4.gateway);
      assert.equal(other.proxyLine?.split(' ')[2], dp.vip4.gateway, 'each connection carries its own client');
    });
  }

  for (const [listener, port, member] of [['TCP', 9002, 'tcp-proxyv2'], ['HTTP', 9004, 'http-proxyv2']] as const) {
    test(`PROXYV2 pool behind a ${listener} listener: the member gets a PROXY v2 header with the client address`, async () => {
      const seen = await get(port);
      assert.equal(seen.member, member);
      assert.ok(seen.proxyLine?.startsWith('PROXYv2 '), `PROXY v2 header: ${seen.proxyLine}`);
      const h = parseProxyV2(seen.proxyLine);
      assert.equal(h.command, 0x21, 'version 2, PROXY command');
      assert.equal(h.family, 0x11, 'TCP over IPv4');
      assert.deepEqual([h.src, h.dst, h.dstPort], [client, vip, port]);
      const other = parseProxyV2((await get(port, {}, dp.vip4.gateway)).proxyLine ?? '');
      assert.equal(other.src, dp.vip4.gateway, 'each connection carries its own client');
    });
  }
});
