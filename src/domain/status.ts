/**
 * Status vocabularies shared by every layer (spec §3.1). Closed sets are `as const` arrays so that
 * one declaration gives both the union type and the runtime membership check.
 */

export const PROVISIONING_STATUSES = [
  'ACTIVE',
  'PENDING_CREATE',
  'PENDING_UPDATE',
  'PENDING_DELETE',
  'DELETED',
  'ERROR',
] as const;
export type ProvisioningStatus = (typeof PROVISIONING_STATUSES)[number];

export const OPERATING_STATUSES = ['ONLINE', 'OFFLINE', 'DEGRADED', 'ERROR', 'DRAINING', 'NO_MONITOR'] as const;
export type OperatingStatus = (typeof OPERATING_STATUSES)[number];

/** Amphora lifecycle: PENDING_CREATE → BOOTING → ALLOCATED (or READY as a spare) → PENDING_DELETE → DELETED. */
export const AMPHORA_STATUSES = [
  'PENDING_CREATE',
  'BOOTING',
  'ALLOCATED',
  'READY',
  'PENDING_DELETE',
  'DELETED',
  'ERROR',
  'FAILOVER_STOPPED',
] as const;
export type AmphoraStatus = (typeof AMPHORA_STATUSES)[number];

export const AMPHORA_ROLES = ['STANDALONE', 'MASTER', 'BACKUP'] as const;
export type AmphoraRole = (typeof AMPHORA_ROLES)[number];

export const TOPOLOGIES = ['SINGLE', 'ACTIVE_STANDBY'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

/** Objects may only be changed while their load balancer is in one of these (spec §3.2). */
export const MUTABLE_STATUSES: readonly ProvisioningStatus[] = ['ACTIVE'];
/** A load balancer may be deleted or failed over from these. */
export const DELETABLE_STATUSES: readonly ProvisioningStatus[] = ['ACTIVE', 'ERROR'];
export const FAILOVERABLE_STATUSES: readonly ProvisioningStatus[] = ['ACTIVE', 'ERROR'];

export function isPending(status: ProvisioningStatus): boolean {
  return status.startsWith('PENDING_');
}

export function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}
