/**
 * Stale-amphora detection (upstream's `HM_health_check`, spec §8.3): every `health_check_interval`
 * the scanner looks for amphorae whose last heartbeat is older than `heartbeat_timeout` and queues
 * an amphora failover job for each — it never runs a flow itself (the workers do, with leases, so
 * a failover survives the death of the health manager that asked for it).
 *
 * Taking an amphora is one transaction: its health row goes busy (a compare-and-set, so of several
 * health managers on one database exactly one takes it), its load balancer goes PENDING_UPDATE
 * (only from ACTIVE or ERROR: a load balancer some other flow holds is left for a later scan, with
 * the health row untouched), and the `failover_amphora` job is inserted. A busy row is ignored
 * until the failover deletes it with the old amphora; the new amphora gets its own on its first
 * heartbeat.
 *
 * Differences from upstream, on purpose:
 * - amphorae in ERROR are failed over too (upstream: only ALLOCATED and FAILOVER_STOPPED). The
 *   compute supervisor sets ERROR when an amphora's namespace or agent cannot be restored; that
 *   amphora is exactly what failover is for. A failover that itself failed leaves its row busy,
 *   so an amphora is never retried in a loop.
 * - `failover_threads` bounds the failover jobs this scanner has queued or running at once (upstream:
 *   the size of its thread pool); it stops picking when that many are outstanding.
 * - the circuit breaker counts and stops only amphorae eligible for failover (upstream counts every
 *   stale row and also stops amphorae that are building); it trips at count >= threshold as upstream.
 * - "nobody reports": amphorae exist but no heartbeat at all arrived for `heartbeat_timeout` →
 *   an error in the log and the `amphorae_silent` metric (see metrics.ts).
 *
 * Depends on src/db (through the Store), src/lib and the job payload contract of src/controller.
 */
import type { JobPayloads } from '../controller/flows/payloads.js';
import { HealthRepository, type StaleAmphora } from '../db/repositories/health.js';
import type { Store } from '../db/store.js';
import type { AmphoraStatus } from '../domain/status.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../lib/logger.js';
import { HealthMetrics } from './metrics.js';

/** Amphorae a stale heartbeat fails over. */
export const FAILOVER_ELIGIBLE: readonly AmphoraStatus[] = ['ALLOCATED', 'FAILOVER_STOPPED', 'ERROR'];
/** Amphorae expected to send heartbeats (for the "nobody reports" alarm). */
const EXPECTED_TO_REPORT: readonly AmphoraStatus[] = ['ALLOCATED', 'FAILOVER_STOPPED'];
/** Errors that last are logged again at most this often. */
const REPEAT_ERROR_MS = 60_000;

export interface StaleAmphoraScannerOptions {
  readonly store: Store;
  readonly log: Logger;
  readonly clock: Clock;
  /** `[health_manager] heartbeat_timeout` in ms. */
  readonly heartbeatTimeoutMs: number;
  /** `[health_manager] health_check_interval` in ms. */
  readonly healthCheckIntervalMs: number;
  /** `[health_manager] failover_threads`. */
  readonly failoverThreads: number;
  /** `[health_manager] failover_threshold` (null: no circuit breaker). */
  readonly failoverThreshold: number | null;
  /** Wait before the first scan (default heartbeatTimeoutMs: amphorae get a chance to report after a restart). */
  readonly startDelayMs?: number;
  /** Called after failover jobs were committed (wakes an in-process worker). */
  readonly jobsEnqueued?: () => void;
  readonly metrics?: HealthMetrics;
}

export interface ScanResult {
  /** Stale amphorae eligible for failover. */
  readonly stale: number;
  /** Failover jobs queued by this scan, by amphora id. */
  readonly enqueued: readonly string[];
  /** Amphorae set FAILOVER_STOPPED by this scan (circuit breaker). */
  readonly stopped: number;
  /** FAILOVER_STOPPED amphorae that report again and went back to ALLOCATED. */
  readonly resumed: number;
  /** True when no failover was started because the failover_threshold circuit breaker is open. */
  readonly circuitOpen: boolean;
}

export interface ScannerCounters {
  scans: number;
  failoversEnqueued: number;
  failoverStopped: number;
  /** Stale amphorae left for a later scan because their load balancer was busy (PENDING_*). */
  skippedLoadBalancerBusy: number;
  /** Stale amphorae another health manager (or a fresh heartbeat) took first. */
  lostRaces: number;
  scanErrors: number;
}

/** Rolls back the taking of an amphora that must wait for a later scan. */
class NotNow extends Error {}

export class StaleAmphoraScanner {
  readonly #o: StaleAmphoraScannerOptions;
  readonly #log: Logger;
  readonly metrics: HealthMetrics;
  readonly counters: ScannerCounters = { scans: 0, failoversEnqueued: 0, failoverStopped: 0, skippedLoadBalancerBusy: 0, lostRaces: 0, scanErrors: 0 };
  /** Failover jobs this scanner queued that may still be queued or running. */
  readonly #outstanding = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #pass: Promise<unknown> | null = null;
  #stopped = true;
  /** When the "nobody reports" condition was first seen (null: not seen), and when it was last logged. */
  #quietSince: number | null = null;
  #silentLoggedAt: number | null = null;
  #breakerLoggedAt: number | null = null;
  /** After a failed scan (database gone), no failover until amphorae had heartbeat_timeout to report. */
  #recovering = false;
  #graceUntil = 0;

  constructor(options: StaleAmphoraScannerOptions) {
    this.#o = options;
    this.#log = options.log.child({ component: 'stale-amphora-scanner' });
    this.metrics = options.metrics ?? new HealthMetrics();
  }

  /** True while amphorae exist and none has reported for heartbeat_timeout (see metrics.ts). */
  get silent(): boolean {
    return this.#silentLoggedAt !== null;
  }

  /** Failover jobs of this scanner known to be queued or running (as of the last scan). */
  get outstanding(): number {
    return this.#outstanding.size;
  }

  /** Scans after `startDelayMs`, then every `healthCheckIntervalMs`; scans never overlap. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const delay = this.#o.startDelayMs ?? this.#o.heartbeatTimeoutMs;
    this.#log.info(
      { heartbeatTimeoutMs: this.#o.heartbeatTimeoutMs, intervalMs: this.#o.healthCheckIntervalMs, failoverThreads: this.#o.failoverThreads, failoverThreshold: this.#o.failoverThreshold, firstScanInMs: delay },
      'stale-amphora scanner started',
    );
    this.#schedule(delay);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#pass;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pass = this.scan()
        .catch(() => undefined) // counted and logged by scan()
        .finally(() => {
          this.#pass = null;
          if (!this.#stopped) this.#schedule(this.#o.healthCheckIntervalMs);
        });
    }, ms);
    this.#timer.unref();
  }

  /** One scan (tests call it directly). Rejects on database errors, after logging them. */
  async scan(): Promise<ScanResult> {
    try {
      const result = await this.#scan();
      this.#recovering = false;
      return result;
    } catch (err) {
      this.counters.scanErrors++;
      this.metrics.scanErrors.inc();
      if (!this.#recovering) this.#log.error({ err }, 'stale-amphora scan failed; no failover until the database answers and amphorae had heartbeat_timeout to report');
      this.#recovering = true;
      throw err;
    }
  }

  async #scan(): Promise<ScanResult> {
    const { store, clock, heartbeatTimeoutMs } = this.#o;
    const now = clock.now();
    const cutoff = now - heartbeatTimeoutMs;
    this.counters.scans++;
    // Heartbeats could not be written while the database was away: every row looks stale now.
    if (this.#recovering) this.#graceUntil = now + heartbeatTimeoutMs;

    const resumed = await store.transaction((tx) => this.#health(tx).resumeFailoverStopped(cutoff, now));
    if (resumed > 0) this.#log.info({ amphorae: resumed }, 'FAILOVER_STOPPED amphorae report again: back to ALLOCATED');

    await this.#checkReporting(now, cutoff);
    await this.#refreshOutstanding();

    const stale = await this.#health(store).stale(cutoff, FAILOVER_ELIGIBLE);
    this.metrics.staleAmphorae.set(stale.length);
    const result = { stale: stale.length, enqueued: [] as string[], stopped: 0, resumed, circuitOpen: false };
    if (stale.length === 0 || now < this.#graceUntil) return result;

    const threshold = this.#o.failoverThreshold;
    if (threshold !== null && stale.length >= threshold) {
      const stopped = await store.transaction((tx) =>
        this.#health(tx).stopFailovers(
          stale.map((s) => s.amphoraId),
          ['ALLOCATED'],
          now,
        ),
      );
      this.counters.failoverStopped += stopped;
      this.metrics.failoverStopped.inc(stopped);
      if (stopped > 0 || this.#breakerLoggedAt === null || now - this.#breakerLoggedAt >= REPEAT_ERROR_MS) {
        this.#breakerLoggedAt = now;
        this.#log.error(
          { stale: stale.length, threshold, newlyStopped: stopped, amphorae: stale.slice(0, 20).map((s) => s.amphoraId) },
          'stale amphora count reached failover_threshold: no failover; amphorae set FAILOVER_STOPPED (they return to ALLOCATED when they report again; fail them over by hand if they do not)',
        );
      }
      return { ...result, stopped, circuitOpen: true };
    }
    this.#breakerLoggedAt = null;

    // A random order, as upstream: two health managers rarely contend for the same row, and an
    // amphora whose load balancer is busy does not hold back the others.
    for (const candidate of shuffle(stale)) {
      if (this.#outstanding.size >= this.#o.failoverThreads) break;
      const jobId = await this.#take(candidate, cutoff);
      if (jobId === null) continue;
      this.#outstanding.add(jobId);
      result.enqueued.push(candidate.amphoraId);
    }
    this.metrics.failoversOutstanding.set(this.#outstanding.size);
    if (result.enqueued.length > 0) this.#o.jobsEnqueued?.();
    return result;
  }

  /** Marks one stale amphora busy, locks its load balancer and queues its failover; null when not taken. */
  async #take(s: StaleAmphora, cutoff: number): Promise<string | null> {
    const jobId = newId();
    try {
      const taken = await this.#o.store.transaction(async (tx) => {
        if (!(await this.#health(tx).markBusy(s.amphoraId, cutoff))) return false;
        // Re-read in the transaction: the amphora may have moved to another status (or load
        // balancer, a spare taken) since the stale query.
        const amphora = await tx.amphorae.get(s.amphoraId);
        if (!amphora || !FAILOVER_ELIGIBLE.includes(amphora.status)) throw new NotNow('amphora no longer eligible');
        if (amphora.loadBalancerId !== null && !(await tx.loadBalancers.compareAndSetStatus(amphora.loadBalancerId, ['ACTIVE', 'ERROR'], 'PENDING_UPDATE'))) {
          throw new NotNow('load balancer busy');
        }
        const payload: JobPayloads['failover_amphora'] = { amphoraId: amphora.id, loadBalancerId: amphora.loadBalancerId };
        await tx.jobs.enqueue({ id: jobId, kind: 'failover_amphora', payload, resourceId: amphora.id });
        return true;
      });
      if (!taken) {
        this.counters.lostRaces++;
        return null;
      }
    } catch (err) {
      if (!(err instanceof NotNow)) throw err;
      // Rolled back: the row stays not busy and a later scan tries again.
      this.counters.skippedLoadBalancerBusy++;
      this.#log.debug({ amphoraId: s.amphoraId, loadBalancerId: s.loadBalancerId, reason: err.message }, 'stale amphora left for a later scan');
      return null;
    }
    this.counters.failoversEnqueued++;
    this.metrics.failoversEnqueued.inc();
    this.#log.warn(
      { amphoraId: s.amphoraId, loadBalancerId: s.loadBalancerId, status: s.status, silentForMs: this.#o.clock.now() - s.lastUpdate, job: jobId },
      'stale amphora: failover queued',
    );
    return jobId;
  }

  /** Forgets jobs that finished (or were purged). */
  async #refreshOutstanding(): Promise<void> {
    for (const id of this.#outstanding) {
      const job = await this.#o.store.jobs.get(id);
      if (!job || job.state === 'succeeded' || job.state === 'failed') this.#outstanding.delete(id);
    }
    this.metrics.failoversOutstanding.set(this.#outstanding.size);
  }

  /** The "nobody reports" alarm: amphorae exist, no heartbeat at all within heartbeat_timeout. */
  async #checkReporting(now: number, cutoff: number): Promise<void> {
    const { expected, newestMs } = await this.#health(this.#o.store).reporting(EXPECTED_TO_REPORT);
    const quiet = expected > 0 && (newestMs === null || newestMs < cutoff);
    if (!quiet) {
      if (this.#silentLoggedAt !== null) this.#log.info({ amphorae: expected }, 'heartbeats arrive again');
      this.#quietSince = null;
      this.#silentLoggedAt = null;
      this.metrics.amphoraeSilent.set(0);
      return;
    }
    this.#quietSince ??= now;
    // Without any health row, the silence is only known since this scanner has been looking.
    if (newestMs === null && now - this.#quietSince < this.#o.heartbeatTimeoutMs) return;
    this.metrics.amphoraeSilent.set(1);
    if (this.#silentLoggedAt === null || now - this.#silentLoggedAt >= REPEAT_ERROR_MS) {
      this.#silentLoggedAt = now;
      this.#log.error(
        { amphorae: expected, lastHeartbeatAgoMs: newestMs === null ? null : now - newestMs },
        'no amphora has sent a heartbeat for heartbeat_timeout although amphorae exist: heartbeats are not arriving (check [health_manager] heartbeat_key, controller_ip_port_list, bind_ip/bind_port and the management network); failovers cannot be detected reliably',
      );
    }
  }

  #health(store: Store): HealthRepository {
    return new HealthRepository({ ex: store.executor, engine: store.engine, clock: store.clock, tags: store.tags });
  }
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
