/**
 * The load balancer: the root of every object graph and the unit of locking (spec §2.1, §3.2).
 * Domain objects are plain readonly data; the API wire shape and the database row shape each have
 * exactly one mapper to and from these types.
 */
import type { OperatingStatus, ProvisioningStatus, Topology } from './status.js';

export const VNIC_TYPES = ['normal', 'direct'] as const;
export type VnicType = (typeof VNIC_TYPES)[number];

export interface Vip {
  readonly address: string | null;
  readonly portId: string | null;
  readonly subnetId: string | null;
  readonly networkId: string | null;
  readonly qosPolicyId: string | null;
  /** True when Octavius allocated the port itself and must release it on delete. */
  readonly octaviaOwned: boolean;
  readonly vnicType: VnicType;
  readonly sgIds: readonly string[];
}

export interface AdditionalVip {
  readonly subnetId: string;
  readonly networkId: string | null;
  readonly portId: string | null;
  readonly ipAddress: string | null;
}

export interface LoadBalancer {
  readonly id: string;
  readonly projectId: string | null;
  readonly name: string | null;
  readonly description: string | null;
  readonly adminStateUp: boolean;
  readonly provisioningStatus: ProvisioningStatus;
  readonly operatingStatus: OperatingStatus;
  readonly topology: Topology | null;
  readonly serverGroupId: string | null;
  readonly provider: string | null;
  readonly flavorId: string | null;
  readonly availabilityZone: string | null;
  readonly vip: Vip;
  readonly additionalVips: readonly AdditionalVip[];
  readonly tags: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string | null;
}

/** The nil UUID is upstream's reserved placeholder for "no flavor" on purged load balancers. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
