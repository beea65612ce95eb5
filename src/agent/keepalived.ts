/**
 * keepalived (VRRP) on an amphora, for ACTIVE_STANDBY: the controller uploads the configuration
 * and starts, reloads or stops it (spec §7.4). keepalived runs in the amphora's namespace in the
 * foreground (`-n`, VRRP only) with its own pid files, supervised like haproxy: a keepalived that
 * dies is restarted, which also removes the VIP it left behind (dataplane.md §2).
 *
 * The agent also keeps the two health signals a configuration may track: upstream's check script
 * (`vrrp_script` running every script in check_scripts/) and a `vrrp_track_file` that holds 1 while
 * a haproxy of this amphora is down (the fast one: tens of milliseconds instead of seconds).
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { Logger } from '../lib/logger.js';
import { paths, type AgentAmphora } from './agent-amphora.js';
import { inNamespace } from './exec.js';
import { processAlive, processName, readIfExists, readPid, writeAtomic } from './files.js';
import { Supervisor } from './supervisor.js';

const START_TIMEOUT_MS = 5000;

export class KeepalivedService {
  readonly #amphora: AgentAmphora;
  readonly #log: Logger;
  readonly #supervisor: Supervisor;

  constructor(amphora: AgentAmphora, log: Logger) {
    this.#amphora = amphora;
    this.#log = log.child({ component: 'keepalived' });
    const a = amphora;
    this.#supervisor = new Supervisor(
      {
        name: 'keepalived',
        logFile: paths.keepalivedLog(a),
        // keepalived refuses to start while its pid files name a live process; after a crash a
        // recycled pid could do that.
        prepare: () => {
          for (const f of [paths.keepalivedPid(a), paths.keepalivedVrrpPid(a), paths.keepalivedCheckersPid(a)]) rmSync(f, { force: true });
        },
        command: () =>
          inNamespace(a, a.keepalivedCmd, [
            '--dont-fork',
            '--log-console',
            '--log-detail',
            '--vrrp',
            '--no_bfd',
            '--use-file',
            paths.keepalivedConfig(a),
            '--pid',
            paths.keepalivedPid(a),
            '--vrrp_pid',
            paths.keepalivedVrrpPid(a),
            '--checkers_pid',
            paths.keepalivedCheckersPid(a),
          ]),
      },
      this.#log,
    );
  }

  configured(): boolean {
    return existsSync(paths.keepalivedConfig(this.#amphora));
  }

  running(): boolean {
    return this.#supervisor.running();
  }

  async init(): Promise<void> {
    if (!this.configured()) return;
    const pid = readPid(paths.keepalivedPid(this.#amphora));
    if (pid !== null && processAlive(pid) && processName(pid) === 'keepalived') {
      this.#supervisor.adopt(pid);
      this.#log.info({ pid }, 'adopted running keepalived');
    } else if (!existsSync(paths.keepalivedStoppedMarker(this.#amphora))) {
      const r = await this.start();
      if (!r.ok) this.#log.error({ output: r.output }, 'keepalived did not start');
    }
  }

  /** Installs a configuration (upstream's PUT /vrrp/upload) and the check scripts it may use. */
  async upload(config: Buffer, haproxyPidFiles: readonly string[]): Promise<void> {
    const a = this.#amphora;
    await mkdir(paths.checkScriptsDir(a), { recursive: true });
    await writeAtomic(paths.keepalivedConfig(a), config, 0o644);
    const script = [
      '#!/bin/bash',
      '# Runs every check script of this amphora; keepalived fails over when one fails.',
      'shopt -s nullglob',
      'status=0',
      `for file in ${paths.checkScriptsDir(a)}/*; do`,
      '  bash "$file"',
      '  status=$(( status + $? ))',
      'done',
      'exit $status',
      '',
    ].join('\n');
    await writeAtomic(paths.checkScript(a), script, 0o755);
    await this.updateHaproxySignals(haproxyPidFiles, []);
  }

  /**
   * Rewrites the haproxy check script (fails when no haproxy runs or one of them died, as upstream's
   * `haproxy-vrrp-check`) and the track file. Only once VRRP is configured on this amphora.
   */
  async updateHaproxySignals(runningPidFiles: readonly string[], down: readonly string[]): Promise<void> {
    const a = this.#amphora;
    if (!existsSync(paths.vrrpDir(a))) return;
    const checks =
      runningPidFiles.length === 0
        ? ['exit 1']
        : [...runningPidFiles.map((f) => `kill -0 "$(cat ${f})" 2>/dev/null || exit 1`), 'exit 0'];
    await writeAtomic(paths.haproxyCheckScript(a), `${checks.join('\n')}\n`, 0o755);
    const value = down.length > 0 ? '1\n' : '0\n';
    if (readIfExists(paths.haproxyTrackFile(a)) !== value) await writeFile(paths.haproxyTrackFile(a), value);
  }

  async start(): Promise<{ ok: true } | { ok: false; output: string }> {
    const a = this.#amphora;
    if (!this.configured()) return { ok: false, output: `${paths.keepalivedConfig(a)} does not exist` };
    await rm(paths.keepalivedStoppedMarker(a), { force: true });
    if (this.#supervisor.running()) return { ok: true };
    const pid = this.#supervisor.spawn();
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline && processAlive(pid)) {
      if (readPid(paths.keepalivedPid(a)) === pid) {
        this.#supervisor.supervise();
        return { ok: true };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.#supervisor.stop(1000);
    return { ok: false, output: readIfExists(paths.keepalivedLog(a)) ?? 'keepalived did not start' };
  }

  /** SIGHUP: keepalived re-reads its configuration. */
  reload(): boolean {
    const pid = this.#supervisor.pid;
    if (pid === null || !this.#supervisor.running()) return false;
    process.kill(pid, 'SIGHUP');
    return true;
  }

  async stop(): Promise<void> {
    const a = this.#amphora;
    if (existsSync(paths.vrrpDir(a))) await writeFile(paths.keepalivedStoppedMarker(a), '');
    await this.#supervisor.stop();
  }

  detach(): void {
    this.#supervisor.detach();
  }
}
