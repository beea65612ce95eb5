/**
 * Supervision of one long-running child of the agent (a haproxy master, keepalived): start, stop,
 * restart with backoff when it exits unexpectedly. Children run in their own session so they
 * survive an agent restart; a restarted agent adopts them by pid and watches them by polling,
 * since it no longer receives their exit.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Logger } from '../lib/logger.js';
import { processAlive } from './files.js';

export interface SupervisedSpec {
  readonly name: string;
  /** The command line, built at each start. */
  readonly command: () => [string, string[]];
  /** Receives the child's stdout and stderr; truncated at each start. */
  readonly logFile: string;
  /** Runs before each start, restarts included (e.g. removes stale pid files). */
  readonly prepare?: () => void;
}

export interface SupervisorHooks {
  /** The supervised child exited on its own (crash, kill by someone else). */
  readonly onCrash?: (pid: number) => void;
  /** A crashed child was started again. */
  readonly onRestart?: () => void;
}

const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 30_000;
/** A child that ran this long before dying restarts without delay growth. */
const STABLE_MS = 60_000;
const POLL_MS = 500;

export class Supervisor {
  readonly #spec: SupervisedSpec;
  readonly #log: Logger;
  readonly #hooks: SupervisorHooks;
  #pid: number | null = null;
  /** True once the caller considers the child up: from then on an exit is unexpected. */
  #supervised = false;
  #startedAt = 0;
  #backoffMs = BACKOFF_MIN_MS;
  #restartTimer: NodeJS.Timeout | null = null;
  #pollTimer: NodeJS.Timeout | null = null;
  #exitWaiters: (() => void)[] = [];
  #restarts = 0;

  constructor(spec: SupervisedSpec, log: Logger, hooks: SupervisorHooks = {}) {
    this.#spec = spec;
    this.#log = log;
    this.#hooks = hooks;
  }

  get pid(): number | null {
    return this.#pid;
  }

  get restarts(): number {
    return this.#restarts;
  }

  running(): boolean {
    return this.#pid !== null && processAlive(this.#pid);
  }

  /** Spawns the child. It is not restarted on exit until `supervise()` is called. */
  spawn(): number {
    this.#cancelRestart();
    this.#spec.prepare?.();
    const [file, args] = this.#spec.command();
    const fd = openSync(this.#spec.logFile, 'w', 0o600);
    try {
      const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd] });
      if (child.pid === undefined) throw new Error(`cannot start ${file}`);
      const pid = child.pid;
      child.on('error', (err) => this.#log.error({ err, name: this.#spec.name }, 'child process error'));
      child.on('exit', (code, signal) => this.#exited(pid, code, signal));
      child.unref();
      this.#pid = pid;
      this.#startedAt = Date.now();
      return pid;
    } finally {
      closeSync(fd);
    }
  }

  /** Takes over a child a previous agent started. */
  adopt(pid: number): void {
    this.#pid = pid;
    this.#startedAt = Date.now();
    this.#supervised = true;
    this.#pollTimer ??= setInterval(() => {
      if (this.#pid !== null && this.#pollTimer !== null && !processAlive(this.#pid)) this.#exited(this.#pid, null, null);
    }, POLL_MS);
    this.#pollTimer.unref();
  }

  /** From now on an exit of the child is a crash: restart it with backoff. */
  supervise(): void {
    this.#supervised = true;
  }

  /** Stops the child (SIGTERM, SIGKILL after `graceMs`) and stops supervising it. */
  async stop(graceMs = 10_000): Promise<void> {
    this.#supervised = false;
    this.#cancelRestart();
    const pid = this.#pid;
    if (pid === null || !processAlive(pid)) {
      this.#forget();
      return;
    }
    const gone = this.waitForExit(graceMs);
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    if (!(await gone)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await this.waitForExit(2000);
    }
    this.#forget();
  }

  /** Resolves true when the current child exits within `timeoutMs`, false otherwise. */
  waitForExit(timeoutMs: number): Promise<boolean> {
    const pid = this.#pid;
    if (pid === null || !processAlive(pid)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const poll = setInterval(() => {
        if (!processAlive(pid)) finish(true);
      }, 50);
      const timer = setTimeout(() => finish(false), timeoutMs);
      const waiter = (): void => finish(true);
      this.#exitWaiters.push(waiter);
      const finish = (v: boolean): void => {
        clearInterval(poll);
        clearTimeout(timer);
        this.#exitWaiters = this.#exitWaiters.filter((w) => w !== waiter);
        resolve(v);
      };
    });
  }

  /** Stops watching without touching the child (agent shutdown: children keep running). */
  detach(): void {
    this.#supervised = false;
    this.#cancelRestart();
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
  }

  #forget(): void {
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
    this.#pid = null;
  }

  #cancelRestart(): void {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
  }

  #exited(pid: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (pid !== this.#pid) return;
    for (const w of [...this.#exitWaiters]) w();
    if (!this.#supervised) return;
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
    this.#pid = null;
    this.#hooks.onCrash?.(pid);
    if (Date.now() - this.#startedAt > STABLE_MS) this.#backoffMs = BACKOFF_MIN_MS;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, BACKOFF_MAX_MS);
    this.#log.warn({ name: this.#spec.name, pid, code, signal, restartInMs: delay }, 'child exited unexpectedly; restarting');
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      try {
        this.#restarts++;
        this.spawn();
        this.#supervised = true;
        this.#hooks.onRestart?.();
      } catch (err) {
        this.#log.error({ err, name: this.#spec.name }, 'restart failed');
      }
    }, delay);
    this.#restartTimer.unref();
  }
}
