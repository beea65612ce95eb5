/**
 * `octavius demo`: a guided tour against a running Octavius (`npm run up` as root). It starts two
 * member HTTP servers on this host, creates a load balancer with a listener, a pool, the two members
 * and a health monitor through the API (one single-call create), requests the VIP several times to
 * show round robin, and removes everything again.
 */
import { createServer, type Server } from 'node:http';

export interface DemoOptions {
  readonly endpoint: string;
  readonly project: string;
  readonly requests: number;
  readonly out: (line: string) => void;
}

interface SubnetView {
  id: string;
  name: string;
  cidr: string;
  gateway_ip: string | null;
  ip_version: number;
}

async function api<T>(o: DemoOptions, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${o.endpoint}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-project-id': o.project },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

function memberServer(name: string, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(`hello from ${name} (${host}:${port}), you asked for ${req.url}\n`);
    });
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

export async function runDemo(o: DemoOptions): Promise<number> {
  const say = o.out;
  const subnets = await api<{ subnets: SubnetView[] }>(o, 'GET', '/v2.0/subnets');
  const subnet = subnets.body?.subnets?.find((s) => s.ip_version === 4 && s.gateway_ip);
  if (subnets.status !== 200 || !subnet) {
    say('No IPv4 network with a gateway is configured: Octavius runs on the noop drivers (run `npm run up` as root to get real amphorae).');
    return 1;
  }
  const host = subnet.gateway_ip!;
  say(`Using subnet ${subnet.name || subnet.id} (${subnet.cidr}); member servers listen on this host at ${host}.`);
  const servers = [await memberServer('member-1', host, 18081), await memberServer('member-2', host, 18082)];
  let lbId: string | null = null;
  try {
    const created = await api<{ loadbalancer: { id: string; vip_address: string } }>(o, 'POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: {
        name: 'demo',
        vip_subnet_id: subnet.id,
        listeners: [
          {
            name: 'demo-http',
            protocol: 'HTTP',
            protocol_port: 80,
            default_pool: {
              name: 'demo-pool',
              protocol: 'HTTP',
              lb_algorithm: 'ROUND_ROBIN',
              healthmonitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, url_path: '/' },
              members: [
                { name: 'member-1', address: host, protocol_port: 18081, subnet_id: subnet.id },
                { name: 'member-2', address: host, protocol_port: 18082, subnet_id: subnet.id },
              ],
            },
          },
        ],
      },
    });
    if (created.status !== 201) {
      say(`Creating the load balancer failed: ${created.status} ${JSON.stringify(created.body)}`);
      return 1;
    }
    lbId = created.body.loadbalancer.id;
    const vip = created.body.loadbalancer.vip_address;
    const started = Date.now();
    say(`POST /v2/lbaas/loadbalancers → load balancer ${lbId}, VIP ${vip}; waiting for ACTIVE ...`);
    for (;;) {
      const lb = await api<{ loadbalancer: { provisioning_status: string } }>(o, 'GET', `/v2/lbaas/loadbalancers/${lbId}`);
      const status = lb.body.loadbalancer.provisioning_status;
      if (status === 'ACTIVE') break;
      if (status === 'ERROR' || Date.now() - started > 60_000) {
        say(`The load balancer is ${status}; giving up.`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    say(`ACTIVE after ${Date.now() - started} ms. Requesting http://${vip}/ ${o.requests} times (a new connection each):`);
    for (let i = 1; i <= o.requests; i++) {
      try {
        const res = await fetch(`http://${vip}/request-${i}`, { headers: { connection: 'close' } });
        say(`  ${i}: ${res.status} ${(await res.text()).trim()}`);
      } catch (err) {
        say(`  ${i}: failed: ${(err as Error).message}`);
      }
    }
    return 0;
  } finally {
    if (lbId) {
      say('Cleaning up: DELETE the load balancer (cascade) ...');
      await api(o, 'DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`);
      for (const started = Date.now(); Date.now() - started < 30_000; ) {
        const res = await api(o, 'GET', `/v2/lbaas/loadbalancers/${lbId}`);
        if (res.status === 404) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (const s of servers) s.close();
    say('Done.');
  }
}
