/**
 * The flow registry: job kind → flow and initial state. Flows are built from the payload and, where
 * the shape of the flow depends on stored data (topology, amphora role), from the database at the
 * time the job is first run; that is recorded in the job payload so a resumed job builds the same
 * flow.
 */
import { DomainError } from '../../domain/errors.js';
import type { Store } from '../../db/store.js';
import type { Flow } from '../engine/task.js';
import type { AmphoraWaits } from '../tasks/amphorae.js';
import { createSpareAmphoraFlow, deleteAmphoraFlow, failoverAmphoraFlow, updateAmphoraAgentConfigFlow } from './amphora.js';
import { certRotateAmphoraFlow } from './cert-rotate-amphora.js';
import { batchMembersFlow, healthMonitorFlow, l7policyFlow, l7ruleFlow, listenerFlow, memberFlow, poolFlow } from './children.js';
import {
  createLoadBalancerFlow,
  deleteLoadBalancerFlow,
  failoverLoadBalancerFlow,
  updateLoadBalancerFlow,
} from './load-balancer.js';
import type { JobKind, JobPayloads } from './payloads.js';
import { providerStatusFlow } from './provider-status.js';

export interface BuiltFlow {
  readonly flow: Flow<unknown>;
  readonly state: unknown;
}

export interface FlowSettings {
  readonly waits: AmphoraWaits;
  readonly defaultTopology: 'SINGLE' | 'ACTIVE_STANDBY';
}

/* eslint-disable @typescript-eslint/no-explicit-any -- each branch is typed; the registry erases the state type */
const erase = (b: { flow: Flow<any>; state: unknown }): BuiltFlow => b as BuiltFlow;

export async function buildFlow(kind: string, payload: unknown, store: Store, settings: FlowSettings): Promise<BuiltFlow> {
  const p = payload as any;
  switch (kind as JobKind) {
    case 'create_load_balancer':
      return erase(createLoadBalancerFlow(p as JobPayloads['create_load_balancer'], settings.waits));
    case 'update_load_balancer':
      return erase(updateLoadBalancerFlow(p));
    case 'delete_load_balancer':
      return erase(deleteLoadBalancerFlow(p));
    case 'failover_load_balancer': {
      const lb = await store.loadBalancers.get(p.loadBalancerId);
      return erase(failoverLoadBalancerFlow(p, lb?.topology ?? settings.defaultTopology, settings.waits));
    }
    case 'failover_amphora': {
      const amphora = await store.amphorae.get(p.amphoraId);
      const role = amphora?.role ?? (p.loadBalancerId ? 'STANDALONE' : null);
      return erase(failoverAmphoraFlow(p, role, settings.waits));
    }
    case 'delete_amphora':
      return erase(deleteAmphoraFlow(p));
    case 'create_spare_amphora':
      return erase(createSpareAmphoraFlow(settings.waits));
    case 'update_amphora_agent_config':
      return erase(updateAmphoraAgentConfigFlow(p));
    case 'cert_rotate_amphora':
      return erase(certRotateAmphoraFlow(p));
    case 'create_listener':
      return erase(listenerFlow('create', p));
    case 'update_listener':
      return erase(listenerFlow('update', p));
    case 'delete_listener':
      return erase(listenerFlow('delete', p));
    case 'create_pool':
      return erase(poolFlow('create', p));
    case 'update_pool':
      return erase(poolFlow('update', p));
    case 'delete_pool':
      return erase(poolFlow('delete', p));
    case 'create_member':
      return erase(memberFlow('create', p));
    case 'update_member':
      return erase(memberFlow('update', p));
    case 'delete_member':
      return erase(memberFlow('delete', p));
    case 'batch_update_members':
      return erase(batchMembersFlow(p));
    case 'create_health_monitor':
      return erase(healthMonitorFlow('create', p));
    case 'update_health_monitor':
      return erase(healthMonitorFlow('update', p));
    case 'delete_health_monitor':
      return erase(healthMonitorFlow('delete', p));
    case 'create_l7policy':
      return erase(l7policyFlow('create', p));
    case 'update_l7policy':
      return erase(l7policyFlow('update', p));
    case 'delete_l7policy':
      return erase(l7policyFlow('delete', p));
    case 'create_l7rule':
      return erase(l7ruleFlow('create', p));
    case 'update_l7rule':
      return erase(l7ruleFlow('update', p));
    case 'delete_l7rule':
      return erase(l7ruleFlow('delete', p));
    case 'provider_status_update':
      return erase(providerStatusFlow(p));
  }
  throw new DomainError('internal', `unknown job kind ${kind}`);
}
