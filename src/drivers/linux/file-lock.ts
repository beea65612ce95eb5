/**
 * A lock shared by every process on this host: a file created with O_EXCL that holds the owner's
 * pid. A lock whose owner died (crash while holding it) is broken by the next taker. Used around
 * the few-millisecond steps that must not interleave for one amphora (build, restart, delete).
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { sleep } from '../../lib/clock.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Locks held by this process, chained so that two callers in one process also wait for each other. */
const local = new Map<string, Promise<unknown>>();

export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const previous = local.get(path) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(() => lockedRun(path, fn, timeoutMs));
  local.set(path, mine);
  try {
    return await mine;
  } finally {
    if (local.get(path) === mine) local.delete(path);
  }
}

async function lockedRun<T>(path: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const token = `${process.pid}\n`;
  for (;;) {
    try {
      writeFileSync(path, token, { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = NaN;
    try {
      owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      continue; // released between our attempt and the read
    }
    // NOTE: two processes breaking the same stale lock at the same instant could both proceed;
    // a stale lock needs a crash inside a few-millisecond section, so this is accepted.
    if (Number.isFinite(owner) && owner !== process.pid && !alive(owner)) {
      try {
        unlinkSync(path);
      } catch {
        // someone else broke it
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`lock ${path} is held by process ${owner}`);
    await sleep(10 + Math.random() * 20);
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // already gone (a directory removal in fn)
    }
  }
}
