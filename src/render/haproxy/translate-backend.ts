/**
 * Pool → backend `<pool_id>:<listener_id>` (one per listener using the pool, spec §7.3), with its
 * health check, persistence, inserted headers and one server per member.
 */
import type { HealthMonitor } from '../../domain/health-monitor.js';
import { HTTP_METHODS } from '../../domain/health-monitor.js';
import type { Listener } from '../../domain/listener.js';
import type { Member } from '../../domain/member.js';
import type { Pool } from '../../domain/pool.js';
import { isOneOf } from '../../domain/status.js';
import { byId, PING_WRAPPER, type TranslateContext } from './context.js';
import { address, argument, fetchArgument, identifier, join, literal, logFormatText, type Word } from './escape.js';
import type {
  Backend,
  Balance,
  HeaderInsertion,
  HealthCheck,
  Persistence,
  ProxyMode,
  Server,
  ServerCheck,
  ServerTls,
} from './ir.js';
import { listenerTimeouts, tlsOptions, type ListenerFacts } from './translate-common.js';

export function translateBackend(ctx: TranslateContext, pool: Pool, listener: Listener, facts: ListenerFacts): Backend | null {
  const fail = (message: string): null => {
    ctx.problems.error('pool', pool.id, message);
    return null;
  };
  const poolName = identifier(pool.id);
  if (!poolName.ok) return fail(`pool id ${poolName.reason}`);

  const mode = backendMode(pool, facts.mode);
  if (mode === null) return fail(`a ${pool.protocol} pool cannot be used by a ${listener.protocol} listener`);
  if (facts.mode === 'http' && mode === 'tcp') {
    return fail(`a ${pool.protocol} pool cannot be used by a ${listener.protocol} listener`);
  }

  let balance: Balance;
  switch (pool.lbAlgorithm) {
    case 'ROUND_ROBIN':
      balance = { kind: 'roundrobin' };
      break;
    case 'LEAST_CONNECTIONS':
      balance = { kind: 'leastconn' };
      break;
    case 'SOURCE_IP':
      balance = { kind: 'source' };
      break;
    case 'SOURCE_IP_PORT':
      if (!ctx.features.balanceHash) return fail('SOURCE_IP_PORT needs HAProxy 2.6 or newer on the amphora');
      balance = { kind: 'source-ip-port' };
      break;
  }

  let persistence: Persistence | null = null;
  const sp = pool.sessionPersistence;
  if (sp) {
    if (sp.type === 'SOURCE_IP') {
      persistence = { kind: 'stick-source-ip', size: ctx.stickSize, peers: ctx.peersName };
    } else if (mode !== 'http') {
      return fail(`${sp.type} session persistence needs an HTTP backend`);
    } else if (sp.type === 'APP_COOKIE') {
      if (!sp.cookieName) return fail('APP_COOKIE session persistence needs a cookie_name');
      const cookie = fetchArgument(sp.cookieName);
      if (!cookie.ok) return fail(`session persistence cookie_name ${cookie.reason}`);
      persistence = { kind: 'stick-app-cookie', cookieName: cookie.word, size: ctx.stickSize, peers: ctx.peersName };
    } else {
      persistence = { kind: 'insert-cookie' };
    }
  }

  let serverTls: ServerTls | null = null;
  if (pool.tlsEnabled) {
    const opts = tlsOptions(pool);
    if (!opts.ok) return fail(opts.reason);
    const ca = pool.caTlsContainerRef ? ctx.tls.secret(pool.caTlsContainerRef) : null;
    serverTls = {
      kind: 'server-tls',
      clientCertificate: pool.tlsContainerRef ? ctx.tls.poolCertificate(pool.id, pool.tlsContainerRef) : null,
      ca,
      // As upstream: a CRL only means something together with a CA.
      crl: ca && pool.crlContainerRef ? ctx.tls.secret(pool.crlContainerRef) : null,
      ciphers: opts.ciphers,
      versionOptions: opts.versionOptions,
      alpn: ctx.features.poolAlpn ? opts.alpn : null,
    };
  }

  const monitor = ctx.graph.healthMonitors.find((h) => h.poolId === pool.id && h.adminStateUp) ?? null;
  const healthCheck = monitor ? translateHealthCheck(ctx, monitor) : null;

  const servers: Server[] = [];
  for (const member of ctx.graph.members.filter((m) => m.poolId === pool.id).sort(byId)) {
    const server = translateServer(ctx, member, {
      check: healthCheck && monitor ? { monitor, alpn: serverTls?.alpn ?? null } : null,
      cookie: persistence?.kind === 'insert-cookie',
      proxyProtocol:
        pool.protocol === 'PROXY' ? 'v1' : pool.protocol === 'PROXYV2' ? (facts.terminatesTls ? 'v2-ssl-cn' : 'v2') : null,
      tls: serverTls,
    });
    if (server) servers.push(server);
  }

  const timeouts = listenerTimeouts(ctx, listener);
  return {
    kind: 'backend',
    poolId: pool.id,
    listenerId: listener.id,
    name: join(poolName.word, literal(':'), facts.name),
    mode,
    httpReuseSafe:
      ctx.features.httpReuse && (pool.protocol === 'HTTP' || (pool.protocol === 'PROXY' && facts.mode === 'http')),
    balance,
    persistence,
    loadServerState: ctx.features.serverStateFile,
    healthCheck,
    headers: insertedHeaders(listener, pool, mode),
    l7Retries: ctx.features.retryOn && mode === 'http',
    fullconn: facts.maxconn,
    timeoutConnect: timeouts.memberConnect,
    timeoutServer: timeouts.memberData,
    servers,
  };
}

function backendMode(pool: Pool, listenerMode: ProxyMode): ProxyMode | null {
  switch (pool.protocol) {
    case 'PROXY':
    case 'PROXYV2':
      return listenerMode;
    case 'HTTP':
      return 'http';
    case 'TCP':
    case 'HTTPS':
      return 'tcp';
    case 'UDP':
    case 'SCTP':
      return null;
  }
}

function isTrue(headers: Readonly<Record<string, string>>, name: string): boolean {
  return Object.hasOwn(headers, name) && String(headers[name]).toLowerCase() === 'true';
}

// Header names and values are the renderer's own constants: the user only says "true".
const SSL_HEADERS: readonly (readonly [string, string])[] = [
  ['X-SSL-Client-Verify', '%[ssl_c_verify]'],
  ['X-SSL-Client-Has-Cert', '%[ssl_c_used]'],
  ['X-SSL-Client-DN', '%{+Q}[ssl_c_s_dn]'],
  ['X-SSL-Client-CN', '%{+Q}[ssl_c_s_dn(cn)]'],
  ['X-SSL-Issuer', '%{+Q}[ssl_c_i_dn]'],
  ['X-SSL-Client-SHA1', '%{+Q}[ssl_c_sha1,hex]'],
  ['X-SSL-Client-Not-Before', '%{+Q}[ssl_c_notbefore]'],
  ['X-SSL-Client-Not-After', '%{+Q}[ssl_c_notafter]'],
];

function insertedHeaders(listener: Listener, pool: Pool, mode: ProxyMode): HeaderInsertion[] {
  if (mode !== 'http') return [];
  const h = listener.insertHeaders;
  const out: HeaderInsertion[] = [];
  const set = (name: string, value: string): void => {
    out.push({ kind: 'set-header', name: literal(name), value: literal(value) });
  };
  // As upstream: X-Forwarded-For/Port only for HTTP pools (not PROXY pools behind HTTP listeners).
  if (pool.protocol === 'HTTP') {
    if (isTrue(h, 'X-Forwarded-For')) out.push({ kind: 'forwardfor' });
    if (isTrue(h, 'X-Forwarded-Port')) set('X-Forwarded-Port', '%[dst_port]');
  }
  if (isTrue(h, 'X-Forwarded-Proto')) {
    if (listener.protocol === 'HTTP') set('X-Forwarded-Proto', 'http');
    else if (listener.protocol === 'TERMINATED_HTTPS') set('X-Forwarded-Proto', 'https');
  }
  if (listener.protocol === 'TERMINATED_HTTPS') {
    for (const [name, value] of SSL_HEADERS) if (isTrue(h, name)) set(name, value);
  }
  return out;
}

/** `200-202` / `200, 204` → `200|201|202` / `200|204` (upstream's expand_expected_codes, sorted). */
export function expandExpectedCodes(codes: string): string | null {
  const out = new Set<number>();
  for (const part of codes.split(/, */)) {
    if (part === '') continue;
    const range = /^(\d{3})-(\d{3})$/.exec(part);
    if (range) {
      const lo = Number(range[1]);
      const hi = Number(range[2]);
      if (lo > hi) return null;
      for (let c = lo; c <= hi; c++) out.add(c);
    } else if (/^\d{3}$/.test(part)) {
      out.add(Number(part));
    } else {
      return null;
    }
  }
  if (out.size === 0) return null;
  return [...out].sort((a, b) => a - b).join('|');
}

function positive(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0;
}

function translateHealthCheck(ctx: TranslateContext, hm: HealthMonitor): HealthCheck | null {
  const fail = (message: string): null => {
    ctx.problems.error('healthmonitor', hm.id, `${message}; the pool is rendered without health checks`);
    return null;
  };
  if (!positive(hm.delay) || !positive(hm.timeout) || !positive(hm.maxRetries) || !positive(hm.maxRetriesDown)) {
    return fail('delay, timeout, max_retries and max_retries_down must be positive integers');
  }
  const timeoutSeconds = hm.timeout;
  switch (hm.type) {
    case 'HTTP':
    case 'HTTPS': {
      const method = hm.httpMethod ?? 'GET';
      if (!isOneOf(HTTP_METHODS, method)) return fail(`http_method ${JSON.stringify(method)} is not supported`);
      const urlPath = hm.urlPath ?? '/';
      if (!urlPath.startsWith('/')) return fail('url_path must start with "/"');
      const path = argument(urlPath, { spaces: false });
      if (!path.ok) return fail(`url_path ${path.reason}`);
      const version = hm.httpVersion === null ? null : hm.httpVersion === 1.0 ? '1.0' : hm.httpVersion === 1.1 ? '1.1' : undefined;
      if (version === undefined) return fail(`http_version ${hm.httpVersion} is not supported`);
      let host: Word | null = null;
      if (version === '1.1' && hm.domainName) {
        const h = argument(logFormatText(hm.domainName), { spaces: false });
        if (!h.ok) return fail(`domain_name ${h.reason}`);
        host = h.word;
      }
      const codes = expandExpectedCodes(hm.expectedCodes ?? '200');
      if (codes === null) return fail(`expected_codes ${JSON.stringify(hm.expectedCodes)} is not a list or range of status codes`);
      return {
        kind: 'http-check',
        timeoutSeconds,
        method: literal(method),
        path: path.word,
        version,
        host,
        expectStatus: literal(codes),
      };
    }
    case 'TCP':
      return { kind: 'tcp-check', timeoutSeconds };
    case 'TLS-HELLO':
      return { kind: 'tls-hello-check', timeoutSeconds };
    case 'PING':
      // basePath was checked as a plain path.
      return { kind: 'ping-check', timeoutSeconds, command: literal(`${ctx.basePath}/${PING_WRAPPER}`) };
    case 'UDP-CONNECT':
    case 'SCTP':
      return fail(`a ${hm.type} health monitor cannot check a TCP-family pool`);
  }
}

interface ServerOptions {
  readonly check: { readonly monitor: HealthMonitor; readonly alpn: Word | null } | null;
  readonly cookie: boolean;
  readonly proxyProtocol: Server['proxyProtocol'];
  readonly tls: ServerTls | null;
}

function port(n: number | null): n is number {
  return n !== null && Number.isSafeInteger(n) && n >= 1 && n <= 65535;
}

function translateServer(ctx: TranslateContext, member: Member, o: ServerOptions): Server | null {
  const fail = (message: string): null => {
    ctx.problems.error('member', member.id, message);
    return null;
  };
  const name = identifier(member.id);
  if (!name.ok) return fail(`member id ${name.reason}`);
  const addr = address(member.address);
  if (!addr.ok) return fail(`address ${addr.reason}`);
  if (!port(member.protocolPort)) return fail('protocol_port must be an integer from 1 to 65535');
  if (!Number.isSafeInteger(member.weight) || member.weight < 0 || member.weight > 256) {
    return fail('weight must be an integer from 0 to 256');
  }
  let check: ServerCheck | null = null;
  if (o.check) {
    let monitorAddress: Word | null = null;
    if (member.monitorAddress !== null) {
      const a = address(member.monitorAddress);
      if (!a.ok) return fail(`monitor_address ${a.reason}`);
      monitorAddress = a.word;
    }
    if (member.monitorPort !== null && !port(member.monitorPort)) return fail('monitor_port must be an integer from 1 to 65535');
    const hm = o.check.monitor;
    check = {
      kind: 'server-check',
      ssl: hm.type === 'HTTPS',
      alpn: o.check.alpn,
      interSeconds: hm.delay,
      fall: hm.maxRetriesDown,
      rise: hm.maxRetries,
      address: monitorAddress,
      port: member.monitorPort,
    };
  }
  return {
    kind: 'server',
    memberId: member.id,
    name: name.word,
    address: addr.word,
    port: member.protocolPort,
    weight: member.weight,
    check,
    cookie: o.cookie ? name.word : null,
    proxyProtocol: o.proxyProtocol,
    backup: member.backup,
    disabled: !member.adminStateUp,
    tls: o.tls,
  };
}
