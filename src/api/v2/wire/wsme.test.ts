/**
 * The WSME-compatible decoder against upstream's observed answers (recorded from Octavia 11 with
 * noauth): which error wins, how values are rendered, what is coerced.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '../../../domain/errors.js';
import { BODIES } from './requests.js';
import { decodeBody, toJsonSchema } from './wsme.js';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DomainError, String(err));
    return err.message;
  }
  assert.fail('expected a DomainError');
}

const lb = (body: unknown) => () => decodeBody(BODIES.loadBalancerPost.type, 'load_balancer', body);
const listener = (inner: Record<string, unknown>) => () =>
  decodeBody(BODIES.listenerPost.type, 'listener_', { listener: inner });

test('unknown attributes are reported first, with the dotted path of enclosing attributes', () => {
  assert.equal(message(lb({ foo: {} })), 'Unknown attribute for argument load_balancer: foo');
  assert.equal(message(lb({ loadbalancer: { name: 5, foo: 1 } })), 'Unknown attribute for argument load_balancer.loadbalancer: foo');
  assert.equal(
    message(lb({ loadbalancer: { listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { foo: 1 } }] } })),
    'Unknown attribute for argument load_balancer.loadbalancer.listeners.default_pool: foo',
  );
  assert.equal(message(lb({ loadbalancer: { loadbalancer_x: 1, y: 2 } })), 'Unknown attributes for argument load_balancer.loadbalancer: loadbalancer_x, y');
  assert.equal(
    message(lb({ loadbalancer: { listeners: [{ protocol: 'HTTP', protocol_port: 80, loadbalancer_id: 'x' }] } })),
    'Unknown attribute for argument load_balancer.loadbalancer.listeners: loadbalancer_id',
  );
});

test('attributes are checked in declaration order; field errors name the bare attribute', () => {
  assert.equal(message(lb({ loadbalancer: { admin_state_up: 'x', name: 5 } })), "Invalid input for field/attribute name. Value: '5'. Value should be string");
  assert.equal(
    message(lb({ loadbalancer: { tags: 5, listeners: [{ foo: 1 }] } })),
    'Unknown attribute for argument load_balancer.loadbalancer.listeners: foo',
  );
  assert.equal(message(listener({ protocol_port: 'abc' })), "Invalid input for field/attribute protocol. Value: 'None'. Mandatory field missing.");
  assert.equal(
    message(lb({ loadbalancer: { listeners: [{}] } })),
    "Invalid input for field/attribute protocol. Value: 'None'. Mandatory field missing.",
  );
});

test('conversion errors name the body argument and show the whole body as Python prints it', () => {
  assert.equal(
    message(lb({ loadbalancer: { admin_state_up: 'abc' } })),
    "Invalid input for field/attribute load_balancer. Value: '{'loadbalancer': {'admin_state_up': 'abc'}}'. Value not an unambiguous boolean: abc",
  );
  assert.equal(
    message(listener({ protocol: 'HTTP', protocol_port: 'abc' })),
    "Invalid input for field/attribute listener_. Value: '{'listener': {'protocol': 'HTTP', 'protocol_port': 'abc'}}'. invalid literal for int() with base 10: 'abc'",
  );
  assert.equal(
    message(() => decodeBody(BODIES.membersPut.type, 'members_', { members: 5 })),
    "Invalid input for field/attribute members_. Value: '{'members': 5}'. Value not a valid list: 5",
  );
  assert.equal(
    message(lb({ loadbalancer: { tags: [true, 1.5, null, "it's"], name: null, admin_state_up: 'x' } })),
    `Invalid input for field/attribute load_balancer. Value: '{'loadbalancer': {'tags': [True, 1.5, None, "it's"], 'name': None, 'admin_state_up': 'x'}}'. Value not an unambiguous boolean: x`,
  );
});

test('validation messages of every type', () => {
  assert.equal(message(listener({ protocol: 'HTTP', protocol_port: 0 })), "Invalid input for field/attribute protocol_port. Value: '0'. Value should be greater or equal to 1");
  assert.equal(message(listener({ protocol: 'HTTP', protocol_port: 65536 })), "Invalid input for field/attribute protocol_port. Value: '65536'. Value should be lower or equal to 65535");
  assert.equal(
    message(listener({ protocol: 'HTTP', protocol_port: 80, loadbalancer_id: '8b3c1a4e-7b3b-4a0b-9f8f-0f6d2b8c9d10', allowed_cidrs: ['10.0.0.0/33'] })),
    "Invalid input for field/attribute allowed_cidrs. Value: '['10.0.0.0/33']'. Value should be IPv4 or IPv6 CIDR format",
  );
  assert.equal(
    message(listener({ protocol: 'HTTP', protocol_port: 80, loadbalancer_id: '8b3c1a4e-7b3b-4a0b-9f8f-0f6d2b8c9d10', insert_headers: { a: 1 } })),
    "Invalid input for field/attribute insert_headers. Value: '{'a': 1}'. Value should be string",
  );
  assert.equal(message(lb({ loadbalancer: { vip_address: 'abc' } })), "Invalid input for field/attribute vip_address. Value: 'abc'. Value should be IPv4 or IPv6 format");
  assert.equal(message(lb({ loadbalancer: { tags: [1] } })), "Invalid input for field/attribute tags. Value: '[1]'. Value should be string");
  assert.equal(
    message(lb({ loadbalancer: { additional_vips: [{}] } })),
    "Invalid input for field/attribute subnet_id. Value: 'None'. Mandatory field missing.",
  );
  const hm = (inner: Record<string, unknown>) => () =>
    decodeBody(BODIES.healthMonitorPost.type, 'health_monitor_', { healthmonitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, pool_id: '8b3c1a4e-7b3b-4a0b-9f8f-0f6d2b8c9d10', ...inner } });
  assert.equal(message(hm({ http_version: 2 })), "Invalid input for field/attribute http_version. Value: '2.0'. Value should be one of: 1.0, 1.1");
  assert.equal(message(hm({ url_path: '//x' })), "Invalid input for field/attribute url_path. Value: '//x'. Value must be a valid URL Path string");
  assert.equal(
    message(hm({ expected_codes: '2000' })),
    "Invalid input for field/attribute expected_codes. Value: '2000'. Value should match the pattern ^(\\d{3}(\\s*,\\s*\\d{3})*)$|^(\\d{3}-\\d{3})$",
  );
  assert.equal(message(hm({ domain_name: '' })), "Invalid input for field/attribute domain_name. Value: ''. Value should have a minimum character requirement of 1");
  const policy = (inner: Record<string, unknown>) => () =>
    decodeBody(BODIES.l7policyPost.type, 'l7policy_', { l7policy: { action: 'REDIRECT_TO_URL', listener_id: '8b3c1a4e-7b3b-4a0b-9f8f-0f6d2b8c9d10', ...inner } });
  assert.equal(message(policy({ redirect_url: 'ftp://x' })), "Invalid input for field/attribute redirect_url. Value: 'ftp://x'. Value must be a valid URL string");
  assert.equal(message(policy({ redirect_url: 5 })), "Invalid input for field/attribute redirect_url. Value: '5'. expected string or bytes-like object, got 'int'");
  assert.equal(message(policy({ redirect_http_code: true })), "Invalid input for field/attribute redirect_http_code. Value: '1'. Value should be one of: 301, 302, 303, 307, 308");
});

test('coercions upstream accepts: numeric strings and truncated floats for ints, yes/on/1 for booleans', () => {
  const out = listener({ protocol: 'HTTP', protocol_port: '80', loadbalancer_id: '8B3C1A4E7B3B4A0B9F8F0F6D2B8C9D10', admin_state_up: 'on', connection_limit: 10.9 })();
  const l = (out as { listener: Record<string, unknown> }).listener;
  assert.equal(l['protocol_port'], 80);
  assert.equal(l['admin_state_up'], true);
  assert.equal(l['connection_limit'], 10);
  assert.equal(l['loadbalancer_id'], '8b3c1a4e-7b3b-4a0b-9f8f-0f6d2b8c9d10', 'UUIDs are normalised');
  assert.equal(l['client_authentication'], 'NONE', 'defaults fill absent attributes');
  assert.deepEqual(l['l7policies'], []);
});

test('null passes (even for mandatory attributes); absent mandatory fails; tenant_id wins over project_id', () => {
  const out = listener({ protocol: null, protocol_port: 80, loadbalancer_id: null, name: null })() as { listener: Record<string, unknown> };
  assert.equal(out.listener['protocol'], null);
  assert.equal(out.listener['name'], null);
  const t = lb({ loadbalancer: { project_id: 'a', tenant_id: 'b' } })() as { loadbalancer: Record<string, unknown> };
  assert.equal(t.loadbalancer['project_id'], 'b');
  assert.equal(
    message(lb({ loadbalancer: { tenant_id: 5 } })),
    "Invalid input for field/attribute project_id. Value: '5'. Value should be string",
  );
});

test('no user string with a line break gets into an L7 rule, whatever the path', () => {
  const rule = (inner: Record<string, unknown>) => () => decodeBody(BODIES.l7rulePost.type, 'rule_', { rule: { type: 'PATH', compare_type: 'EQUAL_TO', ...inner } });
  assert.match(message(rule({ value: 'a\nb' })), /Value should match the pattern/);
  assert.match(message(rule({ value: 'abc\n' })), /Value should match the pattern/);
  assert.match(
    message(lb({ loadbalancer: { listeners: [{ protocol: 'HTTP', protocol_port: 80, l7policies: [{ action: 'REJECT', rules: [{ type: 'PATH', compare_type: 'EQUAL_TO', value: 'x\ry' }] }] }] } })),
    /Value should match the pattern/,
  );
});

test('the same types produce the OpenAPI schemas', () => {
  const schema = toJsonSchema(BODIES.listenerPost.type) as { properties: { listener: { required: string[]; properties: Record<string, { type: string }> } } };
  assert.deepEqual(schema.properties.listener.required, ['protocol', 'protocol_port', 'loadbalancer_id']);
  assert.equal(schema.properties.listener.properties['protocol_port']!.type, 'integer');
});
