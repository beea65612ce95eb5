/**
 * Listener → `frontend <listener_id>` plus the backends of the pools it uses (its default pool and
 * the pools of its REDIRECT_TO_POOL policies).
 */
import { isTlsOffload, type Listener } from '../../domain/listener.js';
import type { TranslateContext } from './context.js';
import { argument, cidr, identifier, logFormatText, type Word } from './escape.js';
import type { Backend, Bind, BindTls, Frontend, FrontendRule, Hsts, ProxyMode } from './ir.js';
import { translateBackend } from './translate-backend.js';
import { listenerTimeouts, tlsOptions, validTimeouts, type ListenerFacts } from './translate-common.js';
import { translatePolicies } from './translate-l7.js';

const MODES: Readonly<Record<Listener['protocol'], ProxyMode | null>> = {
  TCP: 'tcp',
  HTTP: 'http',
  HTTPS: 'tcp', // passthrough
  TERMINATED_HTTPS: 'http',
  PROMETHEUS: 'http',
  UDP: null,
  SCTP: null,
};

const CLIENT_VERIFY = { NONE: 'none', OPTIONAL: 'optional', REQUIRED: 'required', MANDATORY: 'required' } as const;

// Tokens of the log format that only exist for HTTP streams (upstream replaces them for TCP).
const HTTP_ONLY_LOG_TOKENS = ['%{+Q}r', '%r', '%{+Q}ST', '%ST'];

/** The listener's maxconn: its connection_limit, or the default for -1 (and 0, as upstream). */
export function listenerMaxconn(ctx: TranslateContext, l: Listener): number {
  return l.connectionLimit > 0 ? l.connectionLimit : ctx.settings.defaultConnectionLimit;
}

export function translateListener(
  ctx: TranslateContext,
  listener: Listener,
): { readonly frontend: Frontend; readonly backends: readonly Backend[] } | null {
  const fail = (message: string): null => {
    ctx.problems.error('listener', listener.id, message);
    return null;
  };
  const mode = MODES[listener.protocol];
  if (!mode) return null; // UDP and SCTP listeners are not HAProxy's.
  const name = identifier(listener.id);
  if (!name.ok) return fail(`listener id ${name.reason}`);
  const p = listener.protocolPort;
  if (!Number.isSafeInteger(p) || p < 1 || p > 65535) return fail('protocol_port must be an integer from 1 to 65535');
  const maxconn = listenerMaxconn(ctx, listener);
  if (!Number.isSafeInteger(maxconn) || maxconn < 1) return fail('connection_limit must be -1 or a positive integer');
  const timeouts = listenerTimeouts(ctx, listener);
  if (!validTimeouts(timeouts)) return fail('timeouts must be non-negative integers (ms)');
  const prometheus = listener.protocol === 'PROMETHEUS';
  if (prometheus && !ctx.features.prometheus) return fail('PROMETHEUS listeners need HAProxy 2.0 or newer on the amphora');

  const terminatesTls = isTlsOffload(listener.protocol, listener.defaultTlsContainerRef !== null);
  const tlsOpts = terminatesTls ? tlsOptions(listener) : null;
  if (tlsOpts && !tlsOpts.ok) return fail(tlsOpts.reason);
  if (terminatesTls && !listener.defaultTlsContainerRef) return fail(`a ${listener.protocol} listener needs default_tls_container_ref`);
  let hsts: Hsts | null = null;
  if (terminatesTls && listener.hstsMaxAge !== null) {
    if (!Number.isSafeInteger(listener.hstsMaxAge) || listener.hstsMaxAge < 0) return fail('hsts_max_age must be a non-negative integer');
    hsts = { kind: 'hsts', maxAge: listener.hstsMaxAge, includeSubdomains: listener.hstsIncludeSubdomains, preload: listener.hstsPreload };
  }

  let allowedCidrs: Word[] | null = null;
  if (listener.allowedCidrs.length > 0) {
    allowedCidrs = [];
    for (const c of listener.allowedCidrs) {
      const n = cidr(c);
      // Leaving one network out would refuse clients; leaving the list out would admit everyone.
      if (!n.ok) return fail(`allowed_cidrs: ${JSON.stringify(c)} ${n.reason}`);
      if (!allowedCidrs.includes(n.word)) allowedCidrs.push(n.word);
    }
  }

  let logFormat: Word | null = null;
  if (ctx.logFormat !== null) {
    let format = ctx.logFormat;
    if (mode === 'tcp') for (const t of HTTP_ONLY_LOG_TOKENS) format = format.split(t).join('-');
    // Ids are substituted last, %-escaped, so that nothing in them is read as a log variable.
    format = format
      .split('{{ project_id }}')
      .join(logFormatText(ctx.graph.loadBalancer.projectId ?? '-'))
      .split('{{ lb_id }}')
      .join(logFormatText(ctx.graph.loadBalancer.id));
    const f = argument(format);
    if (!f.ok) return fail(`log format (with the project id) ${f.reason}`);
    logFormat = f.word;
  }

  // Nothing below fails, so certificate files are only registered for listeners that render.
  let tls: BindTls | null = null;
  if (tlsOpts?.ok && listener.defaultTlsContainerRef) {
    const ca = listener.clientCaTlsContainerRef ? ctx.tls.secret(listener.clientCaTlsContainerRef) : null;
    tls = {
      kind: 'bind-tls',
      crtList: ctx.tls.crtList(listener.id, [listener.defaultTlsContainerRef, ...listener.sniContainerRefs]),
      clientCa: ca,
      verify: ca ? CLIENT_VERIFY[listener.clientAuthentication] : null,
      crl: ca && listener.clientCrlContainerRef ? ctx.tls.secret(listener.clientCrlContainerRef) : null,
      ciphers: tlsOpts.ciphers,
      versionOptions: tlsOpts.versionOptions,
      alpn: tlsOpts.alpn,
    };
  }

  const facts: ListenerFacts = { name: name.word, mode, maxconn, terminatesTls };
  // A backend is translated when first used, so that pools only reached through a policy that
  // does not render are neither rendered nor asked for certificates.
  const backends = new Map<string, Backend | null>();
  const backendOf = (poolId: string): Word | null => {
    if (!backends.has(poolId)) {
      const pool = ctx.graph.pools.find((x) => x.id === poolId && x.adminStateUp);
      backends.set(poolId, pool ? translateBackend(ctx, pool, listener, facts) : null);
    }
    return backends.get(poolId)?.name ?? null;
  };
  const defaultBackend = !prometheus && listener.defaultPoolId ? backendOf(listener.defaultPoolId) : null;
  const policies = prometheus ? [] : translatePolicies(ctx, listener.id, mode, backendOf);
  const rules: FrontendRule[] = [
    // HAProxy runs `http-request` rules, then `redirect` rules, then `use_backend`, whatever the
    // order in the file; writing them in that order keeps the file honest (and haproxy quiet).
    ...policies.filter((t) => t.rule.kind === 'deny').map((t) => t.rule),
    ...policies.filter((t) => t.rule.kind === 'redirect-location' || t.rule.kind === 'redirect-prefix').map((t) => t.rule),
    ...policies.filter((t) => t.rule.kind === 'use-backend').map((t) => t.rule),
  ];

  const binds: Bind[] = ctx.vips.map((vip) => ({ kind: 'bind', address: vip, port: p, tls }));
  const frontend: Frontend = {
    kind: 'frontend',
    listenerId: listener.id,
    name: name.word,
    maxconn,
    binds,
    mode,
    allowedCidrs,
    redirectToHttps: listener.protocol === 'TERMINATED_HTTPS',
    hsts,
    idleCloseOnResponse: mode === 'http' && ctx.features.idleCloseOnResponse,
    acls: policies.flatMap((t) => t.acls),
    rules,
    prometheusExporter: prometheus,
    defaultBackend,
    timeoutClient: timeouts.clientData,
    inspectDelay: timeouts.tcpInspect > 0 ? timeouts.tcpInspect : null,
    logFormat,
  };
  return {
    frontend,
    backends: [...backends.values()].filter((b): b is Backend => b !== null).sort((a, b) => (a.poolId < b.poolId ? -1 : a.poolId > b.poolId ? 1 : 0)),
  };
}
