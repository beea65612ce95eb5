/**
 * L7 rule API (root key `rule`/`rules`): create/show/list/update/delete, the per-type validation of
 * spec §2.8 with upstream's texts (character sets, Python regex syntax, SSL rule types), no control
 * characters anywhere, 50 rules per policy, the parent policy's lock, and the statuses the worker
 * reaches.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createActiveLoadBalancer, engines, startTestApi, SUBNET, type TestApi } from '../support/api.js';

const LBS = '/v2/lbaas/loadbalancers';
const LISTENERS = '/v2/lbaas/listeners';
const POLICIES = '/v2/lbaas/l7policies';
const MISSING = '0b9b4b0f-0000-4000-8000-00000000cafe';
const PROJECT = 'proj-l7r';

async function fault(res: { status: number; body: { faultstring?: string }; text: string }, status: number, message: string) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.body.faultstring, message);
}

async function markAllActive(api: TestApi, lbId: string): Promise<void> {
  const g = (await api.store.loadBalancerGraph(lbId))!;
  const active = { provisioningStatus: 'ACTIVE' } as const;
  await api.store.loadBalancers.setStatus(lbId, active);
  await api.store.listeners.setStatus(g.listeners.map((l) => l.id), active);
  await api.store.l7policies.setStatus(g.l7policies.map((p) => p.id), active);
  await api.store.l7rules.setStatus(g.l7rules.map((r) => r.id), active);
}

async function created(api: TestApi, path: string, key: string, body: Record<string, unknown>) {
  const res = await api.request('POST', path, { project: PROJECT, body: { [key]: body } });
  assert.equal(res.status, 201, res.text);
  return res.body[key];
}

/** On an API without a worker: LB, HTTP listener and a REJECT policy, all ACTIVE. */
async function frozenPolicy(api: TestApi) {
  const lb = await created(api, LBS, 'loadbalancer', { vip_subnet_id: SUBNET });
  await markAllActive(api, lb.id);
  const listener = await created(api, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 });
  await markAllActive(api, lb.id);
  const policy = await created(api, POLICIES, 'l7policy', { listener_id: listener.id, action: 'REJECT' });
  await markAllActive(api, lb.id);
  return { lb, listener, policy, rules: `${POLICIES}/${policy.id}/rules` };
}

/** Rule bodies and the 400 upstream answers for them (recorded from upstream Octavia). */
const INVALID: readonly [Record<string, unknown>, string][] = [
  [{ type: 'HEADER', compare_type: 'REGEX', key: 'X-A', value: 'a(b' }, 'Error parsing L7Rule: Unable to parse regular expression: missing ), unterminated subpattern at position 1'],
  [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-A', value: 'a b' }, 'Error parsing L7Rule: Invalid characters in header value'],
  [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X A', value: 'ab' }, 'Error parsing L7Rule: Invalid characters in key'],
  [{ type: 'HEADER', compare_type: 'EQUAL_TO', value: 'ab' }, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key'],
  [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X', value: '' }, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a value'],
  [{ type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'XA', value: 'a;b' }, 'Error parsing L7Rule: Invalid characters in cookie value'],
  [{ type: 'COOKIE', compare_type: 'CONTAINS', key: 'XA', value: 'a"b' }, 'Error parsing L7Rule: Invalid characters in cookie value'],
  [{ type: 'PATH', compare_type: 'EQUAL_TO', value: 'a b' }, 'Error parsing L7Rule: Invalid characters in comparison value'],
  [{ type: 'HOST_NAME', compare_type: 'REGEX', value: '*.example.com' }, 'Error parsing L7Rule: Unable to parse regular expression: nothing to repeat at position 0'],
  [{ type: 'FILE_TYPE', compare_type: 'CONTAINS', value: 'ab' }, 'Error parsing L7Rule: Invalid L7 Rule: invalid comparison type for rule type'],
  [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'yes' }, 'Error parsing L7Rule: Invalid L7 Rule: L7rule value yes is not a boolean True string.'],
  [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', key: 'k', value: 'true' }, 'Error parsing L7Rule: Invalid L7 Rule: L7rule type SSL_CONN_HAS_CERT does not use the "key" field.'],
  [{ type: 'SSL_CONN_HAS_CERT', compare_type: 'CONTAINS', value: 'TRUE' }, 'Error parsing L7Rule: Invalid L7 Rule: L7rule type SSL_CONN_HAS_CERT only supports the EQUAL_TO compare type.'],
  [{ type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '-1' }, 'Error parsing L7Rule: Invalid L7 Rule: L7rule type SSL_VERIFY_RESULT needs a int value, which is >= 0'],
  [{ type: 'SSL_DN_FIELD', compare_type: 'REGEX', key: 'CN', value: 'a(b' }, 'Error parsing L7Rule: Unable to parse regular expression: missing ), unterminated subpattern at position 1'],
  [{ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: '1CN', value: 'ab' }, 'Error parsing L7Rule: Invalid L7 Rule: Invalid L7rule distinguished name field.'],
  [{ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', value: 'ab' }, 'Error parsing L7Rule: Invalid L7 Rule: L7rule type SSL_DN_FIELD needs to specify a key and a value.'],
  // No control character reaches a configuration line, whatever the compare type.
  [{ type: 'PATH', compare_type: 'REGEX', value: '^/a\u0001' }, 'Error parsing L7Rule: Invalid characters in comparison value'],
  [{ type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-A', value: '"a\tb"' }, 'Error parsing L7Rule: Invalid characters in header value'],
  [{ type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: 'CN', value: 'a\u0085b' }, 'Error parsing L7Rule: Invalid characters in comparison value'],
  [{ type: 'PATH', compare_type: 'EQUAL_TO', value: '/a\nb' }, "Invalid input for field/attribute value. Value: '/a\nb'. Value should match the pattern ^[^\\r\\n]*$"],
];

/** Accepted rules (charsets T/V/C as upstream, including the comma its `+-.` ranges admit). */
const VALID: readonly Record<string, unknown>[] = [
  { type: 'HEADER', compare_type: 'EQUAL_TO', key: "X-A!#$%&'*+,.^_`|~", value: 'v!"#$%&\'()*+,-./:;<=>?@[]^_`{|}~\\' },
  { type: 'HEADER', compare_type: 'STARTS_WITH', key: 'X-A', value: '"a quoted value"' },
  { type: 'COOKIE', compare_type: 'ENDS_WITH', key: 'session', value: "a,b!#$%&'()*+-./:<=>?@[]^_`{|}~" },
  { type: 'HOST_NAME', compare_type: 'REGEX', value: '(?i)^(www|api)\\.example\\.(?P<tld>com|org)$' },
  { type: 'PATH', compare_type: 'CONTAINS', value: '/api/v2' },
  { type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'jpg' },
  { type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'True' },
  { type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0' },
  { type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: 'OU-2', value: 'ops team' },
];

for (const engine of engines()) {
  describe(`L7 rules (${engine})`, () => {
    let api: TestApi;
    let frozen: TestApi;
    before(async () => {
      api = await startTestApi({ engine });
      frozen = await startTestApi({ engine, worker: false });
    });
    after(async () => {
      await api?.close();
      await frozen?.close();
    });

    test('create: 201 PENDING_CREATE; policy, listener and LB locked; the worker makes all ACTIVE and the rule ONLINE', async () => {
      const lb = await createActiveLoadBalancer(api, PROJECT);
      const listener = await created(api, LISTENERS, 'listener', { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 });
      await api.settle();
      const policy = await created(api, POLICIES, 'l7policy', { listener_id: listener.id, action: 'REJECT' });
      await api.settle();
      const rule = await created(api, `${POLICIES}/${policy.id}/rules`, 'rule', { type: 'HEADER', compare_type: 'STARTS_WITH', key: 'X-Env', value: 'prod', invert: true, tags: ['x'] });
      assert.equal(rule.provisioning_status, 'PENDING_CREATE');
      assert.equal(rule.operating_status, 'OFFLINE');
      assert.equal(rule.invert, true);
      assert.equal(rule.key, 'X-Env');
      assert.equal(rule.project_id, PROJECT);
      assert.equal(rule.tenant_id, PROJECT);
      assert.equal('l7policy_id' in rule, false);
      const path = `${POLICIES}/${policy.id}/rules/${rule.id}`;
      const active = await api.waitForStatus(path, 'rule');
      assert.equal(active.operating_status, 'ONLINE');
      assert.equal((await api.waitForStatus(`${POLICIES}/${policy.id}`, 'l7policy')).provisioning_status, 'ACTIVE');
      assert.equal((await api.waitForStatus(`${LBS}/${lb.id}`, 'loadbalancer')).provisioning_status, 'ACTIVE');
      const shown = await api.request('GET', `${POLICIES}/${policy.id}`);
      assert.deepEqual(shown.body.l7policy.rules, [{ id: rule.id }]);

      const del = await api.request('DELETE', path);
      assert.equal(del.status, 204, del.text);
      await api.waitForStatus(path, 'rule', 'DELETED');
      assert.equal((await api.waitForStatus(`${POLICIES}/${policy.id}`, 'l7policy')).provisioning_status, 'ACTIVE');
      assert.equal(await api.store.l7rules.get(rule.id), null);
    });

    test('locks: policy, listener and LB go PENDING_UPDATE; a policy that is not ACTIVE → 409 naming the policy', async () => {
      const { lb, listener, policy, rules } = await frozenPolicy(frozen);
      const rule = await created(frozen, rules, 'rule', { type: 'PATH', compare_type: 'EQUAL_TO', value: '/a' });
      assert.equal((await frozen.store.l7policies.get(policy.id))!.provisioningStatus, 'PENDING_UPDATE');
      assert.equal((await frozen.store.listeners.get(listener.id))!.provisioningStatus, 'PENDING_UPDATE');
      assert.equal((await frozen.store.loadBalancers.get(lb.id))!.provisioningStatus, 'PENDING_UPDATE');
      const locked = `L7Policy ${policy.id} is immutable and cannot be updated.`;
      await fault(await frozen.request('POST', rules, { body: { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/b' } } }), 409, locked);
      await fault(await frozen.request('PUT', `${rules}/${rule.id}`, { body: { rule: { value: '/c' } } }), 409, locked);
      await fault(await frozen.request('DELETE', `${rules}/${rule.id}`), 409, locked);
      // Policy ACTIVE but the load balancer busy: the load balancer is named.
      await frozen.store.l7policies.setStatus(policy.id, { provisioningStatus: 'ACTIVE' });
      await fault(
        await frozen.request('POST', rules, { body: { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/b' } } }),
        409,
        `Load Balancer ${lb.id} is immutable and cannot be updated.`,
      );
      assert.equal((await frozen.store.l7rules.forPolicies([policy.id])).length, 1, 'nothing written');
      // A policy in ERROR cannot take rule changes either.
      await markAllActive(frozen, lb.id);
      await frozen.store.l7policies.setStatus(policy.id, { provisioningStatus: 'ERROR' });
      await fault(await frozen.request('DELETE', `${rules}/${rule.id}`), 409, locked);
      await markAllActive(frozen, lb.id);
      assert.equal((await frozen.request('DELETE', `${rules}/${rule.id}`)).status, 204);
      assert.equal((await frozen.store.l7rules.get(rule.id))!.provisioningStatus, 'PENDING_DELETE');
    });

    test('per-type validation with upstream texts; nothing written on 400', async () => {
      const { lb, policy, rules } = await frozenPolicy(frozen);
      for (const [body, message] of INVALID) {
        await fault(await frozen.request('POST', rules, { body: { rule: body } }), 400, message);
      }
      assert.equal((await frozen.store.l7rules.forPolicies([policy.id])).length, 0);
      assert.equal((await frozen.store.loadBalancers.get(lb.id))!.provisioningStatus, 'ACTIVE');
      for (const body of VALID) {
        const res = await frozen.request('POST', rules, { body: { rule: body } });
        assert.equal(res.status, 201, `${JSON.stringify(body)}: ${res.text}`);
        await markAllActive(frozen, lb.id);
      }
      const path = await frozen.store.l7rules.forPolicies([policy.id]);
      assert.equal(path.length, VALID.length);
    });

    test('the key of HOST_NAME/PATH/FILE_TYPE rules is not kept; update validates the merged rule and clears it on a type change', async () => {
      const { lb, rules } = await frozenPolicy(frozen);
      const rule = await created(frozen, rules, 'rule', { type: 'PATH', compare_type: 'STARTS_WITH', key: 'ignored', value: '/api' });
      assert.equal(rule.key, null);
      await markAllActive(frozen, lb.id);
      const path = `${rules}/${rule.id}`;
      await fault(
        await frozen.request('PUT', path, { body: { rule: { type: 'HEADER' } } }),
        400,
        'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a key',
      );
      const header = await frozen.request('PUT', path, { body: { rule: { type: 'HEADER', key: 'X-Path', invert: null } } });
      assert.equal(header.status, 200, header.text);
      assert.equal(header.body.rule.provisioning_status, 'PENDING_UPDATE');
      assert.equal(header.body.rule.key, 'X-Path');
      assert.equal(header.body.rule.invert, false);
      assert.equal((await frozen.store.loadBalancers.get(lb.id))!.provisioningStatus, 'PENDING_UPDATE');
      await markAllActive(frozen, lb.id);
      const host = await frozen.request('PUT', path, { body: { rule: { type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'www.example.com' } } });
      assert.equal(host.status, 200, host.text);
      assert.equal(host.body.rule.key, null);
      await markAllActive(frozen, lb.id);
      await fault(await frozen.request('PUT', path, { body: { rule: { value: null } } }), 400, 'Error parsing L7Rule: Invalid L7 Rule: L7 rule type requires a value');
      await fault(await frozen.request('PUT', path, { body: {} }), 400, 'Validation failure: No rule object supplied.');
      await fault(await frozen.request('PUT', path, { body: { rule: { bogus: 1 } } }), 400, 'Unknown attribute for argument l7rule_.rule: bogus');
    });

    test('at most 50 rules per policy (409), also in single-call create', async () => {
      const { policy, rules } = await frozenPolicy(frozen);
      const now = new Date().toISOString().slice(0, 19);
      for (let i = 0; i < 50; i++) {
        await frozen.store.l7rules.insert({
          id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}${''}`.slice(0, 36),
          projectId: PROJECT,
          l7policyId: policy.id,
          type: 'PATH',
          compareType: 'EQUAL_TO',
          key: null,
          value: `/r${i}`,
          invert: false,
          adminStateUp: true,
          provisioningStatus: 'ACTIVE',
          operatingStatus: 'ONLINE',
          tags: [],
          createdAt: now,
          updatedAt: null,
        });
      }
      await fault(
        await frozen.request('POST', rules, { body: { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/one-more' } } }),
        409,
        `Too many rules on L7 policy ${policy.id}`,
      );
      const many = Array.from({ length: 51 }, (_, i) => ({ type: 'PATH', compare_type: 'EQUAL_TO', value: `/p${i}` }));
      const graph = await frozen.request('POST', LBS, {
        project: PROJECT,
        body: { loadbalancer: { vip_subnet_id: SUBNET, listeners: [{ protocol: 'HTTP', protocol_port: 80, l7policies: [{ action: 'REJECT', rules: many }] }] } },
      });
      assert.equal(graph.status, 409, graph.text);
      assert.match(graph.body.faultstring, /^Too many rules on L7 policy [0-9a-f-]{36}$/);
      const fine = await frozen.request('POST', LBS, {
        project: PROJECT,
        body: { loadbalancer: { vip_subnet_id: SUBNET, listeners: [{ protocol: 'HTTP', protocol_port: 80, l7policies: [{ action: 'REJECT', rules: many.slice(1) }] }] } },
      });
      assert.equal(fine.status, 201, fine.text);
      assert.equal(fine.body.loadbalancer.listeners[0].l7policies[0].rules.length, 50);
    });

    test('single-call create validates embedded rules with the same texts', async () => {
      const res = await frozen.request('POST', LBS, {
        project: PROJECT,
        body: {
          loadbalancer: {
            vip_subnet_id: SUBNET,
            listeners: [{ protocol: 'HTTP', protocol_port: 80, l7policies: [{ action: 'REJECT', rules: [{ type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'c', value: 'a b' }] }] }],
          },
        },
      });
      await fault(res, 400, 'Error parsing L7Rule: Invalid characters in cookie value');
    });

    test('list and show under the policy; rules of other policies are not reachable; 404 texts', async () => {
      const { lb, listener, rules, policy } = await frozenPolicy(frozen);
      const a = await created(frozen, rules, 'rule', { type: 'PATH', compare_type: 'EQUAL_TO', value: '/a' });
      await markAllActive(frozen, lb.id);
      const b = await created(frozen, rules, 'rule', { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X', value: 'b' });
      await markAllActive(frozen, lb.id);
      const other = await created(frozen, POLICIES, 'l7policy', { listener_id: listener.id, action: 'REJECT' });
      await markAllActive(frozen, lb.id);
      const list = await frozen.request('GET', rules);
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.body.rules.map((r: { id: string }) => r.id).sort(), [a.id, b.id].sort());
      assert.deepEqual(list.body.rules_links, []);
      const filtered = await frozen.request('GET', `${rules}?type=HEADER`);
      assert.deepEqual(filtered.body.rules.map((r: { id: string }) => r.id), [b.id]);
      const one = await frozen.request('GET', `${rules}/${a.id}?fields=id&fields=value`);
      assert.deepEqual(one.body, { rule: { id: a.id, value: '/a' } });
      await fault(await frozen.request('GET', `${POLICIES}/${other.id}/rules/${a.id}`), 404, `L7 Rule ${a.id} not found.`);
      await fault(await frozen.request('DELETE', `${POLICIES}/${other.id}/rules/${a.id}`), 404, `L7 Rule ${a.id} not found.`);
      assert.equal((await frozen.store.l7rules.get(a.id))!.provisioningStatus, 'ACTIVE');
      await fault(await frozen.request('GET', `${POLICIES}/${MISSING}/rules`), 404, `L7Policy ${MISSING} not found.`);
      await fault(
        await frozen.request('POST', `${POLICIES}/${MISSING}/rules`, { body: { rule: { type: 'PATH', compare_type: 'EQUAL_TO', value: '/a' } } }),
        404,
        `L7Policy ${MISSING} not found.`,
      );
      await fault(await frozen.request('GET', `${rules}/${MISSING}`), 404, `L7 Rule ${MISSING} not found.`);
      assert.ok(policy.id);
    });
  });
}
