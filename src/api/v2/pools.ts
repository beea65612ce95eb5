/**
 * /v2/lbaas/pools: list, show, create (on a load balancer, or as a listener's default pool),
 * update and delete (spec §2.4, §3.2), and the pool builder shared with single-call create
 * (spec §4).
 */
import { Errors } from '../../domain/errors.js';
import type { HealthMonitor } from '../../domain/health-monitor.js';
import { LISTENER_POOL_PROTOCOLS, type Listener } from '../../domain/listener.js';
import type { LoadBalancer } from '../../domain/load-balancer.js';
import type { Member } from '../../domain/member.js';
import type { Pool, PoolProtocol, SessionPersistence } from '../../domain/pool.js';
import { newId } from '../../lib/ids.js';
import { policy } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { ApiRequest, Router } from '../router.js';
import type { BuildContext, BuiltPool } from './builders.js';
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
import { buildHealthMonitor } from './health-monitors.js';
import type { ListAttributes } from './list-params.js';
import { buildMember, flavorMetadataOf } from './members.js';
import { getPool, lockPoolAndListeners, providerOf, renderPools } from './pool-common.js';
import { checkSessionPersistence } from './session-persistence.js';
import { checkAlpnProtocols, checkCiphers, checkTlsVersionList, checkTlsVersionMin, validateClientCaAndCrl, validateTlsRefs } from './tls.js';
import { BODIES } from './wire/requests.js';

const TYPE = 'pool';

/** API names (and the column names upstream also accepts) of pool list filters and sort keys. */
export const POOL_ATTRIBUTES: ListAttributes = {
  id: { column: 'id', kind: 'string' },
  project_id: { column: 'project_id', kind: 'string' },
  name: { column: 'name', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  provisioning_status: { column: 'provisioning_status', kind: 'string' },
  operating_status: { column: 'operating_status', kind: 'string' },
  admin_state_up: { column: 'enabled', kind: 'boolean' },
  enabled: { column: 'enabled', kind: 'boolean' },
  protocol: { column: 'protocol', kind: 'string' },
  lb_algorithm: { column: 'lb_algorithm', kind: 'string' },
  loadbalancer_id: { column: 'load_balancer_id', kind: 'string' },
  load_balancer_id: { column: 'load_balancer_id', kind: 'string' },
  tls_enabled: { column: 'tls_enabled', kind: 'boolean' },
  tls_container_ref: { column: 'tls_certificate_id', kind: 'string' },
  tls_certificate_id: { column: 'tls_certificate_id', kind: 'string' },
  ca_tls_container_ref: { column: 'ca_tls_certificate_id', kind: 'string' },
  ca_tls_certificate_id: { column: 'ca_tls_certificate_id', kind: 'string' },
  crl_container_ref: { column: 'crl_container_id', kind: 'string' },
  crl_container_id: { column: 'crl_container_id', kind: 'string' },
  tls_ciphers: { column: 'tls_ciphers', kind: 'string' },
  created_at: { column: 'created_at', kind: 'datetime' },
  updated_at: { column: 'updated_at', kind: 'datetime' },
};

/** 400 "The pool protocol '<p>' is invalid while the listener protocol is '<l>'." */
export function checkListenerPoolProtocol(listener: Listener, poolProtocol: string): void {
  if (!(LISTENER_POOL_PROTOCOLS[listener.protocol] as readonly string[]).includes(poolProtocol)) {
    throw Errors.validation(`The pool protocol '${poolProtocol}' is invalid while the listener protocol is '${listener.protocol}'.`);
  }
}

function sessionPersistenceOf(sp: Json | null | undefined): SessionPersistence | null {
  if (!sp) return null;
  return {
    type: sp['type'] as SessionPersistence['type'],
    cookieName: (sp['cookie_name'] as string | null | undefined) ?? null,
    persistenceTimeout: (sp['persistence_timeout'] as number | null | undefined) ?? null,
    persistenceGranularity: (sp['persistence_granularity'] as string | null | undefined) ?? null,
  };
}

/**
 * Validates one decoded pool (PoolPOST or PoolSingleCreate with `loadbalancer_id`) and inserts it,
 * with its embedded health monitor and members, PENDING_CREATE/OFFLINE, in the caller's
 * transaction. TLS-enabled pools get the configured default ciphers, versions and ALPN protocols.
 */
export async function buildPool(b: BuildContext, input: Json): Promise<BuiltPool> {
  const { deps, tx, lb } = b;
  const api = deps.config.api_settings;
  const protocol = input['protocol'] as PoolProtocol;
  const sp = input['session_persistence'] as Json | null | undefined;
  checkSessionPersistence(protocol, sp, 'create');

  const tlsEnabled = input['tls_enabled'] === true;
  let tlsCiphers = (input['tls_ciphers'] as string | null | undefined) ?? null;
  let tlsVersions = (input['tls_versions'] as string[] | null | undefined) ?? null;
  let alpnProtocols = (input['alpn_protocols'] as string[] | null | undefined) ?? null;
  if (tlsEnabled) {
    tlsCiphers ??= api.default_pool_ciphers;
    tlsVersions ??= [...api.default_pool_tls_versions];
    alpnProtocols ??= [...api.default_pool_alpn_protocols];
  }
  const tlsRef = (input['tls_container_ref'] as string | null | undefined) ?? null;
  const caRef = (input['ca_tls_container_ref'] as string | null | undefined) ?? null;
  const crlRef = (input['crl_container_ref'] as string | null | undefined) ?? null;
  if (crlRef && !caRef) throw Errors.validation('A CA certificate reference is required to specify a revocation list.');
  if (tlsRef) await validateTlsRefs(deps, lb.projectId, [tlsRef]);
  if (caRef) await validateClientCaAndCrl(deps, lb.projectId, caRef, crlRef);
  checkCiphers(api, tlsCiphers);
  if (tlsEnabled) {
    checkTlsVersionList(tlsVersions);
    checkTlsVersionMin(api, tlsVersions);
    checkAlpnProtocols(alpnProtocols);
  }

  const pool: Pool = {
    id: newId(),
    projectId: lb.projectId,
    loadBalancerId: lb.id,
    name: (input['name'] as string | null | undefined) ?? null,
    description: (input['description'] as string | null | undefined) ?? null,
    adminStateUp: Boolean(input['admin_state_up'] ?? false),
    protocol,
    lbAlgorithm: input['lb_algorithm'] as Pool['lbAlgorithm'],
    sessionPersistence: sessionPersistenceOf(sp),
    tlsEnabled,
    tlsContainerRef: tlsRef,
    caTlsContainerRef: caRef,
    crlContainerRef: crlRef,
    tlsCiphers,
    tlsVersions,
    alpnProtocols,
    provisioningStatus: 'PENDING_CREATE',
    operatingStatus: 'OFFLINE',
    tags: tagList(input['tags']),
    createdAt: b.now,
    updatedAt: null,
  };
  await tx.pools.insert(pool);

  const hmInput = input['healthmonitor'] as Json | null | undefined;
  const healthMonitor: HealthMonitor | null = hmInput ? await buildHealthMonitor(b, pool, hmInput) : null;
  const memberInputs = (input['members'] as Json[] | null | undefined) ?? [];
  const members: Member[] = [];
  if (memberInputs.length > 0) {
    const flavorMetadata = await flavorMetadataOf(tx, lb);
    // Upstream's single-call create looks the pool's monitor up through a pool object loaded before
    // the monitor existed, so embedded members start NO_MONITOR even next to an embedded monitor.
    for (const m of memberInputs) members.push(await buildMember(b, pool, m, { flavorMetadata, hasHealthMonitor: false }));
  }
  return { pool, members, healthMonitor };
}

export function registerPools(r: Router, deps: ApiDeps, prefixes: readonly string[]): void {
  const mount = { prefixes };
  r.add(
    {
      method: 'GET',
      path: '/pools',
      summary: 'List pools',
      handler: async (req) => {
        const parsed = parseList(deps, req, POOL_ATTRIBUTES);
        const request = scopedListRequest(deps, req, TYPE, parsed);
        const pools = await deps.store.pools.list(request);
        return { status: 200, body: listResponse(deps, req, parsed, 'pools', 'pools_links', await renderPools(deps.store, pools)) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: '/pools/:id',
      summary: 'Show a pool',
      handler: async (req) => {
        const pool = await getPool(deps.store, req.params['id']!);
        check(deps, req, policy(TYPE, 'get_one'), pool.projectId);
        return { status: 200, body: oneResponse(deps, req, 'pool', (await renderPools(deps.store, [pool]))[0]!) };
      },
    },
    mount,
  );

  r.add({ method: 'POST', path: '/pools', summary: 'Create a pool', body: BODIES.poolPost, handler: (req) => createPool(deps, req) }, mount);
  r.add({ method: 'PUT', path: '/pools/:id', summary: 'Update a pool', body: BODIES.poolPut, handler: (req) => updatePool(deps, req) }, mount);

  r.add(
    {
      method: 'DELETE',
      path: '/pools/:id',
      summary: 'Delete a pool (with its members and health monitor)',
      handler: async (req) => {
        const id = req.params['id']!;
        await inTransaction(deps, async (tx) => {
          const pool = await getPool(tx, id);
          const lb = await getLoadBalancer(tx, pool.loadBalancerId);
          check(deps, req, policy(TYPE, 'delete'), lb.projectId);
          const usage = await tx.pools.usage(id);
          const policyUsing = usage.redirectPolicies[0];
          if (policyUsing) throw Errors.poolInUseByL7Policy(id, policyUsing.id);
          const provider = providerOf(deps, lb);
          const listenerIds = await lockPoolAndListeners(tx, pool);
          const deleting: Pool = { ...pool, provisioningStatus: 'PENDING_DELETE', updatedAt: now(deps) };
          await tx.pools.setStatus(id, { provisioningStatus: 'PENDING_DELETE' });
          await provider.poolDelete(tx, deleting, { listenerIds });
        });
        return { status: 204 };
      },
    },
    mount,
  );
}


async function createPool(deps: ApiDeps, req: ApiRequest) {
  const body = rootObject(req.body, 'pool', 'pool');
  const pool = await inTransaction(deps, async (tx) => {
    const lbId = body['loadbalancer_id'] as string | null | undefined;
    const listenerId = (body['listener_id'] as string | null | undefined) ?? null;
    let listener: Listener | null = null;
    let lb: LoadBalancer;
    if (lbId) {
      lb = await getLoadBalancer(tx, lbId);
    } else if (listenerId) {
      listener = await tx.listeners.get(listenerId);
      // Upstream answers 500 here (it dereferences the missing listener); a 404 like the one for a
      // missing load balancer is what the user needs.
      if (!listener || listener.provisioningStatus === 'DELETED') throw Errors.notFound('Listener', listenerId);
      lb = await getLoadBalancer(tx, listener.loadBalancerId);
    } else {
      throw Errors.validation('Must provide at least one of: loadbalancer_id, listener_id');
    }
    check(deps, req, policy(TYPE, 'post'), lb.projectId);
    // Mandatory, but WSME lets an explicit null through and upstream then fails with a 500.
    for (const key of ['protocol', 'lb_algorithm']) if (body[key] === null) throw Errors.invalidOption(null, key);
    if (listenerId) {
      // Deviation: upstream skips the listener checks when loadbalancer_id is also given, which lets a
      // pool of any protocol (or on another load balancer) become a listener's default pool.
      listener ??= await tx.listeners.get(listenerId);
      if (!listener || listener.loadBalancerId !== lb.id) throw Errors.notFound('Listener', listenerId);
      if (listener.protocol === 'PROMETHEUS') throw Errors.listenerNoChildren('PROMETHEUS');
      checkListenerPoolProtocol(listener, body['protocol'] as string);
    }
    checkSessionPersistence(body['protocol'] as PoolProtocol, body['session_persistence'] as Json | null | undefined, 'create');
    const provider = providerOf(deps, lb);
    // Upstream accepts these attributes but fails with a 500 when they are not empty: the pool create
    // flow only activates the pool. Members and a monitor are added with their own calls.
    if (body['healthmonitor'] || ((body['members'] as unknown[] | null | undefined) ?? []).length > 0) {
      throw Errors.validation('A health monitor and members cannot be created together with a pool; create them after the pool.');
    }
    if (listener?.defaultPoolId) throw Errors.duplicatePool();
    await lockLoadBalancerForChild(tx, lb.id);
    if (listener) {
      // Re-read under the load balancer lock: the check above may have raced with another pool create.
      listener = (await tx.listeners.get(listener.id))!;
      if (listener.defaultPoolId) throw Errors.duplicatePool();
    }
    const created = now(deps);
    const built = await buildPool({ tx, deps, req, lb, graph: false, now: created }, { ...body, loadbalancer_id: lb.id });
    if (listener) {
      await tx.listeners.save({ ...listener, defaultPoolId: built.pool.id, provisioningStatus: 'PENDING_UPDATE', updatedAt: created });
    }
    await provider.poolCreate(tx, built.pool, { listenerIds: listener ? [listener.id] : [] });
    return built.pool;
  });
  const stored = (await deps.store.pools.get(pool.id))!;
  return { status: 201, body: { pool: (await renderPools(deps.store, [stored]))[0] } };
}

async function updatePool(deps: ApiDeps, req: ApiRequest) {
  const body = rootObject(req.body, 'pool', 'pool');
  const id = req.params['id']!;
  const api = deps.config.api_settings;
  await inTransaction(deps, async (tx) => {
    const pool = await getPool(tx, id);
    const lb = await getLoadBalancer(tx, pool.loadBalancerId);
    check(deps, req, policy(TYPE, 'put'), lb.projectId);
    // null resets versions and ciphers to the configured defaults (not the ALPN list).
    const tlsVersions = has(body, 'tls_versions') ? ((body['tls_versions'] as string[] | null) ?? [...api.default_pool_tls_versions]) : undefined;
    const tlsCiphers = has(body, 'tls_ciphers') ? ((body['tls_ciphers'] as string | null) ?? api.default_pool_ciphers) : undefined;
    let sp = body['session_persistence'] as Json | null | undefined;
    // A session_persistence object without a type keeps the stored type.
    if (sp && !sp['type'] && pool.sessionPersistence) sp = { ...sp, type: pool.sessionPersistence.type };
    checkSessionPersistence(pool.protocol, sp, 'update');
    await checkTlsUpdate(deps, lb, pool, body, tlsCiphers, tlsVersions);
    const provider = providerOf(deps, lb);
    const listenerIds = await lockPoolAndListeners(tx, pool);
    // Upstream fails on the NOT NULL column here (500); same place, a 400.
    if (has(body, 'lb_algorithm') && body['lb_algorithm'] === null) throw Errors.invalidOption(null, 'lb_algorithm');
    const pick = <T>(key: string, current: T): T => (has(body, key) ? (body[key] as T) : current);
    const updated: Pool = {
      ...pool,
      name: pick('name', pool.name),
      description: pick('description', pool.description),
      adminStateUp: has(body, 'admin_state_up') ? Boolean(body['admin_state_up']) : pool.adminStateUp,
      lbAlgorithm: pick('lb_algorithm', pool.lbAlgorithm),
      sessionPersistence: has(body, 'session_persistence') ? sessionPersistenceOf(sp) : pool.sessionPersistence,
      tags: has(body, 'tags') ? tagList(body['tags']) : pool.tags,
      tlsContainerRef: pick('tls_container_ref', pool.tlsContainerRef),
      caTlsContainerRef: pick('ca_tls_container_ref', pool.caTlsContainerRef),
      crlContainerRef: pick('crl_container_ref', pool.crlContainerRef),
      tlsEnabled: has(body, 'tls_enabled') ? Boolean(body['tls_enabled']) : pool.tlsEnabled,
      tlsCiphers: tlsCiphers === undefined ? pool.tlsCiphers : tlsCiphers,
      tlsVersions: tlsVersions === undefined ? pool.tlsVersions : tlsVersions,
      alpnProtocols: pick('alpn_protocols', pool.alpnProtocols),
      provisioningStatus: 'PENDING_UPDATE',
      updatedAt: now(deps),
    };
    await tx.pools.save(updated);
    await provider.poolUpdate(tx, updated, { listenerIds });
  });
  const stored = (await deps.store.pools.get(id))!;
  return { status: 200, body: { pool: (await renderPools(deps.store, [stored]))[0] } };
}

/** `_validate_pool_PUT`'s certificate and TLS parameter checks (CA/CRL pairing as upstream). */
async function checkTlsUpdate(
  deps: ApiDeps,
  lb: LoadBalancer,
  pool: Pool,
  body: Json,
  tlsCiphers: string | undefined,
  tlsVersions: string[] | undefined,
): Promise<void> {
  const bodyCrl = body['crl_container_ref'] as string | null | undefined;
  const bodyCa = body['ca_tls_container_ref'] as string | null | undefined;
  let crlRef: string | null = null;
  if (bodyCrl) crlRef = bodyCrl;
  else if (pool.crlContainerRef && !has(body, 'crl_container_ref')) crlRef = pool.crlContainerRef;
  let caRef: string | null = null;
  const storedCa = pool.caTlsContainerRef;
  if (has(body, 'ca_tls_container_ref')) {
    if (!bodyCa && storedCa && crlRef) {
      throw Errors.validation('A CA reference cannot be removed when a certificate revocation list is present.');
    }
    if (!bodyCa && !storedCa && crlRef) throw Errors.validation('A CA reference is required to specify a certificate revocation list.');
    if (bodyCa) caRef = bodyCa;
  } else if (storedCa) {
    caRef = storedCa;
  } else if (crlRef) {
    throw Errors.validation('A CA reference is required to specify a certificate revocation list.');
  }
  const tlsRef = body['tls_container_ref'] as string | null | undefined;
  if (tlsRef) await validateTlsRefs(deps, lb.projectId, [tlsRef]);
  if (caRef) await validateClientCaAndCrl(deps, lb.projectId, caRef, crlRef);
  const api = deps.config.api_settings;
  checkCiphers(api, tlsCiphers);
  if (tlsVersions !== undefined) {
    checkTlsVersionList(tlsVersions);
    checkTlsVersionMin(api, tlsVersions);
  }
  if (has(body, 'alpn_protocols')) checkAlpnProtocols(body['alpn_protocols'] as string[] | null);
}
