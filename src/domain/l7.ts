/** L7 policies and rules: request routing inside HTTP listeners (spec §2.7, §2.8). */
import type { OperatingStatus, ProvisioningStatus } from './status.js';

export const L7POLICY_ACTIONS = ['REJECT', 'REDIRECT_TO_URL', 'REDIRECT_TO_POOL', 'REDIRECT_PREFIX'] as const;
export type L7PolicyAction = (typeof L7POLICY_ACTIONS)[number];

export const REDIRECT_HTTP_CODES = [301, 302, 303, 307, 308] as const;

/** Highest position; also the default, meaning "append". */
export const MAX_POLICY_POSITION = 2147483647;
export const MAX_L7RULES_PER_L7POLICY = 50;

export const L7RULE_TYPES = [
  'HOST_NAME',
  'PATH',
  'FILE_TYPE',
  'HEADER',
  'COOKIE',
  'SSL_CONN_HAS_CERT',
  'SSL_VERIFY_RESULT',
  'SSL_DN_FIELD',
] as const;
export type L7RuleType = (typeof L7RULE_TYPES)[number];

export const L7RULE_COMPARE_TYPES = ['REGEX', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'] as const;
export type L7RuleCompareType = (typeof L7RULE_COMPARE_TYPES)[number];

export interface L7Policy {
  readonly id: string;
  readonly projectId: string | null;
  readonly listenerId: string;
  readonly name: string | null;
  readonly description: string | null;
  readonly action: L7PolicyAction;
  readonly redirectPoolId: string | null;
  readonly redirectUrl: string | null;
  readonly redirectPrefix: string | null;
  readonly redirectHttpCode: number | null;
  /** 1..N, contiguous within the listener. */
  readonly position: number;
  readonly adminStateUp: boolean;
  readonly provisioningStatus: ProvisioningStatus;
  readonly operatingStatus: OperatingStatus;
  readonly tags: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string | null;
}

export interface L7Rule {
  readonly id: string;
  readonly projectId: string | null;
  readonly l7policyId: string;
  readonly type: L7RuleType;
  readonly compareType: L7RuleCompareType;
  readonly key: string | null;
  readonly value: string;
  readonly invert: boolean;
  readonly adminStateUp: boolean;
  readonly provisioningStatus: ProvisioningStatus;
  readonly operatingStatus: OperatingStatus;
  readonly tags: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string | null;
}
