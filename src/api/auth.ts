/**
 * The authentication and authorization seams. Every handler calls `authorize()` with upstream's
 * policy action name and the owning project; the implementation behind it is chosen by
 * `[api_settings] auth_strategy`. Here: `noauth`, exactly as upstream — the project comes from
 * X-Project-Id (or X-Tenant-Id), every request is admin, nothing is denied.
 */
import { Errors } from '../domain/errors.js';
import type { PolicyTarget, RequestContext } from './context.js';

export const POLICY_PREFIX = 'os_load-balancer_api';

export type PolicyAction = `${typeof POLICY_PREFIX}:${string}:${string}`;

export function policy(type: string, action: string): PolicyAction {
  return `${POLICY_PREFIX}:${type}:${action}`;
}

export interface RequestHeaders {
  readonly [name: string]: string | string[] | undefined;
}

export interface Authenticator {
  /** Builds the request context; throws DomainError for unauthenticated requests. */
  authenticate(headers: RequestHeaders, requestId: string): Promise<RequestContext>;
}

export interface Authorizer {
  /** True when `ctx` may perform `action` on an object owned by `target.projectId`. */
  allows(ctx: RequestContext, action: PolicyAction, target: PolicyTarget): boolean;
}

/** Throws 403 "Policy does not allow this request to be performed." when denied. */
export function authorize(authorizer: Authorizer, ctx: RequestContext, action: PolicyAction, target: PolicyTarget): void {
  if (!authorizer.allows(ctx, action, target)) throw Errors.policyForbidden();
}

function header(headers: RequestHeaders, name: string): string | null {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? null : s;
}

export class NoauthAuthenticator implements Authenticator {
  readonly #defaultProject: string | null;
  constructor(options: { defaultProject?: string | null } = {}) {
    this.#defaultProject = options.defaultProject ?? null;
  }

  async authenticate(headers: RequestHeaders, requestId: string): Promise<RequestContext> {
    const roles = (header(headers, 'x-roles') ?? '')
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== '');
    return {
      requestId,
      projectId: header(headers, 'x-project-id') ?? header(headers, 'x-tenant-id') ?? this.#defaultProject,
      userId: header(headers, 'x-user-id'),
      roles,
      isAdmin: true,
      systemScope: null,
    };
  }
}

/** noauth: every request is admin, so every rule passes. */
export const allowAll: Authorizer = { allows: () => true };
