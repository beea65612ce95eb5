/**
 * Flows of the objects under a load balancer (spec §6.4). Each starts with the task that leaves
 * the object ERROR and its parents unlocked on revert, pushes the configuration to the amphorae,
 * writes the final rows and unlocks the listeners and the load balancer.
 */
import { flow, task, type Flow } from '../engine/task.js';
import { markL7PolicyActive, markPoolActive } from '../tasks/database.js';
import { childToErrorOnRevert, markLoadBalancerAndListenersActive, type ChildState } from '../tasks/lifecycle.js';
import { deleteListenersOnAmphorae, handleNetworkDeltas, updateListenersOnAmphorae } from '../tasks/listeners.js';
import type { JobPayloads } from './payloads.js';

export interface ChildFlowState extends ChildState {
  readonly objectIds: readonly string[];
  readonly created?: readonly string[];
  readonly updated?: readonly string[];
  readonly deleted?: readonly string[];
}

type Built = { flow: Flow<ChildFlowState>; state: ChildFlowState };
type S = ChildFlowState;

const updateVipSecurity = task<S>('UpdateVIP', async (ctx, s) => {
  const graph = await ctx.store.loadBalancerGraph(s.loadBalancerId);
  if (graph) await ctx.drivers.network.updateVipSecurity(graph);
});

export function listenerFlow(kind: 'create' | 'update' | 'delete', p: JobPayloads['create_listener']): Built {
  const state: S = { loadBalancerId: p.loadBalancerId, listenerIds: p.listenerIds, objectIds: [p.listenerId] };
  if (kind !== 'delete') {
    return {
      flow: flow<S>(
        `${kind}-listener`,
        childToErrorOnRevert<S>('listener', (s) => s.objectIds),
        updateListenersOnAmphorae<S>(),
        updateVipSecurity,
        markLoadBalancerAndListenersActive<S>(),
      ),
      state,
    };
  }
  return {
    flow: flow<S>(
      'delete-listener',
      childToErrorOnRevert<S>('listener', (s) => s.objectIds),
      task<S>('ListenerDelete', async (ctx, s) => {
        const remaining = (await ctx.store.listeners.forLoadBalancer(s.loadBalancerId)).filter(
          (l) => !s.objectIds.includes(l.id) && l.provisioningStatus !== 'PENDING_DELETE',
        );
        const step = remaining.length === 0 ? deleteListenersOnAmphorae<S>() : updateListenersOnAmphorae<S>();
        await step.execute(ctx, s);
      }),
      updateVipSecurity,
      task<S>('DeleteListenerInDB', async (ctx, s) => {
        await ctx.store.transaction(async (tx) => {
          const policies = await tx.l7policies.forListeners(s.objectIds);
          const rules = await tx.l7rules.forPolicies(policies.map((x) => x.id));
          await tx.tags.deleteFor([...policies, ...rules].map((o) => o.id));
          await tx.statistics.deleteForListeners(s.objectIds);
          await tx.listeners.delete(s.objectIds);
        });
      }),
      markLoadBalancerAndListenersActive<S>(),
    ),
    state: { ...state, listenerIds: p.listenerIds.filter((id) => id !== p.listenerId) },
  };
}

export function poolFlow(kind: 'create' | 'update' | 'delete', p: JobPayloads['create_pool']): Built {
  const state: S = { loadBalancerId: p.loadBalancerId, listenerIds: p.listenerIds, objectIds: [p.poolId] };
  const toError = childToErrorOnRevert<S>('pool', (s) => s.objectIds);
  if (kind !== 'delete') {
    return {
      flow: flow<S>(
        `${kind}-pool`,
        toError,
        updateListenersOnAmphorae<S>(),
        task<S>('MarkPoolActiveInDB', async (ctx, s) => ctx.store.pools.setStatus(s.objectIds, { provisioningStatus: 'ACTIVE' })),
        markLoadBalancerAndListenersActive<S>(),
      ),
      state,
    };
  }
  return {
    flow: flow<S>(
      'delete-pool',
      toError,
      updateListenersOnAmphorae<S>(),
      task<S>('DeletePoolInDB', async (ctx, s) => {
        await ctx.store.transaction(async (tx) => {
          for (const poolId of s.objectIds) {
            const members = await tx.members.forPool(poolId);
            const hm = await tx.healthMonitors.forPool(poolId);
            await tx.tags.deleteFor([...members.map((m) => m.id), ...(hm ? [hm.id] : [])]);
            await tx.listeners.clearDefaultPool(poolId);
          }
          await tx.pools.delete(s.objectIds);
        });
      }),
      markLoadBalancerAndListenersActive<S>(),
    ),
    state,
  };
}

export function memberFlow(kind: 'create' | 'update' | 'delete', p: JobPayloads['create_member']): Built {
  const state: S = { loadBalancerId: p.loadBalancerId, listenerIds: p.listenerIds, poolId: p.poolId, objectIds: [p.memberId] };
  const toError = childToErrorOnRevert<S>('member', (s) => s.objectIds);
  if (kind !== 'delete') {
    return {
      flow: flow<S>(
        `${kind}-member`,
        toError,
        handleNetworkDeltas<S>(),
        updateListenersOnAmphorae<S>(),
        task<S>('MarkMemberActiveInDB', async (ctx, s) => ctx.store.members.setStatus(s.objectIds, { provisioningStatus: 'ACTIVE' })),
        markPoolActive<S>(),
        markLoadBalancerAndListenersActive<S>(),
      ),
      state,
    };
  }
  return {
    flow: flow<S>(
      'delete-member',
      toError,
      updateListenersOnAmphorae<S>(),
      // After HAProxy stopped using the member, so its network can go.
      handleNetworkDeltas<S>(),
      task<S>('DeleteMemberInDB', async (ctx, s) => ctx.store.members.delete(s.objectIds)),
      markPoolActive<S>(),
      markLoadBalancerAndListenersActive<S>(),
    ),
    state,
  };
}

export function batchMembersFlow(p: JobPayloads['batch_update_members']): Built {
  const all = [...p.created, ...p.updated, ...p.deleted];
  return {
    flow: flow<S>(
      'batch-update-members',
      childToErrorOnRevert<S>('member', (s) => s.objectIds),
      handleNetworkDeltas<S>(),
      updateListenersOnAmphorae<S>(),
      task<S>('DeleteMembersInDB', async (ctx, s) => ctx.store.members.delete(s.deleted ?? [])),
      task<S>('MarkMembersActiveInDB', async (ctx, s) =>
        ctx.store.members.setStatus([...(s.created ?? []), ...(s.updated ?? [])], { provisioningStatus: 'ACTIVE' }),
      ),
      markPoolActive<S>(),
      markLoadBalancerAndListenersActive<S>(),
    ),
    state: {
      loadBalancerId: p.loadBalancerId,
      listenerIds: p.listenerIds,
      poolId: p.poolId,
      objectIds: all,
      created: p.created,
      updated: p.updated,
      deleted: p.deleted,
    },
  };
}

export function healthMonitorFlow(kind: 'create' | 'update' | 'delete', p: JobPayloads['create_health_monitor']): Built {
  const state: S = {
    loadBalancerId: p.loadBalancerId,
    listenerIds: p.listenerIds,
    poolId: p.poolId,
    objectIds: [p.healthMonitorId],
  };
  const toError = childToErrorOnRevert<S>('healthMonitor', (s) => s.objectIds);
  if (kind !== 'delete') {
    return {
      flow: flow<S>(
        `${kind}-health-monitor`,
        toError,
        updateListenersOnAmphorae<S>(),
        task<S>('MarkHealthMonitorActiveInDB', async (ctx, s) => {
          for (const hm of await ctx.store.healthMonitors.getMany(s.objectIds)) {
            await ctx.store.healthMonitors.setStatus(hm.id, {
              provisioningStatus: 'ACTIVE',
              operatingStatus: hm.adminStateUp ? 'ONLINE' : 'OFFLINE',
            });
          }
        }),
        markPoolActive<S>(),
        markLoadBalancerAndListenersActive<S>(),
      ),
      state,
    };
  }
  return {
    flow: flow<S>(
      'delete-health-monitor',
      toError,
      updateListenersOnAmphorae<S>(),
      task<S>('DeleteHealthMonitorInDB', async (ctx, s) => {
        await ctx.store.transaction(async (tx) => {
          await tx.healthMonitors.delete(s.objectIds);
          // Without a monitor nothing measures the members any more.
          if (s.poolId) {
            const members = await tx.members.forPool(s.poolId);
            await tx.members.setStatus(
              members.map((m) => m.id),
              { operatingStatus: 'NO_MONITOR' },
            );
          }
        });
      }),
      markPoolActive<S>(),
      markLoadBalancerAndListenersActive<S>(),
    ),
    state,
  };
}

export function l7policyFlow(kind: 'create' | 'update' | 'delete', p: JobPayloads['create_l7policy']): Built {
  const state: S = { loadBalancerId: p.loadBalancerId, listenerIds: p.listenerIds, objectIds: [p.l7policyId], l7policyId: null };
  const toError = childToErrorOnRevert<S>('l7policy', (s) => s.objectIds);
  if (kind !== 'delete') {
    return {
      flow: flow<S>(
        `${kind}-l7policy`,
        toError,
        updateListenersOnAmphorae<S>(),
        task<S>('MarkL7PolicyActiveInDB', async (ctx, s) => markL7PolicyActive<{ l7policyId: string }>().execute(ctx, { l7policyId: s.objectIds[0]! })),
        markLoadBalancerAndListenersActive<S>(),
      ),
      state,
    };
  }
  return {
    flow: flow<S>(
      'delete-l7policy',
      toError,
      updateListenersOnAmphorae<S>(),
      task<S>('DeleteL7PolicyInDB', async (ctx, s) => {
        await ctx.store.transaction(async (tx) => {
          const policies = await tx.l7policies.getMany(s.objectIds);
          const rules = await tx.l7rules.forPolicies(s.objectIds);
          await tx.tags.deleteFor(rules.map((r) => r.id));
          await tx.l7policies.delete(s.objectIds);
          for (const listenerId of new Set(policies.map((x) => x.listenerId))) await tx.l7policies.renumber(listenerId);
        });
      }),
      markLoadBalancerAndListenersActive<S>(),
    ),
    state,
  };
}

export function l7ruleFlow(kind: 'create' | 'update' | 'delete', p: JobPayloads['create_l7rule']): Built {
  const state: S = {
    loadBalancerId: p.loadBalancerId,
    listenerIds: p.listenerIds,
    l7policyId: p.l7policyId,
    objectIds: [p.l7ruleId],
  };
  const toError = childToErrorOnRevert<S>('l7rule', (s) => s.objectIds);
  if (kind !== 'delete') {
    return {
      flow: flow<S>(
        `${kind}-l7rule`,
        toError,
        updateListenersOnAmphorae<S>(),
        task<S>('MarkL7RuleActiveInDB', async (ctx, s) => {
          for (const rule of await ctx.store.l7rules.getMany(s.objectIds)) {
            await ctx.store.l7rules.setStatus(rule.id, {
              provisioningStatus: 'ACTIVE',
              operatingStatus: rule.adminStateUp ? 'ONLINE' : 'OFFLINE',
            });
          }
        }),
        markL7PolicyActive<S>(),
        markLoadBalancerAndListenersActive<S>(),
      ),
      state,
    };
  }
  return {
    flow: flow<S>(
      'delete-l7rule',
      toError,
      updateListenersOnAmphorae<S>(),
      task<S>('DeleteL7RuleInDB', async (ctx, s) => ctx.store.l7rules.delete(s.objectIds)),
      markL7PolicyActive<S>(),
      markLoadBalancerAndListenersActive<S>(),
    ),
    state,
  };
}
