/**
 * Housekeeping (upstream's octavia-housekeeping, spec §6.9): purges load balancers and amphorae that
 * have been DELETED for longer than their expiry age, finished jobs and orphaned statistics rows;
 * keeps the spares pool full; and rotates amphora certificates before they expire. Runs on
 * intervals; several copies may run at once (every purge is a plain delete of rows that stay
 * DELETED, spare jobs are counted before they are queued, a rotation takes its amphora with a
 * compare-and-set on `cert_busy`).
 *
 * It never runs flows: spare builds and certificate rotations are jobs (durable, resumed by any
 * worker), which is where upstream runs them in a thread pool of the housekeeping process.
 */
import type { Store } from '../db/store.js';
import { timestamp, type Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../lib/logger.js';

/** How soon a rotation scan that left due amphorae behind runs again. */
const ROTATION_RESCAN_MS = 5_000;

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
  /** `[house_keeping] cert_interval`: between certificate rotation scans (0 or absent: no rotation). */
  readonly certIntervalMs?: number;
  /** `[house_keeping] cert_expiry_buffer`: rotate certificates that expire within this. */
  readonly certExpiryBufferMs?: number;
  /** `[house_keeping] cert_rotate_threads`: rotation jobs queued or running at once at most. */
  readonly certRotateThreads?: number;
  /** Called after spare or rotation jobs were queued (wakes an in-process worker). */
  readonly jobsEnqueued?: () => void;
}

export class Housekeeping {
  readonly #o: HousekeepingOptions;
  #timer: NodeJS.Timeout | null = null;
  #spareTimer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #refilling: Promise<unknown> | null = null;
  #certTimer: NodeJS.Timeout | null = null;
  #rotating: Promise<unknown> | null = null;
  #stopped = false;

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
    if ((this.#o.certIntervalMs ?? 0) > 0) this.#scheduleRotation(0);
  }

  /**
   * The next rotation scan after `delayMs`. A scan that had to leave due amphorae for later
   * (`cert_rotate_threads` rotations already under way) comes back soon rather than after a whole
   * `cert_interval`, as upstream's pool would work through its queue.
   */
  #scheduleRotation(delayMs: number): void {
    if (this.#stopped) return;
    this.#certTimer = setTimeout(() => {
      this.#rotating = this.rotateCertificates()
        .then((r) => this.#scheduleRotation(r.more ? Math.min(this.#o.certIntervalMs!, ROTATION_RESCAN_MS) : this.#o.certIntervalMs!))
        .finally(() => (this.#rotating = null));
    }, delayMs);
    this.#certTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#spareTimer) clearInterval(this.#spareTimer);
    if (this.#certTimer) clearTimeout(this.#certTimer);
    this.#timer = null;
    this.#spareTimer = null;
    this.#certTimer = null;
    await this.#running;
    await this.#refilling;
    await this.#rotating;
  }

  /**
   * One certificate rotation scan (upstream's CertRotation.rotate): while fewer than
   * `cert_rotate_threads` rotations are queued or running, takes an amphora whose certificate
   * expires within `cert_expiry_buffer` (setting its `cert_busy`) and queues a
   * `cert_rotate_amphora` job for it in the same transaction, so a crash leaves either both or
   * neither. `more` is true when due amphorae may be left for the next scan.
   */
  async rotateCertificates(): Promise<{ queued: number; more: boolean }> {
    const { store, clock, log } = this.#o;
    const threads = this.#o.certRotateThreads ?? 10;
    const before = timestamp(clock.now() + (this.#o.certExpiryBufferMs ?? 1_209_600_000));
    let queued = 0;
    try {
      let free = threads - (await store.jobs.countUnfinished('cert_rotate_amphora'));
      for (; free > 0; free--) {
        const amphoraId = await store.transaction(async (tx) => {
          const id = await tx.amphorae.claimCertExpiring(before);
          if (id !== null) await tx.jobs.enqueue({ id: newId(), kind: 'cert_rotate_amphora', payload: { amphoraId: id }, resourceId: id });
          return id;
        });
        if (amphoraId === null) break;
        queued++;
        log.debug({ amphora: amphoraId }, 'amphora certificate expires soon; rotation queued');
      }
      if (queued > 0) {
        this.#o.jobsEnqueued?.();
        log.info({ queued }, 'rotating amphora certificates');
      }
      return { queued, more: free === 0 };
    } catch (err) {
      log.error({ err }, 'certificate rotation scan failed; will retry at the next interval');
      return { queued, more: false };
    }
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
  async cleanup(): Promise<{ loadBalancers: number; amphorae: number; jobs: number; statistics: number }> {
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
      // Stats retention: see StatisticsRepository.purgeOrphans for what goes and what stays.
      const statistics = await store.statistics.purgeOrphans();
      if (loadBalancers + amphorae + jobs + statistics > 0) log.info({ loadBalancers, amphorae, jobs, statistics }, 'purged expired rows');
      return { loadBalancers, amphorae, jobs, statistics };
    } catch (err) {
      log.error({ err }, 'housekeeping cleanup failed; will retry at the next interval');
      return { loadBalancers, amphorae, jobs: 0, statistics: 0 };
    }
  }
}
