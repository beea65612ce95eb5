/** Health monitors: how HAProxy decides a pool's members are alive (spec §2.6). */
import type { OperatingStatus, ProvisioningStatus } from './status.js';

export const HEALTH_MONITOR_TYPES = ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP'] as const;
export type HealthMonitorType = (typeof HEALTH_MONITOR_TYPES)[number];

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT', 'PATCH'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const HTTP_VERSIONS = [1.0, 1.1] as const;

export interface HealthMonitor {
  readonly id: string;
  readonly projectId: string | null;
  readonly poolId: string;
  readonly name: string | null;
  readonly type: HealthMonitorType;
  /** Seconds between checks. */
  readonly delay: number;
  /** Seconds a check may take. */
  readonly timeout: number;
  /** Successes to mark a member up (HAProxy `rise`). */
  readonly maxRetries: number;
  /** Failures to mark a member down (HAProxy `fall`). */
  readonly maxRetriesDown: number;
  readonly httpMethod: HttpMethod | null;
  readonly urlPath: string | null;
  readonly expectedCodes: string | null;
  readonly httpVersion: number | null;
  readonly domainName: string | null;
  readonly adminStateUp: boolean;
  readonly provisioningStatus: ProvisioningStatus;
  readonly operatingStatus: OperatingStatus;
  readonly tags: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string | null;
}
