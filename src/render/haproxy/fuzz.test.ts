/**
 * No user string can start a new config line or add a directive or an argument. For every
 * user-controlled field of a load balancer using every feature, fast-check draws strings full of
 * line breaks, NUL, `#`, quotes, backslashes, `$`, `%`, separators and arbitrary Unicode, renders,
 * and checks, line by line with a model of HAProxy's tokenizer (testdata/haproxy-tokenizer.ts,
 * itself checked against haproxy in escape.test.ts):
 *   - every line tokenizes (no unterminated quote, no stray escape) and only the header is a comment;
 *   - the lines have the same shapes (indentation, directive, number of words) as the render with a
 *     harmless value: exactly the same when nothing was refused, a subset when an object was left
 *     out (with an error problem on it);
 *   - when the value was accepted, it is read back unchanged from the word that carries it;
 *   - no control character appears anywhere in the text or in the crt-list files.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { logFormatText } from './escape.js';
import { renderHaproxyConfig } from './index.js';
import { inputOf, type CaseInput } from './testdata/fixture.js';
import { tokenize } from './testdata/haproxy-tokenizer.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- mutators edit a JSON draft of the case */
type Draft = any;

const BASE: CaseInput = {
  settings: { logTarget: '/dev/log', connectionLogging: true },
  loadBalancer: {
    id: 'lb-1',
    projectId: 'project-1',
    topology: 'ACTIVE_STANDBY',
    additionalVips: [{ subnetId: 'subnet-2', networkId: 'net-1', portId: null, ipAddress: 'fd00:1::100' }],
  },
  amphorae: [
    { id: 'amphora-a', role: 'MASTER', vrrpIp: '198.18.0.2' },
    { id: 'amphora-b', role: 'BACKUP', vrrpIp: '198.18.0.3' },
  ],
  listeners: [
    {
      id: 'listener-tls',
      protocol: 'TERMINATED_HTTPS',
      protocolPort: 443,
      defaultPoolId: 'pool-1',
      defaultTlsContainerRef: 'cert-default',
      sniContainerRefs: ['cert-sni'],
      clientCaTlsContainerRef: 'client-ca',
      clientAuthentication: 'OPTIONAL',
      clientCrlContainerRef: 'client-crl',
      tlsCiphers: 'ECDHE-RSA-AES128-GCM-SHA256',
      tlsVersions: ['TLSv1.2', 'TLSv1.3'],
      alpnProtocols: ['h2', 'http/1.1'],
      allowedCidrs: ['198.18.0.0/15'],
      insertHeaders: { 'X-Forwarded-For': 'true', 'X-Forwarded-Proto': 'true', 'X-SSL-Client-DN': 'true' },
      hstsMaxAge: 100,
    },
    { id: 'listener-tcp', protocol: 'TCP', protocolPort: 81, defaultPoolId: 'pool-tcp' },
  ],
  pools: [
    {
      id: 'pool-1',
      sessionPersistence: { type: 'APP_COOKIE', cookieName: 'sid', persistenceTimeout: null, persistenceGranularity: null },
      tlsEnabled: true,
      tlsContainerRef: 'pool-cert',
      caTlsContainerRef: 'pool-ca',
      crlContainerRef: 'pool-crl',
      tlsCiphers: 'ECDHE-RSA-AES128-GCM-SHA256',
      tlsVersions: ['TLSv1.2'],
      alpnProtocols: ['http/1.1'],
    },
    {
      id: 'pool-2',
      protocol: 'PROXYV2',
      sessionPersistence: { type: 'HTTP_COOKIE', cookieName: null, persistenceTimeout: null, persistenceGranularity: null },
    },
    {
      id: 'pool-tcp',
      protocol: 'TCP',
      lbAlgorithm: 'SOURCE_IP_PORT',
      sessionPersistence: { type: 'SOURCE_IP', cookieName: null, persistenceTimeout: null, persistenceGranularity: null },
    },
  ],
  healthMonitors: [
    { id: 'hm-1', poolId: 'pool-1', type: 'HTTP', httpMethod: 'GET', urlPath: '/health', expectedCodes: '200-202', httpVersion: 1.1, domainName: 'app.example.com' },
    { id: 'hm-tcp', poolId: 'pool-tcp', type: 'PING' },
  ],
  members: [
    { id: 'member-1', poolId: 'pool-1', address: '198.18.1.11', monitorAddress: '198.18.2.11', monitorPort: 8080 },
    { id: 'member-2', poolId: 'pool-1', address: 'fd00:2::12' },
    { id: 'member-3', poolId: 'pool-2', address: '198.18.1.13' },
    { id: 'member-4', poolId: 'pool-tcp', address: '198.18.1.14' },
  ],
  l7policies: [
    { id: 'policy-pool', listenerId: 'listener-tls', position: 1, action: 'REDIRECT_TO_POOL', redirectPoolId: 'pool-2' },
    { id: 'policy-url', listenerId: 'listener-tls', position: 2, action: 'REDIRECT_TO_URL', redirectUrl: 'https://example.com/x', redirectHttpCode: 301 },
    { id: 'policy-prefix', listenerId: 'listener-tls', position: 3, action: 'REDIRECT_PREFIX', redirectPrefix: 'https://example.org' },
    { id: 'policy-reject', listenerId: 'listener-tls', position: 4, action: 'REJECT' },
  ],
  l7rules: [
    { id: 'rule-host', l7policyId: 'policy-pool', type: 'HOST_NAME', compareType: 'EQUAL_TO', value: 'www.example.com' },
    { id: 'rule-path', l7policyId: 'policy-pool', type: 'PATH', compareType: 'REGEX', value: '^/api' },
    { id: 'rule-file', l7policyId: 'policy-url', type: 'FILE_TYPE', compareType: 'EQUAL_TO', value: '.jpg' },
    { id: 'rule-header', l7policyId: 'policy-url', type: 'HEADER', compareType: 'CONTAINS', key: 'X-Key', value: 'abc' },
    { id: 'rule-cookie', l7policyId: 'policy-prefix', type: 'COOKIE', compareType: 'STARTS_WITH', key: 'session', value: 'beta', invert: true },
    { id: 'rule-dn', l7policyId: 'policy-reject', type: 'SSL_DN_FIELD', compareType: 'ENDS_WITH', key: 'OU', value: 'eng' },
    { id: 'rule-verify', l7policyId: 'policy-reject', type: 'SSL_VERIFY_RESULT', compareType: 'EQUAL_TO', value: '0' },
  ],
};

interface Field {
  readonly name: string;
  readonly set: (c: Draft, v: string) => void;
  /** A valid value for the reference render (default: 'harmless'). */
  readonly harmless?: string;
  /** Accepted values may legitimately render fewer lines (a header inserted only for "true"). */
  readonly optional?: boolean;
  /** When the value is accepted, a decoded word that must be present in the text. */
  readonly expect?: (v: string) => string;
}

const find = (list: Draft[], id: string): Draft => list.find((x: Draft) => x.id === id);

const FIELDS: readonly Field[] = [
  { name: 'loadbalancer.id', set: (c, v) => (c.loadBalancer.id = v) },
  { name: 'loadbalancer.project_id', set: (c, v) => (c.loadBalancer.projectId = v) },
  { name: 'vip_address', set: (c, v) => (c.loadBalancer.vip = { address: v }), harmless: '198.18.9.9' },
  { name: 'additional_vips.ip_address', set: (c, v) => (c.loadBalancer.additionalVips[0].ipAddress = v), harmless: '198.18.9.9' },
  { name: 'amphora.id', set: (c, v) => (c.amphorae[1].id = v) },
  { name: 'amphora.vrrp_ip', set: (c, v) => (c.amphorae[1].vrrpIp = v), harmless: '198.18.9.9' },
  {
    name: 'listener.id',
    set: (c, v) => {
      find(c.listeners, 'listener-tls').id = v;
      for (const p of c.l7policies) if (p.listenerId === 'listener-tls') p.listenerId = v;
    },
  },
  { name: 'listener.allowed_cidrs', set: (c, v) => find(c.listeners, 'listener-tls').allowedCidrs.push(v), harmless: '10.0.0.0/8' },
  { name: 'listener.tls_ciphers', set: (c, v) => (find(c.listeners, 'listener-tls').tlsCiphers = v), harmless: 'AES128-SHA', expect: (v) => v },
  { name: 'listener.tls_versions', set: (c, v) => find(c.listeners, 'listener-tls').tlsVersions.push(v), harmless: 'TLSv1.2', optional: true },
  { name: 'listener.alpn_protocols', set: (c, v) => find(c.listeners, 'listener-tls').alpnProtocols.push(v), harmless: 'h2' },
  { name: 'listener.insert_headers key', set: (c, v) => (find(c.listeners, 'listener-tls').insertHeaders[v] = 'true'), harmless: 'X-SSL-Client-CN', optional: true },
  { name: 'listener.insert_headers value', set: (c, v) => (find(c.listeners, 'listener-tls').insertHeaders['X-Forwarded-Port'] = v), harmless: 'true', optional: true },
  { name: 'listener.default_tls_container_ref', set: (c, v) => (find(c.listeners, 'listener-tls').defaultTlsContainerRef = v), optional: true },
  { name: 'listener.sni_container_refs', set: (c, v) => find(c.listeners, 'listener-tls').sniContainerRefs.push(v), optional: true },
  { name: 'listener.client_ca_tls_container_ref', set: (c, v) => (find(c.listeners, 'listener-tls').clientCaTlsContainerRef = v), optional: true },
  { name: 'listener.client_crl_container_ref', set: (c, v) => (find(c.listeners, 'listener-tls').clientCrlContainerRef = v), optional: true },
  {
    name: 'pool.id',
    set: (c, v) => {
      find(c.pools, 'pool-2').id = v;
      find(c.l7policies, 'policy-pool').redirectPoolId = v;
      find(c.members, 'member-3').poolId = v;
    },
    optional: true,
  },
  {
    name: 'pool.session_persistence.cookie_name',
    set: (c, v) => (find(c.pools, 'pool-1').sessionPersistence.cookieName = v),
    expect: (v) => `req.cook(${v})`,
  },
  { name: 'pool.tls_ciphers', set: (c, v) => (find(c.pools, 'pool-1').tlsCiphers = v), harmless: 'AES128-SHA', expect: (v) => v },
  { name: 'pool.tls_versions', set: (c, v) => find(c.pools, 'pool-1').tlsVersions.push(v), harmless: 'TLSv1.2', optional: true },
  { name: 'pool.alpn_protocols', set: (c, v) => find(c.pools, 'pool-1').alpnProtocols.push(v), harmless: 'h2' },
  { name: 'pool.tls_container_ref', set: (c, v) => (find(c.pools, 'pool-1').tlsContainerRef = v), optional: true },
  { name: 'pool.ca_tls_container_ref', set: (c, v) => (find(c.pools, 'pool-1').caTlsContainerRef = v), optional: true },
  { name: 'member.id', set: (c, v) => (find(c.members, 'member-1').id = v) },
  { name: 'member.address', set: (c, v) => (find(c.members, 'member-1').address = v), harmless: '198.18.9.9' },
  { name: 'member.monitor_address', set: (c, v) => (find(c.members, 'member-1').monitorAddress = v), harmless: '198.18.9.9' },
  { name: 'healthmonitor.url_path', set: (c, v) => (find(c.healthMonitors, 'hm-1').urlPath = v), harmless: '/h', expect: (v) => v },
  { name: 'healthmonitor.domain_name', set: (c, v) => (find(c.healthMonitors, 'hm-1').domainName = v), optional: true, expect: (v) => logFormatText(v) },
  { name: 'healthmonitor.expected_codes', set: (c, v) => (find(c.healthMonitors, 'hm-1').expectedCodes = v), harmless: '200' },
  { name: 'healthmonitor.http_method', set: (c, v) => (find(c.healthMonitors, 'hm-1').httpMethod = v), harmless: 'GET' },
  {
    name: 'l7policy.id',
    set: (c, v) => {
      find(c.l7policies, 'policy-url').id = v;
      for (const r of c.l7rules) if (r.l7policyId === 'policy-url') r.l7policyId = v;
    },
  },
  { name: 'l7policy.redirect_url', set: (c, v) => (find(c.l7policies, 'policy-url').redirectUrl = v), expect: (v) => v },
  { name: 'l7policy.redirect_prefix', set: (c, v) => (find(c.l7policies, 'policy-prefix').redirectPrefix = v), expect: (v) => v },
  { name: 'l7policy.redirect_pool_id', set: (c, v) => (find(c.l7policies, 'policy-pool').redirectPoolId = v), harmless: 'pool-2', optional: true },
  { name: 'l7rule.id', set: (c, v) => (find(c.l7rules, 'rule-host').id = v) },
  { name: 'l7rule.value HOST_NAME', set: (c, v) => (find(c.l7rules, 'rule-host').value = v), expect: (v) => v },
  { name: 'l7rule.value PATH REGEX', set: (c, v) => (find(c.l7rules, 'rule-path').value = v), expect: (v) => v },
  { name: 'l7rule.value FILE_TYPE', set: (c, v) => (find(c.l7rules, 'rule-file').value = v), expect: (v) => v },
  { name: 'l7rule.value HEADER', set: (c, v) => (find(c.l7rules, 'rule-header').value = v), expect: (v) => v },
  { name: 'l7rule.key HEADER', set: (c, v) => (find(c.l7rules, 'rule-header').key = v), expect: (v) => `req.hdr(${v})` },
  { name: 'l7rule.value COOKIE', set: (c, v) => (find(c.l7rules, 'rule-cookie').value = v), expect: (v) => v },
  { name: 'l7rule.key COOKIE', set: (c, v) => (find(c.l7rules, 'rule-cookie').key = v), expect: (v) => `req.cook(${v})` },
  { name: 'l7rule.value SSL_DN_FIELD', set: (c, v) => (find(c.l7rules, 'rule-dn').value = v), expect: (v) => v },
  { name: 'l7rule.key SSL_DN_FIELD', set: (c, v) => (find(c.l7rules, 'rule-dn').key = v), expect: (v) => `ssl_c_s_dn(${v})` },
  { name: 'l7rule.value SSL_VERIFY_RESULT', set: (c, v) => (find(c.l7rules, 'rule-verify').value = v), harmless: '0' },
  { name: 'settings.user_log_format', set: (c, v) => (c.settings.userLogFormat = v), optional: true },
  { name: 'settings.log_target', set: (c, v) => (c.settings.logTarget = v), harmless: '/dev/log', optional: true },
  { name: 'settings.haproxy_stick_size', set: (c, v) => (c.settings.stickSize = v) },
  { name: 'settings.base_path', set: (c, v) => (c.settings.basePath = v), harmless: '/h' },
  { name: 'settings.base_cert_dir', set: (c, v) => (c.settings.baseCertDir = v), harmless: '/h' },
];

const NASTY_UNITS = ['\n', '\r', '\0', '\t', '\x0b', '\x1b', '\x7f', '\u0085', '\u2028', '\u2029', '\ud800', '\udc00', '#', "'", '"', '\\', ' ',
  '$', '%', '{', '}', '[', ']', '(', ')', ',', ':', '-', '!', '/', '.', 'a', 'Z', '0', 'é', '日', '😀', '\ufeff'];
const VALID_LOOKING = ['198.18.9.9', 'fd00::9', '10.0.0.0/8', 'fd00::/8', '200', '200-204', '/x', 'http://h/p', 'X-Y', 'TLSv1.2', 'h2',
  'AES128-SHA', 'GET', 'www.example.com', '-i', '--', '-x y', '50%', '%[src]', '$HOME', 'a b', 'a\nbind :1', 'a#b', "a'b", 'a"b', 'a\\'];

const value = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...NASTY_UNITS), minLength: 0, maxLength: 16 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 0, maxLength: 16 }) },
  { weight: 2, arbitrary: fc.constantFrom(...VALID_LOOKING) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...VALID_LOOKING), fc.constantFrom(...NASTY_UNITS)).map(([a, b]) => a + b) },
);


/** Indentation, directive and word count of each line (`--` before an ACL pattern not counted). */
function shapes(text: string): string[] {
  const out: string[] = [];
  for (const [n, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const t = tokenize(line);
    assert.ok(t.ok, `line ${n + 1} does not tokenize (${t.ok ? '' : t.error}): ${JSON.stringify(line)}`);
    if (n === 0) {
      assert.ok(t.comment?.startsWith('# Configuration for loadbalancer '), `first line ${JSON.stringify(line)}`);
      assert.equal(t.words.length, 0);
      continue;
    }
    assert.equal(t.comment, null, `line ${n + 1} has a comment: ${JSON.stringify(line)}`);
    const words = [...t.words];
    if (words[0] === 'acl') {
      // The `--` the emitter writes before a pattern that starts with '-'.
      const i = words.indexOf('--', 3);
      if (i >= 0 && i < words.length - 1) words.splice(i, 1);
    }
    out.push(`${/^ */.exec(line)![0].length}|${words[0]}|${words.length}`);
  }
  return out.sort();
}

/**
 * Every line of `small` matches a different line of `big` with the same indentation and directive
 * and at least as many words: objects (or options) may disappear, nothing may appear.
 */
function isDominated(small: readonly string[], big: readonly string[]): boolean {
  const groups = (xs: readonly string[]): Map<string, number[]> => {
    const m = new Map<string, number[]>();
    for (const x of xs) {
      const i = x.lastIndexOf('|');
      const k = x.slice(0, i);
      m.set(k, [...(m.get(k) ?? []), Number(x.slice(i + 1))]);
    }
    for (const v of m.values()) v.sort((a, b) => b - a);
    return m;
  };
  const g = groups(big);
  for (const [k, counts] of groups(small)) {
    const available = g.get(k) ?? [];
    if (counts.length > available.length) return false;
    if (counts.some((n, i) => n > available[i]!)) return false;
  }
  return true;
}

// Anything a config line must never contain besides its own end.
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]/;

function render(field: Field, v: string) {
  const draft: Draft = structuredClone(BASE);
  field.set(draft, v);
  return renderHaproxyConfig(inputOf(draft as CaseInput));
}

describe('no user string can start a line or add a directive', () => {
  const baseShapes = new Map<string, string[]>();
  for (const field of FIELDS) {
    test(field.name, () => {
      const base = render(field, field.harmless ?? 'harmless');
      assert.deepEqual(base.problems.filter((p) => p.severity === 'error'), [], 'the harmless value is refused');
      if (!baseShapes.has(field.name)) baseShapes.set(field.name, shapes(base.text));
      const expected = baseShapes.get(field.name)!;
      fc.assert(
        fc.property(value, (v) => {
          const r = render(field, v);
          assert.doesNotMatch(r.text, CONTROL);
          for (const f of r.tlsFiles) if (f.content.kind === 'crt-list') assert.doesNotMatch(f.content.text, CONTROL);
          const got = shapes(r.text);
          const refused = r.problems.some((p) => p.severity === 'error');
          if (refused || field.optional) {
            assert.ok(isDominated(got, expected), `lines or words appeared that the harmless render does not have:\n${r.text}`);
          }
          if (!refused && r.text !== '') {
            if (!field.optional) assert.deepEqual(got, expected, `accepted value changed the structure:\n${r.text}`);
            if (field.expect && v !== '') {
              const want = field.expect(v);
              const decoded = r.text.split('\n').flatMap((l) => {
                const t = tokenize(l);
                return t.ok ? t.words : [];
              });
              assert.ok(decoded.includes(want) || decoded.some((w) => w.includes(want)), `value ${JSON.stringify(v)} not read back`);
            }
          }
        }),
        { numRuns: 250 },
      );
    });
  }

  test('the harmless render itself uses every feature and loads', () => {
    const r = renderHaproxyConfig(inputOf(BASE));
    assert.deepEqual(r.problems, []);
    for (const needle of ['acl rule-dn ssl_c_s_dn(OU)', 'stick-table type string', 'balance hash', 'send-proxy-v2-ssl-cn', 'external-check command',
      'http-check send hdr Host', 'crt-list', 'peers lb1_peers', 'log-format ', 'acl allowed_cidrs src']) {
      assert.ok(r.text.includes(needle), needle);
    }
  });
});
