/**
 * Housekeeping (upstream's octavia-housekeeping, spec §6.9): purges load balancers and amphorae that
 * have been DELETED for longer than their expiry age, and finished jobs. Runs on an interval;
 * several copies may run at once (every purge is a plain delete of rows that stay DELETED).
 */
import type { Store } from '../db/store.js';
import { timestamp, type Clock } from '../lib/clock.js';
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
}

export class Housekeeping {
  readonly #o: HousekeepingOptions;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

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
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
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
