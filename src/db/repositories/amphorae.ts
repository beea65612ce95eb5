/** Amphora rows and their health records. */
import type { Amphora } from '../../domain/amphora.js';
import type { AmphoraStatus } from '../../domain/status.js';
import { timestamp } from '../../lib/clock.js';
import { listRows, type ListRequest, type ListTable } from '../list-query.js';
import { amphoraFromRow, amphoraToRow } from '../mappers.js';
import type { AmphoraTable } from '../schema.js';
import type { RepoContext } from '../store.js';

export const AMPHORA_LIST: ListTable<'amphora'> = {
  table: 'amphora',
  columns: {
    id: 'string',
    compute_id: 'string',
    status: 'string',
    load_balancer_id: 'string',
    lb_network_ip: 'string',
    vrrp_ip: 'string',
    ha_ip: 'string',
    vrrp_port_id: 'string',
    ha_port_id: 'string',
    role: 'string',
    cert_expiration: 'datetime',
    cert_busy: 'boolean',
    vrrp_interface: 'string',
    vrrp_id: 'integer',
    vrrp_priority: 'integer',
    cached_zone: 'string',
    image_id: 'string',
    compute_flavor: 'string',
    created_at: 'datetime',
    updated_at: 'datetime',
  },
  scope: (eb) => eb('status', '!=', 'DELETED'),
};

export type AmphoraChanges = Partial<Omit<Amphora, 'id' | 'createdAt' | 'updatedAt'>>;

const COLUMN: Record<keyof AmphoraChanges, keyof AmphoraTable> = {
  computeId: 'compute_id',
  status: 'status',
  loadBalancerId: 'load_balancer_id',
  lbNetworkIp: 'lb_network_ip',
  vrrpIp: 'vrrp_ip',
  haIp: 'ha_ip',
  vrrpPortId: 'vrrp_port_id',
  haPortId: 'ha_port_id',
  role: 'role',
  certExpiration: 'cert_expiration',
  certBusy: 'cert_busy',
  vrrpInterface: 'vrrp_interface',
  vrrpId: 'vrrp_id',
  vrrpPriority: 'vrrp_priority',
  cachedZone: 'cached_zone',
  imageId: 'image_id',
  computeFlavor: 'compute_flavor',
};

export class AmphoraRepository {
  readonly #c: RepoContext;
  constructor(c: RepoContext) {
    this.#c = c;
  }

  async insert(amphora: Amphora): Promise<void> {
    await this.#c.ex.insertInto('amphora').values(amphoraToRow(amphora)).execute();
  }

  async get(id: string): Promise<Amphora | null> {
    const row = await this.#c.ex.selectFrom('amphora').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? amphoraFromRow(row) : null;
  }

  async list(request: ListRequest, projectId?: string): Promise<Amphora[]> {
    if (projectId === undefined) return (await listRows(this.#c.ex, AMPHORA_LIST, request)).map(amphoraFromRow);
    const lbIds = this.#c.ex.selectFrom('load_balancer').select('id').where('project_id', '=', projectId);
    const spec: ListTable<'amphora'> = {
      ...AMPHORA_LIST,
      scope: (eb) => eb.and([eb('status', '!=', 'DELETED'), eb('load_balancer_id', 'in', lbIds)]),
    };
    return (await listRows(this.#c.ex, spec, request)).map(amphoraFromRow);
  }

  /** Amphorae of a load balancer that are not DELETED, oldest first. */
  async forLoadBalancer(loadBalancerId: string): Promise<Amphora[]> {
    const rows = await this.#c.ex
      .selectFrom('amphora')
      .selectAll()
      .where('load_balancer_id', '=', loadBalancerId)
      .where('status', '!=', 'DELETED')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(amphoraFromRow);
  }

  /**
   * Takes the oldest READY spare for a load balancer (compare-and-set, so two flows never take the
   * same one). Returns its id, or null when the pool is empty.
   */
  async claimSpare(loadBalancerId: string): Promise<string | null> {
    const candidates = await this.#c.ex
      .selectFrom('amphora')
      .select('id')
      .where('status', '=', 'READY')
      .where('load_balancer_id', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .limit(5)
      .execute();
    for (const c of candidates) {
      const r = await this.#c.ex
        .updateTable('amphora')
        .set({ status: 'ALLOCATED', load_balancer_id: loadBalancerId, updated_at: timestamp(this.#c.clock.now()) })
        .where('id', '=', c.id)
        .where('status', '=', 'READY')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) return c.id;
    }
    return null;
  }

  /** Amphorae that are not DELETED, with their compute ids: what a compute driver must keep. */
  async live(): Promise<{ id: string; computeId: string | null; status: AmphoraStatus }[]> {
    const rows = await this.#c.ex.selectFrom('amphora').select(['id', 'compute_id', 'status']).where('status', '!=', 'DELETED').execute();
    return rows.map((r) => ({ id: r.id, computeId: r.compute_id, status: r.status as AmphoraStatus }));
  }

  /** Spares in the pool: READY and building ones (so that a refill does not overshoot). */
  async countSpares(): Promise<number> {
    const r = await this.#c.ex
      .selectFrom('amphora')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('load_balancer_id', 'is', null)
      .where('status', 'in', ['READY', 'PENDING_CREATE', 'BOOTING'])
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async update(id: string, changes: AmphoraChanges): Promise<void> {
    const set: Record<string, unknown> = { updated_at: timestamp(this.#c.clock.now()) };
    for (const [key, value] of Object.entries(changes)) {
      const column = COLUMN[key as keyof AmphoraChanges];
      if (column === undefined) throw new Error(`amphora has no attribute ${key}`);
      set[column] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    }
    await this.#c.ex.updateTable('amphora').set(set).where('id', '=', id).execute();
  }

  async setStatus(id: string, status: AmphoraStatus): Promise<void> {
    await this.update(id, { status });
  }

  /** Sets `to` only when the amphora is in one of `from`; false when it is not (or does not exist). */
  async compareAndSetStatus(id: string, from: readonly AmphoraStatus[], to: AmphoraStatus): Promise<boolean> {
    const result = await this.#c.ex
      .updateTable('amphora')
      .set({ status: to, updated_at: timestamp(this.#c.clock.now()) })
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Takes one amphora whose server certificate expires before `before` for rotation (upstream's
   * get_cert_expiring_amphora): not DELETED or PENDING_DELETE, not already `cert_busy`. Sets
   * `cert_busy` with a compare-and-set, so two housekeeping processes never rotate the same
   * amphora twice; the flow clears it. Returns the amphora id, or null when none is due.
   */
  async claimCertExpiring(before: string): Promise<string | null> {
    const candidates = await this.#c.ex
      .selectFrom('amphora')
      .select('id')
      .where('status', 'not in', ['DELETED', 'PENDING_DELETE'])
      .where('cert_busy', '=', 0)
      .where('cert_expiration', '<', before)
      .orderBy('cert_expiration')
      .orderBy('id')
      .limit(5)
      .execute();
    for (const c of candidates) {
      const r = await this.#c.ex
        .updateTable('amphora')
        .set({ cert_busy: 1, updated_at: timestamp(this.#c.clock.now()) })
        .where('id', '=', c.id)
        .where('cert_busy', '=', 0)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) return c.id;
    }
    return null;
  }

  /** DELETED amphorae last updated before `before` whose health record is gone or as old. */
  async deletedBefore(before: string, beforeMs: number, limit = 100): Promise<string[]> {
    const rows = await this.#c.ex
      .selectFrom('amphora')
      .leftJoin('amphora_health', 'amphora_health.amphora_id', 'amphora.id')
      .select('amphora.id')
      .where('amphora.status', '=', 'DELETED')
      .where('amphora.updated_at', '<', before)
      .where((eb) => eb.or([eb('amphora_health.amphora_id', 'is', null), eb('amphora_health.last_update', '<', beforeMs)]))
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async purge(id: string): Promise<void> {
    await this.#c.ex.deleteFrom('amphora_health').where('amphora_id', '=', id).execute();
    await this.#c.ex.deleteFrom('listener_statistics').where('amphora_id', '=', id).execute();
    await this.#c.ex.deleteFrom('amphora').where('id', '=', id).execute();
  }

  async deleteHealth(id: string): Promise<void> {
    await this.#c.ex.deleteFrom('amphora_health').where('amphora_id', '=', id).execute();
  }
}
