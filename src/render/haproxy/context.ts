/** State shared by the translation steps of one render (nothing global: built per call). */
import type { LoadBalancerGraph } from '../../domain/graph.js';
import type { ProblemList } from '../problem.js';
import type { Word } from './escape.js';
import type { HaproxyFeatures } from './features.js';
import type { HaproxySettings } from './input.js';
import type { TlsFileSet } from './tls-files.js';

export interface TranslateContext {
  readonly graph: LoadBalancerGraph;
  readonly settings: HaproxySettings;
  readonly features: HaproxyFeatures;
  readonly problems: ProblemList;
  readonly tls: TlsFileSet;
  /** The load balancer id, checked as a name. */
  readonly lbId: Word;
  /** settings.basePath, checked to need no escaping. */
  readonly basePath: string;
  /** VIP and additional VIP addresses every frontend binds. */
  readonly vips: readonly Word[];
  /** Name of the peers section (ACTIVE_STANDBY with known peers), for stick tables. */
  readonly peersName: Word | null;
  readonly stickSize: Word;
  /** The operator's log format with `{{ lb_id }}`/`{{ project_id }}` still in it; null: no log-format. */
  readonly logFormat: string | null;
}

/** Port HAProxy peers talk on (upstream's HAPROXY_BASE_PEER_PORT). */
export const PEER_PORT = 1025;

/** Helper HAProxy forks for PING health monitors; the agent installs it under its base path. */
export const PING_WRAPPER = 'ping-wrapper.sh';

export function byId<T extends { readonly id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
