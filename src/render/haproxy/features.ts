/**
 * HAProxy feature switches by version (DESIGN.md §3.1: the renderer takes the version as an
 * input). Stock Octavia amphorae may run older HAProxy than the 2.6 reference.
 */

export interface HaproxyFeatures {
  /** `http-reuse` and `server-state-file` (>= 1.6). */
  readonly httpReuse: boolean;
  readonly serverStateFile: boolean;
  /** `alpn`/`check-alpn` on servers (>= 1.9). */
  readonly poolAlpn: boolean;
  /** `retry-on` (>= 2.0) and the built-in Prometheus exporter service (>= 2.0). */
  readonly retryOn: boolean;
  readonly prometheus: boolean;
  /** External checks need `insecure-fork-wanted` (>= 2.2). */
  readonly insecureForkWanted: boolean;
  /** `option idle-close-on-response` and `balance hash <expr>` (>= 2.6). */
  readonly idleCloseOnResponse: boolean;
  readonly balanceHash: boolean;
}

/** Major, minor and patch of a package version such as `2.6.12-1+deb12u4`; null when unreadable. */
export function parseHaproxyVersion(version: string): readonly [number, number, number] | null {
  const m = /^(?:\d+:)?(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function featuresOf(version: readonly [number, number, number] | null): HaproxyFeatures {
  const atLeast = (major: number, minor: number): boolean =>
    version !== null && (version[0] > major || (version[0] === major && version[1] >= minor));
  return {
    httpReuse: atLeast(1, 6),
    serverStateFile: atLeast(1, 6),
    poolAlpn: atLeast(1, 9),
    retryOn: atLeast(2, 0),
    prometheus: atLeast(2, 0),
    insecureForkWanted: atLeast(2, 2),
    idleCloseOnResponse: atLeast(2, 6),
    balanceHash: atLeast(2, 6),
  };
}
