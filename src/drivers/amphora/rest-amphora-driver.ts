/**
 * `amphora_haproxy_rest_driver`: configures amphorae through the agent API 1.0 (spec §6.4, §7),
 * as upstream's HaproxyAmphoraLoadBalancerDriver does — so it drives our agent or upstream's.
 * Rendering is the pure render/haproxy module; this driver fetches what rendering needs from the
 * amphora (haproxy version, open-files limit) and from the certificate manager (TLS material),
 * uploads the result and reloads.
 */
import type { AgentAction, AgentDetails, AgentInfo, HostRouteWire, PlugNetworkRequest, PlugVipRequest } from '../../agent-api/contract.js';
import { AGENT_API_PREFIX, agentPaths } from '../../agent-api/contract.js';
import type { Amphora } from '../../domain/amphora.js';
import { DomainError } from '../../domain/errors.js';
import { withoutPendingDeletes, type LoadBalancerGraph } from '../../domain/graph.js';
import type { LoadBalancer } from '../../domain/load-balancer.js';
import type { Subnet } from '../../domain/network.js';
import { createHash } from 'node:crypto';
import type { Logger } from '../../lib/logger.js';
import { renderHaproxyConfig } from '../../render/haproxy/index.js';
import type { HaproxySettings } from '../../render/haproxy/input.js';
import type { TlsFile } from '../../render/haproxy/tls-files.js';
import { renderKeepalivedConfig, type KeepalivedSettings } from '../../render/keepalived/index.js';
import type { CertGenerator } from '../certs/cert-generator.js';
import type { CertManager, TlsContainer } from '../certs/cert-manager.js';
import type { AmphoraVipPlug, PluggedPort, PlugSubnet } from '../network/network-driver.js';
import type { AmphoraDriver } from './amphora-driver.js';
import { AgentClient, replyJson, type AgentClientSettings, type AgentReply, type AgentRequest } from './agent-client.js';

export interface RestAmphoraDriverOptions {
  /** The controller's client certificate and the CA agents' certificates must chain to. */
  readonly certs: CertGenerator;
  /** Resolves the TLS container references of listeners and pools. */
  readonly certManager: CertManager;
  readonly agent: AgentClientSettings;
  /** Rendering settings from [haproxy_amphora] and [api_settings]. */
  readonly render: HaproxySettings;
  /** keepalived settings from [keepalived_vrrp] (the base path is the amphora's, as for HAProxy). */
  readonly keepalived: Omit<KeepalivedSettings, 'basePath'>;
  /** The rendered amphora-agent.conf of an amphora (PUT /1.0/config). */
  readonly agentConfigFor: (amphora: Amphora) => string | Promise<string>;
  /**
   * Where an amphora keeps its files when that is not [haproxy_amphora] base_path / base_cert_dir
   * (several netns amphorae share one file system, each under its own runtime directory). The
   * rendered configuration names the stats socket, server-state file and certificates by path.
   */
  readonly pathsFor?: (amphora: Amphora) => { readonly basePath: string; readonly baseCertDir: string } | null;
  /** Pause between GET / attempts while waiting for a new agent. */
  readonly connectivityPollMs?: number;
  readonly log: Logger;
}

const LVS_PROTOCOLS = new Set(['UDP', 'SCTP']);

function hostRoutes(subnet: PlugSubnet): HostRouteWire[] {
  return subnet.hostRoutes.map((r) => ({ nexthop: r.nexthop, destination: r.destination }));
}

/** Certificate, intermediates, then key: the PEM haproxy loads (upstream's build_pem). */
function containerPem(c: TlsContainer): string {
  return [c.certificate, ...c.intermediates, ...(c.privateKey !== null ? [c.privateKey] : [])]
    .map((p) => `${p.trim()}\n`)
    .join('');
}

export class RestAmphoraDriver implements AmphoraDriver {
  readonly requiresServerCertificate = true;
  readonly #o: RestAmphoraDriverOptions;
  readonly #client: AgentClient;
  readonly #log: Logger;
  /** HAProxy version per amphora: it changes only with the amphora's image. */
  readonly #versions = new Map<string, string>();

  constructor(options: RestAmphoraDriverOptions) {
    this.#o = options;
    this.#log = options.log.child({ component: 'amphora_haproxy_rest_driver' });
    this.#client = new AgentClient(options.certs, options.agent, this.#log);
  }

  /** A call under /1.0 that must answer one of `ok`; any other status is a driver error. */
  async #call(amphora: Amphora, req: AgentRequest, ok: readonly number[] = [200, 202]): Promise<AgentReply> {
    const reply = await this.#client.send(amphora, { ...req, path: `${AGENT_API_PREFIX}${req.path}` });
    if (ok.includes(reply.status)) return reply;
    throw new DomainError('driver_error', `Amphora agent returned ${reply.status}`, {
      operatorMessage: `${req.method} ${AGENT_API_PREFIX}${req.path} on amphora ${amphora.id}: ${reply.status} ${reply.text.slice(0, 4000)}`,
      retryable: reply.status === 503,
    });
  }

  async waitForConnectivity(amphora: Amphora, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const poll = this.#o.connectivityPollMs ?? 100;
    let last: unknown = null;
    while (Date.now() < deadline) {
      try {
        const remaining = Math.max(1, deadline - Date.now());
        const reply = await this.#client.send(amphora, {
          method: 'GET',
          path: '/',
          attempts: 1,
          connectTimeoutMs: Math.min(this.#o.agent.connectTimeoutMs, remaining),
        });
        if (reply.status === 200 && replyJson<{ api_version?: unknown }>(reply, 'version document').api_version === '1.0') return;
        last = new Error(`GET / answered ${reply.status} ${reply.text.slice(0, 200)}`);
      } catch (err) {
        if (err instanceof DomainError && !err.retryable) throw err;
        last = err;
      }
      await new Promise((r) => setTimeout(r, Math.min(poll, Math.max(0, deadline - Date.now()))));
    }
    throw new DomainError('driver_error', `Amphora ${amphora.id} did not answer within ${timeoutMs} ms`, {
      operatorMessage: `waiting for the agent of amphora ${amphora.id} at ${amphora.lbNetworkIp}: ${(last as Error | null)?.message ?? 'no answer'}`,
      retryable: true,
      cause: last,
    });
  }

  async finalize(): Promise<void> {
    // Upstream's REST driver has nothing to do here either.
  }

  async getInfo(amphora: Amphora): Promise<AgentInfo> {
    return replyJson<AgentInfo>(await this.#call(amphora, { method: 'GET', path: agentPaths.info() }, [200]), 'info');
  }

  async #haproxyVersion(amphora: Amphora): Promise<string> {
    let v = this.#versions.get(amphora.id);
    if (v === undefined) {
      v = (await this.getInfo(amphora)).haproxy_version;
      this.#versions.set(amphora.id, v);
    }
    return v;
  }

  async updateListeners(graph: LoadBalancerGraph, amphora: Amphora): Promise<void> {
    if (amphora.status === 'DELETED') return;
    const g = withoutPendingDeletes(graph);
    const lbId = g.loadBalancer.id;
    if (g.listeners.length === 0) return;
    if (g.listeners.every((l) => LVS_PROTOCOLS.has(l.protocol))) {
      // NOTE: UDP/SCTP listeners need IPVS (keepalived LVS), which this data plane does not have.
      this.#log.warn({ lbId }, 'only UDP/SCTP listeners: nothing to configure on amphorae');
      return;
    }
    const haproxyVersion = await this.#haproxyVersion(amphora);
    const details = replyJson<AgentDetails>(await this.#call(amphora, { method: 'GET', path: agentPaths.details() }, [200]), 'details');
    const maxOpenFiles = typeof details.max_open_files === 'number' ? details.max_open_files : null;
    const paths = this.#o.pathsFor?.(amphora) ?? null;
    const settings = paths ? { ...this.#o.render, ...paths } : this.#o.render;
    const rendered = renderHaproxyConfig({ graph: g, amphora, haproxyVersion, maxOpenFiles, settings });
    for (const p of rendered.problems) this.#log.warn({ lbId, amphoraId: amphora.id, problem: p }, 'render problem');
    if (rendered.text === '') {
      throw new DomainError('driver_error', `No HAProxy configuration could be rendered for load balancer ${lbId}`, {
        operatorMessage: rendered.problems.map((p) => `${p.objectType} ${p.objectId}: ${p.message}`).join('; '),
      });
    }
    // Files first: the configuration refers to them and `haproxy -c` on the agent opens them.
    for (const file of rendered.tlsFiles) await this.#uploadTlsFile(amphora, g, file);
    await this.#call(amphora, { method: 'PUT', path: agentPaths.haproxyConfig(amphora.id, lbId), body: rendered.text }, [202]);
    await this.#call(amphora, { method: 'PUT', path: agentPaths.action(lbId, 'reload') }, [202]);
  }

  async #uploadTlsFile(amphora: Amphora, graph: LoadBalancerGraph, file: TlsFile): Promise<void> {
    const project = graph.loadBalancer.projectId;
    const c = file.content;
    const pem =
      c.kind === 'crt-list'
        ? c.text
        : c.kind === 'certificate'
          ? containerPem(await this.#o.certManager.getCertificate(project, c.ref))
          : await this.#o.certManager.getSecret(project, c.ref);
    const path = agentPaths.certificate(graph.loadBalancer.id, file.name);
    const md5 = createHash('md5').update(pem).digest('hex');
    // Upstream skips uploads the amphora already has (same md5).
    const current = await this.#call(amphora, { method: 'GET', path }, [200, 404]);
    if (current.status === 200 && replyJson<{ md5sum?: string }>(current, 'certificate checksum').md5sum === md5) return;
    await this.#call(amphora, { method: 'PUT', path, body: pem }, [200]);
  }

  async deleteListeners(loadBalancer: LoadBalancer, amphora: Amphora): Promise<void> {
    if (amphora.status === 'DELETED') return;
    await this.#call(amphora, { method: 'DELETE', path: agentPaths.deleteListener(loadBalancer.id) }, [200, 404]);
  }

  async postVipPlug(amphora: Amphora, loadBalancer: LoadBalancer, plug: AmphoraVipPlug): Promise<void> {
    if (amphora.status === 'DELETED') return;
    const body: PlugVipRequest = {
      subnet_cidr: plug.subnet.cidr,
      gateway: plug.subnet.gateway,
      mac_address: plug.macAddress,
      vrrp_ip: plug.vrrpIp,
      mtu: plug.mtu,
      host_routes: hostRoutes(plug.subnet),
      additional_vips: plug.additionalVips.map((v) => ({
        subnet_cidr: v.cidr,
        ip_address: v.ipAddress,
        gateway: v.gateway,
        host_routes: hostRoutes(v),
      })),
      is_sriov: loadBalancer.vip.vnicType === 'direct',
    };
    const vip = loadBalancer.vip.address ?? plug.haIp;
    const reply = await this.#call(amphora, { method: 'POST', path: agentPaths.plugVip(vip), json: body }, [202, 409]);
    if (reply.status === 409) this.#log.warn({ amphoraId: amphora.id, mac: plug.macAddress }, 'VIP interface already plugged');
  }

  async postNetworkPlug(amphora: Amphora, port: PluggedPort): Promise<void> {
    if (amphora.status === 'DELETED') return;
    const body: PlugNetworkRequest = {
      mac_address: port.macAddress,
      fixed_ips: port.fixedIps.map((f) => ({
        ip_address: f.ipAddress,
        subnet_cidr: f.cidr,
        host_routes: hostRoutes(f),
        gateway: f.gateway,
      })),
      mtu: port.mtu,
      is_sriov: false,
    };
    const reply = await this.#call(amphora, { method: 'POST', path: agentPaths.plugNetwork(), json: body }, [202, 409]);
    if (reply.status === 409) this.#log.warn({ amphoraId: amphora.id, mac: port.macAddress }, 'network interface already plugged');
  }

  async updateAgentConfig(amphora: Amphora): Promise<void> {
    const text = await this.#o.agentConfigFor(amphora);
    await this.#call(amphora, { method: 'PUT', path: agentPaths.config(), body: text }, [202]);
  }

  async updateServerCertificate(amphora: Amphora, pem: string): Promise<void> {
    await this.#call(amphora, { method: 'PUT', path: agentPaths.serverCertificate(), body: pem }, [202]);
  }

  async getVrrpInterface(amphora: Amphora): Promise<string | null> {
    if (amphora.vrrpIp === null) return null;
    const name = await this.getInterfaceFromIp(amphora, amphora.vrrpIp);
    if (name === null) {
      // keepalived cannot run without it: fail here rather than leave the amphora without VRRP.
      throw new DomainError('driver_error', `Amphora ${amphora.id} has no interface with its VRRP address`, {
        operatorMessage: `GET /interface/${amphora.vrrpIp} on amphora ${amphora.id}: not found (was the VIP plugged?)`,
        retryable: false,
      });
    }
    return name;
  }

  async updateVrrpConfig(graph: LoadBalancerGraph, amphora: Amphora, vipSubnets: readonly Subnet[]): Promise<void> {
    if (amphora.status === 'DELETED') return;
    const g = withoutPendingDeletes(graph);
    const lbId = g.loadBalancer.id;
    const basePath = this.#o.pathsFor?.(amphora)?.basePath ?? this.#o.render.basePath;
    const rendered = renderKeepalivedConfig({ graph: g, amphora, subnets: vipSubnets, settings: { ...this.#o.keepalived, basePath } });
    for (const p of rendered.problems) this.#log.warn({ lbId, amphoraId: amphora.id, problem: p }, 'keepalived render problem');
    if (rendered.text === '') {
      // NOTE: not an error. A lone amphora (its peer is being replaced) gets no file: the one it
      // runs keeps the VIP where it is, whereas stopping keepalived would drop it.
      this.#log.warn({ lbId, amphoraId: amphora.id }, 'no keepalived configuration rendered: the amphora keeps its current one');
      return;
    }
    await this.uploadVrrpConfig(amphora, rendered.text);
  }

  async startVrrp(amphora: Amphora): Promise<void> {
    if (amphora.status === 'DELETED') return;
    await this.vrrpAction(amphora, 'start');
  }

  // Beyond the AmphoraDriver interface: the VRRP calls of upstream's keepalived mixin and the
  // interface lookup, also used by the driver's tests.

  /** The interface holding an address on the amphora, or null (upstream's get_interface_from_ip). */
  async getInterfaceFromIp(amphora: Amphora, ip: string): Promise<string | null> {
    const reply = await this.#call(amphora, { method: 'GET', path: agentPaths.interface(ip) }, [200, 404]);
    return reply.status === 200 ? (replyJson<{ interface?: string }>(reply, 'interface').interface ?? null) : null;
  }

  async uploadVrrpConfig(amphora: Amphora, config: string): Promise<void> {
    await this.#call(amphora, { method: 'PUT', path: agentPaths.vrrpUpload(), body: config }, [200]);
  }

  async vrrpAction(amphora: Amphora, action: AgentAction): Promise<void> {
    await this.#call(amphora, { method: 'PUT', path: agentPaths.vrrpAction(action) }, [202]);
  }

  /** Starts (or, when running, reloads) the haproxy of a load balancer. */
  async loadBalancerAction(amphora: Amphora, loadBalancerId: string, action: AgentAction): Promise<void> {
    await this.#call(amphora, { method: 'PUT', path: agentPaths.action(loadBalancerId, action) }, [202]);
  }
}
