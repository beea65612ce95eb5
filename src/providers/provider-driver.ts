/**
 * The provider boundary (spec §9): what the API asks of whoever implements load balancers. Every
 * call happens inside the API's transaction and receives that transaction's Store, so a provider
 * that queues work (the amphora provider) commits its job together with the rows. Providers throw
 * DomainError with the provider_* codes; the API maps them once (501 for unsupported, 500 for
 * driver errors).
 */
import type { HealthMonitor } from '../domain/health-monitor.js';
import type { L7Policy, L7Rule } from '../domain/l7.js';
import type { Listener } from '../domain/listener.js';
import type { LoadBalancer } from '../domain/load-balancer.js';
import type { Member } from '../domain/member.js';
import type { Pool } from '../domain/pool.js';
import type { Store } from '../db/store.js';

export interface Capability {
  readonly name: string;
  readonly description: string;
}

/** The objects a single-call create made together with its load balancer. */
export interface CreatedGraph {
  readonly listeners: readonly Listener[];
  readonly pools: readonly Pool[];
  readonly members: readonly Member[];
  readonly healthMonitors: readonly HealthMonitor[];
  readonly l7policies: readonly L7Policy[];
  readonly l7rules: readonly L7Rule[];
}

/** Listeners the API locked for a child change (unlocked again by the provider's completion). */
export interface Locked {
  readonly listenerIds: readonly string[];
}

export interface MemberBatch {
  readonly created: readonly Member[];
  readonly updated: readonly Member[];
  readonly deleted: readonly Member[];
}

export interface ProviderDriver {
  readonly name: string;
  loadBalancerCreate(tx: Store, lb: LoadBalancer, graph: CreatedGraph): Promise<void>;
  loadBalancerUpdate(tx: Store, lb: LoadBalancer): Promise<void>;
  loadBalancerDelete(tx: Store, lb: LoadBalancer, cascade: boolean): Promise<void>;
  loadBalancerFailover(tx: Store, lb: LoadBalancer): Promise<void>;
  listenerCreate(tx: Store, listener: Listener, locked: Locked): Promise<void>;
  listenerUpdate(tx: Store, listener: Listener, locked: Locked): Promise<void>;
  listenerDelete(tx: Store, listener: Listener, locked: Locked): Promise<void>;
  poolCreate(tx: Store, pool: Pool, locked: Locked): Promise<void>;
  poolUpdate(tx: Store, pool: Pool, locked: Locked): Promise<void>;
  poolDelete(tx: Store, pool: Pool, locked: Locked): Promise<void>;
  memberCreate(tx: Store, pool: Pool, member: Member, locked: Locked): Promise<void>;
  memberUpdate(tx: Store, pool: Pool, member: Member, locked: Locked): Promise<void>;
  memberDelete(tx: Store, pool: Pool, member: Member, locked: Locked): Promise<void>;
  memberBatchUpdate(tx: Store, pool: Pool, batch: MemberBatch, locked: Locked): Promise<void>;
  healthMonitorCreate(tx: Store, pool: Pool, hm: HealthMonitor, locked: Locked): Promise<void>;
  healthMonitorUpdate(tx: Store, pool: Pool, hm: HealthMonitor, locked: Locked): Promise<void>;
  healthMonitorDelete(tx: Store, pool: Pool, hm: HealthMonitor, locked: Locked): Promise<void>;
  l7policyCreate(tx: Store, listener: Listener, policy: L7Policy, locked: Locked): Promise<void>;
  l7policyUpdate(tx: Store, listener: Listener, policy: L7Policy, locked: Locked): Promise<void>;
  l7policyDelete(tx: Store, listener: Listener, policy: L7Policy, locked: Locked): Promise<void>;
  l7ruleCreate(tx: Store, policy: L7Policy, rule: L7Rule, locked: Locked): Promise<void>;
  l7ruleUpdate(tx: Store, policy: L7Policy, rule: L7Rule, locked: Locked): Promise<void>;
  l7ruleDelete(tx: Store, policy: L7Policy, rule: L7Rule, locked: Locked): Promise<void>;
  flavorCapabilities(): readonly Capability[];
  /** Throws DomainError('provider_unsupported_option') naming the offending key. */
  validateFlavor(metadata: Record<string, unknown>): void;
  availabilityZoneCapabilities(): readonly Capability[];
  validateAvailabilityZone(metadata: Record<string, unknown>): void;
}
