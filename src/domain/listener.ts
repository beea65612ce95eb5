/** Listeners: a protocol and port on a load balancer's VIP (spec §2.2, §2.3). */
import type { OperatingStatus, ProvisioningStatus } from './status.js';
import type { PoolProtocol } from './pool.js';

export const LISTENER_PROTOCOLS = ['TCP', 'HTTP', 'HTTPS', 'TERMINATED_HTTPS', 'UDP', 'SCTP', 'PROMETHEUS'] as const;
export type ListenerProtocol = (typeof LISTENER_PROTOCOLS)[number];

export const CLIENT_AUTHENTICATION_MODES = ['NONE', 'OPTIONAL', 'MANDATORY'] as const;
export type ClientAuthentication = (typeof CLIENT_AUTHENTICATION_MODES)[number];

export const TLS_VERSIONS = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

export const ALPN_PROTOCOLS = ['h2', 'http/1.1', 'http/1.0'] as const;

/** Headers a listener may ask HAProxy to insert (values are the strings "true"/"false"). */
export const INSERT_HEADERS = [
  'X-Forwarded-For',
  'X-Forwarded-Port',
  'X-Forwarded-Proto',
  'X-Forwarded-IP',
  'X-Client-IP',
  'X-Real-IP',
] as const;
/** Client-certificate headers, only meaningful on TERMINATED_HTTPS listeners. */
export const SSL_INSERT_HEADERS = [
  'X-SSL-Client-Verify',
  'X-SSL-Client-Has-Cert',
  'X-SSL-Client-DN',
  'X-SSL-Client-CN',
  'X-SSL-Issuer',
  'X-SSL-Client-SHA1',
  'X-SSL-Client-Not-Before',
  'X-SSL-Client-Not-After',
] as const;

/** Which pool protocols each listener protocol may forward to (VALID_LISTENER_POOL_PROTOCOL_MAP). */
export const LISTENER_POOL_PROTOCOLS: Readonly<Record<ListenerProtocol, readonly PoolProtocol[]>> = {
  TCP: ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
};

/** The transport protocol a listener or pool protocol runs on: port uniqueness is per L4 protocol. */
export function l4Protocol(protocol: ListenerProtocol | PoolProtocol): 'TCP' | 'UDP' | 'SCTP' {
  if (protocol === 'UDP') return 'UDP';
  if (protocol === 'SCTP') return 'SCTP';
  return 'TCP';
}

export function isTlsOffload(protocol: ListenerProtocol, hasCertificates: boolean): boolean {
  return protocol === 'TERMINATED_HTTPS' || (protocol === 'PROMETHEUS' && hasCertificates);
}

export interface Listener {
  readonly id: string;
  readonly projectId: string | null;
  readonly loadBalancerId: string;
  readonly name: string | null;
  readonly description: string | null;
  readonly adminStateUp: boolean;
  readonly protocol: ListenerProtocol;
  readonly protocolPort: number;
  readonly connectionLimit: number;
  readonly defaultPoolId: string | null;
  readonly defaultTlsContainerRef: string | null;
  readonly sniContainerRefs: readonly string[];
  readonly clientCaTlsContainerRef: string | null;
  readonly clientAuthentication: ClientAuthentication;
  readonly clientCrlContainerRef: string | null;
  readonly insertHeaders: Readonly<Record<string, string>>;
  readonly timeoutClientData: number | null;
  readonly timeoutMemberConnect: number | null;
  readonly timeoutMemberData: number | null;
  readonly timeoutTcpInspect: number | null;
  readonly allowedCidrs: readonly string[];
  readonly tlsCiphers: string | null;
  readonly tlsVersions: readonly string[] | null;
  readonly alpnProtocols: readonly string[] | null;
  readonly hstsMaxAge: number | null;
  readonly hstsIncludeSubdomains: boolean;
  readonly hstsPreload: boolean;
  /** Internal: port used between HAProxy peers in ACTIVE_STANDBY (first listener 1025, then max+1). */
  readonly peerPort: number | null;
  readonly provisioningStatus: ProvisioningStatus;
  readonly operatingStatus: OperatingStatus;
  readonly tags: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string | null;
}
