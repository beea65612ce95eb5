/**
 * An in-process Octavius for API tests: a fresh database on the chosen engine, the API application
 * (requests through fastify's inject, no sockets) and, unless disabled, a worker in the same
 * process so that objects reach their final statuses as with `octavius up`.
 */
import type { FastifyInstance } from 'fastify';
import { defaultConfig, withOverrides, type Config } from '../../src/config/config.js';
import { buildApi, buildDrivers, buildWorker, openStore, type BuiltDrivers } from '../../src/cli/compose.js';
import type { ApiDeps } from '../../src/api/deps.js';
import type { Worker } from '../../src/controller/worker.js';
import type { Engine, Db } from '../../src/db/connect.js';
import type { Store } from '../../src/db/store.js';
import { createLogger, silentLogger } from '../../src/lib/logger.js';
import { createTestDatabase, engines, type TestDatabase } from './databases.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { engines };

export type ConfigOverrides = { [G in keyof Config]?: Partial<Config[G]> };

export interface TestApiOptions {
  readonly engine?: Engine;
  readonly config?: ConfigOverrides;
  /** Run a worker in the process (default true). */
  readonly worker?: boolean;
  /** Use this database (the caller drops it) instead of a fresh one. */
  readonly database?: TestDatabase;
}

export interface TestResponse {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON freely
  readonly body: any;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Sent as X-Project-Id (noauth). */
  readonly project?: string;
  readonly headers?: Record<string, string>;
  /** Sent as is instead of JSON.stringify(body). */
  readonly rawBody?: string;
}

export interface TestApi {
  readonly engine: Engine;
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly deps: ApiDeps;
  readonly config: Config;
  readonly worker: Worker | null;
  /** The drivers the worker and API use (the real ones under test/support/dataplane.ts). */
  readonly drivers: BuiltDrivers;
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  /** Polls GET `path` until `<rootKey>.provisioning_status` is `status` (or the object is gone for 'DELETED'). */
  waitForStatus(path: string, rootKey: string, status?: string, timeoutMs?: number): Promise<TestResponse['body']>;
  /** Waits until no job is queued or running. */
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function testConfig(overrides: ConfigOverrides = {}): Config {
  const state = mkdtempSync(join(tmpdir(), 'octavius-state-'));
  const base = withOverrides(defaultConfig(), {
    DEFAULT: { host: 'test-host', state_path: state },
    api_settings: { auth_strategy: 'noauth' },
    task_flow: { job_poll_interval: 0.02, jobboard_expiration_time: 5 },
  });
  return withOverrides(base, overrides);
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const engine = options.engine ?? engines()[0] ?? 'sqlite';
  const owned = options.database === undefined;
  const database: TestDatabase = options.database ?? (await createTestDatabase(engine));
  const config = withOverrides(testConfig(options.config), { database: { connection: database.url } });
  // OCTAVIUS_TEST_LOG=debug (or info...) shows the in-process services' log on stderr.
  const log = process.env['OCTAVIUS_TEST_LOG'] ? createLogger({ level: process.env['OCTAVIUS_TEST_LOG'], fd: 2 }) : silentLogger();
  let db: Db;
  let store: Store;
  try {
    ({ db, store } = await openStore(config, log, undefined, { migrate: true }));
  } catch (err) {
    if (owned) await database.drop();
    throw err;
  }
  let drivers: BuiltDrivers;
  try {
    drivers = buildDrivers(config, log, db);
    await drivers.prepare();
  } catch (err) {
    await db.close();
    if (owned) await database.drop();
    throw err;
  }
  const worker = options.worker === false ? null : buildWorker(config, log, store, drivers);
  const { app, deps } = buildApi(config, log, store, drivers, () => worker?.notify());
  await app.ready();
  worker?.start();

  const request = async (method: string, path: string, o: RequestOptions = {}): Promise<TestResponse> => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.project) headers['x-project-id'] = o.project;
    let payload: string | undefined;
    if (o.rawBody !== undefined) payload = o.rawBody;
    else if (o.body !== undefined) payload = JSON.stringify(o.body);
    if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    const res = await app.inject({ method: method as 'GET', url: path, headers, ...(payload !== undefined ? { payload } : {}) });
    let body: unknown = null;
    try {
      body = res.body === '' ? null : JSON.parse(res.body);
    } catch {
      body = res.body;
    }
    return { status: res.statusCode, body, headers: res.headers as Record<string, string>, text: res.body };
  };

  const api: TestApi = {
    engine,
    app,
    store,
    deps,
    config,
    worker,
    drivers,
    request,
    async waitForStatus(path, rootKey, status = 'ACTIVE', timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      let last: TestResponse | null = null;
      for (;;) {
        last = await request('GET', path);
        if (status === 'DELETED' && last.status === 404) return null;
        if (last.status === 200 && last.body?.[rootKey]?.provisioning_status === status) return last.body[rootKey];
        if (Date.now() > deadline) {
          throw new Error(`${path} did not reach ${status} in ${timeoutMs} ms; last answer ${last.status} ${last.text}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async settle(timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const counts = await store.jobs.countByState();
        if (counts.queued === 0 && counts.running === 0) return;
        if (Date.now() > deadline) throw new Error(`jobs still pending after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      await worker?.stop();
      await app.close();
      await db.close();
      if (owned) await database.drop();
    },
  };
  return api;
}

/** A valid noop subnet id for VIPs. */
export const SUBNET = '8b3c1a4e-7b3b-4a0b-9f8f-0f6d2b8c9d10';

/** Creates a load balancer and waits until it is ACTIVE; returns its JSON. */
export async function createActiveLoadBalancer(api: TestApi, project = 'p1', extra: Record<string, unknown> = {}) {
  const res = await api.request('POST', '/v2/lbaas/loadbalancers', {
    project,
    body: { loadbalancer: { vip_subnet_id: SUBNET, ...extra } },
  });
  if (res.status !== 201) throw new Error(`load balancer create failed: ${res.status} ${res.text}`);
  return api.waitForStatus(`/v2/lbaas/loadbalancers/${res.body.loadbalancer.id}`, 'loadbalancer');
}
