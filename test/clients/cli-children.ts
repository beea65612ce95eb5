/**
 * CLI tracks on the objects under a load balancer: listeners and pools; members and health
 * monitors (with the status tree); L7 policies and rules. Each track has its own load balancer.
 * Every command runs once with the CLI; after a set/unset the new values are read over HTTP (a
 * client start-up costs about a second of CPU, and the CLI's show was exercised on the same
 * resource already).
 */
import assert from 'node:assert/strict';
import { apiGone, apiShow, lines, pairs, waitActive, type CliContext } from './openstack-cli.js';
import { SUBNET } from './octavius-process.js';
import type { Step } from './steps.js';

const STATS_KEYS = ['active_connections', 'bytes_in', 'bytes_out', 'request_errors', 'total_connections'];

export async function listenerTrack(step: Step, { cli, octavius }: CliContext): Promise<void> {
  let lbId = '';
  let lsId = '';
  let plId = '';
  const listener = () => apiShow(octavius, `/v2/lbaas/listeners/${lsId}`, 'listener');
  const pool = () => apiShow(octavius, `/v2/lbaas/pools/${plId}`, 'pool');

  await step('create a load balancer --wait', async () => {
    lbId = (await cli.json('create', '--name', 'cli-lb-ls', '--vip-subnet-id', SUBNET, '--wait')).id;
  });

  await step('listener create --wait (connection limit, allowed CIDR, insert headers)', async () => {
    const ls = await cli.json(
      'listener', 'create', '--name', 'cli-ls1', '--protocol', 'HTTP', '--protocol-port', '80',
      // The CLI sends connection_limit as the string "10": Octavius must take it as upstream does.
      '--connection-limit', '10', '--allowed-cidr', '10.0.0.0/8', '--insert-headers', 'X-Forwarded-For=true',
      '--wait', 'cli-lb-ls',
    );
    lsId = ls.id;
    assert.equal(ls.name, 'cli-ls1');
    assert.equal(ls.provisioning_status, 'ACTIVE');
    assert.equal(ls.protocol, 'HTTP');
    assert.equal(ls.protocol_port, 80);
    assert.equal(ls.connection_limit, 10);
    assert.deepEqual(lines(ls.loadbalancers), [lbId]);
    assert.deepEqual(lines(ls.allowed_cidrs), ['10.0.0.0/8']);
    assert.deepEqual(pairs(ls.insert_headers), { 'X-Forwarded-For': 'true' });
  });

  await step('listener list --loadbalancer, show by name', async () => {
    const rows: { id: string }[] = await cli.json('listener', 'list', '--loadbalancer', lbId);
    assert.deepEqual(rows.map((r) => r.id), [lsId]);
    assert.equal((await cli.json('listener', 'show', 'cli-ls1')).id, lsId);
  });

  await step('listener set --name --description --wait', async () => {
    await cli.ok('listener', 'set', '--name', 'cli-ls1b', '--description', 'front', '--wait', 'cli-ls1');
    const ls = await listener();
    assert.equal(ls.name, 'cli-ls1b');
    assert.equal(ls.description, 'front');
    assert.equal(ls.provisioning_status, 'ACTIVE');
  });

  await step('listener unset --description --connection-limit --wait', async () => {
    await cli.ok('listener', 'unset', '--description', '--connection-limit', '--wait', lsId);
    const ls = await listener();
    assert.equal(ls.description, '');
    assert.equal(ls.connection_limit, -1, 'connection_limit set to null means unlimited');
  });

  await step('listener stats show', async () => {
    const stats = await cli.json('listener', 'stats', 'show', lsId);
    assert.deepEqual(Object.keys(stats).sort(), STATS_KEYS);
    for (const k of STATS_KEYS) assert.equal(stats[k], 0, k);
  });

  await step('pool create --listener --session-persistence --wait becomes the listener’s default pool', async () => {
    const pl = await cli.json(
      'pool', 'create', '--name', 'cli-pl1', '--protocol', 'HTTP', '--lb-algorithm', 'ROUND_ROBIN', '--listener', lsId,
      '--session-persistence', 'type=APP_COOKIE,cookie_name=c1', '--wait',
    );
    plId = pl.id;
    assert.equal(pl.provisioning_status, 'ACTIVE');
    assert.equal(pl.lb_algorithm, 'ROUND_ROBIN');
    assert.deepEqual(lines(pl.listeners), [lsId]);
    assert.deepEqual(lines(pl.loadbalancers), [lbId]);
    const sp = pairs(pl.session_persistence);
    assert.equal(sp['type'], 'APP_COOKIE');
    assert.equal(sp['cookie_name'], 'c1');
    assert.equal((await listener()).default_pool_id, plId);
  });

  await step('pool list --loadbalancer, show by name', async () => {
    const rows: { id: string }[] = await cli.json('pool', 'list', '--loadbalancer', 'cli-lb-ls');
    assert.deepEqual(rows.map((r) => r.id), [plId]);
    assert.equal((await cli.json('pool', 'show', 'cli-pl1')).id, plId);
  });

  await step('pool set --name --description --lb-algorithm --wait; unset --description --wait', async () => {
    await cli.ok('pool', 'set', '--name', 'cli-pl1b', '--description', 'back', '--lb-algorithm', 'LEAST_CONNECTIONS', '--wait', 'cli-pl1');
    let pl = await pool();
    assert.equal(pl.name, 'cli-pl1b');
    assert.equal(pl.description, 'back');
    assert.equal(pl.lb_algorithm, 'LEAST_CONNECTIONS');
    assert.equal(pl.provisioning_status, 'ACTIVE');
    await cli.ok('pool', 'unset', '--description', '--wait', plId);
    pl = await pool();
    assert.equal(pl.description, '');
    assert.equal(pl.provisioning_status, 'ACTIVE');
  });

  await step('delete of a load balancer with children is refused', async () => {
    await cli.fails(new RegExp(`Cannot delete Load Balancer ${lbId} - it has children \\(HTTP 400\\)`), 'delete', lbId);
  });

  await step('pool delete --wait, listener delete --wait, delete --wait', async () => {
    await cli.ok('pool', 'delete', '--wait', 'cli-pl1b');
    await apiGone(octavius, `/v2/lbaas/pools/${plId}`);
    await cli.ok('listener', 'delete', '--wait', 'cli-ls1b');
    await apiGone(octavius, `/v2/lbaas/listeners/${lsId}`);
    await cli.ok('delete', '--wait', lbId);
    await apiGone(octavius, `/v2/lbaas/loadbalancers/${lbId}`);
  });
}

export async function memberMonitorTrack(step: Step, { cli, octavius }: CliContext): Promise<void> {
  let lbId = '';
  let lsId = '';
  let plId = '';
  let mbId = '';
  let hmId = '';
  const member = () => apiShow(octavius, `/v2/lbaas/pools/${plId}/members/${mbId}`, 'member');
  const monitor = () => apiShow(octavius, `/v2/lbaas/healthmonitors/${hmId}`, 'healthmonitor');

  await step('create a load balancer, listener and pool --wait', async () => {
    lbId = (await cli.json('create', '--name', 'cli-lb-mb', '--vip-subnet-id', SUBNET, '--wait')).id;
    lsId = (await cli.json('listener', 'create', '--protocol', 'HTTP', '--protocol-port', '80', '--wait', lbId)).id;
    plId = (await cli.json('pool', 'create', '--name', 'cli-pl-mb', '--protocol', 'HTTP', '--lb-algorithm', 'ROUND_ROBIN', '--listener', lsId, '--wait')).id;
  });

  await step('member create --subnet-id <uuid> --weight --wait', async () => {
    // NOTE: octaviaclient 3.1 has no batch member update (PUT /pools/<id>/members); the SDK test covers it.
    const mb = await cli.json(
      'member', 'create', '--name', 'cli-mb1', '--address', '10.0.0.10', '--protocol-port', '8080', '--subnet-id', SUBNET, '--weight', '5',
      '--wait', 'cli-pl-mb',
    );
    mbId = mb.id;
    assert.equal(mb.provisioning_status, 'ACTIVE');
    assert.equal(mb.address, '10.0.0.10');
    assert.equal(mb.protocol_port, 8080);
    assert.equal(mb.subnet_id, SUBNET, 'the subnet as the Neutron view resolved it');
    assert.equal(mb.weight, 5);
  });

  await step('member list, show by names', async () => {
    const rows: { id: string }[] = await cli.json('member', 'list', plId);
    assert.deepEqual(rows.map((r) => r.id), [mbId]);
    assert.equal((await cli.json('member', 'show', 'cli-pl-mb', 'cli-mb1')).id, mbId);
  });

  await step('member set --name --weight --wait; unset --weight --wait', async () => {
    await cli.ok('member', 'set', '--name', 'cli-mb1b', '--weight', '3', '--wait', plId, 'cli-mb1');
    let mb = await member();
    assert.equal(mb.name, 'cli-mb1b');
    assert.equal(mb.weight, 3);
    assert.equal(mb.provisioning_status, 'ACTIVE');
    await cli.ok('member', 'unset', '--weight', '--wait', plId, mbId);
    mb = await member();
    assert.equal(mb.weight, 1, 'weight set to null is the default 1');
    assert.equal(mb.provisioning_status, 'ACTIVE');
  });

  await step('healthmonitor create --wait', async () => {
    const hm = await cli.json(
      'healthmonitor', 'create', '--name', 'cli-hm1', '--delay', '5', '--timeout', '3', '--max-retries', '2', '--type', 'HTTP',
      '--url-path', '/hc', '--wait', 'cli-pl-mb',
    );
    hmId = hm.id;
    assert.equal(hm.provisioning_status, 'ACTIVE');
    assert.equal(hm.type, 'HTTP');
    assert.equal(hm.delay, 5);
    assert.equal(hm.url_path, '/hc');
    assert.deepEqual(lines(hm.pools), [plId]);
    assert.equal((await apiShow(octavius, `/v2/lbaas/pools/${plId}`, 'pool')).healthmonitor_id, hmId);
  });

  await step('healthmonitor list, show by name', async () => {
    const rows: { id: string }[] = await cli.json('healthmonitor', 'list');
    assert.ok(rows.some((r) => r.id === hmId), JSON.stringify(rows));
    assert.equal((await cli.json('healthmonitor', 'show', 'cli-hm1')).id, hmId);
  });

  await step('healthmonitor set --delay --wait; unset --url-path --wait', async () => {
    await cli.ok('healthmonitor', 'set', '--delay', '6', '--wait', 'cli-hm1');
    assert.equal((await monitor()).delay, 6);
    await cli.ok('healthmonitor', 'unset', '--url-path', '--wait', hmId);
    const hm = await monitor();
    assert.equal(hm.url_path, '/', 'url_path set to null is the HTTP default');
    assert.equal(hm.provisioning_status, 'ACTIVE');
  });

  await step('status show: load balancer → listener → pool → member, health monitor', async () => {
    const status = JSON.parse(await cli.ok('status', 'show', 'cli-lb-mb'));
    const lb = status.loadbalancer;
    assert.equal(lb.id, lbId);
    assert.equal(lb.name, 'cli-lb-mb');
    assert.equal(lb.provisioning_status, 'ACTIVE');
    assert.deepEqual(lb.listeners.map((l: { id: string }) => l.id), [lsId], JSON.stringify(status));
    assert.equal(lb.listeners[0].provisioning_status, 'ACTIVE');
    const pl = lb.listeners[0].pools[0];
    assert.equal(pl.id, plId);
    assert.deepEqual(pl.members.map((m: { id: string }) => m.id), [mbId]);
    assert.equal(pl.members[0].provisioning_status, 'ACTIVE');
    assert.equal(pl.health_monitor.id, hmId);
    assert.equal(pl.health_monitor.provisioning_status, 'ACTIVE');
  });

  await step('healthmonitor delete --wait, member delete --wait, delete --cascade --wait', async () => {
    await cli.ok('healthmonitor', 'delete', '--wait', 'cli-hm1');
    await apiGone(octavius, `/v2/lbaas/healthmonitors/${hmId}`);
    await cli.ok('member', 'delete', '--wait', plId, 'cli-mb1b');
    await apiGone(octavius, `/v2/lbaas/pools/${plId}/members/${mbId}`);
    await cli.ok('delete', '--cascade', '--wait', lbId);
    await apiGone(octavius, `/v2/lbaas/loadbalancers/${lbId}`);
    await apiGone(octavius, `/v2/lbaas/listeners/${lsId}`);
    await apiGone(octavius, `/v2/lbaas/pools/${plId}`);
  });
}

export async function l7Track(step: Step, { cli, octavius }: CliContext): Promise<void> {
  let lbId = '';
  let lsId = '';
  let plId = '';
  let p1 = '';
  let r1 = '';
  const policy = () => apiShow(octavius, `/v2/lbaas/l7policies/${p1}`, 'l7policy');
  const rule = () => apiShow(octavius, `/v2/lbaas/l7policies/${p1}/rules/${r1}`, 'rule');

  await step('create a load balancer, listener and pool --wait', async () => {
    lbId = (await cli.json('create', '--name', 'cli-lb-l7', '--vip-subnet-id', SUBNET, '--wait')).id;
    lsId = (await cli.json('listener', 'create', '--name', 'cli-ls-l7', '--protocol', 'HTTP', '--protocol-port', '80', '--wait', lbId)).id;
    plId = (await cli.json('pool', 'create', '--name', 'cli-pl-l7', '--protocol', 'HTTP', '--lb-algorithm', 'ROUND_ROBIN', '--loadbalancer', lbId, '--wait')).id;
  });

  await step('l7policy create --redirect-pool <name> --wait', async () => {
    const p = await cli.json('l7policy', 'create', '--name', 'cli-l7p1', '--action', 'REDIRECT_TO_POOL', '--redirect-pool', 'cli-pl-l7', '--wait', 'cli-ls-l7');
    p1 = p.id;
    assert.equal(p.provisioning_status, 'ACTIVE');
    assert.equal(p.action, 'REDIRECT_TO_POOL');
    assert.equal(p.redirect_pool_id, plId);
    assert.equal(p.listener_id, lsId);
    assert.equal(p.position, 1);
    assert.deepEqual((await apiShow(octavius, `/v2/lbaas/listeners/${lsId}`, 'listener')).l7policies, [{ id: p1 }]);
  });

  await step('l7policy list --listener, show by name', async () => {
    const rows: { id: string }[] = await cli.json('l7policy', 'list', '--listener', 'cli-ls-l7');
    assert.deepEqual(rows.map((r) => r.id), [p1]);
    assert.equal((await cli.json('l7policy', 'show', 'cli-l7p1')).id, p1);
  });

  await step('l7policy set --action REDIRECT_TO_URL --description --wait; unset --description --wait', async () => {
    await cli.ok('l7policy', 'set', '--action', 'REDIRECT_TO_URL', '--redirect-url', 'http://example.com/', '--description', 'd', '--wait', 'cli-l7p1');
    let p = await policy();
    assert.equal(p.action, 'REDIRECT_TO_URL');
    assert.equal(p.redirect_url, 'http://example.com/');
    assert.equal(p.redirect_pool_id, null, 'switching to a URL redirect drops the pool');
    assert.equal(p.redirect_http_code, 302);
    assert.equal(p.description, 'd');
    await cli.ok('l7policy', 'unset', '--description', '--wait', p1);
    p = await policy();
    assert.equal(p.description, '');
    assert.equal(p.provisioning_status, 'ACTIVE');
  });

  await step('l7rule create (no --wait: client bug)', async () => {
    // NOTE: octaviaclient 3.1 swaps the ids in the show after its --wait and fails with a 404
    // although the rule was created (notes/cli.md §2.3); the test waits over HTTP instead.
    const r = await cli.json('l7rule', 'create', '--compare-type', 'STARTS_WITH', '--type', 'HEADER', '--key', 'X-Test', '--value', 'v', 'cli-l7p1');
    r1 = r.id;
    assert.equal(r.type, 'HEADER');
    assert.equal(r.key, 'X-Test');
    assert.equal(r.value, 'v');
    await waitActive(octavius, `/v2/lbaas/l7policies/${p1}/rules/${r1}`, 'rule');
  });

  await step('l7rule list, show', async () => {
    const rows: { id: string }[] = await cli.json('l7rule', 'list', 'cli-l7p1');
    assert.deepEqual(rows.map((r) => r.id), [r1]);
    const r = await cli.json('l7rule', 'show', 'cli-l7p1', r1);
    assert.equal(r.compare_type, 'STARTS_WITH');
    assert.equal(r.invert, false);
    assert.equal(r.provisioning_status, 'ACTIVE');
  });

  await step('l7rule set --value --invert --wait; unset --invert --wait', async () => {
    await cli.ok('l7rule', 'set', '--value', 'w', '--invert', '--wait', 'cli-l7p1', r1);
    let r = await rule();
    assert.equal(r.value, 'w');
    assert.equal(r.invert, true);
    // The CLI sends "invert": null here; upstream treats that as false.
    await cli.ok('l7rule', 'unset', '--invert', '--wait', p1, r1);
    r = await rule();
    assert.equal(r.invert, false);
    assert.equal(r.provisioning_status, 'ACTIVE');
  });

  await step('l7rule delete --wait, l7policy delete --wait', async () => {
    await cli.ok('l7rule', 'delete', '--wait', 'cli-l7p1', r1);
    await apiGone(octavius, `/v2/lbaas/l7policies/${p1}/rules/${r1}`);
    assert.deepEqual((await policy()).rules, []);
    await cli.ok('l7policy', 'delete', '--wait', 'cli-l7p1');
    await apiGone(octavius, `/v2/lbaas/l7policies/${p1}`);
  });

  await step('delete --cascade --wait removes the tree', async () => {
    await cli.ok('delete', '--cascade', '--wait', 'cli-lb-l7');
    await apiGone(octavius, `/v2/lbaas/loadbalancers/${lbId}`);
    await apiGone(octavius, `/v2/lbaas/listeners/${lsId}`);
    await apiGone(octavius, `/v2/lbaas/pools/${plId}`);
  });
}
