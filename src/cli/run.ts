/**
 * Starts the services of a subcommand and stops them cleanly on SIGINT/SIGTERM: stop accepting
 * requests, let running tasks finish (their jobs go back to the queue), close the database.
 */
import { defaultStatePath, loadConfig } from '../config/load.js';
import type { Config } from '../config/config.js';
import type { Worker } from '../controller/worker.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { embeddedDefaults } from './embedded.js';

export type CommandName = 'up' | 'api' | 'worker' | 'housekeeping' | 'health-manager' | 'db-upgrade' | 'agent';

interface Stoppable {
  readonly name: string;
  stop(): Promise<void>;
}

export async function runCommand(name: CommandName, configFiles: readonly string[]): Promise<void> {
  // The amphora agent has its own configuration and never opens the database; loading the
  // control plane's modules would only slow down the start of an amphora.
  if (name === 'agent') return (await import('../agent/agent.js')).runAgent(configFiles);
  const { buildApi, buildComputeSupervisor, buildDrivers, buildHeartbeatReceiver, buildHousekeeping, buildStaleScanner, buildWorker, openStore } = await import('./compose.js');
  const embedded = name === 'up' && configFiles.length === 0 ? embeddedDefaults(process.getuid?.() === 0, defaultStatePath()) : null;
  const overrides = embedded?.overrides ?? [];
  const { config, warnings, ignored } = loadConfig({ files: configFiles, overrides });
  const log = createLogger({ level: config.DEFAULT.log_level ?? (config.DEFAULT.debug ? 'debug' : 'info') });
  for (const w of warnings) log.warn(w);
  if (embedded) log.info(embedded.notice);
  if (ignored.length > 0) log.debug({ options: ignored }, 'upstream options accepted and not used by Octavius');

  const migrate = name === 'up' || name === 'db-upgrade';
  const { db, store } = await openStore(config, log, undefined, { migrate });
  if (name === 'db-upgrade') {
    await db.close();
    return;
  }
  const stoppables: Stoppable[] = [];
  const drivers = buildDrivers(config, log, db);
  if (name === 'up' || name === 'worker') {
    // Bridges before the first flow; then re-adopt the amphorae of this host and watch them.
    await drivers.prepare();
    const supervisor = buildComputeSupervisor(config, log, store, drivers);
    if (supervisor) {
      await supervisor.start();
      stoppables.push({ name: 'compute-supervisor', stop: () => supervisor.stop() });
    }
  }

  // In `up` the API wakes the worker in the same process as soon as a job is committed; a
  // separate worker process finds jobs by polling ([task_flow] job_poll_interval).
  let worker: Worker | null = null;
  if (name === 'up' || name === 'worker') {
    const w = buildWorker(config, log, store, drivers);
    w.start();
    worker = w;
    stoppables.push({ name: 'worker', stop: () => w.stop() });
  }
  if (name === 'up' || name === 'housekeeping') {
    const hk = buildHousekeeping(config, log, store, undefined, () => worker?.notify());
    hk.start();
    stoppables.push({ name: 'housekeeping', stop: () => hk.stop() });
  }
  // Heartbeats: `health-manager` requires [health_manager] heartbeat_key; `up` receives them only
  // when one is set (amphorae send none without it).
  if (name === 'health-manager' || (name === 'up' && config.health_manager.heartbeat_key)) {
    const receiver = buildHeartbeatReceiver(config, log, store);
    await receiver.start();
    stoppables.push({ name: 'heartbeat-receiver', stop: () => receiver.stop() });
    // Detection with the receiver: without heartbeats every amphora would look stale.
    const scanner = buildStaleScanner(config, log, store, undefined, () => worker?.notify());
    scanner.metrics.trackReceiver(receiver.counters);
    scanner.start();
    stoppables.push({ name: 'stale-amphora-scanner', stop: () => scanner.stop() });
  } else if (name === 'up' && config.controller_worker.amphora_driver !== 'amphora_noop_driver') {
    log.warn('[health_manager] heartbeat_key is not set: amphorae send no heartbeats and operating statuses stay OFFLINE');
  }
  if (name === 'up' || name === 'api') {
    const { app } = buildApi(config, log, store, drivers, () => worker?.notify());
    await listen(app, config, log);
    stoppables.unshift({ name: 'api', stop: () => app.close() });
    if (name === 'up') process.stdout.write(nextSteps(config, db.description));
  }
  await waitForSignal(log, stoppables, () => db.close());
}

async function listen(app: import('fastify').FastifyInstance, config: Config, log: Logger): Promise<void> {
  const { bind_host: host, bind_port: port } = config.api_settings;
  await app.listen({ host, port });
  log.info({ url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` }, 'API listening');
}

function waitForSignal(log: Logger, stoppables: readonly Stoppable[], close: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) {
        log.warn('second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        log.error('shutdown took too long; exiting');
        process.exit(1);
      }, 15000);
      timer.unref();
      for (const s of stoppables) {
        try {
          await s.stop();
        } catch (err) {
          log.error({ err, service: s.name }, 'stopping failed');
        }
      }
      await close();
      log.info('stopped');
      resolve();
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });
}

/** What a newcomer can try once `octavius up` is running. */
function nextSteps(config: Config, database: string): string {
  const { bind_host: host, bind_port: port, auth_strategy: auth, noauth_default_project: project } = config.api_settings;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // The noop network driver's fixed subnet, or the first subnet of the local network driver.
  const local = config.controller_worker.network_driver === 'network_local_driver' ? config.local_networks.subnets[0] : undefined;
  const subnet = local?.id ?? '8b3c1a4e-7b3b-4a0b-9f8f-0f6d2b8c9d10';
  return [
    '',
    `Octavius is up on ${url}`,
    `  auth: ${auth}${project ? ` (requests without a project act in project "${project}")` : ''}`,
    `  drivers: ${config.controller_worker.compute_driver}, ${config.controller_worker.network_driver}, ${config.controller_worker.amphora_driver}`,
    `  database: ${database}`,
    '',
    'Try it:',
    `  curl -s ${url}/ | head -c 300; echo`,
    `  curl -s -X POST -H 'Content-Type: application/json' -H 'X-Project-Id: demo' ${url}/v2/lbaas/loadbalancers \\`,
    `       -d '{"loadbalancer": {"name": "lb1", "vip_subnet_id": "${subnet}"}}'`,
    `  curl -s -H 'X-Project-Id: demo' ${url}/v2/lbaas/loadbalancers`,
    '',
    'With the openstack CLI (python3-openstackclient + python3-octaviaclient):',
    `  export OS_AUTH_TYPE=none OS_ENDPOINT=${url}`,
    `  openstack loadbalancer create --name lb1 --vip-subnet-id ${subnet} --wait`,
    '  openstack loadbalancer list',
    '',
    ...(local
      ? [
          'A whole load balancer with two member servers on this host, traffic through its VIP, then clean-up:',
          `  npx octavius demo --endpoint ${url}`,
          '',
        ]
      : []),
    `API description: ${url}/openapi.json     Stop: Ctrl-C`,
    '',
  ].join('\n');
}
