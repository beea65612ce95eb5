/**
 * /quotas (spec §2.9): per-project limits. The table holds what operators set (null = "use the
 * configured default"); lists show those raw values, single-project answers the effective ones.
 * Enforcement is not here: it happens where objects are created.
 */
import { Errors } from '../../domain/errors.js';
import { QUOTA_RESOURCES, type QuotaLimits, type QuotaResource } from '../../domain/quota.js';
import { policy } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { Router } from '../router.js';
import { check, has, inTransaction, scopedListRequest, listSettings, rootObject, type Json } from './common.js';
import { pageLinks, parseListQuery, type ListAttributes } from './list-params.js';
import { BODIES } from './wire/requests.js';
import { quotaJson } from './wire/responses.js';

const TYPE = 'quota';

const int = (column: string) => ({ column, kind: 'integer' as const });

/** API names (both spellings) and the columns upstream also accepts as filters. */
export const QUOTA_ATTRIBUTES: ListAttributes = {
  project_id: { column: 'project_id', kind: 'string' },
  loadbalancer: int('load_balancer'),
  load_balancer: int('load_balancer'),
  listener: int('listener'),
  member: int('member'),
  pool: int('pool'),
  healthmonitor: int('health_monitor'),
  health_monitor: int('health_monitor'),
  l7policy: int('l7policy'),
  l7rule: int('l7rule'),
  in_use_load_balancer: int('in_use_load_balancer'),
  in_use_listener: int('in_use_listener'),
  in_use_member: int('in_use_member'),
  in_use_pool: int('in_use_pool'),
  in_use_health_monitor: int('in_use_health_monitor'),
  in_use_l7policy: int('in_use_l7policy'),
  in_use_l7rule: int('in_use_l7rule'),
};

/**
 * Request keys per resource. Where both spellings are sent, upstream's dictionary conversion lets
 * the alias without underscore win (`loadbalancer`, `healthmonitor`).
 */
const REQUEST_KEYS: Readonly<Record<QuotaResource, readonly string[]>> = {
  loadBalancer: ['loadbalancer', 'load_balancer'],
  listener: ['listener'],
  pool: ['pool'],
  healthMonitor: ['healthmonitor', 'health_monitor'],
  member: ['member'],
  l7policy: ['l7policy'],
  l7rule: ['l7rule'],
};

export function defaultLimits(deps: ApiDeps): QuotaLimits {
  const q = deps.config.quotas;
  return {
    loadBalancer: q.default_load_balancer_quota,
    listener: q.default_listener_quota,
    pool: q.default_pool_quota,
    healthMonitor: q.default_health_monitor_quota,
    member: q.default_member_quota,
    l7policy: q.default_l7policy_quota,
    l7rule: q.default_l7rule_quota,
  };
}

/** Stored limits with every null replaced by its configured default. */
export function effectiveLimits(deps: ApiDeps, stored: QuotaLimits | null): QuotaLimits {
  const defaults = defaultLimits(deps);
  if (!stored) return defaults;
  const out = {} as Record<QuotaResource, number | null>;
  for (const r of QUOTA_RESOURCES) out[r] = stored[r] ?? defaults[r];
  return out;
}

async function effectiveQuota(deps: ApiDeps, projectId: string): Promise<Json> {
  const row = await deps.store.quotas.get(projectId);
  return { quota: quotaJson(projectId, effectiveLimits(deps, row?.limits ?? null)) };
}

export function registerQuotas(r: Router, deps: ApiDeps, prefixes: readonly string[]): void {
  const mount = { prefixes };

  r.add(
    {
      method: 'GET',
      path: '/quotas',
      summary: 'List the quota rows of projects (null: the configured default)',
      handler: async (req) => {
        // Rows are keyed by project: sorted and paged by project id (upstream has no order and
        // links with `marker=None`). `fields` is not supported here, as upstream.
        const parsed = parseListQuery(req.query, QUOTA_ATTRIBUTES, listSettings(deps), { defaultSort: ['project_id'] });
        const request = scopedListRequest(deps, req, TYPE, parsed);
        const rows = await deps.store.quotas.list(request);
        return {
          status: 200,
          body: {
            quotas: rows.map((q) => quotaJson(q.projectId, q.limits)),
            quotas_links: deps.config.api_settings.allow_pagination
              ? pageLinks(parsed, rows.map((q) => ({ id: q.projectId })), req.pathUrl)
              : [],
          },
        };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: '/quotas/:project_id',
      summary: "A project's effective quota",
      handler: async (req) => {
        const projectId = req.params['project_id']!;
        check(deps, req, policy(TYPE, 'get_one'), projectId);
        return { status: 200, body: await effectiveQuota(deps, projectId) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: '/quotas/:project_id/default',
      summary: 'The configured default quota',
      handler: async (req) => {
        const projectId = req.params['project_id']!;
        check(deps, req, policy(TYPE, 'get_defaults'), projectId);
        return { status: 200, body: { quota: quotaJson(projectId, defaultLimits(deps)) } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'PUT',
      path: '/quotas/:project_id',
      summary: "Set some or all of a project's limits (null: back to the default)",
      body: BODIES.quotaPut,
      handler: async (req) => {
        const projectId = req.params['project_id']!;
        check(deps, req, policy(TYPE, 'put'), projectId);
        // Upstream answers a body without "quota" with a 500 (KeyError).
        const body = rootObject(req.body, 'quota', 'quota');
        const changes: Partial<Record<QuotaResource, number | null>> = {};
        for (const resource of QUOTA_RESOURCES) {
          const key = REQUEST_KEYS[resource].find((k) => has(body, k));
          if (key !== undefined) changes[resource] = body[key] as number | null;
        }
        await inTransaction(deps, (tx) => tx.quotas.setLimits(projectId, changes));
        return { status: 202, body: await effectiveQuota(deps, projectId) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'DELETE',
      path: '/quotas/:project_id',
      summary: "Reset a project's limits to the defaults",
      handler: async (req) => {
        const projectId = req.params['project_id']!;
        check(deps, req, policy(TYPE, 'delete'), projectId);
        await inTransaction(deps, async (tx) => {
          // The row stays (with its usage counters), every limit back to null.
          if (!(await tx.quotas.get(projectId))) throw Errors.notFound('Quotas', projectId);
          const reset: Partial<Record<QuotaResource, null>> = {};
          for (const r of QUOTA_RESOURCES) reset[r] = null;
          await tx.quotas.setLimits(projectId, reset);
        });
        return { status: 202 };
      },
    },
    mount,
  );
}
