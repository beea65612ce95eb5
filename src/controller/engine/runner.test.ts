/**
 * The flow engine with recording tasks on a real (SQLite) job table: execution order, reverse-order
 * revert including the failed task, retries of retryable errors, persisted progress that a second
 * run resumes from, fencing of a worker that lost its lease, and the flow timeout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectDatabase } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';
import { Store } from '../../db/store.js';
import { DomainError } from '../../domain/errors.js';
import type { Clock } from '../../lib/clock.js';
import { silentLogger } from '../../lib/logger.js';
import type { Drivers } from '../drivers.js';
import { runFlow, type RunnerOptions } from './runner.js';
import { flow, task, type Task } from './task.js';

interface S {
  readonly trail?: readonly string[];
}

async function setup(clock: Clock = { now: () => Date.now() }) {
  const dir = mkdtempSync(join(tmpdir(), 'octavius-engine-'));
  const db = connectDatabase(`sqlite:///${join(dir, 'e.sqlite')}`);
  await migrateToLatest(db.kysely as never);
  const store = new Store(db, clock);
  const options: RunnerOptions = {
    store,
    drivers: {} as Drivers,
    clock,
    log: silentLogger(),
    leaseMs: 60_000,
    flowTimeoutMs: 60_000,
    taskMaxRetries: 3,
    disableRevert: false,
  };
  return { db, store, options };
}

async function claimNew(store: Store, owner = 'w1') {
  await store.jobs.enqueue({ id: `job-${Math.random()}`, kind: 'test', payload: {} });
  const job = await store.transaction((tx) => tx.jobs.claim(owner, 60_000));
  assert.ok(job);
  return { job, lease: { jobId: job.id, owner, attempt: job.attempt } };
}

function recorder() {
  const calls: string[] = [];
  const t = (name: string, fail?: () => Error, failTimes = Infinity): Task<S> => {
    let failures = 0;
    return task<S>(
      name,
      async (_ctx, s) => {
        calls.push(`do:${name}`);
        if (fail && failures < failTimes) {
          failures++;
          throw fail();
        }
        return { trail: [...(s.trail ?? []), name] };
      },
      async () => {
        calls.push(`undo:${name}`);
      },
    );
  };
  return { calls, t };
}

test('tasks run in order, state accumulates, the job ends succeeded', async () => {
  const { db, store, options } = await setup();
  const { calls, t } = recorder();
  const { job, lease } = await claimNew(store);
  const outcome = await runFlow(options, job, lease, flow<S>('f', t('a'), [t('b'), t('c')]), {}, new AbortController().signal);
  assert.equal(outcome, 'succeeded');
  assert.deepEqual(calls, ['do:a', 'do:b', 'do:c']);
  const stored = await store.jobs.get(job.id);
  assert.equal(stored?.state, 'succeeded');
  assert.deepEqual((stored?.progress as { state: S }).state.trail, ['a', 'b', 'c']);
  await db.close();
});

test('a failing task reverts itself and every earlier task in reverse order; the job ends failed', async () => {
  const { db, store, options } = await setup();
  const { calls, t } = recorder();
  const { job, lease } = await claimNew(store);
  const outcome = await runFlow(
    options,
    job,
    lease,
    flow<S>('f', t('a'), t('b'), t('c', () => new DomainError('driver_error', 'boom')), t('d')),
    {},
    new AbortController().signal,
  );
  assert.equal(outcome, 'failed');
  assert.deepEqual(calls, ['do:a', 'do:b', 'do:c', 'undo:c', 'undo:b', 'undo:a']);
  const stored = await store.jobs.get(job.id);
  assert.equal(stored?.state, 'failed');
  assert.match(stored?.error ?? '', /c: boom/);
  await db.close();
});

test('retryable errors are retried before the flow reverts', async () => {
  const { db, store, options } = await setup();
  const { calls, t } = recorder();
  const { job, lease } = await claimNew(store);
  const flaky = t('flaky', () => new DomainError('driver_error', 'busy', { retryable: true }), 2);
  const outcome = await runFlow(options, job, lease, flow<S>('f', t('a'), flaky), {}, new AbortController().signal);
  assert.equal(outcome, 'succeeded');
  assert.deepEqual(calls, ['do:a', 'do:flaky', 'do:flaky', 'do:flaky']);
  await db.close();
});

test('a resumed job continues after the last persisted task and does not repeat finished ones', async () => {
  const { db, store, options } = await setup();
  const { calls, t } = recorder();
  const { job, lease } = await claimNew(store);
  const controller = new AbortController();
  const stopper = task<S>('stopper', async () => {
    calls.push('do:stopper');
    controller.abort();
    return {};
  });
  const f = flow<S>('f', t('a'), stopper, t('b'));
  assert.equal(await runFlow(options, job, lease, f, {}, controller.signal), 'aborted');
  // The first worker "dies": its lease expires and another worker claims the job.
  await store.executor.updateTable('job').set({ lease_expires_at: 0 }).where('id', '=', job.id).execute();
  const again = await store.transaction((tx) => tx.jobs.claim('w2', 60_000));
  assert.equal(again?.id, job.id);
  assert.equal(again?.attempt, 2);
  const outcome = await runFlow(options, again!, { jobId: job.id, owner: 'w2', attempt: 2 }, f, {}, new AbortController().signal);
  assert.equal(outcome, 'succeeded');
  assert.deepEqual(calls, ['do:a', 'do:stopper', 'do:b']);
  await db.close();
});

test('a worker that lost its lease stops without writing', async () => {
  const { db, store, options } = await setup();
  const { calls, t } = recorder();
  const { job, lease } = await claimNew(store);
  const thief = task<S>('thief', async () => {
    calls.push('do:thief');
    await store.executor.updateTable('job').set({ lease_expires_at: 0 }).where('id', '=', job.id).execute();
    await store.transaction((tx) => tx.jobs.claim('w2', 60_000));
    return {};
  });
  const outcome = await runFlow(options, job, lease, flow<S>('f', thief, t('b')), {}, new AbortController().signal);
  assert.equal(outcome, 'lease_lost');
  assert.deepEqual(calls, ['do:thief']);
  const stored = await store.jobs.get(job.id);
  assert.equal(stored?.leaseOwner, 'w2');
  assert.equal(stored?.progress, null, 'the stale worker wrote no progress');
  await db.close();
});

test('a flow past its time bound reverts what it did and fails with a timeout reason', async () => {
  let now = 1_000_000;
  const clock = { now: () => now };
  const { db, store, options } = await setup(clock);
  const { calls, t } = recorder();
  const { job, lease } = await claimNew(store);
  const slow = task<S>('slow', async () => {
    calls.push('do:slow');
    now += 120_000;
    return {};
  });
  const outcome = await runFlow({ ...options, flowTimeoutMs: 60_000 }, job, lease, flow<S>('f', t('a'), slow, t('b')), {}, new AbortController().signal);
  assert.equal(outcome, 'failed');
  assert.deepEqual(calls, ['do:a', 'do:slow', 'undo:a']);
  assert.match((await store.jobs.get(job.id))?.error ?? '', /did not finish within 60 s/);
  await db.close();
});
