/**
 * A thin route table over fastify. Handlers are plain async functions from a parsed request to a
 * status and a JSON body; the router authenticates, decodes the body with its WSME type, maps
 * errors once, and mounts each route under every prefix upstream accepts. The same table feeds
 * /openapi.json.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import { DomainError, Errors, isDomainError } from '../domain/errors.js';
import type { Logger } from '../lib/logger.js';
import { newId } from '../lib/ids.js';
import type { Authenticator } from './auth.js';
import type { RequestContext } from './context.js';
import { faultBody, statusOf, usesWebobBody, webobBody } from './errors.js';
import { decodeBody, type WsObject } from './v2/wire/wsme.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiRequest<B = Record<string, unknown>> {
  readonly ctx: RequestContext;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  /** The decoded body (root wrapper removed is up to the handler). */
  readonly body: B;
  /** scheme://host/path of the request, without query: the base of pagination links. */
  readonly pathUrl: string;
  readonly baseUrl: string;
}

export interface ApiResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteSpec {
  readonly method: Method;
  /** Path below the prefix, with `:param` segments. */
  readonly path: string;
  readonly summary: string;
  readonly body?: { readonly type: WsObject; readonly arg: string };
  /**
   * Query parameters the route takes. Upstream's list and show calls accept anything (lists turn
   * it into filters); every other call rejects unknown parameters with 400 `Unknown argument`.
   * Default: free for GET, none for other methods.
   */
  readonly query?: 'free' | readonly string[];
  /** Skip authentication (version document, healthcheck). */
  readonly public?: boolean;
  readonly handler: (req: ApiRequest) => Promise<ApiResult>;
}

export interface MountOptions {
  readonly prefixes: readonly string[];
}

export class Router {
  readonly routes: { spec: RouteSpec; paths: string[] }[] = [];
  readonly #app: FastifyInstance;
  readonly #auth: Authenticator;
  readonly #log: Logger;
  readonly #baseUri: string | null;
  readonly #trustProxy: boolean;
  readonly #methods = FindMyWay({ ignoreTrailingSlash: true });

  constructor(app: FastifyInstance, auth: Authenticator, log: Logger, options: { baseUri: string | null; trustProxy: boolean }) {
    this.#app = app;
    this.#auth = auth;
    this.#log = log;
    this.#baseUri = options.baseUri;
    this.#trustProxy = options.trustProxy;
  }

  add(spec: RouteSpec, mount: MountOptions): void {
    const paths = mount.prefixes.map((p) => `${p}${spec.path}`.replace(/\/+$/, '') || '/');
    this.routes.push({ spec, paths });
    for (const url of paths) {
      this.#app.route({ method: spec.method, url, handler: (req, reply) => this.#handle(spec, req, reply) });
      this.#methods.on(spec.method, url, () => undefined, { method: spec.method });
    }
  }

  /** Methods some route answers on `path` (for 405 and its Allow header). */
  allowedMethods(path: string): Method[] {
    const out: Method[] = [];
    for (const m of ['DELETE', 'GET', 'POST', 'PUT'] as const) if (this.#methods.find(m, path)) out.push(m);
    return out;
  }

  async #handle(spec: RouteSpec, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const requestId = `req-${newId()}`;
    void reply.header('x-openstack-request-id', requestId);
    try {
      const ctx = spec.public
        ? { requestId, projectId: null, userId: null, roles: [], isAdmin: false, systemScope: null }
        : await this.#auth.authenticate(req.headers, requestId);
      // NUL cannot be stored by PostgreSQL and is never part of an id, a name or a filter.
      const hasNul = (v: unknown): boolean =>
        typeof v === 'string' ? v.includes('\u0000') : Array.isArray(v) ? v.some(hasNul) : false;
      if (Object.values(req.params as object).some(hasNul) || Object.entries(req.query as object).some(([k, v]) => hasNul(k) || hasNul(v))) {
        throw Errors.badRequest('Invalid input: NUL characters are not allowed in paths and query parameters');
      }
      const allowedQuery = spec.query ?? (spec.method === 'GET' ? 'free' : []);
      if (allowedQuery !== 'free') {
        const unknown = Object.keys(req.query as object).filter((k) => !allowedQuery.includes(k));
        if (unknown.length > 0) throw Errors.badRequest(`Unknown argument: "${unknown.join(', ')}"`);
      }
      let body: Record<string, unknown> = {};
      if (spec.body) {
        if (req.body === undefined) throw Errors.missingArgument(spec.body.arg);
        body = decodeBody(spec.body.type, spec.body.arg, req.body) ?? {};
      }
      const proto = this.#trustProxy ? String(req.headers['x-forwarded-proto'] ?? req.protocol) : req.protocol;
      const host = this.#trustProxy ? String(req.headers['x-forwarded-host'] ?? req.host) : req.host;
      const path = req.url.split('?')[0]!;
      const origin = `${proto}://${host}`;
      const baseUrl = this.#baseUri ? this.#baseUri.replace(/\/+$/, '') : origin;
      const result = await spec.handler({
        ctx,
        params: req.params as Record<string, string>,
        query: req.query as Record<string, string | string[] | undefined>,
        body,
        pathUrl: `${baseUrl}${path}`,
        baseUrl: origin,
      });
      for (const [k, v] of Object.entries(result.headers ?? {})) void reply.header(k, v);
      void reply.code(result.status);
      if (result.body === undefined) await reply.send();
      else await reply.type('application/json').send(JSON.stringify(result.body));
    } catch (err) {
      const e = toDomainError(err);
      const status = statusOf(e);
      if (status >= 500) this.#log.error({ err, requestId, url: req.url }, 'request failed');
      else this.#log.debug({ requestId, code: e.code, msg: e.message }, 'request rejected');
      const body = usesWebobBody(e) ? webobBody(status, e.message) : faultBody(status, e.message);
      await reply.code(status).type('application/json').send(JSON.stringify(body));
    }
  }
}

export function toDomainError(err: unknown): DomainError {
  if (isDomainError(err)) return err;
  return new DomainError('internal', 'An unknown exception occurred.', { cause: err });
}
