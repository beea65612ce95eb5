/**
 * The HAProxy renderer: one load balancer's TCP-family listeners (UDP/SCTP are not HAProxy's) →
 * one haproxy.cfg for one amphora (spec §7.3 plus the settings measured in dataplane.md).
 *
 * Pure: domain objects and settings in, text out; no I/O, no clock, no config lookups. It may
 * import src/domain and src/lib only. One-way pipeline in two steps, each testable alone:
 *   translate.ts  graph → IR (ir.ts): decisions, defaults, validation; bad user data becomes a
 *                 RenderProblem on that object and the object is left out, the rest renders;
 *   emit.ts       IR → text: spelling only, every value through the one escaper (escape.ts).
 * Output is sorted (listeners by port then id, pools, members, rules by id, policies by position)
 * so the same graph always gives the same bytes; the agent compares files to decide between a
 * runtime-API update and a reload.
 *
 * Golden cases: testdata/<behaviour>.in.json → <behaviour>.haproxy.cfg (UPDATE_GOLDEN=1 rewrites
 * them), each checked with `haproxy -c` by golden.test.ts.
 */
import { blankAmphora, type Amphora } from '../../domain/amphora.js';
import type { LoadBalancerGraph } from '../../domain/graph.js';
import { emit } from './emit.js';
import type { HaproxyRenderInput, HaproxyRenderResult, HaproxySettings } from './input.js';
import type { TlsFile } from './tls-files.js';
import { translate } from './translate.js';

export type { HaproxyRenderInput, HaproxyRenderResult, HaproxySettings } from './input.js';
export type { RenderProblem } from '../problem.js';
export type { TlsFile, TlsFileContent } from './tls-files.js';
export { certificateFileName, secretFileName } from './tls-files.js';
export { haproxyPeerName, translate } from './translate.js';
export { emit } from './emit.js';

/**
 * Renders the file for one amphora. `text` is '' when no listener renders (none left, the load
 * balancer is disabled, or every listener has problems): HAProxy refuses to start without one,
 * so the caller removes the load balancer's HAProxy from the amphora instead, as upstream does
 * when its last listener goes.
 */
export function renderHaproxyConfig(input: HaproxyRenderInput): HaproxyRenderResult {
  const t = translate(input);
  const proxies = t.ir?.sections.some((s) => s.kind === 'frontend') ?? false;
  return { text: t.ir && proxies ? emit(t.ir) : '', problems: t.problems, tlsFiles: t.tlsFiles };
}

const PLACEHOLDER_AMPHORA: Amphora = blankAmphora({ id: '', status: 'ALLOCATED', createdAt: '' });

// Settings that do not change which certificate files are referenced.
const NEUTRAL_SETTINGS: Omit<HaproxySettings, 'baseCertDir'> = {
  basePath: '/var/lib/octavia',
  defaultConnectionLimit: 50000,
  timeoutClientData: 50000,
  timeoutMemberConnect: 5000,
  timeoutMemberData: 50000,
  timeoutTcpInspect: 0,
  connectionLogging: false,
  userLogFormat: '',
  stickSize: '10k',
  nbthread: 1,
  logTarget: null,
};

/**
 * The certificate files (name → which container, or the crt-list text) that the config rendered
 * for this graph refers to, so the amphora driver uploads exactly those before the config. The
 * same list renderHaproxyConfig returns as `tlsFiles`.
 */
export function tlsFilesFor(graph: LoadBalancerGraph, baseCertDir: string): readonly TlsFile[] {
  // The amphora only matters for the peers section, which references no file.
  const amphora = graph.amphorae[0] ?? PLACEHOLDER_AMPHORA;
  return translate({ graph, amphora, haproxyVersion: '2.6', maxOpenFiles: null, settings: { ...NEUTRAL_SETTINGS, baseCertDir } })
    .tlsFiles;
}
