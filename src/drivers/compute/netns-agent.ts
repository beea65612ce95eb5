/**
 * The amphora agent as a process of the netns compute driver: how its command line is built, how it
 * is started detached inside the namespace (so it outlives the controller), and how we tell that it
 * is alive and serving. Only pid files and /proc are consulted; processes are never found by name.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NETNS_DIR } from '../linux/links.js';

export interface AgentFiles {
  readonly bootConfig: string;
  readonly localConfig: string;
  readonly runtimeDir: string;
  readonly mgmtIp: string;
  readonly amphoraId: string;
}

/**
 * `node [--import tsx] <repo>/(src|dist)/cli/main.(ts|js)`, found from this module's own location:
 * the agent runs the same build as the controller that starts it, whatever script started that.
 */
export function defaultAgentEntry(): string[] {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const main = resolve(dirname(here), '..', '..', 'cli', fromSource ? 'main.ts' : 'main.js');
  if (!fromSource) return [process.execPath, main];
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return [process.execPath, '--import', tsx, main];
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Per-namespace settings the data plane needs (spec dataplane.md), written by the shell that then
 * becomes the agent: /proc/sys/net belongs to the writer's namespace, and shell builtins cost no
 * process start. The IPv6 one only where the kernel has IPv6.
 */
const SYSCTL_PRELUDE =
  'set -e; echo 1 > /proc/sys/net/ipv4/ip_nonlocal_bind; echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse; ' +
  "echo '1025 65534' > /proc/sys/net/ipv4/ip_local_port_range; " +
  'if [ -d /proc/sys/net/ipv6 ]; then echo 1 > /proc/sys/net/ipv6/ip_nonlocal_bind; fi; set +e; ';

/** The argv run inside the namespace (after `ip netns exec <ns>`): the sysctls, then exec of the agent. */
export function agentArgv(template: string, files: AgentFiles): string[] {
  if (template.trim() === '') {
    const agent = [...defaultAgentEntry(), 'agent', '--config-file', files.bootConfig, '--config-file', files.localConfig];
    return ['/bin/sh', '-c', `${SYSCTL_PRELUDE}exec "$@"`, 'octavius-agent', ...agent];
  }
  const values: Record<string, string> = {
    boot_config: files.bootConfig,
    local_config: files.localConfig,
    runtime_dir: files.runtimeDir,
    mgmt_ip: files.mgmtIp,
    amphora_id: files.amphoraId,
  };
  const command = template.replace(/\{(boot_config|local_config|runtime_dir|mgmt_ip|amphora_id)\}/g, (_, k: string) => shellQuote(values[k]!));
  return ['/bin/sh', '-c', `${SYSCTL_PRELUDE}${command}`];
}

/**
 * The environment of agents: nothing of the controller's own environment except what finding
 * programs needs, so that no controller secret (database URL, passphrases) reaches an amphora.
 */
function agentEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  for (const k of ['LANG', 'TZ']) if (process.env[k]) env[k] = process.env[k];
  return env;
}

const LOG_LIMIT = 1 << 20;

export interface AgentPid {
  readonly pid: number;
  readonly startedAt: number;
}

export function readPidFile(file: string): AgentPid | null {
  try {
    const [pid, startedAt] = readFileSync(file, 'utf8').trim().split('\n').map(Number);
    return pid && pid > 0 ? { pid, startedAt: startedAt ?? 0 } : null;
  } catch {
    return null;
  }
}

/** Starts the agent detached inside `netns`, output appended to `logFile`; writes the pid file. */
export async function startAgent(netns: string, argv: readonly string[], files: { pidFile: string; logFile: string; cwd: string }, now: number): Promise<AgentPid> {
  // The log is on tmpfs (memory): keep the current and one previous file of at most LOG_LIMIT.
  try {
    if (statSync(files.logFile).size > LOG_LIMIT) renameSync(files.logFile, `${files.logFile}.1`);
  } catch {
    // no log yet
  }
  const log = openSync(files.logFile, 'a', 0o600);
  try {
    // `ip netns exec` enters the namespace and execs the command: the pid we get is the agent's.
    const child = spawn('ip', ['netns', 'exec', netns, ...argv], {
      detached: true,
      stdio: ['ignore', log, log],
      cwd: files.cwd,
      env: agentEnv(),
    });
    await new Promise<void>((res, rej) => {
      child.once('spawn', res);
      child.once('error', rej);
    });
    child.unref();
    const pid = { pid: child.pid!, startedAt: now };
    writeFileSync(files.pidFile, `${pid.pid}\n${pid.startedAt}\n`, { mode: 0o600 });
    return pid;
  } finally {
    closeSync(log);
  }
}

/** The inode of a network namespace, to tell that a pid really runs inside it. */
function nsInode(path: string): number | null {
  try {
    return statSync(path).ino;
  } catch {
    return null;
  }
}

/**
 * True when the process exists, is not a zombie, and runs in `netns` (or was started moments ago
 * and may still be entering it): a recycled pid of some other process never counts.
 */
export function agentAlive(p: AgentPid, netns: string, now: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (state === 'Z' || state === 'X') return false;
  const mine = nsInode(`${NETNS_DIR}/${netns}`);
  const its = nsInode(`/proc/${p.pid}/ns/net`);
  if (mine !== null && mine === its) return true;
  return now - p.startedAt < 5_000;
}

/** True when a TCP socket listens on `port` in the network namespace of `pid`. */
export function listensOn(pid: number, port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && f[1]?.endsWith(`:${hex}`)) return true;
    }
  }
  return false;
}

/** The agent's port from its boot configuration ([haproxy_amphora] bind_port), 9443 when unset. */
export function agentPortOf(agentConfig: string): number {
  let group = '';
  for (const line of agentConfig.split('\n')) {
    const header = /^\s*\[([^\]]+)\]/.exec(line);
    if (header) group = header[1]!.trim();
    const m = /^\s*bind_port\s*[=:]\s*(\d+)\s*$/.exec(line);
    if (m && group === 'haproxy_amphora') return Number(m[1]);
  }
  return 9443;
}

export function logTail(runtimeDir: string, bytes = 2000): string {
  try {
    const text = readFileSync(join(runtimeDir, 'agent.log'), 'utf8');
    return text.slice(-bytes);
  } catch {
    return '';
  }
}
