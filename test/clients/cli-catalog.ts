/**
 * CLI tracks on what operators manage beside load balancers: providers and their capabilities,
 * flavor profiles and flavors, availability zone profiles and zones, quotas. Projects are the
 * test's own, so quota limits here never touch the other tracks' load balancers.
 */
import assert from 'node:assert/strict';
import { apiGone, apiShow, type CliContext } from './openstack-cli.js';
import { SUBNET } from './octavius-process.js';
import type { Step } from './steps.js';

const QUOTA_KEYS = ['health_monitor', 'l7policy', 'l7rule', 'listener', 'load_balancer', 'member', 'pool'];

export async function flavorTrack(step: Step, { cli, octavius }: CliContext): Promise<void> {
  let fpId = '';
  let flId = '';

  await step('flavorprofile create, list (filtered), show', async () => {
    const fp = await cli.json('flavorprofile', 'create', '--name', 'cli-fp1', '--provider', 'amphora', '--flavor-data', '{"loadbalancer_topology": "SINGLE"}');
    fpId = fp.id;
    assert.equal(fp.provider_name, 'amphora');
    assert.deepEqual(JSON.parse(fp.flavor_data), { loadbalancer_topology: 'SINGLE' });
    const filtered: { id: string }[] = await cli.json('flavorprofile', 'list', '--name', 'cli-fp1', '--provider', 'amphora');
    assert.deepEqual(filtered.map((r) => r.id), [fpId]);
    assert.equal((await cli.json('flavorprofile', 'show', 'cli-fp1')).id, fpId);
  });

  await step('flavorprofile set --name --flavor-data', async () => {
    await cli.ok('flavorprofile', 'set', '--name', 'cli-fp1b', '--flavor-data', '{"loadbalancer_topology": "ACTIVE_STANDBY"}', 'cli-fp1');
    const fp = await apiShow(octavius, `/v2/lbaas/flavorprofiles/${fpId}`, 'flavorprofile');
    assert.equal(fp.name, 'cli-fp1b');
    assert.deepEqual(JSON.parse(fp.flavor_data), { loadbalancer_topology: 'ACTIVE_STANDBY' });
  });

  await step('flavor create --flavorprofile <name>, list (filtered), show', async () => {
    const fl = await cli.json('flavor', 'create', '--name', 'cli-fl1', '--flavorprofile', 'cli-fp1b', '--description', 'd1', '--enable');
    flId = fl.id;
    assert.equal(fl.flavor_profile_id, fpId);
    assert.equal(fl.enabled, true);
    assert.equal(fl.description, 'd1');
    const filtered: { id: string }[] = await cli.json('flavor', 'list', '--name', 'cli-fl1', '--flavorprofile', 'cli-fp1b', '--enable');
    assert.deepEqual(filtered.map((r) => r.id), [flId]);
    assert.equal((await cli.json('flavor', 'show', 'cli-fl1')).id, flId);
  });

  await step('loadbalancer create --flavor <name> --wait', async () => {
    const lb = await cli.json('create', '--name', 'cli-lb-fl', '--flavor', 'cli-fl1', '--vip-subnet-id', SUBNET, '--wait');
    assert.equal(lb.flavor_id, flId);
    assert.equal(lb.provisioning_status, 'ACTIVE');
    await cli.ok('delete', '--wait', lb.id);
    await apiGone(octavius, `/v2/lbaas/loadbalancers/${lb.id}`);
  });

  await step('flavor set --name --disable, unset --description', async () => {
    await cli.ok('flavor', 'set', '--name', 'cli-fl1b', '--disable', 'cli-fl1');
    let fl = await apiShow(octavius, `/v2/lbaas/flavors/${flId}`, 'flavor');
    assert.equal(fl.name, 'cli-fl1b');
    assert.equal(fl.enabled, false);
    await cli.ok('flavor', 'unset', '--description', 'cli-fl1b');
    fl = await apiShow(octavius, `/v2/lbaas/flavors/${flId}`, 'flavor');
    assert.equal(fl.description, '');
  });

  await step('flavor delete, flavorprofile delete', async () => {
    await cli.ok('flavor', 'delete', 'cli-fl1b');
    await apiGone(octavius, `/v2/lbaas/flavors/${flId}`);
    await cli.ok('flavorprofile', 'delete', 'cli-fp1b');
    await apiGone(octavius, `/v2/lbaas/flavorprofiles/${fpId}`);
  });
}

export async function availabilityZoneTrack(step: Step, { cli, octavius }: CliContext): Promise<void> {
  let azpId = '';

  await step('availabilityzoneprofile create, list (filtered), show by id', async () => {
    const azp = await cli.json(
      'availabilityzoneprofile', 'create', '--name', 'cli-azp1', '--provider', 'amphora', '--availability-zone-data', '{"compute_zone": "nova"}',
    );
    azpId = azp.id;
    assert.equal(azp.provider_name, 'amphora');
    assert.deepEqual(JSON.parse(azp.availability_zone_data), { compute_zone: 'nova' });
    const filtered: { id: string }[] = await cli.json('availabilityzoneprofile', 'list', '--name', 'cli-azp1', '--provider', 'amphora');
    assert.deepEqual(filtered.map((r) => r.id), [azpId]);
    // By id: this show has no fast path, the client looks the id up with ?id= first.
    assert.equal((await cli.json('availabilityzoneprofile', 'show', azpId)).name, 'cli-azp1');
  });

  await step('availabilityzoneprofile set --name', async () => {
    // NOTE: the set command's --availabilityzone-data is dropped by octaviaclient 3.1 itself.
    await cli.ok('availabilityzoneprofile', 'set', '--name', 'cli-azp1b', 'cli-azp1');
    assert.equal((await apiShow(octavius, `/v2/lbaas/availabilityzoneprofiles/${azpId}`, 'availability_zone_profile')).name, 'cli-azp1b');
  });

  await step('availabilityzone create, list (filtered), show', async () => {
    const az = await cli.json('availabilityzone', 'create', '--name', 'cli-az1', '--availabilityzoneprofile', 'cli-azp1b', '--description', 'd1');
    assert.equal(az.name, 'cli-az1');
    assert.equal(az.availability_zone_profile_id, azpId);
    assert.equal(az.enabled, true);
    const filtered: { name: string }[] = await cli.json('availabilityzone', 'list', '--name', 'cli-az1', '--availabilityzoneprofile', 'cli-azp1b', '--enable');
    assert.deepEqual(filtered.map((r) => r.name), ['cli-az1']);
    assert.equal((await cli.json('availabilityzone', 'show', 'cli-az1')).description, 'd1');
  });

  await step('loadbalancer create --availability-zone --wait', async () => {
    const lb = await cli.json('create', '--name', 'cli-lb-az', '--availability-zone', 'cli-az1', '--vip-subnet-id', SUBNET, '--wait');
    assert.equal(lb.availability_zone, 'cli-az1');
    assert.equal(lb.provisioning_status, 'ACTIVE');
    await cli.ok('delete', '--wait', lb.id);
    await apiGone(octavius, `/v2/lbaas/loadbalancers/${lb.id}`);
  });

  await step('availabilityzone set --description --disable, unset --description', async () => {
    await cli.ok('availabilityzone', 'set', '--description', 'd2', '--disable', 'cli-az1');
    let az = await apiShow(octavius, '/v2/lbaas/availabilityzones/cli-az1', 'availability_zone');
    assert.equal(az.description, 'd2');
    assert.equal(az.enabled, false);
    await cli.ok('availabilityzone', 'unset', '--description', 'cli-az1');
    az = await apiShow(octavius, '/v2/lbaas/availabilityzones/cli-az1', 'availability_zone');
    assert.equal(az.description, '');
  });

  await step('availabilityzone delete, availabilityzoneprofile delete', async () => {
    await cli.ok('availabilityzone', 'delete', 'cli-az1');
    // Zones have no id: the client's fallback look-up is `?id=<name>`, which upstream (and so
    // Octavius) rejects as an unknown filter — that 400 is what a user sees for a missing zone.
    await cli.fails(/One or more arguments are either duplicate or invalid \(HTTP 400\)/, 'availabilityzone', 'show', 'cli-az1');
    await cli.ok('availabilityzoneprofile', 'delete', 'cli-azp1b');
    await apiGone(octavius, `/v2/lbaas/availabilityzoneprofiles/${azpId}`);
  });
}

export async function quotaTrack(step: Step, { cli, octavius }: CliContext): Promise<void> {
  const project = 'cli-quota';
  const quota = (p: string) => apiShow(octavius, `/v2/lbaas/quotas/${p}`, 'quota');

  await step('provider list, provider capability list (flavor and availability zone)', async () => {
    const providers: { name: string; description: string }[] = await cli.json('provider', 'list');
    assert.ok(providers.some((p) => p.name === 'amphora'), JSON.stringify(providers));
    const caps: { type: string; name: string }[] = await cli.json('provider', 'capability', 'list', 'amphora');
    assert.ok(caps.some((c) => c.type === 'flavor' && c.name === 'loadbalancer_topology'), JSON.stringify(caps));
    assert.ok(caps.some((c) => c.type === 'availability_zone' && c.name === 'compute_zone'), JSON.stringify(caps));
    const flavorCaps: { type: string }[] = await cli.json('provider', 'capability', 'list', '--flavor', 'amphora');
    assert.ok(flavorCaps.length > 0 && flavorCaps.every((c) => c.type === 'flavor'));
    const azCaps: { type: string }[] = await cli.json('provider', 'capability', 'list', '--availability-zone', 'amphora');
    assert.ok(azCaps.length > 0 && azCaps.every((c) => c.type === 'availability_zone'));
  });


  await step('quota defaults show', async () => {
    const q = await cli.json('quota', 'defaults', 'show');
    assert.deepEqual(Object.keys(q).sort(), QUOTA_KEYS);
    for (const k of QUOTA_KEYS) assert.equal(q[k], -1, `default ${k} is unlimited`);
  });

  await step('quota set (every resource), show, list --project', async () => {
    const set = await cli.json(
      'quota', 'set', '--loadbalancer', '5', '--listener', '6', '--pool', '7', '--member', '8', '--healthmonitor', '9', '--l7policy', '10', '--l7rule', '11', project,
    );
    const expected = { load_balancer: 5, listener: 6, pool: 7, member: 8, health_monitor: 9, l7policy: 10, l7rule: 11 };
    for (const [k, v] of Object.entries(expected)) assert.equal(set[k], v, `quota set output ${k}`);
    const shown = await cli.json('quota', 'show', project);
    for (const [k, v] of Object.entries(expected)) assert.equal(shown[k], v, `quota show ${k}`);
    const rows: { project_id: string; load_balancer: number }[] = await cli.json('quota', 'list', '--project', project);
    assert.deepEqual(rows.map((r) => r.project_id), [project]);
    assert.equal(rows[0]!.load_balancer, 5);
  });

  await step('quota unset --loadbalancer --member (the client’s old key names)', async () => {
    await cli.ok('quota', 'unset', '--loadbalancer', '--member', project);
    const q = await quota(project);
    assert.equal(q.load_balancer, -1, 'back to the default');
    assert.equal(q.member, -1);
    assert.equal(q.listener, 6, 'untouched');
  });

  await step('quota reset', async () => {
    await cli.ok('quota', 'reset', project);
    const q = await quota(project);
    for (const k of QUOTA_KEYS) assert.equal(q[k], -1, k);
  });

  // NOTE: no enforcement check here: under auth_strategy = noauth upstream skips every quota check
  // (everyone is admin), and so does Octavius; the API tests cover enforcement.
}
