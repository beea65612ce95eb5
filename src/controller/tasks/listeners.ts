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

/**
 * upstream's CalculateDelta + HandleNetworkDeltas + AmphoraePostNetworkPlug: every amphora gets an
 * interface on each subnet its members name (other than the VIP's), and loses the ones no member
 * needs any more.
 */
export function handleNetworkDeltas<S extends { readonly loadBalancerId: string }>(): Task<S> {
  return task<S>('HandleNetworkDeltas', async (ctx, s) => {
    const stored = await ctx.store.loadBalancerGraph(s.loadBalancerId);
    if (!stored) throw new DomainError('internal', `load balancer ${s.loadBalancerId} vanished`);
    const graph = withoutPendingDeletes(stored);
    const vipSubnets = new Set([graph.loadBalancer.vip.subnetId, ...graph.loadBalancer.additionalVips.map((v) => v.subnetId)]);
    const needed = new Set(
      graph.members.map((m) => m.subnetId).filter((id): id is string => id !== null && !vipSubnets.has(id)),
    );
    for (const amphora of graph.amphorae) {
      if (amphora.status !== 'ALLOCATED') continue;
      const plugged = new Set(await ctx.drivers.network.pluggedSubnets(amphora));
      for (const subnetId of needed) {
        if (plugged.has(subnetId)) continue;
        const port = await ctx.drivers.network.plugNetwork(amphora, subnetId);
        await ctx.drivers.amphora.postNetworkPlug(amphora, port);
      }
      for (const subnetId of plugged) {
        if (!needed.has(subnetId)) await ctx.drivers.network.unplugNetwork(amphora, subnetId);
      }
    }
  });
}
