/**
 * Listing with upstream's semantics (spec §1.6): equality filters (a repeated value means "any
 * of"), tag filters, multi-key sorting, and keyset pagination from a marker row. The API layer turns
 * query strings into a ListRequest; this module only speaks columns.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { DomainError, Errors } from '../domain/errors.js';
import type { Database } from './schema.js';
import type { Executor } from './store.js';

export type ColumnKind = 'string' | 'integer' | 'boolean' | 'datetime';

export interface ListFilter {
  readonly column: string;
  readonly values: readonly (string | number)[];
}

export interface TagFilter {
  readonly all?: readonly string[];
  readonly any?: readonly string[];
  readonly notAll?: readonly string[];
  readonly notAny?: readonly string[];
}

export interface SortKey {
  readonly column: string;
  readonly direction: 'asc' | 'desc';
}

export interface ListRequest {
  readonly filters: readonly ListFilter[];
  readonly tags?: TagFilter;
  readonly sort: readonly SortKey[];
  /** null: no limit. */
  readonly limit: number | null;
  readonly marker: string | null;
  readonly pageReverse: boolean;
}

export const UNFILTERED: ListRequest = { filters: [], sort: [], limit: null, marker: null, pageReverse: false };

export interface ListTable<T extends keyof Database> {
  readonly table: T;
  /** Kind of each sortable/filterable column, for NULL defaults in marker comparisons. */
  readonly columns: Readonly<Record<string, ColumnKind>>;
  /** Conditions every listed row must meet (e.g. not DELETED, inside one pool). */
  readonly scope?: (eb: ExpressionBuilder<Database, T>) => Expression<SqlBool>;
  /** Column of the primary key used by markers (default `id`). */
  readonly idColumn?: string;
}

const NULL_DEFAULT: Record<ColumnKind, string | number | null> = {
  string: '',
  integer: 0,
  boolean: 0,
  datetime: null,
};

export async function listRows<T extends keyof Database>(
  ex: Executor,
  spec: ListTable<T>,
  request: ListRequest,
): Promise<Database[T][]> {
  const idColumn = spec.idColumn ?? 'id';
  // Dynamic column names are checked against spec.columns by the caller (API list parameters).
  let q = (ex as Executor).selectFrom(spec.table as keyof Database).selectAll() as unknown as AnyQuery;
  if (spec.scope) q = q.where(spec.scope as never);
  for (const f of request.filters) {
    const values = f.values;
    q =
      values.length === 1
        ? q.where(sql.ref(f.column), '=', values[0])
        : q.where(sql.ref(f.column), 'in', values);
  }
  q = applyTagFilters(q, idColumn, request.tags);

  if (request.marker !== null) {
    const marker = (await (ex as Executor)
      .selectFrom(spec.table as keyof Database)
      .selectAll()
      .where(sql.ref(idColumn), '=', request.marker)
      .executeTakeFirst()) as Record<string, unknown> | undefined;
    if (!marker) throw Errors.invalidMarker(request.marker);
    const criteria: Expression<SqlBool>[] = [];
    request.sort.forEach((key, i) => {
      const parts: Expression<SqlBool>[] = [];
      for (let j = 0; j < i; j++) {
        const k = request.sort[j]!;
        parts.push(sql<SqlBool>`${valueExpr(spec, k.column)} = ${markerValue(spec, marker, k.column)}`);
      }
      const ascending = (key.direction === 'asc') !== request.pageReverse;
      const op = ascending ? sql.raw('>') : sql.raw('<');
      parts.push(sql<SqlBool>`${valueExpr(spec, key.column)} ${op} ${markerValue(spec, marker, key.column)}`);
      criteria.push(parts.length === 1 ? parts[0]! : sql<SqlBool>`(${sql.join(parts, sql` and `)})`);
    });
    if (criteria.length > 0) q = q.where(sql<SqlBool>`(${sql.join(criteria, sql` or `)})`);
  }
  for (const key of request.sort) q = q.orderBy(sql.ref(key.column), key.direction);
  if (request.limit !== null) q = q.limit(request.limit);
  return (await q.execute()) as Database[T][];
}

/* eslint-disable @typescript-eslint/no-explicit-any -- dynamic query over a table chosen at run time */
type AnyQuery = any;

function valueExpr(spec: { columns: Readonly<Record<string, ColumnKind>> }, column: string): Expression<unknown> {
  const kind = spec.columns[column];
  if (kind === undefined) throw new DomainError('internal', `unknown list column ${column}`);
  const def = NULL_DEFAULT[kind];
  return def === null ? sql.ref(column) : sql`coalesce(${sql.ref(column)}, ${def})`;
}

function markerValue(spec: { columns: Readonly<Record<string, ColumnKind>> }, marker: Record<string, unknown>, column: string): unknown {
  const v = marker[column];
  if (v === null || v === undefined) return NULL_DEFAULT[spec.columns[column] ?? 'string'];
  return v;
}

function applyTagFilters(q: AnyQuery, idColumn: string, tags: TagFilter | undefined): AnyQuery {
  if (!tags) return q;
  const id = sql.ref(idColumn);
  for (const tag of tags.all ?? []) {
    q = q.where(id, 'in', (eb: AnyQuery) => eb.selectFrom('tag').select('resource_id').where('tag', '=', tag));
  }
  if (tags.any && tags.any.length > 0) {
    const any = tags.any;
    q = q.where(id, 'in', (eb: AnyQuery) => eb.selectFrom('tag').select('resource_id').where('tag', 'in', any));
  }
  if (tags.notAll && tags.notAll.length > 0) {
    const notAll = tags.notAll;
    q = q.where(id, 'not in', (eb: AnyQuery) =>
      eb
        .selectFrom('tag')
        .select('resource_id')
        .where('tag', 'in', notAll)
        .groupBy('resource_id')
        .having(sql`count(distinct tag)`, '=', new Set(notAll).size),
    );
  }
  if (tags.notAny && tags.notAny.length > 0) {
    const notAny = tags.notAny;
    q = q.where(id, 'not in', (eb: AnyQuery) => eb.selectFrom('tag').select('resource_id').where('tag', 'in', notAny));
  }
  return q;
}

/** Splits rows into chunks for `IN (...)` lists that every engine accepts. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
