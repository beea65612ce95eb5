/**
 * amphora-agent.conf (spec §7.6), rendered by the controller for each amphora and handed to it at
 * boot (and by `PUT /1.0/config`). Pure: inputs in, text out. Values that would break out of their
 * line are refused, not written.
 */

export interface AgentConfigInput {
  readonly amphoraId: string;
  readonly topology: 'SINGLE' | 'ACTIVE_STANDBY';
  readonly controllerIpPortList: readonly string[];
  readonly heartbeatKey: string | null;
  readonly heartbeatInterval: number;
  readonly bindHost: string;
  readonly bindPort: number;
  readonly basePath: string;
  readonly baseCertDir: string;
  readonly haproxyCmd: string;
  readonly userLogFacility: number;
  readonly administrativeLogFacility: number;
  readonly requestReadTimeout: number;
  readonly debug: boolean;
}

export class RenderProblem extends Error {}

function value(name: string, v: string | number | boolean): string {
  const text = String(v);
  // A line break (or any control character) would start a new option line.
  if (/[\x00-\x1f\x7f]/.test(text)) throw new RenderProblem(`${name} contains control characters`);
  return text;
}

export function renderAgentConfig(i: AgentConfigInput): string {
  const lines = [
    '[DEFAULT]',
    `debug = ${value('debug', i.debug ? 'True' : 'False')}`,
    '',
    '[haproxy_amphora]',
    `base_cert_dir = ${value('base_cert_dir', i.baseCertDir)}`,
    `base_path = ${value('base_path', i.basePath)}`,
    `bind_host = ${value('bind_host', i.bindHost)}`,
    `bind_port = ${value('bind_port', i.bindPort)}`,
    `haproxy_cmd = ${value('haproxy_cmd', i.haproxyCmd)}`,
    `user_log_facility = ${value('user_log_facility', i.userLogFacility)}`,
    `administrative_log_facility = ${value('administrative_log_facility', i.administrativeLogFacility)}`,
    '',
    '[health_manager]',
    `controller_ip_port_list = ${value('controller_ip_port_list', i.controllerIpPortList.join(', '))}`,
    `heartbeat_interval = ${value('heartbeat_interval', i.heartbeatInterval)}`,
    ...(i.heartbeatKey !== null ? [`heartbeat_key = ${value('heartbeat_key', i.heartbeatKey)}`] : []),
    '',
    '[amphora_agent]',
    'agent_server_ca = /etc/octavia/certs/client_ca.pem',
    'agent_server_cert = /etc/octavia/certs/server.pem',
    `agent_request_read_timeout = ${value('agent_request_read_timeout', i.requestReadTimeout)}`,
    `amphora_id = ${value('amphora_id', i.amphoraId)}`,
    'amphora_udp_driver = keepalived_lvs',
    'agent_tls_protocol = TLSv1.2',
    '',
    '[controller_worker]',
    `loadbalancer_topology = ${value('loadbalancer_topology', i.topology)}`,
    '',
  ];
  return lines.join('\n');
}
