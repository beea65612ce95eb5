/**
 * HAProxy on an amphora, one master-worker process per load balancer (issue 3 decisions):
 * `prlimit --nofile=n:n haproxy -W -db -S <lb>/master.sock -f <lb>/haproxy.cfg -f <user-group>
 * -p <lb>/<lb>.pid -L <peer>`, reloaded through the master socket (no lost connections: the old
 * worker finishes what it has, dataplane.md §3), supervised and restarted when it dies.
 *
 * An uploaded configuration that differs from the running one only in backend `server` lines is
 * applied through the runtime API at upload time, and the following reload then has nothing left
 * to do; anything else waits for the reload.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import type { Logger } from '../lib/logger.js';
import { paths, type AgentAmphora } from './agent-amphora.js';
import { SAFE_ID } from './config.js';
import { inNamespace, run } from './exec.js';
import { processAlive, processName, readIfExists, readPid, writeAtomic } from './files.js';
import {
  capGlobalMaxconn,
  isDisabled,
  listenersOf,
  maxconnFor,
  serverOnlyChanges,
  serverStateFileOf,
  stripGroupLines,
  weightOf,
  type ListenerInfo,
  type ServerChange,
} from './haproxy-config.js';
import { masterCommand, showProc, type ProcInfo } from './master-cli.js';
import { Supervisor } from './supervisor.js';

interface LbState {
  readonly supervisor: Supervisor;
  /** The configuration text the live processes reflect; null when unknown (adopted processes). */
  running: string | null;
  /** A start or reload is needed for the files on disk to take effect. */
  reloadNeeded: boolean;
}

export type UploadResult = { ok: true; runtimeApplied: boolean } | { ok: false; output: string };
export type ActionResult = { ok: true } | { ok: false; output: string };

const START_TIMEOUT_MS = 30_000;
const RELOAD_TIMEOUT_MS = 30_000;

export class HaproxyService {
  readonly #amphora: AgentAmphora;
  readonly #log: Logger;
  readonly #lbs = new Map<string, LbState>();
  /** Called when the set of running load balancers changes (keepalived check script, track file). */
  readonly #changed: () => void;

  constructor(amphora: AgentAmphora, log: Logger, changed: () => void) {
    this.#amphora = amphora;
    this.#log = log.child({ component: 'haproxy' });
    this.#changed = changed;
  }

  /** Load balancers with a configuration on this amphora. */
  loadBalancers(): string[] {
    if (!existsSync(this.#amphora.basePath)) return [];
    return readdirSync(this.#amphora.basePath)
      .filter((name) => SAFE_ID.test(name) && existsSync(paths.haproxyConfig(this.#amphora, name)))
      .sort();
  }

  exists(lbId: string): boolean {
    return SAFE_ID.test(lbId) && existsSync(paths.haproxyConfig(this.#amphora, lbId));
  }

  isRunning(lbId: string): boolean {
    return this.#state(lbId).supervisor.running();
  }

  /** Frontends of every load balancer's configuration (upstream's GET /listeners). */
  listeners(): { lbId: string; listeners: ListenerInfo[] }[] {
    return this.loadBalancers().map((lbId) => ({
      lbId,
      listeners: listenersOf(readIfExists(paths.haproxyConfig(this.#amphora, lbId)) ?? ''),
    }));
  }

  /** Writes the user-group file upstream's images ship, and takes over or starts what is configured. */
  async init(): Promise<void> {
    const groups = readIfExists('/etc/group') ?? '';
    const group = /^nogroup:/m.test(groups) ? 'nogroup' : 'nobody';
    await writeAtomic(paths.userGroupConfig(this.#amphora), `global\n    group ${group}\n`, 0o644);
    for (const lbId of this.loadBalancers()) {
      const state = this.#state(lbId);
      const pid = readPid(paths.haproxyPid(this.#amphora, lbId));
      if (pid !== null && processAlive(pid) && processName(pid) === 'haproxy') {
        state.supervisor.adopt(pid);
        state.reloadNeeded = true;
        this.#log.info({ lbId, pid }, 'adopted running haproxy');
      } else if (!existsSync(paths.stoppedMarker(this.#amphora, lbId))) {
        const r = await this.start(lbId);
        if (!r.ok) this.#log.error({ lbId, output: r.output }, 'haproxy did not start');
      }
    }
  }

  /**
   * Checks and installs an uploaded configuration (upstream's PUT .../haproxy): group lines
   * stripped, global maxconn capped to the open-files limit, `haproxy -c`; a rejected file is kept
   * as `haproxy.cfg.new-failed`.
   */
  async upload(lbId: string, text: string): Promise<UploadResult> {
    const a = this.#amphora;
    const cap = maxconnFor(a.maxOpenFiles);
    const capped = capGlobalMaxconn(stripGroupLines(text), cap);
    if (capped.cappedFrom !== null) {
      this.#log.warn(
        { lbId, maxconn: capped.cappedFrom, cappedTo: cap, maxOpenFiles: a.maxOpenFiles },
        'global maxconn exceeds what the open-files limit allows; capped',
      );
    }
    const config = capped.text;
    const newPath = paths.haproxyConfigNew(a, lbId);
    await writeAtomic(newPath, config, 0o600);
    const check = await run({ netns: null }, a.haproxyCmd, ['-c', '-L', a.peerName, '-f', newPath, '-f', paths.userGroupConfig(a)]);
    if (check.code !== 0) {
      await rename(newPath, `${newPath}-failed`);
      this.#log.warn({ lbId, output: check.output }, 'uploaded haproxy configuration rejected');
      return { ok: false, output: check.output };
    }
    const state = this.#state(lbId);
    let runtimeApplied = false;
    if (state.running !== null && !state.reloadNeeded && state.supervisor.running()) {
      const changes = serverOnlyChanges(state.running, config);
      if (changes !== null) {
        runtimeApplied = changes.length === 0 || (await this.#applyRuntime(lbId, changes));
        if (runtimeApplied && changes.length > 0) this.#log.info({ lbId, changes: changes.length }, 'server changes applied at run time');
      }
    }
    await rename(newPath, paths.haproxyConfig(a, lbId));
    if (runtimeApplied) state.running = config;
    else state.reloadNeeded = true;
    return { ok: true, runtimeApplied };
  }

  /** TLS files of a load balancer changed: only a reload loads them. */
  materialChanged(lbId: string): void {
    if (this.exists(lbId)) this.#state(lbId).reloadNeeded = true;
  }

  async start(lbId: string): Promise<ActionResult> {
    const a = this.#amphora;
    const state = this.#state(lbId);
    await rm(paths.stoppedMarker(a, lbId), { force: true });
    if (state.supervisor.running()) return { ok: true };
    const config = readFileSync(paths.haproxyConfig(a, lbId), 'utf8');
    await rm(paths.masterSocket(a, lbId), { force: true });
    const pid = state.supervisor.spawn();
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!processAlive(pid)) break;
      const proc = await this.#proc(lbId);
      if (proc !== null && proc.workers.length > 0) {
        state.supervisor.supervise();
        state.running = config;
        state.reloadNeeded = false;
        this.#changed();
        return { ok: true };
      }
      await delay(20);
    }
    await state.supervisor.stop(2000);
    return { ok: false, output: readIfExists(paths.haproxyLog(a, lbId)) ?? 'haproxy did not start' };
  }

  /** A reload through the master socket; starts haproxy when it is not running (as upstream). */
  async reload(lbId: string): Promise<ActionResult & { started?: boolean }> {
    const a = this.#amphora;
    const state = this.#state(lbId);
    if (!state.supervisor.running()) return { ...(await this.start(lbId)), started: true };
    if (!state.reloadNeeded) return { ok: true };
    const config = readFileSync(paths.haproxyConfig(a, lbId), 'utf8');
    await this.#saveServerState(lbId, config);
    const before = await this.#proc(lbId);
    if (before === null) return { ok: false, output: 'the haproxy master socket does not answer' };
    try {
      await masterCommand(paths.masterSocket(a, lbId), 'reload', 2000);
    } catch {
      // The master closes the connection when it re-executes itself; its answer comes by `show proc`.
    }
    const deadline = Date.now() + RELOAD_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const after = await this.#proc(lbId);
      if (after !== null && after.failedReloads > before.failedReloads) {
        return { ok: false, output: readIfExists(paths.haproxyLog(a, lbId)) ?? 'reload failed' };
      }
      if (after !== null && after.reloads > before.reloads && after.workers.length > 0) {
        state.running = config;
        state.reloadNeeded = false;
        return { ok: true };
      }
      await delay(20);
    }
    return { ok: false, output: 'haproxy did not complete the reload in time' };
  }

  async stop(lbId: string): Promise<void> {
    const a = this.#amphora;
    await writeFile(paths.stoppedMarker(a, lbId), '');
    await this.#state(lbId).supervisor.stop();
    this.#changed();
  }

  /** Stops haproxy and removes every file of the load balancer (upstream's DELETE /listeners/<lb>). */
  async delete(lbId: string): Promise<void> {
    const a = this.#amphora;
    await this.#state(lbId).supervisor.stop();
    this.#lbs.delete(lbId);
    await rm(paths.statsSocket(a, lbId), { force: true });
    await rm(paths.lbCertDir(a, lbId), { recursive: true, force: true });
    await rm(paths.lbDir(a, lbId), { recursive: true, force: true });
    this.#changed();
  }

  /** Load balancers whose haproxy should run and does not. */
  down(): string[] {
    return [...this.#lbs.entries()]
      .filter(([lbId, s]) => !existsSync(paths.stoppedMarker(this.#amphora, lbId)) && !s.supervisor.running())
      .map(([lbId]) => lbId);
  }

  runningPidFiles(): string[] {
    return this.loadBalancers()
      .filter((lbId) => this.isRunning(lbId))
      .map((lbId) => paths.haproxyPid(this.#amphora, lbId));
  }

  /** Stops watching the processes; they keep running for the next agent to adopt. */
  detach(): void {
    for (const s of this.#lbs.values()) s.supervisor.detach();
  }

  /** `show proc` of a load balancer's master, or null when it does not answer. */
  async #proc(lbId: string): Promise<ProcInfo | null> {
    try {
      return await showProc(paths.masterSocket(this.#amphora, lbId));
    } catch {
      return null;
    }
  }

  #state(lbId: string): LbState {
    let state = this.#lbs.get(lbId);
    if (!state) {
      const a = this.#amphora;
      const supervisor = new Supervisor(
        {
          name: `haproxy-${lbId}`,
          logFile: paths.haproxyLog(a, lbId),
          command: () =>
            inNamespace(a, 'prlimit', [
              `--nofile=${a.maxOpenFiles}:${a.maxOpenFiles}`,
              '--',
              a.haproxyCmd,
              '-W',
              '-db',
              '-S',
              paths.masterSocket(a, lbId),
              '-f',
              paths.haproxyConfig(a, lbId),
              '-f',
              paths.userGroupConfig(a),
              '-p',
              paths.haproxyPid(a, lbId),
              '-L',
              a.peerName,
            ]),
        },
        this.#log,
        {
          onCrash: () => this.#changed(),
          onRestart: () => {
            // A restarted haproxy reads the file on disk: that is what runs now.
            const s = this.#lbs.get(lbId);
            if (s) {
              s.running = readIfExists(paths.haproxyConfig(a, lbId));
              s.reloadNeeded = false;
            }
            this.#changed();
          },
        },
      );
      state = { supervisor, running: null, reloadNeeded: true };
      this.#lbs.set(lbId, state);
    }
    return state;
  }

  /** Upstream saves `show servers state` before a reload so health states survive it. */
  async #saveServerState(lbId: string, config: string): Promise<void> {
    const file = serverStateFileOf(config);
    if (file === null) return;
    try {
      const stateText = await masterCommand(paths.masterSocket(this.#amphora, lbId), '@1 show servers state');
      if (stateText.startsWith('1\n')) await writeAtomic(file, stateText, 0o600);
    } catch (err) {
      this.#log.warn({ err, lbId }, 'cannot save the server state before reload');
    }
  }

  /** Applies server changes through the runtime API; false (nothing more tried) at the first refusal. */
  async #applyRuntime(lbId: string, changes: readonly ServerChange[]): Promise<boolean> {
    const socket = paths.masterSocket(this.#amphora, lbId);
    const cli = async (command: string, expect: RegExp = /^\s*$/): Promise<boolean> => {
      const answer = await masterCommand(socket, `@1 ${command}`).catch((err: Error) => err.message);
      if (expect.test(answer)) return true;
      this.#log.info({ lbId, command, answer: answer.trim() }, 'runtime API refused a change; the reload will apply it');
      return false;
    };
    for (const c of changes) {
      const ref = `${c.backend}/${c.server.name}`;
      if (c.kind === 'remove') {
        if (!(await cli(`set server ${ref} state maint`))) return false;
        // NOTE: no `shutdown sessions`: it cuts requests in flight at the member, which HAProxy's
        // retry-on then sends to another member (a POST executed twice). Maint takes no new requests;
        // when the ones in flight do not finish in time, the reload applies the removal and the old
        // worker lets them finish, as upstream's reload does.
        let deleted = false;
        // `del server` waits for the server's connections (idle ones included) to be gone.
        for (let i = 0; i < 20 && !deleted; i++) {
          deleted = await cli(`del server ${ref}`, /Server deleted/);
          if (!deleted) await delay(100);
        }
        if (!deleted) return false;
      } else if (c.kind === 'add') {
        const s = c.server;
        if (!(await cli(`add server ${ref} ${s.address} ${s.options.join(' ')}`.trim(), /New server registered/))) return false;
        if (s.options.includes('check') && !(await cli(`enable health ${ref}`))) return false;
        if (s.options.includes('agent-check') && !(await cli(`enable agent ${ref}`))) return false;
        if (!isDisabled(s) && !(await cli(`enable server ${ref}`))) return false;
      } else {
        if (weightOf(c.server) !== weightOf(c.old) && !(await cli(`set server ${ref} weight ${weightOf(c.server)}`))) return false;
        if (isDisabled(c.server) !== isDisabled(c.old)) {
          if (!(await cli(`set server ${ref} state ${isDisabled(c.server) ? 'maint' : 'ready'}`))) return false;
        }
      }
    }
    return true;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
