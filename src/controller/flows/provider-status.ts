/**
 * Applies an outcome report of a provider that completes on its own (upstream's driver agent
 * `update_loadbalancer_status`, spec §9.3). Objects reported DELETED are removed (load balancers
 * are marked DELETED); other statuses are written as given. Order: members, health monitors,
 * pools, L7 rules, L7 policies, listeners, load balancers.
 */
import { isOneOf, OPERATING_STATUSES, PROVISIONING_STATUSES } from '../../domain/status.js';
import type { Store } from '../../db/store.js';
import { flow, task, type Flow } from '../engine/task.js';
import type { JobPayloads, ObjectStatus } from './payloads.js';

interface State {
  readonly update: JobPayloads['provider_status_update']['update'];
}

function change(o: ObjectStatus) {
  return {
    ...(isOneOf(PROVISIONING_STATUSES, o.provisioning_status) ? { provisioningStatus: o.provisioning_status } : {}),
    ...(isOneOf(OPERATING_STATUSES, o.operating_status) ? { operatingStatus: o.operating_status } : {}),
  };
}

async function apply(tx: Store, u: State['update']): Promise<void> {
  const groups = [
    ['members', tx.members],
    ['healthmonitors', tx.healthMonitors],
    ['pools', tx.pools],
    ['l7rules', tx.l7rules],
    ['l7policies', tx.l7policies],
    ['listeners', tx.listeners],
  ] as const;
  for (const [key, repo] of groups) {
    for (const o of u[key] ?? []) {
      if (o.provisioning_status === 'DELETED') {
        if (key === 'listeners') await tx.statistics.deleteForListeners([o.id]);
        if (key === 'pools') await tx.listeners.clearDefaultPool(o.id);
        await repo.delete(o.id);
        if (key === 'l7policies') continue;
      } else {
        await repo.setStatus(o.id, change(o));
      }
    }
  }
  for (const o of u.loadbalancers ?? []) await tx.loadBalancers.setStatus(o.id, change(o));
}

export function providerStatusFlow(p: JobPayloads['provider_status_update']): { flow: Flow<State>; state: State } {
  return {
    flow: flow<State>(
      'provider-status-update',
      task<State>('UpdateStatuses', async (ctx, s) => ctx.store.transaction((tx) => apply(tx, s.update))),
    ),
    state: { update: p.update },
  };
}
