/** Load balancer rows with their VIP security groups, additional VIPs and tags. */
import type { LoadBalancer } from '../../domain/load-balancer.js';
import type { OperatingStatus, ProvisioningStatus } from '../../domain/status.js';
import { timestamp } from '../../lib/clock.js';
import { chunks, listRows, type ListRequest, type ListTable } from '../list-query.js';
import { additionalVipFromRow, loadBalancerFromRow, loadBalancerToRow } from '../mappers.js';
import type { LoadBalancerTable } from '../schema.js';
import type { RepoContext } from '../store.js';

export const LOAD_BALANCER_LIST: ListTable<'load_balancer'> = {
  table: 'load_balancer',
  columns: {
    id: 'string',
    project_id: 'string',
    name: 'string',
    description: 'string',
    provisioning_status: 'string',
    operating_status: 'string',
    enabled: 'boolean',
    topology: 'string',
    server_group_id: 'string',
    provider: 'string',
    flavor_id: 'string',
    availability_zone: 'string',
    vip_address: 'string',
    vip_port_id: 'string',
    vip_subnet_id: 'string',
    vip_network_id: 'string',
    vip_qos_policy_id: 'string',
    vip_vnic_type: 'string',
    created_at: 'datetime',
    updated_at: 'datetime',
  },
  scope: (eb) => eb('provisioning_status', '!=', 'DELETED'),
};

export interface StatusChange {
  readonly provisioningStatus?: ProvisioningStatus;
  readonly operatingStatus?: OperatingStatus;
}

export class LoadBalancerRepository {
  readonly #c: RepoContext;
  constructor(c: RepoContext) {
    this.#c = c;
  }

  async insert(lb: LoadBalancer): Promise<void> {
    const ex = this.#c.ex;
    await ex.insertInto('load_balancer').values(loadBalancerToRow(lb)).execute();
    await this.#writeChildren(lb, true);
  }

  /** Writes every column and replaces security groups, additional VIPs and tags. */
  async save(lb: LoadBalancer): Promise<void> {
    const ex = this.#c.ex;
    const { id, ...row } = loadBalancerToRow(lb);
    await ex.updateTable('load_balancer').set(row).where('id', '=', id).execute();
    await ex.deleteFrom('vip_security_group').where('load_balancer_id', '=', id).execute();
    await ex.deleteFrom('additional_vip').where('load_balancer_id', '=', id).execute();
    await this.#writeChildren(lb);
  }

  async #writeChildren(lb: LoadBalancer, fresh = false): Promise<void> {
    const ex = this.#c.ex;
    if (lb.vip.sgIds.length > 0) {
      await ex
        .insertInto('vip_security_group')
        .values([...new Set(lb.vip.sgIds)].map((sg_id) => ({ load_balancer_id: lb.id, sg_id })))
        .execute();
    }
    if (lb.additionalVips.length > 0) {
      await ex
        .insertInto('additional_vip')
        .values(
          lb.additionalVips.map((v) => ({
            load_balancer_id: lb.id,
            subnet_id: v.subnetId,
            network_id: v.networkId,
            port_id: v.portId,
            ip_address: v.ipAddress,
          })),
        )
        .execute();
    }
    if (fresh) await this.#c.tags.add(lb.id, lb.tags);
    else await this.#c.tags.set(lb.id, lb.tags);
  }

  async get(id: string): Promise<LoadBalancer | null> {
    const row = await this.#c.ex.selectFrom('load_balancer').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    return (await this.#hydrate([row]))[0]!;
  }

  async getMany(ids: readonly string[]): Promise<LoadBalancer[]> {
    const rows: LoadBalancerTable[] = [];
    for (const part of chunks(ids)) {
      rows.push(...(await this.#c.ex.selectFrom('load_balancer').selectAll().where('id', 'in', part).execute()));
    }
    return this.#hydrate(rows);
  }

  async list(request: ListRequest): Promise<LoadBalancer[]> {
    return this.#hydrate(await listRows(this.#c.ex, LOAD_BALANCER_LIST, request));
  }

  async #hydrate(rows: readonly LoadBalancerTable[]): Promise<LoadBalancer[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const ex = this.#c.ex;
    const sgs = new Map<string, string[]>();
    const addl = new Map<string, ReturnType<typeof additionalVipFromRow>[]>();
    for (const part of chunks(ids)) {
      for (const r of await ex.selectFrom('vip_security_group').selectAll().where('load_balancer_id', 'in', part).execute()) {
        (sgs.get(r.load_balancer_id) ?? sgs.set(r.load_balancer_id, []).get(r.load_balancer_id)!).push(r.sg_id);
      }
      for (const r of await ex.selectFrom('additional_vip').selectAll().where('load_balancer_id', 'in', part).execute()) {
        (addl.get(r.load_balancer_id) ?? addl.set(r.load_balancer_id, []).get(r.load_balancer_id)!).push(
          additionalVipFromRow(r),
        );
      }
    }
    const tags = await this.#c.tags.forIds(ids);
    return rows.map((row) =>
      loadBalancerFromRow(row, {
        tags: tags.get(row.id) ?? [],
        sgIds: (sgs.get(row.id) ?? []).sort(),
        additionalVips: addl.get(row.id) ?? [],
      }),
    );
  }

  /**
   * The lock of spec §3.2: moves the load balancer to `to` only if it is in one of `from`.
   * Returns false (and changes nothing) otherwise.
   */
  async compareAndSetStatus(id: string, from: readonly ProvisioningStatus[], to: ProvisioningStatus): Promise<boolean> {
    const result = await this.#c.ex
      .updateTable('load_balancer')
      .set({ provisioning_status: to, updated_at: timestamp(this.#c.clock.now()) })
      .where('id', '=', id)
      .where('provisioning_status', 'in', [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async setStatus(id: string, change: StatusChange): Promise<void> {
    await this.#c.ex
      .updateTable('load_balancer')
      .set({
        ...(change.provisioningStatus ? { provisioning_status: change.provisioningStatus } : {}),
        ...(change.operatingStatus ? { operating_status: change.operatingStatus } : {}),
        updated_at: timestamp(this.#c.clock.now()),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Ids of listeners and pools per load balancer, in creation order, for API responses. */
  async childIds(ids: readonly string[]): Promise<Map<string, { listeners: string[]; pools: string[] }>> {
    const out = new Map<string, { listeners: string[]; pools: string[] }>();
    for (const id of ids) out.set(id, { listeners: [], pools: [] });
    const ex = this.#c.ex;
    for (const part of chunks(ids)) {
      const listeners = await ex
        .selectFrom('listener')
        .select(['id', 'load_balancer_id'])
        .where('load_balancer_id', 'in', part)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      for (const l of listeners) out.get(l.load_balancer_id)?.listeners.push(l.id);
      const pools = await ex
        .selectFrom('pool')
        .select(['id', 'load_balancer_id'])
        .where('load_balancer_id', 'in', part)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      for (const p of pools) out.get(p.load_balancer_id)?.pools.push(p.id);
    }
    return out;
  }

  /** Removes the row and everything that cascades from it (housekeeping purge). */
  async purge(id: string): Promise<void> {
    await this.#c.tags.deleteFor([id]);
    await this.#c.ex.deleteFrom('load_balancer').where('id', '=', id).execute();
  }

  async countForProject(projectId: string): Promise<number> {
    const r = await this.#c.ex
      .selectFrom('load_balancer')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', projectId)
      .where('provisioning_status', '!=', 'DELETED')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** DELETED load balancers last updated before `before` (a timestamp text). */
  async deletedBefore(before: string, limit = 100): Promise<string[]> {
    const rows = await this.#c.ex
      .selectFrom('load_balancer')
      .select('id')
      .where('provisioning_status', '=', 'DELETED')
      .where('updated_at', '<', before)
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }
}
