/**
 * The composition root: the one place that turns configuration into running parts. Read it like a
 * runbook — each step says what it builds and why it comes in that order.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { allowAll, NoauthAuthenticator, type Authenticator, type Authorizer } from '../api/auth.js';
import { buildApp } from '../api/app.js';
import type { ApiDeps } from '../api/deps.js';
import type { Config } from '../config/config.js';
import type { Drivers } from '../controller/drivers.js';
import { Worker } from '../controller/worker.js';
import { connectDatabase, type Db } from '../db/connect.js';
import { migrateToLatest, pendingMigrations } from '../db/migrate.js';
import { ConfigError } from '../config/load.js';
import { Store } from '../db/store.js';
import type { AmphoraDriver } from '../drivers/amphora/amphora-driver.js';
import { NoopAmphoraDriver } from '../drivers/amphora/noop-amphora-driver.js';
import { RestAmphoraDriver } from '../drivers/amphora/rest-amphora-driver.js';
import type { ComputeDriver } from '../drivers/compute/compute-driver.js';
import { NetnsComputeDriver, netnsComputeOptions } from '../drivers/compute/netns-compute-driver.js';
import { LocalNetworkDriver } from '../drivers/network/local-network-driver.js';
import { KyselyPortStore } from '../db/repositories/network-ports.js';
import { ComputeSupervisor, type SupervisedCompute } from '../controller/compute-supervisor.js';
import type { Amphora } from '../domain/amphora.js';
import type { HaproxySettings } from '../render/haproxy/input.js';
import { LocalCa } from '../drivers/certs/local-ca.js';
import { LocalCertManager } from '../drivers/certs/local-cert-manager.js';
import { renderAgentConfig } from '../render/agent-config.js';
import { NoopComputeDriver } from '../drivers/compute/noop-compute-driver.js';
import { NoopNetworkDriver } from '../drivers/network/noop-network-driver.js';
import type { NetworkDriver } from '../drivers/network/network-driver.js';
import { Housekeeping } from '../housekeeping/housekeeping.js';
import { HeartbeatReceiver } from '../health/receiver.js';
import { StaleAmphoraScanner } from '../health/stale-scanner.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { AmphoraProviderDriver } from '../providers/amphora-provider.js';
import { NoopProviderDriver } from '../providers/noop-provider.js';
import type { ProviderDriver } from '../providers/provider-driver.js';

export const VERSION = '0.1.0';

/** Step 1: the database. Everything else shares this one connection (pool). */
export async function openStore(config: Config, log: Logger, clock: Clock = systemClock, options: { migrate?: boolean } = {}): Promise<{ db: Db; store: Store }> {
  const db = connectDatabase(config.database.connection!, { maxPoolSize: config.database.max_pool_size });
  log.info({ database: db.description, engine: db.engine }, 'database opened');
  if (options.migrate) {
    const report = await migrateToLatest(db.kysely as never);
    if (report.applied.length > 0) log.info({ applied: report.applied }, 'database migrated');
  } else {
    // Services other than `up` do not change the schema (as upstream's octavia-db-manage); they
    // refuse to start on a database that is not current rather than fail on every request.
    const pending = await pendingMigrations(db.kysely as never);
    if (pending.length > 0) {
      await db.close();
      throw new ConfigError([`[database] connection ${db.description}: schema is not current (pending: ${pending.join(', ')}); run \`octavius db upgrade\``]);
    }
  }
  return { db, store: new Store(db, clock) };
}

/** The drivers of a process, plus what the host-local data plane needs from the composition root. */
export interface BuiltDrivers extends Drivers {
  /** Creates the host resources flows need (management and network bridges); idempotent. */
  prepare(): Promise<void>;
  /** The compute driver when it runs amphorae on this host and must be supervised (netns). */
  readonly supervised: SupervisedCompute | null;
}

/**
 * Step 2: the drivers named by [controller_worker]. The noop drivers are upstream's test drivers;
 * `compute_netns_driver` + `network_local_driver` + `amphora_haproxy_rest_driver` run real amphorae
 * (network namespaces with HAProxy) on this host and need root.
 */
export function buildDrivers(config: Config, log: Logger, db: Db): BuiltDrivers {
  const delayMs = config.noop_drivers.task_delay_ms;
  const cw = config.controller_worker;
  const unavailable = (option: string, value: string): never => {
    throw new ConfigError([`[controller_worker] ${option} = ${value} is not available in this build of Octavius`]);
  };
  const needsRoot = [
    cw.compute_driver === 'compute_netns_driver' ? 'compute_driver = compute_netns_driver' : null,
    cw.network_driver === 'network_local_driver' ? 'network_driver = network_local_driver' : null,
  ].filter((x): x is string => x !== null);
  if (needsRoot.length > 0 && process.getuid?.() !== 0) {
    throw new ConfigError(needsRoot.map((o) => `[controller_worker] ${o} creates network namespaces and bridges: run as root`));
  }
  const certs = buildPki(config);

  let netns: NetnsComputeDriver | null = null;
  let compute: ComputeDriver;
  if (cw.compute_driver === 'compute_noop_driver') compute = new NoopComputeDriver({ delayMs });
  else if (cw.compute_driver === 'compute_netns_driver') compute = netns = new NetnsComputeDriver({ ...netnsComputeOptions(config.netns), log });
  else compute = unavailable('compute_driver', cw.compute_driver);

  let local: LocalNetworkDriver | null = null;
  let network: NetworkDriver;
  if (cw.network_driver === 'network_noop_driver') network = new NoopNetworkDriver({ delayMs });
  else if (cw.network_driver === 'network_local_driver') {
    network = local = new LocalNetworkDriver({
      networks: config.local_networks,
      interfacePrefix: config.netns.name_prefix,
      ports: new KyselyPortStore(db.kysely),
      log,
    });
  } else network = unavailable('network_driver', cw.network_driver);

  let amphora: AmphoraDriver;
  if (cw.amphora_driver === 'amphora_noop_driver') amphora = new NoopAmphoraDriver({ delayMs });
  else if (cw.amphora_driver === 'amphora_haproxy_rest_driver') {
    const hp = config.haproxy_amphora;
    const agentConfig = agentConfigRenderer(config);
    const host = netns;
    amphora = new RestAmphoraDriver({
      certs,
      certManager: certificateManager(config),
      agent: {
        port: hp.bind_port,
        connectTimeoutMs: hp.rest_request_conn_timeout * 1000,
        readTimeoutMs: hp.rest_request_read_timeout * 1000,
        maxRetries: Math.max(1, hp.active_connection_max_retries),
        retryIntervalMs: hp.active_connection_retry_interval * 1000,
        lbNetworkInterface: hp.lb_network_interface,
      },
      render: haproxySettings(config),
      keepalived: {
        advertInt: config.keepalived_vrrp.vrrp_advert_int,
        garpRefreshInterval: config.keepalived_vrrp.vrrp_garp_refresh_interval,
        garpRefreshCount: config.keepalived_vrrp.vrrp_garp_refresh_count,
      },
      agentConfigFor: (a) => agentConfig(a.id, a.role === 'STANDALONE' || a.role === null ? 'SINGLE' : 'ACTIVE_STANDBY'),
      ...(host ? { pathsFor: (a: Amphora) => (a.computeId ? host.amphoraPaths(a.computeId) : null) } : {}),
      log,
    });
  } else amphora = unavailable('amphora_driver', cw.amphora_driver);

  log.debug({ compute: cw.compute_driver, network: cw.network_driver, amphora: cw.amphora_driver }, 'drivers chosen');
  return {
    compute,
    network,
    amphora,
    certs,
    supervised: netns,
    async prepare() {
      if (netns) await netns.ensureMgmtBridge();
      if (local) await local.ensureBridges();
    },
  };
}

/** Rendering settings of HAProxy configurations from [haproxy_amphora]. */
export function haproxySettings(config: Config): HaproxySettings {
  const hp = config.haproxy_amphora;
  return {
    basePath: hp.base_path,
    baseCertDir: hp.base_cert_dir,
    defaultConnectionLimit: hp.default_connection_limit,
    timeoutClientData: hp.timeout_client_data,
    timeoutMemberConnect: hp.timeout_member_connect,
    timeoutMemberData: hp.timeout_member_data,
    timeoutTcpInspect: hp.timeout_tcp_inspect,
    connectionLogging: hp.connection_logging,
    userLogFormat: hp.user_log_format,
    stickSize: hp.haproxy_stick_size,
    nbthread: hp.nbthread,
    // No syslog inside netns amphorae: `log` lines would only cost a socket per worker.
    logTarget: null,
  };
}

/** Where TLS container references resolve (the API stores them, the amphora driver reads them). */
export function certificateManager(config: Config): LocalCertManager {
  return new LocalCertManager({ storagePath: config.certificates.storage_path ?? join(config.DEFAULT.state_path, 'certificates') });
}

/** Step 2b: supervision of host-local amphorae (netns), in the processes that run flows. */
export function buildComputeSupervisor(config: Config, log: Logger, store: Store, drivers: BuiltDrivers): ComputeSupervisor | null {
  if (!drivers.supervised) return null;
  return new ComputeSupervisor({
    compute: drivers.supervised,
    store,
    log,
    superviseIntervalMs: config.netns.supervise_interval * 1000,
    reconcileIntervalMs: config.netns.reconcile_interval * 1000,
  });
}

/** The internal PKI under the state directory (or the operator's CA from [certificates]). */
export function buildPki(config: Config, clock: Clock = systemClock): LocalCa {
  const c = config.certificates;
  return new LocalCa({
    directory: join(config.DEFAULT.state_path, 'pki'),
    passphrase: c.ca_private_key_passphrase ?? c.server_certs_key_passphrase,
    validityMs: c.cert_validity_time * 1000,
    clock,
    caCertificateFile: c.ca_certificate,
    caPrivateKeyFile: c.ca_private_key,
  });
}

/** amphora-agent.conf of new amphorae, from this deployment's settings (spec §7.6). */
export function agentConfigRenderer(config: Config): (amphoraId: string, topology: 'SINGLE' | 'ACTIVE_STANDBY') => string {
  const hp = config.haproxy_amphora;
  const hm = config.health_manager;
  return (amphoraId, topology) =>
    renderAgentConfig({
      amphoraId,
      topology,
      controllerIpPortList: hm.controller_ip_port_list,
      heartbeatKey: hm.heartbeat_key,
      heartbeatInterval: hm.heartbeat_interval,
      bindHost: hp.bind_host,
      bindPort: hp.bind_port,
      basePath: hp.base_path,
      baseCertDir: hp.base_cert_dir,
      haproxyCmd: hp.haproxy_cmd,
      userLogFacility: 0,
      administrativeLogFacility: 1,
      requestReadTimeout: 180,
      debug: config.DEFAULT.debug,
    });
}

/**
 * Step 3: providers. Every enabled provider name that Octavius implements gets a driver; names it
 * does not implement stay out of the list, as upstream drops providers that fail to load.
 */
export function buildProviders(config: Config, log: Logger): Map<string, ProviderDriver> {
  const providers = new Map<string, ProviderDriver>();
  for (const name of Object.keys(config.api_settings.enabled_provider_drivers)) {
    if (name === 'amphora' || name === 'octavia') {
      providers.set(name, new AmphoraProviderDriver({ name, defaultTopology: config.controller_worker.loadbalancer_topology }));
    } else if (name === 'noop_driver' || name === 'noop_driver-alt') {
      providers.set(name, new NoopProviderDriver(name));
    } else {
      log.warn({ provider: name }, 'enabled provider driver is not implemented by Octavius; it will not be offered');
    }
  }
  return providers;
}

/** Step 4: who may do what. Keystone and policies come with the identity work; noauth is upstream's. */
export function buildAuth(config: Config): { authenticator: Authenticator; authorizer: Authorizer } {
  const api = config.api_settings;
  if (api.auth_strategy !== 'noauth') {
    throw new Error(`[api_settings] auth_strategy = ${api.auth_strategy} is not available yet; use noauth`);
  }
  return { authenticator: new NoauthAuthenticator({ defaultProject: api.noauth_default_project }), authorizer: allowAll };
}

export interface ApiParts {
  readonly app: FastifyInstance;
  readonly deps: ApiDeps;
}

/** Step 5: the API application over the store, the network inventory and the providers. */
export function buildApi(config: Config, log: Logger, store: Store, drivers: Drivers, jobsEnqueued: () => void, clock: Clock = systemClock): ApiParts {
  const { authenticator, authorizer } = buildAuth(config);
  const deps: ApiDeps = {
    store,
    clock,
    log: log.child({ component: 'api' }),
    authenticator,
    authorizer,
    providers: buildProviders(config, log),
    network: drivers.network,
    certificates: certificateManager(config),
    vips: {
      allocate: (lb) => drivers.network.allocateVip(lb),
      deallocate: (lb) => drivers.network.deallocateVip(lb),
    },
    config,
    jobsEnqueued,
    version: VERSION,
  };
  return { app: buildApp(deps).app, deps };
}

/** Step 6: the worker that runs flows; in `up` it shares the process (and wake-ups) with the API. */
export function buildWorker(config: Config, log: Logger, store: Store, drivers: Drivers, clock: Clock = systemClock): Worker {
  const tf = config.task_flow;
  const hp = config.haproxy_amphora;
  const cw = config.controller_worker;
  return new Worker({
    store,
    drivers,
    clock,
    log: log.child({ component: 'worker' }),
    maxConcurrent: tf.max_workers,
    leaseMs: tf.jobboard_expiration_time * 1000,
    pollMs: tf.job_poll_interval * 1000,
    flowTimeoutMs: tf.flow_timeout * 1000,
    taskMaxRetries: tf.task_max_retries,
    disableRevert: tf.disable_revert,
    flows: {
      waits: {
        activeTimeoutMs: cw.amp_active_retries * cw.amp_active_wait_sec * 1000,
        connectivityTimeoutMs: hp.connection_max_retries * hp.connection_retry_interval * 1000,
        agentConfig: agentConfigRenderer(config),
        useSpares: config.house_keeping.spare_amphora_pool_size > 0,
      },
      defaultTopology: cw.loadbalancer_topology,
    },
  });
}

/** Step 7: housekeeping (purge of DELETED rows, finished jobs and orphaned stats; spares; certificate rotation). */
export function buildHousekeeping(config: Config, log: Logger, store: Store, clock: Clock = systemClock, jobsEnqueued?: () => void): Housekeeping {
  const hk = config.house_keeping;
  return new Housekeeping({
    store,
    clock,
    log: log.child({ component: 'housekeeping' }),
    cleanupIntervalMs: hk.cleanup_interval * 1000,
    loadBalancerExpiryMs: hk.load_balancer_expiry_age * 1000,
    amphoraExpiryMs: hk.amphora_expiry_age * 1000,
    spareAmphoraPoolSize: hk.spare_amphora_pool_size,
    spareCheckIntervalMs: hk.spare_check_interval * 1000,
    certIntervalMs: hk.cert_interval * 1000,
    certExpiryBufferMs: hk.cert_expiry_buffer * 1000,
    certRotateThreads: hk.cert_rotate_threads,
    ...(jobsEnqueued ? { jobsEnqueued } : {}),
  });
}

/**
 * Step 8: the heartbeat receiver of the health manager (`octavius health-manager`, also in `up`).
 * It needs `[health_manager] heartbeat_key`; amphorae send to `controller_ip_port_list`, so
 * `bind_ip` must be an address they reach (with the netns driver: the first address of
 * `[netns] mgmt_cidr`). A sender that was silent for half of `heartbeat_timeout` may start its
 * `seq` again (upstream's agent restarts at 0) without being taken for a replay.
 */
export function buildHeartbeatReceiver(config: Config, log: Logger, store: Store, clock: Clock = systemClock): HeartbeatReceiver {
  const hm = config.health_manager;
  if (hm.heartbeat_key === null || hm.heartbeat_key === '') {
    throw new ConfigError(['[health_manager] heartbeat_key is required to receive heartbeats']);
  }
  return new HeartbeatReceiver({
    store,
    log,
    clock,
    bindIp: hm.bind_ip,
    bindPort: hm.bind_port,
    key: hm.heartbeat_key,
    heartbeatIntervalMs: hm.heartbeat_interval * 1000,
    restartWindowMs: (hm.heartbeat_timeout * 1000) / 2,
    receiveBufferBytes: hm.sock_rlimit,
  });
}

/**
 * Step 9: stale-amphora detection of the health manager (with the receiver, in `health-manager`
 * and `up`). It only queues failover jobs; workers run them (`jobsEnqueued` wakes the worker of
 * an `up` process at once). Defaults are tuned for seconds, not upstream's minute: see the help
 * of [health_manager] heartbeat_timeout.
 */
export function buildStaleScanner(config: Config, log: Logger, store: Store, clock: Clock = systemClock, jobsEnqueued?: () => void): StaleAmphoraScanner {
  const hm = config.health_manager;
  return new StaleAmphoraScanner({
    store,
    log,
    clock,
    heartbeatTimeoutMs: hm.heartbeat_timeout * 1000,
    healthCheckIntervalMs: hm.health_check_interval * 1000,
    failoverThreads: hm.failover_threads,
    failoverThreshold: hm.failover_threshold,
    ...(jobsEnqueued ? { jobsEnqueued } : {}),
  });
}
