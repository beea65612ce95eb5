/**
 * Query strings of list calls → a ListRequest (spec §1.6): reserved parameters for paging, sorting
 * and field selection; every other parameter is an equality filter on an attribute of the resource,
 * translated from its API name to its column. Links are built as upstream builds them.
 */
import { Errors } from '../../domain/errors.js';
import type { ColumnKind, ListFilter, ListRequest, SortKey, TagFilter } from '../../db/list-query.js';

export const RESERVED_PARAMS = ['limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'fields', 'page_reverse'] as const;
const TAG_PARAMS = ['tags', 'tags-any', 'not-tags', 'not-tags-any'] as const;

export type Query = Readonly<Record<string, string | string[] | undefined>>;

export interface ListAttributes {
  /** API name (and DB column names that upstream also accepts) → column and kind. */
  readonly [apiName: string]: { readonly column: string; readonly kind: ColumnKind };
}

export interface ListSettings {
  readonly allowPagination: boolean;
  readonly allowSorting: boolean;
  readonly allowFiltering: boolean;
  /** Largest page (`pagination_max_limit`); null when unlimited. */
  readonly maxLimit: number | null;
}

export interface ParsedList {
  readonly request: ListRequest;
  /** The raw parameters the links repeat. */
  readonly limit: number | null;
  readonly sortParam: string | null;
  readonly sortKeyParam: string | null;
  readonly marker: string | null;
  readonly projectIdFilter: string | null;
}

const last = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v);
const all = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const TRUE_STRINGS = ['1', 't', 'true', 'on', 'y', 'yes'];

/** oslo strutils.bool_from_string (non-strict): anything not truthy is false. */
export function boolFromString(s: string): boolean {
  return TRUE_STRINGS.includes(s.trim().toLowerCase());
}

export function parseMaxLimit(text: string): number | null {
  if (text.trim().toLowerCase() === 'infinite') return null;
  const n = Number.parseInt(text, 10);
  return n < 1 ? null : n;
}

function parseLimit(raw: string | undefined, max: number | null): number | null {
  if (raw === undefined) return max;
  if (raw === 'infinite') return null;
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw Errors.invalidLimit(raw);
  const n = Number.parseInt(raw, 10);
  if (n < 1) return null;
  return max === null ? n : Math.min(n, max);
}

function sortDirection(dir: string): 'asc' | 'desc' {
  const d = dir.toLowerCase();
  if (d !== 'asc' && d !== 'desc') throw Errors.invalidSortDirection(d);
  return d;
}

export function parseListQuery(
  query: Query,
  attributes: ListAttributes,
  settings: ListSettings,
  options: { defaultSort?: readonly string[]; extraFilters?: readonly ListFilter[] } = {},
): ParsedList {
  const filters: ListFilter[] = [...(options.extraFilters ?? [])];
  const tags: { -readonly [K in keyof TagFilter]: string[] } = {};
  let projectIdFilter: string | null = null;
  if (settings.allowFiltering) {
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || (RESERVED_PARAMS as readonly string[]).includes(key)) continue;
      if ((TAG_PARAMS as readonly string[]).includes(key)) {
        const list = all(value).flatMap((v) => v.split(','));
        const field = ({ tags: 'all', 'tags-any': 'any', 'not-tags': 'notAll', 'not-tags-any': 'notAny' } as const)[
          key as (typeof TAG_PARAMS)[number]
        ];
        tags[field] = list;
        continue;
      }
      const attr = attributes[key];
      if (!attr) throw Errors.invalidFilter();
      const values = all(value).map((v) => (attr.kind === 'boolean' ? (boolFromString(v) ? 1 : 0) : attr.kind === 'integer' && /^-?\d+$/.test(v) ? Number(v) : v));
      if (key === 'project_id') projectIdFilter = last(value) ?? null;
      filters.push({ column: attr.column, values });
    }
  }

  const sort: SortKey[] = [];
  const sortParam = last(query['sort']) ?? null;
  const sortKeyParam = last(query['sort_key']) ?? null;
  if (settings.allowSorting) {
    const requested: { key: string; dir: 'asc' | 'desc' }[] = [];
    if (sortParam) {
      for (const part of sortParam.split(',')) {
        const comps = part.split(':');
        if (comps.length === 1) requested.push({ key: comps[0]!, dir: 'asc' });
        else if (comps.length === 2) requested.push({ key: comps[0]!, dir: sortDirection(comps[1]!) });
        else throw Errors.invalidSortKey(`[${comps.map((c) => `'${c}'`).join(', ')}]`);
      }
    } else if (sortKeyParam) {
      const keys = sortKeyParam.split(',');
      const dirs = (last(query['sort_dir']) ?? '').split(',').filter((d) => d !== '');
      keys.forEach((key, i) => requested.push({ key, dir: sortDirection(dirs[i] ?? 'asc') }));
    }
    for (const key of options.defaultSort ?? ['created_at', 'id']) {
      if (!requested.some((r) => r.key === key) && attributes[key]) requested.push({ key, dir: 'asc' });
    }
    for (const r of requested) {
      const attr = attributes[r.key];
      if (!attr) throw Errors.invalidSortKey(r.key);
      sort.push({ column: attr.column, direction: r.dir });
    }
  }

  let limit: number | null = null;
  let marker: string | null = null;
  let pageReverse = false;
  if (settings.allowPagination) {
    limit = parseLimit(last(query['limit']), settings.maxLimit);
    marker = last(query['marker']) ?? null;
    pageReverse = last(query['page_reverse']) === 'True';
  }

  const hasTags = Object.keys(tags).length > 0;
  return {
    request: { filters, ...(hasTags ? { tags } : {}), sort, limit, marker, pageReverse },
    limit,
    sortParam,
    sortKeyParam,
    marker,
    projectIdFilter,
  };
}

export interface PageLink {
  readonly href: string;
  readonly rel: 'next' | 'previous';
}

/** Upstream's links: `previous` when a marker was given, `next` when the page is full. */
export function pageLinks(parsed: ParsedList, items: readonly { id: string }[], baseUrl: string): PageLink[] {
  const links: PageLink[] = [];
  if (items.length === 0) return links;
  const attrs = [`limit=${parsed.limit === null ? 'None' : parsed.limit}`];
  if (parsed.sortParam) attrs.push(`sort=${parsed.sortParam}`);
  if (parsed.sortKeyParam) attrs.push(`sort_key=${parsed.sortKeyParam}`);
  if (parsed.marker) {
    links.push({ rel: 'previous', href: `${baseUrl}?${[...attrs, `marker=${items[0]!.id}`, 'page_reverse=True'].join('&')}` });
  }
  if (parsed.limit === null || items.length >= parsed.limit) {
    links.push({ rel: 'next', href: `${baseUrl}?${[...attrs, `marker=${items[items.length - 1]!.id}`].join('&')}` });
  }
  return links;
}

/** `fields=a&fields=b` (or comma separated): keep only those keys. */
export function selectFields<T extends Record<string, unknown>>(obj: T, fields: readonly string[] | null): Partial<T> {
  if (!fields || fields.length === 0) return obj;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in obj) out[f] = obj[f];
  return out as Partial<T>;
}

export function fieldsParam(query: Query): string[] | null {
  const list = all(query['fields']).flatMap((f) => f.split(','));
  return list.length > 0 ? list : null;
}
