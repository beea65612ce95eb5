/**
 * How much of the machine the benchmark had between two snapshots: the host's user + system CPU
 * time (/proc/stat) split into "ours" (this process and its descendants, and everything inside
 * the benchmark's namespaces: agents, HAProxy; each with its reaped children, so that short-lived
 * commands count for whoever started them) and "others" (the rest: whatever else runs on the 2
 * vCPUs, e.g. another session's tests). Interrupt and softirq time (the traffic's packet
 * processing) is in neither.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

const CLOCK_TICKS = 100;

interface ProcSample {
  readonly ppid: number;
  /** utime + stime. */
  readonly ms: number;
  /** With the reaped children (cutime + cstime). */
  readonly withChildrenMs: number;
  readonly netns: number | null;
}

export type CpuSnapshot = { readonly at: number; readonly hostMs: number; readonly procs: Map<number, ProcSample> };

/** user + nice + system of all CPUs, in ms. */
function hostBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  return ((Number(f[1]) + Number(f[2]) + Number(f[3])) * 1000) / CLOCK_TICKS;
}

export function cpuSnapshot(): CpuSnapshot {
  const hostMs = hostBusyMs();
  const procs = new Map<number, ProcSample>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const own = Number(f[11]) + Number(f[12]);
      const children = Number(f[13]) + Number(f[14]);
      let netns: number | null = null;
      try {
        netns = Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${name}/ns/net`))?.[1]);
      } catch {
        // kernel thread or gone
      }
      procs.set(Number(name), { ppid: Number(f[1]), ms: (own * 1000) / CLOCK_TICKS, withChildrenMs: ((own + children) * 1000) / CLOCK_TICKS, netns });
    } catch {
      // exited while we read
    }
  }
  return { at: performance.now(), hostMs, procs };
}

/** Inodes of the network namespaces in /run/netns whose names start with one of `prefixes`. */
function namespaceInodes(prefixes: readonly string[]): Set<number> {
  const out = new Set<number>();
  try {
    for (const n of readdirSync('/run/netns')) {
      if (prefixes.some((p) => n.startsWith(p))) {
        try {
          out.add(statSync(`/run/netns/${n}`).ino);
        } catch {
          // deleted meanwhile
        }
      }
    }
  } catch {
    // no /run/netns
  }
  return out;
}

export interface CpuShare {
  readonly seconds: number;
  /** CPU seconds per wall second (2 = both vCPUs busy). */
  readonly ours: number;
  readonly others: number;
  /** The biggest other consumers, by command name. */
  readonly topOthers: { readonly command: string; readonly cpu: number }[];
}

export function cpuShare(before: CpuSnapshot, prefixes: readonly string[]): CpuShare {
  const after = cpuSnapshot();
  const seconds = (after.at - before.at) / 1000;
  const namespaces = namespaceInodes(prefixes);
  const self = process.pid;
  const isOurs = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      if (p === self) return true;
      const s = after.procs.get(p);
      if (!s) return false;
      if (s.netns !== null && namespaces.has(s.netns)) return true;
      p = s.ppid;
    }
    return false;
  };
  let ours = 0;
  const byCommand = new Map<string, number>();
  for (const [pid, s] of after.procs) {
    const b = before.procs.get(pid);
    if (isOurs(pid)) {
      ours += Math.max(0, s.withChildrenMs - (b?.withChildrenMs ?? 0));
      continue;
    }
    // Others by their own time only: a long-lived orphan reaped by init would otherwise bring
    // its whole life's CPU time into the window.
    const delta = s.ms - (b?.ms ?? 0);
    if (delta > 0) {
      let command = '?';
      try {
        command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(0, 3).join(' ').slice(0, 80);
      } catch {
        // gone
      }
      byCommand.set(command, (byCommand.get(command) ?? 0) + delta);
    }
  }
  const others = Math.max(0, after.hostMs - before.hostMs - ours);
  const perSecond = (ms: number) => Number((ms / 1000 / Math.max(seconds, 0.001)).toFixed(2));
  return {
    seconds: Number(seconds.toFixed(1)),
    ours: perSecond(ours),
    others: perSecond(others),
    topOthers: [...byCommand.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([command, ms]) => ({ command, cpu: perSecond(ms) })),
  };
}
