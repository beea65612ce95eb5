/** Pools: a set of members behind a listener or an L7 policy (spec §2.4). */
import type { OperatingStatus, ProvisioningStatus } from './status.js';

export const POOL_PROTOCOLS = ['TCP', 'HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'UDP', 'SCTP'] as const;
export type PoolProtocol = (typeof POOL_PROTOCOLS)[number];

export const LB_ALGORITHMS = ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'SOURCE_IP_PORT'] as const;
export type LbAlgorithm = (typeof LB_ALGORITHMS)[number];

export const SESSION_PERSISTENCE_TYPES = ['SOURCE_IP', 'HTTP_COOKIE', 'APP_COOKIE'] as const;
export type SessionPersistenceType = (typeof SESSION_PERSISTENCE_TYPES)[number];

export interface SessionPersistence {
  readonly type: SessionPersistenceType;
  readonly cookieName: string | null;
  readonly persistenceTimeout: number | null;
  readonly persistenceGranularity: string | null;
}

export interface Pool {
  readonly id: string;
  readonly projectId: string | null;
  readonly loadBalancerId: string;
  readonly name: string | null;
  readonly description: string | null;
  readonly adminStateUp: boolean;
  readonly protocol: PoolProtocol;
  readonly lbAlgorithm: LbAlgorithm;
  readonly sessionPersistence: SessionPersistence | null;
  readonly tlsEnabled: boolean;
  readonly tlsContainerRef: string | null;
  readonly caTlsContainerRef: string | null;
  readonly crlContainerRef: string | null;
  readonly tlsCiphers: string | null;
  readonly tlsVersions: readonly string[] | null;
  readonly alpnProtocols: readonly string[] | null;
  readonly provisioningStatus: ProvisioningStatus;
  readonly operatingStatus: OperatingStatus;
  readonly tags: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string | null;
}
