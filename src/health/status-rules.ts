/**
 * What one verified heartbeat means for the database (spec §3.5, §8.2; upstream's
 * `UpdateHealthDb._update_health` and `update_stats`): whether the amphora's health timestamp is
 * refreshed, which operating statuses change, which listener counters grow. Pure: the caller
 * loads the amphora's flat view, applies the result and keeps the view current.
 */
import type { OperatingStatus } from '../domain/status.js';
import type { Heartbeat } from './heartbeat-codec.js';

/** The amphora's load balancer as the health update needs it (upstream's `get_lb_for_health_update`). */
export interface HealthView {
  readonly amphoraId: string;
  /** null: the amphora exists (not DELETED) but serves no load balancer, e.g. a spare. */
  readonly loadBalancer: {
    readonly id: string;
    readonly enabled: boolean;
    readonly provisioningStatus: string;
    operatingStatus: string;
    readonly listeners: Map<string, { operatingStatus: string; readonly enabled: boolean }>;
    readonly pools: Map<string, { operatingStatus: string; readonly members: Map<string, string> }>;
  } | null;
}

export type StatusObject = 'loadBalancer' | 'listener' | 'pool' | 'member';

export interface StatusChange {
  readonly object: StatusObject;
  readonly id: string;
  readonly from: string;
  readonly to: OperatingStatus;
}

/** Counters to add to (or, before version 3, to replace in) `listener_statistics`. */
export interface StatsUpdate {
  readonly listenerId: string;
  readonly amphoraId: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Always replaced: it is a current value, not a counter. */
  readonly activeConnections: number;
  readonly totalConnections: number;
  readonly requestErrors: number;
  /** Version 3 sends deltas (add); older versions absolute values (replace). */
  readonly delta: boolean;
}

export interface HeartbeatEffects {
  /** Upsert `amphora_health.last_update` (new rows not busy; `busy` of existing rows untouched). */
  readonly refreshHealth: boolean;
  /** Why the health timestamp is not refreshed (for the log), when it is not. */
  readonly healthSkipped: string | null;
  /** Only real changes, the load balancer last. */
  readonly changes: readonly StatusChange[];
  readonly stats: readonly StatsUpdate[];
  /** Statuses reported that the rules do not know (logged as upstream does). */
  readonly unknownStatuses: readonly string[];
}

/**
 * The effects of `hb` on `view`. `processingDelayMs` (now - receive time) at or above
 * `heartbeatIntervalMs` means this process is too far behind: the health timestamp is not
 * refreshed (upstream's "processed too slowly" rule), statuses and stats still are.
 */
export function heartbeatEffects(view: HealthView, hb: Heartbeat, timing: { processingDelayMs: number; heartbeatIntervalMs: number }): HeartbeatEffects {
  const lb = view.loadBalancer;
  const reported = Object.keys(hb.listeners).length;
  let healthSkipped: string | null = null;
  const expected = lb === null ? 0 : [...lb.listeners.values()].filter((l) => l.enabled).length;
  const ignoreCount = lb !== null && (lb.provisioningStatus.startsWith('PENDING') || !lb.enabled);
  if (!ignoreCount && reported !== expected) healthSkipped = `reports ${reported} listeners when ${expected} expected`;
  else if (timing.processingDelayMs >= timing.heartbeatIntervalMs) healthSkipped = `processed too slowly (${timing.processingDelayMs} ms)`;
  if (lb === null) return { refreshHealth: healthSkipped === null, healthSkipped, changes: [], stats: [], unknownStatuses: [] };

  const changes: StatusChange[] = [];
  const unknownStatuses: string[] = [];
  const change = (object: StatusObject, id: string, from: string, to: OperatingStatus | null) => {
    if (to !== null && to !== from) changes.push({ object, id, from, to });
  };

  // A heartbeat arrived: the load balancer is healthy until proven otherwise.
  let lbStatus: OperatingStatus = lb.enabled ? 'ONLINE' : 'OFFLINE';
  for (const [listenerId, l] of lb.listeners) {
    const r = hb.listeners[listenerId];
    let status: OperatingStatus | null = null;
    if (r === undefined) status = l.enabled && lb.provisioningStatus === 'ACTIVE' ? 'ERROR' : 'OFFLINE';
    else if (r.status === 'OPEN') status = 'ONLINE';
    else if (r.status === 'FULL') {
      status = 'DEGRADED';
      if (lbStatus === 'ONLINE') lbStatus = 'DEGRADED';
    } else unknownStatuses.push(`listener ${listenerId}: ${r.status}`);
    change('listener', listenerId, l.operatingStatus, status);
  }

  // Backends are `<pool_id>:<listener_id>`; a pool behind several listeners is reported once per
  // listener and, as upstream's dict comprehension does, the last report wins.
  const pools = new Map<string, Heartbeat['pools'][string]>();
  for (const [key, p] of Object.entries(hb.pools)) {
    const colon = key.lastIndexOf(':');
    pools.set(colon < 0 ? key : key.slice(0, colon), p);
  }
  for (const [poolId, dbPool] of lb.pools) {
    const r = pools.get(poolId);
    if (r === undefined) {
      change('pool', poolId, dbPool.operatingStatus, 'OFFLINE');
      continue;
    }
    let poolStatus: OperatingStatus | null = null;
    if (r.status === 'UP') poolStatus = 'ONLINE';
    else if (r.status === 'DOWN') {
      poolStatus = 'ERROR';
      lbStatus = 'ERROR';
    } else unknownStatuses.push(`pool ${poolId}: ${r.status}`);
    for (const [memberId, memberDb] of dbPool.members) {
      const s = r.members[memberId];
      let memberStatus: OperatingStatus | null = null;
      if (s === undefined) memberStatus = memberDb === 'NO_MONITOR' ? null : 'OFFLINE';
      else if (s.startsWith('UP')) memberStatus = 'ONLINE';
      else if (s.startsWith('DOWN')) {
        memberStatus = 'ERROR';
        if (poolStatus === 'ONLINE') {
          poolStatus = 'DEGRADED';
          if (lbStatus === 'ONLINE') lbStatus = 'DEGRADED';
        }
      } else if (s === 'DRAIN') memberStatus = 'DRAINING';
      else if (s === 'MAINT') memberStatus = 'OFFLINE';
      else if (s === 'no check') memberStatus = 'NO_MONITOR';
      // RESTARTING (keepalived's checker has not run yet): keep what we have.
      else if (s !== 'RESTARTING') unknownStatuses.push(`member ${memberId}: ${s}`);
      change('member', memberId, memberDb, memberStatus);
    }
    change('pool', poolId, dbPool.operatingStatus, poolStatus);
  }
  change('loadBalancer', lb.id, lb.operatingStatus, lbStatus);

  const stats: StatsUpdate[] = [];
  for (const [listenerId, r] of Object.entries(hb.listeners)) {
    // Counters only for this amphora's own listeners: a message cannot touch another project's.
    if (!lb.listeners.has(listenerId)) continue;
    stats.push({
      listenerId,
      amphoraId: view.amphoraId,
      bytesIn: r.stats.rx,
      bytesOut: r.stats.tx,
      activeConnections: r.stats.conns,
      totalConnections: r.stats.totconns,
      requestErrors: r.stats.ereq,
      delta: hb.ver >= 3,
    });
  }
  return { refreshHealth: healthSkipped === null, healthSkipped, changes, stats, unknownStatuses };
}

/** Applies changes to the view, so that the next heartbeat of the same load balancer compares with them. */
export function applyToView(view: HealthView, changes: readonly StatusChange[]): void {
  const lb = view.loadBalancer;
  if (lb === null) return;
  for (const c of changes) {
    if (c.object === 'loadBalancer') lb.operatingStatus = c.to;
    else if (c.object === 'listener') {
      const l = lb.listeners.get(c.id);
      if (l) l.operatingStatus = c.to;
    } else if (c.object === 'pool') {
      const p = lb.pools.get(c.id);
      if (p) p.operatingStatus = c.to;
    } else {
      for (const p of lb.pools.values()) if (p.members.has(c.id)) p.members.set(c.id, c.to);
    }
  }
}
