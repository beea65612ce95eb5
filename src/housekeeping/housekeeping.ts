/**
 * Housekeeping (upstream's octavia-housekeeping, spec §6.9): purges load balancers and amphorae that
 * have been DELETED for longer than their expiry age, and finished jobs. Runs on an interval;
 * several copies may run at once (every purge is a plain delete of rows that stay DELETED).
 */
import type { Store } from '../db/store.js';
import { timestamp, type Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../lib/logger.js';

export interface HousekeepingOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly cleanupIntervalMs: number;
  readonly loadBalancerExpiryMs: number;
  readonly amphoraExpiryMs: number;
  /** Finished jobs are kept this long for operators (default one day). */
  readonly jobExpiryMs?: number;
  /** `[house_keeping] spare_amphora_pool_size`: READY amphorae to keep (0: no pool). */
  readonly spareAmphoraPoolSize?: number;
  readonly spareCheckIntervalMs?: number;
  /** Called after spare jobs were queued (wakes an in-process worker). */
  readonly jobsEnqueued?: () => void;
}

export class Housekeeping {
  readonly #o: HousekeepingOptions;
  #timer: NodeJS.Timeout | null = null;
  #spareTimer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #refilling: Promise<unknown> | null = null;

  constructor(options: HousekeepingOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (!this.#running) {
        this.#running = this.cleanup()
          .then(() => undefined)
          .finally(() => (this.#running = null));
      }
    }, this.#o.cleanupIntervalMs);
    this.#timer.unref();
    if ((this.#o.spareAmphoraPoolSize ?? 0) > 0) {
      const tick = () => {
        if (!this.#refilling) this.#refilling = this.refillSpares().finally(() => (this.#refilling = null));
      };
      tick();
      this.#spareTimer = setInterval(tick, this.#o.spareCheckIntervalMs ?? 30_000);
      this.#spareTimer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#spareTimer) clearInterval(this.#spareTimer);
    this.#timer = null;
    this.#spareTimer = null;
    await this.#running;
    await this.#refilling;
  }

  /**
   * Keeps `spare_amphora_pool_size` amphorae READY (or on their way): counts ready and building
   * spares plus queued spare jobs, and queues the difference.
   */
  async refillSpares(): Promise<number> {
    const { store, log } = this.#o;
    const size = this.#o.spareAmphoraPoolSize ?? 0;
    if (size <= 0) return 0;
    try {
      const have = (await store.amphorae.countSpares()) + (await store.jobs.countUnfinished('create_spare_amphora'));
      const missing = Math.max(0, size - have);
      if (missing === 0) return 0;
      await store.transaction(async (tx) => {
        for (let i = 0; i < missing; i++) {
          await tx.jobs.enqueue({ id: newId(), kind: 'create_spare_amphora', payload: {}, resourceId: null });
        }
      });
      this.#o.jobsEnqueued?.();
      log.info({ queued: missing, poolSize: size }, 'refilling the spare amphora pool');
      return missing;
    } catch (err) {
      log.error({ err }, 'spare pool refill failed; will retry at the next interval');
      return 0;
    }
  }

  /** One purge pass; returns what it removed. */
  async cleanup(): Promise<{ loadBalancers: number; amphorae: number; jobs: number }> {
    const { store, clock, log } = this.#o;
    const now = clock.now();
    let loadBalancers = 0;
    let amphorae = 0;
    try {
      const ampBefore = now - this.#o.amphoraExpiryMs;
      for (const id of await store.amphorae.deletedBefore(timestamp(ampBefore), ampBefore)) {
        await store.transaction((tx) => tx.amphorae.purge(id));
        amphorae++;
      }
      for (const id of await store.loadBalancers.deletedBefore(timestamp(now - this.#o.loadBalancerExpiryMs))) {
        await store.transaction((tx) => tx.loadBalancers.purge(id));
        loadBalancers++;
      }
      const jobs = await store.jobs.purgeFinished(now - (this.#o.jobExpiryMs ?? 86_400_000));
      if (loadBalancers + amphorae + jobs > 0) log.info({ loadBalancers, amphorae, jobs }, 'purged expired rows');
      return { loadBalancers, amphorae, jobs };
    } catch (err) {
      log.error({ err }, 'housekeeping cleanup failed; will retry at the next interval');
      return { loadBalancers, amphorae, jobs: 0 };
    }
  }
}
