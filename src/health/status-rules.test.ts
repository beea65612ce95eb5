import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Heartbeat } from './heartbeat-codec.js';
import { ReplayGuard } from './replay-guard.js';
import { applyToView, heartbeatEffects, type HealthView } from './status-rules.js';

function view(over: { enabled?: boolean; prov?: string; listenerEnabled?: boolean; memberStatus?: string } = {}): HealthView {
  return {
    amphoraId: 'amp',
    loadBalancer: {
      id: 'lb',
      enabled: over.enabled ?? true,
      provisioningStatus: over.prov ?? 'ACTIVE',
      operatingStatus: 'OFFLINE',
      listeners: new Map([['l1', { operatingStatus: 'OFFLINE', enabled: over.listenerEnabled ?? true }]]),
      pools: new Map([['p1', { operatingStatus: 'OFFLINE', members: new Map([['m1', over.memberStatus ?? 'OFFLINE'], ['m2', 'OFFLINE']]) }]]),
    },
  };
}

const stats = { tx: 10, rx: 20, conns: 1, totconns: 3, ereq: 0 };
function hb(listener: string | null, pool: string | null, members: Record<string, string>, extra: Partial<Heartbeat> = {}): Heartbeat {
  return {
    id: 'amp',
    seq: 1,
    ver: 3,
    listeners: listener ? { l1: { status: listener, stats } } : {},
    pools: pool ? { 'p1:l1': { status: pool, members } } : {},
    ...extra,
  };
}
const timing = { processingDelayMs: 0, heartbeatIntervalMs: 10_000 };
const statuses = (v: HealthView, h: Heartbeat) => Object.fromEntries(heartbeatEffects(v, h, timing).changes.map((c) => [`${c.object}:${c.id}`, c.to]));

describe('heartbeat status rules (upstream UpdateHealthDb)', () => {
  test('everything up: all ONLINE, health refreshed, deltas for the own listener only', () => {
    const e = heartbeatEffects(view(), { ...hb('OPEN', 'UP', { m1: 'UP', m2: 'UP 1/3' }), listeners: { l1: { status: 'OPEN', stats }, foreign: { status: 'OPEN', stats } } }, timing);
    // Two listeners reported, one expected: no health refresh (upstream's listener count rule).
    assert.equal(e.refreshHealth, false);
    assert.match(e.healthSkipped!, /reports 2 listeners when 1 expected/);
    assert.deepEqual(statuses(view(), hb('OPEN', 'UP', { m1: 'UP', m2: 'UP 1/3' })), {
      'listener:l1': 'ONLINE',
      'member:m1': 'ONLINE',
      'member:m2': 'ONLINE',
      'pool:p1': 'ONLINE',
      'loadBalancer:lb': 'ONLINE',
    });
    assert.deepEqual(e.stats.map((s) => s.listenerId), ['l1']);
    assert.equal(e.stats[0]!.delta, true);
    assert.equal(heartbeatEffects(view(), hb('OPEN', 'UP', {}), timing).refreshHealth, true);
  });

  test('a DOWN member: member ERROR, pool and LB DEGRADED; a DOWN pool: pool and LB ERROR', () => {
    assert.deepEqual(statuses(view(), hb('OPEN', 'UP', { m1: 'DOWN', m2: 'UP' })), {
      'listener:l1': 'ONLINE',
      'member:m1': 'ERROR',
      'member:m2': 'ONLINE',
      'pool:p1': 'DEGRADED',
      'loadBalancer:lb': 'DEGRADED',
    });
    const down = statuses(view(), hb('OPEN', 'DOWN', { m1: 'DOWN 1/2', m2: 'DOWN' }));
    assert.equal(down['pool:p1'], 'ERROR');
    assert.equal(down['loadBalancer:lb'], 'ERROR');
    assert.equal(down['member:m1'], 'ERROR');
  });

  test('member status words: DRAIN, MAINT, no check, RESTARTING, missing', () => {
    const s = statuses(view({ memberStatus: 'ONLINE' }), hb('OPEN', 'UP', { m1: 'RESTARTING', m2: 'DRAIN' }));
    assert.equal(s['member:m1'], undefined, 'RESTARTING keeps the status');
    assert.equal(s['member:m2'], 'DRAINING');
    assert.equal(statuses(view(), hb('OPEN', 'UP', { m1: 'MAINT', m2: 'no check' }))['member:m2'], 'NO_MONITOR');
    assert.equal(statuses(view({ memberStatus: 'ONLINE' }), hb('OPEN', 'UP', { m1: 'MAINT' }))['member:m1'], 'OFFLINE');
    // Not reported: OFFLINE, unless NO_MONITOR.
    assert.equal(statuses(view({ memberStatus: 'ONLINE' }), hb('OPEN', 'UP', {}))['member:m1'], 'OFFLINE');
    assert.equal(statuses(view({ memberStatus: 'NO_MONITOR' }), hb('OPEN', 'UP', {}))['member:m1'], undefined);
  });

  test('listeners: FULL is DEGRADED; missing is ERROR when enabled on an ACTIVE LB, else OFFLINE; pools not reported OFFLINE', () => {
    const full = statuses(view(), hb('FULL', 'UP', {}));
    assert.equal(full['listener:l1'], 'DEGRADED');
    assert.equal(full['loadBalancer:lb'], 'DEGRADED');
    const missing = heartbeatEffects(view(), hb(null, null, {}), timing);
    assert.equal(missing.changes.find((c) => c.id === 'l1')?.to, 'ERROR');
    assert.equal(missing.refreshHealth, false);
    const pv = view({ prov: 'PENDING_UPDATE' });
    pv.loadBalancer!.listeners.get('l1')!.operatingStatus = 'ONLINE';
    const pending = heartbeatEffects(pv, hb(null, null, {}), timing);
    assert.equal(pending.changes.find((c) => c.id === 'l1')?.to, 'OFFLINE');
    assert.equal(pending.refreshHealth, true, 'listener count ignored while PENDING_*');
    // Pool not reported: OFFLINE (already OFFLINE: no change); the LB ends ONLINE regardless.
    assert.equal(statuses(view(), hb('OPEN', null, {}))['pool:p1'], undefined);
    assert.equal(statuses(view({ enabled: false }), hb('OPEN', 'UP', {}))['loadBalancer:lb'], undefined, 'disabled LB stays OFFLINE');
  });

  test('only changes are reported; applyToView makes the next heartbeat a no-op', () => {
    const v = view();
    const h = hb('OPEN', 'UP', { m1: 'UP', m2: 'DOWN' });
    applyToView(v, heartbeatEffects(v, h, timing).changes);
    assert.deepEqual(heartbeatEffects(v, h, timing).changes, []);
  });

  test('slow processing skips the health refresh only; an amphora without LB refreshes health when it reports nothing', () => {
    const slow = heartbeatEffects(view(), hb('OPEN', 'UP', {}), { processingDelayMs: 10_000, heartbeatIntervalMs: 10_000 });
    assert.equal(slow.refreshHealth, false);
    assert.ok(slow.changes.length > 0);
    const spare = heartbeatEffects({ amphoraId: 'amp', loadBalancer: null }, hb(null, null, {}), timing);
    assert.deepEqual([spare.refreshHealth, spare.changes.length, spare.stats.length], [true, 0, 0]);
  });

  test('version 2 counters replace, version 3 add', () => {
    assert.equal(heartbeatEffects(view(), hb('OPEN', 'UP', {}, { ver: 2 }), timing).stats[0]!.delta, false);
  });
});

describe('replay guard', () => {
  test('seq must grow; a restarted sender is accepted after the window; state is per amphora', () => {
    let now = 0;
    const g = new ReplayGuard({ restartWindowMs: 1000, clock: { now: () => now } });
    assert.equal(g.check('a', 5), 'accepted');
    assert.equal(g.check('a', 5), 'replay');
    assert.equal(g.check('a', 4), 'replay');
    assert.equal(g.check('b', 0), 'accepted');
    now = 500;
    assert.equal(g.check('a', 6), 'accepted');
    now = 1400;
    assert.equal(g.check('a', 0), 'replay', 'within the window since the last accepted message');
    now = 1500;
    assert.equal(g.check('a', 0), 'restarted');
    assert.equal(g.check('a', 0), 'replay');
    assert.equal(g.check('a', 1), 'accepted');
    g.prune(100);
    assert.equal(g.size, 1);
  });
});
