/**
 * The `octavius` executable: `db upgrade`, `api` and `worker` started from an upstream-style noop
 * octavia.conf (only deployment values changed: port, database URL, paths), clean and prompt
 * shutdown on SIGTERM and SIGINT, and a configuration with bad values refused with every problem.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '../../bench/lib.js';
import { createTestDatabase, engines } from '../support/databases.js';

const root = new URL('../..', import.meta.url).pathname;
const SUBNET = '8b3c1a4e-7b3b-4a0b-9f8f-0f6d2b8c9d10';

function octavius(args: string[]): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OCTAVIUS_LOG_LEVEL: 'info' },
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

function exited(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve({ code: child.exitCode, ms: 0 });
    const timer = setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, ms: Date.now() - started });
    });
  });
}

async function waitUp(url: string, child: ChildProcess & { output: () => string }): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/`)).ok) return;
    } catch {
      /* not yet */
    }
    assert.ok(child.exitCode === null, `octavius exited early:\n${child.output()}`);
    assert.ok(Date.now() < deadline, `octavius did not answer:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const upstreamConf = readFileSync(join(root, 'src/config/testdata/upstream-noop.conf'), 'utf8');

/** The upstream noop file with the deployment's own values (what an operator edits anyway). */
function deploymentConf(dir: string, port: number, dbUrl: string): string {
  const file = join(dir, 'octavia.conf');
  writeFileSync(
    file,
    upstreamConf
      .replace(/^bind_port = 19876$/m, `bind_port = ${port}`)
      .replace(/^connection = .*$/m, `connection = ${dbUrl.replace(/^mysql:/, 'mysql+pymysql:')}`)
      .replace(/\/var\/lib\/octavia/g, dir)
      .replace(/^\[DEFAULT\]$/m, `[DEFAULT]\nstate_path = ${dir}`),
  );
  return file;
}

for (const engine of engines()) {
  describe(`octavius executable (${engine})`, () => {
    const children: ChildProcess[] = [];
    after(() => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    });

    test('db upgrade, then api and worker from an upstream noop octavia.conf; SIGTERM stops both promptly', { timeout: 120_000 }, async () => {
      const database = await createTestDatabase(engine);
      try {
        const dir = mkdtempSync(join(tmpdir(), 'octavius-svc-'));
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        const conf = deploymentConf(dir, port, database.url);

        const upgrade = octavius(['db', 'upgrade', '--config-file', conf]);
        const up = await exited(upgrade, 60_000);
        assert.equal(up.code, 0, upgrade.output());

        const api = octavius(['api', '--config-file', conf]);
        const worker = octavius(['worker', '--config-file', conf]);
        children.push(api, worker);
        await waitUp(url, api);
        assert.doesNotMatch(api.output(), /unknown option/, 'an upstream file gives no warnings');

        const created = await fetch(`${url}/v2/lbaas/loadbalancers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-project-id': 'svc' },
          body: JSON.stringify({ loadbalancer: { vip_subnet_id: SUBNET, provider: 'octavia' } }),
        });
        assert.equal(created.status, 201, await created.clone().text());
        const id = ((await created.json()) as { loadbalancer: { id: string } }).loadbalancer.id;
        const deadline = Date.now() + 30_000;
        for (;;) {
          const lb = (await (await fetch(`${url}/v2/lbaas/loadbalancers/${id}`)).json()) as { loadbalancer: { provisioning_status: string } };
          if (lb.loadbalancer.provisioning_status === 'ACTIVE') break;
          assert.ok(Date.now() < deadline, `not ACTIVE: ${JSON.stringify(lb)}\n${worker.output()}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        const health = await fetch(`${url}/healthcheck`);
        assert.equal(health.status, 200, 'healthcheck_enabled = True in the file');

        api.kill('SIGTERM');
        worker.kill('SIGINT');
        const [a, w] = await Promise.all([exited(api, 10_000), exited(worker, 10_000)]);
        assert.equal(a.code, 0, api.output());
        assert.equal(w.code, 0, worker.output());
        assert.ok(a.ms < 5000 && w.ms < 5000, `shutdown took ${a.ms} / ${w.ms} ms`);
      } finally {
        await database.drop();
      }
    });
  });
}

test('a configuration with bad values is refused, naming every problem', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'octavius-badconf-'));
  const file = join(dir, 'bad.conf');
  writeFileSync(file, '[api_settings]\nbind_port = nope\nauth_strategy = sometimes\n[house_keeping]\ncleanup_interval = -5\n');
  const child = octavius(['api', '--config-file', file]);
  const { code } = await exited(child, 30_000);
  assert.equal(code, 2);
  const out = child.output();
  assert.match(out, /bind_port/);
  assert.match(out, /auth_strategy/);
  assert.match(out, /cleanup_interval/);
});
