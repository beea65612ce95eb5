/**
 * A load balancer with everything under it, as flows, the renderer and the status tree need it.
 * Children are flat lists linked by their parent ids; helpers below answer the questions every
 * consumer asks (which pools does a listener use, which listeners use a pool).
 */
import type { Amphora } from './amphora.js';
import type { HealthMonitor } from './health-monitor.js';
import type { L7Policy, L7Rule } from './l7.js';
import type { Listener } from './listener.js';
import type { LoadBalancer } from './load-balancer.js';
import type { Member } from './member.js';
import type { Pool } from './pool.js';

export interface LoadBalancerGraph {
  readonly loadBalancer: LoadBalancer;
  readonly listeners: readonly Listener[];
  readonly pools: readonly Pool[];
  readonly members: readonly Member[];
  readonly healthMonitors: readonly HealthMonitor[];
  readonly l7policies: readonly L7Policy[];
  readonly l7rules: readonly L7Rule[];
  readonly amphorae: readonly Amphora[];
}

/** L7 policies that take part in routing: enabled and with at least one rule (spec §2.7). */
export function activeL7Policies(graph: Pick<LoadBalancerGraph, 'l7policies' | 'l7rules'>): L7Policy[] {
  const withRules = new Set(graph.l7rules.map((r) => r.l7policyId));
  return graph.l7policies.filter((p) => p.adminStateUp && withRules.has(p.id));
}

/**
 * Pools a listener sends traffic to: its default pool, then pools of its active redirect policies,
 * without duplicates (upstream's listener `pools` and the status tree).
 */
export function poolIdsOfListener(
  listener: Listener,
  graph: Pick<LoadBalancerGraph, 'l7policies' | 'l7rules'>,
): string[] {
  const ids: string[] = [];
  if (listener.defaultPoolId) ids.push(listener.defaultPoolId);
  for (const policy of activeL7Policies(graph)) {
    if (policy.listenerId === listener.id && policy.action === 'REDIRECT_TO_POOL' && policy.redirectPoolId) {
      if (!ids.includes(policy.redirectPoolId)) ids.push(policy.redirectPoolId);
    }
  }
  return ids;
}

/** Listeners that use a pool as default pool or through an active redirect policy. */
export function listenerIdsOfPool(
  poolId: string,
  graph: Pick<LoadBalancerGraph, 'listeners' | 'l7policies' | 'l7rules'>,
): string[] {
  const ids: string[] = [];
  for (const l of graph.listeners) if (l.defaultPoolId === poolId) ids.push(l.id);
  for (const p of activeL7Policies(graph)) {
    if (p.action === 'REDIRECT_TO_POOL' && p.redirectPoolId === poolId && !ids.includes(p.listenerId)) {
      ids.push(p.listenerId);
    }
  }
  return ids;
}

/**
 * The graph as it should be configured on amphorae: objects being deleted (PENDING_DELETE), and
 * everything under them, are left out.
 */
export function withoutPendingDeletes(graph: LoadBalancerGraph): LoadBalancerGraph {
  const gone = (s: { provisioningStatus: string }): boolean => s.provisioningStatus === 'PENDING_DELETE';
  const listeners = graph.listeners.filter((l) => !gone(l));
  const pools = graph.pools.filter((p) => !gone(p));
  const poolIds = new Set(pools.map((p) => p.id));
  const listenerIds = new Set(listeners.map((l) => l.id));
  const l7policies = graph.l7policies.filter((p) => !gone(p) && listenerIds.has(p.listenerId));
  const policyIds = new Set(l7policies.map((p) => p.id));
  return {
    ...graph,
    listeners: listeners.map((l) => (l.defaultPoolId && !poolIds.has(l.defaultPoolId) ? { ...l, defaultPoolId: null } : l)),
    pools,
    members: graph.members.filter((m) => !gone(m) && poolIds.has(m.poolId)),
    healthMonitors: graph.healthMonitors.filter((h) => !gone(h) && poolIds.has(h.poolId)),
    l7policies,
    l7rules: graph.l7rules.filter((r) => !gone(r) && policyIds.has(r.l7policyId)),
  };
}
