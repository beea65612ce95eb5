/** Amphora flows: failover of one amphora (spec §6.6), admin delete, agent configuration push. */
import { DomainError } from '../../domain/errors.js';
import { flow, task, type Flow } from '../engine/task.js';
import { buildAmphora, deleteAmphora, plugVipOnAmphora, type AmphoraBuildState, type AmphoraWaits } from '../tasks/amphorae.js';
import { markLoadBalancerActive } from '../tasks/database.js';
import { loadBalancerToErrorOnRevert } from '../tasks/lifecycle.js';
import { handleNetworkDeltas, updateListenersOnAmphorae } from '../tasks/listeners.js';
import { vrrpSubflow } from '../tasks/vrrp.js';
import type { AmphoraRole } from '../../domain/status.js';
import type { JobPayloads } from './payloads.js';

export interface AmphoraFlowState extends AmphoraBuildState {
  readonly amphoraId: string;
  readonly markSubobjects?: boolean;
}

const amphoraToErrorOnRevert = <S extends AmphoraFlowState>() =>
  task<S>(
    'AmphoraToErrorOnRevert',
    async () => undefined,
    async (ctx, s) => {
      const amphora = await ctx.store.amphorae.get(s.amphoraId);
      if (amphora && amphora.status !== 'DELETED') await ctx.store.amphorae.setStatus(s.amphoraId, 'ERROR');
    },
  );

export function failoverAmphoraFlow(
  p: JobPayloads['failover_amphora'],
  role: AmphoraRole | null,
  waits: AmphoraWaits,
): { flow: Flow<AmphoraFlowState>; state: AmphoraFlowState } {
  type S = AmphoraFlowState;
  const markPendingDelete = task<S>('MarkAmphoraPendingDeleteInDB', async (ctx, s) => {
    await ctx.store.amphorae.setStatus(s.amphoraId, 'PENDING_DELETE');
  });
  const deleteFailed = task<S>('DeleteFailedAmphora', async (ctx, s) => deleteAmphora(ctx, s.amphoraId));
  if (p.loadBalancerId === null || role === null) {
    // An amphora without a load balancer (a spare) is simply removed.
    return {
      flow: flow<S>('failover-amphora', amphoraToErrorOnRevert<S>(), markPendingDelete, deleteFailed),
      state: { amphoraId: p.amphoraId, loadBalancerId: '' },
    };
  }
  return {
    flow: flow<S>(
      'failover-amphora',
      loadBalancerToErrorOnRevert<S>(),
      amphoraToErrorOnRevert<S>(),
      markPendingDelete,
      buildAmphora<S>(role, waits),
      plugVipOnAmphora<S>(role),
      deleteFailed,
      handleNetworkDeltas<S>(),
      updateListenersOnAmphorae<S>(),
      // A MASTER or BACKUP replacement: keepalived on it, and the survivor's names the new peer
      // (upstream's VRRP sub-flow without CreateVRRPGroupForLB). STANDALONE has none.
      role === 'MASTER' || role === 'BACKUP' ? vrrpSubflow<S>() : [],
      markLoadBalancerActive<S>(),
    ),
    state: { amphoraId: p.amphoraId, loadBalancerId: p.loadBalancerId, markSubobjects: true },
  };
}

export function deleteAmphoraFlow(p: JobPayloads['delete_amphora']): { flow: Flow<AmphoraFlowState>; state: AmphoraFlowState } {
  type S = AmphoraFlowState;
  return {
    flow: flow<S>(
      'delete-amphora',
      amphoraToErrorOnRevert<S>(),
      task<S>('DeleteAmphora', async (ctx, s) => deleteAmphora(ctx, s.amphoraId)),
    ),
    state: { amphoraId: p.amphoraId, loadBalancerId: '' },
  };
}

export function updateAmphoraAgentConfigFlow(p: JobPayloads['update_amphora_agent_config']): {
  flow: Flow<AmphoraFlowState>;
  state: AmphoraFlowState;
} {
  type S = AmphoraFlowState;
  return {
    flow: flow<S>(
      'update-amphora-agent-config',
      task<S>('AmphoraConfigUpdate', async (ctx, s) => {
        const amphora = await ctx.store.amphorae.get(s.amphoraId);
        if (!amphora) throw new DomainError('internal', `amphora ${s.amphoraId} vanished`);
        await ctx.drivers.amphora.updateAgentConfig(amphora);
      }),
    ),
    state: { amphoraId: p.amphoraId, loadBalancerId: '' },
  };
}

/** A spare for the pool: built and left READY, with no load balancer (spec §6.8). */
export function createSpareAmphoraFlow(waits: AmphoraWaits): { flow: Flow<AmphoraFlowState>; state: AmphoraFlowState } {
  type S = AmphoraFlowState;
  return {
    flow: flow<S>('create-spare-amphora', buildAmphora<S>(null, waits)),
    state: { amphoraId: '', loadBalancerId: '' },
  };
}
