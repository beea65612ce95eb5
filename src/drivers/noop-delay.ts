/** Noop drivers may wait a configured time per call, to model a slow backend in tests and benchmarks. */
import { sleep } from '../lib/clock.js';

export function noopDelay(ms: number): () => Promise<void> {
  return ms > 0 ? () => sleep(ms) : () => Promise.resolve();
}
