/** Pushes a load balancer's configuration to each of its amphorae (upstream's ListenersUpdate). */
import { DomainError } from '../../domain/errors.js';
import { withoutPendingDeletes } from '../../domain/graph.js';
import { task, type Task } from '../engine/task.js';

export function updateListenersOnAmphorae<S extends { readonly loadBalancerId: string }>(): Task<S> {
  return task<S>('ListenersUpdate', async (ctx, s) => {
    const stored = await ctx.store.loadBalancerGraph(s.loadBalancerId);
    if (!stored) throw new DomainError('internal', `load balancer ${s.loadBalancerId} vanished`);
    const graph = withoutPendingDeletes(stored);
    for (const amphora of graph.amphorae) {
      if (amphora.status !== 'ALLOCATED') continue;
      await ctx.drivers.amphora.updateListeners(graph, amphora);
    }
  });
}

/** Removes every listener from the amphorae (the last listener of a load balancer was deleted). */
export function deleteListenersOnAmphorae<S extends { readonly loadBalancerId: string }>(): Task<S> {
  return task<S>('ListenersDelete', async (ctx, s) => {
    const lb = await ctx.store.loadBalancers.get(s.loadBalancerId);
    if (!lb) return;
    for (const amphora of await ctx.store.amphorae.forLoadBalancer(lb.id)) {
      if (amphora.status === 'ALLOCATED') await ctx.drivers.amphora.deleteListeners(lb, amphora);
    }
  });
}
