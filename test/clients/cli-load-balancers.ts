/**
 * CLI track on load balancers themselves and their amphorae. After a set/unset the new values are
 * read over HTTP: every client command is a Python start-up of about a second of CPU, so each
 * command runs once and the CLI's own show is exercised where it adds something (name look-up,
 * the formatted output).
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { apiGet, apiGone, apiShow, GONE, lines, type CliContext } from './openstack-cli.js';
import { SUBNET } from './octavius-process.js';
import type { Step } from './steps.js';

/** A project the CLI resolves with `--project` (GET /projects/<x> at the endpoint). */
export const OTHER_PROJECT = 'cli-other';

const STATS_KEYS = ['active_connections', 'bytes_in', 'bytes_out', 'request_errors', 'total_connections'];

export async function loadBalancerTrack(step: Step, { cli, octavius }: CliContext): Promise<void> {
  let lbId = '';
  let otherId = '';
  let ampId = '';
  const loadBalancer = () => apiShow(octavius, `/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer');
  const amphoraOf = async () => {
    const res = await apiGet(octavius, `/v2/octavia/amphorae?loadbalancer_id=${lbId}`);
    const rows: { id: string; status: string }[] = res.body?.amphorae ?? [];
    assert.equal(rows.length, 1, `one amphora for a SINGLE load balancer: ${res.status} ${JSON.stringify(res.body)}`);
    return rows[0]!;
  };

  await step('create --vip-subnet-id <uuid> --tag --wait', async () => {
    const lb = await cli.json('create', '--name', 'cli-lb1', '--description', 'first', '--vip-subnet-id', SUBNET, '--tag', 't1', '--wait');
    lbId = lb.id;
    assert.equal(lb.name, 'cli-lb1');
    assert.equal(lb.description, 'first');
    assert.equal(lb.provisioning_status, 'ACTIVE', '--wait returns the load balancer once it is ACTIVE');
    assert.equal(lb.project_id, octavius.project, 'no X-Project-Id from the CLI: the noauth default project');
    assert.equal(lb.provider, 'amphora');
    assert.equal(lb.vip_subnet_id, SUBNET);
    assert.deepEqual(lines(lb.tags), ['t1']);
    assert.match(lb.vip_address, /^\d+\.\d+\.\d+\.\d+$/);
    // The CLI resolved the subnet through the Neutron view; the VIP network must be that subnet's.
    const neutron = await apiGet(octavius, `/v2.0/subnets?id=${SUBNET}`);
    assert.equal(lb.vip_network_id, neutron.body.subnets[0].network_id);
  });

  await step('create --project <name> --wait (project resolved through /projects)', async () => {
    const lb = await cli.json('create', '--name', 'cli-lb-other', '--vip-subnet-id', SUBNET, '--project', OTHER_PROJECT, '--wait');
    otherId = lb.id;
    assert.equal(lb.project_id, OTHER_PROJECT);
    assert.equal(lb.provisioning_status, 'ACTIVE');
  });

  await step('list --project --vip-subnet-id', async () => {
    // Both filters go through look-ups first: /projects/<x> and the Neutron view's /v2.0/subnets.
    const rows: { id: string; name: string; project_id: string; provisioning_status: string; provider: string }[] = await cli.json(
      'list', '--project', OTHER_PROJECT, '--vip-subnet-id', SUBNET,
    );
    assert.deepEqual(rows.map((r) => r.id), [otherId]);
    assert.equal(rows[0]!.name, 'cli-lb-other');
    assert.equal(rows[0]!.project_id, OTHER_PROJECT);
    assert.equal(rows[0]!.provisioning_status, 'ACTIVE');
    assert.equal(rows[0]!.provider, 'amphora');
  });

  await step('show by name', async () => {
    const lb = await cli.json('show', 'cli-lb1');
    assert.equal(lb.id, lbId);
    assert.equal(lb.provisioning_status, 'ACTIVE');
  });

  await step('set --name --description --tag --wait', async () => {
    await cli.ok('set', '--name', 'cli-lb1b', '--description', 'second', '--tag', 't2', '--wait', 'cli-lb1');
    const lb = await loadBalancer();
    assert.equal(lb.name, 'cli-lb1b');
    assert.equal(lb.description, 'second');
    assert.deepEqual([...lb.tags].sort(), ['t1', 't2'], '--tag adds to the tags the load balancer had');
    assert.equal(lb.provisioning_status, 'ACTIVE');
  });

  await step('unset --description --tag --wait', async () => {
    await cli.ok('unset', '--description', '--tag', 't1', '--wait', lbId);
    const lb = await loadBalancer();
    assert.equal(lb.description, '', 'a description set to null reads back as ""');
    assert.deepEqual(lb.tags, ['t2']);
    assert.equal(lb.provisioning_status, 'ACTIVE');
  });

  await step('stats show', async () => {
    const stats = await cli.json('stats', 'show', 'cli-lb1b');
    assert.deepEqual(Object.keys(stats).sort(), STATS_KEYS);
    for (const k of STATS_KEYS) assert.equal(stats[k], 0, `${k} of a load balancer that never carried traffic`);
  });

  await step('failover --wait replaces the amphora', async () => {
    const before = await amphoraOf();
    await cli.ok('failover', '--wait', lbId);
    assert.equal((await loadBalancer()).provisioning_status, 'ACTIVE');
    assert.notEqual((await amphoraOf()).id, before.id, 'a new amphora');
  });

  await step('delete --wait, then show reports it gone', async () => {
    await cli.ok('delete', '--wait', otherId);
    await cli.fails(GONE, 'show', otherId);
  });

  await step('amphora list --loadbalancer --role --status, amphora show', async () => {
    const rows: { id: string; loadbalancer_id: string; status: string; role: string }[] = await cli.json(
      'amphora', 'list', '--loadbalancer', 'cli-lb1b', '--role', 'STANDALONE', '--status', 'ALLOCATED',
    );
    assert.equal(rows.length, 1, `one amphora for a SINGLE load balancer: ${JSON.stringify(rows)}`);
    ampId = rows[0]!.id;
    assert.equal(rows[0]!.loadbalancer_id, lbId);
    assert.equal(rows[0]!.role, 'STANDALONE');
    const shown = await cli.json('amphora', 'show', ampId);
    assert.equal(shown.id, ampId);
    assert.equal(shown.loadbalancer_id, lbId);
    assert.equal(shown.status, 'ALLOCATED');
    assert.ok(shown.compute_id, 'a noop compute id');
  });

  await step('amphora configure --wait', async () => {
    await cli.ok('amphora', 'configure', '--wait', ampId);
    assert.equal((await apiShow(octavius, `/v2/octavia/amphorae/${ampId}`, 'amphora')).status, 'ALLOCATED');
  });

  await step('amphora failover --wait replaces the amphora', async () => {
    await cli.ok('amphora', 'failover', '--wait', ampId);
    const amp = await amphoraOf();
    assert.notEqual(amp.id, ampId, 'a new amphora');
    assert.equal(amp.status, 'ALLOCATED');
    await apiGone(octavius, `/v2/octavia/amphorae/${ampId}`);
    assert.equal((await loadBalancer()).provisioning_status, 'ACTIVE');
    ampId = amp.id;
  });

  await step('amphora delete --wait (an amphora put into ERROR in the database)', async () => {
    // Only an amphora in ERROR may be deleted, and the noop drivers never fail: the test has the
    // SQLite file, so it marks one the way a failed flow would.
    const db = new Database(octavius.databaseFile);
    try {
      db.pragma('busy_timeout = 10000');
      assert.equal(db.prepare('UPDATE amphora SET status = ? WHERE id = ?').run('ERROR', ampId).changes, 1);
    } finally {
      db.close();
    }
    assert.equal((await apiShow(octavius, `/v2/octavia/amphorae/${ampId}`, 'amphora')).status, 'ERROR');
    await cli.ok('amphora', 'delete', '--wait', ampId);
    await apiGone(octavius, `/v2/octavia/amphorae/${ampId}`);
  });

  await step('delete --wait', async () => {
    await cli.ok('delete', '--wait', 'cli-lb1b');
    await apiGone(octavius, `/v2/lbaas/loadbalancers/${lbId}`);
  });
}
