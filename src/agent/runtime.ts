/**
 * Everything that serves one amphora inside the agent, built from its configuration: the HAProxy
 * and keepalived services, network plugging, reporting. The HTTP layer routes requests to one
 * runtime; a process serving several amphorae would hold one runtime each.
 */
import type { Logger } from '../lib/logger.js';
import type { AgentAmphora } from './agent-amphora.js';
import type { AgentConfig } from './config.js';
import { HaproxyService } from './haproxy-service.js';
import { InfoService } from './info.js';
import { KeepalivedService } from './keepalived.js';
import { PlugService } from './plug.js';

export interface AgentRuntime {
  readonly amphora: AgentAmphora;
  readonly log: Logger;
  readonly haproxy: HaproxyService;
  readonly keepalived: KeepalivedService;
  readonly plug: PlugService;
  readonly info: InfoService;
  /** The --config-file list; PUT /1.0/config replaces the first (the controller's file). */
  readonly configFiles: readonly string[];
  /** The configuration in effect; PUT /1.0/config changes its mutable options. */
  config: AgentConfig;
  /** Starts or adopts what the files on disk say should run. */
  init(): Promise<void>;
  /** Stops watching children; they keep running for the next agent. */
  detach(): void;
}

export function createRuntime(amphora: AgentAmphora, config: AgentConfig, configFiles: readonly string[], log: Logger): AgentRuntime {
  const keepalived = new KeepalivedService(amphora, log);
  const haproxy: HaproxyService = new HaproxyService(amphora, log, () => signalHaproxyState());
  function signalHaproxyState(): void {
    void keepalived
      .updateHaproxySignals(haproxy.runningPidFiles(), haproxy.down())
      .catch((err: unknown) => log.error({ err }, 'cannot update the VRRP check script or track file'));
  }
  const rt: AgentRuntime = {
    amphora,
    log,
    haproxy,
    keepalived,
    plug: new PlugService(amphora, () => rt.config.controller_worker.loadbalancer_topology),
    info: new InfoService(amphora, haproxy),
    configFiles,
    config,
    async init() {
      rt.info.warm();
      await haproxy.init();
      await keepalived.init();
      signalHaproxyState();
    },
    detach() {
      haproxy.detach();
      keepalived.detach();
    },
  };
  return rt;
}
