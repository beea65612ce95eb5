/**
 * What the agent reports about its amphora: GET /info (package versions), GET /details (Zed's keys,
 * spec §14, plus our `max_open_files`, which the controller's renderer caps maxconn with) and the
 * interface holding an address.
 */
import { statfsSync } from 'node:fs';
import { hostname } from 'node:os';
import { AGENT_API_VERSION, type AgentDetails, type AgentInfo } from '../agent-api/contract.js';
import type { AgentAmphora } from './agent-amphora.js';
import { run } from './exec.js';
import { readIfExists } from './files.js';
import type { HaproxyService } from './haproxy-service.js';
import { links } from './ip.js';

/** Debian package version (`dpkg-query`), as upstream reports it; null when not installed. */
async function packageVersion(name: string): Promise<string | null> {
  const r = await run({ netns: null }, 'dpkg-query', ['-W', '-f=${Version}', name]);
  return r.code === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
}

export class InfoService {
  readonly #amphora: AgentAmphora;
  readonly #haproxy: HaproxyService;
  #versions: Promise<{ haproxy: string; keepalived: string | null; ipvsadm: string | null }> | null = null;

  constructor(amphora: AgentAmphora, haproxy: HaproxyService) {
    this.#amphora = amphora;
    this.#haproxy = haproxy;
  }

  /**
   * Starts reading the package versions now (agent start), so that the controller's first
   * `GET /info` of a new amphora, on the path from create to first request, finds them ready.
   */
  warm(): void {
    this.#packageVersions().catch(() => {
      this.#versions = null; // read again by the next request
    });
  }

  /** Package versions do not change while the agent runs: read them once. */
  #packageVersions(): Promise<{ haproxy: string; keepalived: string | null; ipvsadm: string | null }> {
    this.#versions ??= (async () => {
      // The three queries at once: the first GET /info of a new amphora waits for them, on the
      // path from create to first request (~50 ms per dpkg-query on a busy 2-vCPU host).
      const [fromPackage, keepalived, ipvsadm] = await Promise.all([packageVersion('haproxy'), packageVersion('keepalived'), packageVersion('ipvsadm')]);
      let haproxy = fromPackage;
      if (haproxy === null) {
        // Not a Debian package: the binary says its version (`HAProxy version 2.6.12-1 2023/...`).
        const r = await run({ netns: null }, this.#amphora.haproxyCmd, ['-v']);
        haproxy = /version (\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
      }
      return { haproxy, keepalived, ipvsadm };
    })();
    return this.#versions;
  }

  async info(): Promise<AgentInfo> {
    const v = await this.#packageVersions();
    return {
      hostname: hostname(),
      haproxy_version: v.haproxy,
      api_version: AGENT_API_VERSION,
      keepalived_version: v.keepalived,
      ipvsadm_version: v.ipvsadm,
    };
  }

  async details(): Promise<AgentDetails> {
    const v = await this.#packageVersions();
    const lbs = this.#haproxy.loadBalancers();
    const networks: Record<string, { network_tx: number; network_rx: number }> = {};
    // Upstream lists the data-plane interfaces (eth*) only.
    for (const l of await links(this.#amphora)) {
      if (l.ifname.startsWith('eth')) networks[l.ifname] = { network_tx: l.txBytes, network_rx: l.rxBytes };
    }
    const meminfo = readMeminfo();
    const cpu = (readIfExists('/proc/stat') ?? '').split('\n')[0]!.split(/\s+/);
    const fs = statfsSync('/');
    return {
      hostname: hostname(),
      haproxy_version: v.haproxy,
      api_version: AGENT_API_VERSION,
      networks,
      active: true,
      haproxy_count: lbs.filter((lb) => this.#haproxy.isRunning(lb)).length,
      cpu: {
        total: cpu.slice(1).reduce((sum, n) => sum + (Number(n) || 0), 0),
        user: cpu[1] ?? '0',
        system: cpu[3] ?? '0',
        soft_irq: cpu[7] ?? '0',
      },
      memory: {
        total: meminfo['MemTotal'] ?? 0,
        free: meminfo['MemFree'] ?? 0,
        buffers: meminfo['Buffers'] ?? 0,
        cached: meminfo['Cached'] ?? 0,
        swap_used: meminfo['SwapCached'] ?? 0,
        shared: meminfo['Shmem'] ?? 0,
        slab: meminfo['Slab'] ?? 0,
      },
      disk: { used: (fs.blocks - fs.bfree) * fs.bsize, available: fs.bavail * fs.bsize },
      load: (readIfExists('/proc/loadavg') ?? '0 0 0').split(' ').slice(0, 3),
      // Upstream always reports these two constants.
      topology: 'SINGLE',
      topology_status: 'OK',
      listeners: this.#haproxy
        .listeners()
        .flatMap((l) => l.listeners.map((x) => x.id))
        .sort(),
      packages: {},
      lvs_listener_process_count: 0,
      keepalived_version: v.keepalived,
      ipvsadm_version: v.ipvsadm,
      max_open_files: this.#amphora.maxOpenFiles,
    };
  }
}

function readMeminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (readIfExists('/proc/meminfo') ?? '').split('\n')) {
    const m = /^(\S+):\s*(\d+)\s*kB/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}
