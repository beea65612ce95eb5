/**
 * An in-process Octavius with the real data plane for end-to-end tests: netns amphorae running the
 * agent and HAProxy, the local network driver, the REST amphora driver — every name carrying a
 * per-run prefix, every address inside 198.18.0.0/15 or fd00::/8, all of it removed by close()
 * (and by `cleanupPrefix` even when the test failed half-way).
 *
 * Networks of a data plane (the host holds every gateway address, so member servers are plain
 * sockets of the test process and requests to VIPs go straight from the test process):
 *   `<prefix>vip`     IPv4 subnet `vip4` (+ IPv6 subnet `vip6` when asked) for VIPs (and members)
 *   `<prefix>mem`     IPv4 subnet `mem4` for members on another network (member subnet plugging)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { LocalNetworks } from '../../src/config/local-networks.js';
import type { Engine } from '../../src/db/connect.js';
import { cleanupPrefix, freeSubnet64, freeSubnets24, leftovers, rootSkipReason, testPrefix } from './host-network.js';
import { startTestApi, type ConfigOverrides, type TestApi } from './api.js';
import { buildHeartbeatReceiver } from '../../src/cli/compose.js';
import type { HeartbeatReceiver } from '../../src/health/receiver.js';

export { rootSkipReason, leftovers };

export interface SubnetInfo {
  readonly id: string;
  readonly networkId: string;
  readonly cidr: string;
  /** The host's address on the subnet: member servers listen here, requests leave from here. */
  readonly gateway: string;
  /** `198.18.N` (IPv4) or the /64 stem (IPv6), to build further addresses. */
  readonly stem: string;
}

export interface DataPlaneOptions {
  readonly engine?: Engine;
  /** An IPv6 subnet on the VIP network as well. */
  readonly ipv6?: boolean;
  /**
   * Extra `[subnet:<prefix>mem4]` options, e.g. `host_routes = ...`; as a function it gets the name
   * prefix and the /24 stems the data plane picked (a nexthop must lie inside mem4, a route's
   * destination outside all three), before anything is created.
   */
  readonly memberSubnetOptions?:
    | Readonly<Record<string, string>>
    | ((picked: { readonly prefix: string; readonly vip4: string; readonly mem4: string; readonly mgmt: string }) => Readonly<Record<string, string>>);
  readonly config?: ConfigOverrides;
  /**
   * Run a heartbeat receiver (as `octavius up` does) on the controller's management address (the
   * first address of [netns] mgmt_cidr), port 5555, amphorae sending every second with a per-run
   * key. Without it amphorae send no heartbeats and operating statuses stay OFFLINE.
   */
  readonly healthManager?: boolean;
}

export interface EchoReply {
  readonly member: string;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Address and port the member saw the connection come from. */
  readonly peer: string;
  /** The PROXY protocol header line when the member expects one. */
  readonly proxyLine: string | null;
}

export interface Member {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Requests (HTTP) or connections (TCP) served so far. */
  served(): number;
  close(): Promise<void>;
  /** Listen again on the same address and port after close(). */
  reopen(): Promise<void>;
}

/** An HTTP member; `holding`/`release` matter only with the `hold` option. */
export interface HttpMember extends Member {
  /** Requests to `/hold...` waiting for release(). */
  holding(): number;
  /** Answers every request waiting at `/hold...`. */
  release(): void;
}

export interface HttpMemberOptions {
  readonly proxyProtocol?: boolean;
  /** Every response sets this cookie to the member's name (an application session cookie). */
  readonly setCookie?: string;
  /** Requests whose path starts with `/hold` get no answer until release() (a long request). */
  readonly hold?: boolean;
}

export interface HttpReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- echo bodies are read freely
  readonly json: any;
}

export interface DataPlane {
  readonly api: TestApi;
  readonly prefix: string;
  readonly vip4: SubnetInfo;
  readonly vip6: SubnetInfo | null;
  readonly mem4: SubnetInfo;
  readonly runtimePath: string;
  /** The heartbeat receiver when started with `healthManager`. */
  readonly receiver: HeartbeatReceiver | null;
  /** An HTTP member that answers every request with an EchoReply (JSON). */
  httpMember(name: string, address: string, port: number, options?: HttpMemberOptions): Promise<HttpMember>;
  /** A TCP member that writes `<name>\n` and closes, or echoes what it receives with `echo`. */
  tcpMember(name: string, address: string, port: number): Promise<Member>;
  /** One HTTP request on a new connection. */
  http(url: string, options?: { method?: string; headers?: Record<string, string>; localAddress?: string; timeoutMs?: number }): Promise<HttpReply>;
  /** Connects to a TCP listener and reads until the server closes; rejects on refusal or reset. */
  tcp(host: string, port: number, options?: { timeoutMs?: number; localAddress?: string }): Promise<string>;
  /** POST /v2/lbaas/loadbalancers with the body (single-call create) and waits for ACTIVE. */
  createLoadBalancer(body: Record<string, unknown>, timeoutMs?: number): Promise<{ id: string; vip: string; body: Record<string, unknown> }>;
  /** Waits until the load balancer is ACTIVE again (after a change to one of its children). */
  waitActive(lbId: string, timeoutMs?: number): Promise<void>;
  /** Deletes the load balancer (cascade) and waits until it is gone. */
  deleteLoadBalancer(lbId: string, timeoutMs?: number): Promise<void>;
  /** Names of namespaces and interfaces of this data plane that still exist. */
  leftovers(): string[];
  close(): Promise<void>;
}

const ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * The agent an amphora runs: the built one when there is a build (starts in ~150 ms instead of
 * tsx's ~1 s; `npm test` always builds first), else the driver's default (this source tree via tsx).
 * `exec`: the shell becomes the agent, so the recorded pid is the agent's (a kill of it stops it).
 */
function agentCommand(): string {
  const built = join(ROOT, 'dist', 'cli', 'main.js');
  return existsSync(built) ? `exec '${process.execPath}' '${built}' agent --config-file {boot_config} --config-file {local_config}` : '';
}

export async function startDataPlane(options: DataPlaneOptions = {}): Promise<DataPlane> {
  const prefix = testPrefix();
  const [V, M, MG] = freeSubnets24(3) as [string, string, string];
  const V6 = options.ipv6 ? freeSubnet64() : null;
  const memberOptions = typeof options.memberSubnetOptions === 'function' ? options.memberSubnetOptions({ prefix, vip4: V, mem4: M, mgmt: MG }) : options.memberSubnetOptions;
  const runtimePath = mkdtempSync('/dev/shm/oe-') // short: HAProxy socket paths below it are limited to 97 bytes;
  const memExtra = Object.entries(memberOptions ?? {})
    .map(([k, v]) => `${k} = ${v}\n`)
    .join('');
  const ini = `
[network:${prefix}vip]
bridge = ${prefix}bv
subnets = ${prefix}vip4${V6 ? `, ${prefix}vip6` : ''}

[subnet:${prefix}vip4]
cidr = ${V}.0/24
gateway = ${V}.1
allocation_pools = ${V}.100-${V}.250
${V6 ? `\n[subnet:${prefix}vip6]\ncidr = ${V6}::/64\ngateway = ${V6}::1\nallocation_pools = ${V6}::100-${V6}::1ff\n` : ''}
[network:${prefix}mem]
bridge = ${prefix}bm
subnets = ${prefix}mem4

[subnet:${prefix}mem4]
cidr = ${M}.0/24
gateway = ${M}.1
allocation_pools = ${M}.100-${M}.250
${memExtra}`;
  const networks: LocalNetworks = loadConfig({ files: ['dataplane.ini'], readFile: () => ini }).config.local_networks;
  const info = (name: string, gateway: string, stem: string): SubnetInfo => {
    const s = networks.subnets.find((x) => x.name === `${prefix}${name}`)!;
    return { id: s.id, networkId: s.networkId, cidr: s.cidr, gateway, stem };
  };
  const vip4 = info('vip4', `${V}.1`, V);
  const vip6 = V6 ? info('vip6', `${V6}::1`, V6) : null;
  const mem4 = info('mem4', `${M}.1`, M);

  const servers: { close(): Promise<void> }[] = [];
  let api: TestApi;
  try {
    api = await startTestApi({
      ...(options.engine ? { engine: options.engine } : {}),
      config: {
        ...options.config,
        controller_worker: {
          compute_driver: 'compute_netns_driver',
          network_driver: 'network_local_driver',
          amphora_driver: 'amphora_haproxy_rest_driver',
          ...options.config?.controller_worker,
        },
        netns: {
          name_prefix: prefix,
          mgmt_bridge: `${prefix}mg`,
          mgmt_cidr: `${MG}.1/24`,
          runtime_path: runtimePath,
          agent_command: agentCommand(),
          agent_max_restarts: 3,
          supervise_interval: 1,
          reconcile_interval: 60,
          ...options.config?.netns,
        },
        local_networks: networks,
        ...(options.healthManager
          ? {
              health_manager: {
                bind_ip: `${MG}.1`,
                bind_port: 5555,
                heartbeat_key: `key-${prefix}`,
                controller_ip_port_list: [`${MG}.1:5555`],
                heartbeat_interval: 1,
                ...options.config?.health_manager,
              },
            }
          : {}),
      },
    });
  } catch (err) {
    cleanupPrefix(prefix, [runtimePath]);
    throw err;
  }
  let receiver: HeartbeatReceiver | null = null;
  if (options.healthManager) {
    try {
      receiver = buildHeartbeatReceiver(api.config, api.deps.log, api.store);
      await receiver.start();
    } catch (err) {
      await api.close().catch(() => undefined);
      cleanupPrefix(prefix, [runtimePath]);
      throw err;
    }
  }

  const track = <T extends HttpServer | TcpServer>(server: T, address: string, port: number, name: string, served: () => number): Promise<Member> => {
    const listen = () =>
      new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen({ host: address, port }, () => {
          server.off('error', fail);
          ok();
        });
      });
    let open = false;
    const close = () =>
      new Promise<void>((ok) => {
        if (!open) return ok();
        open = false;
        (server as HttpServer).closeAllConnections?.();
        server.close(() => ok());
      });
    servers.push({ close });
    return listen().then(() => {
      open = true;
      return {
        name,
        address,
        port,
        served,
        close,
        reopen: async () => {
          if (open) return;
          await listen();
          open = true;
        },
      };
    });
  };

  const plane: DataPlane = {
    api,
    prefix,
    vip4,
    vip6,
    mem4,
    runtimePath,
    receiver,

    httpMember(name, address, port, o = {}) {
      let count = 0;
      let held: (() => void)[] = [];
      const server = createHttpServer((req, res) => {
        count++;
        const socket = req.socket as typeof req.socket & { proxyLine?: string };
        const reply: EchoReply = {
          member: name,
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          peer: `${socket.remoteAddress}:${socket.remotePort}`,
          proxyLine: socket.proxyLine ?? null,
        };
        const body = JSON.stringify(reply);
        const answer = () => {
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-member': name,
            ...(o.setCookie ? { 'set-cookie': `${o.setCookie}=${name}; Path=/` } : {}),
          });
          res.end(body);
        };
        if (o.hold && reply.path.startsWith('/hold')) held.push(answer);
        else answer();
      });
      const withHold = (m: Member): HttpMember => ({
        ...m,
        holding: () => held.length,
        release: () => {
          const waiting = held;
          held = [];
          for (const answer of waiting) answer();
        },
        close: () => {
          held = [];
          return m.close();
        },
      });
      server.keepAliveTimeout = 1000;
      if (o.proxyProtocol) {
        // Read the PROXY v1 line (or the v2 binary header) before handing the socket to HTTP (the
        // HTTP server itself never listens; its own 'connection' listener serves what we emit).
        const sockets = new Set<Socket>();
        const tcp = createTcpServer((socket) => {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
          socket.once('readable', () => {
            const head = socket.read() as Buffer | null;
            if (!head) return socket.destroy();
            let rest = head;
            let line: string | null = null;
            if (head.subarray(0, 6).toString('latin1') === 'PROXY ') {
              const end = head.indexOf('\r\n');
              line = head.subarray(0, end).toString('latin1');
              rest = head.subarray(end + 2);
            } else if (head.subarray(0, 12).equals(Buffer.from('0d0a0d0a000d0a515549540a', 'hex'))) {
              const len = head.readUInt16BE(14);
              line = `PROXYv2 ${head.subarray(12, 16 + len).toString('hex')}`;
              rest = head.subarray(16 + len);
            }
            (socket as typeof socket & { proxyLine?: string | null }).proxyLine = line ?? undefined;
            socket.unshift(rest);
            server.emit('connection', socket);
          });
        });
        // close() must not wait for connections HAProxy keeps open (a net.Server has no closeAllConnections).
        Object.assign(tcp, { closeAllConnections: () => sockets.forEach((s) => s.destroy()) });
        return track(tcp, address, port, name, () => count).then(withHold);
      }
      return track(server, address, port, name, () => count).then(withHold);
    },

    tcpMember(name, address, port) {
      let count = 0;
      const server = createTcpServer((socket) => {
        count++;
        socket.end(`${name}\n`);
      });
      return track(server, address, port, name, () => count);
    },

    http(url, o = {}) {
      return new Promise<HttpReply>((ok, fail) => {
        const req = httpRequest(
          url,
          {
            method: o.method ?? 'GET',
            headers: { connection: 'close', ...o.headers },
            agent: false,
            ...(o.localAddress ? { localAddress: o.localAddress } : {}),
            timeout: o.timeoutMs ?? 5000,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let json: unknown = null;
              try {
                json = JSON.parse(text);
              } catch {
                // not JSON (haproxy's own pages)
              }
              ok({ status: res.statusCode ?? 0, headers: res.headers, text, json });
            });
            res.on('error', fail);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
        req.on('error', fail);
        req.end();
      });
    },

    tcp(host, port, o = {}) {
      return new Promise<string>((ok, fail) => {
        const chunks: Buffer[] = [];
        const socket = connect({ host, port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
        socket.setTimeout(o.timeoutMs ?? 5000, () => socket.destroy(new Error(`timeout: ${host}:${port}`)));
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('end', () => ok(Buffer.concat(chunks).toString('utf8')));
        socket.on('error', fail);
      });
    },

    async createLoadBalancer(body, timeoutMs = 30_000) {
      const res = await api.request('POST', '/v2/lbaas/loadbalancers', { project: 'e2e', body: { loadbalancer: { vip_subnet_id: vip4.id, ...body } } });
      if (res.status !== 201) throw new Error(`load balancer create: ${res.status} ${res.text}`);
      const id = res.body.loadbalancer.id as string;
      const lb = await api.waitForStatus(`/v2/lbaas/loadbalancers/${id}`, 'loadbalancer', 'ACTIVE', timeoutMs).catch(async (err: Error) => {
        const now = await api.request('GET', `/v2/lbaas/loadbalancers/${id}`);
        throw new Error(`${err.message}\nnow: ${now.text}`);
      });
      return { id, vip: lb.vip_address as string, body: lb as Record<string, unknown> };
    },

    async waitActive(lbId, timeoutMs = 30_000) {
      await api.settle(timeoutMs);
      const lb = await api.request('GET', `/v2/lbaas/loadbalancers/${lbId}`);
      if (lb.body?.loadbalancer?.provisioning_status !== 'ACTIVE') throw new Error(`load balancer not ACTIVE: ${lb.text}`);
    },

    async deleteLoadBalancer(lbId, timeoutMs = 30_000) {
      const res = await api.request('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`, { project: 'e2e' });
      if (res.status !== 204) throw new Error(`load balancer delete: ${res.status} ${res.text}`);
      await api.waitForStatus(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', 'DELETED', timeoutMs).catch(async (err: Error) => {
        const now = await api.request('GET', `/v2/lbaas/loadbalancers/${lbId}`);
        if (now.body?.loadbalancer?.provisioning_status === 'DELETED') return;
        throw err;
      });
      await api.settle(timeoutMs);
    },

    leftovers: () => leftovers(prefix),

    async close() {
      for (const s of servers) await s.close().catch(() => undefined);
      try {
        await receiver?.stop();
        await api.close();
      } finally {
        cleanupPrefix(prefix, [runtimePath]);
        rmSync(runtimePath, { recursive: true, force: true });
      }
    },
  };
  return plane;
}
