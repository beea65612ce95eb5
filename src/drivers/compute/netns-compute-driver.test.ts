/**
 * The netns compute driver on this host: real namespaces, veths and a management bridge, all named
 * with a per-run prefix and addressed inside 198.18.0.0/15; removed in `after` whatever happened.
 * The agent is a stand-in that listens on the agent port (the real agent has its own test below).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { checkServerIdentity } from 'node:tls';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanupPrefix, freeSubnets24, leftovers, rootSkipReason, testPrefix } from '../../../test/support/host-network.js';
import { newId } from '../../lib/ids.js';
import { sleep, systemClock } from '../../lib/clock.js';
import { renderAgentConfig } from '../../render/agent-config.js';
import { LocalCa } from '../certs/local-ca.js';
import type { AmphoraBootFiles, AmphoraBuildRequest } from './compute-driver.js';
import { computeDriverConformance } from './compute-driver.conformance.js';
import { MgmtAddressPool } from './mgmt-addresses.js';
import { defaultAgentEntry, listensOn, readPidFile } from './netns-agent.js';
import { NetnsComputeDriver, type NetnsComputeOptions } from './netns-compute-driver.js';

const skip = rootSkipReason();
const prefix = testPrefix();
const runtimePath = `/dev/shm/octavius-test-${prefix.slice(0, -1)}`;
const [stem] = skip ? ['198.18.255'] : freeSubnets24(1);
const FAKE_AGENT = `exec ${process.execPath} -e "require('net').createServer().listen(9443, process.argv[1])" {mgmt_ip}`;

const options: NetnsComputeOptions = {
  namePrefix: prefix,
  mgmtBridge: `${prefix}mgmt`,
  mgmtCidr: `${stem}.1/24`,
  runtimePath,
  agentCommand: FAKE_AGENT,
};

const bootFiles = async (): Promise<AmphoraBootFiles> => ({
  serverPem: '-----BEGIN CERTIFICATE-----\nnot a real one\n-----END CERTIFICATE-----\n',
  clientCaPem: '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n',
  agentConfig: '[haproxy_amphora]\nbind_port = 9443\n',
});

function request(amphoraId = newId()): AmphoraBuildRequest {
  return {
    amphoraId,
    name: `amphora-${amphoraId}`,
    computeFlavor: null,
    imageTag: null,
    availabilityZone: null,
    serverGroupId: null,
    bootFiles: {
      serverPem: 'server\n',
      clientCaPem: 'ca\n',
      agentConfig: '[haproxy_amphora]\nbind_port = 9443\n',
    },
  };
}

async function waitFor(driver: NetnsComputeDriver, computeId: string, status: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (await driver.get(computeId)).status;
    if (last === status) return;
    await sleep(25);
  }
  assert.fail(`${computeId} not ${status} within ${timeoutMs} ms (last ${last})`);
}

function tcpConnects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 1000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

const nsOut = (ns: string, ...args: string[]): string => execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8' });

describe('netns compute driver', { skip }, () => {
  after(() => cleanupPrefix(prefix, [runtimePath]));

  computeDriverConformance({ name: 'netns', create: async () => new NetnsComputeDriver(options), bootFiles, activeTimeoutS: 15 });

  test('an amphora is a namespace with mgmt0 on the management bridge, its sysctls, tmpfs files and a reachable agent', async () => {
    const driver = new NetnsComputeDriver(options);
    const amphoraId = newId();
    const computeId = await driver.build(request(amphoraId));
    assert.equal(computeId, `${prefix}amp-${amphoraId.slice(0, 8)}`);
    await waitFor(driver, computeId, 'ACTIVE');
    const { lbNetworkIp } = await driver.get(computeId);
    assert.ok(lbNetworkIp?.startsWith(`${stem}.`) && lbNetworkIp !== `${stem}.1`, `management address ${lbNetworkIp}`);

    const addr = JSON.parse(execFileSync('ip', ['-n', computeId, '-j', 'address', 'show', 'mgmt0'], { encoding: 'utf8' }))[0];
    assert.deepEqual(addr.addr_info.filter((a: { family: string }) => a.family === 'inet').map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`), [`${lbNetworkIp}/24`]);
    const host = JSON.parse(execFileSync('ip', ['-j', 'link', 'show', `${prefix}m${amphoraId.slice(0, 8)}`], { encoding: 'utf8' }))[0];
    assert.equal(host.master, `${prefix}mgmt`);
    assert.equal(nsOut(computeId, 'sysctl', '-n', 'net.ipv4.ip_nonlocal_bind').trim(), '1');
    assert.equal(nsOut(computeId, 'sysctl', '-n', 'net.ipv6.ip_nonlocal_bind').trim(), '1');
    assert.equal(nsOut(computeId, 'sysctl', '-n', 'net.ipv4.tcp_tw_reuse').trim(), '1');
    assert.equal(nsOut(computeId, 'sysctl', '-n', 'net.ipv4.ip_local_port_range').trim().replace(/\s+/g, ' '), '1025 65534');

    const dir = join(runtimePath, computeId);
    assert.equal(readFileSync(join(dir, 'server.pem'), 'utf8'), 'server\n');
    assert.equal(statSync(join(dir, 'server.pem')).mode & 0o777, 0o600);
    const local = readFileSync(join(dir, 'local.conf'), 'utf8');
    assert.match(local, new RegExp(`agent_server_cert = ${dir}/server.pem`));
    assert.match(local, new RegExp(`agent_server_ca = ${dir}/client_ca.pem`));
    assert.match(local, new RegExp(`base_path = ${dir}/base\\n`));
    assert.match(local, new RegExp(`base_cert_dir = ${dir}/base/certs`));
    assert.match(local, new RegExp(`bind_host = ${lbNetworkIp!.replace(/\./g, '\\.')}`));

    // The controller (root namespace) reaches the agent over the management bridge.
    assert.equal(await tcpConnects(lbNetworkIp!, 9443), true);
    const pid = readPidFile(join(dir, 'agent.pid'))!;
    assert.ok(execFileSync('ip', ['netns', 'pids', computeId], { encoding: 'utf8' }).split('\n').includes(String(pid.pid)));

    await driver.delete(computeId);
    assert.equal(existsSync(`/run/netns/${computeId}`), false);
    assert.equal(existsSync(`/sys/class/net/${prefix}m${amphoraId.slice(0, 8)}`), false);
    assert.equal(existsSync(dir), false);
    assert.equal(existsSync(`/proc/${pid.pid}`) && !readFileSync(`/proc/${pid.pid}/stat`, 'utf8').includes(') Z'), false, 'agent process gone');
    assert.equal(await tcpConnects(lbNetworkIp!, 9443), false);
  });

  test('delete kills every process of the namespace, also ones the agent did not start, and may be repeated', async () => {
    const driver = new NetnsComputeDriver(options);
    const computeId = await driver.build(request());
    await waitFor(driver, computeId, 'ACTIVE');
    // A stray process inside the namespace (as haproxy would be), started outside the driver.
    const stray = spawn('ip', ['netns', 'exec', computeId, 'sleep', '300'], { stdio: 'ignore', detached: true });
    await new Promise((r) => stray.once('spawn', r));
    await sleep(100);
    assert.ok(execFileSync('ip', ['netns', 'pids', computeId], { encoding: 'utf8' }).split('\n').includes(String(stray.pid)));
    const exited = new Promise((r) => stray.once('exit', r));
    await driver.delete(computeId);
    await exited;
    await driver.delete(computeId);
    assert.equal((await driver.get(computeId)).status, 'DELETED');
    assert.deepEqual(await driver.listInstances(), []);
  });

  test('a dead agent is restarted (by get and by supervise); one that keeps dying makes the amphora ERROR and is reported', async () => {
    const driver = new NetnsComputeDriver({ ...options, agentMaxRestarts: 2 });
    const computeId = await driver.build(request());
    await waitFor(driver, computeId, 'ACTIVE');
    const pidFile = join(runtimePath, computeId, 'agent.pid');
    const kill = async (): Promise<number> => {
      const { pid } = readPidFile(pidFile)!;
      process.kill(pid, 'SIGKILL');
      while (existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')) await sleep(10);
      return pid;
    };

    const first = await kill();
    assert.equal((await driver.get(computeId)).status, 'BUILDING', 'restarted on the spot');
    await waitFor(driver, computeId, 'ACTIVE');
    assert.notEqual(readPidFile(pidFile)!.pid, first);

    await kill();
    const report = await driver.supervise();
    assert.deepEqual(report, { restarted: [computeId], failed: [] });
    await waitFor(driver, computeId, 'ACTIVE');

    await kill();
    assert.equal((await driver.get(computeId)).status, 'ERROR', 'third death within a minute');
    const again = await driver.supervise();
    assert.deepEqual(again.restarted, []);
    assert.equal(again.failed.length, 1);
    assert.equal(again.failed[0]!.computeId, computeId);
    assert.match(again.failed[0]!.reason, /agent died 3 times/);
    await driver.delete(computeId);
  });

  test('an agent that cannot start at all ends in ERROR, with its output kept for the operator', async () => {
    const driver = new NetnsComputeDriver({ ...options, agentCommand: 'echo cannot start >&2; exit 3', agentMaxRestarts: 1 });
    const computeId = await driver.build(request());
    await waitFor(driver, computeId, 'ERROR');
    assert.match((await driver.supervise()).failed[0]!.reason, /cannot start/);
    await driver.delete(computeId);
  });

  test('a new driver (controller restart) adopts running amphorae; reconcile deletes only unknown ones past the grace time', async () => {
    const first = new NetnsComputeDriver(options);
    const kept = await first.build(request());
    const orphan = await first.build(request());
    await waitFor(first, kept, 'ACTIVE');
    await waitFor(first, orphan, 'ACTIVE');
    const keptPid = readPidFile(join(runtimePath, kept, 'agent.pid'))!.pid;

    const second = new NetnsComputeDriver(options);
    assert.deepEqual(await second.listInstances(), [kept, orphan].sort());
    assert.equal((await second.get(kept)).status, 'ACTIVE');
    assert.deepEqual(await second.reconcile([kept]), [], 'young instances are spared');
    assert.deepEqual(await second.reconcile([kept], { graceMs: 0 }), [orphan]);
    assert.equal((await second.get(orphan)).status, 'DELETED');
    assert.equal((await second.get(kept)).status, 'ACTIVE');
    assert.equal(readPidFile(join(runtimePath, kept, 'agent.pid'))!.pid, keptPid, 'the running agent was left alone');
    assert.ok(listensOn(keptPid, 9443));
    await second.delete(kept);
  });

  test('builds in parallel get distinct management addresses; a second build of the same amphora is the same instance', async () => {
    const driver = new NetnsComputeDriver(options);
    const req = request();
    const ids = await Promise.all([driver.build(req), driver.build(req), ...Array.from({ length: 4 }, () => driver.build(request()))]);
    assert.equal(ids[0], ids[1]);
    const ips = await Promise.all([...new Set(ids)].map(async (id) => (await driver.get(id)).lbNetworkIp));
    assert.equal(new Set(ips).size, 5);
    for (const id of new Set(ids)) await driver.delete(id);
  });

  test('nothing with the run prefix is left after deletes and removing the management bridge', async () => {
    const driver = new NetnsComputeDriver(options);
    assert.deepEqual(await driver.listInstances(), []);
    await driver.removeMgmtBridge();
    assert.deepEqual(leftovers(prefix), []);
    const inRuntime = readdirSync(runtimePath).filter((n) => n !== 'locks' && n !== 'mgmt-ips');
    assert.deepEqual(inRuntime, []);
    assert.deepEqual(readdirSync(join(runtimePath, 'mgmt-ips')), []);
  });
});

describe('management addresses', () => {
  test('two processes reserving at the same time never get the same address', async () => {
    const dir = mkdtempSync('/dev/shm/octavius-test-mgmt-');
    try {
      const script = `
        import { MgmtAddressPool } from ${JSON.stringify(new URL('./mgmt-addresses.ts', import.meta.url).href)};
        const pool = new MgmtAddressPool(process.argv[1], '198.18.250.1/24');
        const got = [];
        for (let i = 0; i < 60; i++) got.push(pool.reserve('owner-' + process.pid));
        console.log(JSON.stringify(got));`;
      const runOne = () =>
        new Promise<string[]>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`))));
        });
      const [a, b] = await Promise.all([runOne(), runOne()]);
      assert.equal(a.length + b.length, 120);
      assert.equal(new Set([...a, ...b]).size, 120);
      assert.ok(![...a, ...b].includes('198.18.250.1'), 'the controller address is never handed out');
      const pool = new MgmtAddressPool(dir, '198.18.250.1/24');
      assert.equal(pool.reservations().length, 120);
      // 254 host addresses minus the controller's: 253 in all.
      for (let i = 0; i < 133; i++) pool.reserve('filler');
      assert.throws(() => pool.reserve('one-too-many'), /no free address/);
    } finally {
      execFileSync('rm', ['-rf', dir]);
    }
  });

  test('the agent entry is found from the driver module, not from the script that runs', () => {
    const argv = defaultAgentEntry();
    assert.equal(argv[0], process.execPath);
    assert.equal(argv[1], '--import');
    assert.match(argv[2]!, /^file:\/\/.*\/tsx\/dist\/loader\.mjs$/);
    assert.equal(argv[3], new URL('../../cli/main.ts', import.meta.url).pathname);
  });
});

describe('netns compute driver with the real agent', { skip }, () => {
  const realPrefix = testPrefix();
  const realRuntime = `/dev/shm/octavius-test-${realPrefix.slice(0, -1)}`;
  let pkiDir = '';
  after(() => cleanupPrefix(realPrefix, [realRuntime, ...(pkiDir ? [pkiDir] : [])]));

  test('the controller reaches `octavius agent` in a new amphora over mutual TLS, identity = amphora id', async () => {
    const [realStem] = freeSubnets24(1);
    pkiDir = mkdtempSync('/dev/shm/octavius-test-pki-');
    const ca = new LocalCa({ directory: pkiDir, passphrase: 'test-passphrase', validityMs: 86_400_000, clock: systemClock });
    const driver = new NetnsComputeDriver({ namePrefix: realPrefix, mgmtBridge: `${realPrefix}mgmt`, mgmtCidr: `${realStem}.1/24`, runtimePath: realRuntime });
    const amphoraId = newId();
    const cert = await ca.issueAmphoraCertificate(amphoraId);
    const agentConfig = renderAgentConfig({
      amphoraId,
      topology: 'SINGLE',
      controllerIpPortList: [],
      heartbeatKey: null,
      heartbeatInterval: 10,
      bindHost: '::',
      bindPort: 9443,
      basePath: '/var/lib/octavia',
      baseCertDir: '/var/lib/octavia/certs',
      haproxyCmd: '/usr/sbin/haproxy',
      userLogFacility: 0,
      administrativeLogFacility: 1,
      requestReadTimeout: 180,
      debug: false,
    });
    const computeId = await driver.build({
      ...request(amphoraId),
      bootFiles: { serverPem: `${cert.certificatePem.trimEnd()}\n${cert.privateKeyPem.trimEnd()}\n`, clientCaPem: await ca.clientCaPem(), agentConfig },
    });
    try {
      await waitFor(driver, computeId, 'ACTIVE', 60_000);
      const { lbNetworkIp } = await driver.get(computeId);
      const client = await ca.controllerCertificate();
      const serverCa = await ca.serverCaPem();
      const get = (servername: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = httpsRequest(
            {
              host: lbNetworkIp!,
              port: 9443,
              path: '/',
              agent: false, // a new TLS handshake per request: the identity check must run each time
              cert: client.certificatePem,
              key: client.privateKeyPem,
              ca: serverCa,
              servername: amphoraId,
              checkServerIdentity: (_host, peer) => checkServerIdentity(servername, peer),
            },
            (res) => {
              let body = '';
              res.on('data', (d) => (body += d));
              res.on('end', () => resolve({ status: res.statusCode!, body }));
            },
          );
          req.once('error', reject);
          req.end();
        });
      assert.deepEqual(await get(amphoraId), { status: 200, body: '{"api_version":"1.0"}' });
      await assert.rejects(get(newId()), /does not match|not in the cert/i, 'the certificate names this amphora only');
      const pid = readPidFile(join(realRuntime, computeId, 'agent.pid'))!;
      assert.ok(execFileSync('ip', ['netns', 'pids', computeId], { encoding: 'utf8' }).split('\n').includes(String(pid.pid)));
      // Its files are on tmpfs, in the runtime directory.
      assert.ok(existsSync(join(realRuntime, computeId, 'base')));
    } finally {
      await driver.delete(computeId);
      await driver.removeMgmtBridge();
    }
    assert.deepEqual(leftovers(realPrefix), []);
  });
});
