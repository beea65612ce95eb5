/**
 * Replay protection of heartbeats. Upstream checks only the HMAC, so a captured heartbeat can be
 * sent again at will and keeps a dead amphora "healthy" (and rewrites statuses and counters). We
 * drop replays with the `seq` every amphora sends (upstream: 0 at sender start, +1 per message).
 *
 * The rule, per amphora id, in each receiver process:
 * - a message whose `seq` is greater than the last accepted one is accepted;
 * - a message whose `seq` is not greater is a replay and is dropped — unless nothing was accepted
 *   from that amphora for `restartWindowMs`: then it is taken as a restarted sender (upstream's
 *   sender starts again at 0 when the agent restarts) and accepted, and its `seq` becomes the new
 *   reference. Our own agent persists its `seq` across restarts, so it never needs this path.
 * - The first message from an amphora this process has not seen is accepted.
 *
 * What remains possible, knowingly: right after a receiver starts, or after an amphora was silent
 * for `restartWindowMs` (it is dead or cut off, and about to be failed over), one captured
 * heartbeat sequence can be replayed; with several receivers (the sender rotates over
 * `controller_ip_port_list`) a message captured on its way to one receiver can be replayed to
 * another until that one has accepted a newer message, i.e. for about one rotation. A replayed
 * message never carries a newer state than the amphora itself sent.
 */
import type { Clock } from '../lib/clock.js';

export type ReplayVerdict = 'accepted' | 'restarted' | 'replay';

interface Last {
  seq: number;
  acceptedAt: number;
}

export class ReplayGuard {
  readonly #last = new Map<string, Last>();
  readonly #windowMs: number;
  readonly #clock: Clock;

  constructor(options: { restartWindowMs: number; clock: Clock }) {
    this.#windowMs = options.restartWindowMs;
    this.#clock = options.clock;
  }

  /** Decides about one verified message and records it when accepted. */
  check(amphoraId: string, seq: number): ReplayVerdict {
    const now = this.#clock.now();
    const last = this.#last.get(amphoraId);
    if (last === undefined || seq > last.seq) {
      this.#last.set(amphoraId, { seq, acceptedAt: now });
      return 'accepted';
    }
    if (now - last.acceptedAt >= this.#windowMs) {
      this.#last.set(amphoraId, { seq, acceptedAt: now });
      return 'restarted';
    }
    return 'replay';
  }

  /** Forgets amphorae not heard from for `olderThanMs` (bounded memory on a long-lived receiver). */
  prune(olderThanMs: number): void {
    const limit = this.#clock.now() - olderThanMs;
    for (const [id, last] of this.#last) if (last.acceptedAt < limit) this.#last.delete(id);
  }

  get size(): number {
    return this.#last.size;
  }
}
