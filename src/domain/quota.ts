/** Per-project quotas (spec §2.9). A null limit means "use the configured default"; -1 is unlimited. */

export const QUOTA_RESOURCES = [
  'loadBalancer',
  'listener',
  'pool',
  'healthMonitor',
  'member',
  'l7policy',
  'l7rule',
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

export type QuotaLimits = Readonly<Record<QuotaResource, number | null>>;

export interface Quota {
  readonly projectId: string;
  readonly limits: QuotaLimits;
  readonly inUse: Readonly<Record<QuotaResource, number | null>>;
}

export const UNLIMITED = -1;
