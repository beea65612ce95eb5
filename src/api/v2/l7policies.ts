/**
 * /v2/lbaas/l7policies: list, show, create, update, delete (spec §2.7), and the builder single-call
 * create uses for a listener's embedded policies and their rules. Positions stay contiguous 1..N
 * per listener; redirect attributes are made consistent with the action the way upstream's
 * `sanitize_l7policy_api_args` does.
 */
import { Errors } from '../../domain/errors.js';
import { MAX_L7RULES_PER_L7POLICY, MAX_POLICY_POSITION, type L7Policy, type L7PolicyAction, type L7Rule } from '../../domain/l7.js';
import { LISTENER_POOL_PROTOCOLS, type Listener } from '../../domain/listener.js';
import type { Pool } from '../../domain/pool.js';
import type { Store } from '../../db/store.js';
import { newId } from '../../lib/ids.js';
import { policy as rbac } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { Router } from '../router.js';
import type { BuildContext } from './builders.js';
import {
  check,
  getLoadBalancer,
  has,
  inTransaction,
  listResponse,
  scopedListRequest, lockLoadBalancerForChild,
  now,
  oneResponse,
  parseList,
  rootObject,
  tagList,
  type Json,
} from './common.js';
import { newL7Rule, validateL7Rule } from './l7rules.js';
import type { ListAttributes } from './list-params.js';
import { getDriver } from './providers.js';
import { BODIES } from './wire/requests.js';
import { l7policyJson } from './wire/responses.js';
import { invalidInput } from './wire/wsme.js';

const TYPE = 'l7policy';

export const L7POLICY_ATTRIBUTES: ListAttributes = {
  id: { column: 'id', kind: 'string' },
  project_id: { column: 'project_id', kind: 'string' },
  name: { column: 'name', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  listener_id: { column: 'listener_id', kind: 'string' },
  action: { column: 'action', kind: 'string' },
  redirect_pool_id: { column: 'redirect_pool_id', kind: 'string' },
  redirect_url: { column: 'redirect_url', kind: 'string' },
  redirect_prefix: { column: 'redirect_prefix', kind: 'string' },
  redirect_http_code: { column: 'redirect_http_code', kind: 'integer' },
  position: { column: 'position', kind: 'integer' },
  admin_state_up: { column: 'enabled', kind: 'boolean' },
  enabled: { column: 'enabled', kind: 'boolean' },
  provisioning_status: { column: 'provisioning_status', kind: 'string' },
  operating_status: { column: 'operating_status', kind: 'string' },
  created_at: { column: 'created_at', kind: 'datetime' },
  updated_at: { column: 'updated_at', kind: 'datetime' },
};

/** Redirect targets are written into HAProxy `redirect` lines: no blanks or control characters, ≤ 255. */
const URL_FORBIDDEN = /[\x00-\x20\x7f-\x9f]/;

function checkRedirectUrl(name: string, value: unknown): void {
  if (typeof value !== 'string') return;
  if (URL_FORBIDDEN.test(value)) throw invalidInput(name, value, 'Value must be a valid URL string');
  if ([...value].length > 255) throw invalidInput(name, value, 'Value should have a maximum character requirement of 255');
}

/**
 * Upstream's `sanitize_l7policy_api_args` on a copy of a decoded request object (API names): the
 * action decides which redirect attributes survive, and a given redirect attribute implies its
 * action. `create` requires an action.
 */
export function sanitizeL7Policy(input: Json, create: boolean): Json {
  const p: Json = { ...input };
  const args = (msg: string) => Errors.l7policyArgs(msg);
  if (has(p, 'action')) {
    switch (p['action']) {
      case 'REJECT':
        p['redirect_url'] = null;
        p['redirect_pool_id'] = null;
        delete p['redirect_pool'];
        break;
      case 'REDIRECT_TO_URL':
        if (!p['redirect_url']) throw args('redirect_url must not be None');
        p['redirect_pool_id'] = null;
        delete p['redirect_pool'];
        break;
      case 'REDIRECT_TO_POOL':
        if (!p['redirect_pool_id'] && !p['redirect_pool']) throw args('redirect_pool_id or redirect_pool must not be None');
        p['redirect_url'] = null;
        break;
      case 'REDIRECT_PREFIX':
        if (!p['redirect_prefix']) throw args('redirect_prefix must not be None');
        break;
      default:
        throw Errors.l7policyAction(p['action'] === null ? 'None' : String(p['action']));
    }
  }
  if ((p['redirect_pool_id'] || p['redirect_pool']) && (p['redirect_url'] || p['redirect_prefix'])) {
    throw args('Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time');
  }
  if (p['redirect_pool_id'] || p['redirect_pool']) {
    if (p['redirect_pool_id']) delete p['redirect_pool'];
    else delete p['redirect_pool_id'];
    Object.assign(p, { action: 'REDIRECT_TO_POOL', redirect_url: null, redirect_prefix: null, redirect_http_code: null });
  }
  if (p['redirect_url']) {
    checkRedirectUrl('redirect_url', p['redirect_url']);
    Object.assign(p, { action: 'REDIRECT_TO_URL', redirect_pool_id: null, redirect_prefix: null });
    delete p['redirect_pool'];
    if (!p['redirect_http_code']) p['redirect_http_code'] = 302;
  }
  if (p['redirect_prefix']) {
    checkRedirectUrl('redirect_prefix', p['redirect_prefix']);
    Object.assign(p, { action: 'REDIRECT_PREFIX', redirect_pool_id: null, redirect_url: null });
    delete p['redirect_pool'];
    if (!p['redirect_http_code']) p['redirect_http_code'] = 302;
  }
  if (create && !has(p, 'action')) throw Errors.l7policyAction('None');
  if (Object.keys(p).length === 0) throw args('Invalid update options');
  return p;
}

/** 400 when the pool's protocol cannot serve the listener's (spec §2.3). */
export function checkListenerPoolProtocol(listenerProtocol: Listener['protocol'], poolProtocol: Pool['protocol']): void {
  if (!LISTENER_POOL_PROTOCOLS[listenerProtocol].includes(poolProtocol)) {
    throw Errors.validation(`The pool protocol '${poolProtocol}' is invalid while the listener protocol is '${listenerProtocol}'.`);
  }
}

/** Upstream's repository check of a redirect pool: same load balancer and project as the listener. */
async function checkRedirectPool(tx: Store, listener: Listener, poolId: string): Promise<Pool> {
  const pool = await tx.pools.get(poolId);
  if (!pool || pool.loadBalancerId !== listener.loadBalancerId || pool.projectId !== listener.projectId) {
    throw Errors.notFound('Pool', poolId);
  }
  return pool;
}

export interface BuiltL7Policy {
  readonly policy: L7Policy;
  readonly rules: readonly L7Rule[];
}

/**
 * Validates and inserts one policy (PENDING_CREATE/OFFLINE) on `listener`, at its requested
 * position, with its embedded rules. In single-call create `redirect_pool` names a pool of the same
 * request (`poolNameIds`). The caller locks and calls the provider.
 */
export async function buildL7Policy(
  b: BuildContext,
  listener: Listener,
  input: Json,
  poolNameIds: ReadonlyMap<string, string> | null,
): Promise<BuiltL7Policy> {
  const { tx } = b;
  const request: Json = { ...input };
  const redirectPool = request['redirect_pool'] as Json | null | undefined;
  delete request['redirect_pool'];
  if (redirectPool) {
    const name = redirectPool['name'] as string;
    const id = poolNameIds?.get(name);
    if (!id) throw Errors.singleCreateDetailsMissing('Pool', name);
    request['redirect_pool_id'] = id;
  }
  const p = sanitizeL7Policy(request, true);
  const id = newId();
  const rules = (p['rules'] as Json[] | null | undefined) ?? [];
  if (rules.length > MAX_L7RULES_PER_L7POLICY) throw Errors.tooManyL7Rules(id);
  for (const r of rules) {
    validateL7Rule({
      type: (r['type'] as string | null | undefined) ?? null,
      compare_type: (r['compare_type'] as string | null | undefined) ?? null,
      key: (r['key'] as string | null | undefined) ?? null,
      value: (r['value'] as string | null | undefined) ?? null,
    });
  }
  const action = p['action'] as L7PolicyAction;
  const redirectPoolId = (p['redirect_pool_id'] as string | null | undefined) ?? null;
  if (action === 'REDIRECT_TO_POOL') {
    const pool = await checkRedirectPool(tx, listener, redirectPoolId!);
    // Upstream skips this check in single-call create; a pool the listener cannot use would only
    // fail later, on the amphora.
    if (b.graph) checkListenerPoolProtocol(listener.protocol, pool.protocol);
  }
  const redirectUrl = (p['redirect_url'] as string | null | undefined) ?? null;
  const redirectPrefix = (p['redirect_prefix'] as string | null | undefined) ?? null;
  let httpCode = (p['redirect_http_code'] as number | null | undefined) ?? null;
  if ((redirectUrl || redirectPrefix) && !httpCode) httpCode = 302;
  const policy: L7Policy = {
    id,
    projectId: listener.projectId,
    listenerId: listener.id,
    name: (p['name'] as string | null | undefined) ?? null,
    description: (p['description'] as string | null | undefined) ?? null,
    action,
    redirectPoolId,
    redirectUrl,
    redirectPrefix,
    redirectHttpCode: httpCode,
    position: MAX_POLICY_POSITION,
    adminStateUp: p['admin_state_up'] === undefined ? true : Boolean(p['admin_state_up']),
    provisioningStatus: 'PENDING_CREATE',
    operatingStatus: 'OFFLINE',
    tags: tagList(p['tags']),
    createdAt: b.now,
    updatedAt: null,
  };
  await tx.l7policies.insert(policy);
  // Appended first, then moved to the requested place (upstream's ordering-list dance).
  const requested = (p['position'] as number | null | undefined) ?? MAX_POLICY_POSITION;
  await tx.l7policies.renumber(listener.id, { id, position: requested });
  // Placing it touched updated_at; a new object has none (as upstream resets it).
  const stored: L7Policy = { ...(await tx.l7policies.get(id))!, updatedAt: null };
  await tx.l7policies.save(stored);
  const created: L7Rule[] = [];
  for (const r of rules) {
    const rule = newL7Rule(stored, r, b.now);
    await tx.l7rules.insert(rule);
    created.push(rule);
  }
  return { policy: stored, rules: created };
}

async function getPolicy(store: Store, id: string): Promise<L7Policy> {
  const p = await store.l7policies.get(id);
  if (!p || p.provisioningStatus === 'DELETED') throw Errors.notFound('L7 Policy', id);
  return p;
}

async function getListener(store: Store, id: string): Promise<Listener> {
  const l = await store.listeners.get(id);
  if (!l || l.provisioningStatus === 'DELETED') throw Errors.notFound('Listener', id);
  return l;
}

async function render(store: Store, policies: readonly L7Policy[]): Promise<Json[]> {
  const rules = await store.l7rules.forPolicies(policies.map((p) => p.id));
  return policies.map((p) =>
    l7policyJson(
      p,
      rules.filter((r) => r.l7policyId === p.id).map((r) => r.id),
    ),
  );
}

/** The LB + listener lock of every policy change (spec §3.2). */
async function lockForPolicy(tx: Store, listener: Listener): Promise<void> {
  await lockLoadBalancerForChild(tx, listener.loadBalancerId);
  await tx.listeners.setStatus(listener.id, { provisioningStatus: 'PENDING_UPDATE' });
}

export function registerL7Policies(r: Router, deps: ApiDeps, prefixes: readonly string[]): void {
  const mount = { prefixes };

  r.add(
    {
      method: 'GET',
      path: '/l7policies',
      summary: 'List L7 policies',
      handler: async (req) => {
        const parsed = parseList(deps, req, L7POLICY_ATTRIBUTES);
        const request = scopedListRequest(deps, req, TYPE, parsed);
        const policies = await deps.store.l7policies.list(request);
        return { status: 200, body: listResponse(deps, req, parsed, 'l7policies', 'l7policies_links', await render(deps.store, policies)) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: '/l7policies/:id',
      summary: 'Show an L7 policy',
      handler: async (req) => {
        const p = await getPolicy(deps.store, req.params['id']!);
        check(deps, req, rbac(TYPE, 'get_one'), p.projectId);
        return { status: 200, body: oneResponse(deps, req, 'l7policy', (await render(deps.store, [p]))[0]!) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'POST',
      path: '/l7policies',
      summary: 'Create an L7 policy',
      body: BODIES.l7policyPost,
      handler: async (req) => {
        const body = rootObject(req.body, 'l7policy', 'l7policy');
        const created = await inTransaction(deps, async (tx) => {
          const listener = await getListener(tx, body['listener_id'] as string);
          const lb = await getLoadBalancer(tx, listener.loadBalancerId);
          check(deps, req, rbac(TYPE, 'post'), lb.projectId);
          if (listener.protocol === 'PROMETHEUS') throw Errors.listenerNoChildren('PROMETHEUS');
          const poolId = body['redirect_pool_id'] as string | null | undefined;
          if (poolId) {
            const pool = await tx.pools.get(poolId);
            if (!pool) throw Errors.notFound('Pool', poolId);
            checkListenerPoolProtocol(listener.protocol, pool.protocol);
          }
          const provider = getDriver(deps, lb.provider);
          if (((body['rules'] as unknown[] | null | undefined) ?? []).length > 0) {
            // Upstream fails with a 500 here; rules are created through the policy's rules URL.
            throw Errors.validation('Rules can only be embedded in L7 policies created together with their load balancer.');
          }
          sanitizeL7Policy(body, true);
          await lockForPolicy(tx, listener);
          const built = await buildL7Policy({ tx, deps, req, lb, graph: false, now: now(deps) }, listener, body, null);
          await provider.l7policyCreate(tx, listener, built.policy, { listenerIds: [listener.id] });
          return built.policy;
        });
        return { status: 201, body: { l7policy: (await render(deps.store, [(await deps.store.l7policies.get(created.id)) ?? created]))[0] } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'PUT',
      path: '/l7policies/:id',
      summary: 'Update an L7 policy',
      body: BODIES.l7policyPut,
      handler: async (req) => {
        const id = req.params['id']!;
        const updated = await inTransaction(deps, async (tx) => {
          const current = await getPolicy(tx, id);
          const listener = await getListener(tx, current.listenerId);
          const lb = await getLoadBalancer(tx, listener.loadBalancerId);
          check(deps, req, rbac(TYPE, 'put'), lb.projectId);
          const p = sanitizeL7Policy(rootObject(req.body, 'l7policy', 'l7policy'), false);
          const poolId = p['redirect_pool_id'] as string | null | undefined;
          if (poolId) {
            const pool = await tx.pools.get(poolId);
            if (!pool) throw Errors.notFound('Pool', poolId);
            checkListenerPoolProtocol(listener.protocol, pool.protocol);
          }
          const provider = getDriver(deps, lb.provider);
          await lockForPolicy(tx, listener);
          const next = applyUpdate(current, p);
          if (p['action'] === 'REDIRECT_TO_POOL') await checkRedirectPool(tx, listener, p['redirect_pool_id'] as string);
          await tx.l7policies.save({ ...next, provisioningStatus: 'PENDING_UPDATE', updatedAt: now(deps) });
          const position = p['position'] as number | null | undefined;
          if (typeof position === 'number' && position !== current.position) {
            await tx.l7policies.renumber(listener.id, { id, position });
          }
          const stored = (await tx.l7policies.get(id))!;
          await provider.l7policyUpdate(tx, listener, stored, { listenerIds: [listener.id] });
          return stored;
        });
        return { status: 200, body: { l7policy: (await render(deps.store, [(await deps.store.l7policies.get(id)) ?? updated]))[0] } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'DELETE',
      path: '/l7policies/:id',
      summary: 'Delete an L7 policy',
      handler: async (req) => {
        await inTransaction(deps, async (tx) => {
          const p = await getPolicy(tx, req.params['id']!);
          const listener = await getListener(tx, p.listenerId);
          const lb = await getLoadBalancer(tx, listener.loadBalancerId);
          check(deps, req, rbac(TYPE, 'delete'), lb.projectId);
          const provider = getDriver(deps, lb.provider);
          await lockForPolicy(tx, listener);
          await tx.l7policies.setStatus(p.id, { provisioningStatus: 'PENDING_DELETE' });
          await provider.l7policyDelete(tx, listener, { ...p, provisioningStatus: 'PENDING_DELETE' }, { listenerIds: [listener.id] });
        });
        return { status: 204 };
      },
    },
    mount,
  );
}

/**
 * Upstream's repository update of a policy: the sanitized attributes are written, and the action
 * (when given or implied) clears the redirect attributes it does not use. Unlike upstream, a result
 * whose action lacks its target (e.g. `redirect_url: null` on a REDIRECT_TO_URL policy) is refused:
 * it could not be configured.
 */
function applyUpdate(current: L7Policy, p: Json): L7Policy {
  const pick = <T>(name: string, value: T): T => (has(p, name) ? (p[name] as T) : value);
  let next: L7Policy = {
    ...current,
    name: pick('name', current.name),
    description: pick('description', current.description),
    adminStateUp: has(p, 'admin_state_up') ? Boolean(p['admin_state_up']) : current.adminStateUp,
    action: pick('action', current.action),
    redirectPoolId: pick('redirect_pool_id', current.redirectPoolId),
    redirectUrl: pick('redirect_url', current.redirectUrl),
    redirectPrefix: pick('redirect_prefix', current.redirectPrefix),
    redirectHttpCode: pick('redirect_http_code', current.redirectHttpCode),
    tags: has(p, 'tags') ? tagList(p['tags']) : current.tags,
  };
  if (has(p, 'action')) {
    const clear = {
      REJECT: { redirectUrl: null, redirectPoolId: null, redirectPrefix: null, redirectHttpCode: null },
      REDIRECT_TO_URL: { redirectPoolId: null, redirectPrefix: null },
      REDIRECT_TO_POOL: { redirectUrl: null, redirectPrefix: null, redirectHttpCode: null },
      REDIRECT_PREFIX: { redirectUrl: null, redirectPoolId: null },
    }[next.action];
    next = { ...next, ...clear };
  }
  const missing =
    next.action === 'REDIRECT_TO_URL' && !next.redirectUrl
      ? 'redirect_url'
      : next.action === 'REDIRECT_PREFIX' && !next.redirectPrefix
        ? 'redirect_prefix'
        : next.action === 'REDIRECT_TO_POOL' && !next.redirectPoolId
          ? 'redirect_pool_id'
          : null;
  if (missing) throw Errors.l7policyArgs(`${missing} must not be None`);
  return next;
}
