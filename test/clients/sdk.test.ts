/**
 * openstacksdk (python3-openstacksdk 0.101 from Debian) against a real `octavius up` process:
 * version discovery through GET /, then create/get/find/list/update/delete of every resource type
 * through `conn.load_balancer`, wait_for_load_balancer, statistics and the status tree, quotas,
 * providers, flavors and availability zones, amphorae, and the SDK's error classes.
 *
 * test/clients/sdk_walkthrough.py does the driving in one Python process (one start-up instead of
 * one per call) and prints what each step returned; the assertions are here. A step that failed
 * ends its section of the walk-through (the other sections still run), and every test that needs
 * a step that was not reached says which step broke first.
 *
 * Skipped only when openstacksdk is missing outside CI; under CI=true it must be installed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { exchanges } from './openstack-cli.js';
import { CLOUD, startOctavius, SUBNET, type OctaviusProcess } from './octavius-process.js';
import { clientEnv, missingClients, PYTHON, runClient, skipReason, type ClientResult } from './run-client.js';

const script = new URL('./sdk_walkthrough.py', import.meta.url).pathname;
const OTHER_PROJECT = 'sdk-other';
const STATS_KEYS = ['active_connections', 'bytes_in', 'bytes_out', 'request_errors', 'total_connections'];

interface StepRecord {
  step: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read the JSON freely
  result?: any;
  error?: string;
  traceback?: string;
}

/** The walk-through's records, with failure messages that point at the step that broke. */
class Walkthrough {
  readonly #records = new Map<string, StepRecord>();
  readonly #run: ClientResult;
  readonly #octavius: OctaviusProcess;

  constructor(run: ClientResult, octavius: OctaviusProcess) {
    this.#run = run;
    this.#octavius = octavius;
    for (const line of run.stdout.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const record = JSON.parse(line) as StepRecord;
        this.#records.set(record.step, record);
      } catch {
        // a stray print; the records are what count
      }
    }
  }

  /** The HTTP exchanges the SDK logged during one step (stderr has a STEP marker before each). */
  #exchangesOf(step: string): string[] {
    const marker = `STEP: ${step}\n`;
    const start = this.#run.stderr.indexOf(marker);
    if (start < 0) return [];
    const rest = this.#run.stderr.slice(start + marker.length);
    const end = rest.indexOf('\nSTEP: ');
    return exchanges(end < 0 ? rest : rest.slice(0, end), this.#octavius.url).map(
      (x) => `  ${x.method} ${x.url}${x.body ? ` ${x.body.slice(0, 400)}` : ''} -> ${x.status ?? '(no answer)'} ${(x.response ?? '').slice(0, 400)}`,
    );
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read the JSON freely
  result(step: string): any {
    const record = this.#records.get(step);
    if (record && record.error === undefined) return record.result;
    if (record) {
      const log = this.#exchangesOf(step).slice(-20);
      throw new Error(
        [
          `SDK step "${step}" failed: ${record.error}`,
          log.length > 0 ? `HTTP exchanges with Octavius during the step:\n${log.join('\n')}` : 'no HTTP exchange was logged',
          `Python traceback:\n${record.traceback ?? ''}`,
        ].join('\n'),
      );
    }
    // Sections of the walk-through are independent; a missing step follows a failure in its own.
    const failed = [...this.#records.values()].filter((r) => r.error !== undefined);
    if (failed.length > 0) {
      throw new Error(`SDK step "${step}" was not reached; failed before it (see their tests): ${failed.map((f) => `"${f.step}": ${f.error}`).join('; ')}`);
    }
    throw new Error(
      `SDK step "${step}" was not reached: the walk-through ${this.#run.timedOut ? 'timed out' : `exited with ${this.#run.code ?? this.#run.signal}`}.\n` +
        `stderr tail:\n${this.#run.stderr.split('\n').slice(-30).join('\n')}`,
    );
  }
}

const skip = skipReason('sdk');

if (skip !== null) {
  test.skip(`openstacksdk against Octavius: ${skip}`);
} else {
  describe('openstacksdk load_balancer proxy against octavius up', () => {
    let octavius: OctaviusProcess | undefined;
    let walk: Walkthrough | undefined;
    const r = (step: string) => {
      if (!walk) throw new Error('the walk-through did not run (see the before hook)');
      return walk.result(step);
    };

    before(async () => {
      const missing = missingClients('sdk');
      if (missing !== null) throw new Error(`CI=true and ${missing}: scripts/setup.sh --test must install python3-openstacksdk`);
      octavius = await startOctavius({ prefix: 'octavius-sdk', project: 'sdk-default' });
      const params = { cloud: CLOUD, subnet: SUBNET, database: octavius.databaseFile, other_project: OTHER_PROJECT };
      const run = await runClient(PYTHON, [script, JSON.stringify(params)], {
        env: clientEnv(octavius.dir, { OS_CLIENT_CONFIG_FILE: octavius.cloudsFile }),
        cwd: octavius.dir,
        timeoutMs: 120_000,
      });
      walk = new Walkthrough(run, octavius);
    }, { timeout: 180_000 });
    after(async () => {
      await octavius?.stop();
    });

    test('version discovery via GET / gives the /v2 endpoint', () => {
      assert.equal(r('discovery').endpoint, `${octavius!.url}/v2`);
    });

    test('load balancer: create, wait_for_load_balancer, get, find, list (name, tags), update, stats', () => {
      const created = r('lb_create');
      assert.equal(created.name, 'sdk-lb1');
      assert.equal(created.provisioning_status, 'PENDING_CREATE');
      assert.equal(created.vip_subnet_id, SUBNET);
      assert.equal(created.project_id, 'sdk-default', 'no X-Project-Id: the noauth default project');
      assert.deepEqual(created.tags, ['t1']);
      const active = r('lb_wait');
      assert.equal(active.provisioning_status, 'ACTIVE');
      assert.equal(r('lb_get').id, created.id);
      assert.equal(r('lb_find').id, created.id, 'find by name: GET by name 404s, then ?name=');
      assert.deepEqual(r('lb_list').map((x: { id: string }) => x.id), [created.id]);
      assert.deepEqual(r('lb_list_tags'), [created.id], 'the SDK sends tags=t1 (comma-joined form)');
      const updated = r('lb_update');
      assert.equal(updated.name, 'sdk-lb1b');
      assert.equal(updated.description, 'second');
      assert.equal(updated.provisioning_status, 'ACTIVE');
      const stats = r('lb_stats');
      for (const k of STATS_KEYS) assert.equal(stats[k], 0, k);
    });

    test('X-Project-Id through session.additional_headers, list by project_id', () => {
      const other = r('lb_create_other_project');
      assert.equal(other.project_id, OTHER_PROJECT);
      assert.equal(r('lb_wait_other').provisioning_status, 'ACTIVE');
      assert.deepEqual(r('lb_list_project'), [other.id]);
    });

    test('listener: create, list by load_balancer_id, find, update, stats', () => {
      const ls = r('listener_create');
      assert.equal(ls.protocol, 'HTTP');
      assert.equal(ls.protocol_port, 80);
      assert.equal(ls.connection_limit, 10);
      assert.deepEqual(ls.load_balancers, [{ id: r('lb_create').id }]);
      assert.equal(r('listener_wait').provisioning_status, 'ACTIVE');
      assert.deepEqual(r('listener_list'), [ls.id], 'the SDK filters with ?load_balancer_id=');
      assert.equal(r('listener_find').id, ls.id);
      const updated = r('listener_update');
      assert.equal(updated.description, 'front');
      assert.equal(updated.provisioning_status, 'ACTIVE');
      const stats = r('listener_stats');
      for (const k of STATS_KEYS) assert.equal(stats[k], 0, k);
    });

    test('pool: create on a listener, list, find, update', () => {
      const pl = r('pool_create');
      assert.equal(pl.lb_algorithm, 'ROUND_ROBIN');
      assert.deepEqual(pl.listeners, [{ id: r('listener_create').id }]);
      assert.equal(r('pool_wait').provisioning_status, 'ACTIVE');
      assert.deepEqual(r('pool_list'), [pl.id]);
      assert.equal(r('pool_find').id, pl.id);
      assert.equal(r('pool_update').description, 'back');
    });

    test('member: create with subnet_id, list, find (with ?pool_id=), get, update, batch update', () => {
      const mb = r('member_create');
      assert.equal(mb.address, '10.0.0.5');
      assert.equal(mb.subnet_id, SUBNET);
      assert.equal(r('member_wait').provisioning_status, 'ACTIVE');
      assert.deepEqual(r('member_list'), [mb.id]);
      assert.equal(r('member_find').id, mb.id);
      assert.equal(r('member_get').provisioning_status, 'ACTIVE');
      assert.equal(r('member_update').weight, 3);
      const batch = r('member_batch_update');
      assert.equal(batch.status, 202, `batch update answer: ${JSON.stringify(batch.body)}`);
      const byAddress = Object.fromEntries(batch.members.map((m: { address: string }) => [m.address, m]));
      assert.deepEqual(Object.keys(byAddress).sort(), ['10.0.0.5', '10.0.0.6']);
      assert.equal(byAddress['10.0.0.5'].id, mb.id, 'the member with the same address and port is updated in place');
      assert.equal(byAddress['10.0.0.5'].weight, 4);
      assert.equal(byAddress['10.0.0.6'].provisioning_status, 'ACTIVE');
    });

    test('health monitor: create, find, list, update', () => {
      const hm = r('hm_create');
      assert.equal(hm.type, 'HTTP');
      assert.deepEqual(hm.pools, [{ id: r('pool_create').id }]);
      assert.equal(r('hm_wait').provisioning_status, 'ACTIVE');
      assert.equal(r('hm_find').id, hm.id);
      assert.ok(r('hm_list').includes(hm.id));
      assert.equal(r('hm_update').delay, 6);
    });

    test('L7 policy and rule: create, find, list (rules with ?l7policy_id=), get, update', () => {
      const p = r('l7policy_create');
      assert.equal(p.action, 'REDIRECT_TO_POOL');
      assert.equal(p.redirect_pool_id, r('pool_create').id);
      assert.equal(p.listener_id, r('listener_create').id);
      assert.equal(r('l7policy_wait').provisioning_status, 'ACTIVE');
      assert.equal(r('l7policy_find').id, p.id);
      assert.deepEqual(r('l7policy_list'), [p.id]);
      assert.equal(r('l7policy_update').description, 'd');
      const rule = r('l7rule_create');
      assert.equal(rule.rule_value, '/x');
      assert.equal(rule.type, 'PATH');
      assert.equal(r('l7rule_wait').provisioning_status, 'ACTIVE');
      assert.deepEqual(r('l7rule_list'), [rule.id]);
      assert.equal(r('l7rule_get').compare_type, 'EQUAL_TO');
      const updated = r('l7rule_update');
      assert.equal(updated.rule_value, '/y');
      assert.equal(updated.provisioning_status, 'ACTIVE');
    });

    test('status tree through the proxy adapter', () => {
      const status = r('lb_status');
      assert.equal(status.status, 200, JSON.stringify(status.body));
      const lb = status.body.statuses.loadbalancer;
      assert.equal(lb.id, r('lb_create').id);
      assert.equal(lb.provisioning_status, 'ACTIVE');
      assert.equal(lb.listeners[0].id, r('listener_create').id);
      assert.equal(lb.listeners[0].pools[0].id, r('pool_create').id);
      assert.equal(lb.listeners[0].pools[0].health_monitor.id, r('hm_create').id);
      assert.equal(lb.listeners[0].pools[0].members.length, 2);
    });

    test('errors: 400 on delete with children, 404 on get, find of a missing name', () => {
      const lbId = r('lb_create').id;
      const children = r('error_delete_with_children');
      assert.equal(children.exception, 'BadRequestException');
      assert.match(children.message, new RegExp(`Cannot delete Load Balancer ${lbId} - it has children`));
      assert.match(children.request_id ?? '', /^req-/, 'x-openstack-request-id reaches the SDK');
      const missing = r('error_not_found');
      assert.equal(missing.exception, 'ResourceNotFound');
      assert.match(missing.message, /Load Balancer [0-9a-f-]{36} not found\./, 'the faultstring is in the message');
      const find = r('error_find_missing');
      assert.equal(find.exception, 'ResourceNotFound');
      assert.match(find.message, /No LoadBalancer found for sdk-nosuch/);
    });

    test('amphorae: list by load balancer, get, find, configure, failover; load balancer failover', () => {
      const lbId = r('lb_create').id;
      const amps = r('amphora_list');
      assert.equal(amps.length, 1);
      const amp = amps[0];
      assert.equal(amp.loadbalancer_id, lbId);
      assert.equal(amp.status, 'ALLOCATED');
      assert.equal(r('amphora_get').id, amp.id);
      assert.equal(r('amphora_find').id, amp.id);
      assert.equal(r('amphora_configure').status, 'ALLOCATED');
      const failover = r('amphora_failover');
      assert.equal(failover.amphorae.length, 1);
      assert.notEqual(failover.amphorae[0].id, amp.id, 'a new amphora');
      assert.equal(failover.old.exception, 'ResourceNotFound', 'the replaced amphora is gone');
      const lbFailover = r('lb_failover');
      assert.equal(lbFailover.loadbalancer.provisioning_status, 'ACTIVE');
      assert.notEqual(lbFailover.amphorae[0].id, failover.amphorae[0].id);
    });

    test('deletes of each child, of the load balancer, of an amphora in ERROR, cascade', () => {
      for (const s of ['l7rule_delete', 'l7policy_delete', 'hm_delete', 'member_delete', 'pool_delete', 'listener_delete', 'lb_delete']) {
        assert.equal(r(s).gone, true, `${s}: GET answers 404 afterwards`);
      }
      assert.equal(r('listener_create_other').provisioning_status, 'ACTIVE');
      const amp = r('amphora_delete');
      assert.equal(amp.status_before, 'ERROR');
      assert.equal(amp.status, 204, JSON.stringify(amp.body));
      assert.equal(amp.gone, true);
      assert.equal(r('lb_delete_cascade').gone, true);
    });

    test('quotas: defaults, update (SDK names), get, list, delete', () => {
      const defaults = r('quota_defaults');
      for (const k of ['load_balancers', 'listeners', 'pools', 'members', 'health_monitors']) assert.equal(defaults[k], -1, k);
      const updated = r('quota_update');
      assert.equal(updated.load_balancers, 3);
      assert.equal(updated.listeners, 4);
      const got = r('quota_get');
      assert.equal(got.load_balancers, 3);
      assert.equal(got.listeners, 4);
      assert.equal(got.pools, -1);
      assert.ok(r('quota_list').some((q: { project_id: string; load_balancers: number }) => q.project_id === 'sdk-quota' && q.load_balancers === 3));
      const reset = r('quota_delete');
      assert.equal(reset.load_balancers, -1, 'after delete the project is back on the defaults');
      assert.equal(reset.listeners, -1);
    });

    test('providers and their capabilities', () => {
      assert.ok(r('providers').some((p: { name: string }) => p.name === 'amphora'));
      assert.ok(r('provider_flavor_capabilities').some((c: { name: string }) => c.name === 'loadbalancer_topology'));
      const az = r('provider_az_capabilities');
      assert.equal(az.status, 200);
      assert.ok(az.body.availability_zone_capabilities.some((c: { name: string }) => c.name === 'compute_zone'));
    });

    test('flavor profiles and flavors: create, find, update, list, delete', () => {
      const fp = r('flavorprofile_create');
      assert.equal(fp.provider_name, 'amphora');
      assert.deepEqual(JSON.parse(fp.flavor_data), { loadbalancer_topology: 'SINGLE' });
      assert.equal(r('flavorprofile_find').id, fp.id);
      assert.equal(r('flavorprofile_update').name, 'sdk-fp1b');
      assert.ok(r('flavorprofile_list').includes(fp.id));
      const fl = r('flavor_create');
      assert.equal(fl.flavor_profile_id, fp.id);
      assert.equal(fl.is_enabled, true);
      assert.equal(r('flavor_find').id, fl.id);
      assert.equal(r('flavor_update').description, 'x');
      assert.ok(r('flavor_list').includes(fl.id));
      assert.equal(r('flavor_delete').found, null);
      assert.equal(r('flavorprofile_delete').found, null);
    });

    test('availability zone profiles and zones: create, get by name, update, list, delete', () => {
      const azp = r('azprofile_create');
      assert.deepEqual(JSON.parse(azp.availability_zone_data), { compute_zone: 'nova' });
      const az = r('az_create');
      assert.equal(az.name, 'sdk-az1');
      assert.equal(az.availability_zone_profile_id, azp.id);
      assert.equal(r('az_get').description, 'd1');
      const updated = r('az_update');
      assert.equal(updated.description, 'd2');
      assert.equal(updated.is_enabled, false);
      assert.ok(r('az_list').includes('sdk-az1'));
      assert.equal(r('az_delete').exception, 'ResourceNotFound');
      assert.equal(r('azprofile_delete').exception, 'ResourceNotFound');
      assert.equal(r('end'), true, 'the walk-through ran to its end');
    });
  });
}
