/**
 * IR → haproxy.cfg text. Spelling only: every decision was taken by the translation. Lines are
 * built from Words (escape.ts) joined by single spaces, so the emitter cannot introduce a value
 * that was not escaped. Every union of the IR is switched on exhaustively.
 */
import { constantText, join, literal, num, type Word } from './escape.js';
import type {
  AclTest,
  Backend,
  Balance,
  Bind,
  Condition,
  DefaultsSection,
  Frontend,
  FrontendRule,
  GlobalSection,
  HaproxyConfigIR,
  HealthCheck,
  HeaderInsertion,
  L7Acl,
  Matcher,
  PeersSection,
  Persistence,
  Section,
  Server,
} from './ir.js';

type Part = Word | null | false | readonly Part[];

const INDENT = '    ';

function words(parts: readonly Part[]): Word[] {
  const out: Word[] = [];
  for (const p of parts) {
    if (p === null || p === false) continue;
    if (typeof p === 'string') out.push(p);
    else out.push(...words(p as readonly Part[]));
  }
  return out;
}

/** A section header line (column 0). */
function head(...parts: Part[]): string {
  return words(parts).join(' ');
}

/** A directive line inside a section. */
function line(...parts: Part[]): string {
  return INDENT + words(parts).join(' ');
}

const w = literal;

function assertNever(x: never): never {
  throw new Error(`unhandled IR node: ${JSON.stringify(x)}`);
}

export function emit(ir: HaproxyConfigIR): string {
  const blocks = [`# Configuration for loadbalancer ${w(ir.loadBalancerId)}`];
  for (const s of ir.sections) blocks.push(emitSection(s).join('\n'));
  return `${blocks.join('\n\n')}\n`;
}

function emitSection(s: Section): string[] {
  switch (s.kind) {
    case 'global':
      return emitGlobal(s);
    case 'defaults':
      return emitDefaults(s);
    case 'peers':
      return emitPeers(s);
    case 'frontend':
      return emitFrontend(s);
    case 'backend':
      return emitBackend(s);
    default:
      return assertNever(s);
  }
}

function emitGlobal(g: GlobalSection): string[] {
  return [
    head(w('global')),
    // No `daemon`: haproxy runs in master-worker mode (-W) in the foreground of the agent that
    // supervises it; `daemon` would detach the master from its supervisor.
    line(w('user'), w('nobody')),
    line(w('group'), w('nogroup')),
    ...g.logTargets.map((t) => line(w('log'), t.target, w(t.facility), t.minLevel && w(t.minLevel))),
    line(w('stats'), w('socket'), g.statsSocket, w('mode'), w('600'), w('level'), w('admin')),
    line(w('server-state-file'), g.serverStateFile),
    line(w('maxconn'), num(g.maxconn)),
    line(w('nbthread'), num(g.nbthread)),
    line(w('hard-stop-after'), num(g.hardStopAfterSeconds, 's')),
    g.externalCheck && line(w('external-check')),
    g.insecureForkWanted && line(w('insecure-fork-wanted')),
  ].filter((x): x is string => typeof x === 'string');
}

function emitDefaults(d: DefaultsSection): string[] {
  return [
    head(w('defaults')),
    d.logGlobal ? line(w('log'), w('global')) : line(w('no'), w('log')),
    line(w('retries'), num(d.retries)),
    line(w('option'), w('redispatch'), w('1')),
    line(w('option'), w('http-keep-alive')),
  ];
}

function emitPeers(p: PeersSection): string[] {
  return [head(w('peers'), p.name), ...p.peers.map((x) => line(w('peer'), x.name, join(x.address, w(':'), num(x.port))))];
}

function emitBind(b: Bind): string {
  const t = b.tls;
  return line(
    w('bind'),
    join(b.address, w(':'), num(b.port)),
    t && [
      w('ssl'),
      w('crt-list'),
      t.crtList.path,
      t.clientCa && [w('ca-file'), t.clientCa.path, t.verify && [w('verify'), w(t.verify)]],
      t.crl && [w('crl-file'), t.crl.path],
      t.ciphers && [w('ciphers'), t.ciphers],
      t.versionOptions.map((o) => w(o)),
      t.alpn && [w('alpn'), t.alpn],
    ],
  );
}

// More than 64 words on a line is a configuration error in HAProxy; ACL lines with the same
// name are OR-ed, so long network lists are split.
const CIDRS_PER_LINE = 32;

function emitFrontend(f: Frontend): string[] {
  const out = [head(w('frontend'), f.name), line(w('maxconn'), num(f.maxconn))];
  out.push(...f.binds.map(emitBind));
  out.push(line(w('mode'), w(f.mode)));
  if (f.idleCloseOnResponse) out.push(line(w('option'), w('idle-close-on-response')));
  if (f.allowedCidrs) {
    for (let i = 0; i < f.allowedCidrs.length; i += CIDRS_PER_LINE) {
      out.push(line(w('acl'), w('allowed_cidrs'), w('src'), f.allowedCidrs.slice(i, i + CIDRS_PER_LINE)));
    }
    out.push(line(w('tcp-request'), w('connection'), w('reject'), w('if'), w('!allowed_cidrs')));
  }
  if (f.inspectDelay !== null) out.push(line(w('tcp-request'), w('inspect-delay'), num(f.inspectDelay)));
  if (f.hsts) {
    const v = `max-age=${f.hsts.maxAge};${f.hsts.includeSubdomains ? ' includeSubDomains;' : ''}${f.hsts.preload ? ' preload;' : ''}`;
    out.push(line(w('http-response'), w('set-header'), w('Strict-Transport-Security'), constantText(v)));
  }
  out.push(...f.acls.map(emitAcl));
  if (f.prometheusExporter) {
    out.push(line(w('http-request'), w('use-service'), w('prometheus-exporter'), w('if'), w('{'), w('path'), w('/metrics'), w('}')));
    out.push(line(w('http-request'), w('deny')));
  }
  const denies = f.rules.filter((r) => r.kind === 'deny');
  const others = f.rules.filter((r) => r.kind !== 'deny');
  out.push(...denies.map(emitRule));
  if (f.redirectToHttps) out.push(line(w('redirect'), w('scheme'), w('https'), w('if'), w('!{'), w('ssl_fc'), w('}')));
  out.push(...others.map(emitRule));
  if (f.defaultBackend) out.push(line(w('default_backend'), f.defaultBackend));
  out.push(line(w('timeout'), w('client'), num(f.timeoutClient)));
  if (f.logFormat) out.push(line(w('log-format'), f.logFormat));
  return out;
}

function matcher(m: Matcher): Word[] {
  return [w('-m'), w(m)];
}

/** A pattern value; `--` first when it would otherwise be read as an ACL flag. */
function pattern(v: Word): Word[] {
  return v.startsWith('-') ? [w('--'), v] : [v];
}

function emitAcl(a: L7Acl): string {
  return line(w('acl'), a.name, aclTest(a.test));
}

function aclTest(t: AclTest): Part[] {
  switch (t.kind) {
    case 'host-name':
      return [w('req.hdr(host)'), w('-i'), matcher(t.matcher), pattern(t.value)];
    case 'path':
      return [w('path'), matcher(t.matcher), pattern(t.value)];
    case 'file-type':
      return [w('path_end'), t.matcher && matcher(t.matcher), pattern(t.value)];
    case 'header':
      return [join(w('req.hdr('), t.name, w(')')), matcher(t.matcher), pattern(t.value)];
    case 'cookie':
      return [join(w('req.cook('), t.name, w(')')), matcher(t.matcher), pattern(t.value)];
    case 'ssl-conn-has-cert':
      return [w('ssl_c_used')];
    case 'ssl-verify-result':
      return [w('ssl_c_verify'), w('eq'), num(t.result)];
    case 'ssl-dn-field':
      return [join(w('ssl_c_s_dn('), t.field, w(')')), matcher(t.matcher), pattern(t.value)];
    default:
      return assertNever(t);
  }
}

function condition(c: Condition): Word[] {
  return [w('if'), ...c.map((x) => (x.negate ? join(w('!'), x.acl) : x.acl))];
}

function emitRule(r: FrontendRule): string {
  switch (r.kind) {
    case 'deny':
      return line(w('http-request'), w('deny'), condition(r.condition));
    case 'redirect-location':
      return line(w('redirect'), r.code !== null && [w('code'), num(r.code)], w('location'), r.url, condition(r.condition));
    case 'redirect-prefix':
      return line(w('redirect'), r.code !== null && [w('code'), num(r.code)], w('prefix'), r.prefix, condition(r.condition));
    case 'use-backend':
      return line(w('use_backend'), r.backend, condition(r.condition));
    default:
      return assertNever(r);
  }
}

/** Variable the SOURCE_IP_PORT hash reads the client port from. */
const SOURCE_PORT_VAR = 'txn.lb_src_port';

function balance(b: Balance, mode: Backend['mode']): string[] {
  switch (b.kind) {
    case 'roundrobin':
    case 'leastconn':
    case 'source':
      return [line(w('balance'), w(b.kind))];
    case 'source-ip-port':
      // `balance hash` takes one sample expression: the client address with its port appended
      // from a variable set for every request (HTTP) or connection (TCP).
      return [
        line(
          w(mode === 'http' ? 'http-request' : 'tcp-request'),
          mode === 'tcp' && w('content'),
          w(`set-var(${SOURCE_PORT_VAR})`),
          w('src_port'),
        ),
        line(w('balance'), w('hash'), w(`src,concat(:,${SOURCE_PORT_VAR})`)),
      ];
    default:
      return assertNever(b);
  }
}

function persistence(p: Persistence): string[] {
  switch (p.kind) {
    case 'stick-source-ip':
      return [
        line(w('stick-table'), w('type'), w('ipv6'), w('size'), p.size, p.peers && [w('peers'), p.peers]),
        line(w('stick'), w('on'), w('src')),
      ];
    case 'stick-app-cookie':
      return [
        line(w('stick-table'), w('type'), w('string'), w('len'), w('64'), w('size'), p.size, p.peers && [w('peers'), p.peers]),
        line(w('stick'), w('store-response'), join(w('res.cook('), p.cookieName, w(')'))),
        line(w('stick'), w('match'), join(w('req.cook('), p.cookieName, w(')'))),
      ];
    case 'insert-cookie':
      return [line(w('cookie'), w('SRV'), w('insert'), w('indirect'), w('nocache'))];
    default:
      return assertNever(p);
  }
}

function healthCheck(h: HealthCheck): string[] {
  const timeout = line(w('timeout'), w('check'), num(h.timeoutSeconds, 's'));
  switch (h.kind) {
    case 'http-check':
      return [
        timeout,
        line(w('option'), w('httpchk'), h.method, h.path, h.version && w(`HTTP/${h.version}`)),
        ...(h.host ? [line(w('http-check'), w('send'), w('hdr'), w('Host'), h.host)] : []),
        line(w('http-check'), w('expect'), w('rstatus'), h.expectStatus),
      ];
    case 'tcp-check':
    case 'tls-hello-check':
      return [timeout];
    case 'ping-check':
      return [timeout, line(w('option'), w('external-check')), line(w('external-check'), w('command'), h.command)];
    default:
      return assertNever(h);
  }
}

function header(h: HeaderInsertion): string {
  switch (h.kind) {
    case 'forwardfor':
      return line(w('option'), w('forwardfor'));
    case 'set-header':
      return line(w('http-request'), w('set-header'), h.name, h.value);
    default:
      return assertNever(h);
  }
}

function emitServer(s: Server): string {
  const c = s.check;
  const t = s.tls;
  return line(
    w('server'),
    s.name,
    join(s.address, w(':'), num(s.port)),
    w('weight'),
    num(s.weight),
    c && [
      w('check'),
      c.ssl && [w('check-ssl'), w('verify'), w('none')],
      c.alpn && [w('check-alpn'), c.alpn],
      w('inter'),
      num(c.interSeconds, 's'),
      w('fall'),
      num(c.fall),
      w('rise'),
      num(c.rise),
      c.address && [w('addr'), c.address],
      c.port !== null && [w('port'), num(c.port)],
    ],
    s.cookie && [w('cookie'), s.cookie],
    s.proxyProtocol === 'v1' && w('send-proxy'),
    s.proxyProtocol === 'v2' && w('send-proxy-v2'),
    s.proxyProtocol === 'v2-ssl-cn' && w('send-proxy-v2-ssl-cn'),
    s.backup && w('backup'),
    s.disabled && w('disabled'),
    t && [
      w('ssl'),
      t.clientCertificate && [w('crt'), t.clientCertificate.path],
      t.ca ? [w('ca-file'), t.ca.path, t.crl && [w('crl-file'), t.crl.path], w('verify'), w('required')] : [w('verify'), w('none')],
      w('sni'),
      w('ssl_fc_sni'),
      t.ciphers && [w('ciphers'), t.ciphers],
      t.versionOptions.map((o) => w(o)),
      t.alpn && [w('alpn'), t.alpn],
    ],
  );
}

function emitBackend(b: Backend): string[] {
  const out = [head(w('backend'), b.name), line(w('mode'), w(b.mode))];
  if (b.httpReuseSafe) out.push(line(w('http-reuse'), w('safe')));
  out.push(...balance(b.balance, b.mode));
  if (b.persistence) out.push(...persistence(b.persistence));
  if (b.loadServerState) out.push(line(w('load-server-state-from-file'), w('global')));
  if (b.healthCheck) out.push(...healthCheck(b.healthCheck));
  out.push(...b.headers.map(header));
  if (b.l7Retries) out.push(line(w('retry-on'), w('conn-failure'), w('empty-response'), w('response-timeout')));
  out.push(line(w('fullconn'), num(b.fullconn)));
  out.push(line(w('option'), w('allbackups')));
  out.push(line(w('timeout'), w('connect'), num(b.timeoutConnect)));
  out.push(line(w('timeout'), w('server'), num(b.timeoutServer)));
  out.push(...b.servers.map(emitServer));
  return out;
}
