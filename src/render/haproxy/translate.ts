/**
 * Domain graph → IR. Decides everything (what is rendered, with which values) and reports what it
 * cannot render as problems; emit.ts only spells the result.
 */
import { createHash } from 'node:crypto';
import { ProblemList, type RenderProblem } from '../problem.js';
import { byId, PEER_PORT, type TranslateContext } from './context.js';
import { address, argument, identifier, literal, plainPath, type Word } from './escape.js';
import { featuresOf, parseHaproxyVersion } from './features.js';
import type { HaproxyRenderInput } from './input.js';
import type { Backend, Frontend, GlobalSection, HaproxyConfigIR, LogTarget, PeersSection, Section } from './ir.js';
import { TlsFileSet, type TlsFile } from './tls-files.js';
import { translateListener } from './translate-listener.js';

/** Upstream's HAPROXY_MAX_MAXCONN: the global maxconn when the listeners' sum is out of range. */
export const MAX_MAXCONN = 1_000_000;
/** Old workers are killed this long after a reload at the latest (measured: no pile-up). */
const HARD_STOP_AFTER_SECONDS = 30;
/** File descriptors haproxy needs besides two per connection (dataplane.md). */
const SPARE_FILES = 100;

export interface Translation {
  /** null when nothing can be rendered at all (the load balancer itself is unusable). */
  readonly ir: HaproxyConfigIR | null;
  readonly problems: readonly RenderProblem[];
  readonly tlsFiles: readonly TlsFile[];
}

/**
 * HAProxy's local peer name for an amphora: base64(sha1(id)) with `_-` for `+/`, `=` dropped and
 * a leading `-` replaced by `x` (upstream's peer_name; the agent passes the same name with -L).
 */
export function haproxyPeerName(amphoraId: string): string {
  const b = createHash('sha1').update(amphoraId, 'utf8').digest('base64').replace(/\+/g, '_').replace(/\//g, '-').replace(/=+$/, '');
  return b.startsWith('-') ? `x${b.slice(1)}` : b;
}

export function translate(input: HaproxyRenderInput): Translation {
  const { graph, settings } = input;
  const lb = graph.loadBalancer;
  const problems = new ProblemList();
  const nothing = (message: string): Translation => {
    problems.error('loadbalancer', lb.id, message);
    return { ir: null, problems: problems.toArray(), tlsFiles: [] };
  };
  const lbId = identifier(lb.id);
  if (!lbId.ok) return nothing(`load balancer id ${lbId.reason}`);
  const basePath = plainPath(settings.basePath);
  if (!basePath.ok) return nothing(`[haproxy_amphora] base_path ${basePath.reason}`);
  const certDir = plainPath(settings.baseCertDir);
  if (!certDir.ok) return nothing(`[haproxy_amphora] base_cert_dir ${certDir.reason}`);

  const version = parseHaproxyVersion(input.haproxyVersion);
  if (version === null) {
    problems.notice('loadbalancer', lb.id, `HAProxy version ${JSON.stringify(input.haproxyVersion)} is not readable: optional features are off`);
  }
  const features = featuresOf(version);

  let stickSize = literal('10k');
  if (/^[1-9][0-9]{0,9}[kmg]?$/.test(settings.stickSize)) stickSize = literal(settings.stickSize);
  else problems.notice('loadbalancer', lb.id, `[haproxy_amphora] haproxy_stick_size ${JSON.stringify(settings.stickSize)} is not a size: 10k used`);

  let logTarget: Word | null = null;
  if (settings.logTarget !== null) {
    const t = argument(settings.logTarget, { spaces: false });
    if (t.ok) logTarget = t.word;
    else problems.notice('loadbalancer', lb.id, `log target ${t.reason}: no log lines written`);
  }
  let logFormat: string | null = null;
  if (settings.connectionLogging && logTarget !== null) {
    const f = argument(settings.userLogFormat);
    if (f.ok) logFormat = settings.userLogFormat;
    else problems.notice('loadbalancer', lb.id, `[haproxy_amphora] user_log_format ${f.reason}: no log-format written`);
  }

  const peers = peersSection(input, lbId.word, problems);
  const vips: Word[] = [];
  if (lb.adminStateUp) {
    for (const [i, v] of [lb.vip.address, ...lb.additionalVips.map((a) => a.ipAddress)].entries()) {
      if (v === null) continue;
      const a = address(v);
      if (a.ok) vips.push(a.word);
      else problems.error('loadbalancer', lb.id, `${i === 0 ? 'vip_address' : 'additional VIP'} ${JSON.stringify(v)} ${a.reason}`);
    }
  }

  const ctx: TranslateContext = {
    graph,
    settings,
    features,
    problems,
    tls: new TlsFileSet(`${certDir.word}/${lbId.word}`),
    lbId: lbId.word,
    basePath: basePath.word,
    vips,
    peersName: peers?.name ?? null,
    stickSize,
    logFormat,
  };

  // Nothing is proxied for a disabled load balancer or one without an address (as upstream).
  const proxies: (Frontend | Backend)[] = [];
  if (lb.adminStateUp && lb.vip.address !== null && vips.length > 0) {
    const listeners = graph.listeners
      .filter((l) => l.adminStateUp)
      .sort((a, b) => a.protocolPort - b.protocolPort || byId(a, b));
    for (const l of listeners) {
      const t = translateListener(ctx, l);
      if (t) proxies.push(t.frontend, ...t.backends);
    }
  } else if (lb.adminStateUp) {
    problems.error('loadbalancer', lb.id, 'the load balancer has no usable VIP address: no listener is rendered');
  }

  const global = globalSection(ctx, input, proxies, logTarget);
  // As upstream: `log global` with connection logging on (it logs nowhere without a target).
  const sections: Section[] = [global, { kind: 'defaults', logGlobal: settings.connectionLogging, retries: 3 }];
  if (peers) sections.push(peers);
  sections.push(...proxies);
  return {
    ir: { kind: 'haproxy-config', loadBalancerId: lb.id, sections },
    problems: problems.toArray(),
    tlsFiles: ctx.tls.toArray(),
  };
}

function globalSection(
  ctx: TranslateContext,
  input: HaproxyRenderInput,
  proxies: readonly (Frontend | Backend)[],
  logTarget: Word | null,
): GlobalSection {
  const { settings } = input;
  const lbId = input.graph.loadBalancer.id;
  // As upstream: the sum of the listeners' limits, or the maximum when that is out of range.
  const sum = proxies.reduce((n, p) => n + (p.kind === 'frontend' ? p.maxconn : 0), 0);
  let maxconn = sum > 0 && sum < MAX_MAXCONN ? sum : MAX_MAXCONN;
  if (input.maxOpenFiles !== null) {
    // Two descriptors per proxied connection plus spares (dataplane.md); above that haproxy
    // refuses to start ("Cannot raise FD limit").
    const cap = Math.max(1, Math.floor((input.maxOpenFiles - SPARE_FILES) / 2));
    if (maxconn > cap) {
      ctx.problems.notice(
        'loadbalancer',
        lbId,
        `maxconn ${maxconn} capped to ${cap}: HAProxy runs with an open-files limit of ${input.maxOpenFiles} (needs 2 x maxconn + ${SPARE_FILES})`,
      );
      maxconn = cap;
    }
  }
  const logTargets: LogTarget[] = logTarget
    ? [
        { kind: 'log-target', target: logTarget, facility: 'local0', minLevel: null },
        { kind: 'log-target', target: logTarget, facility: 'local1', minLevel: 'notice' },
      ]
    : [];
  const externalCheck = proxies.some((p) => p.kind === 'backend' && p.healthCheck?.kind === 'ping-check');
  const nbthread = Number.isSafeInteger(settings.nbthread) && settings.nbthread >= 1 ? settings.nbthread : 1;
  return {
    kind: 'global',
    logTargets,
    statsSocket: literal(`${ctx.basePath}/${ctx.lbId}.sock`),
    serverStateFile: literal(`${ctx.basePath}/${ctx.lbId}/servers-state`),
    maxconn,
    nbthread,
    hardStopAfterSeconds: HARD_STOP_AFTER_SECONDS,
    externalCheck,
    insecureForkWanted: externalCheck && ctx.features.insecureForkWanted,
  };
}

/** ACTIVE_STANDBY: the amphorae that share stick tables; null when there is nobody to share with. */
function peersSection(input: HaproxyRenderInput, lbId: Word, problems: ProblemList): PeersSection | null {
  if (input.graph.loadBalancer.topology !== 'ACTIVE_STANDBY') return null;
  const peers = [];
  for (const amp of [...input.graph.amphorae].sort(byId)) {
    if (amp.status !== 'ALLOCATED' || amp.vrrpIp === null) continue;
    const a = address(amp.vrrpIp);
    if (!a.ok) {
      problems.error('amphora', amp.id, `vrrp_ip ${a.reason}: left out of the peers section`);
      continue;
    }
    peers.push({ kind: 'peer' as const, name: literal(haproxyPeerName(amp.id)), address: a.word, port: PEER_PORT });
  }
  if (peers.length === 0) return null;
  const own = haproxyPeerName(input.amphora.id);
  if (!peers.some((p) => p.name === own)) {
    problems.notice('amphora', input.amphora.id, 'not in the peers section (not ALLOCATED or no vrrp_ip): HAProxy will not share stick tables');
  }
  return { kind: 'peers', name: literal(`${lbId.replace(/-/g, '')}_peers`), peers };
}
