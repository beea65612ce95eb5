/**
 * Listener limits and the life of a load balancer with real traffic through its VIP:
 * connection_limit and allowed_cidrs as a client meets them, configuration changes (each one an
 * HAProxy reload) under a steady stream of requests that must lose none, deleting a listener
 * (its port stops answering, the others do not) and deleting the load balancer (namespace, veths,
 * processes and runtime files gone).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { request, type Agent } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { rootSkipReason, startDataPlane, type DataPlane, type HttpMember } from '../support/dataplane.js';
import { addClientAddress, amphoraFiles, haproxyCli, keepAliveAgent, processAlive, tally, until } from './traffic.js';

const PORT = { limited: 80, guarded: 81, steady: 82, extra: 83 } as const;

describe('limits and lifecycle', { skip: rootSkipReason() }, () => {
  let dp: DataPlane;
  let vip: string;
  let lbId: string;
  const m: Record<string, HttpMember> = {};

  before(async () => {
    dp = await startDataPlane();
    const g = dp.vip4.gateway;
    const specs: [string, number, { hold?: boolean }][] = [
      ['slow', 20801, { hold: true }],
      ['guard', 20811, {}],
      ['s1', 20821, {}],
      ['s2', 20822, {}],
      ['s3', 20823, {}],
      ['s4', 20824, { hold: true }],
    ];
    for (const [name, port, o] of specs) m[name] = await dp.httpMember(name, g, port, o);
    const member = (name: string) => ({ name, address: g, protocol_port: m[name]!.port, subnet_id: dp.vip4.id });
    const pool = (name: string, members: string[]) => ({ name, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: members.map(member) });
    const lb = await dp.createLoadBalancer({
      name: 'limits-and-lifecycle',
      listeners: [
        { name: 'limited', protocol: 'HTTP', protocol_port: PORT.limited, connection_limit: 2, default_pool: pool('limited', ['slow']) },
        { name: 'guarded', protocol: 'HTTP', protocol_port: PORT.guarded, allowed_cidrs: [`${g}/32`], default_pool: pool('guarded', ['guard']) },
        { name: 'steady', protocol: 'HTTP', protocol_port: PORT.steady, default_pool: pool('steady', ['s1', 's2']) },
      ],
    });
    vip = lb.vip;
    lbId = lb.id;
  });

  after(async () => {
    m.slow?.release();
    m.s4?.release();
    await dp?.close();
    if (dp) assert.deepEqual(dp.leftovers(), []);
  });

  const api = async (method: string, path: string, body?: unknown, expected = method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200) => {
    const res = await dp.api.request(method, path, { project: 'e2e', ...(body ? { body } : {}) });
    assert.equal(res.status, expected, `${method} ${path}: ${res.text}`);
    return res.body;
  };
  /** A change to a child of the load balancer, then wait until it is applied (ACTIVE again). */
  const change = async (method: string, path: string, body?: unknown) => {
    const out = await api(method, path, body);
    await dp.waitActive(lbId);
    return out;
  };
  const byName = async (kind: 'listeners' | 'pools', name: string): Promise<string> => {
    const list = await api('GET', `/v2/lbaas/${kind}?loadbalancer_id=${lbId}&name=${name}`);
    const found = list[kind][0];
    assert.ok(found, `${kind} ${name}`);
    return found.id as string;
  };
  const memberOf = async (port: number, localAddress?: string) => {
    const r = await dp.http(`http://${vip}:${port}/`, localAddress ? { localAddress } : {});
    assert.equal(r.status, 200, r.text);
    return r.json.member as string;
  };

  test('connection_limit 2: a third concurrent connection is served only after a held one ends', async () => {
    const slow = m.slow!;
    const held = [1, 2].map(() => dp.http(`http://${vip}:${PORT.limited}/hold`, { timeoutMs: 20_000 }));
    await until('two requests held at the member', 5000, () => (slow.holding() === 2 ? true : undefined));
    let third: 'waiting' | 'answered' | Error = 'waiting';
    const thirdReply = dp.http(`http://${vip}:${PORT.limited}/third`, { timeoutMs: 20_000 }).then(
      (r) => ((third = 'answered'), r),
      (err: Error) => {
        third = err;
        throw err;
      },
    );
    try {
      // A negative needs a window: HAProxy stops accepting at the limit, the connection waits in the
      // kernel's backlog, so nothing happens — neither an answer nor a refusal, nor a request at the member.
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(third, 'waiting');
      assert.equal(slow.served(), 2, 'the member saw a third request while two were held');
    } finally {
      slow.release();
      await Promise.allSettled([...held, thirdReply]);
    }
    for (const r of await Promise.all(held)) assert.equal(r.status, 200);
    const reply = await thirdReply;
    assert.equal(reply.status, 200);
    assert.equal(reply.json.path, '/third');
    assert.equal(slow.served(), 3);
  });

  test('allowed_cidrs: only the allowed client address gets through; an update lets the other in', async () => {
    const other = addClientAddress(dp, 7);
    const served = m.guard!.served();
    assert.equal(await memberOf(PORT.guarded), 'guard');
    await assert.rejects(dp.http(`http://${vip}:${PORT.guarded}/`, { localAddress: other, timeoutMs: 3000 }), /ECONNRESET|socket hang up/);
    assert.equal(m.guard!.served(), served + 1, 'the refused client reached the member');
    // Another listener of the same load balancer is not restricted.
    assert.ok(['s1', 's2'].includes(await memberOf(PORT.steady, other)));

    await change('PUT', `/v2/lbaas/listeners/${await byName('listeners', 'guarded')}`, { listener: { allowed_cidrs: [`${dp.vip4.gateway}/32`, `${other}/32`] } });
    assert.equal(await memberOf(PORT.guarded, other), 'guard');
  });

  test('reloads under load: eleven configuration changes (seven of them reloads) while clients keep sending, no request fails', async () => {
    const g = dp.vip4.gateway;
    const files = await amphoraFiles(dp, lbId);
    const reloads = async () => {
      const out = await haproxyCli(files.masterSocket, 'show proc');
      const master = out.split('\n').find((l) => /\bmaster\b/.test(l));
      const count = Number(master?.trim().split(/\s+/)[2]);
      assert.ok(Number.isInteger(count), `no reload count in: ${out}`);
      return count;
    };
    const reloadsBefore = await reloads();

    // The stream: keep-alive clients (one connection each, reused until HAProxy closes it) and
    // clients opening a new connection per request, all on the `steady` listener.
    let running = true;
    let ok = 0;
    const failures: string[] = [];
    const connections = new Set<unknown>();
    const keepAlive = async (agent: Agent, n: number) => {
      while (running) {
        try {
          const status = await new Promise<number>((done, fail) => {
            const req = request(`http://${vip}:${PORT.steady}/ka${n}`, { agent, timeout: 5000 }, (res) => {
              res.resume();
              res.on('end', () => done(res.statusCode ?? 0));
              res.on('error', fail);
            });
            req.on('socket', (s) => connections.add(s));
            req.on('timeout', () => req.destroy(new Error('timeout')));
            req.on('error', fail);
            req.end();
          });
          if (status === 200) ok++;
          else failures.push(`keep-alive ${n}: status ${status}`);
        } catch (err) {
          failures.push(`keep-alive ${n}: ${String(err)}`);
        }
      }
    };
    const fresh = async (n: number) => {
      while (running) {
        try {
          const r = await dp.http(`http://${vip}:${PORT.steady}/new${n}`);
          if (r.status === 200) ok++;
          else failures.push(`new connection ${n}: status ${r.status} ${r.text.slice(0, 200)}`);
        } catch (err) {
          failures.push(`new connection ${n}: ${String(err)}`);
        }
      }
    };
    const agents = [1, 2, 3].map(() => keepAliveAgent());
    const streams = [...agents.map((a, i) => keepAlive(a, i)), fresh(1), fresh(2)];
    const memberRequests = () => m.s1!.served() + m.s2!.served() + m.s3!.served();

    const steadyPool = await byName('pools', 'steady');
    const steadyListener = await byName('listeners', 'steady');
    const progress: number[] = [];
    const configs = new Set<string>([readFileSync(files.haproxyConfig, 'utf8')]);
    const step = async (fn: () => Promise<unknown>) => {
      const before = ok;
      await fn();
      configs.add(readFileSync(files.haproxyConfig, 'utf8'));
      // Let the stream go on a little after each reload, on the new processes.
      await until('requests after the change', 5000, () => (ok > before + 20 ? true : undefined), 10);
      progress.push(ok - before);
    };
    try {
      await until('the stream is flowing', 5000, () => (ok > 20 ? true : undefined), 10);
      const served = memberRequests();
      let extra = '';
      let s3 = '';
      await step(async () => {
        extra = (await change('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, name: 'extra', protocol: 'HTTP', protocol_port: PORT.extra } })).listener.id;
      });
      let extraPool = '';
      await step(async () => {
        extraPool = (await change('POST', '/v2/lbaas/pools', { pool: { listener_id: extra, name: 'extra', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).pool.id;
      });
      await step(() => change('POST', `/v2/lbaas/pools/${extraPool}/members`, { member: { address: g, protocol_port: m.s3!.port, subnet_id: dp.vip4.id } }));
      await step(() => change('PUT', `/v2/lbaas/pools/${steadyPool}`, { pool: { lb_algorithm: 'LEAST_CONNECTIONS' } }));
      await step(async () => {
        s3 = (await change('POST', `/v2/lbaas/pools/${steadyPool}/members`, { member: { name: 's3', address: g, protocol_port: m.s3!.port, subnet_id: dp.vip4.id } })).member.id;
      });
      await step(() => change('PUT', `/v2/lbaas/pools/${steadyPool}/members/${s3}`, { member: { weight: 5 } }));
      await step(() => change('PUT', `/v2/lbaas/listeners/${steadyListener}`, { listener: { timeout_client_data: 40_000 } }));
      assert.ok(m.s3!.served() > 0, 'the added member took part in the stream');
      await step(() => change('DELETE', `/v2/lbaas/pools/${steadyPool}/members/${s3}`));
      const s3Served = m.s3!.served();
      await step(() => change('PUT', `/v2/lbaas/pools/${steadyPool}`, { pool: { lb_algorithm: 'ROUND_ROBIN' } }));
      assert.equal(m.s3!.served(), s3Served, 'the deleted member still got requests');
      await step(() => change('DELETE', `/v2/lbaas/pools/${extraPool}`));
      await step(() => change('DELETE', `/v2/lbaas/listeners/${extra}`));
      assert.ok(memberRequests() > served, 'the members saw the stream');
    } finally {
      running = false;
      await Promise.all(streams);
      for (const a of agents) a.destroy();
    }
    assert.deepEqual(failures, [], `${failures.length} of ${ok + failures.length} requests failed`);
    assert.equal(progress.length, 11);
    // Every change was a new configuration. Member changes may go through the runtime API instead
    // of a reload (the agent's choice); the seven others are reloads of HAProxy while the stream ran.
    assert.equal(configs.size, 12, 'each change rendered a different haproxy.cfg');
    assert.ok((await reloads()) - reloadsBefore >= 7, `reloads: ${reloadsBefore} -> ${await reloads()}`);
    // The keep-alive clients really kept their connections between requests.
    assert.ok(connections.size < ok / 4, `${connections.size} connections for ${ok} requests`);
    assert.deepEqual(Object.keys(tally(await Promise.all([1, 2, 3, 4].map(() => memberOf(PORT.steady))))), ['s1', 's2']);
  });

  test('deleting a member lets a request in flight at it finish there (a POST is not cut and replayed elsewhere)', async () => {
    const pool = await byName('pools', 'steady');
    const s4 = (await change('POST', `/v2/lbaas/pools/${pool}/members`, { member: { name: 's4', address: dp.vip4.gateway, protocol_port: m.s4!.port, subnet_id: dp.vip4.id } })).member.id;
    const served = { s1: m.s1!.served(), s2: m.s2!.served() };
    // Round robin over s1, s2, s4: one of three requests waits at s4; the others are answered.
    const posts = [1, 2, 3].map((i) => dp.http(`http://${vip}:${PORT.steady}/hold/${i}`, { method: 'POST', timeoutMs: 20_000 }));
    try {
      await until('a POST held at s4', 5000, () => (m.s4!.holding() === 1 ? true : undefined));
      await change('DELETE', `/v2/lbaas/pools/${pool}/members/${s4}`);
    } finally {
      m.s4!.release();
      await Promise.allSettled(posts);
    }
    const replies = await Promise.all(posts);
    assert.deepEqual(tally(replies.map((r) => `${r.status} ${r.json?.member}`)), { '200 s1': 1, '200 s2': 1, '200 s4': 1 });
    assert.equal(m.s1!.served() + m.s2!.served(), served.s1 + served.s2 + 2, 'a POST was sent to a second member');
    assert.deepEqual(tally(await Promise.all([1, 2, 3, 4].map(() => memberOf(PORT.steady)))), { s1: 2, s2: 2 });
  });

  test('deleting a listener removes its frontend: its port stops answering, the other listeners keep working', async () => {
    assert.equal(await memberOf(PORT.guarded), 'guard');
    const [guarded, steady] = [await byName('listeners', 'guarded'), await byName('listeners', 'steady')];
    await change('DELETE', `/v2/lbaas/listeners/${guarded}`);
    await assert.rejects(dp.http(`http://${vip}:${PORT.guarded}/`, { timeoutMs: 3000 }), /ECONNREFUSED/);
    assert.deepEqual(tally(await Promise.all([1, 2].map(() => memberOf(PORT.steady)))), { s1: 1, s2: 1 });
    const cfg = readFileSync((await amphoraFiles(dp, lbId)).haproxyConfig, 'utf8');
    assert.ok(!cfg.includes(`frontend ${guarded}`) && cfg.includes(`frontend ${steady}`), cfg);
  });

  test('deleting the load balancer removes its namespace, veths, processes and runtime files', async () => {
    const files = await amphoraFiles(dp, lbId);
    const bridges = new Set(['bv', 'bm', 'mg'].map((b) => `link ${dp.prefix}${b}`));
    const ours = () => dp.leftovers().filter((l) => !bridges.has(l));
    const before = ours();
    assert.ok(before.includes(`netns ${files.computeId}`), `no namespace among ${before.join(', ')}`);
    assert.ok(before.filter((l) => l.startsWith('link ')).length >= 2, `expected a management and a VIP veth: ${before.join(', ')}`);
    const firstLine = (file: string) => Number(readFileSync(file, 'utf8').split('\n')[0]);
    const pids = [firstLine(files.agentPidFile), firstLine(files.haproxyPidFile)];
    for (const pid of pids) assert.ok(pid > 0 && processAlive(pid), `process ${pid} not running before the delete`);
    assert.ok(existsSync(files.runtimeDir));

    await dp.deleteLoadBalancer(lbId);
    assert.deepEqual(ours(), []);
    assert.equal(existsSync(files.runtimeDir), false, `${files.runtimeDir} is still there`);
    await until('agent and HAProxy exit', 5000, () => (pids.every((p) => !processAlive(p)) ? true : undefined));
    await assert.rejects(dp.http(`http://${vip}:${PORT.steady}/`, { timeoutMs: 1000 }));
  });
});
