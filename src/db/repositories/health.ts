/**
 * What the heartbeat receiver reads and writes: the flat views of amphorae's load balancers
 * (upstream's `get_lb_for_health_update`, here for a whole batch of amphorae in three queries
 * instead of one cross-product join per message) and the batched writes of a set of heartbeats:
 * `amphora_health` upserts, operating status changes grouped by value, `listener_statistics`
 * increments. The caller runs `applyHeartbeats` in one transaction.
 */
import { sql } from 'kysely';
import type { HealthView, StatsUpdate, StatusChange, StatusObject } from '../../health/status-rules.js';
import { timestamp } from '../../lib/clock.js';
import type { AmphoraStatus } from '../../domain/status.js';
import type { RepoContext } from '../store.js';

/** A stale health row (not busy, older than the cutoff) and its amphora. */
export interface StaleAmphora {
  readonly amphoraId: string;
  readonly loadBalancerId: string | null;
  readonly status: AmphoraStatus;
  readonly lastUpdate: number;
}

/** Rows per multi-row statement: far below every engine's bind-parameter limit. */
const CHUNK = 500;

const TABLE: Record<StatusObject, 'load_balancer' | 'listener' | 'pool' | 'member'> = {
  loadBalancer: 'load_balancer',
  listener: 'listener',
  pool: 'pool',
  member: 'member',
};

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export class HealthRepository {
  readonly #c: RepoContext;
  constructor(c: RepoContext) {
    this.#c = c;
  }

  /**
   * Views of the given amphorae that exist and are not DELETED (others are absent from the map).
   * An amphora whose load balancer is DELETED or missing gets a view without load balancer.
   */
  async viewsFor(amphoraIds: readonly string[]): Promise<Map<string, HealthView>> {
    const views = new Map<string, HealthView>();
    if (amphoraIds.length === 0) return views;
    const ex = this.#c.ex;
    const amps = await ex
      .selectFrom('amphora as a')
      .leftJoin('load_balancer as lb', (j) => j.onRef('lb.id', '=', 'a.load_balancer_id').on('lb.provisioning_status', '!=', 'DELETED'))
      .select(['a.id as amphora_id', 'lb.id as lb_id', 'lb.enabled', 'lb.provisioning_status', 'lb.operating_status'])
      .where('a.id', 'in', [...new Set(amphoraIds)])
      .where('a.status', '!=', 'DELETED')
      .execute();
    const lbIds = [...new Set(amps.map((a) => a.lb_id).filter((id): id is string => id !== null))];
    // One view object per load balancer, shared by its amphorae (ACTIVE_STANDBY), so that a change
    // found in one amphora's heartbeat is the "before" of the next one in the same batch.
    const lbs = new Map<string, NonNullable<HealthView['loadBalancer']>>();
    for (const a of amps) {
      if (a.lb_id !== null && !lbs.has(a.lb_id)) {
        lbs.set(a.lb_id, {
          id: a.lb_id,
          enabled: Number(a.enabled) === 1,
          provisioningStatus: a.provisioning_status!,
          operatingStatus: a.operating_status!,
          listeners: new Map(),
          pools: new Map(),
        });
      }
    }
    if (lbIds.length > 0) {
      const listeners = await ex
        .selectFrom('listener')
        .select(['id', 'load_balancer_id', 'operating_status', 'enabled'])
        .where('load_balancer_id', 'in', lbIds)
        .execute();
      for (const l of listeners) lbs.get(l.load_balancer_id)?.listeners.set(l.id, { operatingStatus: l.operating_status, enabled: Number(l.enabled) === 1 });
      const pools = await ex
        .selectFrom('pool')
        .leftJoin('member', 'member.pool_id', 'pool.id')
        .select(['pool.id as pool_id', 'pool.load_balancer_id', 'pool.operating_status as pool_status', 'member.id as member_id', 'member.operating_status as member_status'])
        .where('pool.load_balancer_id', 'in', lbIds)
        .execute();
      for (const p of pools) {
        const lbPools = lbs.get(p.load_balancer_id)?.pools;
        if (!lbPools) continue;
        let pool = lbPools.get(p.pool_id);
        if (!pool) lbPools.set(p.pool_id, (pool = { operatingStatus: p.pool_status, members: new Map() }));
        if (p.member_id !== null) pool.members.set(p.member_id, p.member_status!);
      }
    }
    for (const a of amps) views.set(a.amphora_id, { amphoraId: a.amphora_id, loadBalancer: a.lb_id === null ? null : lbs.get(a.lb_id)! });
    return views;
  }

  /**
   * Writes the effects of a batch of heartbeats: health rows of `healthy` amphorae set to
   * `nowMs` (new rows not busy, `busy` of existing rows kept), status changes (only the final
   * value per object), counters added (deltas) or replaced. Idempotent only for `healthy` and
   * `changes`; counters add up, so callers apply a batch once.
   */
  async applyHeartbeats(batch: { healthy: readonly string[]; nowMs: number; changes: readonly StatusChange[]; stats: readonly StatsUpdate[] }): Promise<void> {
    const ex = this.#c.ex;
    const mysql = this.#c.engine === 'mysql';
    for (const ids of chunks([...new Set(batch.healthy)])) {
      const q = ex.insertInto('amphora_health').values(ids.map((id) => ({ amphora_id: id, last_update: batch.nowMs, busy: 0 })));
      await (mysql
        ? q.onDuplicateKeyUpdate({ last_update: sql`VALUES(last_update)` })
        : q.onConflict((oc) => oc.column('amphora_id').doUpdateSet({ last_update: (eb) => eb.ref('excluded.last_update') }))
      ).execute();
    }

    // The last change of each object wins; then one UPDATE per (table, status).
    const final = new Map<string, StatusChange>();
    for (const c of batch.changes) final.set(`${c.object}:${c.id}`, c);
    const groups = new Map<string, { table: (typeof TABLE)[StatusObject]; status: string; ids: string[] }>();
    for (const c of final.values()) {
      const key = `${c.object}:${c.to}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { table: TABLE[c.object], status: c.to, ids: [] }));
      g.ids.push(c.id);
    }
    const updatedAt = timestamp(batch.nowMs);
    for (const g of groups.values()) {
      for (const ids of chunks(g.ids)) {
        await ex.updateTable(g.table).set({ operating_status: g.status, updated_at: updatedAt }).where('id', 'in', ids).execute();
      }
    }

    // Several heartbeats of one amphora in a batch: deltas add up, current values are the last.
    const merged = new Map<string, StatsUpdate>();
    for (const s of batch.stats) {
      const key = `${s.listenerId}:${s.amphoraId}`;
      const prev = merged.get(key);
      merged.set(
        key,
        prev && prev.delta && s.delta
          ? {
              ...s,
              bytesIn: prev.bytesIn + s.bytesIn,
              bytesOut: prev.bytesOut + s.bytesOut,
              totalConnections: prev.totalConnections + s.totalConnections,
              requestErrors: prev.requestErrors + s.requestErrors,
            }
          : s,
      );
    }
    for (const delta of [true, false]) {
      const rows = [...merged.values()].filter((s) => s.delta === delta);
      for (const part of chunks(rows)) {
        const q = ex.insertInto('listener_statistics').values(
          part.map((s) => ({
            listener_id: s.listenerId,
            amphora_id: s.amphoraId,
            bytes_in: s.bytesIn,
            bytes_out: s.bytesOut,
            active_connections: s.activeConnections,
            total_connections: s.totalConnections,
            request_errors: s.requestErrors,
          })),
        );
        const counters = ['bytes_in', 'bytes_out', 'total_connections', 'request_errors'] as const;
        if (mysql) {
          const set: Record<string, unknown> = { active_connections: sql`VALUES(active_connections)` };
          for (const c of counters) set[c] = delta ? sql`${sql.ref(c)} + VALUES(${sql.ref(c)})` : sql`VALUES(${sql.ref(c)})`;
          await q.onDuplicateKeyUpdate(set).execute();
        } else {
          const set: Record<string, unknown> = { active_connections: sql`excluded.active_connections` };
          for (const c of counters) set[c] = delta ? sql`${sql.ref(`listener_statistics.${c}`)} + ${sql.ref(`excluded.${c}`)}` : sql.ref(`excluded.${c}`);
          await q.onConflict((oc) => oc.columns(['listener_id', 'amphora_id']).doUpdateSet(set)).execute();
        }
      }
    }
  }

  /**
   * Health rows not busy and last updated before `cutoffMs` whose amphora is in one of `statuses`
   * (stale-amphora detection, upstream's `get_stale_amphora` without the pick).
   */
  async stale(cutoffMs: number, statuses: readonly AmphoraStatus[]): Promise<StaleAmphora[]> {
    const rows = await this.#c.ex
      .selectFrom('amphora_health as h')
      .innerJoin('amphora as a', 'a.id', 'h.amphora_id')
      .select(['h.amphora_id', 'h.last_update', 'a.load_balancer_id', 'a.status'])
      .where('h.busy', '=', 0)
      .where('h.last_update', '<', cutoffMs)
      .where('a.status', 'in', [...statuses])
      .execute();
    return rows.map((r) => ({
      amphoraId: r.amphora_id,
      loadBalancerId: r.load_balancer_id,
      status: r.status as AmphoraStatus,
      lastUpdate: Number(r.last_update),
    }));
  }

  /**
   * Marks a stale health row busy (upstream's `busy = True` under a row lock): a compare-and-set on
   * `busy = 0` and the row still being older than `cutoffMs`, so that of two health managers only
   * one takes an amphora, and a heartbeat that arrived meanwhile wins. True when this call took it.
   */
  async markBusy(amphoraId: string, cutoffMs: number): Promise<boolean> {
    const r = await this.#c.ex
      .updateTable('amphora_health')
      .set({ busy: 1 })
      .where('amphora_id', '=', amphoraId)
      .where('busy', '=', 0)
      .where('last_update', '<', cutoffMs)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** The circuit breaker: the given amphorae, if still in one of `from`, become FAILOVER_STOPPED. Returns how many. */
  async stopFailovers(amphoraIds: readonly string[], from: readonly AmphoraStatus[], nowMs: number): Promise<number> {
    let n = 0;
    for (const ids of chunks([...new Set(amphoraIds)])) {
      const r = await this.#c.ex
        .updateTable('amphora')
        .set({ status: 'FAILOVER_STOPPED', updated_at: timestamp(nowMs) })
        .where('id', 'in', ids)
        .where('status', 'in', [...from])
        .executeTakeFirst();
      n += Number(r.numUpdatedRows);
    }
    return n;
  }

  /**
   * FAILOVER_STOPPED amphorae whose health row is fresh again (last update at or after `cutoffMs`,
   * not busy) go back to ALLOCATED (upstream's `update_failover_stopped`). Returns how many.
   */
  async resumeFailoverStopped(cutoffMs: number, nowMs: number): Promise<number> {
    const fresh = this.#c.ex.selectFrom('amphora_health').select('amphora_id').where('busy', '=', 0).where('last_update', '>=', cutoffMs);
    const r = await this.#c.ex
      .updateTable('amphora')
      .set({ status: 'ALLOCATED', updated_at: timestamp(nowMs) })
      .where('status', '=', 'FAILOVER_STOPPED')
      .where('id', 'in', fresh)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /**
   * What "is anybody reporting?" needs: how many amphorae in `statuses` exist (those expected to
   * send heartbeats) and the newest heartbeat of any amphora (null: no health row at all).
   */
  async reporting(statuses: readonly AmphoraStatus[]): Promise<{ expected: number; newestMs: number | null }> {
    const expected = await this.#c.ex
      .selectFrom('amphora')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', [...statuses])
      .executeTakeFirstOrThrow();
    const newest = await this.#c.ex
      .selectFrom('amphora_health')
      .select((eb) => eb.fn.max('last_update').as('newest'))
      .executeTakeFirst();
    const n = newest?.newest;
    return { expected: Number(expected.n), newestMs: n === null || n === undefined ? null : Number(n) };
  }
}
