/**
 * The API process's HTTP application: fastify with upstream's conventions (spec §1): JSON only
 * (406 otherwise), `x-openstack-request-id` on every answer, a request body limit, `.json` path
 * suffixes tolerated, webob-style bodies for routing errors, and every resource mounted under
 * `/v2` and `/v2.0`, with and without `/lbaas`.
 *
 * Depends on: api/* and the ApiDeps handed in by cli/compose.ts. Never on drivers or the controller.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { DomainError, Errors } from '../domain/errors.js';
import { newId } from '../lib/ids.js';
import type { ApiDeps } from './deps.js';
import { webobBody } from './errors.js';
import { registerNeutronView, registerNoauthIdentity } from './neutron.js';
import { openApiDocument } from './openapi.js';
import { Router } from './router.js';
import { registerAmphorae } from './v2/amphorae.js';
import { registerAvailabilityZoneProfiles } from './v2/availability-zone-profiles.js';
import { registerAvailabilityZones } from './v2/availability-zones.js';
import { registerFlavorProfiles } from './v2/flavor-profiles.js';
import { registerFlavors } from './v2/flavors.js';
import { registerHealthMonitors } from './v2/health-monitors.js';
import { registerL7Policies } from './v2/l7policies.js';
import { registerL7Rules } from './v2/l7rules.js';
import { registerListeners } from './v2/listeners.js';
import { registerLoadBalancers } from './v2/load-balancers.js';
import { registerMembers } from './v2/members.js';
import { registerPools } from './v2/pools.js';
import { registerProviders } from './v2/providers.js';
import { registerQuotas } from './v2/quotas.js';
import { versionDocument } from './versions.js';

/** LBaaS resources answer under all four prefixes (spec §1.1). */
export const LBAAS_PREFIXES = ['/v2/lbaas', '/v2.0/lbaas', '/v2', '/v2.0'] as const;
export const OCTAVIA_PREFIXES = ['/v2/octavia', '/v2.0/octavia'] as const;

const JSON_TYPES = ['application/json', 'text/javascript', 'application/javascript'];

/** True when an Accept header can be satisfied with JSON (missing, empty, any type, or unparseable counts as yes). */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept || accept.trim() === '') return true;
  const offers = accept
    .split(',')
    .map((part) => part.split(';')[0]!.trim().toLowerCase())
    .filter((t) => t !== '');
  if (offers.length === 0) return true;
  if (offers.some((t) => !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+*-]+$/.test(t) && t !== '*')) return true;
  return offers.some((t) => t === '*/*' || t === '*' || t === 'application/*' || t === 'application/json');
}

export function buildApp(deps: ApiDeps): { app: FastifyInstance; router: Router } {
  const api = deps.config.api_settings;
  const app = Fastify({
    logger: false,
    bodyLimit: deps.config.oslo_middleware.max_request_body_size,
    // `/loadbalancers.json` is the same resource as `/loadbalancers` (pecan tolerates the suffix).
    rewriteUrl: (req) => {
      const url = req.url ?? '/';
      return url.startsWith('/v2') ? url.replace(/\.json(?=$|\?)/, '') : url;
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    return503OnClosing: true,
    forceCloseConnections: true,
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, text, done) => {
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (text === '' || text === undefined) return done(null, undefined);
    if (type !== '' && !JSON_TYPES.includes(type) && type !== 'application/x-www-form-urlencoded') {
      return done(Errors.unsupportedMediaType(type), undefined);
    }
    try {
      done(null, JSON.parse(text as string));
    } catch {
      done(Errors.badRequest('Request is not in valid JSON format'), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/healthcheck')) return;
    if (!acceptsJson(req.headers.accept)) {
      await reply
        .code(406)
        .header('x-openstack-request-id', `req-${newId()}`)
        .type('application/json')
        .send(JSON.stringify(webobBody(406, 'Only content type application/json is accepted.')));
    }
  });

  // Routing errors use pecan's JSON body: description "" inside /v2, null outside (spec §1.4).
  app.setNotFoundHandler(async (req, reply) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const allowed = router.allowedMethods(path);
    void reply.header('x-openstack-request-id', `req-${newId()}`).type('application/json');
    if (allowed.length > 0 && req.method !== 'HEAD' && req.method !== 'OPTIONS') {
      await reply.code(405).header('allow', allowed.join(', ')).send(JSON.stringify({ code: 405, title: 'Method Not Allowed', description: '' }));
      return;
    }
    if (req.method === 'OPTIONS' && allowed.length > 0) {
      await reply.code(200).send();
      return;
    }
    const inside = /^\/v2(\.0)?(\/|$)/.test(path);
    await reply.code(404).send(JSON.stringify({ code: 404, title: 'Not Found', description: inside ? '' : null }));
  });

  // Errors raised before a handler runs: body parsing, body size.
  app.setErrorHandler(async (err, _req, reply) => {
    let status = 500;
    let message = 'An unknown exception occurred.';
    if (err instanceof DomainError) {
      status = err.code === 'unsupported_media_type' ? 415 : 400;
      message = err.message;
    } else if ((err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      await reply
        .code(413)
        .type('application/json')
        .send(JSON.stringify(webobBody(413, 'Request is too large.')));
      return;
    } else if ((err as { statusCode?: number }).statusCode && (err as { statusCode: number }).statusCode < 500) {
      status = (err as { statusCode: number }).statusCode;
      message = (err as Error).message;
    } else {
      deps.log.error({ err }, 'unhandled error');
    }
    await reply
      .code(status)
      .header('x-openstack-request-id', `req-${newId()}`)
      .type('application/json')
      .send(JSON.stringify({ faultcode: status < 500 ? 'Client' : 'Server', faultstring: message, debuginfo: null }));
  });

  const router = new Router(app, deps.authenticator, deps.log, {
    baseUri: api.api_base_uri,
    trustProxy: deps.config.oslo_middleware.enable_proxy_headers_parsing,
  });

  router.add(
    {
      method: 'GET',
      path: '/',
      summary: 'Version document',
      public: true,
      handler: async (req) => ({ status: 200, body: versionDocument(req.baseUrl) }),
    },
    { prefixes: [''] },
  );
  router.add(
    { method: 'GET', path: '', summary: 'API root', public: true, handler: async () => ({ status: 200, body: 'v2' }) },
    { prefixes: ['/v2', '/v2.0', '/v2/lbaas', '/v2.0/lbaas', '/v2/octavia', '/v2.0/octavia'] },
  );
  if (api.healthcheck_enabled) {
    for (const method of ['GET'] as const) {
      router.add(
        { method, path: '/healthcheck', summary: 'Health check', public: true, handler: async () => ({ status: 200, body: 'OK' }) },
        { prefixes: ['', '/load-balancer'] },
      );
    }
  }

  const lbaas = LBAAS_PREFIXES;
  registerLoadBalancers(router, deps, lbaas);
  registerListeners(router, deps, lbaas);
  registerPools(router, deps, lbaas);
  registerMembers(router, deps, lbaas);
  registerHealthMonitors(router, deps, lbaas);
  registerL7Policies(router, deps, lbaas);
  registerL7Rules(router, deps, lbaas);
  registerQuotas(router, deps, lbaas);
  registerProviders(router, deps, lbaas);
  registerFlavors(router, deps, lbaas);
  registerFlavorProfiles(router, deps, lbaas);
  registerAvailabilityZones(router, deps, lbaas);
  registerAvailabilityZoneProfiles(router, deps, lbaas);
  registerAmphorae(router, deps, OCTAVIA_PREFIXES);
  // DELETE (and PUT) on a collection: upstream's controllers miss their id argument (spec §1.1).
  const collections: readonly [string, string, string, readonly string[]][] = [
    ['/loadbalancers', 'id', 'id', lbaas],
    ['/listeners', 'id', 'id', lbaas],
    ['/pools', 'id', 'id', lbaas],
    ['/healthmonitors', 'id', 'id', lbaas],
    ['/l7policies', 'id', 'id', lbaas],
    ['/pools/:pool_id/members', 'id', '', lbaas],
    ['/l7policies/:l7policy_id/rules', 'id', 'id', lbaas],
    ['/flavors', 'flavor_id', 'id', lbaas],
    ['/flavorprofiles', 'flavor_profile_id', 'id', lbaas],
    ['/availabilityzones', 'availability_zone_name', 'name', lbaas],
    ['/availabilityzoneprofiles', 'availability_zone_profile_id', 'id', lbaas],
    ['/quotas', 'project_id', 'project_id', lbaas],
    ['/amphorae', 'id', '', OCTAVIA_PREFIXES],
  ];
  for (const [path, deleteArg, putArg, prefixes] of collections) {
    const missing = (arg: string) => async () => {
      throw Errors.missingArgument(arg);
    };
    router.add({ method: 'DELETE', path, summary: 'Not allowed on a collection', query: 'free', handler: missing(deleteArg) }, { prefixes });
    if (putArg !== '') router.add({ method: 'PUT', path, summary: 'Not allowed on a collection', query: 'free', handler: missing(putArg) }, { prefixes });
  }

  registerNeutronView(router, deps);
  registerNoauthIdentity(router, deps);

  const doc = openApiDocument(router, deps.version ?? '0.0.0');
  router.add(
    { method: 'GET', path: '/openapi.json', summary: 'This document', public: true, handler: async () => ({ status: 200, body: doc }) },
    { prefixes: [''] },
  );
  return { app, router };
}
