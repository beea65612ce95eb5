/**
 * The keepalived renderer: the VRRP configuration of one amphora of an ACTIVE_STANDBY load
 * balancer (spec §7.4), with the settings measured in dataplane.md: VRRPv3 with the configured
 * advert_int, unicast peers, nopreempt on both amphorae (no `state`: both start BACKUP), and a
 * vrrp_track_file the agent writes when haproxy exits (instead of upstream's check script).
 *
 * Pure like render/haproxy: domain objects and settings in, text out; imports src/domain,
 * src/lib and the shared escaper/problem modules of render/ only. Golden cases in testdata/,
 * each checked with `keepalived -t` by golden.test.ts.
 */
import type { RenderProblem } from '../problem.js';
import { emit } from './emit.js';
import { translate, type KeepalivedRenderInput } from './translate.js';

export type { KeepalivedRenderInput, KeepalivedSettings } from './translate.js';
export { HAPROXY_TRACK_FILE, haproxyTrackFilePath, translate } from './translate.js';
export { emit } from './emit.js';

/** `text` is '' for topologies without VRRP and when the amphora cannot take part (see problems). */
export function renderKeepalivedConfig(input: KeepalivedRenderInput): { readonly text: string; readonly problems: readonly RenderProblem[] } {
  const t = translate(input);
  return { text: t.ir ? emit(t.ir) : '', problems: t.problems };
}
