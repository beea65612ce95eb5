/**
 * Processes inside a network namespace, found only with `ip netns pids` (never by name), so that
 * nothing outside the namespace is ever signalled.
 */
import { readFileSync } from 'node:fs';
import { DomainError } from '../../domain/errors.js';
import { sleep } from '../../lib/clock.js';
import { ip } from './command.js';

/** Ends every process inside a namespace: SIGTERM, then SIGKILL for what is left after 2 s. */
export async function killNetnsProcesses(netns: string): Promise<void> {
  const inNetns = async (): Promise<number[]> =>
    (await ip(['netns', 'pids', netns]).catch(() => ''))
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0 && n !== process.pid);
  const signal = (list: number[], sig: NodeJS.Signals): void => {
    for (const pid of list) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  let list = await inNetns();
  for (let round = 0; list.length > 0; round++) {
    if (round >= 20) throw new DomainError('driver_error', `processes ${list.join(', ')} in namespace ${netns} survive SIGKILL`, { retryable: true });
    // SIGTERM first (the agent and haproxy stop cleanly), SIGKILL for what is left after 2 s.
    signal(list, round === 0 ? 'SIGTERM' : 'SIGKILL');
    const deadline = Date.now() + (round === 0 ? 2_000 : 200);
    // Watching the known pids costs no process start; `ip netns pids` then catches newcomers
    // (an agent restarting haproxy while it is being stopped).
    while (list.some(running) && Date.now() < deadline) await sleep(10);
    list = await inNetns();
  }
}

/** True while a process exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
