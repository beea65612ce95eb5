/**
 * Address families and member networks with real traffic: an IPv6 VIP, IPv6 members behind an
 * IPv4 VIP, members on another subnet (the amphora gets an interface there) and that subnet's host
 * route, which must be what carries traffic to a member outside every configured subnet.
 *
 * The routed member lives on an extra interface of the host inside a free /24 D; the member subnet
 * says `D.0/24 via M.254`, and M.254 is a second host address on the member bridge. Without the
 * route the amphora would still reach D through its default route (the VIP gateway is the host
 * too), but from its VIP-network address: the source address the member sees tells the two apart.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { rootSkipReason, startDataPlane, type DataPlane } from '../support/dataplane.js';
import { cleanupPrefix, freeSubnets24 } from '../support/host-network.js';

interface NsAddress {
  readonly ifname: string;
  readonly local: string;
}

/** Global addresses inside the namespace, per interface. */
function namespaceAddresses(ns: string): NsAddress[] {
  const links = JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'address', 'show'], { encoding: 'utf8' })) as {
    ifname: string;
    addr_info?: { local: string; scope: string }[];
  }[];
  return links.flatMap((l) => (l.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => ({ ifname: l.ifname, local: a.local })));
}

const peerAddress = (peer: string) => peer.slice(0, peer.lastIndexOf(':'));

describe('IPv6, member subnets and host routes', { skip: rootSkipReason() }, () => {
  let dp: DataPlane;
  let prefix = '';
  /** Stem of the routed /24 (on the host's dummy interface) and the nexthop on the member bridge. */
  let routed = '';
  let nexthop = '';

  before(async () => {
    try {
      dp = await startDataPlane({
        ipv6: true,
        memberSubnetOptions: (picked) => {
          prefix = picked.prefix;
          routed = freeSubnets24(4).find((s) => ![picked.vip4, picked.mem4, picked.mgmt].includes(s))!;
          nexthop = `${picked.mem4}.254`;
          // Claim the /24 at once (freeSubnets24 of a parallel run sees it) under the prefix, so the
          // data plane's clean-up removes it.
          // A veth pair, not a dummy: this kernel may come without the dummy module.
          execFileSync('ip', ['link', 'add', `${prefix}d0`, 'type', 'veth', 'peer', 'name', `${prefix}d1`]);
          execFileSync('ip', ['address', 'add', `${routed}.10/24`, 'dev', `${prefix}d0`]);
          for (const end of ['d0', 'd1']) execFileSync('ip', ['link', 'set', `${prefix}${end}`, 'up']);
          return { host_routes: `${routed}.0/24 via ${nexthop}` };
        },
      });
    } catch (err) {
      if (prefix) cleanupPrefix(prefix);
      throw err;
    }
    execFileSync('ip', ['address', 'add', `${nexthop}/24`, 'dev', `${prefix}bm`]);
    await dp.httpMember('v6', dp.vip6!.gateway, 18401);
    await dp.httpMember('v4', dp.vip4.gateway, 18402);
    await dp.httpMember('mem', dp.mem4.gateway, 18403);
    await dp.httpMember('routed', `${routed}.10`, 18404);
  });
  after(async () => {
    await dp?.close();
    if (dp) assert.deepEqual(dp.leftovers(), []);
  });

  const namespaceOf = async (lbId: string) => {
    const amphorae = await dp.api.store.amphorae.forLoadBalancer(lbId);
    assert.equal(amphorae.length, 1);
    return amphorae[0]!.computeId!;
  };
  const pool = (name: string, members: { address: string; port: number; subnet: string }[]) => ({
    name,
    protocol: 'HTTP',
    lb_algorithm: 'ROUND_ROBIN',
    members: members.map((m) => ({ address: m.address, protocol_port: m.port, subnet_id: m.subnet })),
  });

  test('an IPv6 VIP serves IPv6 members (and IPv4 members on another listener)', async () => {
    const vip6 = dp.vip6!;
    const lb = await dp.createLoadBalancer({
      vip_subnet_id: vip6.id,
      listeners: [
        { protocol: 'HTTP', protocol_port: 80, default_pool: pool('six', [{ address: vip6.gateway, port: 18401, subnet: vip6.id }]) },
        { protocol: 'HTTP', protocol_port: 81, default_pool: pool('four', [{ address: dp.vip4.gateway, port: 18402, subnet: dp.vip4.id }]) },
      ],
    });
    assert.ok(lb.vip.startsWith(`${vip6.stem}:`), `VIP ${lb.vip} on the IPv6 subnet`);
    const six = await dp.http(`http://[${lb.vip}]/six`);
    assert.equal(six.status, 200, six.text);
    assert.equal(six.json.member, 'v6');
    assert.ok(peerAddress(six.json.peer).startsWith(`${vip6.stem}:`), `member saw ${six.json.peer}`);
    const four = await dp.http(`http://[${lb.vip}]:81/four`);
    assert.equal(four.status, 200, four.text);
    assert.equal(four.json.member, 'v4');
    await dp.deleteLoadBalancer(lb.id);
  });

  let lb4: { id: string; vip: string };
  let poolId: string;
  let ns: string;

  test('an IPv4 VIP serves an IPv6 member on the other subnet of the VIP network', async () => {
    const vip6 = dp.vip6!;
    const created = await dp.createLoadBalancer({
      listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: pool('mixed', [{ address: vip6.gateway, port: 18401, subnet: vip6.id }]) }],
    });
    lb4 = created;
    ns = await namespaceOf(lb4.id);
    const pools = await dp.api.request('GET', `/v2/lbaas/pools?loadbalancer_id=${lb4.id}`, { project: 'e2e' });
    poolId = pools.body.pools[0].id;
    assert.ok(
      namespaceAddresses(ns).some((a) => a.local.startsWith(`${vip6.stem}:`)),
      `an IPv6 address of the member subnet in ${ns}: ${JSON.stringify(namespaceAddresses(ns))}`,
    );
    const res = await dp.http(`http://${lb4.vip}/`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.member, 'v6');
    assert.ok(peerAddress(res.json.peer).startsWith(`${vip6.stem}:`), `member saw ${res.json.peer}`);
  });

  const addMember = async (address: string, port: number) => {
    const res = await dp.api.request('POST', `/v2/lbaas/pools/${poolId}/members`, {
      project: 'e2e',
      body: { member: { address, protocol_port: port, subnet_id: dp.mem4.id } },
    });
    assert.equal(res.status, 201, res.text);
    await dp.waitActive(lb4.id);
    return res.body.member.id as string;
  };
  /** The members that answer `count` requests, with the address each saw the amphora at. */
  const answers = async (count: number) => {
    const seen = new Map<string, string>();
    for (let i = 0; i < count; i++) {
      const res = await dp.http(`http://${lb4.vip}/`);
      assert.equal(res.status, 200, res.text);
      seen.set(res.json.member, peerAddress(res.json.peer));
    }
    return seen;
  };
  const memberSubnetAddresses = () => namespaceAddresses(ns).filter((a) => a.local.startsWith(`${dp.mem4.stem}.`));
  const routes = () => execFileSync('ip', ['-n', ns, 'route', 'show'], { encoding: 'utf8' });

  let memId: string;
  let routedId: string;

  test('a member on another subnet plugs that subnet into the amphora and gets traffic from there', async () => {
    assert.deepEqual(memberSubnetAddresses(), [], 'not plugged before a member needs it');
    assert.doesNotMatch(routes(), new RegExp(`^${routed.replaceAll('.', '\\.')}\\.0/24 `, 'm'));
    memId = await addMember(dp.mem4.gateway, 18403);
    const plugged = memberSubnetAddresses();
    assert.equal(plugged.length, 1, `one interface on ${dp.mem4.cidr}: ${JSON.stringify(namespaceAddresses(ns))}`);
    const seen = await answers(4);
    assert.deepEqual([...seen.keys()].sort(), ['mem', 'v6']);
    assert.equal(seen.get('mem'), plugged[0]!.local, 'the member is reached from the amphora address on its own subnet');
  });

  test("the member subnet's host route is installed and carries traffic to a member outside every subnet", async () => {
    const plugged = memberSubnetAddresses()[0]!;
    const route = routes()
      .split('\n')
      .find((l) => l.startsWith(`${routed}.0/24 `));
    assert.ok(route, `route to ${routed}.0/24 in ${ns}:\n${routes()}`);
    assert.match(route, new RegExp(`via ${nexthop.replaceAll('.', '\\.')} dev ${plugged.ifname}\\b`));
    routedId = await addMember(`${routed}.10`, 18404);
    const seen = await answers(6);
    assert.deepEqual([...seen.keys()].sort(), ['mem', 'routed', 'v6']);
    // Through the host route the source is the amphora's member-subnet address; through the
    // default route it would be its address on the VIP network.
    assert.equal(seen.get('routed'), plugged.local);
  });

  test('removing the last member on the subnet unplugs it again', async () => {
    for (const id of [routedId, memId]) {
      const res = await dp.api.request('DELETE', `/v2/lbaas/pools/${poolId}/members/${id}`, { project: 'e2e' });
      assert.equal(res.status, 204, res.text);
      await dp.waitActive(lb4.id);
    }
    assert.deepEqual(memberSubnetAddresses(), []);
    assert.doesNotMatch(routes(), new RegExp(`^${routed.replaceAll('.', '\\.')}\\.0/24 `, 'm'));
    assert.deepEqual([...(await answers(2)).keys()], ['v6']);
  });
});
