/** Database tasks shared by flows: final statuses and removal of deleted objects (spec §3.3, §3.4). */
import { task, type Task } from '../engine/task.js';
import { markSubobjects } from './lifecycle.js';

export function markLoadBalancerActive<S extends { loadBalancerId: string; markSubobjects?: boolean }>(): Task<S> {
  return task<S>('MarkLBActiveInDB', async (ctx, s) => {
    await ctx.store.transaction(async (tx) => {
      if (s.markSubobjects) await markSubobjects(tx, s.loadBalancerId, 'ACTIVE');
      await tx.loadBalancers.setStatus(s.loadBalancerId, { provisioningStatus: 'ACTIVE' });
    });
  });
}

export function markPoolActive<S extends { poolId?: string | null }>(): Task<S> {
  return task<S>('MarkPoolActiveInDB', async (ctx, s) => {
    if (s.poolId) await ctx.store.pools.setStatus(s.poolId, { provisioningStatus: 'ACTIVE' });
  });
}

export function markL7PolicyActive<S extends { l7policyId?: string | null }>(): Task<S> {
  return task<S>('MarkL7PolicyActiveInDB', async (ctx, s) => {
    if (!s.l7policyId) return;
    const policy = await ctx.store.l7policies.get(s.l7policyId);
    if (!policy) return;
    await ctx.store.l7policies.setStatus(policy.id, {
      provisioningStatus: 'ACTIVE',
      operatingStatus: policy.adminStateUp ? 'ONLINE' : 'OFFLINE',
    });
  });
}
