/**
 * The agent's configuration: upstream's amphora-agent.conf (spec §7.6), read with the project's INI
 * parser from the --config-file list (later files win). The controller renders the first file
 * (src/render/agent-config.ts); the compute driver adds a local override with the paths of this
 * amphora. The agent has its own option table: it shares group names with octavia.conf but reads
 * only what an amphora needs, and must not require the controller's options.
 */
import { readFileSync } from 'node:fs';
import { parseIni } from '../config/ini.js';
import { ConfigError } from '../config/load.js';
import { opt, type OptionSpec, type ValueOf } from '../config/option-types.js';

const TLS_PROTOCOLS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;

export const AGENT_OPTIONS = {
  DEFAULT: {
    debug: opt.bool(false, 'Log at debug level.'),
    use_syslog: opt.bool(false, 'Accepted for compatibility; the agent logs to stdout.'),
    syslog_log_facility: opt.str('LOG_USER', 'Accepted for compatibility.'),
  },
  haproxy_amphora: {
    base_path: opt.str('/var/lib/octavia', 'Directory of HAProxy configurations, sockets and pid files.'),
    base_cert_dir: opt.str('/var/lib/octavia/certs', 'Directory of TLS material uploaded for load balancers.'),
    bind_host: opt.str('::', 'Address the agent listens on.'),
    bind_port: opt.port(9443, 'Port the agent listens on.'),
    haproxy_cmd: opt.str('/usr/sbin/haproxy', 'HAProxy binary.'),
    user_log_facility: opt.int(0, 'Accepted for compatibility.', { min: 0, max: 7 }),
    administrative_log_facility: opt.int(1, 'Accepted for compatibility.', { min: 0, max: 7 }),
    respawn_count: opt.int(2, 'Accepted for compatibility.'),
    respawn_interval: opt.int(2, 'Accepted for compatibility.'),
    use_upstart: opt.bool(true, 'Accepted for compatibility.'),
  },
  health_manager: {
    controller_ip_port_list: opt.list([], 'Heartbeat receivers (ip:port).'),
    heartbeat_interval: opt.int(10, 'Seconds between heartbeats.', { min: 1 }),
    heartbeat_key: opt.str(null, 'HMAC key of heartbeats.'),
  },
  amphora_agent: {
    agent_server_ca: opt.str('/etc/octavia/certs/client_ca.pem', 'CA that client (controller) certificates must chain to.'),
    agent_server_cert: opt.str('/etc/octavia/certs/server.pem', 'Server certificate and key of the agent (one PEM file).'),
    agent_server_network_dir: opt.str(null, 'Accepted for compatibility.'),
    agent_server_network_file: opt.str(null, 'Accepted for compatibility.'),
    agent_request_read_timeout: opt.int(180, 'Seconds a request may take to arrive.', { min: 1 }),
    agent_tls_protocol: opt.choice(TLS_PROTOCOLS, 'TLSv1.2', 'Lowest TLS version the agent accepts.'),
    amphora_id: opt.str(null, 'Id of the amphora this agent serves.'),
    amphora_udp_driver: opt.str('keepalived_lvs', 'Accepted for compatibility (no UDP listeners yet).'),
    user_log_facility: opt.int(0, 'Accepted for compatibility.', { min: 0, max: 7 }),
    administrative_log_facility: opt.int(1, 'Accepted for compatibility.', { min: 0, max: 7 }),
    admin_log_targets: opt.list(null, 'Accepted for compatibility.'),
    tenant_log_targets: opt.list(null, 'Accepted for compatibility.'),
    log_protocol: opt.str('UDP', 'Accepted for compatibility.'),
    // Ours (not upstream): what the compute driver's local override sets.
    keepalived_cmd: opt.str('/usr/sbin/keepalived', 'keepalived binary.'),
    network_namespace: opt.str(
      '',
      'Network namespace of the amphora when the agent runs outside it (empty: the namespace the agent runs in).',
    ),
  },
  controller_worker: {
    loadbalancer_topology: opt.choice(['SINGLE', 'ACTIVE_STANDBY'], 'SINGLE', 'Topology of the load balancer on this amphora.'),
  },
} as const;

type Options = typeof AGENT_OPTIONS;
export type AgentConfig = {
  readonly [G in keyof Options]: { readonly [K in keyof Options[G]]: ValueOf<Options[G][K]> };
};

/**
 * Options `PUT /1.0/config` may change in a running agent (upstream's mutable options). Others
 * need a restart; a changed value is reported and ignored.
 */
export const MUTABLE_OPTIONS = [
  'DEFAULT.debug',
  'health_manager.controller_ip_port_list',
  'health_manager.heartbeat_interval',
  'health_manager.heartbeat_key',
  'controller_worker.loadbalancer_topology',
] as const;

export interface LoadedAgentConfig {
  readonly config: AgentConfig;
  readonly warnings: readonly string[];
}

/**
 * Reads the files (later ones win). `texts` replaces the content of some files without reading
 * them (PUT /1.0/config checks the new text before it replaces the file). Throws ConfigError with
 * every problem at once.
 */
export function loadAgentConfig(files: readonly string[], texts: ReadonlyMap<string, string> = new Map()): LoadedAgentConfig {
  const problems: string[] = [];
  const warnings: string[] = [];
  const groups = AGENT_OPTIONS as unknown as Record<string, Record<string, OptionSpec<unknown>>>;
  const values: Record<string, Record<string, unknown>> = {};
  for (const [group, options] of Object.entries(groups)) {
    values[group] = Object.fromEntries(Object.entries(options).map(([name, spec]) => [name, spec.default]));
  }
  for (const file of files) {
    let text = texts.get(file);
    if (text === undefined) {
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        problems.push(`${file}: cannot read: ${(err as Error).message}`);
        continue;
      }
    }
    const parsed = parseIni(text, file);
    for (const p of parsed.problems) problems.push(`${p.file}:${p.line}: ${p.problem}`);
    for (const e of parsed.entries) {
      const spec = groups[e.group]?.[e.name];
      if (!spec) {
        warnings.push(`${e.file}:${e.line}: unknown option [${e.group}] ${e.name} (ignored)`);
        continue;
      }
      const result = spec.parse(e.value);
      if (result.ok) values[e.group]![e.name] = result.value;
      else problems.push(`${e.file}:${e.line}: [${e.group}] ${e.name} = ${JSON.stringify(e.value)}: ${result.problem}`);
    }
  }
  const config = values as unknown as AgentConfig;
  const id = config.amphora_agent.amphora_id;
  if (id === null || id === '') problems.push('[amphora_agent] amphora_id is required');
  else if (!SAFE_ID.test(id)) problems.push(`[amphora_agent] amphora_id = ${JSON.stringify(id)}: must be letters, digits, '-' or '_'`);
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, warnings };
}

/** Ids that may become file names (load balancer, listener and amphora ids). */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** The options whose values differ between two configurations, as `group.name`. */
export function changedOptions(a: AgentConfig, b: AgentConfig): string[] {
  const out: string[] = [];
  for (const [group, options] of Object.entries(AGENT_OPTIONS)) {
    for (const name of Object.keys(options)) {
      const va = (a as unknown as Record<string, Record<string, unknown>>)[group]![name];
      const vb = (b as unknown as Record<string, Record<string, unknown>>)[group]![name];
      if (JSON.stringify(va) !== JSON.stringify(vb)) out.push(`${group}.${name}`);
    }
  }
  return out;
}
