/**
 * /v2/lbaas/healthmonitors: list, show, create, update, delete (spec §2.6, §3.2), and the builder
 * used for a monitor embedded in a pool (single-call create). One monitor per pool; its type must
 * suit the pool's protocol. On delete the worker resets the pool's members to NO_MONITOR.
 */
import { Errors } from '../../domain/errors.js';
import type { HealthMonitor, HealthMonitorType } from '../../domain/health-monitor.js';
import type { Pool } from '../../domain/pool.js';
import { isUniqueViolation, type Store } from '../../db/store.js';
import { newId } from '../../lib/ids.js';
import { policy } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { ApiRequest, Router } from '../router.js';
import type { BuildContext } from './builders.js';
import {
  check,
  getLoadBalancer,
  has,
  inTransaction,
  listResponse,
  scopedListRequest, now,
  oneResponse,
  parseList,
  rootObject,
  tagList,
  type Json,
} from './common.js';
import type { ListAttributes } from './list-params.js';
import { getPool, lockPoolForChild, providerOf } from './pool-common.js';
import { BODIES } from './wire/requests.js';
import { healthMonitorJson } from './wire/responses.js';
import { invalidInput } from './wire/wsme.js';

const TYPE = 'healthmonitor';
const HTTP_TYPES: readonly string[] = ['HTTP', 'HTTPS'];
const HTTP_FIELDS = ['http_method', 'url_path', 'expected_codes'] as const;
/** Monitor types that work on UDP and SCTP pools. */
const UDP_SCTP_TYPES: readonly string[] = ['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP'];
const DEFAULT_MAX_RETRIES_DOWN = 3;

export const HEALTH_MONITOR_ATTRIBUTES: ListAttributes = {
  id: { column: 'id', kind: 'string' },
  project_id: { column: 'project_id', kind: 'string' },
  pool_id: { column: 'pool_id', kind: 'string' },
  name: { column: 'name', kind: 'string' },
  type: { column: 'type', kind: 'string' },
  delay: { column: 'delay', kind: 'integer' },
  timeout: { column: 'timeout', kind: 'integer' },
  max_retries: { column: 'rise_threshold', kind: 'integer' },
  rise_threshold: { column: 'rise_threshold', kind: 'integer' },
  max_retries_down: { column: 'fall_threshold', kind: 'integer' },
  fall_threshold: { column: 'fall_threshold', kind: 'integer' },
  http_method: { column: 'http_method', kind: 'string' },
  url_path: { column: 'url_path', kind: 'string' },
  expected_codes: { column: 'expected_codes', kind: 'string' },
  http_version: { column: 'http_version', kind: 'string' },
  domain_name: { column: 'domain_name', kind: 'string' },
  admin_state_up: { column: 'enabled', kind: 'boolean' },
  enabled: { column: 'enabled', kind: 'boolean' },
  provisioning_status: { column: 'provisioning_status', kind: 'string' },
  operating_status: { column: 'operating_status', kind: 'string' },
  created_at: { column: 'created_at', kind: 'datetime' },
  updated_at: { column: 'updated_at', kind: 'datetime' },
};

/** Python's str() of the float http_version (1 → "1.0"). */
const pyFloat = (v: number): string => (Number.isInteger(v) ? v.toFixed(1) : String(v));

/** `[api_settings] allow_ping_health_monitors=false` → 400 DisabledOption. */
function checkPingAllowed(deps: ApiDeps, type: unknown): void {
  if (type === 'PING' && !deps.config.api_settings.allow_ping_health_monitors) throw Errors.disabledOption('type', 'PING');
}

/** The monitor type must suit the pool protocol; UDP-CONNECT has a configured minimum delay. */
function checkPoolProtocol(deps: ApiDeps, pool: Pool, type: unknown, delay: unknown): void {
  if (pool.protocol === 'UDP' || pool.protocol === 'SCTP') {
    if (!UDP_SCTP_TYPES.includes(type as string)) {
      throw Errors.validation(
        `The associated pool protocol is ${pool.protocol}, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.`,
      );
    }
    const min = deps.config.api_settings.udp_connect_min_interval_health_monitor;
    if (type === 'UDP-CONNECT' && typeof delay === 'number' && delay < min) {
      throw Errors.validation(
        `The request delay value ${delay} should be larger than ${min} for UDP-CONNECT health monitor type.`,
      );
    }
  } else if (type === 'UDP-CONNECT' || type === 'SCTP') {
    throw Errors.validation(`The ${String(type)} type is only supported for pools of type UDP/SCTP.`);
  }
}

/**
 * Upstream declares no length for these but stores them in VARCHAR(2048) and VARCHAR(64), so
 * PostgreSQL and MySQL fail the write (a 500); refused with WSME's wording on every engine.
 */
const STORED_LENGTHS = { url_path: 2048, expected_codes: 64 } as const;

function checkStoredLengths(input: Json): void {
  for (const [key, max] of Object.entries(STORED_LENGTHS)) {
    const value = input[key];
    if (typeof value === 'string' && [...value].length > max) {
      throw invalidInput(key, value, `Value should have a maximum character requirement of ${max}`);
    }
  }
}

/**
 * `_validate_create_hm`: mandatory values not null, HTTP fields only (and defaulted) for HTTP and
 * HTTPS monitors, domain_name needs http_version 1.1. Returns the HTTP fields to store.
 */
function checkCreate(input: Json): { httpMethod: string | null; urlPath: string | null; expectedCodes: string | null } {
  for (const key of ['type', 'delay', 'timeout', 'max_retries']) {
    if (input[key] === null || input[key] === undefined) throw Errors.invalidOption('None', key);
  }
  const type = input['type'] as string;
  let httpMethod = (input['http_method'] as string | null | undefined) ?? null;
  let urlPath = (input['url_path'] as string | null | undefined) ?? null;
  let expectedCodes = (input['expected_codes'] as string | null | undefined) ?? null;
  if (!HTTP_TYPES.includes(type)) {
    for (const key of HTTP_FIELDS) if (input[key]) throw Errors.invalidOption(key, `health monitors of type ${type}`);
  } else {
    httpMethod ||= 'GET';
    urlPath ||= '/';
    expectedCodes ||= '200';
  }
  const version = input['http_version'] as number | null | undefined;
  if (input['domain_name'] && !version) {
    throw Errors.validation("'http_version' must be specified when 'domain_name' is provided.");
  }
  if (version && input['domain_name'] && version < 1.1) {
    throw Errors.invalidOption(`http_version ${pyFloat(version)}`, 'health monitors HTTP 1.1 domain name health check');
  }
  checkStoredLengths(input);
  return { httpMethod, urlPath, expectedCodes };
}

/**
 * Validates a monitor for `pool` and inserts it PENDING_CREATE/OFFLINE in the caller's transaction;
 * 409 when the pool already has one. Deviation: upstream's single-call create does not apply
 * `allow_ping_health_monitors`; we do, so that the option means what it says everywhere.
 */
export async function buildHealthMonitor(b: BuildContext, pool: Pool, input: Json): Promise<HealthMonitor> {
  checkPingAllowed(b.deps, input['type']);
  const http = checkCreate(input);
  checkPoolProtocol(b.deps, pool, input['type'], input['delay']);
  const hm: HealthMonitor = {
    id: newId(),
    projectId: pool.projectId,
    poolId: pool.id,
    name: (input['name'] as string | null | undefined) ?? null,
    type: input['type'] as HealthMonitorType,
    delay: input['delay'] as number,
    timeout: input['timeout'] as number,
    maxRetries: input['max_retries'] as number,
    maxRetriesDown: (input['max_retries_down'] as number | null | undefined) ?? DEFAULT_MAX_RETRIES_DOWN,
    httpMethod: http.httpMethod as HealthMonitor['httpMethod'],
    urlPath: http.urlPath,
    expectedCodes: http.expectedCodes,
    httpVersion: (input['http_version'] as number | null | undefined) ?? null,
    domainName: (input['domain_name'] as string | null | undefined) ?? null,
    adminStateUp: Boolean(input['admin_state_up'] ?? false),
    provisioningStatus: 'PENDING_CREATE',
    operatingStatus: 'OFFLINE',
    tags: tagList(input['tags']),
    createdAt: b.now,
    updatedAt: null,
  };
  if (await b.tx.healthMonitors.forPool(pool.id)) throw Errors.duplicateHealthMonitor();
  try {
    await b.tx.healthMonitors.insert(hm);
  } catch (err) {
    if (isUniqueViolation(err)) throw Errors.duplicateHealthMonitor();
    throw err;
  }
  return hm;
}

/** The monitor, or 404 "Health Monitor <id> not found.". */
async function getHealthMonitor(store: Store, id: string): Promise<HealthMonitor> {
  const hm = await store.healthMonitors.get(id);
  if (!hm || hm.provisioningStatus === 'DELETED') throw Errors.notFound('Health Monitor', id);
  return hm;
}

export function registerHealthMonitors(r: Router, deps: ApiDeps, prefixes: readonly string[]): void {
  const mount = { prefixes };
  r.add(
    {
      method: 'GET',
      path: '/healthmonitors',
      summary: 'List health monitors',
      handler: async (req) => {
        const parsed = parseList(deps, req, HEALTH_MONITOR_ATTRIBUTES);
        const request = scopedListRequest(deps, req, TYPE, parsed);
        const hms = await deps.store.healthMonitors.list(request);
        const items = hms.map((h) => healthMonitorJson(h));
        return { status: 200, body: listResponse(deps, req, parsed, 'healthmonitors', 'healthmonitors_links', items) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: '/healthmonitors/:id',
      summary: 'Show a health monitor',
      handler: async (req) => {
        const hm = await getHealthMonitor(deps.store, req.params['id']!);
        check(deps, req, policy(TYPE, 'get_one'), hm.projectId);
        return { status: 200, body: oneResponse(deps, req, 'healthmonitor', healthMonitorJson(hm)) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'POST',
      path: '/healthmonitors',
      summary: 'Create a health monitor on a pool',
      body: BODIES.healthMonitorPost,
      handler: (req) => createHealthMonitor(deps, req),
    },
    mount,
  );

  r.add(
    {
      method: 'PUT',
      path: '/healthmonitors/:id',
      summary: 'Update a health monitor',
      body: BODIES.healthMonitorPut,
      handler: (req) => updateHealthMonitor(deps, req),
    },
    mount,
  );

  r.add(
    {
      method: 'DELETE',
      path: '/healthmonitors/:id',
      summary: 'Delete a health monitor',
      handler: async (req) => {
        await inTransaction(deps, async (tx) => {
          const hm = await getHealthMonitor(tx, req.params['id']!);
          const found = await getPool(tx, hm.poolId);
          const lb = await getLoadBalancer(tx, found.loadBalancerId);
          check(deps, req, policy(TYPE, 'delete'), lb.projectId);
          const provider = providerOf(deps, lb);
          const { pool, listenerIds } = await lockPoolForChild(tx, found.id);
          await tx.healthMonitors.setStatus(hm.id, { provisioningStatus: 'PENDING_DELETE' });
          await provider.healthMonitorDelete(tx, pool, { ...hm, provisioningStatus: 'PENDING_DELETE' }, { listenerIds });
        });
        return { status: 204 };
      },
    },
    mount,
  );
}

async function createHealthMonitor(deps: ApiDeps, req: ApiRequest) {
  const body = rootObject(req.body, 'healthmonitor', 'healthmonitor');
  const id = await inTransaction(deps, async (tx) => {
    const poolId = body['pool_id'] as string | null;
    // pool_id is mandatory, but WSME lets an explicit null through; upstream then looks up "None".
    const found = await getPool(tx, poolId ?? 'None');
    const lb = await getLoadBalancer(tx, found.loadBalancerId);
    check(deps, req, policy(TYPE, 'post'), lb.projectId);
    checkPingAllowed(deps, body['type']);
    checkPoolProtocol(deps, found, body['type'], body['delay']);
    const provider = providerOf(deps, lb);
    const { pool, listenerIds } = await lockPoolForChild(tx, found.id);
    const hm = await buildHealthMonitor({ tx, deps, req, lb, graph: false, now: now(deps) }, pool, body);
    await provider.healthMonitorCreate(tx, pool, hm, { listenerIds });
    return hm.id;
  });
  return { status: 201, body: { healthmonitor: healthMonitorJson((await deps.store.healthMonitors.get(id))!) } };
}

/** `_validate_update_hm` against the stored monitor. */
function checkUpdate(hm: HealthMonitor, body: Json): void {
  if (!HTTP_TYPES.includes(hm.type)) {
    for (const key of HTTP_FIELDS) if (has(body, key)) throw Errors.invalidOption(key, `health monitors of type ${hm.type}`);
  }
  for (const key of ['delay', 'max_retries', 'timeout']) {
    if (has(body, key) && body[key] === null) throw Errors.invalidOption(null, key);
  }
  const version = body['http_version'] as number | null | undefined;
  if (body['domain_name'] && !(hm.httpVersion || version)) {
    throw Errors.validation("'http_version' must be specified when 'domain_name' is provided.");
  }
  if ((hm.httpVersion || version) && (hm.domainName || body['domain_name'])) {
    const effective = (version || hm.httpVersion)!;
    if (effective < 1.1) {
      throw Errors.invalidOption(`http_version ${pyFloat(effective)}`, 'health monitors HTTP 1.1 domain name health check');
    }
  }
  checkStoredLengths(body);
}

async function updateHealthMonitor(deps: ApiDeps, req: ApiRequest) {
  const body = rootObject(req.body, 'healthmonitor', 'healthmonitor');
  const id = req.params['id']!;
  await inTransaction(deps, async (tx) => {
    const hm = await getHealthMonitor(tx, id);
    const found = await getPool(tx, hm.poolId);
    const lb = await getLoadBalancer(tx, found.loadBalancerId);
    check(deps, req, policy(TYPE, 'put'), lb.projectId);
    checkUpdate(hm, body);
    if (found.protocol === 'UDP' || found.protocol === 'SCTP') checkPoolProtocol(deps, found, hm.type, body['delay']);
    const provider = providerOf(deps, lb);
    const { pool, listenerIds } = await lockPoolForChild(tx, found.id);
    const pick = <T>(key: string, current: T): T => (has(body, key) ? (body[key] as T) : current);
    // null resets the HTTP fields and max_retries_down to their defaults.
    const orDefault = <T>(key: string, current: T, fallback: T): T => (has(body, key) ? ((body[key] as T | null) ?? fallback) : current);
    const updated: HealthMonitor = {
      ...hm,
      name: pick('name', hm.name),
      delay: pick('delay', hm.delay),
      timeout: pick('timeout', hm.timeout),
      maxRetries: pick('max_retries', hm.maxRetries),
      maxRetriesDown: orDefault('max_retries_down', hm.maxRetriesDown, DEFAULT_MAX_RETRIES_DOWN),
      httpMethod: orDefault('http_method', hm.httpMethod, 'GET'),
      urlPath: orDefault('url_path', hm.urlPath, '/'),
      expectedCodes: orDefault('expected_codes', hm.expectedCodes, '200'),
      adminStateUp: has(body, 'admin_state_up') ? Boolean(body['admin_state_up']) : hm.adminStateUp,
      tags: has(body, 'tags') ? tagList(body['tags']) : hm.tags,
      httpVersion: pick('http_version', hm.httpVersion),
      domainName: pick('domain_name', hm.domainName),
      provisioningStatus: 'PENDING_UPDATE',
      updatedAt: now(deps),
    };
    await tx.healthMonitors.save(updated);
    await provider.healthMonitorUpdate(tx, pool, updated, { listenerIds });
  });
  return { status: 200, body: { healthmonitor: healthMonitorJson((await deps.store.healthMonitors.get(id))!) } };
}
