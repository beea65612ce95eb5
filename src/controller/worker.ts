/**
 * The worker: claims jobs from the database queue and runs their flows, several at a time. Leases
 * are renewed while a flow runs; a worker that dies simply stops renewing and another worker
 * resumes its jobs once the lease expires. On shutdown the worker stops claiming, lets each running
 * task finish, and hands its jobs back to the queue so that another worker continues them at once.
 */
import { hostname } from 'node:os';
import type { Job, Lease } from '../db/repositories/jobs.js';
import type { Store } from '../db/store.js';
import { sleep, type Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../lib/logger.js';
import type { Drivers } from './drivers.js';
import { runFlow, type RunnerOptions } from './engine/runner.js';
import { buildFlow, type FlowSettings } from './flows/index.js';

export interface WorkerOptions {
  readonly store: Store;
  readonly drivers: Drivers;
  readonly clock: Clock;
  readonly log: Logger;
  readonly maxConcurrent: number;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly flowTimeoutMs: number;
  readonly taskMaxRetries: number;
  readonly disableRevert: boolean;
  readonly flows: FlowSettings;
  /** Identifies this worker in job leases (default host:pid:random). */
  readonly owner?: string;
}

export class Worker {
  readonly owner: string;
  readonly #o: WorkerOptions;
  readonly #running = new Map<string, { controller: AbortController; done: Promise<void>; lease: Lease }>();
  #stopping = false;
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  #renewTimer: NodeJS.Timeout | null = null;

  constructor(options: WorkerOptions) {
    this.#o = options;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${newId().slice(0, 8)}`;
  }

  start(): void {
    if (this.#loop) return;
    this.#o.log.info({ owner: this.owner, concurrency: this.#o.maxConcurrent }, 'worker started');
    this.#loop = this.#run();
    this.#renewTimer = setInterval(() => void this.#renewLeases(), Math.max(100, this.#o.leaseMs / 3));
    this.#renewTimer.unref();
  }

  /** Wakes the claim loop at once (called after the API commits a job in this process). */
  notify(): void {
    this.#wake?.();
  }

  get activeJobs(): number {
    return this.#running.size;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    for (const r of this.#running.values()) r.controller.abort();
    await this.#loop;
    await Promise.all([...this.#running.values()].map((r) => r.done));
    if (this.#renewTimer) clearInterval(this.#renewTimer);
    this.#o.log.info({ owner: this.owner }, 'worker stopped');
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      let claimed: Job | null = null;
      if (this.#running.size < this.#o.maxConcurrent) {
        try {
          claimed = await this.#o.store.transaction((tx) => tx.jobs.claim(this.owner, this.#o.leaseMs));
        } catch (err) {
          this.#o.log.error({ err }, 'claiming a job failed');
          await sleep(500);
        }
      }
      if (claimed) {
        this.#start(claimed);
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.#o.pollMs);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = () => {
          this.#wake = null;
          done();
        };
      });
    }
  }

  #start(job: Job): void {
    const controller = new AbortController();
    const lease = { jobId: job.id, owner: this.owner, attempt: job.attempt };
    const log = this.#o.log;
    const done = (async () => {
      try {
        const built = await buildFlow(job.kind, job.payload, this.#o.store, this.#o.flows);
        const runner: RunnerOptions = {
          store: this.#o.store,
          drivers: this.#o.drivers,
          clock: this.#o.clock,
          log,
          leaseMs: this.#o.leaseMs,
          flowTimeoutMs: this.#o.flowTimeoutMs,
          taskMaxRetries: this.#o.taskMaxRetries,
          disableRevert: this.#o.disableRevert,
        };
        const outcome = await runFlow(runner, job, lease, built.flow, built.state, controller.signal);
        if (outcome === 'aborted' && this.#stopping) {
          // Hand the job back so another worker continues it now rather than after the lease.
          await this.#o.store.jobs.release(lease, this.#o.clock.now());
        }
      } catch (err) {
        log.error({ err, job: job.id, kind: job.kind }, 'job crashed; it will be resumed after its lease expires');
      } finally {
        this.#running.delete(job.id);
        this.notify();
      }
    })();
    this.#running.set(job.id, { controller, done, lease });
  }

  async #renewLeases(): Promise<void> {
    for (const [jobId, r] of this.#running) {
      // A database hiccup is not a lost lease: try again at the next tick.
      const ok = await this.#o.store.jobs.renew(r.lease, this.#o.leaseMs).catch(() => true);
      if (!ok) {
        const job = await this.#o.store.jobs.get(jobId).catch(() => null);
        // A finished job also fails to renew; only a job someone else now runs is a lost lease.
        if (job && job.state === 'running' && job.attempt !== r.lease.attempt) {
          this.#o.log.warn({ job: jobId }, 'lease taken over by another worker; stopping this run');
          r.controller.abort();
        }
      }
    }
  }
}
