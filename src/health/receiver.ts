/**
 * The health manager's heartbeat receiver (upstream's `HM_listener`, spec §8.2): a UDP socket on
 * `[health_manager] bind_ip:bind_port`. Each datagram is verified (HMAC, constant time), decoded,
 * checked against replays (replay-guard.ts) and queued; a single loop drains the queue in batches,
 * one transaction per batch: three reads for the views of every amphora in the batch, then one
 * upsert of health rows, one UPDATE per (table, new status) and one upsert of counters. That keeps
 * the database cost per heartbeat far below one round trip when many amphorae report at once.
 *
 * Depends on src/db (HealthRepository through the Store), src/lib and its siblings; it never runs
 * flows or calls drivers (stale-amphora detection and failover are another part).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { HealthRepository } from '../db/repositories/health.js';
import type { Store } from '../db/store.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { decodeHeartbeat, MAX_DATAGRAM_BYTES, type Heartbeat } from './heartbeat-codec.js';
import { ReplayGuard } from './replay-guard.js';
import { applyToView, heartbeatEffects, type StatsUpdate, type StatusChange } from './status-rules.js';

export interface HeartbeatReceiverOptions {
  readonly store: Store;
  readonly log: Logger;
  readonly clock: Clock;
  readonly bindIp: string;
  readonly bindPort: number;
  /** `[health_manager] heartbeat_key`. */
  readonly key: string;
  /** `[health_manager] heartbeat_interval` in ms: a heartbeat processed later than this does not refresh health. */
  readonly heartbeatIntervalMs: number;
  /** Silence after which a lower `seq` is taken as a restarted sender (see replay-guard.ts). */
  readonly restartWindowMs: number;
  /** SO_RCVBUF (`sock_rlimit`); 0 keeps the system default. */
  readonly receiveBufferBytes?: number;
  /** Heartbeats per transaction at most (default 500). */
  readonly maxBatch?: number;
}

/** Counters since start, for logs, metrics and tests. */
export interface ReceiverCounters {
  received: number;
  /** Verified, decoded, not replayed, queued. */
  accepted: number;
  /** HMAC mismatch, too short, too long. */
  rejected: number;
  /** Authentic but not a valid heartbeat (zlib, JSON, structure). */
  malformed: number;
  replayed: number;
  /** Written to the database. */
  processed: number;
  /** Authentic heartbeats of amphorae that do not exist or are DELETED. */
  unknownAmphora: number;
  /** Heartbeats lost because their batch failed to commit. */
  failed: number;
}

interface Queued {
  readonly heartbeat: Heartbeat;
  readonly receivedAt: number;
  readonly from: string;
}

/** Repeated warnings of one kind are logged at most this often (a flood must not flood the log). */
const WARN_INTERVAL_MS = 5000;

export class HeartbeatReceiver {
  readonly #o: HeartbeatReceiverOptions;
  readonly #log: Logger;
  readonly #guard: ReplayGuard;
  readonly #maxBatch: number;
  #socket: Socket | null = null;
  #queue: Queued[] = [];
  #draining: Promise<void> | null = null;
  readonly #lastWarn = new Map<string, { at: number; suppressed: number }>();
  #pruneTimer: NodeJS.Timeout | null = null;
  readonly counters: ReceiverCounters = { received: 0, accepted: 0, rejected: 0, malformed: 0, replayed: 0, processed: 0, unknownAmphora: 0, failed: 0 };

  constructor(options: HeartbeatReceiverOptions) {
    this.#o = options;
    this.#log = options.log.child({ component: 'health-receiver' });
    this.#guard = new ReplayGuard({ restartWindowMs: options.restartWindowMs, clock: options.clock });
    this.#maxBatch = options.maxBatch ?? 500;
  }

  /** Binds the socket; rejects when the address cannot be bound. */
  async start(): Promise<void> {
    const socket = createSocket({
      type: isIPv6(this.#o.bindIp) ? 'udp6' : 'udp4',
      ...(this.#o.receiveBufferBytes ? { recvBufferSize: this.#o.receiveBufferBytes } : {}),
    });
    socket.on('message', (msg, rinfo) => this.handle(msg, rinfo.address));
    socket.on('error', (err) => this.#log.error({ err }, 'heartbeat socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.#o.bindIp, port: this.#o.bindPort, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.#socket = socket;
    // Replay state of amphorae gone quiet for long is of no use; keep memory bounded.
    const keepMs = Math.max(this.#o.restartWindowMs * 4, 600_000);
    this.#pruneTimer = setInterval(() => this.#guard.prune(keepMs), keepMs);
    this.#pruneTimer.unref();
    const { address, port } = socket.address();
    this.#log.info({ address, port }, 'heartbeat receiver listening');
  }

  address(): { address: string; port: number } {
    if (!this.#socket) throw new Error('receiver not started');
    const { address, port } = this.#socket.address();
    return { address, port };
  }

  /** Verifies one datagram and queues it; the socket calls this, tests and benchmarks may too. */
  handle(datagram: Buffer, from: string): void {
    this.counters.received++;
    if (datagram.length > MAX_DATAGRAM_BYTES) {
      this.counters.rejected++;
      return this.#warn('oversized', { from, bytes: datagram.length }, 'heartbeat dropped: datagram too large');
    }
    const decoded = decodeHeartbeat(datagram, this.#o.key);
    if (!decoded.ok) {
      const forged = decoded.reason === 'HMAC does not match' || decoded.reason === 'datagram too short';
      if (forged) this.counters.rejected++;
      else this.counters.malformed++;
      return this.#warn(forged ? 'forged' : 'malformed', { from, reason: decoded.reason }, 'heartbeat dropped');
    }
    const hb = decoded.heartbeat;
    const verdict = this.#guard.check(hb.id, hb.seq);
    if (verdict === 'replay') {
      this.counters.replayed++;
      return this.#warn('replay', { from, amphoraId: hb.id, seq: hb.seq }, 'heartbeat dropped: replayed (seq not newer than the last accepted)');
    }
    if (verdict === 'restarted') this.#log.info({ amphoraId: hb.id, seq: hb.seq }, 'heartbeat sequence restarted (sender restarted after a silence)');
    this.counters.accepted++;
    this.#queue.push({ heartbeat: hb, receivedAt: this.#o.clock.now(), from });
    this.#draining ??= this.#drain();
  }

  /** Resolves when every queued heartbeat has been written (or failed). */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** Closes the socket and writes what is queued. */
  async stop(): Promise<void> {
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    const socket = this.#socket;
    this.#socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
    await this.idle();
  }

  async #drain(): Promise<void> {
    // Let the datagrams already in the socket buffer join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          await this.#process(batch);
          this.counters.processed += batch.length;
        } catch (err) {
          this.counters.failed += batch.length;
          this.#log.error({ err, heartbeats: batch.length }, 'heartbeat batch not written');
        }
      }
    } finally {
      this.#draining = null;
    }
  }

  async #process(batch: readonly Queued[]): Promise<void> {
    const now = this.#o.clock.now();
    await this.#o.store.transaction(async (tx) => {
      const repo = new HealthRepository({ ex: tx.executor, engine: tx.engine, clock: tx.clock, tags: tx.tags });
      const views = await repo.viewsFor(batch.map((q) => q.heartbeat.id));
      const healthy: string[] = [];
      const changes: StatusChange[] = [];
      const stats: StatsUpdate[] = [];
      for (const q of batch) {
        const hb = q.heartbeat;
        const view = views.get(hb.id);
        if (!view) {
          // Normal for a few heartbeats while an amphora is being deleted (upstream logs it at debug).
          this.counters.unknownAmphora++;
          this.#log.debug({ amphoraId: hb.id, from: q.from }, 'heartbeat from an amphora that does not exist or is DELETED');
          continue;
        }
        const effects = heartbeatEffects(view, hb, { processingDelayMs: now - q.receivedAt, heartbeatIntervalMs: this.#o.heartbeatIntervalMs });
        if (effects.refreshHealth) healthy.push(hb.id);
        else this.#warn(`health:${hb.id}`, { amphoraId: hb.id, reason: effects.healthSkipped }, 'amphora health not refreshed');
        if (effects.unknownStatuses.length > 0) this.#warn(`status:${hb.id}`, { amphoraId: hb.id, statuses: effects.unknownStatuses }, 'heartbeat reports unknown statuses');
        if (effects.changes.length > 0) this.#log.debug({ amphoraId: hb.id, changes: effects.changes }, 'operating statuses changed');
        applyToView(view, effects.changes);
        changes.push(...effects.changes);
        stats.push(...effects.stats);
      }
      await repo.applyHeartbeats({ healthy, nowMs: now, changes, stats });
    });
  }

  #warn(kind: string, fields: Record<string, unknown>, message: string): void {
    const now = this.#o.clock.now();
    const last = this.#lastWarn.get(kind);
    if (last && now - last.at < WARN_INTERVAL_MS) {
      last.suppressed++;
      return;
    }
    this.#lastWarn.set(kind, { at: now, suppressed: 0 });
    if (this.#lastWarn.size > 10_000) this.#lastWarn.clear();
    this.#log.warn({ ...fields, ...(last?.suppressed ? { suppressedSinceLast: last.suppressed } : {}) }, message);
  }
}
