/** Per-project quota limits (null = configured default) and usage counters. */
import { QUOTA_RESOURCES, type Quota, type QuotaResource } from '../../domain/quota.js';
import { listRows, type ListRequest, type ListTable } from '../list-query.js';
import type { QuotasTable } from '../schema.js';
import type { RepoContext } from '../store.js';

export const QUOTA_COLUMN: Readonly<Record<QuotaResource, keyof QuotasTable & string>> = {
  loadBalancer: 'load_balancer',
  listener: 'listener',
  pool: 'pool',
  healthMonitor: 'health_monitor',
  member: 'member',
  l7policy: 'l7policy',
  l7rule: 'l7rule',
};

export const QUOTA_LIST: ListTable<'quotas'> = {
  table: 'quotas',
  idColumn: 'project_id',
  columns: {
    project_id: 'string',
    load_balancer: 'integer',
    listener: 'integer',
    pool: 'integer',
    health_monitor: 'integer',
    member: 'integer',
    l7policy: 'integer',
    l7rule: 'integer',
    in_use_load_balancer: 'integer',
    in_use_listener: 'integer',
    in_use_pool: 'integer',
    in_use_health_monitor: 'integer',
    in_use_member: 'integer',
    in_use_l7policy: 'integer',
    in_use_l7rule: 'integer',
  },
};

function fromRow(row: QuotasTable): Quota {
  const limits = {} as Record<QuotaResource, number | null>;
  const inUse = {} as Record<QuotaResource, number | null>;
  for (const r of QUOTA_RESOURCES) {
    const column = QUOTA_COLUMN[r];
    limits[r] = row[column] as number | null;
    inUse[r] = row[`in_use_${column}` as keyof QuotasTable] as number | null;
  }
  return { projectId: row.project_id, limits, inUse };
}

export class QuotaRepository {
  readonly #c: RepoContext;
  constructor(c: RepoContext) {
    this.#c = c;
  }

  async get(projectId: string): Promise<Quota | null> {
    const row = await this.#c.ex.selectFrom('quotas').selectAll().where('project_id', '=', projectId).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(request: ListRequest): Promise<Quota[]> {
    return (await listRows(this.#c.ex, QUOTA_LIST, request)).map(fromRow);
  }

  /** Sets the given limits (null: back to default), creating the row if needed. */
  async setLimits(projectId: string, limits: Partial<Record<QuotaResource, number | null>>): Promise<void> {
    await this.ensure(projectId);
    const set: Record<string, number | null> = {};
    for (const [r, v] of Object.entries(limits)) set[QUOTA_COLUMN[r as QuotaResource]] = v;
    if (Object.keys(set).length > 0) {
      await this.#c.ex.updateTable('quotas').set(set).where('project_id', '=', projectId).execute();
    }
  }

  async ensure(projectId: string): Promise<void> {
    const exists = await this.#c.ex.selectFrom('quotas').select('project_id').where('project_id', '=', projectId).executeTakeFirst();
    if (!exists) {
      const row: QuotasTable = {
        project_id: projectId,
        load_balancer: null,
        listener: null,
        pool: null,
        health_monitor: null,
        member: null,
        l7policy: null,
        l7rule: null,
        in_use_load_balancer: null,
        in_use_listener: null,
        in_use_pool: null,
        in_use_health_monitor: null,
        in_use_member: null,
        in_use_l7policy: null,
        in_use_l7rule: null,
      };
      await this.#c.ex.insertInto('quotas').values(row).execute();
    }
  }
}
