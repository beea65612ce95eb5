import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { capGlobalMaxconn, listenersOf, maxconnFor, serverOnlyChanges, serverStateFileOf, statsSocketOf, stripGroupLines } from './haproxy-config.js';

const base = (servers: string, extra = '') => `global
    maxconn 50000
    stats socket /b/lb1.sock mode 0666 level user
    server-state-file /b/lb1/servers-state
    group haproxy

defaults
    mode http
    timeout client 30s
${extra}
frontend l1
    bind 198.18.201.10:80
    mode http
    default_backend p1:l1

frontend l2
    bind 198.18.201.10:443 ssl crt-list /c/lb1/l2.pem
    mode http
    default_backend p1:l1

backend p1:l1
    mode http
    balance roundrobin
${servers}
`;

describe('haproxy configuration as the agent reads it', () => {
  test('maxconn of the global section is capped to (open files - 100) / 2, frontends are left alone', () => {
    assert.equal(maxconnFor(20000), 9950);
    const text = `${base('    server m1 198.18.201.1:8081 weight 1')}\nfrontend x\n    maxconn 50000\n`;
    const r = capGlobalMaxconn(text, 9950);
    assert.equal(r.cappedFrom, 50000);
    assert.match(r.text, /^global\n {4}maxconn 9950$/m);
    assert.match(r.text, /frontend x\n {4}maxconn 50000/);
    assert.equal(capGlobalMaxconn(r.text, 9950).cappedFrom, null);
  });

  test('group statements are stripped, other lines mentioning group are kept', () => {
    const out = stripGroupLines(`${base('')}\n    http-request set-header X-group group\n`);
    assert.doesNotMatch(out, /^\s*group haproxy/m);
    assert.match(out, /X-group group/);
  });

  test('listeners, stats socket and server-state file come from the text', () => {
    const text = base('    server m1 198.18.201.1:8081');
    assert.deepEqual(listenersOf(text), [
      { id: 'l1', type: 'HTTP' },
      { id: 'l2', type: 'TERMINATED_HTTPS' },
    ]);
    assert.equal(statsSocketOf(text), '/b/lb1.sock');
    assert.equal(serverStateFileOf(text), '/b/lb1/servers-state');
  });

  test('server additions, removals, weight and admin state changes are runtime changes', () => {
    const before = base('    server m1 198.18.201.1:8081 weight 1 check inter 5s\n    server m2 198.18.201.1:8082 weight 1');
    const after = base('    server m1 198.18.201.1:8081 weight 7 check inter 5s disabled\n    server m3 198.18.201.1:8083 weight 2 check');
    assert.deepEqual(
      serverOnlyChanges(before, after)?.map((c) => `${c.kind} ${c.backend}/${c.server.name}`),
      ['remove p1:l1/m2', 'update p1:l1/m1', 'add p1:l1/m3'],
    );
    // A server whose address or check settings change is replaced.
    const moved = base('    server m1 198.18.201.1:9999 weight 1 check inter 5s\n    server m2 198.18.201.1:8082 weight 1');
    assert.deepEqual(
      serverOnlyChanges(before, moved)?.map((c) => c.kind),
      ['remove', 'add'],
    );
    assert.deepEqual(serverOnlyChanges(before, before), []);
    // Blank lines and indentation do not count.
    assert.deepEqual(serverOnlyChanges(before, before.replace(/\n\n/g, '\n').replace(/ {4}/g, '\t')), []);
  });

  test('anything else, or what add server cannot do, needs a reload', () => {
    const before = base('    server m1 198.18.201.1:8081 weight 1');
    assert.equal(serverOnlyChanges(before, before.replace('timeout client 30s', 'timeout client 31s')), null);
    assert.equal(serverOnlyChanges(before, before.replace('balance roundrobin', 'balance leastconn')), null);
    assert.equal(serverOnlyChanges(before, `${before}\nbackend p2:l1\n    server m9 198.18.201.1:9 weight 1\n`), null);
    const withCookie = before.replace('weight 1', 'weight 1\n    server m2 198.18.201.1:8082 weight 1 cookie m2');
    assert.equal(serverOnlyChanges(before, withCookie), null, 'cookie is refused for dynamic servers');
    const staticAlgo = (t: string) => t.replace('balance roundrobin', 'balance source');
    assert.equal(serverOnlyChanges(staticAlgo(before), staticAlgo(withCookie.replace(' cookie m2', ''))), null);
    const defaults = (t: string) => base(t, '    default-server inter 2s');
    assert.equal(serverOnlyChanges(defaults('    server m1 198.18.201.1:8081'), defaults('    server m1 198.18.201.1:8081\n    server m2 198.18.201.1:8082')), null);
    // Removing or reweighting is fine even with default-server lines.
    assert.equal(serverOnlyChanges(defaults('    server m1 198.18.201.1:8081\n    server m2 198.18.201.1:8082'), defaults('    server m1 198.18.201.1:8081'))?.length, 1);
  });
});
