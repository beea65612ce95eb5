/** What renderHaproxyConfig is given, and what it answers. */
import type { Amphora } from '../../domain/amphora.js';
import type { LoadBalancerGraph } from '../../domain/graph.js';
import type { RenderProblem } from '../problem.js';
import type { TlsFile } from './tls-files.js';

export interface HaproxySettings {
  /** Agent base path on the amphora: `<base>/<lb_id>.sock`, `<base>/<lb_id>/servers-state`. */
  readonly basePath: string;
  /** Certificates live in `<baseCertDir>/<lb_id>/`. */
  readonly baseCertDir: string;
  /** maxconn of listeners whose connection_limit is -1. */
  readonly defaultConnectionLimit: number;
  /** Defaults (ms) for listeners whose own timeout is null. */
  readonly timeoutClientData: number;
  readonly timeoutMemberConnect: number;
  readonly timeoutMemberData: number;
  readonly timeoutTcpInspect: number;
  readonly connectionLogging: boolean;
  /** `[haproxy_amphora] user_log_format`; `{{ project_id }}` and `{{ lb_id }}` are substituted. */
  readonly userLogFormat: string;
  /** Stick table size, e.g. `10k`. */
  readonly stickSize: string;
  readonly nbthread: number;
  /** Syslog target of `log` lines; null: no log lines (no syslog on amphorae here). */
  readonly logTarget: string | null;
}

export interface HaproxyRenderInput {
  /** PENDING_DELETE objects already removed (domain/graph.ts withoutPendingDeletes). */
  readonly graph: LoadBalancerGraph;
  /** The amphora the file is rendered for (its peer name in ACTIVE_STANDBY). */
  readonly amphora: Amphora;
  /** As reported by the agent's GET /1.0/info, e.g. `2.6.12-1+deb12u4`. */
  readonly haproxyVersion: string;
  /** Open-files limit haproxy runs with (agent's GET /1.0/details); null: no cap. */
  readonly maxOpenFiles: number | null;
  readonly settings: HaproxySettings;
}

export interface HaproxyRenderResult {
  /** '' when no listener renders (see renderHaproxyConfig). */
  readonly text: string;
  readonly problems: readonly RenderProblem[];
  /** The certificate files the text refers to (same answer as tlsFilesFor). */
  readonly tlsFiles: readonly TlsFile[];
}
