/**
 * The agent's load balancer endpoints against a real `octavius agent` in a network namespace, with
 * real haproxy and traffic (testdata/lab.ts): upload, start, reload under load, runtime member
 * changes, supervision, adoption after an agent restart, certificates, delete.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rootSkipReason } from '../../test/support/host-network.js';
import { showProc } from './master-cli.js';
import { createLab, startLoad, startMember, VIP_NET, type Lab } from './testdata/lab.js';

const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');
/** Exists and is not a zombie (an orphaned haproxy may stay one where pid 1 does not reap). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | null | false> | T | null | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('amphora agent: HAProxy', { skip: rootSkipReason() }, () => {
  let lab: Lab;
  const lb = randomUUID();
  const listener = randomUUID();
  const pool = randomUUID();
  const vip = `${VIP_NET}.10`;

  const config = (servers: readonly string[], timeoutClient = '30s') => `global
    maxconn 50000
    nbthread 1
    hard-stop-after 30s
    stats socket ${lab.basePath}/${lb}.sock mode 0666 level user
    server-state-file ${lab.basePath}/${lb}/servers-state
    group haproxy

defaults
    mode http
    timeout connect 2s
    timeout client ${timeoutClient}
    timeout server 30s
    option idle-close-on-response
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend ${listener}
    bind ${vip}:80
    mode http
    default_backend ${pool}:${listener}

backend ${pool}:${listener}
    mode http
    balance roundrobin
    load-server-state-from-file global
${servers.map((s) => `    ${s}`).join('\n')}
`;
  const masterSocket = () => join(lab.basePath, lb, 'master.sock');
  const upload = (text: string) => lab.request('PUT', `/1.0/loadbalancer/${lab.amphoraId}/${lb}/haproxy`, { body: text });
  const action = (a: string, id = lb) => lab.request('PUT', `/1.0/loadbalancer/${id}/${a}`);
  const worker = async () => (await showProc(masterSocket()))!.workers[0]!;

  /** Sends requests from the network namespace for `ms` and returns what answered. */
  async function traffic(ms = 600): Promise<{ ok: number; failed: number; byName: Record<string, number>; errors: readonly string[] }> {
    const load = startLoad(lab, `http://${vip}/`, 2);
    await sleep(ms);
    return { ...(await load.stop()) } as never;
  }

  before(async () => {
    lab = await createLab('hap');
    await lab.startAgent();
    // The VIP on eth1, as the controller's plug/vip leaves it.
    const r = await lab.request('POST', `/1.0/plug/vip/${vip}`, {
      json: { subnet_cidr: `${VIP_NET}.0/24`, gateway: `${VIP_NET}.1`, mac_address: lab.vipMac, vrrp_ip: `${VIP_NET}.11`, mtu: 1500, host_routes: [] },
    });
    assert.equal(r.status, 202, r.text);
    for (const [port, name] of [[8081, 'm1'], [8082, 'm2'], [8083, 'm3']] as const) await startMember(lab, port, name);
  });

  after(async () => {
    if (lab) await lab.cleanup();
  });

  test('an invalid configuration is refused with haproxy output and kept as -failed', async () => {
    const r = await upload('global\n    maxconn 10\nfrontend x\n    bind :80\n    not_a_keyword yes\n');
    assert.equal(r.status, 400);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['connection'], 'close');
    const body = JSON.parse(r.text) as { message: string; details: string };
    assert.equal(body.message, 'Invalid request');
    assert.match(body.details, /haproxy\.cfg\.new:5/);
    assert.match(body.details, /not_a_keyword/);
    assert.ok(existsSync(join(lab.basePath, lb, 'haproxy.cfg.new-failed')));
    assert.ok(!existsSync(join(lab.basePath, lb, 'haproxy.cfg')));
    const missing = await lab.request('GET', `/1.0/loadbalancer/${lb}/haproxy`);
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.text), { message: 'Loadbalancer Not Found', details: `No loadbalancer with UUID: ${lb}` });
    assert.equal((await action('start')).status, 404);
  });

  test('upload, start and traffic; maxconn capped to the open-files limit', async () => {
    const text = config(['server m1 198.18.201.1:8081 weight 1']);
    const r = await upload(text);
    assert.equal(r.status, 202, r.text);
    assert.equal(r.text, '{"message":"OK"}');
    assert.equal(r.headers['etag'], md5(text));

    const got = await lab.request('GET', `/1.0/loadbalancer/${lb}/haproxy`);
    assert.equal(got.status, 200);
    assert.equal(got.headers['content-type'], 'text/plain; charset=UTF-8');
    assert.equal(got.headers['etag'], md5(got.text));
    // Hard limit 20000 here: (20000 - 100) / 2.
    const details = JSON.parse((await lab.request('GET', '/1.0/details')).text) as { max_open_files: number };
    assert.match(got.text, new RegExp(`^    maxconn ${Math.floor((details.max_open_files - 100) / 2)}$`, 'm'));
    assert.doesNotMatch(got.text, /^\s*group /m);

    const started = await action('start');
    assert.equal(started.status, 202, started.text);
    assert.deepEqual(JSON.parse(started.text), { message: 'OK', details: `Configuration file is valid\nhaproxy daemon for ${lb} started` });
    const limits = readFileSync(`/proc/${(await showProc(masterSocket()))!.masterPid}/limits`, 'utf8');
    assert.match(limits, new RegExp(`Max open files\\s+${details.max_open_files}\\s+${details.max_open_files}`));

    const t = await traffic();
    assert.ok(t.ok > 0 && t.failed === 0, JSON.stringify(t));
    assert.deepEqual(Object.keys(t.byName), ['m1']);

    assert.deepEqual(JSON.parse((await lab.request('GET', '/1.0/listeners')).text), [{ status: 'ACTIVE', uuid: listener, type: 'HTTP' }]);
    const d = JSON.parse((await lab.request('GET', '/1.0/details')).text) as { haproxy_count: number; listeners: string[] };
    assert.equal(d.haproxy_count, 1);
    assert.deepEqual(d.listeners, [listener]);
  });

  test('members added, reweighted and removed through the runtime API: the worker is not replaced', async () => {
    const pid = await worker();
    let r = await upload(config(['server m1 198.18.201.1:8081 weight 1', 'server m2 198.18.201.1:8082 weight 1']));
    assert.equal(r.status, 202, r.text);
    r = await action('reload');
    assert.deepEqual(JSON.parse(r.text), { message: 'OK', details: `Listener ${lb} reloaded` });
    assert.equal(await worker(), pid, 'no reload happened');
    let t = await traffic();
    assert.ok(t.failed === 0 && (t.byName['m1'] ?? 0) > 0 && (t.byName['m2'] ?? 0) > 0, JSON.stringify(t));

    // m2 out, m3 in (disabled), m1 reweighted.
    await upload(config(['server m1 198.18.201.1:8081 weight 3', 'server m3 198.18.201.1:8083 weight 1 disabled']));
    await action('reload');
    assert.equal(await worker(), pid);
    const state = await lab.request('GET', `/1.0/loadbalancer/${lb}/haproxy`);
    assert.match(state.text, /server m3 .* disabled/);
    t = await traffic();
    assert.deepEqual(Object.keys(t.byName), ['m1'], JSON.stringify(t));

    // Enabling m3 is an admin-state change: still no reload.
    await upload(config(['server m1 198.18.201.1:8081 weight 1', 'server m3 198.18.201.1:8083 weight 1']));
    await action('reload');
    assert.equal(await worker(), pid);
    t = await traffic();
    assert.deepEqual(Object.keys(t.byName).sort(), ['m1', 'm3'], JSON.stringify(t));
  });

  test('reloads under keep-alive load lose no request', async () => {
    const load = startLoad(lab, `http://${vip}/`, 4);
    await sleep(300);
    const workers = new Set<number>([await worker()]);
    for (let i = 0; i < 8; i++) {
      // A change outside server lines: a real reload through the master socket.
      assert.equal((await upload(config(['server m1 198.18.201.1:8081 weight 1', 'server m3 198.18.201.1:8083 weight 1'], `${31 + i}s`))).status, 202);
      const r = await action('reload');
      assert.equal(r.status, 202, r.text);
      workers.add(await worker());
      await sleep(150);
    }
    const report = await load.stop();
    assert.equal(workers.size, 9, 'every reload started a new worker');
    assert.equal(report.failed, 0, JSON.stringify(report.errors));
    assert.ok(report.ok > 100, `only ${report.ok} requests`);
  });

  test('actions: unknown action, stop, reload of a stopped haproxy starts it', async () => {
    const bad = await action('restart');
    assert.equal(bad.status, 400);
    assert.deepEqual(JSON.parse(bad.text), { message: 'Invalid Request', details: 'Unknown action: restart' });
    const stop = await action('stop');
    assert.deepEqual(JSON.parse(stop.text), { message: 'OK', details: `Listener ${lb} stoped` });
    assert.equal(JSON.parse((await lab.request('GET', '/1.0/details')).text).haproxy_count, 0);
    const again = await action('stop');
    assert.equal(again.status, 202);
    const reload = await action('RELOAD');
    assert.deepEqual(JSON.parse(reload.text), { message: 'OK', details: `Configuration file is valid\nhaproxy daemon for ${lb} started` });
    assert.equal((await traffic()).failed, 0);
  });

  test('a haproxy that dies is restarted by the agent', async () => {
    const before = (await showProc(masterSocket()))!.masterPid;
    process.kill(before, 'SIGKILL');
    const after = await until('a new haproxy master', async () => {
      const p = await showProc(masterSocket()).catch(() => null);
      return p !== null && p.masterPid !== before && p.workers.length > 0 ? p.masterPid : null;
    });
    assert.notEqual(after, before);
    const t = await traffic();
    assert.ok(t.ok > 0 && t.failed === 0, JSON.stringify(t));
  });

  test('haproxy keeps serving while the agent restarts, and the new agent adopts it', async () => {
    const master = (await showProc(masterSocket()))!.masterPid;
    await lab.stopAgent();
    const t = await traffic(300);
    assert.ok(t.ok > 0 && t.failed === 0, JSON.stringify(t));
    await lab.startAgent();
    assert.equal((await showProc(masterSocket()))!.masterPid, master, 'not restarted');
    const d = JSON.parse((await lab.request('GET', '/1.0/details')).text) as { haproxy_count: number };
    assert.equal(d.haproxy_count, 1);
    // The adopted haproxy still takes reloads.
    const w = await worker();
    await upload(config(['server m1 198.18.201.1:8081 weight 1'], '40s'));
    assert.equal((await action('reload')).status, 202);
    assert.notEqual(await worker(), w);
  });

  test('certificates: upload with md5, read back, delete; file names are checked', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const path = `/1.0/loadbalancer/${lb}/certificates/${listener}.pem`;
    const put = await lab.request('PUT', path, { body: pem });
    assert.equal(put.status, 200);
    assert.equal(put.text, '{"message":"OK"}');
    assert.equal(put.headers['etag'], md5(pem));
    const file = join(lab.certDir, lb, `${listener}.pem`);
    assert.equal(readFileSync(file, 'utf8'), pem);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const get = await lab.request('GET', path);
    assert.deepEqual(JSON.parse(get.text), { md5sum: md5(pem) });
    assert.equal(get.headers['etag'], md5(pem));

    for (const bad of ['cert.txt', 'pem', '.hidden.pem', '%2Etmp.pem']) {
      const r = await lab.request('PUT', `/1.0/loadbalancer/${lb}/certificates/${bad}`, { body: pem });
      assert.equal(r.status, 400, bad);
      assert.equal(r.text, '{"message":"Filename has wrong format"}');
      assert.equal((await lab.request('GET', `/1.0/loadbalancer/${lb}/certificates/${bad}`)).status, 400);
    }
    // A name with a slash is no route at all (Werkzeug matches the decoded path).
    assert.equal((await lab.request('PUT', `/1.0/loadbalancer/${lb}/certificates/..%2Fescape.pem`, { body: pem })).status, 404);
    assert.ok(!existsSync(join(lab.certDir, 'escape.pem')));

    assert.equal((await lab.request('DELETE', path)).status, 200);
    assert.ok(!existsSync(file));
    const gone = await lab.request('GET', path);
    assert.equal(gone.status, 404);
    assert.deepEqual(JSON.parse(gone.text), { message: 'Certificate Not Found', details: `No certificate with filename: ${listener}.pem` });
    assert.equal((await lab.request('DELETE', path)).status, 200);
  });

  test('DELETE /listeners/<lb> stops haproxy and removes its files; unknown ids answer OK', async () => {
    const master = (await showProc(masterSocket()))!.masterPid;
    const r = await lab.request('DELETE', `/1.0/listeners/${lb}`);
    assert.equal(r.status, 200);
    assert.equal(r.text, '{"message":"OK"}');
    await until('haproxy gone', () => !alive(master));
    assert.ok(!existsSync(join(lab.basePath, lb)));
    assert.ok(!existsSync(join(lab.certDir, lb)));
    assert.deepEqual(JSON.parse((await lab.request('GET', '/1.0/listeners')).text), []);
    assert.equal((await lab.request('DELETE', `/1.0/listeners/${randomUUID()}`)).status, 200);
    assert.equal((await traffic(200)).ok, 0);
  });
});
