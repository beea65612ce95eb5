/**
 * /v2/lbaas/loadbalancers: list, show, create (also single-call create of a whole graph), update,
 * delete (with cascade), status tree, statistics and failover (spec §2.1, §3, §4).
 */
import { Errors } from '../../domain/errors.js';
import { poolIdsOfListener } from '../../domain/graph.js';
import type { LoadBalancer } from '../../domain/load-balancer.js';
import { DELETABLE_STATUSES, FAILOVERABLE_STATUSES } from '../../domain/status.js';
import type { Store } from '../../db/store.js';
import { newId } from '../../lib/ids.js';
import type { ProviderDriver } from '../../providers/provider-driver.js';
import { policy } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { ApiRequest, Router } from '../router.js';
import { createGraph, graphResponse } from './graph.js';
import {
  check,
  getLoadBalancer,
  has,
  inTransaction,
  listResponse,
  scopedListRequest, lockLoadBalancer,
  now,
  oneResponse,
  parseList,
  rootObject,
  tagList,
  type Json,
} from './common.js';
import type { ListAttributes } from './list-params.js';
import { checkVipNetworkAllowed, validateVipRequest, type VipRequest } from './vip.js';
import { BODIES } from './wire/requests.js';
import { loadBalancerJson, statsJson } from './wire/responses.js';
import { resolveProvider } from './providers.js';

const TYPE = 'loadbalancer';

export const LOAD_BALANCER_ATTRIBUTES: ListAttributes = {
  id: { column: 'id', kind: 'string' },
  project_id: { column: 'project_id', kind: 'string' },
  name: { column: 'name', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  provisioning_status: { column: 'provisioning_status', kind: 'string' },
  operating_status: { column: 'operating_status', kind: 'string' },
  admin_state_up: { column: 'enabled', kind: 'boolean' },
  enabled: { column: 'enabled', kind: 'boolean' },
  topology: { column: 'topology', kind: 'string' },
  server_group_id: { column: 'server_group_id', kind: 'string' },
  provider: { column: 'provider', kind: 'string' },
  flavor_id: { column: 'flavor_id', kind: 'string' },
  availability_zone: { column: 'availability_zone', kind: 'string' },
  vip_address: { column: 'vip_address', kind: 'string' },
  vip_port_id: { column: 'vip_port_id', kind: 'string' },
  vip_subnet_id: { column: 'vip_subnet_id', kind: 'string' },
  vip_network_id: { column: 'vip_network_id', kind: 'string' },
  vip_qos_policy_id: { column: 'vip_qos_policy_id', kind: 'string' },
  vip_vnic_type: { column: 'vip_vnic_type', kind: 'string' },
  created_at: { column: 'created_at', kind: 'datetime' },
  updated_at: { column: 'updated_at', kind: 'datetime' },
};

async function render(store: Store, lbs: readonly LoadBalancer[]): Promise<Json[]> {
  const children = await store.loadBalancers.childIds(lbs.map((l) => l.id));
  return lbs.map((lb) => loadBalancerJson(lb, children.get(lb.id) ?? { listeners: [], pools: [] }));
}

function providerOf(deps: ApiDeps, lb: LoadBalancer): ProviderDriver {
  const name = lb.provider ?? 'octavia';
  const p = deps.providers.get(name);
  if (!p) throw Errors.providerNotFound(name);
  return p;
}

export function registerLoadBalancers(r: Router, deps: ApiDeps, prefixes: readonly string[]): void {
  const mount = { prefixes };
  r.add(
    {
      method: 'GET',
      path: '/loadbalancers',
      summary: 'List load balancers',
      handler: async (req) => {
        const parsed = parseList(deps, req, LOAD_BALANCER_ATTRIBUTES);
        const request = scopedListRequest(deps, req, TYPE, parsed);
        const lbs = await deps.store.loadBalancers.list(request);
        return { status: 200, body: listResponse(deps, req, parsed, 'loadbalancers', 'loadbalancers_links', await render(deps.store, lbs)) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: '/loadbalancers/:id',
      summary: 'Show a load balancer',
      handler: async (req) => {
        const lb = await getLoadBalancer(deps.store, req.params['id']!);
        check(deps, req, policy(TYPE, 'get_one'), lb.projectId);
        return { status: 200, body: oneResponse(deps, req, 'loadbalancer', (await render(deps.store, [lb]))[0]!) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'POST',
      path: '/loadbalancers',
      summary: 'Create a load balancer (optionally with its listeners, pools and everything under them)',
      body: BODIES.loadBalancerPost,
      handler: (req) => createLoadBalancer(deps, req),
    },
    mount,
  );

  r.add(
    {
      method: 'PUT',
      path: '/loadbalancers/:id',
      summary: 'Update a load balancer',
      body: BODIES.loadBalancerPut,
      handler: async (req) => {
        const body = rootObject(req.body, 'loadbalancer', 'loadbalancer');
        const id = req.params['id']!;
        const result = await inTransaction(deps, async (tx) => {
          const lb = await getLoadBalancer(tx, id);
          check(deps, req, policy(TYPE, 'put'), lb.projectId);
          if (has(body, 'vip_sg_ids')) check(deps, req, policy(TYPE, 'put:vip_sg_ids'), lb.projectId);
          if (has(body, 'vip_qos_policy_id')) {
            if (!deps.network.qosEnabled()) throw Errors.validation('VIP QoS policy is not allowed in this deployment.');
            const qos = body['vip_qos_policy_id'] as string | null;
            if (qos !== null && qos !== lb.vip.qosPolicyId && !(await deps.network.getQosPolicy(qos))) {
              throw Errors.invalidSubresource('qos_policy', qos);
            }
          }
          let sgIds = lb.vip.sgIds;
          if (has(body, 'vip_sg_ids')) {
            sgIds = (body['vip_sg_ids'] as string[] | null) ?? [];
            for (const sg of sgIds as (string | null)[]) {
              // A null entry is no security group (Neutron's lookup of None fails the same way).
              if (sg === null || !(await deps.network.getSecurityGroup(sg))) throw Errors.invalidSubresource('Security Group', sg ?? 'None');
            }
          }
          if (lb.vip.vnicType === 'direct' && sgIds.length > 0) {
            throw Errors.validation('VIP Security Groups are not allowed with VNIC direct type');
          }
          const provider = providerOf(deps, lb);
          await lockLoadBalancer(tx, id, ['ACTIVE'], 'PENDING_UPDATE');
          const updated: LoadBalancer = {
            ...lb,
            name: has(body, 'name') ? (body['name'] as string | null) : lb.name,
            description: has(body, 'description') ? (body['description'] as string | null) : lb.description,
            adminStateUp: has(body, 'admin_state_up') ? Boolean(body['admin_state_up']) : lb.adminStateUp,
            tags: has(body, 'tags') ? tagList(body['tags']) : lb.tags,
            vip: {
              ...lb.vip,
              qosPolicyId: has(body, 'vip_qos_policy_id') ? (body['vip_qos_policy_id'] as string | null) : lb.vip.qosPolicyId,
              sgIds,
            },
            provisioningStatus: 'PENDING_UPDATE',
            updatedAt: now(deps),
          };
          await tx.loadBalancers.save(updated);
          await provider.loadBalancerUpdate(tx, updated);
          return updated;
        });
        return { status: 200, body: { loadbalancer: (await render(deps.store, [result]))[0] } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'DELETE',
      path: '/loadbalancers/:id',
      summary: 'Delete a load balancer (cascade=true deletes everything under it)',
      query: ['cascade'],
      handler: async (req) => {
        const id = req.params['id']!;
        const cascadeParam = req.query['cascade'];
        const cascade = ['1', 't', 'true', 'on', 'y', 'yes'].includes(
          String(Array.isArray(cascadeParam) ? cascadeParam[cascadeParam.length - 1] : cascadeParam ?? '').toLowerCase(),
        );
        await inTransaction(deps, async (tx) => {
          const lb = await getLoadBalancer(tx, id);
          check(deps, req, policy(TYPE, 'delete'), lb.projectId);
          const provider = providerOf(deps, lb);
          const children = (await tx.loadBalancers.childIds([id])).get(id)!;
          if ((children.listeners.length > 0 || children.pools.length > 0) && !cascade) {
            throw Errors.validation(`Cannot delete Load Balancer ${id} - it has children`);
          }
          await lockLoadBalancer(tx, id, DELETABLE_STATUSES, 'PENDING_DELETE');
          await provider.loadBalancerDelete(tx, { ...lb, provisioningStatus: 'PENDING_DELETE' }, cascade);
        });
        return { status: 204 };
      },
    },
    mount,
  );

  for (const path of ['/loadbalancers/:id/status', '/loadbalancers/:id/statuses']) {
    r.add(
      {
        method: 'GET',
        path,
        summary: 'Status tree of a load balancer',
        handler: async (req) => {
          const lb = await getLoadBalancer(deps.store, req.params['id']!);
          check(deps, req, policy(TYPE, 'get_status'), lb.projectId);
          return { status: 200, body: { statuses: { loadbalancer: await statusTree(deps.store, lb.id) } } };
        },
      },
      mount,
    );
  }

  r.add(
    {
      method: 'GET',
      path: '/loadbalancers/:id/stats',
      summary: 'Traffic statistics of a load balancer',
      handler: async (req) => {
        const lb = await getLoadBalancer(deps.store, req.params['id']!);
        check(deps, req, policy(TYPE, 'get_stats'), lb.projectId);
        const listeners = await deps.store.listeners.forLoadBalancer(lb.id);
        const totals = await deps.store.statistics.totalsForListeners(listeners.map((l) => l.id));
        return { status: 200, body: { stats: statsJson(totals) } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'PUT',
      path: '/loadbalancers/:id/failover',
      summary: 'Fail over every amphora of a load balancer',
      handler: async (req) => {
        const id = req.params['id']!;
        await inTransaction(deps, async (tx) => {
          const lb = await getLoadBalancer(tx, id);
          check(deps, req, policy(TYPE, 'put_failover'), lb.projectId);
          const provider = providerOf(deps, lb);
          await lockLoadBalancer(tx, id, FAILOVERABLE_STATUSES, 'PENDING_UPDATE');
          await provider.loadBalancerFailover(tx, lb);
        });
        return { status: 202 };
      },
    },
    mount,
  );
}

/** `{"statuses":{"loadbalancer":{...}}}` body of spec §2.1. */
export async function statusTree(store: Store, lbId: string): Promise<Json> {
  const graph = (await store.loadBalancerGraph(lbId))!;
  const lb = graph.loadBalancer;
  const poolById = new Map(graph.pools.map((p) => [p.id, p]));
  return {
    listeners: graph.listeners.map((l) => ({
      pools: poolIdsOfListener(l, graph)
        .map((id) => poolById.get(id))
        .filter((p) => p !== undefined)
        .map((p) => {
          const hm = graph.healthMonitors.find((h) => h.poolId === p.id);
          return {
            ...(hm
              ? {
                  health_monitor: {
                    type: hm.type,
                    id: hm.id,
                    operating_status: hm.operatingStatus,
                    provisioning_status: hm.provisioningStatus,
                    name: hm.name ?? '',
                  },
                }
              : {}),
            members: graph.members
              .filter((m) => m.poolId === p.id)
              .map((m) => ({
                name: m.name ?? '',
                provisioning_status: m.provisioningStatus,
                address: m.address,
                protocol_port: m.protocolPort,
                id: m.id,
                operating_status: m.operatingStatus,
              })),
            id: p.id,
            operating_status: p.operatingStatus,
            name: p.name ?? '',
            provisioning_status: p.provisioningStatus,
          };
        }),
      provisioning_status: l.provisioningStatus,
      id: l.id,
      operating_status: l.operatingStatus,
      name: l.name ?? '',
    })),
    provisioning_status: lb.provisioningStatus,
    id: lb.id,
    operating_status: lb.operatingStatus,
    name: lb.name ?? '',
  };
}

async function createLoadBalancer(deps: ApiDeps, req: ApiRequest) {
  const body = rootObject(req.body, 'loadbalancer', 'loadbalancer');
  const projectId = (body['project_id'] as string | null | undefined) || req.ctx.projectId;
  if (!projectId) throw Errors.missingProjectId();
  check(deps, req, policy(TYPE, 'post'), projectId);
  if (has(body, 'vip_sg_ids')) check(deps, req, policy(TYPE, 'post:vip_sg_ids'), projectId);

  const vip: VipRequest = {
    address: (body['vip_address'] as string | null) ?? null,
    portId: (body['vip_port_id'] as string | null) ?? null,
    subnetId: (body['vip_subnet_id'] as string | null) ?? null,
    networkId: (body['vip_network_id'] as string | null) ?? null,
    qosPolicyId: (body['vip_qos_policy_id'] as string | null) ?? null,
    qosGiven: has(body, 'vip_qos_policy_id'),
    sgIds: (body['vip_sg_ids'] as string[] | null | undefined) ?? null,
    additional: ((body['additional_vips'] as Json[] | null) ?? []).map((a) => ({
      subnetId: a['subnet_id'] as string,
      ipAddress: (a['ip_address'] as string | null) ?? null,
      portId: (a['port_id'] as string | null) ?? null,
      networkId: null,
    })),
  };
  const configTopology = deps.config.controller_worker.loadbalancer_topology;
  await validateVipRequest(deps, vip, configTopology);

  const flavorId = has(body, 'flavor_id') ? (body['flavor_id'] as string | null) : undefined;
  const azName = has(body, 'availability_zone') ? (body['availability_zone'] as string | null) : undefined;
  const store = deps.store;
  if (flavorId !== undefined) {
    const flavor = flavorId === null ? null : await store.flavors.get(flavorId);
    if (!flavor) throw Errors.validation('Invalid flavor_id.');
    if (!flavor.enabled) throw Errors.disabledOption('flavor', flavorId);
  }
  if (azName !== undefined) {
    const az = azName === null ? null : await store.availabilityZones.get(azName);
    if (!az) throw Errors.validation('Invalid availability zone.');
    if (!az.enabled) throw Errors.disabledOption('availability_zone', azName);
  }
  const { provider, flavorMetadata } = await resolveProvider(deps, store, has(body, 'provider') ? (body['provider'] as string | null) : undefined, flavorId ?? undefined);
  const topology = (flavorMetadata['loadbalancer_topology'] as 'SINGLE' | 'ACTIVE_STANDBY' | undefined) ?? configTopology;

  let azMetadata: Record<string, unknown> = {};
  if (azName) {
    const az = (await store.availabilityZones.get(azName))!;
    const profile = await store.availabilityZones.getProfile(az.availabilityZoneProfileId);
    azMetadata = profile ? (JSON.parse(profile.availabilityZoneData) as Record<string, unknown>) : {};
    if (Object.keys(azMetadata).length > 0) provider.validateAvailabilityZone(azMetadata);
  }
  checkVipNetworkAllowed(deps, vip.networkId!, (azMetadata['valid_vip_networks'] as string[] | undefined) ?? null);
  const vnicType = flavorMetadata['sriov_vip'] === true ? 'direct' : 'normal';
  if (vnicType === 'direct' && vip.sgIds && vip.sgIds.length > 0) {
    throw Errors.validation('VIP Security Groups are not allowed with VNIC direct type');
  }

  const created = now(deps);
  let lb: LoadBalancer = {
    id: newId(),
    projectId,
    name: (body['name'] as string | null) ?? null,
    description: (body['description'] as string | null) ?? null,
    adminStateUp: Boolean(body['admin_state_up'] ?? false),
    provisioningStatus: 'PENDING_CREATE',
    operatingStatus: 'OFFLINE',
    topology,
    serverGroupId: null,
    provider: provider.name,
    flavorId: flavorId ?? null,
    availabilityZone: azName ?? null,
    vip: {
      address: vip.address,
      portId: vip.portId,
      subnetId: vip.subnetId,
      networkId: vip.networkId,
      qosPolicyId: vip.qosPolicyId,
      octaviaOwned: false,
      vnicType,
      sgIds: vip.sgIds ?? [],
    },
    additionalVips: vip.additional.map((a) => ({ subnetId: a.subnetId, networkId: a.networkId, portId: a.portId, ipAddress: a.ipAddress })),
    tags: tagList(body['tags']),
    createdAt: created,
    updatedAt: null,
  };
  const listeners = (body['listeners'] as Json[] | null) ?? [];
  const pools = (body['pools'] as Json[] | null) ?? [];

  // The VIP port is picked (or the user's confirmed) before the rows are written, so that the
  // response carries the address; it is released again if the create fails.
  const allocation = await deps.vips.allocate(lb);
  lb = { ...lb, vip: allocation.vip, additionalVips: allocation.additionalVips };
  let graph;
  try {
    graph = await inTransaction(deps, async (tx) => {
      await tx.loadBalancers.insert(lb);
      const built = await createGraph({ tx, deps, req, lb, graph: true, now: created }, listeners, pools);
      await provider.loadBalancerCreate(tx, lb, built);
      return built;
    });
  } catch (err) {
    await deps.vips.deallocate(lb).catch((e: unknown) => deps.log.error({ err: e, lb: lb.id }, 'releasing the VIP of a failed create failed'));
    throw err;
  }
  // The row is exactly what was inserted; only a graph needs its children read back.
  const children = listeners.length > 0 || pools.length > 0 ? await graphResponse(deps.store, graph) : { listeners: [], pools: [] };
  return { status: 201, body: { loadbalancer: loadBalancerJson(lb, children) } };
}
