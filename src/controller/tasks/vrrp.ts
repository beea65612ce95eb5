/**
 * The VRRP sub-flow of ACTIVE_STANDBY load balancers (spec §6.3, §6.6): find the interface of each
 * amphora's vrrp_ip, render and upload keepalived for each, start (or reload) it. Each task covers
 * every ALLOCATED amphora of the load balancer, like ListenersUpdate, so that the configuration of
 * the surviving amphora of a failover names its new peer. Re-running any of them is harmless.
 *
 * No vrrp_group row: vrrp_id (1) is set with the VIP data, priorities with the role
 * (MarkAmphoraAllocatedInDB), advert_int comes from [keepalived_vrrp]; VRRPv3 has no
 * authentication, so upstream's group row would hold nothing the renderer uses.
 */
import type { Amphora } from '../../domain/amphora.js';
import { DomainError } from '../../domain/errors.js';
import { withoutPendingDeletes, type LoadBalancerGraph } from '../../domain/graph.js';
import type { Subnet } from '../../domain/network.js';
import { task, type Task, type TaskContext } from '../engine/task.js';

async function graphOf(ctx: TaskContext, loadBalancerId: string): Promise<LoadBalancerGraph> {
  const stored = await ctx.store.loadBalancerGraph(loadBalancerId);
  if (!stored) throw new DomainError('internal', `load balancer ${loadBalancerId} vanished`);
  return withoutPendingDeletes(stored);
}

/**
 * The amphorae to configure, highest priority first: the MASTER's keepalived starts first and, with
 * the shorter master-down timer as well, wins the first election, as upstream intends.
 */
const allocated = (graph: LoadBalancerGraph): Amphora[] =>
  graph.amphorae
    .filter((a) => a.status === 'ALLOCATED')
    .sort((a, b) => (b.vrrpPriority ?? 0) - (a.vrrpPriority ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** upstream's AmphoraIndexUpdateVRRPInterface: stores the interface that holds each vrrp_ip. */
export function updateVrrpInterfaces<S extends { readonly loadBalancerId: string }>(): Task<S> {
  return task<S>('AmphoraUpdateVRRPInterface', async (ctx, s) => {
    for (const amphora of allocated(await graphOf(ctx, s.loadBalancerId))) {
      const vrrpInterface = await ctx.drivers.amphora.getVrrpInterface(amphora);
      if (vrrpInterface !== amphora.vrrpInterface) await ctx.store.amphorae.update(amphora.id, { vrrpInterface });
    }
  });
}

/** upstream's AmphoraIndexVRRPUpdate: renders and uploads keepalived.conf on each amphora. */
export function updateVrrpConfigs<S extends { readonly loadBalancerId: string }>(): Task<S> {
  return task<S>('AmphoraVRRPUpdate', async (ctx, s) => {
    const graph = await graphOf(ctx, s.loadBalancerId);
    const lb = graph.loadBalancer;
    const subnetIds = [...new Set([lb.vip.subnetId, ...lb.additionalVips.map((v) => v.subnetId)])];
    const subnets: Subnet[] = [];
    for (const id of subnetIds) {
      const subnet = id ? await ctx.drivers.network.getSubnet(id) : null;
      if (subnet) subnets.push(subnet);
    }
    for (const amphora of allocated(graph)) await ctx.drivers.amphora.updateVrrpConfig(graph, amphora, subnets);
  });
}

/** upstream's AmphoraIndexVRRPStart: starts keepalived (a running one reloads its configuration). */
export function startVrrp<S extends { readonly loadBalancerId: string }>(): Task<S> {
  return task<S>('AmphoraVRRPStart', async (ctx, s) => {
    for (const amphora of allocated(await graphOf(ctx, s.loadBalancerId))) await ctx.drivers.amphora.startVrrp(amphora);
  });
}

/** The VRRP sub-flow: interfaces, configurations, start. */
export function vrrpSubflow<S extends { readonly loadBalancerId: string }>(): Task<S>[] {
  return [updateVrrpInterfaces<S>(), updateVrrpConfigs<S>(), startVrrp<S>()];
}
