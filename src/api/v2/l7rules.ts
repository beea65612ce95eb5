/**
 * /v2/lbaas/l7policies/{policy_id}/rules (root key `rule`/`rules`): list, show, create, update,
 * delete (spec §2.8), and the per-type rule validation that single-call create shares. Rule keys
 * and values end up in HAProxy ACLs, so besides upstream's character sets and regex check no key
 * or value may hold a control character, whatever the compare type.
 */
import { Errors } from '../../domain/errors.js';
import { MAX_L7RULES_PER_L7POLICY, type L7Policy, type L7Rule, type L7RuleCompareType, type L7RuleType } from '../../domain/l7.js';
import type { Listener } from '../../domain/listener.js';
import type { Store } from '../../db/store.js';
import { newId } from '../../lib/ids.js';
import { pythonRegexError } from '../../lib/python-regex.js';
import { policy as rbac } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { Router } from '../router.js';
import { check, getLoadBalancer, has, inTransaction, listResponse, lockLoadBalancerForChild, now, oneResponse, parseList, rootObject, tagList, type Json } from './common.js';
import type { ListAttributes } from './list-params.js';
import { getDriver } from './providers.js';
import { BODIES } from './wire/requests.js';
import { l7ruleJson } from './wire/responses.js';

const TYPE = 'l7rule';

export const L7RULE_ATTRIBUTES: ListAttributes = {
  id: { column: 'id', kind: 'string' },
  project_id: { column: 'project_id', kind: 'string' },
  type: { column: 'type', kind: 'string' },
  compare_type: { column: 'compare_type', kind: 'string' },
  key: { column: 'key', kind: 'string' },
  value: { column: 'value', kind: 'string' },
  invert: { column: 'invert', kind: 'boolean' },
  admin_state_up: { column: 'enabled', kind: 'boolean' },
  enabled: { column: 'enabled', kind: 'boolean' },
  l7policy_id: { column: 'l7policy_id', kind: 'string' },
  provisioning_status: { column: 'provisioning_status', kind: 'string' },
  operating_status: { column: 'operating_status', kind: 'string' },
  created_at: { column: 'created_at', kind: 'datetime' },
  updated_at: { column: 'updated_at', kind: 'datetime' },
};

// Upstream's character sets (octavia/common/constants.py). In the header-name and cookie-value
// classes upstream writes `+-.`, a range that also admits the comma; kept as is.
/** T: HTTP header (and cookie) names. */
const HEADER_NAME = /^[a-zA-Z0-9!#$%&'*+,\-.^_`|~]+$/;
/** V: header values, bare... */
const HEADER_VALUE = /^[a-zA-Z0-9!"#$%&'()*+,\-./:;<=>?@[\]^_`{|}~\\]+$/;
/** ...or double-quoted, where blanks are allowed too. */
const QUOTED_HEADER_VALUE = /^"[a-zA-Z0-9 \t!"#$%&'()*+,\-./:;<=>?@[\]^_`{|}~\\]*"$/;
/** C: cookie values. */
const COOKIE_VALUE = /^[a-zA-Z0-9!#$%&'()*+,\-./:<=>?@[\]^_`{|}~]+$/;
const DN_FIELD = /^[a-zA-Z][A-Za-z0-9-]*$/;
/** C0 and C1 control characters (which includes CR, LF and TAB). */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

const STRING_COMPARES: readonly string[] = ['STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'];

export interface L7RuleFields {
  readonly type: string | null;
  readonly compare_type: string | null;
  readonly key: string | null;
  readonly value: string | null;
}

const invalidString = (what: string) => Errors.l7ruleParse(`Invalid characters in ${what}`);

function checkRegex(value: string): void {
  const error = pythonRegexError(value);
  if (error !== null) throw Errors.l7ruleParse(`Unable to parse regular expression: ${error}`);
}

function checkHeaderValue(value: string, what: string): void {
  if (!HEADER_VALUE.test(value) && !QUOTED_HEADER_VALUE.test(value)) throw invalidString(what);
}

/** Upstream's `validate.l7rule_data` (with the SSL rule types), as 400 "Error parsing L7Rule: ...". */
export function validateL7Rule(r: L7RuleFields): void {
  const { type, compare_type: compare, key, value } = r;
  const valueWhat = type === 'HEADER' ? 'header value' : type === 'COOKIE' ? 'cookie value' : 'comparison value';
  if (key && CONTROL.test(key)) throw invalidString('key');
  if (value && CONTROL.test(value)) throw invalidString(valueWhat);
  if (!value) throw Errors.l7rule('L7 rule type requires a value');
  switch (type) {
    case 'HEADER':
    case 'COOKIE':
      if (!key) throw Errors.l7rule('L7 rule type requires a key');
      if (!HEADER_NAME.test(key)) throw invalidString('key');
      if (compare === 'REGEX') checkRegex(value);
      else if (compare !== null && STRING_COMPARES.includes(compare)) {
        if (type === 'HEADER') checkHeaderValue(value, valueWhat);
        else if (!COOKIE_VALUE.test(value)) throw invalidString(valueWhat);
      } else throw Errors.l7rule('invalid comparison type for rule type');
      return;
    case 'HOST_NAME':
    case 'PATH':
      if (compare !== null && STRING_COMPARES.includes(compare)) checkHeaderValue(value, valueWhat);
      else if (compare === 'REGEX') checkRegex(value);
      else throw Errors.l7rule('invalid comparison type for rule type');
      return;
    case 'FILE_TYPE':
      if (compare === 'REGEX') checkRegex(value);
      else if (compare === 'EQUAL_TO') checkHeaderValue(value, valueWhat);
      else throw Errors.l7rule('invalid comparison type for rule type');
      return;
    case 'SSL_CONN_HAS_CERT':
      if (key) throw Errors.l7rule(`L7rule type ${type} does not use the "key" field.`);
      if (value.toLowerCase() !== 'true') throw Errors.l7rule(`L7rule value ${value} is not a boolean True string.`);
      if (compare !== 'EQUAL_TO') throw Errors.l7rule(`L7rule type ${type} only supports the EQUAL_TO compare type.`);
      return;
    case 'SSL_VERIFY_RESULT':
      if (key) throw Errors.l7rule(`L7rule type ${type} does not use the "key" field.`);
      if (!/^[0-9]+$/.test(value)) throw Errors.l7rule(`L7rule type ${type} needs a int value, which is >= 0`);
      if (compare !== 'EQUAL_TO') throw Errors.l7rule(`L7rule type ${type} only supports the EQUAL_TO compare type.`);
      return;
    case 'SSL_DN_FIELD':
      if (compare === 'REGEX') checkRegex(value);
      if (!key) throw Errors.l7rule(`L7rule type ${type} needs to specify a key and a value.`);
      if (!DN_FIELD.test(key)) throw Errors.l7rule('Invalid L7rule distinguished name field.');
      return;
    default:
      throw Errors.l7rule('invalid rule type');
  }
}

/** Rule types whose `key` means nothing; upstream stores it as null. */
const KEYLESS: readonly string[] = ['HOST_NAME', 'PATH', 'FILE_TYPE'];

/** A new rule of `policy` from a decoded L7RulePOST / L7RuleSingleCreate object (validated here). */
export function newL7Rule(policy: L7Policy, input: Json, created: string): L7Rule {
  const fields: L7RuleFields = {
    type: (input['type'] as string | null | undefined) ?? null,
    compare_type: (input['compare_type'] as string | null | undefined) ?? null,
    key: (input['key'] as string | null | undefined) ?? null,
    value: (input['value'] as string | null | undefined) ?? null,
  };
  validateL7Rule(fields);
  return {
    id: newId(),
    projectId: policy.projectId,
    l7policyId: policy.id,
    type: fields.type as L7RuleType,
    compareType: fields.compare_type as L7RuleCompareType,
    key: KEYLESS.includes(fields.type!) ? null : fields.key,
    value: fields.value!,
    invert: Boolean(input['invert'] ?? false),
    adminStateUp: input['admin_state_up'] === undefined ? true : Boolean(input['admin_state_up']),
    provisioningStatus: 'PENDING_CREATE',
    operatingStatus: 'OFFLINE',
    tags: tagList(input['tags']),
    createdAt: created,
    updatedAt: null,
  };
}

/** The policy of a rules URL: 404 "L7Policy <id> not found." (upstream's lookup wording). */
async function policyOf(store: Store, id: string): Promise<L7Policy> {
  const policy = await store.l7policies.get(id);
  if (!policy || policy.provisioningStatus === 'DELETED') throw Errors.notFound('L7Policy', id);
  return policy;
}

/** A rule of that policy; rules of other policies are not reachable through it. */
async function ruleOf(store: Store, policy: L7Policy, id: string): Promise<L7Rule> {
  const rule = await store.l7rules.get(id);
  if (!rule || rule.l7policyId !== policy.id || rule.provisioningStatus === 'DELETED') throw Errors.notFound('L7 Rule', id);
  return rule;
}

async function listenerOf(store: Store, policy: L7Policy): Promise<Listener> {
  const listener = await store.listeners.get(policy.listenerId);
  if (!listener) throw Errors.notFound('Listener', policy.listenerId);
  return listener;
}

/**
 * The lock of a rule change (spec §3.2): the policy must be ACTIVE, then the load balancer goes
 * ACTIVE → PENDING_UPDATE and the listener and the policy to PENDING_UPDATE.
 */
async function lockForRule(tx: Store, policy: L7Policy, listener: Listener): Promise<void> {
  if (policy.provisioningStatus !== 'ACTIVE') throw Errors.immutable('L7Policy', policy.id);
  await lockLoadBalancerForChild(tx, listener.loadBalancerId);
  await tx.listeners.setStatus(listener.id, { provisioningStatus: 'PENDING_UPDATE' });
  await tx.l7policies.setStatus(policy.id, { provisioningStatus: 'PENDING_UPDATE' });
}

export function registerL7Rules(r: Router, deps: ApiDeps, prefixes: readonly string[]): void {
  const mount = { prefixes };
  const base = '/l7policies/:policy_id/rules';

  r.add(
    {
      method: 'GET',
      path: base,
      summary: 'List the rules of an L7 policy',
      handler: async (req) => {
        const policy = await policyOf(deps.store, req.params['policy_id']!);
        check(deps, req, rbac(TYPE, 'get_all'), policy.projectId);
        const parsed = parseList(deps, req, L7RULE_ATTRIBUTES, [{ column: 'l7policy_id', values: [policy.id] }]);
        const rules = await deps.store.l7rules.list(parsed.request);
        return { status: 200, body: listResponse(deps, req, parsed, 'rules', 'rules_links', rules.map(l7ruleJson)) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: `${base}/:id`,
      summary: 'Show an L7 rule',
      handler: async (req) => {
        const policy = await policyOf(deps.store, req.params['policy_id']!);
        const rule = await ruleOf(deps.store, policy, req.params['id']!);
        check(deps, req, rbac(TYPE, 'get_one'), rule.projectId);
        return { status: 200, body: oneResponse(deps, req, 'rule', l7ruleJson(rule)) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'POST',
      path: base,
      summary: 'Create an L7 rule',
      body: BODIES.l7rulePost,
      handler: async (req) => {
        const body = rootObject(req.body, 'rule', 'rule');
        const rule = await inTransaction(deps, async (tx) => {
          const policy = await policyOf(tx, req.params['policy_id']!);
          const listener = await listenerOf(tx, policy);
          const lb = await getLoadBalancer(tx, listener.loadBalancerId);
          check(deps, req, rbac(TYPE, 'post'), lb.projectId);
          const rule = newL7Rule(policy, body, now(deps));
          if ((await tx.l7rules.countForPolicy(policy.id)) >= MAX_L7RULES_PER_L7POLICY) throw Errors.tooManyL7Rules(policy.id);
          const provider = getDriver(deps, lb.provider);
          await lockForRule(tx, policy, listener);
          await tx.l7rules.insert(rule);
          await provider.l7ruleCreate(tx, policy, rule, { listenerIds: [listener.id] });
          return rule;
        });
        return { status: 201, body: { rule: l7ruleJson((await deps.store.l7rules.get(rule.id)) ?? rule) } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'PUT',
      path: `${base}/:id`,
      summary: 'Update an L7 rule',
      body: BODIES.l7rulePut,
      handler: async (req) => {
        const updated = await inTransaction(deps, async (tx) => {
          const policy = await policyOf(tx, req.params['policy_id']!);
          const rule = await ruleOf(tx, policy, req.params['id']!);
          const listener = await listenerOf(tx, policy);
          const lb = await getLoadBalancer(tx, listener.loadBalancerId);
          check(deps, req, rbac(TYPE, 'put'), lb.projectId);
          const body = rootObject(req.body, 'rule', 'rule');
          const pick = <T>(name: string, current: T): T => (has(body, name) ? (body[name] as T) : current);
          const merged: L7RuleFields = {
            type: pick('type', rule.type),
            compare_type: pick('compare_type', rule.compareType),
            key: pick('key', rule.key),
            value: pick('value', rule.value),
          };
          validateL7Rule(merged);
          const provider = getDriver(deps, lb.provider);
          await lockForRule(tx, policy, listener);
          const next: L7Rule = {
            ...rule,
            type: merged.type as L7RuleType,
            compareType: merged.compare_type as L7RuleCompareType,
            key: KEYLESS.includes(merged.type!) ? null : merged.key,
            value: merged.value!,
            invert: has(body, 'invert') ? Boolean(body['invert']) : rule.invert,
            adminStateUp: has(body, 'admin_state_up') ? Boolean(body['admin_state_up']) : rule.adminStateUp,
            tags: has(body, 'tags') ? tagList(body['tags']) : rule.tags,
            provisioningStatus: 'PENDING_UPDATE',
            updatedAt: now(deps),
          };
          await tx.l7rules.save(next);
          await provider.l7ruleUpdate(tx, policy, next, { listenerIds: [listener.id] });
          return next;
        });
        return { status: 200, body: { rule: l7ruleJson((await deps.store.l7rules.get(updated.id)) ?? updated) } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'DELETE',
      path: `${base}/:id`,
      summary: 'Delete an L7 rule',
      handler: async (req) => {
        await inTransaction(deps, async (tx) => {
          const policy = await policyOf(tx, req.params['policy_id']!);
          const rule = await ruleOf(tx, policy, req.params['id']!);
          const listener = await listenerOf(tx, policy);
          const lb = await getLoadBalancer(tx, listener.loadBalancerId);
          check(deps, req, rbac(TYPE, 'delete'), lb.projectId);
          const provider = getDriver(deps, lb.provider);
          await lockForRule(tx, policy, listener);
          await tx.l7rules.setStatus(rule.id, { provisioningStatus: 'PENDING_DELETE' });
          await provider.l7ruleDelete(tx, policy, { ...rule, provisioningStatus: 'PENDING_DELETE' }, { listenerIds: [listener.id] });
        });
        return { status: 204 };
      },
    },
    mount,
  );
}

