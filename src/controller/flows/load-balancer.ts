/**
 * Load balancer flows (spec §6.3, §6.5, §6.7): create builds the VIP and the amphorae of the
 * topology, update re-applies configuration, delete tears everything down, failover replaces every
 * amphora of the load balancer.
 */
import { DomainError } from '../../domain/errors.js';
import type { AmphoraRole, Topology } from '../../domain/status.js';
import { flow, task, type Flow, type Task } from '../engine/task.js';
import { buildAmphora, deleteAmphora, plugVipOnAmphora, type AmphoraBuildState, type AmphoraWaits } from '../tasks/amphorae.js';
import { markLoadBalancerActive } from '../tasks/database.js';
import { loadBalancerToErrorOnRevert } from '../tasks/lifecycle.js';
import { handleNetworkDeltas, updateListenersOnAmphorae } from '../tasks/listeners.js';
import { vrrpSubflow } from '../tasks/vrrp.js';
import type { JobPayloads } from './payloads.js';

export interface LoadBalancerFlowState extends AmphoraBuildState {
  readonly loadBalancerId: string;
  readonly markSubobjects?: boolean;
  /** Failover: amphorae that existed before the flow started and are replaced. */
  readonly oldAmphorae?: readonly string[];
}

export const ROLES_OF: Readonly<Record<Topology, readonly AmphoraRole[]>> = {
  SINGLE: ['STANDALONE'],
  ACTIVE_STANDBY: ['MASTER', 'BACKUP'],
};

const allocateVip = <S extends LoadBalancerFlowState>(): Task<S> =>
  task<S>(
    'AllocateVIP',
    async (ctx, s) => {
      const lb = await ctx.store.loadBalancers.get(s.loadBalancerId);
      if (!lb) throw new DomainError('internal', `load balancer ${s.loadBalancerId} vanished`);
      const allocation = await ctx.drivers.network.allocateVip(lb);
      // UpdateVIPAfterAllocation + UpdateAdditionalVIPsAfterAllocation
      const current = await ctx.store.loadBalancers.get(s.loadBalancerId);
      if (current) await ctx.store.loadBalancers.save({ ...current, vip: allocation.vip, additionalVips: allocation.additionalVips });
    },
    async (ctx, s) => {
      const lb = await ctx.store.loadBalancers.get(s.loadBalancerId);
      if (lb) await ctx.drivers.network.deallocateVip(lb);
    },
  );

const updateVipSecurity = <S extends LoadBalancerFlowState>(): Task<S> =>
  task<S>('UpdateVIPSecurityGroup', async (ctx, s) => {
    const graph = await ctx.store.loadBalancerGraph(s.loadBalancerId);
    if (graph) await ctx.drivers.network.updateVipSecurity(graph);
  });

function topologySubflow<S extends LoadBalancerFlowState>(topology: Topology, waits: AmphoraWaits): Task<S>[] {
  return ROLES_OF[topology].flatMap((role) => [...buildAmphora<S>(role, waits), ...plugVipOnAmphora<S>(role)]);
}

/**
 * Post-association VRRP sub-flow (ACTIVE_STANDBY): keepalived on every amphora of the pair, before
 * the listeners, as upstream. SINGLE has none.
 */
function vrrpFor<S extends LoadBalancerFlowState>(topology: Topology): Task<S>[] {
  return topology === 'ACTIVE_STANDBY' ? vrrpSubflow<S>() : [];
}

export function createLoadBalancerFlow(
  p: JobPayloads['create_load_balancer'],
  waits: AmphoraWaits,
): { flow: Flow<LoadBalancerFlowState>; state: LoadBalancerFlowState } {
  type S = LoadBalancerFlowState;
  return {
    flow: flow<S>(
      'create-load-balancer',
      loadBalancerToErrorOnRevert<S>(),
      allocateVip<S>(),
      updateVipSecurity<S>(),
      topologySubflow<S>(p.topology, waits),
      vrrpFor<S>(p.topology),
      p.graph ? [handleNetworkDeltas<S>(), updateListenersOnAmphorae<S>()] : [],
      markLoadBalancerActive<S>(),
    ),
    state: { loadBalancerId: p.loadBalancerId, markSubobjects: p.graph },
  };
}

export function updateLoadBalancerFlow(p: JobPayloads['update_load_balancer']): {
  flow: Flow<LoadBalancerFlowState>;
  state: LoadBalancerFlowState;
} {
  type S = LoadBalancerFlowState;
  return {
    flow: flow<S>(
      'update-load-balancer',
      loadBalancerToErrorOnRevert<S>(),
      updateVipSecurity<S>(),
      updateListenersOnAmphorae<S>(),
      markLoadBalancerActive<S>(),
    ),
    state: { loadBalancerId: p.loadBalancerId },
  };
}

export function deleteLoadBalancerFlow(p: JobPayloads['delete_load_balancer']): {
  flow: Flow<LoadBalancerFlowState>;
  state: LoadBalancerFlowState;
} {
  type S = LoadBalancerFlowState;
  return {
    flow: flow<S>(
      'delete-load-balancer',
      loadBalancerToErrorOnRevert<S>(),
      task<S>('DeleteModelsInDB', async (ctx, s) => {
        // Cascade: listeners and pools (and everything under them) go with the load balancer.
        await ctx.store.transaction(async (tx) => {
          const listeners = await tx.listeners.forLoadBalancer(s.loadBalancerId);
          const pools = await tx.pools.forLoadBalancer(s.loadBalancerId);
          await tx.statistics.deleteForListeners(listeners.map((l) => l.id));
          await deleteTagsUnder(tx, listeners.map((l) => l.id), pools.map((p) => p.id));
          await tx.listeners.delete(listeners.map((l) => l.id));
          await tx.pools.delete(pools.map((x) => x.id));
        });
      }),
      task<S>('DeleteAmphoraeOnLoadBalancer', async (ctx, s) => {
        for (const amphora of await ctx.store.amphorae.forLoadBalancer(s.loadBalancerId)) {
          await deleteAmphora(ctx, amphora.id);
        }
      }),
      task<S>('DeallocateVIP', async (ctx, s) => {
        const lb = await ctx.store.loadBalancers.get(s.loadBalancerId);
        if (lb) await ctx.drivers.network.deallocateVip(lb);
      }),
      task<S>('NovaServerGroupDelete', async (ctx, s) => {
        const lb = await ctx.store.loadBalancers.get(s.loadBalancerId);
        if (lb?.serverGroupId) await ctx.drivers.compute.deleteServerGroup(lb.serverGroupId);
      }),
      task<S>('MarkLBDeletedInDB', async (ctx, s) => {
        await ctx.store.loadBalancers.setStatus(s.loadBalancerId, { provisioningStatus: 'DELETED' });
      }),
    ),
    state: { loadBalancerId: p.loadBalancerId },
  };
}

/** Tags of objects deleted through foreign-key cascades live in the tag table and go explicitly. */
async function deleteTagsUnder(
  tx: import('../../db/store.js').Store,
  listenerIds: readonly string[],
  poolIds: readonly string[],
): Promise<void> {
  const members = await tx.members.where('pool_id', poolIds);
  const hms = await tx.healthMonitors.forPools(poolIds);
  const policies = await tx.l7policies.forListeners(listenerIds);
  const rules = await tx.l7rules.forPolicies(policies.map((p) => p.id));
  await tx.tags.deleteFor([...members, ...hms, ...policies, ...rules].map((o) => o.id));
}

export function failoverLoadBalancerFlow(
  p: JobPayloads['failover_load_balancer'],
  topology: Topology,
  waits: AmphoraWaits,
): { flow: Flow<LoadBalancerFlowState>; state: LoadBalancerFlowState } {
  type S = LoadBalancerFlowState;
  return {
    flow: flow<S>(
      'failover-load-balancer',
      loadBalancerToErrorOnRevert<S>(),
      task<S>('GetAmphoraeFromLoadbalancer', async (ctx, s) => {
        if (s.oldAmphorae) return;
        const amphorae = await ctx.store.amphorae.forLoadBalancer(s.loadBalancerId);
        for (const a of amphorae) await ctx.store.amphorae.setStatus(a.id, 'PENDING_DELETE');
        return { oldAmphorae: amphorae.map((a) => a.id) } as Partial<S>;
      }),
      allocateVip<S>(),
      updateVipSecurity<S>(),
      topologySubflow<S>(topology, waits),
      task<S>('DeleteFailedAmphorae', async (ctx, s) => {
        for (const id of s.oldAmphorae ?? []) await deleteAmphora(ctx, id);
      }),
      vrrpFor<S>(topology),
      handleNetworkDeltas<S>(),
      updateListenersOnAmphorae<S>(),
      markLoadBalancerActive<S>(),
    ),
    state: { loadBalancerId: p.loadBalancerId, markSubobjects: true },
  };
}
