/**
 * Which member gets a request, with real traffic through the VIP of one load balancer: HTTP and
 * TCP listeners, every lb_algorithm and every session persistence type. Each listener has its own
 * pool and member servers, so what a member received belongs to one case only. The assertions
 * read what the members answered (their name in the echo), never HAProxy's configuration.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { rootSkipReason, startDataPlane, type DataPlane, type HttpMember } from '../support/dataplane.js';
import { addClientAddress, keepAliveAgent, tally, until } from './traffic.js';

const PORT = {
  roundRobin: 80,
  tcp: 81,
  leastConnections: 82,
  sourceIp: 83,
  sourceIpPort: 84,
  stickySourceIp: 85,
  httpCookie: 86,
  appCookie: 87,
} as const;

describe('balancing through the VIP', { skip: rootSkipReason() }, () => {
  let dp: DataPlane;
  let vip: string;
  let lbId: string;
  const held: HttpMember[] = [];

  before(async () => {
    dp = await startDataPlane();
    const g = dp.vip4.gateway;
    // Member ports: 20<listener port><member number>.
    const http = (name: string, port: number, o = {}) => dp.httpMember(name, g, port, o);
    await Promise.all([
      http('rr1', 20801),
      http('rr2', 20802),
      dp.tcpMember('tcp1', g, 20811),
      dp.tcpMember('tcp2', g, 20812),
      http('lc1', 20821, { hold: true }).then((m) => held.push(m)),
      http('lc2', 20822, { hold: true }).then((m) => held.push(m)),
      http('sip1', 20831),
      http('sip2', 20832),
      dp.tcpMember('sipp1', g, 20841),
      dp.tcpMember('sipp2', g, 20842),
      http('sticky1', 20851),
      http('sticky2', 20852),
      http('hc1', 20861),
      http('hc2', 20862),
      http('ac1', 20871, { setCookie: 'JSESSIONID' }),
      http('ac2', 20872, { setCookie: 'JSESSIONID' }),
    ]);
    const members = (listenerPort: number) => [1, 2].map((n) => ({ address: g, protocol_port: 20000 + listenerPort * 10 + n, subnet_id: dp.vip4.id }));
    const listener = (port: number, protocol: 'HTTP' | 'TCP', pool: Record<string, unknown>) => ({
      name: `l${port}`,
      protocol,
      protocol_port: port,
      default_pool: { name: `p${port}`, protocol, members: members(port), ...pool },
    });
    const lb = await dp.createLoadBalancer({
      name: 'balancing',
      listeners: [
        listener(PORT.roundRobin, 'HTTP', { lb_algorithm: 'ROUND_ROBIN' }),
        listener(PORT.tcp, 'TCP', { lb_algorithm: 'ROUND_ROBIN' }),
        listener(PORT.leastConnections, 'HTTP', { lb_algorithm: 'LEAST_CONNECTIONS' }),
        listener(PORT.sourceIp, 'HTTP', { lb_algorithm: 'SOURCE_IP' }),
        listener(PORT.sourceIpPort, 'TCP', { lb_algorithm: 'SOURCE_IP_PORT' }),
        listener(PORT.stickySourceIp, 'HTTP', { lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'SOURCE_IP' } }),
        listener(PORT.httpCookie, 'HTTP', { lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'HTTP_COOKIE' } }),
        listener(PORT.appCookie, 'HTTP', { lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'APP_COOKIE', cookie_name: 'JSESSIONID' } }),
      ],
    });
    vip = lb.vip;
    lbId = lb.id;
  });

  after(async () => {
    for (const m of held) m.release();
    await dp?.close();
    if (dp) assert.deepEqual(dp.leftovers(), []);
  });

  const memberOf = async (port: number, o: { headers?: Record<string, string>; localAddress?: string } = {}) => {
    const r = await dp.http(`http://${vip}:${port}/`, o);
    assert.equal(r.status, 200, r.text);
    return r.json.member as string;
  };
  const sequence = async (n: number, probe: () => Promise<string>) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await probe());
    return out;
  };

  test('HTTP listener, ROUND_ROBIN: requests alternate evenly between the members', async () => {
    const seen = await sequence(8, () => memberOf(PORT.roundRobin));
    for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `no alternation: ${seen.join(' ')}`);
    assert.deepEqual(tally(seen), { rr1: 4, rr2: 4 });
  });

  test('TCP listener with a TCP pool: connections alternate, the members write their name', async () => {
    const seen = await sequence(6, async () => (await dp.tcp(vip, PORT.tcp)).trim());
    for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `no alternation: ${seen.join(' ')}`);
    assert.deepEqual(tally(seen), { tcp1: 3, tcp2: 3 });
  });

  test('LEAST_CONNECTIONS: while one member holds a long request, new requests go to the other', async () => {
    const [lc1, lc2] = held as [HttpMember, HttpMember];
    const long = dp.http(`http://${vip}:${PORT.leastConnections}/hold`, { timeoutMs: 20_000 });
    let busy: HttpMember;
    try {
      busy = await until('the long request reaches a member', 5000, () => (lc1.holding() === 1 ? lc1 : lc2.holding() === 1 ? lc2 : undefined));
      const idle = busy === lc1 ? lc2 : lc1;
      // Round robin would send every second one of these to the busy member.
      const seen = await sequence(6, () => memberOf(PORT.leastConnections));
      assert.deepEqual(tally(seen), { [idle.name]: 6 });
      assert.equal(busy.served(), 1, 'the busy member got nothing but the long request');
    } finally {
      lc1.release();
      lc2.release();
      await Promise.allSettled([long]);
    }
    const reply = await long;
    assert.equal(reply.status, 200);
    assert.equal(reply.json.member, busy.name);
    // Both idle again: the load is shared again.
    const after = await sequence(4, () => memberOf(PORT.leastConnections));
    assert.deepEqual(Object.keys(tally(after)), ['lc1', 'lc2']);
  });

  test('SOURCE_IP: one client address always gets the same member, different addresses are spread', async () => {
    const clients = [dp.vip4.gateway, ...[2, 3, 4, 5].map((n) => addClientAddress(dp, n))];
    const chosen = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (const localAddress of clients) {
        const member = await memberOf(PORT.sourceIp, { localAddress });
        assert.equal(chosen.get(localAddress) ?? member, member, `client ${localAddress} moved between members`);
        chosen.set(localAddress, member);
      }
    }
    assert.deepEqual(Object.keys(tally([...chosen.values()])), ['sip1', 'sip2'], `all clients on one member: ${JSON.stringify([...chosen])}`);
  });

  test('SOURCE_IP_PORT: connections from one address but different ports reach both members', async () => {
    const seen = await sequence(16, async () => (await dp.tcp(vip, PORT.sourceIpPort)).trim());
    const counts = tally(seen);
    assert.deepEqual(Object.keys(counts), ['sipp1', 'sipp2'], `one member only: ${JSON.stringify(counts)}`);
  });

  test('persistence SOURCE_IP: repeated requests of a client stick to the member it got first', async () => {
    const other = addClientAddress(dp, 6);
    const first = await sequence(5, () => memberOf(PORT.stickySourceIp));
    const second = await sequence(5, () => memberOf(PORT.stickySourceIp, { localAddress: other }));
    assert.equal(Object.keys(tally(first)).length, 1, `gateway client moved: ${first.join(' ')}`);
    assert.equal(Object.keys(tally(second)).length, 1, `second client moved: ${second.join(' ')}`);
    // Under the stickiness it is round robin: the second client's first request went to the other member.
    assert.notEqual(first[0], second[0]);
  });

  test('persistence HTTP_COOKIE: the first answer sets a cookie, requests with it stick, without it they alternate', async () => {
    const first = await dp.http(`http://${vip}:${PORT.httpCookie}/`);
    const setCookie = first.headers['set-cookie']?.[0];
    assert.ok(setCookie, `no cookie set: ${JSON.stringify(first.headers)}`);
    const cookie = setCookie.split(';')[0]!;
    // The cookie names the member by its id (upstream's choice): check it is the one that answered.
    const members = await dp.api.request('GET', `/v2/lbaas/pools/${await poolId(PORT.httpCookie)}/members`, { project: 'e2e' });
    const answered = members.body.members.find((m: { protocol_port: number }) => m.protocol_port === (first.json.member === 'hc1' ? 20861 : 20862));
    assert.equal(cookie, `SRV=${answered.id}`);

    const sticky = await sequence(6, () => memberOf(PORT.httpCookie, { headers: { cookie } }));
    assert.deepEqual(tally(sticky), { [first.json.member]: 6 });
    const free = await sequence(6, () => memberOf(PORT.httpCookie));
    assert.deepEqual(tally(free), { hc1: 3, hc2: 3 });
  });

  test('persistence APP_COOKIE: requests carrying the session cookie the member set stick to that member', async () => {
    // Without the cookie: round robin, and each member sets JSESSIONID=<its name>, which HAProxy learns.
    const free = await sequence(4, async () => {
      const r = await dp.http(`http://${vip}:${PORT.appCookie}/`);
      assert.equal(r.headers['set-cookie']?.[0], `JSESSIONID=${r.json.member}; Path=/`);
      return r.json.member as string;
    });
    assert.deepEqual(tally(free), { ac1: 2, ac2: 2 });
    for (const session of ['ac1', 'ac2']) {
      const sticky = await sequence(5, () => memberOf(PORT.appCookie, { headers: { cookie: `other=1; JSESSIONID=${session}` } }));
      assert.deepEqual(tally(sticky), { [session]: 5 }, `session ${session}`);
    }
  });

  test('keep-alive clients: each request of one connection is balanced on its own (HTTP mode)', async () => {
    // One client connection, several requests: HTTP listeners balance per request, not per connection.
    const agent = keepAliveAgent();
    const peers = new Set<number>();
    try {
      const seen = await sequence(4, () =>
        new Promise<string>((ok, fail) => {
          const req = request(`http://${vip}:${PORT.roundRobin}/ka`, { agent }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => ok((JSON.parse(text) as { member: string }).member));
          });
          req.on('socket', (s) => s.once('connect', () => peers.add(s.localPort ?? 0)));
          req.on('error', fail);
          req.end();
        }),
      );
      assert.equal(peers.size, 1, 'all requests went over one client connection');
      assert.deepEqual(tally(seen), { rr1: 2, rr2: 2 });
    } finally {
      agent.destroy();
    }
  });

  async function poolId(listenerPort: number): Promise<string> {
    const res = await dp.api.request('GET', `/v2/lbaas/pools?loadbalancer_id=${lbId}`, { project: 'e2e' });
    const pool = res.body.pools.find((p: { name: string }) => p.name === `p${listenerPort}`);
    assert.ok(pool, `pool p${listenerPort}: ${res.text}`);
    return pool.id as string;
  }
});
