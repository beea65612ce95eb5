/**
 * Keeps the amphorae of a host-local compute driver (netns) honest against the database:
 *
 * - every `superviseIntervalMs`, one supervision pass: dead agents are started again by the driver;
 *   an amphora that cannot be restored (agent keeps dying, namespace or files gone) is reported and
 *   its row set to ERROR, where failover (health manager) or an operator picks it up;
 * - at start and every `reconcileIntervalMs`, re-adoption: namespaces the database knows are left
 *   running (a restarted controller simply talks to them again), namespaces it does not know are
 *   orphans of crashed flows and are deleted.
 *
 * Several processes may run one each (an `up` and extra workers on one host): every driver
 * operation it calls is idempotent and serialised per amphora by the driver.
 */
import type { Store } from '../db/store.js';
import type { Logger } from '../lib/logger.js';

/** What a compute driver offers to be supervised (NetnsComputeDriver). */
export interface SupervisedCompute {
  computeIdOf(amphoraId: string): string;
  supervise(): Promise<{ readonly restarted: readonly string[]; readonly failed: readonly { readonly computeId: string; readonly reason: string }[] }>;
  reconcile(knownComputeIds: Iterable<string>, options?: { graceMs?: number }): Promise<string[]>;
}

export interface ComputeSupervisorOptions {
  readonly compute: SupervisedCompute;
  readonly store: Store;
  readonly log: Logger;
  readonly superviseIntervalMs: number;
  readonly reconcileIntervalMs: number;
  /** Instances younger than this are never orphans (their row may not be committed yet). */
  readonly graceMs?: number;
}

export class ComputeSupervisor {
  readonly #o: ComputeSupervisorOptions;
  readonly #log: Logger;
  #timers: NodeJS.Timeout[] = [];
  #pass: Promise<void> | null = null;
  /** Failures already reported, so that a dead amphora is logged once, not every pass. */
  readonly #reported = new Set<string>();

  constructor(options: ComputeSupervisorOptions) {
    this.#o = options;
    this.#log = options.log.child({ component: 'compute-supervisor' });
  }

  /** Re-adopts (reconciles) once, then supervises on the intervals. */
  async start(): Promise<void> {
    await this.#serial(() => this.reconcile());
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void this.#serial(fn), ms);
      t.unref();
      this.#timers.push(t);
    };
    every(this.#o.superviseIntervalMs, () => this.supervise());
    every(this.#o.reconcileIntervalMs, () => this.reconcile());
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    await this.#pass;
  }

  /** Passes never overlap: one that is still running makes the next tick a no-op. */
  #serial(fn: () => Promise<unknown>): Promise<void> {
    if (this.#pass) return this.#pass;
    this.#pass = fn()
      .then(() => undefined)
      .catch((err: unknown) => this.#log.error({ err }, 'supervision pass failed'))
      .finally(() => (this.#pass = null));
    return this.#pass;
  }

  async supervise(): Promise<void> {
    const report = await this.#o.compute.supervise();
    for (const computeId of report.restarted) this.#log.warn({ computeId }, 'amphora agent had died and was started again');
    if (report.failed.length === 0) {
      this.#reported.clear();
      return;
    }
    const byComputeId = new Map<string, { id: string; status: string }>();
    for (const a of await this.#o.store.amphorae.live()) {
      byComputeId.set(a.computeId ?? this.#o.compute.computeIdOf(a.id), a);
    }
    const stillFailed = new Set<string>();
    for (const f of report.failed) {
      stillFailed.add(f.computeId);
      const amphora = byComputeId.get(f.computeId);
      if (!amphora) continue; // an orphan: reconcile removes it
      if (!this.#reported.has(f.computeId)) {
        this.#log.error({ computeId: f.computeId, amphoraId: amphora.id, reason: f.reason }, 'amphora cannot be restored; marking it ERROR');
        this.#reported.add(f.computeId);
      }
      // Only amphorae in service: a flow that is building or deleting one owns its status.
      if (await this.#o.store.amphorae.compareAndSetStatus(amphora.id, ['ALLOCATED', 'READY'], 'ERROR')) {
        this.#log.info({ amphoraId: amphora.id }, 'amphora status set to ERROR');
      }
    }
    for (const id of this.#reported) if (!stillFailed.has(id)) this.#reported.delete(id);
  }

  async reconcile(): Promise<string[]> {
    const known = new Set<string>();
    for (const a of await this.#o.store.amphorae.live()) {
      // The name derived from the id covers a build whose compute id is not recorded yet.
      known.add(this.#o.compute.computeIdOf(a.id));
      if (a.computeId) known.add(a.computeId);
    }
    return this.#o.compute.reconcile(known, { graceMs: this.#o.graceMs ?? 120_000 });
  }
}
