/**
 * Helpers every resource handler shares: upstream's project scoping of lists, lookups that turn
 * "missing or DELETED" into 404, the load balancer lock, and a transaction wrapper that wakes the
 * worker after commit.
 */
import { Errors } from '../../domain/errors.js';
import type { LoadBalancer } from '../../domain/load-balancer.js';
import type { ProvisioningStatus } from '../../domain/status.js';
import type { ListFilter, ListRequest } from '../../db/list-query.js';
import type { Store } from '../../db/store.js';
import { timestamp } from '../../lib/clock.js';
import { authorize, policy, type PolicyAction } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { ApiRequest } from '../router.js';
import { parseListQuery, parseMaxLimit, pageLinks, fieldsParam, selectFields, type ListAttributes, type ParsedList } from './list-params.js';

export type Json = Record<string, unknown>;

/** Runs `fn` in one transaction; wakes the in-process worker after a successful commit. */
export async function inTransaction<T>(deps: ApiDeps, fn: (tx: Store) => Promise<T>): Promise<T> {
  const result = await deps.store.transaction(fn);
  deps.jobsEnqueued();
  return result;
}

export function now(deps: ApiDeps): string {
  return timestamp(deps.clock.now());
}

/**
 * Upstream's `_auth_get_all`: callers allowed `<type>:get_all-global` see every project unless they
 * filter by project_id; others see their own project (or the one they name, if allowed).
 * Returns the project to filter on, or null for all projects.
 */
export function listScope(deps: ApiDeps, req: ApiRequest, type: string, projectIdFilter: string | null): string | null {
  const ctx = req.ctx;
  if (deps.authorizer.allows(ctx, policy(type, 'get_all-global'), { projectId: ctx.projectId })) {
    return projectIdFilter;
  }
  const project = projectIdFilter ?? ctx.projectId;
  if (!project) throw Errors.policyForbidden();
  authorize(deps.authorizer, ctx, policy(type, 'get_all'), { projectId: project });
  return project;
}

/**
 * A list request scoped as upstream scopes lists: the query's filters plus, for callers who may not
 * see every project, their project.
 */
export function scopedListRequest(deps: ApiDeps, req: ApiRequest, type: string, parsed: ParsedList): ListRequest {
  const project = listScope(deps, req, type, parsed.projectIdFilter);
  return project && !parsed.projectIdFilter
    ? { ...parsed.request, filters: [...parsed.request.filters, { column: 'project_id', values: [project] }] }
    : parsed.request;
}

export function check(deps: ApiDeps, req: ApiRequest, action: PolicyAction, projectId: string | null): void {
  authorize(deps.authorizer, req.ctx, action, { projectId });
}

export function listSettings(deps: ApiDeps) {
  const api = deps.config.api_settings;
  return {
    allowPagination: api.allow_pagination,
    allowSorting: api.allow_sorting,
    allowFiltering: api.allow_filtering,
    maxLimit: parseMaxLimit(api.pagination_max_limit),
  };
}

export function parseList(
  deps: ApiDeps,
  req: ApiRequest,
  attributes: ListAttributes,
  extraFilters: readonly ListFilter[] = [],
): ParsedList {
  return parseListQuery(req.query, attributes, listSettings(deps), { extraFilters });
}

/** Builds `{<key>: [...], <linksKey>: [...]}` with field selection and upstream's links. */
export function listResponse(
  deps: ApiDeps,
  req: ApiRequest,
  parsed: ParsedList,
  key: string,
  linksKey: string,
  items: readonly Json[],
): Json {
  const fields = deps.config.api_settings.allow_field_selection ? fieldsParam(req.query) : null;
  return {
    [key]: items.map((i) => selectFields(i, fields)),
    [linksKey]: deps.config.api_settings.allow_pagination ? pageLinks(parsed, items as { id: string }[], req.pathUrl) : [],
  };
}

export function oneResponse(deps: ApiDeps, req: ApiRequest, key: string, item: Json): Json {
  const fields = deps.config.api_settings.allow_field_selection ? fieldsParam(req.query) : null;
  return { [key]: selectFields(item, fields) };
}

/** The load balancer, or 404 when missing or DELETED. */
export async function getLoadBalancer(store: Store, id: string): Promise<LoadBalancer> {
  const lb = await store.loadBalancers.get(id);
  if (!lb || lb.provisioningStatus === 'DELETED') throw Errors.notFound('Load Balancer', id);
  return lb;
}

/**
 * The lock of spec §3.2 for changes to objects under a load balancer: ACTIVE → PENDING_UPDATE,
 * otherwise 409 "Load Balancer <id> is immutable and cannot be updated.".
 */
export async function lockLoadBalancerForChild(tx: Store, lbId: string): Promise<void> {
  if (!(await tx.loadBalancers.compareAndSetStatus(lbId, ['ACTIVE'], 'PENDING_UPDATE'))) {
    throw Errors.immutable('Load Balancer', lbId);
  }
}

/** The lock for the load balancer's own operations: 409 "Invalid state <s> of loadbalancer resource <id>". */
export async function lockLoadBalancer(
  tx: Store,
  lbId: string,
  from: readonly ProvisioningStatus[],
  to: ProvisioningStatus,
): Promise<void> {
  if (!(await tx.loadBalancers.compareAndSetStatus(lbId, from, to))) {
    const lb = await tx.loadBalancers.get(lbId);
    throw Errors.lbPendingState(lb?.provisioningStatus ?? 'DELETED', lbId);
  }
}

/** The object under the body's root key, or 400 "No <name> object supplied." when absent. */
export function rootObject(body: Json, key: string, name: string): Json {
  const inner = body[key];
  if (inner === undefined || inner === null) throw Errors.validation(`No ${name} object supplied.`);
  return inner as Json;
}

/** True when the attribute was present in the request (even as null). */
export const has = (o: Json, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** Tags: dedupe but keep order. */
export function tagList(value: unknown): string[] {
  return Array.isArray(value) ? [...new Set(value.filter((t): t is string => typeof t === 'string'))] : [];
}
