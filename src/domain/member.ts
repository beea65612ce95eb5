/** Members: one backend address and port in a pool (spec §2.5). */
import type { VnicType } from './load-balancer.js';
import type { OperatingStatus, ProvisioningStatus } from './status.js';

export interface Member {
  readonly id: string;
  readonly projectId: string | null;
  readonly poolId: string;
  readonly name: string | null;
  readonly adminStateUp: boolean;
  readonly address: string;
  readonly protocolPort: number;
  readonly weight: number;
  readonly backup: boolean;
  readonly subnetId: string | null;
  readonly monitorAddress: string | null;
  readonly monitorPort: number | null;
  readonly vnicType: VnicType;
  readonly provisioningStatus: ProvisioningStatus;
  readonly operatingStatus: OperatingStatus;
  readonly tags: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string | null;
}
