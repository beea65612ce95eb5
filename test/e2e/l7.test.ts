/**
 * L7 routing with real traffic: one HTTP listener whose policies (created in the single-call
 * create, then through /v2/lbaas/l7policies and /rules) send requests to different pools, redirect
 * or reject them. Every pool has its own member, so the member that answered (or that no member
 * was asked at all) says which policy HAProxy applied.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rootSkipReason, startDataPlane, type DataPlane, type Member } from '../support/dataplane.js';

/** One pool per routing outcome; each has a single member named like the pool. */
const POOLS = ['default', 'api', 'exact', 'regex', 'host', 'header', 'cookie', 'inverted', 'first', 'second'] as const;
type PoolName = (typeof POOLS)[number];

const rule = (type: string, compare_type: string, value: string, extra: Record<string, unknown> = {}) => ({ type, compare_type, value, ...extra });
const toPool = (pool: PoolName, rules: unknown[]) => ({ action: 'REDIRECT_TO_POOL', redirect_pool: { name: pool }, rules });

describe('L7 policies and rules through the VIP', { skip: rootSkipReason() }, () => {
  let dp: DataPlane;
  let lb: { id: string; vip: string; body: Record<string, unknown> };
  let listenerId: string;
  const poolIds = new Map<string, string>();
  const members = new Map<PoolName, Member>();

  before(async () => {
    dp = await startDataPlane();
    const g = dp.vip4.gateway;
    for (const [i, name] of POOLS.entries()) members.set(name, await dp.httpMember(name, g, 18200 + i));
    lb = await dp.createLoadBalancer({
      pools: POOLS.map((name, i) => ({
        name,
        protocol: 'HTTP',
        lb_algorithm: 'ROUND_ROBIN',
        members: [{ address: g, protocol_port: 18200 + i, subnet_id: dp.vip4.id }],
      })),
      listeners: [
        {
          protocol: 'HTTP',
          protocol_port: 80,
          default_pool: { name: 'default' },
          l7policies: [
            { action: 'REJECT', rules: [rule('PATH', 'STARTS_WITH', '/forbidden')] },
            {
              action: 'REDIRECT_TO_URL',
              redirect_url: 'http://elsewhere.example.test/new-home',
              redirect_http_code: 301,
              rules: [rule('PATH', 'EQUAL_TO', '/old-home')],
            },
            {
              action: 'REDIRECT_PREFIX',
              redirect_prefix: 'https://moved.example.test',
              redirect_http_code: 308,
              rules: [rule('PATH', 'STARTS_WITH', '/moved')],
            },
            // No code given: upstream's default for redirects is 302.
            { action: 'REDIRECT_TO_URL', redirect_url: 'http://temp.example.test/', rules: [rule('PATH', 'EQUAL_TO', '/temp')] },
            toPool('api', [rule('PATH', 'STARTS_WITH', '/api/')]),
            toPool('exact', [rule('PATH', 'EQUAL_TO', '/exact')]),
            toPool('regex', [rule('PATH', 'REGEX', '^/img/[0-9]+\\.png$')]),
            toPool('host', [rule('HOST_NAME', 'EQUAL_TO', 'shop.example.test')]),
            toPool('header', [rule('HEADER', 'EQUAL_TO', 'gold', { key: 'X-Tenant' })]),
            toPool('cookie', [rule('COOKIE', 'STARTS_WITH', 'beta', { key: 'session' })]),
            // AND of two rules, the second inverted: /inverted unless the request says X-Skip: yes.
            toPool('inverted', [rule('PATH', 'STARTS_WITH', '/inverted'), rule('HEADER', 'EQUAL_TO', 'yes', { key: 'X-Skip', invert: true })]),
          ],
        },
      ],
    });
    const listeners = lb.body['listeners'] as { id: string }[];
    listenerId = listeners[0]!.id;
    // The load balancer names its pools by id only.
    const pools = await dp.api.request('GET', `/v2/lbaas/pools?loadbalancer_id=${lb.id}`, { project: 'e2e' });
    for (const p of pools.body.pools as { id: string; name: string }[]) poolIds.set(p.name, p.id);
    assert.equal(poolIds.size, POOLS.length);
  });
  after(async () => {
    await dp?.close();
    if (dp) assert.deepEqual(dp.leftovers(), []);
  });

  /** The member that answered GET `path`, after checking that a member (200) answered. */
  const routed = async (path: string, headers: Record<string, string> = {}): Promise<string> => {
    const res = await dp.http(`http://${lb.vip}${path}`, { headers });
    assert.equal(res.status, 200, `GET ${path} ${JSON.stringify(headers)}: ${res.status} ${res.text}`);
    assert.equal(res.json.path, path, 'the member got the request unchanged');
    return res.json.member as string;
  };
  const servedTotal = () => [...members.values()].reduce((n, m) => n + m.served(), 0);

  test('PATH rules: STARTS_WITH, EQUAL_TO and REGEX pick their pools; anything else goes to the default pool', async () => {
    assert.equal(await routed('/api/v1/things'), 'api');
    assert.equal(await routed('/api'), 'default', 'STARTS_WITH /api/ does not match /api');
    assert.equal(await routed('/exact'), 'exact');
    assert.equal(await routed('/exact/more'), 'default', 'EQUAL_TO is not a prefix match');
    assert.equal(await routed('/img/42.png'), 'regex');
    assert.equal(await routed('/img/x42.png'), 'default');
    assert.equal(await routed('/img/42.png.bak'), 'default', 'the regex is anchored');
    assert.equal(await routed('/'), 'default');
  });

  test('HOST_NAME, HEADER (with key) and COOKIE (with key) rules', async () => {
    assert.equal(await routed('/', { host: 'shop.example.test' }), 'host');
    assert.equal(await routed('/', { host: 'SHOP.example.test' }), 'host', 'host names compare case-insensitively');
    assert.equal(await routed('/', { host: 'other.example.test' }), 'default');
    assert.equal(await routed('/', { 'x-tenant': 'gold' }), 'header');
    assert.equal(await routed('/', { 'x-tenant': 'silver' }), 'default');
    assert.equal(await routed('/', { 'x-other': 'gold' }), 'default', 'the header rule looks at its key only');
    assert.equal(await routed('/', { cookie: 'theme=dark; session=beta-1234' }), 'cookie');
    assert.equal(await routed('/', { cookie: 'session=alpha-1; beta=1' }), 'default', 'the cookie rule looks at its key only');
  });

  test('an inverted rule AND-ed with another: the policy applies only when the inverted rule does not match', async () => {
    assert.equal(await routed('/inverted/a'), 'inverted');
    assert.equal(await routed('/inverted/a', { 'x-skip': 'no' }), 'inverted');
    assert.equal(await routed('/inverted/a', { 'x-skip': 'yes' }), 'default');
    assert.equal(await routed('/elsewhere', { 'x-skip': 'no' }), 'default', 'the rules are AND-ed, not OR-ed');
  });

  test('REJECT answers 403 from HAProxy without asking a member', async () => {
    const before = servedTotal();
    const res = await dp.http(`http://${lb.vip}/forbidden/area`);
    assert.equal(res.status, 403);
    assert.equal(res.json, null, 'not an echo from a member');
    assert.equal(servedTotal(), before);
    assert.equal(await routed('/open/forbidden'), 'default', 'STARTS_WITH: the path elsewhere does not count');
  });

  test('REDIRECT_TO_URL and REDIRECT_PREFIX answer with their code and Location, without asking a member', async () => {
    const before = servedTotal();
    const url = await dp.http(`http://${lb.vip}/old-home?x=1`);
    assert.equal(url.status, 301);
    assert.equal(url.headers.location, 'http://elsewhere.example.test/new-home');
    const prefix = await dp.http(`http://${lb.vip}/moved/page?q=2`);
    assert.equal(prefix.status, 308);
    assert.equal(prefix.headers.location, 'https://moved.example.test/moved/page?q=2', 'the prefix replaces scheme and host, path and query stay');
    const temp = await dp.http(`http://${lb.vip}/temp`);
    assert.equal(temp.status, 302, 'redirect_http_code defaults to 302');
    assert.equal(temp.headers.location, 'http://temp.example.test/');
    assert.equal(servedTotal(), before);
    assert.equal(await routed('/old-home/not-equal'), 'default');

    // Changing the code through the API changes the answer.
    const list = await dp.api.request('GET', `/v2/lbaas/l7policies?listener_id=${listenerId}&redirect_url=http://temp.example.test/`, { project: 'e2e' });
    assert.equal(list.body.l7policies.length, 1, list.text);
    const put = await dp.api.request('PUT', `/v2/lbaas/l7policies/${list.body.l7policies[0].id}`, { project: 'e2e', body: { l7policy: { redirect_http_code: 307 } } });
    assert.equal(put.status, 200, put.text);
    await dp.waitActive(lb.id);
    const changed = await dp.http(`http://${lb.vip}/temp`);
    assert.equal(changed.status, 307);
    assert.equal(changed.headers.location, 'http://temp.example.test/');
  });

  test('policies created through the API: the lower position wins, and moving a policy changes the routing', async () => {
    const project = 'e2e';
    const post = async (body: Record<string, unknown>) => {
      const res = await dp.api.request('POST', '/v2/lbaas/l7policies', { project, body: { l7policy: { listener_id: listenerId, ...body } } });
      assert.equal(res.status, 201, res.text);
      await dp.waitActive(lb.id);
      return res.body.l7policy.id as string;
    };
    assert.equal(await routed('/both/x'), 'default');

    const addRule = async (policyId: string, body: Record<string, unknown>) => {
      const res = await dp.api.request('POST', `/v2/lbaas/l7policies/${policyId}/rules`, { project, body: { rule: body } });
      assert.equal(res.status, 201, res.text);
      await dp.waitActive(lb.id);
    };

    // (Rules cannot be embedded in a policy POST — upstream fails with a 500 there — so they go through /rules.)
    const first = await post({ action: 'REDIRECT_TO_POOL', redirect_pool_id: poolIds.get('first'), position: 1 });
    assert.equal(await routed('/both/x'), 'default', 'a policy without rules is not rendered');
    await addRule(first, rule('PATH', 'STARTS_WITH', '/both'));
    assert.equal(await routed('/both/x'), 'first');

    const second = await post({ action: 'REDIRECT_TO_POOL', redirect_pool_id: poolIds.get('second'), position: 1 });
    await addRule(second, rule('PATH', 'STARTS_WITH', '/both/x'));
    const position = async (id: string) => (await dp.api.request('GET', `/v2/lbaas/l7policies/${id}`)).body.l7policy.position as number;
    assert.deepEqual([await position(second), await position(first)], [1, 2]);
    assert.equal(await routed('/both/x'), 'second', 'both policies match: position 1 wins');
    assert.equal(await routed('/both/y'), 'first', 'only the later policy matches');

    const put = await dp.api.request('PUT', `/v2/lbaas/l7policies/${first}`, { project, body: { l7policy: { position: 1 } } });
    assert.equal(put.status, 200, put.text);
    await dp.waitActive(lb.id);
    assert.deepEqual([await position(first), await position(second)], [1, 2]);
    assert.equal(await routed('/both/x'), 'first', 'after the move the other policy comes first');

    // The policies of the single-call create moved down one place and still apply.
    assert.equal((await dp.http(`http://${lb.vip}/forbidden`)).status, 403);
  });
});
