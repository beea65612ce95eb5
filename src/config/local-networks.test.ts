/** [network:<name>] / [subnet:<name>] groups and [netns] checks: typed results, every problem at once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stableId } from '../lib/ids.js';
import { ConfigError, loadConfig } from './load.js';

const load = (...texts: string[]) => loadConfig({ files: texts.map((_, i) => `f${i}`), readFile: (p) => texts[Number(p.slice(1))]! });

test('networks and subnets load with defaults filled in: ids from names, gateway, pools, IP version', () => {
  const { config, warnings } = load(
    [
      '[network:public]',
      'subnets = public-v4',
      '[subnet:public-v4]',
      'cidr = 198.18.0.0/24',
      '[subnet:public-v6]',
      'network = public',
      'cidr = FD00:18:0:0::/64',
      'host_routes = fd00:99::/64 via fd00:18::fe',
      'enable_dhcp = false',
    ].join('\n'),
  );
  assert.deepEqual(warnings, []);
  const [net] = config.local_networks.networks;
  assert.deepEqual(net, { name: 'public', id: stableId('octavius-local-network', 'public'), bridge: 'octv-br-public', mtu: 1500 });
  const [v4, v6] = config.local_networks.subnets;
  assert.deepEqual(v4, {
    name: 'public-v4',
    id: stableId('octavius-local-subnet', 'public-v4'),
    networkId: net!.id,
    cidr: '198.18.0.0/24',
    ipVersion: 4,
    gatewayIp: '198.18.0.1',
    allocationPools: [{ start: '198.18.0.2', end: '198.18.0.254' }],
    hostRoutes: [],
    enableDhcp: true,
  });
  assert.equal(v6!.cidr, 'fd00:18::/64');
  assert.equal(v6!.ipVersion, 6);
  assert.equal(v6!.gatewayIp, 'fd00:18::1');
  assert.deepEqual(v6!.allocationPools, [{ start: 'fd00:18::2', end: 'fd00:18::ffff:ffff:ffff:ffff' }]);
  assert.deepEqual(v6!.hostRoutes, [{ destination: 'fd00:99::/64', nexthop: 'fd00:18::fe' }]);
  assert.equal(v6!.enableDhcp, false);
  assert.equal(v6!.networkId, net!.id);
});

test('explicit ids, bridge, mtu, pools and routes; later files override single options', () => {
  const id = '5c6f2ba0-7a0f-4c55-9c83-1f4f8e0ad001';
  const { config } = load(
    '[network:n1]\nid = 5C6F2BA07A0F4C559C831F4F8E0AD001\nbridge = br-test\nmtu = 9000\n[subnet:s1]\nnetwork = n1\ncidr = 198.18.4.0/24\ngateway = 198.18.4.254\nallocation_pools = 198.18.4.10-198.18.4.20, 198.18.4.30 - 198.18.4.40\nhost_routes = 198.18.5.0/24 via 198.18.4.253\n',
    '[network:n1]\nmtu = 1400\n[subnet:s1]\ngateway = none\n',
  );
  const n = config.local_networks.networks[0]!;
  assert.equal(n.id, id);
  assert.equal(n.bridge, 'br-test');
  assert.equal(n.mtu, 1400);
  const s = config.local_networks.subnets[0]!;
  assert.equal(s.gatewayIp, null);
  assert.deepEqual(s.allocationPools, [
    { start: '198.18.4.10', end: '198.18.4.20' },
    { start: '198.18.4.30', end: '198.18.4.40' },
  ]);
  assert.deepEqual(s.hostRoutes, [{ destination: '198.18.5.0/24', nexthop: '198.18.4.253' }]);
});

test('a configuration without local networks has none', () => {
  assert.deepEqual(load('').config.local_networks, { networks: [], subnets: [] });
});

test('every bad network, subnet and [netns] value is reported at once', () => {
  const text = [
    '[network:a]',
    'mtu = tiny',
    'subnets = missing-subnet',
    'colour = blue',
    '[network:with-a-very-long-name]',
    'mtu = 1500',
    '[network:b]',
    'bridge = same-br',
    'id = not-a-uuid',
    '[network:c]',
    'bridge = same-br',
    '[subnet:hostbits]',
    'network = a',
    'cidr = 198.18.1.5/24',
    '[subnet:nocidr]',
    'network = a',
    '[subnet:orphan]',
    'cidr = 198.18.2.0/24',
    '[subnet:unknown-net]',
    'network = nope',
    'cidr = 198.18.3.0/24',
    '[subnet:bad-values]',
    'network = b',
    'cidr = 198.18.8.0/24',
    'gateway = 198.18.9.1',
    'allocation_pools = 198.18.8.20-198.18.8.10, 198.18.8.0-198.18.8.5, 198.18.7.1-198.18.7.9, 198.18.8.30',
    'host_routes = 198.18.10.0/24 through 198.18.8.1, fd00::/64 via 198.18.8.1',
    '[subnet:overlaps]',
    'network = c',
    'cidr = 198.18.8.128/25',
    'allocation_pools = 198.18.8.130-198.18.8.140, 198.18.8.135-198.18.8.150',
    '[subnet:gw-in-pool]',
    'network = c',
    'cidr = 198.18.12.0/24',
    'allocation_pools = 198.18.12.1-198.18.12.9',
    '[netns]',
    'name_prefix = much-too-long-',
    'mgmt_bridge = a-bridge-name-too-long',
    'mgmt_cidr = 198.19.0.0/16',
    'runtime_path = relative/dir',
  ].join('\n');
  assert.throws(
    () => load(text),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const expect = [
        /\[network:a\] mtu = "tiny": must be an integer/,
        /\[network:a\] subnets: no \[subnet:missing-subnet\] group/,
        /\[network:with-a-very-long-name\] bridge = "octv-br-with-a-very-long-name".*\(set bridge\)/,
        /\[network:b\] id = "not-a-uuid": must be a UUID/,
        /\[network:c\] bridge = same-br: also the bridge of \[network:b\]/,
        /\[subnet:hostbits\] cidr = "198.18.1.5\/24": host bits are set \(did you mean 198.18.1.0\/24\?\)/,
        /\[subnet:nocidr\] cidr: required/,
        /\[subnet:orphan\]: no network/,
        /\[subnet:unknown-net\] network = nope: no \[network:nope\] group/,
        /\[subnet:bad-values\] gateway = "198.18.9.1": must be an address inside 198.18.8.0\/24/,
        /allocation_pools = "198.18.8.20-198.18.8.10": start is after end/,
        /allocation_pools = "198.18.8.0-198.18.8.5": must not include the network or broadcast address/,
        /allocation_pools = "198.18.7.1-198.18.7.9": addresses must be inside 198.18.8.0\/24/,
        /allocation_pools = "198.18.8.30": each pool must be start-end/,
        /host_routes = "198.18.10.0\/24 through 198.18.8.1": each route must be/,
        /host_routes = "fd00::\/64 via 198.18.8.1": destination and nexthop must be IPv4/,
        /\[subnet:overlaps\] cidr = 198.18.8.128\/25: overlaps \[subnet:bad-values\]/,
        /allocation_pools = "198.18.8.135-198.18.8.150": overlaps another pool/,
        /\[subnet:gw-in-pool\] allocation_pools = "198.18.12.1-198.18.12.9": includes the gateway address/,
        /\[netns\] name_prefix = "much-too-long-"/,
        /\[netns\] mgmt_bridge = "a-bridge-name-too-long"/,
        /\[netns\] mgmt_cidr = "198.19.0.0\/16": needs a host address/,
        /\[netns\] runtime_path = "relative\/dir": must be an absolute path/,
      ];
      for (const re of expect) assert.ok(err.problems.some((p) => re.test(p)), `no problem matching ${re}:\n${err.problems.join('\n')}`);
      assert.equal(err.problems.length, expect.length, err.problems.join('\n'));
      return true;
    },
  );
});

test('unknown options of dynamic groups are warnings, like those of fixed groups', () => {
  const { warnings } = load('[network:n]\nbridge = br-x\nflavour = vanilla\n');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /unknown option \[network:n\] flavour/);
});

test('a runtime_path too long for HAProxy socket paths below it is refused; the default and 24 bytes pass', () => {
  assert.doesNotThrow(() => load('[netns]\nruntime_path = /dev/shm/octavius\n'));
  assert.doesNotThrow(() => load(`[netns]\nruntime_path = /${'r'.repeat(23)}\n`));
  assert.throws(
    () => load(`[netns]\nruntime_path = /${'r'.repeat(24)}\n`),
    (err: unknown) => err instanceof ConfigError && err.problems.length === 1 && /runtime_path = .*too long.*at most 24 bytes/.test(err.problems[0]!),
  );
});
