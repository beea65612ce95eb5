/**
 * What pools, members and health monitors share: the pool lookup, the listeners that use a pool
 * (upstream's `pool.listeners`), the locks of spec §3.2 for changes of and under a pool, and pool
 * responses with their relations.
 */
import { Errors } from '../../domain/errors.js';
import { listenerIdsOfPool } from '../../domain/graph.js';
import type { Listener } from '../../domain/listener.js';
import type { LoadBalancer } from '../../domain/load-balancer.js';
import type { Pool } from '../../domain/pool.js';
import { chunks } from '../../db/list-query.js';
import type { Store } from '../../db/store.js';
import type { ApiDeps } from '../deps.js';
import { lockLoadBalancerForChild, type Json } from './common.js';
import { getDriver } from './providers.js';
import { poolJson } from './wire/responses.js';

/** The pool, or 404 "Pool <id> not found.". */
export async function getPool(store: Store, id: string): Promise<Pool> {
  const pool = await store.pools.get(id);
  if (!pool || pool.provisioningStatus === 'DELETED') throw Errors.notFound('Pool', id);
  return pool;
}

/** The provider of a load balancer, as upstream's driver_factory.get_driver (400 disabled, 501 missing). */
export function providerOf(deps: ApiDeps, lb: LoadBalancer) {
  return getDriver(deps, lb.provider);
}

/**
 * Upstream's `pool.listeners` for each pool: listeners having it as default pool, then listeners
 * of enabled L7 policies with at least one rule that redirect to it (domain/graph.ts).
 */
export async function listenersUsingPools(store: Store, poolIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(poolIds.map((id) => [id, []]));
  if (poolIds.length === 0) return out;
  const defaultUserIds: string[] = [];
  for (const part of chunks(poolIds)) {
    // Ids only: the one question no repository answers (which listeners point at these pools).
    const rows = await store.executor
      .selectFrom('listener')
      .select('id')
      .where('default_pool_id', 'in', part)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    defaultUserIds.push(...rows.map((r) => r.id));
  }
  const loaded = await store.listeners.getMany(defaultUserIds);
  const listeners = defaultUserIds.map((id) => loaded.find((l) => l.id === id)).filter((l): l is Listener => l !== undefined);
  const l7policies = await store.l7policies.where('redirect_pool_id', poolIds);
  const l7rules = await store.l7rules.forPolicies(l7policies.map((p) => p.id));
  for (const id of poolIds) out.set(id, listenerIdsOfPool(id, { listeners, l7policies, l7rules }));
  return out;
}

/**
 * The lock of spec §3.2 for changes under a pool (members, health monitor): the pool must be
 * ACTIVE (409 "Pool <id> is immutable and cannot be updated."), the load balancer goes
 * ACTIVE → PENDING_UPDATE, the listeners using the pool and the pool itself PENDING_UPDATE.
 * Returns the locked listeners, which the provider's completion unlocks.
 */
export async function lockPoolForChild(tx: Store, poolId: string): Promise<{ pool: Pool; listenerIds: string[] }> {
  const pool = await getPool(tx, poolId);
  if (pool.provisioningStatus !== 'ACTIVE') throw Errors.immutable('Pool', poolId);
  await lockLoadBalancerForChild(tx, pool.loadBalancerId);
  const listenerIds = (await listenersUsingPools(tx, [poolId])).get(poolId) ?? [];
  await tx.listeners.setStatus(listenerIds, { provisioningStatus: 'PENDING_UPDATE' });
  await tx.pools.setStatus(poolId, { provisioningStatus: 'PENDING_UPDATE' });
  return { pool: { ...pool, provisioningStatus: 'PENDING_UPDATE' }, listenerIds };
}

/** Pool responses with their relations: listeners using them, member ids, health monitor id. */
export async function renderPools(store: Store, pools: readonly Pool[]): Promise<Json[]> {
  const ids = pools.map((p) => p.id);
  const users = await listenersUsingPools(store, ids);
  const memberIds = new Map<string, string[]>();
  const hmIds = new Map<string, string>();
  for (const part of chunks(ids)) {
    const members = await store.executor
      .selectFrom('member')
      .select(['id', 'pool_id'])
      .where('pool_id', 'in', part)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    for (const m of members) memberIds.set(m.pool_id, [...(memberIds.get(m.pool_id) ?? []), m.id]);
    const hms = await store.executor.selectFrom('health_monitor').select(['id', 'pool_id']).where('pool_id', 'in', part).execute();
    for (const h of hms) hmIds.set(h.pool_id, h.id);
  }
  return pools.map((p) =>
    poolJson(p, { listeners: users.get(p.id) ?? [], members: memberIds.get(p.id) ?? [], healthMonitorId: hmIds.get(p.id) ?? null }),
  );
}

/** Pool update and delete: LB ACTIVE → PENDING_UPDATE and the listeners using the pool PENDING_UPDATE. */
export async function lockPoolAndListeners(tx: Store, pool: Pool): Promise<string[]> {
  await lockLoadBalancerForChild(tx, pool.loadBalancerId);
  const listenerIds = (await listenersUsingPools(tx, [pool.id])).get(pool.id) ?? [];
  await tx.listeners.setStatus(listenerIds, { provisioningStatus: 'PENDING_UPDATE' });
  return listenerIds;
}
