/**
 * Who is asking: built once per request by the authenticator and passed to every handler. Policy
 * decisions use only this and the target object's project.
 */
export interface RequestContext {
  readonly requestId: string;
  /** The project of the token (keystone) or of X-Project-Id (noauth); null when none. */
  readonly projectId: string | null;
  readonly userId: string | null;
  readonly roles: readonly string[];
  /** Upstream's context.is_admin: true for every noauth request. */
  readonly isAdmin: boolean;
  readonly systemScope: string | null;
}

export interface PolicyTarget {
  readonly projectId: string | null;
}
