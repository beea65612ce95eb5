import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeHeartbeat } from '../health/heartbeat-codec.js';
import { silentLogger } from '../lib/logger.js';
import { Mutex } from './mutex.js';
import { heartbeatBody, HeartbeatSender, parseController, parseShowStat, type Counters } from './heartbeat.js';

const HEADER = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck\n';
const STAT = (stot: number, bin: number) =>
  HEADER +
  `l1,FRONTEND,,,2,5,50000,${stot},${bin},900,0,0,1,,,,,OPEN,,,\n` +
  `p1:l1,m1,0,0,0,1,,3,100,200,,0,,0,0,0,0,UP,1,1,0\n` +
  `p1:l1,m2,0,0,0,1,,3,100,200,,0,,0,0,0,0,UP,0,1,0\n` +
  `p1:l1,m3,0,0,0,1,,3,100,200,,0,,0,0,0,0,DOWN,1,1,0\n` +
  `p1:l1,BACKEND,0,0,0,1,,3,100,200,0,0,,0,0,0,0,UP,2,2,0\n` +
  `prometheus-exporter,FRONTEND,,,0,0,1,7,7,7,0,0,0,,,,,OPEN,,,\n\n`;

describe('heartbeat sender', () => {
  test('show stat rows become upstream v3 listeners and pools; counters are deltas, reset by a haproxy restart', () => {
    const counters: Counters = {};
    const first = heartbeatBody(parseShowStat(STAT(10, 1000)), counters);
    assert.deepEqual(first.listeners, { l1: { status: 'OPEN', stats: { tx: 900, rx: 1000, conns: 2, totconns: 10, ereq: 1 } } });
    assert.deepEqual(first.pools, { 'p1:l1': { status: 'UP', members: { m1: 'UP', m2: 'DRAIN', m3: 'DOWN' } } });
    const second = heartbeatBody(parseShowStat(STAT(15, 1500)), counters);
    assert.deepEqual(second.listeners['l1']!.stats, { tx: 0, rx: 500, conns: 2, totconns: 5, ereq: 0 });
    const restarted = heartbeatBody(parseShowStat(STAT(2, 40)), counters);
    assert.deepEqual(restarted.listeners['l1']!.stats, { tx: 0, rx: 40, conns: 2, totconns: 2, ereq: 0 });
  });

  test('controller entries', () => {
    assert.deepEqual(parseController('198.18.0.1:5555'), { host: '198.18.0.1', port: 5555 });
    assert.deepEqual(parseController(' [fd00::1]:5555 '), { host: 'fd00::1', port: 5555 });
    assert.equal(parseController('nope'), null);
    assert.equal(parseController('1.2.3.4:99999'), null);
  });

  test('sends signed datagrams round robin; seq and counters survive a restart of the sender', async () => {
    const base = mkdtempSync(join(tmpdir(), 'octavius-hb-'));
    const sockets = [createSocket('udp4'), createSocket('udp4')];
    const got: { to: number; seq: number }[] = [];
    try {
      const ports: number[] = [];
      for (const [i, s] of sockets.entries()) {
        await new Promise<void>((ok) => s.bind(0, '127.0.0.1', ok));
        ports.push(s.address().port);
        s.on('message', (m) => {
          const r = decodeHeartbeat(m, 'k');
          assert.ok(r.ok);
          assert.equal(r.heartbeat.id, 'amp-1');
          assert.equal(r.heartbeat.ver, 3);
          got.push({ to: i, seq: r.heartbeat.seq });
        });
      }
      const amphora = { id: 'amp-1', peerName: 'x', netns: null, basePath: base, certDir: base, haproxyCmd: '', keepalivedCmd: '', maxOpenFiles: 1024, lock: new Mutex() };
      const hm = { controller_ip_port_list: ports.map((p) => `127.0.0.1:${p}`), heartbeat_interval: 10, heartbeat_key: 'k' as string | null };
      const make = () => new HeartbeatSender({ amphora, config: () => hm, runningLoadBalancers: () => [], log: silentLogger() });
      const s1 = make();
      assert.equal(await s1.beat(), true);
      assert.equal(await s1.beat(), true);
      await s1.stop();
      const s2 = make();
      assert.equal(await s2.beat(), true);
      hm.heartbeat_key = null;
      assert.equal(await s2.beat(), false, 'no key: nothing sent');
      await s2.stop();
      const deadline = Date.now() + 2000;
      while (got.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(got.map((g) => g.seq).sort(), [0, 1, 2]);
      assert.deepEqual(new Set(got.map((g) => g.to)), new Set([0, 1]), 'both controllers got heartbeats');
      assert.equal(readFileSync(join(base, 'heartbeat_seq'), 'utf8').trim(), '3');
    } finally {
      for (const s of sockets) s.close();
      rmSync(base, { recursive: true, force: true });
    }
  });
});
