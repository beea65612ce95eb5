/**
 * The amphora's heartbeat sender (upstream's health daemon, spec §8.1): every
 * `[health_manager] heartbeat_interval` seconds one UDP datagram (src/health/heartbeat-codec.ts)
 * to the next entry of `controller_ip_port_list`, round robin. The message is version 3: frontend
 * status and counters of every listener, backend and server status of every pool, read from each
 * running load balancer's stats socket (`show stat`); `tx, rx, totconns, ereq` are deltas since
 * the previous message, computed against counters persisted in `<base_path>/stats_counters.json`
 * (upstream's file and format), so a restarted agent neither loses nor double-counts traffic.
 *
 * Unlike upstream, `seq` survives agent restarts (`<base_path>/heartbeat_seq`): receivers drop a
 * heartbeat whose `seq` is not newer than the last one (replay protection).
 *
 * Options are read at each beat: `PUT /1.0/config` may change interval, key and controllers.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../lib/logger.js';
import { encodeHeartbeat, HEARTBEAT_VERSION, type Heartbeat, type HeartbeatListener, type HeartbeatPool } from '../health/heartbeat-codec.js';
import { paths, type AgentAmphora } from './agent-amphora.js';
import type { AgentConfig } from './config.js';
import { processAlive, readIfExists, readPid, writeAtomic } from './files.js';
import { masterCommand } from './master-cli.js';

/** Counters sent as deltas, named as in `show stat` (upstream's DELTA_METRICS). */
export const DELTA_METRICS = ['bin', 'bout', 'ereq', 'stot'] as const;
export type Counters = Record<string, Partial<Record<(typeof DELTA_METRICS)[number], number>>>;

export type StatRow = Readonly<Record<string, string>>;

/** Parses `show stat` CSV (`# pxname,svname,...` header). Fields hold no commas in our configurations. */
export function parseShowStat(text: string): StatRow[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0];
  if (header === undefined || !header.startsWith('# ')) return [];
  const names = header.slice(2).split(',');
  return lines.slice(1).map((line) => {
    const values = line.split(',');
    return Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
  });
}

/** A controller entry `ip:port` or `[ipv6]:port`; null when unusable. */
export function parseController(entry: string): { host: string; port: number } | null {
  const i = entry.trim().lastIndexOf(':');
  if (i <= 0) return null;
  let host = entry.trim().slice(0, i);
  const port = Number(entry.trim().slice(i + 1));
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || host === '') return null;
  return { host, port };
}

const int = (v: string | undefined): number => {
  const n = Number.parseInt(v ?? '', 10);
  return Number.isFinite(n) && n >= 0 ? n : 0;
};

/**
 * The listeners and pools of a heartbeat from `show stat` rows of the running load balancers.
 * Updates `counters` in place (the caller persists them). Internal proxies (prometheus) are left
 * out as upstream does: they are not billed traffic.
 */
export function heartbeatBody(rows: readonly StatRow[], counters: Counters): Pick<Heartbeat, 'listeners' | 'pools'> {
  const listeners: Record<string, HeartbeatListener> = {};
  const pools: Record<string, { status: string; members: Record<string, string> }> = {};
  for (const row of rows) {
    const px = row['pxname'] ?? '';
    const sv = row['svname'] ?? '';
    if (px === '' || px.includes('prometheus')) continue;
    if (sv === 'FRONTEND') {
      const last = (counters[px] ??= {});
      const delta: Record<string, number> = {};
      for (const m of DELTA_METRICS) {
        const current = int(row[m]);
        const d = current - (last[m] ?? 0);
        // A negative delta: haproxy restarted (or reloaded) and its counters began again.
        delta[m] = d < 0 ? current : d;
        last[m] = current;
      }
      listeners[px] = {
        status: row['status'] ?? '',
        stats: { tx: delta['bout']!, rx: delta['bin']!, conns: int(row['scur']), totconns: delta['stot']!, ereq: delta['ereq']! },
      };
    } else if (px.includes(':')) {
      const pool = (pools[px] ??= { status: 'DOWN', members: {} });
      if (sv === 'BACKEND') pool.status = row['status'] ?? '';
      else {
        // Some haproxy versions report a drained server (weight 0) as UP: upstream reports DRAIN.
        const status = row['status'] === 'UP' && row['weight'] === '0' ? 'DRAIN' : (row['status'] ?? '');
        pool.members[sv] = status;
      }
    }
  }
  return { listeners, pools: pools as Record<string, HeartbeatPool> };
}

export interface HeartbeatSenderOptions {
  readonly amphora: AgentAmphora;
  /** The current `[health_manager]` options (mutable through PUT /1.0/config). */
  readonly config: () => AgentConfig['health_manager'];
  /** Load balancers whose haproxy runs now. */
  readonly runningLoadBalancers: () => readonly string[];
  readonly log: Logger;
}

/** Sends heartbeats until stop(). One sender per amphora; nothing global. */
export class HeartbeatSender {
  readonly #o: HeartbeatSenderOptions;
  readonly #log: Logger;
  readonly #sockets = new Map<'udp4' | 'udp6', Socket>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;
  #next = 0;
  #seq: number | null = null;
  #counters: Counters | null = null;
  #warnedNoKey = false;

  constructor(options: HeartbeatSenderOptions) {
    this.#o = options;
    this.#log = options.log.child({ component: 'heartbeat' });
  }

  get #seqFile(): string {
    return join(this.#o.amphora.basePath, 'heartbeat_seq');
  }

  get #countersFile(): string {
    return join(this.#o.amphora.basePath, 'stats_counters.json');
  }

  /** Sends the first heartbeat now, then every heartbeat_interval. */
  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
    for (const s of this.#sockets.values()) s.close();
    this.#sockets.clear();
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.beat()
        .then(() => undefined)
        .catch((err: unknown) => this.#log.error({ err }, 'heartbeat not sent'))
        .finally(() => {
          this.#running = null;
          this.#schedule(this.#o.config().heartbeat_interval * 1000);
        });
    }, ms);
    this.#timer.unref();
  }

  /** Builds and sends one heartbeat; false when none was sent (and why is logged). */
  async beat(): Promise<boolean> {
    const hm = this.#o.config();
    if (hm.heartbeat_key === null || hm.heartbeat_key === '') {
      if (!this.#warnedNoKey) this.#log.warn('[health_manager] heartbeat_key is not set: no heartbeats sent');
      this.#warnedNoKey = true;
      return false;
    }
    this.#warnedNoKey = false;
    const controllers = hm.controller_ip_port_list.map(parseController);
    if (controllers.length === 0 || controllers.includes(null)) {
      this.#log.error({ controllers: hm.controller_ip_port_list }, 'no usable controller address: heartbeat not sent');
      return false;
    }
    const a = this.#o.amphora;
    // keepalived configured but not running: stay silent so that the controller fails us over.
    if (readIfExists(paths.keepalivedConfig(a)) !== null) {
      const pid = readPid(paths.keepalivedPid(a));
      if (pid === null || !processAlive(pid)) {
        this.#log.error('keepalived is configured but not running: heartbeat skipped');
        return false;
      }
    }
    const heartbeat = await this.build();
    const dest = controllers[this.#next++ % controllers.length]!;
    const datagram = encodeHeartbeat(heartbeat, hm.heartbeat_key);
    const type = isIPv6(dest.host) ? 'udp6' : 'udp4';
    let socket = this.#sockets.get(type);
    if (!socket) {
      socket = createSocket(type);
      socket.on('error', (err) => this.#log.debug({ err }, 'heartbeat socket error'));
      socket.unref();
      this.#sockets.set(type, socket);
    }
    const s = socket;
    await new Promise<void>((resolve) => {
      s.send(datagram, dest.port, dest.host, (err) => {
        // Upstream ignores send errors: the network may not be up yet right after boot.
        if (err) this.#log.debug({ err, dest }, 'heartbeat send failed');
        resolve();
      });
    });
    this.#log.debug({ seq: heartbeat.seq, dest, bytes: datagram.length }, 'heartbeat sent');
    return true;
  }

  /** The next message (advances and persists `seq` and the counters). */
  async build(): Promise<Heartbeat> {
    this.#seq ??= readSeq(readIfExists(this.#seqFile));
    this.#counters ??= readCounters(readIfExists(this.#countersFile));
    const rows: StatRow[] = [];
    for (const lbId of this.#o.runningLoadBalancers()) {
      try {
        rows.push(...parseShowStat(await masterCommand(paths.statsSocket(this.#o.amphora, lbId), 'show stat', 2000)));
      } catch (err) {
        // As upstream: the heartbeat still goes out, without this load balancer's listeners.
        this.#log.warn({ err, lbId }, 'cannot read haproxy stats');
      }
    }
    const body = heartbeatBody(rows, this.#counters);
    const seq = this.#seq;
    this.#seq = seq + 1;
    await writeAtomic(this.#seqFile, `${this.#seq}\n`, 0o644).catch((err: unknown) => this.#log.warn({ err }, 'cannot persist the heartbeat seq'));
    await writeAtomic(this.#countersFile, JSON.stringify(this.#counters), 0o644).catch((err: unknown) =>
      this.#log.warn({ err }, 'cannot persist the statistics counters'),
    );
    return { id: this.#o.amphora.id, seq, ver: HEARTBEAT_VERSION, ...body };
  }
}

function readSeq(text: string | null): number {
  const n = Number.parseInt(text?.trim() ?? '', 10);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

function readCounters(text: string | null): Counters {
  try {
    const v = JSON.parse(text ?? '{}') as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Counters) : {};
  } catch {
    return {};
  }
}
