/**
 * /v2/octavia/amphorae (spec §2.12): the admin view of the HAProxy instances. Listing and showing
 * read rows; delete, failover and agent configuration only change statuses and queue a worker job
 * in the same transaction. DELETED amphorae are invisible.
 */
import type { Amphora } from '../../domain/amphora.js';
import { Errors } from '../../domain/errors.js';
import type { JobKind, JobPayloads } from '../../controller/flows/payloads.js';
import type { Store } from '../../db/store.js';
import { newId } from '../../lib/ids.js';
import { policy } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { ApiRequest, Router } from '../router.js';
import { check, inTransaction, listResponse, lockLoadBalancerForChild, oneResponse, parseList } from './common.js';
import type { ListAttributes } from './list-params.js';
import { amphoraJson, amphoraStatsJson } from './wire/responses.js';

const TYPE = 'amphora';
/** `project_id` filters on the amphora's load balancer, not on a column of its own. */
const PROJECT_FILTER = 'project_id';

export const AMPHORA_ATTRIBUTES: ListAttributes = {
  id: { column: 'id', kind: 'string' },
  loadbalancer_id: { column: 'load_balancer_id', kind: 'string' },
  load_balancer_id: { column: 'load_balancer_id', kind: 'string' },
  compute_id: { column: 'compute_id', kind: 'string' },
  status: { column: 'status', kind: 'string' },
  lb_network_ip: { column: 'lb_network_ip', kind: 'string' },
  vrrp_ip: { column: 'vrrp_ip', kind: 'string' },
  ha_ip: { column: 'ha_ip', kind: 'string' },
  vrrp_port_id: { column: 'vrrp_port_id', kind: 'string' },
  ha_port_id: { column: 'ha_port_id', kind: 'string' },
  role: { column: 'role', kind: 'string' },
  cert_expiration: { column: 'cert_expiration', kind: 'datetime' },
  cert_busy: { column: 'cert_busy', kind: 'boolean' },
  vrrp_interface: { column: 'vrrp_interface', kind: 'string' },
  vrrp_id: { column: 'vrrp_id', kind: 'integer' },
  vrrp_priority: { column: 'vrrp_priority', kind: 'integer' },
  cached_zone: { column: 'cached_zone', kind: 'string' },
  image_id: { column: 'image_id', kind: 'string' },
  compute_flavor: { column: 'compute_flavor', kind: 'string' },
  created_at: { column: 'created_at', kind: 'datetime' },
  updated_at: { column: 'updated_at', kind: 'datetime' },
  project_id: { column: PROJECT_FILTER, kind: 'string' },
};

/** The amphora, or 404 `Amphora <id> not found.` when missing or DELETED. */
async function getAmphora(store: Store, id: string): Promise<Amphora> {
  const amphora = await store.amphorae.get(id);
  if (!amphora || amphora.status === 'DELETED') throw Errors.notFound('Amphora', id);
  return amphora;
}

async function enqueue<K extends JobKind>(tx: Store, kind: K, payload: JobPayloads[K], resourceId: string): Promise<void> {
  await tx.jobs.enqueue({ id: newId(), kind, payload, resourceId });
}

/**
 * Failover and configuration authorize against the project of the amphora's load balancer. A spare
 * amphora has none (upstream fails with a 500 there); it is checked against the caller's project.
 */
async function ownerOf(tx: Store, req: ApiRequest, amphora: Amphora) {
  const lb = amphora.loadBalancerId ? await tx.loadBalancers.get(amphora.loadBalancerId) : null;
  return { lb, projectId: lb?.projectId ?? req.ctx.projectId };
}

export function registerAmphorae(r: Router, deps: ApiDeps, prefixes: readonly string[]): void {
  const mount = { prefixes };

  r.add(
    {
      method: 'GET',
      path: '/amphorae',
      summary: 'List amphorae',
      handler: async (req) => {
        check(deps, req, policy(TYPE, 'get_all'), req.ctx.projectId);
        const parsed = parseList(deps, req, AMPHORA_ATTRIBUTES);
        if (parsed.request.sort.some((s) => s.column === PROJECT_FILTER)) throw Errors.invalidSortKey('project_id');
        const request = { ...parsed.request, filters: parsed.request.filters.filter((f) => f.column !== PROJECT_FILTER) };
        const amphorae = await deps.store.amphorae.list(request, parsed.projectIdFilter ?? undefined);
        return {
          status: 200,
          body: listResponse(deps, req, parsed, 'amphorae', 'amphorae_links', amphorae.map(amphoraJson)),
        };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: '/amphorae/:id',
      summary: 'Show an amphora',
      handler: async (req) => {
        const amphora = await getAmphora(deps.store, req.params['id']!);
        check(deps, req, policy(TYPE, 'get_one'), req.ctx.projectId);
        return { status: 200, body: oneResponse(deps, req, 'amphora', amphoraJson(amphora)) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'DELETE',
      path: '/amphorae/:id',
      summary: 'Delete an amphora in ERROR',
      handler: async (req) => {
        const id = req.params['id']!;
        check(deps, req, policy(TYPE, 'delete'), req.ctx.projectId);
        await inTransaction(deps, async (tx) => {
          await getAmphora(tx, id);
          if (!(await tx.amphorae.compareAndSetStatus(id, ['ERROR'], 'PENDING_DELETE'))) {
            throw Errors.immutable('amphora', id);
          }
          await enqueue(tx, 'delete_amphora', { amphoraId: id }, id);
        });
        return { status: 204 };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'PUT',
      path: '/amphorae/:id/failover',
      summary: 'Replace an amphora',
      handler: async (req) => {
        const id = req.params['id']!;
        await inTransaction(deps, async (tx) => {
          const amphora = await getAmphora(tx, id);
          const { lb, projectId } = await ownerOf(tx, req, amphora);
          check(deps, req, policy(TYPE, 'put_failover'), projectId);
          if (lb) await lockLoadBalancerForChild(tx, lb.id);
          await enqueue(tx, 'failover_amphora', { amphoraId: id, loadBalancerId: lb?.id ?? null }, id);
        });
        return { status: 202 };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'PUT',
      path: '/amphorae/:id/config',
      summary: "Push a fresh agent configuration to an amphora",
      handler: async (req) => {
        const id = req.params['id']!;
        await inTransaction(deps, async (tx) => {
          const amphora = await getAmphora(tx, id);
          const { projectId } = await ownerOf(tx, req, amphora);
          check(deps, req, policy(TYPE, 'put_config'), projectId);
          await enqueue(tx, 'update_amphora_agent_config', { amphoraId: id }, id);
        });
        return { status: 202 };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: '/amphorae/:id/stats',
      summary: 'Per-listener traffic counters of an amphora',
      handler: async (req) => {
        const id = req.params['id']!;
        check(deps, req, policy(TYPE, 'get_stats'), req.ctx.projectId);
        // As upstream: any stored amphora row (DELETED too) with counters; none → 404.
        const amphora = await deps.store.amphorae.get(id);
        const rows = amphora ? await deps.store.statistics.forAmphora(id) : [];
        if (rows.length === 0) throw Errors.notFound('Amphora stats for', id);
        return { status: 200, body: { amphora_stats: rows.map((s) => amphoraStatsJson(s, amphora!.loadBalancerId)) } };
      },
    },
    mount,
  );
}
