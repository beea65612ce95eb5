/**
 * A test bench for the agent: an amphora namespace with a real `octavius agent` process in it,
 * certificates from a LocalCa, and a "network" namespace on the other end of the amphora's data
 * interfaces where member servers and load clients run.
 *
 *   root ns  <p>m (H.1/30) ──veth── mgmt0 (H.2/30)  <p>amp: the agent on :9443, haproxy, keepalived
 *                                   eth1 (MAC …:01) ──veth── c1 (198.18.201.1/24)  <p>net: members
 *                                   eth2 (MAC …:02) ──veth── c2 (198.18.202.1/24)      and clients
 *
 * Only the management /30 is in the root namespace (a free 198.18.x from host-network.ts); the data
 * networks exist only between the two namespaces of the bench. Everything carries the run's prefix
 * and goes in `cleanup()`, whatever happened.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupPrefix, freeSubnets24, testPrefix } from '../../../test/support/host-network.js';
import { LocalCa } from '../../drivers/certs/local-ca.js';
import { renderAgentConfig } from '../../render/agent-config.js';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '..', '..', '..');
export const VIP_NET = '198.18.201';
export const MEMBER_NET = '198.18.202';

export interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

export interface Lab {
  readonly prefix: string;
  readonly ampNs: string;
  readonly netNs: string;
  readonly amphoraId: string;
  readonly mgmtIp: string;
  readonly runtimeDir: string;
  readonly basePath: string;
  readonly certDir: string;
  readonly bootConfig: string;
  readonly ca: LocalCa;
  readonly vipMac: string;
  readonly memberMac: string;
  readonly agentLog: string;
  agentPid: number | null;
  startAgent(): Promise<void>;
  stopAgent(): Promise<void>;
  /** A request to the agent with the controller's certificate (or none: `clientCert: false`). */
  request(method: string, path: string, options?: { body?: string | Buffer; json?: unknown; clientCert?: boolean }): Promise<RawReply>;
  /** Runs a command in a namespace of the bench and returns stdout (throws on failure). */
  exec(ns: string, cmd: string, args: readonly string[]): string;
  /** Starts a long-running process in a namespace; killed by cleanup if still alive. */
  spawnIn(ns: string, cmd: string, args: readonly string[]): ChildProcess;
  cleanup(): Promise<void>;
}

function sh(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function createLab(name: string): Promise<Lab> {
  const prefix = testPrefix();
  const ampNs = `${prefix}amp`;
  const netNs = `${prefix}net`;
  const [mgmt] = freeSubnets24(1) as [string];
  // A random /30 of a free /24: two benches starting at once almost never pick the same one.
  const quad = 4 * Math.floor(Math.random() * 63);
  const hostIp = `${mgmt}.${quad + 1}`;
  const mgmtIp = `${mgmt}.${quad + 2}`;
  const amphoraId = randomUUID();
  const runtimeDir = mkdtempSync(`/dev/shm/octvt-${process.pid}-${name}-`);
  const caDir = mkdtempSync(join(tmpdir(), `octvt-ca-${process.pid}-`));
  const basePath = join(runtimeDir, 'base');
  const certDir = join(basePath, 'certs');
  const children: ChildProcess[] = [];
  const stem = Math.floor(Math.random() * 0xff).toString(16).padStart(2, '0');
  const vipMac = `02:0c:${stem}:00:00:01`;
  const memberMac = `02:0c:${stem}:00:00:02`;

  const ca = new LocalCa({ directory: caDir, passphrase: 'lab-passphrase', validityMs: 86_400_000, clock: { now: () => Date.now() } });
  const lab: Lab = {
    prefix,
    ampNs,
    netNs,
    amphoraId,
    mgmtIp,
    runtimeDir,
    basePath,
    certDir,
    bootConfig: join(runtimeDir, 'amphora-agent.conf'),
    ca,
    vipMac,
    memberMac,
    agentLog: join(runtimeDir, 'agent.log'),
    agentPid: null,
    exec: (ns, cmd, args) => sh('ip', ['netns', 'exec', ns, cmd, ...args]),
    spawnIn(ns, cmd, args) {
      const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(child);
      return child;
    },
    async startAgent() {
      const argv = ['--import', 'tsx', join(REPO, 'src', 'cli', 'main.ts'), 'agent', '--config-file', lab.bootConfig, '--config-file', join(runtimeDir, 'local.conf')];
      const out = openSync(lab.agentLog, 'a');
      const child = spawn('ip', ['netns', 'exec', ampNs, process.execPath, ...argv], { cwd: REPO, detached: true, stdio: ['ignore', out, out] });
      child.unref();
      lab.agentPid = child.pid ?? null;
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          const r = await lab.request('GET', '/');
          if (r.status === 200) return;
        } catch {
          // not up yet
        }
        if (Date.now() > deadline) throw new Error(`agent did not start:\n${readFileSync(lab.agentLog, 'utf8')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stopAgent() {
      const pid = lab.agentPid;
      if (pid === null) return;
      lab.agentPid = null;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async request(method, path, options = {}) {
      const client = await ca.controllerCertificate();
      const body = options.json !== undefined ? JSON.stringify(options.json) : options.body;
      return new Promise<RawReply>((resolvePromise, reject) => {
        const req = request(
          {
            host: mgmtIp,
            port: 9443,
            method,
            path,
            ca: readFileSync(join(runtimeDir, 'client_ca.pem')),
            ...(options.clientCert === false ? {} : { cert: client.certificatePem, key: client.privateKeyPem }),
            servername: amphoraId,
            agent: false,
            timeout: 60_000,
            headers: options.json !== undefined ? { 'Content-Type': 'application/json' } : {},
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.end(body);
      });
    },
    async cleanup() {
      await lab.stopAgent();
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      cleanupPrefix(prefix, [runtimeDir, caDir]);
    },
  };

  try {
    // Namespaces with the sysctls the netns compute driver sets on amphorae.
    sh('ip', ['netns', 'add', ampNs]);
    sh('ip', ['netns', 'add', netNs]);
    for (const s of ['net.ipv4.ip_nonlocal_bind=1', 'net.ipv6.ip_nonlocal_bind=1', 'net.ipv4.tcp_tw_reuse=1']) {
      sh('ip', ['netns', 'exec', ampNs, 'sysctl', '-qw', s]);
    }
    sh('ip', ['-n', netNs, 'link', 'set', 'lo', 'up']);
    // Management: the only link to the root namespace.
    sh('ip', ['link', 'add', `${prefix}m`, 'type', 'veth', 'peer', 'name', `${prefix}mi`]);
    sh('ip', ['link', 'set', `${prefix}mi`, 'netns', ampNs, 'name', 'mgmt0']);
    sh('ip', ['addr', 'add', `${hostIp}/30`, 'dev', `${prefix}m`]);
    sh('ip', ['link', 'set', `${prefix}m`, 'up']);
    sh('ip', ['-n', ampNs, 'addr', 'add', `${mgmtIp}/30`, 'dev', 'mgmt0']);
    sh('ip', ['-n', ampNs, 'link', 'set', 'mgmt0', 'up']);
    // Data interfaces: made in the root namespace with a known MAC, then moved, as a network
    // driver plugs a port into an amphora.
    for (const [n, mac, net] of [[1, vipMac, VIP_NET], [2, memberMac, MEMBER_NET]] as const) {
      sh('ip', ['link', 'add', `${prefix}a${n}`, 'address', mac, 'type', 'veth', 'peer', 'name', `${prefix}b${n}`]);
      sh('ip', ['link', 'set', `${prefix}a${n}`, 'netns', ampNs, 'name', `eth${n}`]);
      sh('ip', ['link', 'set', `${prefix}b${n}`, 'netns', netNs, 'name', `c${n}`]);
      sh('ip', ['-n', netNs, 'addr', 'add', `${net}.1/24`, 'dev', `c${n}`]);
      sh('ip', ['-n', netNs, 'link', 'set', `c${n}`, 'up']);
    }

    // Boot files as the netns compute driver writes them.
    mkdirSync(basePath, { recursive: true });
    const server = await ca.issueAmphoraCertificate(amphoraId);
    writeFileSync(join(runtimeDir, 'server.pem'), `${server.certificatePem}${server.privateKeyPem}`, { mode: 0o600 });
    writeFileSync(join(runtimeDir, 'client_ca.pem'), await ca.clientCaPem(), { mode: 0o600 });
    writeFileSync(
      lab.bootConfig,
      renderAgentConfig({
        amphoraId,
        topology: 'SINGLE',
        controllerIpPortList: [`${hostIp}:5555`],
        heartbeatKey: 'insecure',
        heartbeatInterval: 10,
        bindHost: '::',
        bindPort: 9443,
        basePath: '/var/lib/octavia',
        baseCertDir: '/var/lib/octavia/certs',
        haproxyCmd: '/usr/sbin/haproxy',
        userLogFacility: 0,
        administrativeLogFacility: 1,
        requestReadTimeout: 180,
        debug: true,
      }),
      { mode: 0o600 },
    );
    writeFileSync(
      join(runtimeDir, 'local.conf'),
      [
        '[amphora_agent]',
        `agent_server_cert = ${join(runtimeDir, 'server.pem')}`,
        `agent_server_ca = ${join(runtimeDir, 'client_ca.pem')}`,
        '',
        '[haproxy_amphora]',
        `base_path = ${basePath}`,
        `base_cert_dir = ${certDir}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
  } catch (err) {
    await lab.cleanup();
    throw err;
  }
  return lab;
}

/** A member HTTP server answering its name, in the network namespace. */
export async function startMember(lab: Lab, port: number, name: string): Promise<ChildProcess> {
  const child = lab.spawnIn(lab.netNs, process.execPath, [join(here, 'member.mjs'), `${VIP_NET}.1`, String(port), name]);
  await new Promise<void>((resolvePromise, reject) => {
    child.stdout!.once('data', () => resolvePromise());
    child.once('exit', (code) => reject(new Error(`member ${name} exited with ${code}`)));
  });
  return child;
}

export interface LoadReport {
  readonly ok: number;
  readonly failed: number;
  readonly errors: readonly string[];
  readonly byName: Readonly<Record<string, number>>;
}

/** A keep-alive client sending requests to `url` from the network namespace until `stop()`. */
export function startLoad(lab: Lab, url: string, connections = 4): { stop(): Promise<LoadReport>; progress(): Promise<LoadReport> } {
  const child = lab.spawnIn(lab.netNs, process.execPath, [join(here, 'load-client.mjs'), url, String(connections)]);
  let buffer = '';
  const waiters: ((r: LoadReport) => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(JSON.parse(line) as LoadReport);
    }
  });
  const ask = (command: string): Promise<LoadReport> =>
    new Promise((resolvePromise) => {
      waiters.push(resolvePromise);
      child.stdin!.write(`${command}\n`);
    });
  return { progress: () => ask('report'), stop: () => ask('stop') };
}
