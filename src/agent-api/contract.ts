/**
 * The amphora agent API 1.0 (spec §7.2, §14): the wire contract between the controller's REST
 * amphora driver and an agent — ours (`octavius agent`) or upstream's. Paths, bodies and answers
 * follow upstream exactly so that either side can talk to the other's counterpart.
 *
 * Depends on nothing of ours.
 */

export const AGENT_API_VERSION = '1.0';
export const AGENT_API_PREFIX = `/${AGENT_API_VERSION}`;
export const DEFAULT_AGENT_PORT = 9443;

/** GET / */
export interface ApiVersion {
  readonly api_version: string;
}

/** GET /1.0/info */
export interface AgentInfo {
  readonly hostname: string;
  readonly haproxy_version: string;
  readonly api_version: string;
  readonly keepalived_version: string | null;
  readonly ipvsadm_version: string | null;
}

/** GET /1.0/details (Zed keys; `max_open_files` is ours: the open-files limit haproxy gets). */
export interface AgentDetails extends AgentInfo {
  readonly networks: Readonly<Record<string, { network_tx: number; network_rx: number }>>;
  readonly active: boolean;
  readonly haproxy_count: number;
  readonly cpu: { total: number; user: string; system: string; soft_irq: string };
  readonly memory: Readonly<Record<'total' | 'free' | 'buffers' | 'cached' | 'swap_used' | 'shared' | 'slab', number>>;
  readonly disk: { used: number; available: number };
  readonly load: readonly string[];
  readonly topology: string;
  readonly topology_status: string;
  readonly listeners: readonly string[];
  readonly packages: Readonly<Record<string, string>>;
  readonly lvs_listener_process_count: number;
  readonly max_open_files?: number;
}

/** GET /1.0/listeners */
export interface ListenerStatus {
  readonly status: 'ACTIVE' | 'STOPPED' | 'ERROR';
  readonly uuid: string;
  readonly type: string;
}

export interface HostRouteWire {
  readonly destination: string;
  readonly nexthop: string;
}

/** POST /1.0/plug/vip/{vip} */
export interface PlugVipRequest {
  readonly subnet_cidr: string;
  readonly gateway: string | null;
  readonly mac_address: string;
  readonly mtu?: number;
  readonly vrrp_ip?: string | null;
  readonly host_routes?: readonly HostRouteWire[];
  readonly additional_vips?: readonly {
    readonly subnet_cidr: string;
    readonly ip_address: string;
    readonly gateway: string | null;
    readonly host_routes: readonly HostRouteWire[];
  }[];
  readonly is_sriov?: boolean;
}

/** POST /1.0/plug/network */
export interface PlugNetworkRequest {
  readonly mac_address: string;
  readonly fixed_ips?: readonly {
    readonly ip_address: string;
    readonly subnet_cidr: string;
    readonly host_routes: readonly HostRouteWire[];
    readonly gateway: string | null;
  }[];
  readonly mtu?: number;
  readonly vip_net_info?: unknown;
  readonly is_sriov?: boolean;
}

/** Success and error bodies of handlers. */
export interface AgentMessage {
  readonly message: string;
  readonly details?: string;
}

/** Werkzeug-style errors (unknown route, 405, aborted requests). */
export interface AgentHttpError {
  readonly error: string;
  readonly http_code: number;
}

export const AGENT_ACTIONS = ['start', 'stop', 'reload'] as const;
export type AgentAction = (typeof AGENT_ACTIONS)[number];

/** Certificate file names the agent accepts (upstream's `(\w.)+pem`). */
export const CERT_FILENAME = /^(\w.)+pem$/;

/**
 * HAProxy's local peer name for an amphora: base64(sha1(amphora id)) with `_-` for `+/`, a leading
 * `-` replaced by `x`, `=` padding dropped (upstream's `peer_name`).
 */
export function peerName(amphoraId: string, sha1: (s: string) => Buffer): string {
  let b = sha1(amphoraId).toString('base64').replace(/\+/g, '_').replace(/\//g, '-').replace(/=+$/, '');
  if (b.startsWith('-')) b = `x${b.slice(1)}`;
  return b;
}

/** Paths, relative to the API prefix. */
export const agentPaths = {
  info: () => '/info',
  details: () => '/details',
  listeners: () => '/listeners',
  haproxyConfig: (amphoraId: string, lbId: string) => `/loadbalancer/${amphoraId}/${lbId}/haproxy`,
  getHaproxyConfig: (lbId: string) => `/loadbalancer/${lbId}/haproxy`,
  action: (objectId: string, action: AgentAction) => `/loadbalancer/${objectId}/${action}`,
  deleteListener: (objectId: string) => `/listeners/${objectId}`,
  certificate: (lbId: string, filename: string) => `/loadbalancer/${lbId}/certificates/${filename}`,
  plugVip: (vip: string) => `/plug/vip/${vip}`,
  plugNetwork: () => '/plug/network',
  serverCertificate: () => '/certificate',
  vrrpUpload: () => '/vrrp/upload',
  vrrpAction: (action: AgentAction) => `/vrrp/${action}`,
  interface: (ip: string) => `/interface/${ip}`,
  config: () => '/config',
} as const;
