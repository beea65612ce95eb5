/**
 * Time, passed in rather than read globally so that tests can control it. Timestamps that reach the
 * API use upstream's format: ISO 8601 naive UTC with seconds precision ("2017-02-28T00:41:44").
 */

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Upstream's timestamp text for a moment in time. Sorts lexicographically in time order. */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** Parses a timestamp written by `timestamp()` back to epoch milliseconds. */
export function parseTimestamp(text: string): number {
  return Date.parse(`${text}Z`);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
