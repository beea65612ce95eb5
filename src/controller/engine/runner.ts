/**
 * Runs one claimed job's flow to its end, persisting progress after every task and every revert
 * step, fenced by the job's lease. Stops without further side effects when the lease is lost.
 */
import { DomainError, isDomainError } from '../../domain/errors.js';
import type { Job, Lease } from '../../db/repositories/jobs.js';
import type { Store } from '../../db/store.js';
import { sleep, type Clock } from '../../lib/clock.js';
import { stableId } from '../../lib/ids.js';
import type { Logger } from '../../lib/logger.js';
import type { Drivers } from '../drivers.js';
import type { Flow, TaskContext } from './task.js';

export interface FlowProgress<S> {
  readonly phase: 'execute' | 'revert' | 'done';
  /** execute: index of the next task to run; revert: index of the next task to revert. */
  readonly index: number;
  readonly state: S;
  /** Names of tasks whose execute finished, in order (for operators). */
  readonly done: readonly string[];
  readonly failure?: { readonly task: string; readonly code: string; readonly message: string };
}

export interface RunnerOptions {
  readonly store: Store;
  readonly drivers: Drivers;
  readonly clock: Clock;
  readonly log: Logger;
  readonly leaseMs: number;
  readonly flowTimeoutMs: number;
  readonly taskMaxRetries: number;
  readonly disableRevert: boolean;
}

export class LeaseLostError extends DomainError {
  constructor(jobId: string) {
    super('lease_lost', `lease of job ${jobId} lost to another worker`);
  }
}

export type RunOutcome = 'succeeded' | 'failed' | 'lease_lost' | 'aborted';

export async function runFlow<S>(
  options: RunnerOptions,
  job: Job,
  lease: Lease,
  flow: Flow<S>,
  initialState: S,
  signal: AbortSignal,
): Promise<RunOutcome> {
  const { store, log } = options;
  const saved = job.progress as FlowProgress<S> | null;
  let progress: FlowProgress<S> = saved ?? { phase: 'execute', index: 0, state: initialState, done: [] };
  const jlog = log.child({ job: job.id, flow: flow.name, attempt: job.attempt });
  if (saved) jlog.info({ phase: saved.phase, index: saved.index }, 'resuming flow');

  const ctx: TaskContext = {
    store,
    drivers: options.drivers,
    clock: options.clock,
    log: jlog,
    jobId: job.id,
    attempt: job.attempt,
    stableId: (name) => stableId(job.id, name),
    signal,
  };

  const persist = async (next: FlowProgress<S>): Promise<void> => {
    if (!(await store.jobs.saveProgress(lease, next, options.leaseMs))) throw new LeaseLostError(job.id);
    progress = next;
  };

  try {
    while (progress.phase === 'execute' && progress.index < flow.tasks.length) {
      if (signal.aborted) return 'aborted';
      const t = flow.tasks[progress.index]!;
      if (options.clock.now() - job.createdAt > options.flowTimeoutMs) {
        const failure = {
          task: t.name,
          code: 'timeout',
          message: `flow did not finish within ${Math.round(options.flowTimeoutMs / 1000)} s`,
        };
        jlog.error({ task: t.name }, failure.message);
        await persist({ ...progress, phase: 'revert', index: progress.index - 1, failure });
        break;
      }
      try {
        const changes = await executeWithRetries(t, ctx, progress.state, options.taskMaxRetries, jlog, signal);
        await persist({
          phase: 'execute',
          index: progress.index + 1,
          state: changes ? { ...progress.state, ...changes } : progress.state,
          done: [...progress.done, t.name],
        });
      } catch (err) {
        if (err instanceof LeaseLostError) throw err;
        if (signal.aborted) return 'aborted';
        const failure = {
          task: t.name,
          code: isDomainError(err) ? err.code : 'internal',
          message: isDomainError(err) ? err.operatorMessage : String((err as Error)?.stack ?? err),
        };
        jlog.error({ task: t.name, err }, `task ${t.name} failed; reverting flow ${flow.name}`);
        // The failed task is reverted too: it may have done part of its work.
        await persist({ ...progress, phase: 'revert', index: progress.index, failure });
      }
    }

    if (progress.phase === 'revert') {
      if (options.disableRevert) {
        jlog.warn('revert disabled by [task_flow] disable_revert; leaving resources in place');
      } else {
        while (progress.index >= 0) {
          if (signal.aborted) return 'aborted';
          const t = flow.tasks[progress.index]!;
          if (t.revert) {
            try {
              await t.revert(ctx, progress.state);
            } catch (err) {
              // NOTE: a failing revert must not stop the others: the first task of every flow marks
              // the objects ERROR on revert, and it runs last.
              jlog.error({ task: t.name, err }, `revert of ${t.name} failed; continuing`);
            }
          }
          await persist({ ...progress, index: progress.index - 1 });
        }
      }
      const message = progress.failure ? `${progress.failure.task}: ${progress.failure.message}` : 'flow failed';
      await finish(options, lease, 'failed', message, { ...progress, phase: 'done' });
      return 'failed';
    }

    await finish(options, lease, 'succeeded', null, { ...progress, phase: 'done' });
    jlog.debug('flow finished');
    return 'succeeded';
  } catch (err) {
    if (err instanceof LeaseLostError) {
      jlog.warn('lease lost; another worker owns this job now');
      return 'lease_lost';
    }
    throw err;
  }
}

async function finish<S>(
  options: RunnerOptions,
  lease: Lease,
  state: 'succeeded' | 'failed',
  error: string | null,
  progress: FlowProgress<S>,
): Promise<void> {
  if (!(await options.store.jobs.finish(lease, state, error, progress))) throw new LeaseLostError(lease.jobId);
}

async function executeWithRetries<S>(
  t: Flow<S>['tasks'][number],
  ctx: TaskContext,
  state: S,
  maxAttempts: number,
  log: Logger,
  signal: AbortSignal,
): Promise<Partial<S> | void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await t.execute(ctx, state);
    } catch (err) {
      if (!isDomainError(err) || !err.retryable || attempt >= maxAttempts || signal.aborted) throw err;
      const wait = Math.min(5000, 200 * 2 ** (attempt - 1));
      log.warn({ task: t.name, attempt, err: err.operatorMessage }, `retrying ${t.name} in ${wait} ms`);
      await sleep(wait, signal);
    }
  }
}
