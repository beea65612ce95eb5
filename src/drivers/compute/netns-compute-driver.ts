/**
 * The netns compute driver (`compute_netns_driver`): an amphora is a network namespace on this host,
 * `<prefix>amp-<first 8 hex of the amphora id>`, which is also its compute id. Inside it: `lo`, the
 * management interface `mgmt0` (a veth whose other end sits on the management bridge), the
 * data-plane interfaces the network driver plugs, and the amphora agent, started detached with a
 * pid file so that it outlives the controller. Everything of an amphora that is a file lives on
 * tmpfs under `<runtime_path>/<compute id>/`.
 *
 * No database: what the driver needs to find again (management address, restarts) is in the
 * runtime directory; what several processes must agree on is decided by O_EXCL files (management
 * addresses, per-amphora locks).
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DomainError } from '../../domain/errors.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { silentLogger, type Logger } from '../../lib/logger.js';
import { ip } from '../linux/command.js';
import { killNetnsProcesses } from '../linux/netns-processes.js';
import { withFileLock } from '../linux/file-lock.js';
import { hostVethName, shortHex } from '../linux/names.js';
import { addNetns, addVethIntoNetns, attachToBridge, deleteLink, deleteNetns, ensureBridge, hostLinkExists, listLinks, NETNS_DIR, netnsExists } from '../linux/links.js';
import type { AmphoraBootFiles, AmphoraBuildRequest, ComputeDriver, ComputeInstance, ComputeStatus } from './compute-driver.js';
import { MgmtAddressPool } from './mgmt-addresses.js';
import { agentAlive, agentArgv, agentPortOf, listensOn, logTail, readPidFile, startAgent, type AgentPid } from './netns-agent.js';

export interface NetnsComputeOptions {
  /** `[netns] name_prefix`: 1-6 characters; every namespace and interface name starts with it. */
  readonly namePrefix: string;
  readonly mgmtBridge: string;
  /** Controller address on the management bridge with the prefix, e.g. 198.19.0.1/16. */
  readonly mgmtCidr: string;
  /** tmpfs directory of runtime files. */
  readonly runtimePath: string;
  /** `[netns] agent_command`; empty: `octavius agent` of this installation. */
  readonly agentCommand?: string;
  /** Restarts of a dead agent allowed within RESTART_WINDOW_MS before the amphora is ERROR. */
  readonly agentMaxRestarts?: number;
  readonly clock?: Clock;
  readonly log?: Logger;
}

/** The driver's settings from the `[netns]` configuration group. */
export function netnsComputeOptions(netns: {
  readonly name_prefix: string;
  readonly mgmt_bridge: string;
  readonly mgmt_cidr: string;
  readonly runtime_path: string;
  readonly agent_command: string;
  readonly agent_max_restarts: number;
}): NetnsComputeOptions {
  return {
    namePrefix: netns.name_prefix,
    mgmtBridge: netns.mgmt_bridge,
    mgmtCidr: netns.mgmt_cidr,
    runtimePath: netns.runtime_path,
    agentCommand: netns.agent_command,
    agentMaxRestarts: netns.agent_max_restarts,
  };
}

const RESTART_WINDOW_MS = 60_000;

interface InstanceRecord {
  readonly amphoraId: string;
  readonly computeId: string;
  readonly mgmtIp: string;
  readonly agentPort: number;
  readonly createdAt: number;
}

export interface SupervisionReport {
  /** Instances whose dead agent was started again. */
  readonly restarted: readonly string[];
  /** Instances that cannot be restored (agent keeps dying, namespace or runtime files gone). */
  readonly failed: readonly { readonly computeId: string; readonly reason: string }[];
}

export class NetnsComputeDriver implements ComputeDriver {
  readonly #o: Required<Omit<NetnsComputeOptions, 'log' | 'clock'>>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #addresses: MgmtAddressPool;
  readonly #pattern: RegExp;
  #bridgeReady = false;

  constructor(options: NetnsComputeOptions) {
    this.#o = { agentCommand: '', agentMaxRestarts: 3, ...options };
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger();
    this.#addresses = new MgmtAddressPool(join(options.runtimePath, 'mgmt-ips'), options.mgmtCidr);
    this.#pattern = new RegExp(`^${options.namePrefix.replace(/[^a-z0-9]/g, (c) => `\\${c}`)}amp-[0-9a-f]{8}$`);
  }

  /** The compute id (namespace name) of an amphora. */
  computeIdOf(amphoraId: string): string {
    return `${this.#o.namePrefix}amp-${shortHex(amphoraId)}`;
  }

  /** The agent's base_path and base_cert_dir inside the amphora's runtime directory (see local.conf). */
  amphoraPaths(computeId: string): { basePath: string; baseCertDir: string } {
    const base = join(this.#dir(computeId), 'base');
    return { basePath: base, baseCertDir: join(base, 'certs') };
  }

  #mgmtVeth(computeId: string): string {
    return hostVethName(this.#o.namePrefix, 'm', computeId.slice(-8));
  }

  #dir(computeId: string): string {
    return join(this.#o.runtimePath, computeId);
  }

  #lock<T>(computeId: string, fn: () => Promise<T>): Promise<T> {
    const locks = join(this.#o.runtimePath, 'locks');
    mkdirSync(locks, { recursive: true, mode: 0o700 });
    return withFileLock(join(locks, `${computeId}.lock`), fn);
  }

  #record(computeId: string): InstanceRecord | null {
    try {
      return JSON.parse(readFileSync(join(this.#dir(computeId), 'instance.json'), 'utf8')) as InstanceRecord;
    } catch {
      return null;
    }
  }

  /** The management bridge with the controller address; called by build, and at start by the composition root. */
  async ensureMgmtBridge(): Promise<void> {
    await ensureBridge(this.#o.mgmtBridge, 1500, [this.#o.mgmtCidr]);
    this.#bridgeReady = true;
  }

  /** Removes the management bridge (tests and uninstall; amphorae on it lose their management link). */
  async removeMgmtBridge(): Promise<void> {
    await deleteLink(this.#o.mgmtBridge);
    this.#bridgeReady = false;
  }

  /**
   * Builds (or finishes building) the namespace of an amphora and starts its agent. Idempotent per
   * amphora id: each step checks what is already there. Throws driver_error when a step fails; the
   * caller's revert deletes the partial instance.
   */
  async build(request: AmphoraBuildRequest): Promise<string> {
    if (!request.bootFiles) throw new DomainError('driver_error', 'the netns compute driver needs the amphora boot files');
    const boot = request.bootFiles;
    const computeId = this.computeIdOf(request.amphoraId);
    await this.#lock(computeId, async () => {
      const dir = this.#dir(computeId);
      let record = this.#record(computeId);
      if (record && record.amphoraId !== request.amphoraId) {
        throw new DomainError('driver_error', `namespace ${computeId} belongs to amphora ${record.amphoraId}, not ${request.amphoraId}`);
      }
      if (!this.#bridgeReady || !hostLinkExists(this.#o.mgmtBridge)) await this.ensureMgmtBridge();
      mkdirSync(join(dir, 'base', 'certs'), { recursive: true, mode: 0o700 });
      if (!record) {
        const mgmtIp = this.#addresses.reserve(computeId);
        record = { amphoraId: request.amphoraId, computeId, mgmtIp, agentPort: agentPortOf(boot.agentConfig), createdAt: this.#clock.now() };
        writeFileSync(join(dir, 'instance.json'), `${JSON.stringify(record)}\n`, { mode: 0o600 });
      }
      this.#writeBootFiles(dir, boot, record.mgmtIp);
      // Every `ip` costs a process start (~13 ms here), so a fresh amphora is made in one batch;
      // anything else (a retry after a partial build) goes through the step-by-step checks.
      let plugged = false;
      if (!netnsExists(computeId)) {
        const host = this.#mgmtVeth(computeId);
        const batch = [`netns add ${computeId}`, `link add ${host} mtu 1500 type veth peer name mgmt0 netns ${computeId}`, `link set ${host} master ${this.#o.mgmtBridge} up`];
        plugged = await ip(['-batch', '-'], `${batch.join('\n')}\n`).then(
          () => true,
          () => false,
        );
      }
      if (!plugged) {
        await addNetns(computeId);
        await this.#plugMgmt(computeId);
      }
      const address = `${record.mgmtIp}/${this.#addresses.prefixLength}`;
      const inside = ['link set lo up', `address replace ${address} dev mgmt0${record.mgmtIp.includes(':') ? ' nodad' : ''}`, 'link set mgmt0 up'];
      await ip(['-n', computeId, '-batch', '-'], `${inside.join('\n')}\n`);
      const pid = readPidFile(join(dir, 'agent.pid'));
      if (!pid || !agentAlive(pid, computeId, this.#clock.now())) await this.#start(computeId, record);
    });
    this.#log.info({ computeId, amphoraId: request.amphoraId }, 'amphora namespace built');
    return computeId;
  }

  #writeBootFiles(dir: string, boot: AmphoraBootFiles, mgmtIp: string): void {
    writeFileSync(join(dir, 'server.pem'), boot.serverPem, { mode: 0o600 });
    writeFileSync(join(dir, 'client_ca.pem'), boot.clientCaPem, { mode: 0o600 });
    writeFileSync(join(dir, 'amphora-agent.conf'), boot.agentConfig, { mode: 0o600 });
    // Later --config-file wins: the boot file keeps upstream's paths, this one points at tmpfs.
    const local = [
      '[amphora_agent]',
      `agent_server_cert = ${join(dir, 'server.pem')}`,
      `agent_server_ca = ${join(dir, 'client_ca.pem')}`,
      '',
      '[haproxy_amphora]',
      `base_path = ${join(dir, 'base')}`,
      `base_cert_dir = ${join(dir, 'base', 'certs')}`, // as amphoraPaths()
      `bind_host = ${mgmtIp}`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'local.conf'), local, { mode: 0o600 });
  }

  async #plugMgmt(computeId: string): Promise<void> {
    const host = this.#mgmtVeth(computeId);
    const inside = await listLinks(computeId);
    if (!inside.some((l) => l.ifname === 'mgmt0')) {
      // A host end without its peer cannot be (veths die in pairs), but a half-made pair can.
      await deleteLink(host);
      await addVethIntoNetns({ hostName: host, bridge: this.#o.mgmtBridge, netns: computeId, peerName: 'mgmt0', mtu: 1500 });
    } else if (hostLinkExists(host)) {
      await attachToBridge(host, this.#o.mgmtBridge);
    }
  }

  async #start(computeId: string, record: InstanceRecord): Promise<AgentPid> {
    const dir = this.#dir(computeId);
    const argv = agentArgv(this.#o.agentCommand, {
      bootConfig: join(dir, 'amphora-agent.conf'),
      localConfig: join(dir, 'local.conf'),
      runtimeDir: dir,
      mgmtIp: record.mgmtIp,
      amphoraId: record.amphoraId,
    });
    const pid = await startAgent(computeId, argv, { pidFile: join(dir, 'agent.pid'), logFile: join(dir, 'agent.log'), cwd: dir }, this.#clock.now());
    this.#log.debug({ computeId, pid: pid.pid }, 'amphora agent started');
    return pid;
  }

  /**
   * Starts the agent again when it died, at most agentMaxRestarts times a minute; beyond that the
   * amphora is marked failed (ERROR) and left for failover. Returns the outcome.
   */
  async #revive(computeId: string): Promise<'alive' | 'restarted' | 'failed' | 'gone'> {
    return this.#lock(computeId, async () => {
      const dir = this.#dir(computeId);
      const record = this.#record(computeId);
      if (!record || !netnsExists(computeId)) return 'gone';
      if (this.#failedReason(computeId) !== null) return 'failed';
      const now = this.#clock.now();
      const pid = readPidFile(join(dir, 'agent.pid'));
      if (pid && agentAlive(pid, computeId, now)) return 'alive';
      const file = join(dir, 'restarts.json');
      let restarts: number[] = [];
      try {
        restarts = (JSON.parse(readFileSync(file, 'utf8')) as number[]).filter((t) => now - t < RESTART_WINDOW_MS);
      } catch {
        // first restart
      }
      if (restarts.length >= this.#o.agentMaxRestarts) {
        const reason = `agent died ${restarts.length + 1} times within ${RESTART_WINDOW_MS / 1000} s; last output: ${logTail(dir, 500)}`;
        writeFileSync(join(dir, 'failed'), reason, { mode: 0o600 });
        this.#log.error({ computeId }, reason);
        return 'failed';
      }
      writeFileSync(file, JSON.stringify([...restarts, now]), { mode: 0o600 });
      this.#log.warn({ computeId, output: logTail(dir, 500) }, 'amphora agent died; starting it again');
      await this.#start(computeId, record);
      return 'restarted';
    });
  }

  #failedReason(computeId: string): string | null {
    try {
      return readFileSync(join(this.#dir(computeId), 'failed'), 'utf8');
    } catch {
      return null;
    }
  }

  /**
   * ACTIVE when the namespace exists and its agent is alive and listening; BUILDING while it starts
   * (or was just started again); ERROR when it keeps dying; DELETED when there is no namespace.
   */
  async get(computeId: string): Promise<ComputeInstance> {
    const record = this.#record(computeId);
    const instance = (status: ComputeStatus): ComputeInstance => ({
      computeId,
      status,
      lbNetworkIp: status === 'DELETED' ? null : (record?.mgmtIp ?? null),
      imageId: null,
      computeFlavor: null,
      availabilityZone: null,
    });
    if (!netnsExists(computeId)) return instance('DELETED');
    if (!record) return instance('BUILDING');
    if (this.#failedReason(computeId) !== null) return instance('ERROR');
    const pid = readPidFile(join(this.#dir(computeId), 'agent.pid'));
    const now = this.#clock.now();
    if (pid && agentAlive(pid, computeId, now)) return instance(listensOn(pid.pid, record.agentPort) ? 'ACTIVE' : 'BUILDING');
    if (!pid) return instance('BUILDING'); // build has not reached the agent yet
    const outcome = await this.#revive(computeId);
    return instance(outcome === 'failed' ? 'ERROR' : outcome === 'gone' ? 'DELETED' : 'BUILDING');
  }

  /**
   * Removes every process of the namespace (found with `ip netns pids`, never by name), its
   * interfaces, the namespace, the runtime directory and the management address. Idempotent.
   */
  async delete(computeId: string): Promise<void> {
    if (!this.#pattern.test(computeId)) return; // not ours: nothing this driver may remove
    await this.#lock(computeId, async () => {
      if (netnsExists(computeId)) {
        await killNetnsProcesses(computeId);
        // Deleting the interfaces first makes their removal synchronous (a namespace is torn down
        // by the kernel in the background), so the host ends are gone when delete returns.
        const links = (await listLinks(computeId).catch(() => [])).filter((l) => l.ifname !== 'lo');
        const batch = [...links.map((l) => `link delete ${l.ifname}`), `netns delete ${computeId}`];
        const done = await ip(['-n', computeId, '-batch', '-'], `${batch.join('\n')}\n`).then(
          () => true,
          () => false,
        );
        if (!done) {
          for (const l of links) await deleteLink(l.ifname, computeId);
          await deleteNetns(computeId);
        }
      }
      await deleteLink(this.#mgmtVeth(computeId));
      const record = this.#record(computeId);
      if (record) this.#addresses.release(record.mgmtIp, computeId);
      for (const r of this.#addresses.reservations()) if (r.owner === computeId) this.#addresses.release(r.address, computeId);
      rmSync(this.#dir(computeId), { recursive: true, force: true });
    });
    this.#log.info({ computeId }, 'amphora namespace deleted');
  }

  async createServerGroup(name: string): Promise<string> {
    // One host: anti-affinity cannot be honoured, and there is nothing to create. The id is
    // derived from the name so that repeated calls agree.
    return `${this.#o.namePrefix}sg-${createHash('sha1').update(name).digest('hex').slice(0, 16)}`;
  }

  async deleteServerGroup(): Promise<void> {
    // Nothing was created.
  }

  /** Amphora namespaces of this driver's prefix on this host. */
  async listInstances(): Promise<string[]> {
    let names: string[];
    try {
      names = readdirSync(NETNS_DIR);
    } catch {
      return [];
    }
    return names.filter((n) => this.#pattern.test(n)).sort();
  }

  /**
   * One supervision pass (run periodically by the composition root): dead agents are started
   * again; instances that cannot be restored are reported, and their status becomes ERROR.
   */
  async supervise(): Promise<SupervisionReport> {
    const restarted: string[] = [];
    const failed: { computeId: string; reason: string }[] = [];
    const namespaces = new Set(await this.listInstances());
    for (const computeId of namespaces) {
      const record = this.#record(computeId);
      if (!record) {
        // Either a build is under way (it holds the lock and writes the record first) or the files are gone.
        const building = await this.#lock(computeId, async () => this.#record(computeId) !== null);
        if (!building) failed.push({ computeId, reason: 'runtime files are missing' });
        continue;
      }
      const outcome = await this.#revive(computeId);
      if (outcome === 'restarted') restarted.push(computeId);
      if (outcome === 'failed') failed.push({ computeId, reason: this.#failedReason(computeId) ?? 'agent keeps dying' });
    }
    for (const computeId of this.#runtimeDirs()) {
      if (!namespaces.has(computeId) && this.#record(computeId) && !netnsExists(computeId)) {
        failed.push({ computeId, reason: 'namespace is gone' });
      }
    }
    return { restarted, failed };
  }

  #runtimeDirs(): string[] {
    try {
      return readdirSync(this.#o.runtimePath).filter((n) => this.#pattern.test(n));
    } catch {
      return [];
    }
  }

  /**
   * Deletes this prefix's instances the database does not know (orphans of crashed flows), and
   * management addresses without an instance. Running amphorae that are known are left alone (that
   * is re-adoption: nothing to do). Instances younger than `graceMs` are spared, because a build's
   * compute id reaches the database only after build() returns. Returns the deleted compute ids.
   */
  async reconcile(knownComputeIds: Iterable<string>, options: { graceMs?: number } = {}): Promise<string[]> {
    const known = new Set(knownComputeIds);
    const grace = options.graceMs ?? 120_000;
    const now = this.#clock.now();
    const candidates = new Set([...(await this.listInstances()), ...this.#runtimeDirs()]);
    const deleted: string[] = [];
    for (const computeId of candidates) {
      if (known.has(computeId)) continue;
      const record = this.#record(computeId);
      if (record && now - record.createdAt < grace) continue;
      if (!record && (await this.#lock(computeId, async () => this.#record(computeId) !== null))) continue;
      await this.delete(computeId);
      deleted.push(computeId);
    }
    for (const r of this.#addresses.reservations()) {
      if (!known.has(r.owner) && !candidates.has(r.owner) && Date.now() - r.mtimeMs > grace && !netnsExists(r.owner)) {
        this.#addresses.release(r.address, r.owner);
      }
    }
    if (deleted.length > 0) this.#log.warn({ deleted }, 'orphan amphora namespaces deleted');
    return deleted;
  }
}
