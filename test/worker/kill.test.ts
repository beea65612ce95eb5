/**
 * Durability of the job pipeline with real processes: two `octavius worker` processes share one
 * database; the one running a load balancer's create flow is killed with SIGKILL in the middle of
 * the flow; the other resumes the flow after the lease expires and finishes it with no duplicate
 * side effects (one amphora, every task recorded once).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createTestDatabase, engines } from '../support/databases.js';
import { startTestApi, SUBNET } from '../support/api.js';

const root = new URL('../..', import.meta.url).pathname;

function startWorker(configFile: string, name: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'worker', '--config-file', configFile], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OCTAVIUS_LOG_LEVEL: 'warn' },
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d}`));
  child.stdout?.resume();
  return child;
}

for (const engine of engines().filter((e) => e !== 'mysql')) {
  describe(`worker failover (${engine})`, () => {
    const children: ChildProcess[] = [];
    after(() => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    });

    test('a flow whose worker is killed with SIGKILL is finished by the other worker, once', { timeout: 120_000 }, async () => {
      const database = await createTestDatabase(engine);
      const api = await startTestApi({ engine, database, worker: false });
      try {
        const dir = mkdtempSync(join(tmpdir(), 'octavius-kill-'));
        const configFile = join(dir, 'octavius.conf');
        writeFileSync(
          configFile,
          [
            '[DEFAULT]',
            `state_path = ${dir}`,
            '[database]',
            `connection = ${database.url}`,
            '[controller_worker]',
            'amphora_driver = amphora_noop_driver',
            'compute_driver = compute_noop_driver',
            'network_driver = network_noop_driver',
            '[noop_drivers]',
            // Every driver call takes a while, so the flow is reliably caught in the middle.
            'task_delay_ms = 300',
            '[task_flow]',
            'jobboard_expiration_time = 2',
            'job_poll_interval = 0.05',
            '',
          ].join('\n'),
        );
        const a = startWorker(configFile, 'worker-a');
        const b = startWorker(configFile, 'worker-b');
        children.push(a, b);

        const created = await api.request('POST', '/v2/lbaas/loadbalancers', {
          project: 'kill-test',
          body: { loadbalancer: { vip_subnet_id: SUBNET, name: 'durable' } },
        });
        assert.equal(created.status, 201, created.text);
        const lbId = created.body.loadbalancer.id as string;

        // Wait until the flow is under way (a few tasks persisted), then kill its worker.
        let owner = '';
        const deadline = Date.now() + 30_000;
        for (;;) {
          const [job] = await api.store.jobs.forResource(lbId);
          const done = (job?.progress as { done?: string[] } | null)?.done ?? [];
          if (job?.state === 'running' && done.length >= 3) {
            owner = job.leaseOwner ?? '';
            break;
          }
          assert.ok(Date.now() < deadline, `flow did not get under way: ${JSON.stringify(job)}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        const victim = [a, b].find((c) => owner.includes(`:${c.pid}:`));
        assert.ok(victim, `lease owner ${owner} is one of the two workers`);
        victim.kill('SIGKILL');
        const survivor = victim === a ? b : a;

        const lb = await api.waitForStatus(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', 'ACTIVE', 60_000);
        assert.equal(lb.provisioning_status, 'ACTIVE');
        assert.equal(survivor.exitCode, null, 'the surviving worker is still running');

        const [job] = await api.store.jobs.forResource(lbId);
        assert.equal(job?.state, 'succeeded');
        assert.equal(job?.attempt, 2, 'claimed twice: by the killed worker and by the survivor');
        assert.ok(job?.leaseOwner === null);
        const done = (job?.progress as { done: string[] }).done;
        assert.equal(new Set(done).size, done.length, `every task recorded once: ${done.join(', ')}`);
        assert.ok(done.includes('MarkLBActiveInDB'));

        const amphorae = await api.store.amphorae.forLoadBalancer(lbId);
        assert.equal(amphorae.length, 1, 'exactly one amphora: the resumed flow found the first attempt’s row');
        assert.equal(amphorae[0]!.status, 'ALLOCATED');
        const all = await api.store.executor.selectFrom('amphora').selectAll().execute();
        assert.equal(all.length, 1, 'no orphaned amphora rows');
      } finally {
        for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
        await api.close();
        await database.drop();
      }
    });
  });
}
