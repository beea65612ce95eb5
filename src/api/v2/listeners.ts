/**
 * /v2/lbaas/listeners: list, show, create, update, delete and statistics (spec §2.2, §2.3), and the
 * listener builder single-call create shares (with the listener's embedded L7 policies). Validation
 * follows upstream's order, because a request with several problems must get upstream's error.
 */
import { Errors, pyRepr } from '../../domain/errors.js';
import {
  INSERT_HEADERS,
  SSL_INSERT_HEADERS,
  l4Protocol,
  type ClientAuthentication,
  type Listener,
  type ListenerProtocol,
} from '../../domain/listener.js';
import type { LoadBalancer } from '../../domain/load-balancer.js';
import type { L7Policy, L7Rule } from '../../domain/l7.js';
import { isUniqueViolation, type Store } from '../../db/store.js';
import { newId } from '../../lib/ids.js';
import { policy as rbac } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { ApiRequest, Router } from '../router.js';
import type { BuildContext, BuiltListener } from './builders.js';
import { check, has, inTransaction, listResponse, scopedListRequest, lockLoadBalancerForChild, now, oneResponse, parseList, rootObject, tagList, type Json } from './common.js';
import { buildL7Policy, checkListenerPoolProtocol } from './l7policies.js';
import type { ListAttributes } from './list-params.js';
import { getDriver } from './providers.js';
import {
  validateListenerTlsCreate,
  validateListenerTlsProtocolsCreate,
  validateListenerTlsProtocolsUpdate,
  validateListenerTlsUpdate,
  type ListenerTlsDraft,
} from './tls.js';
import { BODIES } from './wire/requests.js';
import { listenerJson, statsJson } from './wire/responses.js';
import { invalidInput } from './wire/wsme.js';

const TYPE = 'listener';

/** Filter and sort keys: API names and the database names upstream also accepts. */
export const LISTENER_ATTRIBUTES: ListAttributes = {
  id: { column: 'id', kind: 'string' },
  project_id: { column: 'project_id', kind: 'string' },
  name: { column: 'name', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  provisioning_status: { column: 'provisioning_status', kind: 'string' },
  operating_status: { column: 'operating_status', kind: 'string' },
  admin_state_up: { column: 'enabled', kind: 'boolean' },
  enabled: { column: 'enabled', kind: 'boolean' },
  protocol: { column: 'protocol', kind: 'string' },
  protocol_port: { column: 'protocol_port', kind: 'integer' },
  connection_limit: { column: 'connection_limit', kind: 'integer' },
  loadbalancer_id: { column: 'load_balancer_id', kind: 'string' },
  load_balancer_id: { column: 'load_balancer_id', kind: 'string' },
  default_pool_id: { column: 'default_pool_id', kind: 'string' },
  default_tls_container_ref: { column: 'tls_certificate_id', kind: 'string' },
  tls_certificate_id: { column: 'tls_certificate_id', kind: 'string' },
  client_ca_tls_container_ref: { column: 'client_ca_tls_certificate_id', kind: 'string' },
  client_ca_tls_certificate_id: { column: 'client_ca_tls_certificate_id', kind: 'string' },
  client_authentication: { column: 'client_authentication', kind: 'string' },
  client_crl_container_ref: { column: 'client_crl_container_id', kind: 'string' },
  client_crl_container_id: { column: 'client_crl_container_id', kind: 'string' },
  timeout_client_data: { column: 'timeout_client_data', kind: 'integer' },
  timeout_member_connect: { column: 'timeout_member_connect', kind: 'integer' },
  timeout_member_data: { column: 'timeout_member_data', kind: 'integer' },
  timeout_tcp_inspect: { column: 'timeout_tcp_inspect', kind: 'integer' },
  tls_ciphers: { column: 'tls_ciphers', kind: 'string' },
  hsts_max_age: { column: 'hsts_max_age', kind: 'integer' },
  hsts_include_subdomains: { column: 'hsts_include_subdomains', kind: 'boolean' },
  hsts_preload: { column: 'hsts_preload', kind: 'boolean' },
  peer_port: { column: 'peer_port', kind: 'integer' },
  created_at: { column: 'created_at', kind: 'datetime' },
  updated_at: { column: 'updated_at', kind: 'datetime' },
};

const HEADER_INSERTING_PROTOCOLS: readonly ListenerProtocol[] = ['HTTP', 'TERMINATED_HTTPS'];
const KNOWN_HEADERS: readonly string[] = [...INSERT_HEADERS, ...SSL_INSERT_HEADERS];
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/**
 * Upstream's `_validate_insert_headers`. Its messages render the offending keys as Python does:
 * `dict_keys([...])` on create, a list on update.
 */
function validateInsertHeaders(headers: Json, protocol: ListenerProtocol, on: 'create' | 'update'): void {
  const keys = Object.keys(headers);
  if (!HEADER_INSERTING_PROTOCOLS.includes(protocol)) throw Errors.invalidOption('insert-headers', `a ${protocol} protocol listener.`);
  if (keys.some((k) => !KNOWN_HEADERS.includes(k))) {
    throw Errors.invalidOption(on === 'create' ? `dict_keys(${pyRepr(keys)})` : pyRepr(keys), 'insert_headers');
  }
  if (protocol !== 'TERMINATED_HTTPS') {
    const ssl = keys.filter((k) => (SSL_INSERT_HEADERS as readonly string[]).includes(k));
    if (ssl.length > 0) throw Errors.invalidOption(pyRepr(ssl), `${protocol} protocol listener.`);
  }
  // Upstream stores any string; values are only read as booleans, but nothing that could break a
  // configuration line is kept.
  for (const v of Object.values(headers)) {
    if (typeof v !== 'string' || CONTROL.test(v)) {
      throw invalidInput('insert_headers', headers, 'Values should be strings without control characters');
    }
  }
}

/** A default pool must be on the listener's load balancer and speak a compatible protocol. */
async function checkDefaultPool(tx: Store, lbId: string, poolId: string, protocol: ListenerProtocol): Promise<void> {
  if (protocol === 'PROMETHEUS') throw Errors.listenerNoChildren('PROMETHEUS');
  // No protocol: upstream's lookup crashes here (500); the insert would refuse it as below.
  if (protocol === null) throw Errors.invalidOption(null, 'protocol');
  const pool = await tx.pools.get(poolId);
  if (!pool || pool.loadBalancerId !== lbId) throw Errors.notFound('Pool', poolId);
  checkListenerPoolProtocol(protocol, pool.protocol);
}

/** Port uniqueness is per L4 protocol (TCP:80 and HTTP:80 clash; TCP:80 and UDP:80 do not). */
async function checkPortConflict(tx: Store, lbId: string, protocol: ListenerProtocol, port: number): Promise<void> {
  const clash = (await tx.listeners.forLoadBalancer(lbId)).find(
    (l) => l.protocolPort === port && l4Protocol(l.protocol) === l4Protocol(protocol),
  );
  if (clash) throw Errors.duplicateListener(clash.protocol, port);
}

/** Allowed CIDRs need a VIP of their IP family, and are not used with custom VIP security groups. */
function checkAllowedCidrs(lb: LoadBalancer, cidrs: readonly string[]): void {
  if (cidrs.length > 0 && lb.vip.sgIds.length > 0) {
    throw Errors.validation('Allowed CIDRs are not allowed when using custom VIP Security Groups.');
  }
  const vips = [lb.vip.address, ...lb.additionalVips.map((v) => v.ipAddress)];
  for (const cidr of cidrs) {
    const v6 = cidr.includes(':');
    if (!vips.some((v) => v !== null && v.includes(':') === v6)) {
      throw Errors.validation(`CIDR ${cidr} IP version incompatible with all VIPs ${pyRepr(vips)} IP version.`);
    }
  }
}

function tlsDraft(l: Listener, input: Json): ListenerTlsDraft {
  return {
    ...l,
    sniContainerRefs: (input['sni_container_refs'] as (string | null)[] | null | undefined) ?? [],
    clientAuthentication: has(input, 'client_authentication')
      ? (input['client_authentication'] as ClientAuthentication | null)
      : 'NONE',
  };
}

const str = (v: unknown): string | null => (v === undefined || v === null ? null : (v as string));

/** The listener row of a create request, with upstream's defaults (db_prepare.create_listener). */
function draftListener(b: BuildContext, input: Json): Listener {
  const { deps, lb } = b;
  const api = deps.config.api_settings;
  const timeouts = deps.config.haproxy_amphora;
  const protocol = input['protocol'] as ListenerProtocol;
  const tls = protocol === 'TERMINATED_HTTPS';
  const orNull = <T>(k: string): T | null => (input[k] ?? null) as T | null;
  return {
    id: newId(),
    projectId: lb.projectId,
    loadBalancerId: lb.id,
    name: str(input['name']),
    description: str(input['description']),
    adminStateUp: input['admin_state_up'] === undefined ? true : Boolean(input['admin_state_up']),
    protocol,
    protocolPort: input['protocol_port'] as number,
    connectionLimit: (input['connection_limit'] as number | null | undefined) ?? -1,
    defaultPoolId: str(input['default_pool_id']),
    defaultTlsContainerRef: str(input['default_tls_container_ref']),
    sniContainerRefs: ((input['sni_container_refs'] as (string | null)[] | null | undefined) ?? []).filter((r): r is string => r !== null),
    clientCaTlsContainerRef: str(input['client_ca_tls_container_ref']),
    clientAuthentication: (input['client_authentication'] as ClientAuthentication | null | undefined) ?? 'NONE',
    clientCrlContainerRef: str(input['client_crl_container_ref']),
    insertHeaders: (input['insert_headers'] as Record<string, string> | null | undefined) ?? {},
    timeoutClientData: (input['timeout_client_data'] as number | null | undefined) ?? timeouts.timeout_client_data,
    timeoutMemberConnect: (input['timeout_member_connect'] as number | null | undefined) ?? timeouts.timeout_member_connect,
    timeoutMemberData: (input['timeout_member_data'] as number | null | undefined) ?? timeouts.timeout_member_data,
    timeoutTcpInspect: (input['timeout_tcp_inspect'] as number | null | undefined) ?? timeouts.timeout_tcp_inspect,
    allowedCidrs: [...new Set(((input['allowed_cidrs'] as (string | null)[] | null | undefined) ?? []).filter((c): c is string => c !== null))],
    tlsCiphers: tls ? (orNull<string>('tls_ciphers') ?? api.default_listener_ciphers) : orNull<string>('tls_ciphers'),
    tlsVersions: tls ? (orNull<string[]>('tls_versions') ?? [...api.default_listener_tls_versions]) : orNull<string[]>('tls_versions'),
    alpnProtocols: tls ? (orNull<string[]>('alpn_protocols') ?? [...api.default_listener_alpn_protocols]) : orNull<string[]>('alpn_protocols'),
    hstsMaxAge: orNull<number>('hsts_max_age'),
    hstsIncludeSubdomains: Boolean(input['hsts_include_subdomains']),
    hstsPreload: Boolean(input['hsts_preload']),
    peerPort: null,
    provisioningStatus: 'PENDING_CREATE',
    operatingStatus: 'OFFLINE',
    tags: tagList(input['tags']),
    createdAt: b.now,
    updatedAt: null,
  };
}

/**
 * Validates one decoded listener (ListenerPOST or ListenerSingleCreate, with `loadbalancer_id`
 * and, in single-call create, `default_pool_id` resolved from the pool name) and inserts it
 * PENDING_CREATE/OFFLINE with its L7 policies and rules. Redirect pools of those policies are
 * named in `redirect_pool` and resolved through `poolNameIds`.
 */
export async function buildListener(b: BuildContext, input: Json, poolNameIds: ReadonlyMap<string, string>): Promise<BuiltListener> {
  const { tx, deps, lb } = b;
  const draft = draftListener(b, input);
  if (draft.defaultPoolId) await checkDefaultPool(tx, lb.id, draft.defaultPoolId, draft.protocol);
  const headers = input['insert_headers'] as Json | null | undefined;
  if (headers && Object.keys(headers).length > 0) validateInsertHeaders(headers, draft.protocol, 'create');
  const tls = tlsDraft(draft, input);
  await validateListenerTlsCreate(deps, lb.projectId, tls);
  await checkPortConflict(tx, lb.id, draft.protocol, draft.protocolPort);
  checkAllowedCidrs(lb, draft.allowedCidrs);
  validateListenerTlsProtocolsCreate(deps, tls);
  const policies = (input['l7policies'] as Json[] | null | undefined) ?? [];
  if (draft.protocol === 'PROMETHEUS' && policies.length > 0) throw Errors.listenerNoChildren('PROMETHEUS');

  const listener: Listener = { ...draft, peerPort: await tx.listeners.nextPeerPort(lb.id) };
  // Upstream turns the NOT NULL failure of the insert into this InvalidOption.
  if (listener.protocol === null || listener.protocolPort === null) throw Errors.invalidOption(listener.protocol, 'protocol');
  try {
    await tx.listeners.insert(listener);
  } catch (err) {
    // Another request took the port between our check and the insert.
    if (isUniqueViolation(err)) throw Errors.duplicateListener(listener.protocol, listener.protocolPort);
    throw err;
  }
  const l7policies: L7Policy[] = [];
  const l7rules: L7Rule[] = [];
  for (const p of policies) {
    const built = await buildL7Policy(b, listener, p, poolNameIds);
    l7policies.push(built.policy);
    l7rules.push(...built.rules);
  }
  // Positions of earlier policies move when later ones are inserted before them.
  const stored = await tx.l7policies.getMany(l7policies.map((p) => p.id));
  return {
    listener,
    l7policies: l7policies.map((p) => ({ ...(stored.find((s) => s.id === p.id) ?? p), updatedAt: null })),
    l7rules,
  };
}

/** Applies a decoded ListenerPUT object with upstream's "null means default" rules. */
function applyUpdate(deps: ApiDeps, current: Listener, body: Json): Listener {
  const api = deps.config.api_settings;
  const timeouts = deps.config.haproxy_amphora;
  const pick = <T>(name: string, value: T): T => (has(body, name) ? (body[name] as T) : value);
  const orDefault = <T>(name: string, value: T, fallback: T): T => (has(body, name) ? ((body[name] as T | null) ?? fallback) : value);
  return {
    ...current,
    name: pick('name', current.name),
    description: pick('description', current.description),
    adminStateUp: has(body, 'admin_state_up') ? Boolean(body['admin_state_up']) : current.adminStateUp,
    connectionLimit: orDefault('connection_limit', current.connectionLimit, -1),
    defaultTlsContainerRef: pick('default_tls_container_ref', current.defaultTlsContainerRef),
    sniContainerRefs: has(body, 'sni_container_refs')
      ? ((body['sni_container_refs'] as (string | null)[] | null) ?? []).filter((r): r is string => r !== null)
      : current.sniContainerRefs,
    defaultPoolId: pick('default_pool_id', current.defaultPoolId),
    insertHeaders: orDefault('insert_headers', current.insertHeaders, {}),
    timeoutClientData: orDefault('timeout_client_data', current.timeoutClientData, timeouts.timeout_client_data),
    timeoutMemberConnect: orDefault('timeout_member_connect', current.timeoutMemberConnect, timeouts.timeout_member_connect),
    timeoutMemberData: orDefault('timeout_member_data', current.timeoutMemberData, timeouts.timeout_member_data),
    timeoutTcpInspect: orDefault('timeout_tcp_inspect', current.timeoutTcpInspect, timeouts.timeout_tcp_inspect),
    tags: has(body, 'tags') ? tagList(body['tags']) : current.tags,
    clientCaTlsContainerRef: pick('client_ca_tls_container_ref', current.clientCaTlsContainerRef),
    clientAuthentication: orDefault<ClientAuthentication>('client_authentication', current.clientAuthentication, 'NONE'),
    clientCrlContainerRef: pick('client_crl_container_ref', current.clientCrlContainerRef),
    allowedCidrs: has(body, 'allowed_cidrs')
      ? [...new Set(((body['allowed_cidrs'] as (string | null)[] | null) ?? []).filter((c): c is string => c !== null))]
      : current.allowedCidrs,
    tlsCiphers: orDefault<string | null>('tls_ciphers', current.tlsCiphers, api.default_listener_ciphers),
    tlsVersions: orDefault<readonly string[] | null>('tls_versions', current.tlsVersions, [...api.default_listener_tls_versions]),
    alpnProtocols: orDefault<readonly string[] | null>('alpn_protocols', current.alpnProtocols, [...api.default_listener_alpn_protocols]),
    hstsMaxAge: pick('hsts_max_age', current.hstsMaxAge),
    hstsIncludeSubdomains: orDefault('hsts_include_subdomains', current.hstsIncludeSubdomains, false),
    hstsPreload: orDefault('hsts_preload', current.hstsPreload, false),
  };
}

async function getListener(store: Store, id: string): Promise<Listener> {
  const l = await store.listeners.get(id);
  if (!l || l.provisioningStatus === 'DELETED') throw Errors.notFound('Listener', id);
  return l;
}

/** The load balancer a listener request names: 404 only when it does not exist at all. */
async function loadBalancerOf(store: Store, id: string): Promise<LoadBalancer> {
  const lb = await store.loadBalancers.get(id);
  if (!lb) throw Errors.notFound('Load Balancer', id);
  return lb;
}

async function render(store: Store, listeners: readonly Listener[]): Promise<Json[]> {
  const policies = await store.l7policies.forListeners(listeners.map((l) => l.id));
  return listeners.map((l) =>
    listenerJson(l, {
      l7policies: policies.filter((p) => p.listenerId === l.id).map((p) => p.id),
      loadBalancerId: l.loadBalancerId,
    }),
  );
}

export function registerListeners(r: Router, deps: ApiDeps, prefixes: readonly string[]): void {
  const mount = { prefixes };

  r.add(
    {
      method: 'GET',
      path: '/listeners',
      summary: 'List listeners',
      handler: async (req) => {
        const parsed = parseList(deps, req, LISTENER_ATTRIBUTES);
        const request = scopedListRequest(deps, req, TYPE, parsed);
        const listeners = await deps.store.listeners.list(request);
        return { status: 200, body: listResponse(deps, req, parsed, 'listeners', 'listeners_links', await render(deps.store, listeners)) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: '/listeners/:id',
      summary: 'Show a listener',
      handler: async (req) => {
        const l = await getListener(deps.store, req.params['id']!);
        check(deps, req, rbac(TYPE, 'get_one'), l.projectId);
        return { status: 200, body: oneResponse(deps, req, 'listener', (await render(deps.store, [l]))[0]!) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: '/listeners/:id/stats',
      summary: 'Traffic statistics of a listener',
      handler: async (req) => {
        const l = await getListener(deps.store, req.params['id']!);
        check(deps, req, rbac(TYPE, 'get_stats'), l.projectId);
        return { status: 200, body: { stats: statsJson(await deps.store.statistics.totalsForListeners([l.id])) } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'POST',
      path: '/listeners',
      summary: 'Create a listener',
      body: BODIES.listenerPost,
      handler: (req) => createListener(deps, req),
    },
    mount,
  );

  r.add(
    {
      method: 'PUT',
      path: '/listeners/:id',
      summary: 'Update a listener',
      body: BODIES.listenerPut,
      handler: async (req) => {
        const id = req.params['id']!;
        await inTransaction(deps, async (tx) => {
          const current = await getListener(tx, id);
          const lb = await loadBalancerOf(tx, current.loadBalancerId);
          check(deps, req, rbac(TYPE, 'put'), lb.projectId);
          const body = rootObject(req.body, 'listener', 'listener');
          await validateListenerTlsUpdate(deps, lb.projectId, body, current, () =>
            validateInsertHeaders(body['insert_headers'] as Json, current.protocol, 'update'),
          );
          // null entries are dropped, as on create.
          const cidrs = (body['allowed_cidrs'] as (string | null)[] | null | undefined)?.filter((c): c is string => c !== null);
          if (cidrs && cidrs.length > 0) checkAllowedCidrs(lb, cidrs);
          validateListenerTlsProtocolsUpdate(deps, body, current);
          const poolId = body['default_pool_id'] as string | null | undefined;
          if (poolId) await checkDefaultPool(tx, lb.id, poolId, current.protocol);
          const provider = getDriver(deps, lb.provider);
          await lockLoadBalancerForChild(tx, lb.id);
          const next: Listener = { ...applyUpdate(deps, current, body), provisioningStatus: 'PENDING_UPDATE', updatedAt: now(deps) };
          await tx.listeners.save(next);
          await provider.listenerUpdate(tx, next, { listenerIds: [id] });
        });
        const stored = await getListener(deps.store, id);
        return { status: 200, body: { listener: (await render(deps.store, [stored]))[0] } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'DELETE',
      path: '/listeners/:id',
      summary: 'Delete a listener',
      handler: async (req) => {
        await inTransaction(deps, async (tx) => {
          const current = await getListener(tx, req.params['id']!);
          const lb = await loadBalancerOf(tx, current.loadBalancerId);
          check(deps, req, rbac(TYPE, 'delete'), lb.projectId);
          const provider = getDriver(deps, lb.provider);
          await lockLoadBalancerForChild(tx, lb.id);
          await tx.listeners.setStatus(current.id, { provisioningStatus: 'PENDING_DELETE' });
          await provider.listenerDelete(tx, { ...current, provisioningStatus: 'PENDING_DELETE' }, { listenerIds: [current.id] });
        });
        return { status: 204 };
      },
    },
    mount,
  );
}

async function createListener(deps: ApiDeps, req: ApiRequest) {
  const body = rootObject(req.body, 'listener', 'listener');
  const created = await inTransaction(deps, async (tx) => {
    const lb = await loadBalancerOf(tx, body['loadbalancer_id'] as string);
    check(deps, req, rbac(TYPE, 'post'), lb.projectId);
    const provider = getDriver(deps, lb.provider);
    // Upstream answers these with a 500; embedded children belong to single-call create.
    if (body['default_pool']) {
      throw Errors.validation('default_pool can only be given when creating a load balancer; create the pool and use default_pool_id.');
    }
    if (((body['l7policies'] as unknown[] | null | undefined) ?? []).length > 0) {
      throw Errors.validation('l7policies can only be given when creating a load balancer; create them with POST /v2/lbaas/l7policies.');
    }
    const poolId = body['default_pool_id'] as string | null | undefined;
    if (poolId) await checkDefaultPool(tx, lb.id, poolId, body['protocol'] as ListenerProtocol);
    await lockLoadBalancerForChild(tx, lb.id);
    const built = await buildListener({ tx, deps, req, lb, graph: false, now: now(deps) }, body, new Map());
    await provider.listenerCreate(tx, built.listener, { listenerIds: [built.listener.id] });
    return built.listener;
  });
  const stored = (await deps.store.listeners.get(created.id)) ?? created;
  return { status: 201, body: { listener: (await render(deps.store, [stored]))[0] } };
}
