/**
 * The real `openstack loadbalancer …` CLI (python3-openstackclient + python3-octaviaclient from
 * Debian) against a real `octavius up` process, through every command group: create/list/show/
 * set/unset/delete with --wait, statuses and statistics, failovers, amphorae, quotas, providers,
 * flavors and availability zones, and the CLI's Neutron (--vip-subnet-id, --subnet-id) and
 * Keystone (--project) look-ups, which Octavius answers itself at the same endpoint.
 *
 * The tracks are independent chains (each with its own load balancer or project) and run at the
 * same time: every command is a Python start-up of 1–1.5 s of CPU (about 100 commands here, so
 * ~90 s on two cores), and --wait polls every 3 s. Each command runs once; values after a
 * set/unset are read over HTTP instead of with another client start-up.
 *
 * Skipped only when the client packages are missing outside CI; under CI=true they must be there
 * (scripts/setup.sh --test installs them).
 */
import { after, before, describe, test } from 'node:test';
import { availabilityZoneTrack, flavorTrack, quotaTrack } from './cli-catalog.js';
import { l7Track, listenerTrack, memberMonitorTrack } from './cli-children.js';
import { loadBalancerTrack } from './cli-load-balancers.js';
import { OpenstackCli, type CliContext } from './openstack-cli.js';
import { startOctavius, type OctaviusProcess } from './octavius-process.js';
import { missingClients, skipReason } from './run-client.js';
import { steps, type Step } from './steps.js';

const skip = skipReason('cli');

if (skip !== null) {
  test.skip(`openstack CLI against Octavius: ${skip}`);
} else {
  describe('openstack loadbalancer CLI against octavius up', { concurrency: true }, () => {
    let octavius: OctaviusProcess | undefined;
    let context: CliContext | undefined;

    before(async () => {
      const missing = missingClients('cli');
      if (missing !== null) throw new Error(`CI=true and ${missing}: scripts/setup.sh --test must install the client packages`);
      octavius = await startOctavius({ prefix: 'octavius-cli', project: 'cli-default' });
      context = { cli: new OpenstackCli(octavius), octavius };
    });
    after(async () => {
      await octavius?.stop();
    });

    const track = (name: string, run: (step: Step, ctx: CliContext) => Promise<void>) =>
      test(name, { timeout: 300_000 }, async (t) => {
        if (!context) throw new Error('Octavius did not start (see the before hook)');
        await run(steps(t), context);
      });

    track('loadbalancer (--project, --vip-subnet-id, stats, failover) and amphora (list/show/configure/failover/delete)', loadBalancerTrack);
    track('listener and pool: create/list/show/set/unset/stats/delete', listenerTrack);
    track('member (--subnet-id) and healthmonitor: create/list/show/set/unset/delete; loadbalancer status show', memberMonitorTrack);
    track('l7policy and l7rule: create/list/show/set/unset/delete, cascade delete', l7Track);
    track('flavorprofile and flavor; loadbalancer create --flavor', flavorTrack);
    track('availabilityzoneprofile and availabilityzone; loadbalancer create --availability-zone', availabilityZoneTrack);
    track('provider capabilities; quota defaults/set/show/list/unset/reset', quotaTrack);
  });
}
