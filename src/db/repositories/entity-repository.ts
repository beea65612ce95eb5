/**
 * The shared shape of repositories for tagged child objects (pools, members, health monitors,
 * L7 policies and rules): rows map one-to-one to domain objects plus their tags.
 */
import type { OperatingStatus, ProvisioningStatus } from '../../domain/status.js';
import { timestamp } from '../../lib/clock.js';
import { chunks, listRows, type ListRequest, type ListTable } from '../list-query.js';
import type { Database } from '../schema.js';
import type { RepoContext } from '../store.js';

type TableWithStatus = 'pool' | 'member' | 'health_monitor' | 'l7policy' | 'l7rule';

export interface EntityMapping<T, K extends TableWithStatus> {
  readonly list: ListTable<K>;
  fromRow(row: Database[K], tags: readonly string[]): T;
  toRow(entity: T): Database[K];
}

/* eslint-disable @typescript-eslint/no-explicit-any -- one generic implementation over five tables */
type Any = any;

export class EntityRepository<T extends { readonly id: string; readonly tags: readonly string[] }, K extends TableWithStatus> {
  protected readonly c: RepoContext;
  protected readonly m: EntityMapping<T, K>;
  constructor(c: RepoContext, m: EntityMapping<T, K>) {
    this.c = c;
    this.m = m;
  }

  protected get table(): K {
    return this.m.list.table;
  }

  protected get q(): Any {
    return this.c.ex;
  }

  async insert(entity: T): Promise<void> {
    await this.q.insertInto(this.table).values(this.m.toRow(entity)).execute();
    await this.c.tags.add(entity.id, entity.tags);
  }

  /** Writes every column and replaces the tags. */
  async save(entity: T): Promise<void> {
    const { id, ...row } = this.m.toRow(entity) as Any;
    await this.q.updateTable(this.table).set(row).where('id', '=', id).execute();
    await this.c.tags.set(entity.id, entity.tags);
  }

  async get(id: string): Promise<T | null> {
    const row = await this.q.selectFrom(this.table).selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return null;
    return this.m.fromRow(row, await this.c.tags.of(id));
  }

  async getMany(ids: readonly string[]): Promise<T[]> {
    const rows: Database[K][] = [];
    for (const part of chunks(ids)) rows.push(...(await this.q.selectFrom(this.table).selectAll().where('id', 'in', part).execute()));
    return this.hydrate(rows);
  }

  async list(request: ListRequest): Promise<T[]> {
    return this.hydrate(await listRows(this.c.ex, this.m.list, request));
  }

  /** Rows where `column` is one of `values`, ordered by creation. */
  async where(column: string, values: readonly string[]): Promise<T[]> {
    if (values.length === 0) return [];
    const rows: Database[K][] = [];
    for (const part of chunks(values)) {
      rows.push(
        ...(await this.q.selectFrom(this.table).selectAll().where(column, 'in', part).orderBy('created_at').orderBy('id').execute()),
      );
    }
    return this.hydrate(rows);
  }

  protected async hydrate(rows: readonly Database[K][]): Promise<T[]> {
    if (rows.length === 0) return [];
    const tags = await this.c.tags.forIds(rows.map((r: Any) => r.id));
    return rows.map((r: Any) => this.m.fromRow(r, tags.get(r.id) ?? []));
  }

  async setStatus(
    ids: string | readonly string[],
    change: { provisioningStatus?: ProvisioningStatus; operatingStatus?: OperatingStatus },
  ): Promise<void> {
    const list = typeof ids === 'string' ? [ids] : ids;
    if (list.length === 0) return;
    const set = {
      ...(change.provisioningStatus ? { provisioning_status: change.provisioningStatus } : {}),
      ...(change.operatingStatus ? { operating_status: change.operatingStatus } : {}),
      updated_at: timestamp(this.c.clock.now()),
    };
    for (const part of chunks(list)) await this.q.updateTable(this.table).set(set).where('id', 'in', part).execute();
  }

  /**
   * Sets provisioning ACTIVE on those of `ids` that are not in ERROR (upstream's
   * `prov_status_active_if_not_error`).
   */
  async activateUnlessError(ids: readonly string[]): Promise<void> {
    for (const part of chunks(ids)) {
      await this.q
        .updateTable(this.table)
        .set({ provisioning_status: 'ACTIVE', updated_at: timestamp(this.c.clock.now()) })
        .where('id', 'in', part)
        .where('provisioning_status', '!=', 'ERROR')
        .execute();
    }
  }

  /** Deletes rows (and their tags); child rows go with them through foreign keys. */
  async delete(ids: string | readonly string[]): Promise<void> {
    const list = typeof ids === 'string' ? [ids] : ids;
    if (list.length === 0) return;
    await this.c.tags.deleteFor(list);
    for (const part of chunks(list)) await this.q.deleteFrom(this.table).where('id', 'in', part).execute();
  }

  async exists(id: string): Promise<boolean> {
    return (await this.q.selectFrom(this.table).select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  }
}
