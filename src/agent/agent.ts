/**
 * `octavius agent`: the amphora agent. It runs inside an amphora (a network namespace, as root),
 * speaks upstream's amphora agent API 1.0 over mutual TLS to the controller, and runs the
 * amphora's haproxy and keepalived processes, and sends its heartbeats. It depends on
 * src/agent-api (the wire contract), src/health/heartbeat-codec (the heartbeat wire format),
 * src/config's INI parser and src/lib; it never opens the database.
 *
 * Process model: one agent process per amphora; one haproxy master (and its worker) per load
 * balancer and at most one keepalived, all children of the agent in their own sessions. When the
 * agent stops, its children keep serving traffic; the next agent adopts them from their pid files.
 */
import { mkdir } from 'node:fs/promises';
import { createLogger, type Logger } from '../lib/logger.js';
import { amphoraFromConfig } from './agent-amphora.js';
import { loadAgentConfig } from './config.js';
import { ip } from './exec.js';
import { readIfExists } from './files.js';
import { HeartbeatSender } from './heartbeat.js';
import { createRuntime, type AgentRuntime } from './runtime.js';
import { startAgentServer, type AgentServer } from './server.js';

export interface RunningAgent {
  readonly runtime: AgentRuntime;
  readonly server: AgentServer;
  readonly heartbeat: HeartbeatSender;
  /** Stops serving requests and heartbeats; haproxy and keepalived keep running. */
  stop(): Promise<void>;
}

/**
 * The largest open-files limit this process may give its children: its hard RLIMIT_NOFILE (it
 * cannot raise that without CAP_SYS_RESOURCE), or the kernel's nr_open when unlimited.
 */
export function hardOpenFilesLimit(): number {
  const line = (readIfExists('/proc/self/limits') ?? '').split('\n').find((l) => l.startsWith('Max open files'));
  const hard = line?.trim().split(/\s+/)[4];
  if (hard !== undefined && /^\d+$/.test(hard)) return Number(hard);
  const nrOpen = Number((readIfExists('/proc/sys/fs/nr_open') ?? '').trim());
  return Number.isInteger(nrOpen) && nrOpen > 0 ? nrOpen : 1_048_576;
}

export async function startAgent(configFiles: readonly string[], logger?: Logger): Promise<RunningAgent> {
  const { config, warnings } = loadAgentConfig(configFiles);
  const log = logger ?? createLogger({ name: 'octavius-agent', level: config.DEFAULT.debug ? 'debug' : 'info' });
  for (const w of warnings) log.warn(w);
  const amphora = amphoraFromConfig(config, hardOpenFilesLimit());
  await mkdir(amphora.basePath, { recursive: true, mode: 0o755 });
  await mkdir(amphora.certDir, { recursive: true, mode: 0o700 });
  // Upstream's agent brings up the loopback at start (plug_lo); a fresh namespace has it down.
  await ip(amphora, ['link', 'set', 'dev', 'lo', 'up']).catch((err: unknown) => log.warn({ err }, 'cannot bring lo up'));

  const runtime = createRuntime(amphora, config, configFiles, log);
  // Start (or adopt) the data plane before answering: the controller then sees a settled amphora.
  await runtime.init();
  const server = await startAgentServer(runtime, () => {
    log.level = runtime.config.DEFAULT.debug ? 'debug' : 'info';
  });
  const { address, port } = server.address();
  log.info({ amphoraId: amphora.id, address, port, maxOpenFiles: amphora.maxOpenFiles }, 'amphora agent listening');
  // Heartbeats start once the data plane is settled: the first one already reports its listeners.
  const heartbeat = new HeartbeatSender({
    amphora,
    config: () => runtime.config.health_manager,
    runningLoadBalancers: () => runtime.haproxy.loadBalancers().filter((lbId) => runtime.haproxy.isRunning(lbId)),
    log,
  });
  heartbeat.start();
  return {
    runtime,
    server,
    heartbeat,
    async stop() {
      await heartbeat.stop();
      runtime.detach();
      await server.close();
    },
  };
}

/** The CLI entry: runs until SIGINT or SIGTERM. */
export async function runAgent(configFiles: readonly string[]): Promise<void> {
  const agent = await startAgent(configFiles);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await agent.stop();
  agent.runtime.log.info('amphora agent stopped');
}
