/**
 * Helpers for tests that create namespaces, bridges and veths on this host: a per-run name prefix,
 * free /24s inside 198.18.0.0/15 (never any other address), the root check, and a clean-up that
 * removes everything carrying the prefix — processes (by `ip netns pids`), namespaces, interfaces
 * and runtime files — whether the test passed or not.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';

/**
 * False when the test may run; otherwise the reason to skip. Not root outside CI: skip. In CI
 * (CI=true) nothing skips, so a missing privilege fails the run instead of hiding tests.
 */
export function rootSkipReason(): string | false {
  if (process.getuid?.() === 0 || process.env['CI'] === 'true') return false;
  return 'needs root (network namespaces, bridges); runs in CI';
}

/** A prefix of 5 characters (`t` + 3 hex + `-`), unique per test run, for every name a test creates. */
export function testPrefix(): string {
  return `t${randomBytes(2).toString('hex').slice(0, 3)}-`;
}

function hostAddresses(): string[] {
  const out = execFileSync('ip', ['-j', 'address', 'show'], { encoding: 'utf8' });
  const links = JSON.parse(out) as { addr_info?: { local: string }[] }[];
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local));
}

/**
 * `count` distinct /24 networks inside 198.18.128.0/17 that no interface of this host uses, as
 * `198.18.N` stems (198.18.0.0/24 is the embedded `public` network, 198.19.0.0/16 the default
 * management network: both avoided).
 */
export function freeSubnets24(count: number): string[] {
  const used = new Set(hostAddresses().filter((a) => a.startsWith('198.18.')).map((a) => a.split('.').slice(0, 3).join('.')));
  const out: string[] = [];
  for (let tries = 0; out.length < count && tries < 1000; tries++) {
    const stem = `198.18.${128 + Math.floor(Math.random() * 126)}`;
    if (!used.has(stem) && !out.includes(stem)) out.push(stem);
  }
  if (out.length < count) throw new Error('no free 198.18.x.0/24 networks on this host');
  return out;
}

/** A free /64 inside fd00::/8 (random, checked against this host's addresses). */
export function freeSubnet64(): string {
  const used = hostAddresses();
  for (;;) {
    // Four-digit groups: the canonical spelling (no leading zeros, nothing to compress) as the kernel and our IPAM print it.
    const group = () => (0x1000 + (randomBytes(2).readUInt16BE(0) % 0xf000)).toString(16);
    const stem = `fd00:${group()}:${group()}:${group()}`;
    if (!used.some((a) => a.startsWith(`${stem}:`))) return stem;
  }
}

function run(args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

/**
 * Removes every namespace and root-namespace interface whose name starts with `prefix`, after
 * killing the processes inside those namespaces by pid, and the given runtime directories.
 * Never throws: it runs in `after`, also after failures.
 */
export function cleanupPrefix(prefix: string, runtimeDirs: readonly string[] = []): void {
  const namespaces = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith(prefix)) : [];
  for (const ns of namespaces) {
    for (let round = 0; round < 20; round++) {
      const pids = run(['netns', 'pids', ns])
        .split('\n')
        .map((s) => Number(s.trim()))
        .filter((n) => n > 0 && n !== process.pid);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      execFileSync('sleep', ['0.05']);
    }
    run(['netns', 'delete', ns]);
  }
  const links = (JSON.parse(run(['-j', 'link', 'show']) || '[]') as { ifname: string }[]).map((l) => l.ifname).filter((n) => n.startsWith(prefix));
  for (const link of links) run(['link', 'delete', link]);
  for (const dir of runtimeDirs) rmSync(dir, { recursive: true, force: true });
}

/** Names of namespaces and root interfaces with the prefix that still exist (for leak assertions). */
export function leftovers(prefix: string): string[] {
  const namespaces = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith(prefix)) : [];
  const links = (JSON.parse(run(['-j', 'link', 'show']) || '[]') as { ifname: string }[]).map((l) => l.ifname).filter((n) => n.startsWith(prefix));
  return [...namespaces.map((n) => `netns ${n}`), ...links.map((l) => `link ${l}`)];
}
