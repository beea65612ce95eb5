/**
 * L7 policies and rules → ACLs and frontend rules. Each enabled rule becomes an ACL named after
 * its id; a policy's rules are AND-ed. A rule that cannot be rendered takes its whole policy out
 * (dropping one condition would widen what the policy matches).
 */
import type { L7Policy, L7Rule, L7RuleCompareType } from '../../domain/l7.js';
import { REDIRECT_HTTP_CODES } from '../../domain/l7.js';
import { byId, type TranslateContext } from './context.js';
import { argument, fetchArgument, identifier, type Checked, type Word } from './escape.js';
import type { AclTest, Condition, FrontendRule, L7Acl, Matcher, ProxyMode } from './ir.js';

const MATCHERS: Readonly<Record<L7RuleCompareType, Matcher>> = {
  REGEX: 'reg',
  STARTS_WITH: 'beg',
  ENDS_WITH: 'end',
  CONTAINS: 'sub',
  EQUAL_TO: 'str',
};

export interface TranslatedPolicy {
  readonly acls: readonly L7Acl[];
  readonly rule: FrontendRule;
}

/**
 * The listener's policies that take part in routing, in position order.
 * `backendOf(poolId)` answers the backend name of a pool this listener renders, or null when that
 * pool is disabled or was left out (the policy is then skipped, as upstream skips disabled pools).
 */
export function translatePolicies(
  ctx: TranslateContext,
  listenerId: string,
  mode: ProxyMode,
  backendOf: (poolId: string) => Word | null,
): TranslatedPolicy[] {
  const policies = ctx.graph.l7policies
    .filter((p) => p.listenerId === listenerId && p.adminStateUp)
    .sort((a, b) => a.position - b.position || byId(a, b));
  const out: TranslatedPolicy[] = [];
  for (const policy of policies) {
    const rules = ctx.graph.l7rules.filter((r) => r.l7policyId === policy.id && r.adminStateUp).sort(byId);
    if (rules.length === 0) continue;
    const t = translatePolicy(ctx, policy, rules, mode, backendOf);
    if (t) out.push(t);
  }
  return out;
}

function translatePolicy(
  ctx: TranslateContext,
  policy: L7Policy,
  rules: readonly L7Rule[],
  mode: ProxyMode,
  backendOf: (poolId: string) => Word | null,
): TranslatedPolicy | null {
  const fail = (message: string): null => {
    ctx.problems.error('l7policy', policy.id, message);
    return null;
  };
  if (mode !== 'http' && policy.action !== 'REDIRECT_TO_POOL') {
    return fail(`${policy.action} needs an HTTP or TERMINATED_HTTPS listener`);
  }
  const acls: L7Acl[] = [];
  for (const rule of rules) {
    const acl = translateRule(ctx, rule);
    if (!acl) return fail(`left out because its rule ${rule.id} cannot be rendered`);
    acls.push(acl);
  }
  const condition: Condition = acls.map((a, i) => ({ acl: a.name, negate: rules[i]!.invert }));

  let code: number | null = null;
  if (policy.redirectHttpCode !== null && policy.action !== 'REJECT' && policy.action !== 'REDIRECT_TO_POOL') {
    if (!(REDIRECT_HTTP_CODES as readonly number[]).includes(policy.redirectHttpCode)) {
      return fail(`redirect_http_code ${policy.redirectHttpCode} is not supported`);
    }
    code = policy.redirectHttpCode;
  }
  switch (policy.action) {
    case 'REJECT':
      return { acls, rule: { kind: 'deny', policyId: policy.id, condition } };
    case 'REDIRECT_TO_URL': {
      // Upstream refuses white space and control characters in URLs; HAProxy writes the text
      // into the Location header unchanged (plain `redirect` is not a log-format).
      const url = argument(policy.redirectUrl ?? '', { spaces: false });
      if (!url.ok) return fail(`redirect_url ${url.reason}`);
      return { acls, rule: { kind: 'redirect-location', policyId: policy.id, url: url.word, code, condition } };
    }
    case 'REDIRECT_PREFIX': {
      const prefix = argument(policy.redirectPrefix ?? '', { spaces: false });
      if (!prefix.ok) return fail(`redirect_prefix ${prefix.reason}`);
      return { acls, rule: { kind: 'redirect-prefix', policyId: policy.id, prefix: prefix.word, code, condition } };
    }
    case 'REDIRECT_TO_POOL': {
      const backend = policy.redirectPoolId ? backendOf(policy.redirectPoolId) : null;
      if (!backend) return null;
      return { acls, rule: { kind: 'use-backend', policyId: policy.id, backend, condition } };
    }
  }
}

function translateRule(ctx: TranslateContext, rule: L7Rule): L7Acl | null {
  const fail = (message: string): null => {
    ctx.problems.error('l7rule', rule.id, message);
    return null;
  };
  const name = identifier(rule.id);
  if (!name.ok) return fail(`rule id ${name.reason}`);
  const matcher = MATCHERS[rule.compareType];
  if (!matcher) return fail(`compare_type ${JSON.stringify(rule.compareType)} is not supported`);
  const value = argument(rule.value);
  let test: AclTest;
  switch (rule.type) {
    case 'HOST_NAME':
    case 'PATH':
    case 'FILE_TYPE': {
      if (!value.ok) return fail(`value ${value.reason}`);
      if (rule.type === 'HOST_NAME') test = { kind: 'host-name', matcher, value: value.word };
      else if (rule.type === 'PATH') test = { kind: 'path', matcher, value: value.word };
      // `path_end -m str` never matches (haproxy/haproxy#2567): EQUAL_TO is the plain suffix test.
      else test = { kind: 'file-type', matcher: matcher === 'str' ? null : matcher, value: value.word };
      break;
    }
    case 'HEADER':
    case 'COOKIE':
    case 'SSL_DN_FIELD': {
      const key: Checked = rule.key ? fetchArgument(rule.key) : { ok: false, reason: 'is missing' };
      if (!key.ok) return fail(`key ${key.reason}`);
      if (!value.ok) return fail(`value ${value.reason}`);
      if (rule.type === 'HEADER') test = { kind: 'header', name: key.word, matcher, value: value.word };
      else if (rule.type === 'COOKIE') test = { kind: 'cookie', name: key.word, matcher, value: value.word };
      else test = { kind: 'ssl-dn-field', field: key.word, matcher, value: value.word };
      break;
    }
    case 'SSL_CONN_HAS_CERT':
      test = { kind: 'ssl-conn-has-cert' };
      break;
    case 'SSL_VERIFY_RESULT':
      if (!/^\d{1,9}$/.test(rule.value)) return fail('value must be a non-negative integer');
      test = { kind: 'ssl-verify-result', result: Number(rule.value) };
      break;
  }
  return { kind: 'l7-acl', name: name.word, test };
}
