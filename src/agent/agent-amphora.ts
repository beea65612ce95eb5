/**
 * The amphora an agent serves: its identity, where its files live and which network namespace its
 * processes run in. Every agent component receives this object; nothing in the agent is global,
 * so one process could later serve several amphorae on one host.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { peerName } from '../agent-api/contract.js';
import type { AgentConfig } from './config.js';
import { Mutex } from './mutex.js';

export interface AgentAmphora {
  readonly id: string;
  /** HAProxy's local peer name (`-L`), derived from the id as upstream does. */
  readonly peerName: string;
  /** Namespace of the amphora's interfaces and processes; null: the agent's own. */
  readonly netns: string | null;
  readonly basePath: string;
  readonly certDir: string;
  readonly haproxyCmd: string;
  readonly keepalivedCmd: string;
  /** RLIMIT_NOFILE haproxy runs with: the largest value this process may set (its hard limit). */
  readonly maxOpenFiles: number;
  /** Serialises the calls that change the amphora (as upstream's single gunicorn worker did). */
  readonly lock: Mutex;
}

export function amphoraFromConfig(config: AgentConfig, maxOpenFiles: number): AgentAmphora {
  const id = config.amphora_agent.amphora_id!;
  return {
    id,
    peerName: peerName(id, (s) => createHash('sha1').update(s).digest()),
    netns: config.amphora_agent.network_namespace === '' ? null : config.amphora_agent.network_namespace,
    basePath: config.haproxy_amphora.base_path,
    certDir: config.haproxy_amphora.base_cert_dir,
    haproxyCmd: config.haproxy_amphora.haproxy_cmd,
    keepalivedCmd: config.amphora_agent.keepalived_cmd,
    maxOpenFiles,
    lock: new Mutex(),
  };
}

/** Where each file of an amphora lives (upstream's layout under base_path, spec §7.2). */
export const paths = {
  lbDir: (a: AgentAmphora, lbId: string) => join(a.basePath, lbId),
  haproxyConfig: (a: AgentAmphora, lbId: string) => join(a.basePath, lbId, 'haproxy.cfg'),
  /** Where an upload is written and checked before it replaces haproxy.cfg. */
  haproxyConfigNew: (a: AgentAmphora, lbId: string) => join(a.basePath, lbId, 'haproxy.cfg.new'),
  haproxyPid: (a: AgentAmphora, lbId: string) => join(a.basePath, lbId, `${lbId}.pid`),
  masterSocket: (a: AgentAmphora, lbId: string) => join(a.basePath, lbId, 'master.sock'),
  /** HAProxy's stderr (alerts and warnings), rewritten at each start. */
  haproxyLog: (a: AgentAmphora, lbId: string) => join(a.basePath, lbId, 'haproxy.log'),
  /** Present while an operator or the controller wants this load balancer stopped. */
  stoppedMarker: (a: AgentAmphora, lbId: string) => join(a.basePath, lbId, 'stopped'),
  statsSocket: (a: AgentAmphora, lbId: string) => join(a.basePath, `${lbId}.sock`),
  userGroupConfig: (a: AgentAmphora) => join(a.basePath, 'haproxy-default-user-group.conf'),
  lbCertDir: (a: AgentAmphora, lbId: string) => join(a.certDir, lbId),
  pluggedInterfaces: (a: AgentAmphora) => join(a.basePath, 'plugged_interfaces'),
  vrrpDir: (a: AgentAmphora) => join(a.basePath, 'vrrp'),
  keepalivedConfig: (a: AgentAmphora) => join(a.basePath, 'vrrp', 'octavia-keepalived.conf'),
  keepalivedPid: (a: AgentAmphora) => join(a.basePath, 'vrrp', 'octavia-keepalived.pid'),
  keepalivedVrrpPid: (a: AgentAmphora) => join(a.basePath, 'vrrp', 'octavia-keepalived-vrrp.pid'),
  keepalivedCheckersPid: (a: AgentAmphora) => join(a.basePath, 'vrrp', 'octavia-keepalived-check.pid'),
  keepalivedLog: (a: AgentAmphora) => join(a.basePath, 'vrrp', 'octavia-keepalived.log'),
  keepalivedStoppedMarker: (a: AgentAmphora) => join(a.basePath, 'vrrp', 'stopped'),
  /** upstream's `vrrp_script` target: runs every script in check_scripts/. */
  checkScript: (a: AgentAmphora) => join(a.basePath, 'vrrp', 'check_script.sh'),
  checkScriptsDir: (a: AgentAmphora) => join(a.basePath, 'vrrp', 'check_scripts'),
  haproxyCheckScript: (a: AgentAmphora) => join(a.basePath, 'vrrp', 'check_scripts', 'haproxy_check_script.sh'),
  /**
   * keepalived `vrrp_track_file` (dataplane.md §2): the agent writes 1 when a haproxy it runs has
   * exited and 0 when all are up, so a standby takes over in tens of milliseconds.
   */
  haproxyTrackFile: (a: AgentAmphora) => join(a.basePath, 'vrrp', 'haproxy_down'),
} as const;
