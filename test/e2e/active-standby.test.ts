/**
 * ACTIVE_STANDBY with the real data plane: two amphorae (MASTER and BACKUP) per load balancer,
 * each in its own namespace running haproxy and keepalived (VRRPv3, unicast, nopreempt, the
 * agent's haproxy track file). The VIP answers through the MASTER; when every haproxy of the MASTER
 * dies, keepalived hands the VIP to the BACKUP and traffic resumes through it (and back again when
 * the other side fails); an amphora failover rebuilds one of the pair with keepalived pointing at
 * the new peer; deleting the load balancer removes both namespaces.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Amphora } from '../../src/domain/amphora.js';
import { rootSkipReason, startDataPlane, type DataPlane } from '../support/dataplane.js';
import { kill9 } from './traffic.js';

async function until<T>(what: string, fn: () => Promise<T | null | false> | T | null | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v !== null && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True when the namespace has `address` on one of its interfaces. */
function holds(namespace: string, address: string): boolean {
  const out = execFileSync('ip', ['-n', namespace, '-o', 'addr', 'show'], { encoding: 'utf8' });
  return out.split('\n').some((l) => l.includes(` ${address}/`));
}

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
}

function haproxyPids(namespace: string): number[] {
  return execFileSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' })
    .split('\n')
    .map(Number)
    .filter((pid) => {
      if (!(pid > 0)) return false;
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'haproxy';
      } catch {
        return false; // exited meanwhile
      }
    });
}

describe('ACTIVE_STANDBY load balancers', { skip: rootSkipReason() }, () => {
  let dp: DataPlane;
  before(async () => {
    dp = await startDataPlane({
      config: {
        controller_worker: { loadbalancer_topology: 'ACTIVE_STANDBY' },
        // Sub-second adverts (dataplane.md): the first election takes ~3.5 adverts, not 3.6 s.
        keepalived_vrrp: { vrrp_advert_int: 0.1 },
      },
    });
  });
  after(async () => {
    await dp?.close();
    if (dp) assert.deepEqual(dp.leftovers(), []);
  });

  /** The pair of a load balancer, by role. */
  async function pair(lbId: string): Promise<{ master: Amphora; backup: Amphora }> {
    const amphorae = (await dp.api.store.amphorae.forLoadBalancer(lbId)).filter((a) => a.status === 'ALLOCATED');
    const master = amphorae.find((a) => a.role === 'MASTER');
    const backup = amphorae.find((a) => a.role === 'BACKUP');
    assert.equal(amphorae.length, 2, JSON.stringify(amphorae));
    assert.ok(master?.computeId && backup?.computeId, JSON.stringify(amphorae));
    return { master, backup };
  }

  const trackFile = (a: Amphora) => join(dp.runtimePath, a.computeId!, 'base', 'vrrp', 'haproxy_down');

  async function member(lbVip: string, expected: string): Promise<string> {
    return until(`traffic through ${lbVip}`, async () => {
      const r = await dp.http(`http://${lbVip}/x`, { timeoutMs: 1000 });
      return r.status === 200 && r.json?.member === expected ? r.json.member as string : null;
    });
  }

  async function httpLoadBalancer(port: number) {
    const g = dp.vip4.gateway;
    await dp.httpMember(`m${port}`, g, port);
    const lb = await dp.createLoadBalancer(
      {
        listeners: [
          {
            protocol: 'HTTP',
            protocol_port: 80,
            default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: g, protocol_port: port, subnet_id: dp.vip4.id }] },
          },
        ],
      },
      60_000,
    );
    return lb;
  }

  test('two amphorae with VRRP; the VIP moves to the BACKUP when the MASTER loses haproxy, and back', async () => {
    const lb = await httpLoadBalancer(18301);
    const { master, backup } = await pair(lb.id);
    assert.notEqual(master.computeId, backup.computeId);
    assert.deepEqual([master.vrrpPriority, backup.vrrpPriority, master.vrrpId, backup.vrrpId], [100, 90, 1, 1]);
    assert.ok(master.vrrpInterface && backup.vrrpInterface, 'vrrp_interface stored for both');
    assert.ok(master.vrrpIp && backup.vrrpIp && master.vrrpIp !== backup.vrrpIp);
    for (const a of [master, backup]) {
      const conf = readFileSync(join(dp.runtimePath, a.computeId!, 'base', 'vrrp', 'octavia-keepalived.conf'), 'utf8');
      const peer = a === master ? backup : master;
      assert.match(conf, new RegExp(`unicast_src_ip ${a.vrrpIp!.replace(/\./g, '\\.')}\\n`));
      assert.match(conf, new RegExp(`unicast_peer \\{\\n\\s+${peer.vrrpIp!.replace(/\./g, '\\.')}\\n`));
    }

    // The MASTER wins the first election (higher priority, started first) and serves.
    await member(lb.vip, 'm18301');
    await until('the VIP on the MASTER only', () => holds(master.computeId!, lb.vip) && !holds(backup.computeId!, lb.vip));

    // Every haproxy of the MASTER dies: the agent writes the track file, keepalived goes FAULT and
    // the BACKUP takes the VIP (the agent restarts haproxy, but nopreempt keeps the VIP where it is).
    for (const pid of haproxyPids(master.computeId!)) kill9(pid);
    await until('the VIP on the BACKUP', () => holds(backup.computeId!, lb.vip) && !holds(master.computeId!, lb.vip), 10_000);
    await member(lb.vip, 'm18301');

    // The old MASTER's haproxy is back (track file 0): it is the standby now. When the BACKUP
    // loses its haproxy in turn, the VIP goes back and traffic follows it.
    await until('haproxy running again on the old MASTER', () => haproxyPids(master.computeId!).length > 0 && readFileSync(trackFile(master), 'utf8').trim() === '0');
    assert.ok(holds(backup.computeId!, lb.vip), 'no pre-emption: the VIP stays on the BACKUP');
    for (const pid of haproxyPids(backup.computeId!)) kill9(pid);
    await until('the VIP back on the MASTER', () => holds(master.computeId!, lb.vip) && !holds(backup.computeId!, lb.vip), 10_000);
    await member(lb.vip, 'm18301');

    // Deleting the load balancer removes both amphorae's namespaces.
    await dp.deleteLoadBalancer(lb.id, 60_000);
    const left = namespaces();
    assert.ok(!left.includes(master.computeId!) && !left.includes(backup.computeId!), left.join(' '));
    await assert.rejects(dp.http(`http://${lb.vip}/x`, { timeoutMs: 1000 }));
  });

  const keepalivedConf = (a: Amphora) => readFileSync(join(dp.runtimePath, a.computeId!, 'base', 'vrrp', 'octavia-keepalived.conf'), 'utf8');
  const peersOf = (a: Amphora) => /unicast_peer \{\n([^}]*)\}/.exec(keepalivedConf(a))![1]!.trim().split(/\s+/);

  test('amphora failover of the MASTER: a new MASTER peers with the surviving BACKUP, which serves meanwhile; then a load balancer failover', async () => {
    const lb = await httpLoadBalancer(18302);
    const before = await pair(lb.id);
    await member(lb.vip, 'm18302');
    await until('the VIP on the MASTER', () => holds(before.master.computeId!, lb.vip));

    const res = await dp.api.request('PUT', `/v2/octavia/amphorae/${before.master.id}/failover`);
    assert.equal(res.status, 202, res.text);
    await dp.waitActive(lb.id, 60_000);
    const after1 = await pair(lb.id);
    assert.equal(after1.backup.id, before.backup.id, 'the BACKUP is kept');
    assert.notEqual(after1.master.id, before.master.id, 'a new MASTER');
    assert.ok(!namespaces().includes(before.master.computeId!), 'the failed amphora is gone');
    assert.deepEqual(peersOf(after1.backup), [after1.master.vrrpIp], "the survivor's keepalived names its new peer");
    assert.deepEqual(peersOf(after1.master), [after1.backup.vrrpIp]);
    // The BACKUP took the VIP when the old MASTER went; nopreempt keeps it there.
    await until('the VIP on the surviving BACKUP', () => holds(after1.backup.computeId!, lb.vip) && !holds(after1.master.computeId!, lb.vip));
    await member(lb.vip, 'm18302');
    // The new pair works: the survivor loses haproxy, the new MASTER takes over.
    for (const pid of haproxyPids(after1.backup.computeId!)) kill9(pid);
    await until('the VIP on the new MASTER', () => holds(after1.master.computeId!, lb.vip) && !holds(after1.backup.computeId!, lb.vip), 10_000);
    await member(lb.vip, 'm18302');

    // Load balancer failover replaces both amphorae; the new pair serves.
    const lbf = await dp.api.request('PUT', `/v2/lbaas/loadbalancers/${lb.id}/failover`);
    assert.equal(lbf.status, 202, lbf.text);
    await dp.waitActive(lb.id, 90_000);
    const after2 = await pair(lb.id);
    assert.ok(![after1.master.id, after1.backup.id].includes(after2.master.id) && ![after1.master.id, after1.backup.id].includes(after2.backup.id), 'both replaced');
    assert.deepEqual(peersOf(after2.master), [after2.backup.vrrpIp]);
    assert.deepEqual(peersOf(after2.backup), [after2.master.vrrpIp]);
    await member(lb.vip, 'm18302');
    await until('the VIP on exactly one amphora of the new pair', () => holds(after2.master.computeId!, lb.vip) !== holds(after2.backup.computeId!, lb.vip));

    await dp.deleteLoadBalancer(lb.id, 60_000);
    const left = namespaces();
    assert.ok(!left.includes(after2.master.computeId!) && !left.includes(after2.backup.computeId!), left.join(' '));
  });

  test('a flavor whose profile says SINGLE overrides the configured topology: one STANDALONE amphora that holds the VIP itself', async () => {
    const fp = await dp.api.request('POST', '/v2/lbaas/flavorprofiles', {
      body: { flavorprofile: { name: 'single', provider_name: 'amphora', flavor_data: '{"loadbalancer_topology": "SINGLE"}' } },
    });
    assert.equal(fp.status, 201, fp.text);
    const fl = await dp.api.request('POST', '/v2/lbaas/flavors', { body: { flavor: { name: 'single', flavor_profile_id: fp.body.flavorprofile.id } } });
    assert.equal(fl.status, 201, fl.text);
    const g = dp.vip4.gateway;
    await dp.httpMember('m18303', g, 18303);
    const lb = await dp.createLoadBalancer({
      flavor_id: fl.body.flavor.id,
      listeners: [
        {
          protocol: 'HTTP',
          protocol_port: 80,
          default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: g, protocol_port: 18303, subnet_id: dp.vip4.id }] },
        },
      ],
    });
    const amphorae = await dp.api.store.amphorae.forLoadBalancer(lb.id);
    assert.deepEqual(amphorae.map((a) => [a.role, a.vrrpInterface]), [['STANDALONE', null]]);
    await member(lb.vip, 'm18303');
    assert.ok(holds(amphorae[0]!.computeId!, lb.vip), 'the agent put the VIP on the interface (no keepalived)');
    await dp.deleteLoadBalancer(lb.id);
  });
});
