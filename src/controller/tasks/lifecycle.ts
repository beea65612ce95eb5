/**
 * Lifecycle tasks: the first task of every flow. Their execute does nothing; their revert (which
 * runs last when a flow fails) leaves the objects in the statuses of spec §3.3: the changed object
 * ERROR, its parents unlocked (ACTIVE), the load balancer ACTIVE, or ERROR for load balancer flows.
 */
import type { Store } from '../../db/store.js';
import { task, type Task } from '../engine/task.js';

export interface LoadBalancerState {
  readonly loadBalancerId: string;
}

/** Marks the load balancer ERROR on revert (create, update, delete, failover of a load balancer). */
export function loadBalancerToErrorOnRevert<S extends LoadBalancerState & { markSubobjects?: boolean }>(): Task<S> {
  return task<S>(
    'LoadBalancerToErrorOnRevert',
    async () => undefined,
    async (ctx, s) => {
      await ctx.store.transaction(async (tx) => {
        await tx.loadBalancers.setStatus(s.loadBalancerId, { provisioningStatus: 'ERROR' });
        if (s.markSubobjects) await markSubobjects(tx, s.loadBalancerId, 'ERROR');
      });
    },
  );
}

/**
 * Sets provisioning status of everything under a load balancer (upstream's mark_subobjects). Takes
 * the transaction's store: a query on the outer store inside a transaction would wait forever for
 * SQLite's one connection.
 */
export async function markSubobjects(store: Store, loadBalancerId: string, status: 'ACTIVE' | 'ERROR'): Promise<void> {
  const listeners = await store.listeners.forLoadBalancer(loadBalancerId);
  const pools = await store.pools.forLoadBalancer(loadBalancerId);
  const poolIds = pools.map((p) => p.id);
  const members = await store.members.where('pool_id', poolIds);
  const hms = await store.healthMonitors.forPools(poolIds);
  const policies = await store.l7policies.forListeners(listeners.map((l) => l.id));
  const rules = await store.l7rules.forPolicies(policies.map((p) => p.id));
  await store.listeners.setStatus(
    listeners.map((l) => l.id),
    { provisioningStatus: status },
  );
  await store.pools.setStatus(poolIds, { provisioningStatus: status });
  await store.members.setStatus(
    members.map((m) => m.id),
    { provisioningStatus: status },
  );
  for (const hm of hms) {
    await store.healthMonitors.setStatus(hm.id, {
      provisioningStatus: status,
      ...(status === 'ACTIVE' ? { operatingStatus: hm.adminStateUp ? 'ONLINE' : 'OFFLINE' } : {}),
    });
  }
  for (const p of policies) {
    await store.l7policies.setStatus(p.id, {
      provisioningStatus: status,
      ...(status === 'ACTIVE' ? { operatingStatus: p.adminStateUp ? 'ONLINE' : 'OFFLINE' } : {}),
    });
  }
  for (const r of rules) {
    await store.l7rules.setStatus(r.id, {
      provisioningStatus: status,
      ...(status === 'ACTIVE' ? { operatingStatus: r.adminStateUp ? 'ONLINE' : 'OFFLINE' } : {}),
    });
  }
}

/** What a child-object flow touches: the object, its locked parents and the load balancer. */
export interface ChildState extends LoadBalancerState {
  readonly listenerIds: readonly string[];
  readonly poolId?: string | null;
  readonly l7policyId?: string | null;
}

export type ChildKind = 'listener' | 'pool' | 'member' | 'healthMonitor' | 'l7policy' | 'l7rule';

/**
 * On revert: the object (or objects) ERROR, the locked parents (pool / policy, listeners) and the
 * load balancer back to ACTIVE so that the user can act again.
 */
export function childToErrorOnRevert<S extends ChildState>(kind: ChildKind, ids: (s: S) => readonly string[]): Task<S> {
  return task<S>(
    `${kind[0]!.toUpperCase()}${kind.slice(1)}ToErrorOnRevert`,
    async () => undefined,
    async (ctx, s) => {
      await ctx.store.transaction(async (tx) => {
        const objects = ids(s);
        switch (kind) {
          case 'listener':
            await tx.listeners.setStatus(objects, { provisioningStatus: 'ERROR' });
            break;
          case 'pool':
            await tx.pools.setStatus(objects, { provisioningStatus: 'ERROR' });
            break;
          case 'member':
            await tx.members.setStatus(objects, { provisioningStatus: 'ERROR' });
            break;
          case 'healthMonitor':
            await tx.healthMonitors.setStatus(objects, { provisioningStatus: 'ERROR' });
            break;
          case 'l7policy':
            await tx.l7policies.setStatus(objects, { provisioningStatus: 'ERROR' });
            break;
          case 'l7rule':
            await tx.l7rules.setStatus(objects, { provisioningStatus: 'ERROR' });
            break;
        }
        if (kind !== 'pool' && s.poolId) await tx.pools.activateUnlessError([s.poolId]);
        if (kind !== 'l7policy' && s.l7policyId) await tx.l7policies.activateUnlessError([s.l7policyId]);
        const listeners = kind === 'listener' ? s.listenerIds.filter((id) => !objects.includes(id)) : s.listenerIds;
        await tx.listeners.activateUnlessError(listeners);
        await tx.loadBalancers.setStatus(s.loadBalancerId, { provisioningStatus: 'ACTIVE' });
      });
    },
  );
}

/** Success: locked listeners and the load balancer back to ACTIVE (listeners in ERROR stay ERROR). */
export function markLoadBalancerAndListenersActive<S extends ChildState>(): Task<S> {
  return task<S>('MarkLBAndListenersActiveInDB', async (ctx, s) => {
    await ctx.store.transaction(async (tx) => {
      await tx.listeners.activateUnlessError(s.listenerIds);
      await tx.loadBalancers.setStatus(s.loadBalancerId, { provisioningStatus: 'ACTIVE' });
    });
  });
}
