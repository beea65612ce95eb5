/**
 * Tasks and flows: the unit of work of the controller. A flow is an ordered list of tasks over one
 * typed, JSON-serialisable state. The engine persists the state after every task, so a flow
 * survives the death of its worker: another worker resumes it from the last finished task.
 *
 * Contract of a task:
 * - `execute` may run more than once (a worker can die after the side effect and before the
 *   progress write), so it must be idempotent: use `ctx.stableId()` for ids it creates and look
 *   before it creates.
 * - `revert` undoes what `execute` did and must tolerate an `execute` that never ran or only half
 *   ran. It is called for every task that started, in reverse order, including the one that failed.
 *   A revert that throws is logged and the revert continues.
 * - Expected failures are DomainError; `retryable` ones are retried by the engine before reverting.
 */
import type { Logger } from '../../lib/logger.js';
import type { Store } from '../../db/store.js';
import type { Drivers } from '../drivers.js';
import type { Clock } from '../../lib/clock.js';

export interface TaskContext {
  readonly store: Store;
  readonly drivers: Drivers;
  readonly clock: Clock;
  readonly log: Logger;
  readonly jobId: string;
  /** How many times the job was claimed; 1 on the first run. */
  readonly attempt: number;
  /** An id that is the same every time this job asks for `name`: for idempotent creates. */
  stableId(name: string): string;
  /** Aborted when the worker shuts down or loses its lease. */
  readonly signal: AbortSignal;
}

export interface Task<S> {
  readonly name: string;
  execute(ctx: TaskContext, state: Readonly<S>): Promise<Partial<S> | void>;
  revert?(ctx: TaskContext, state: Readonly<S>): Promise<void>;
}

export interface Flow<S> {
  readonly name: string;
  readonly tasks: readonly Task<S>[];
}

/** Builds a task from functions; keeps task modules short. */
export function task<S>(
  name: string,
  execute: Task<S>['execute'],
  revert?: NonNullable<Task<S>['revert']>,
): Task<S> {
  return revert ? { name, execute, revert } : { name, execute };
}

/** Concatenates sub-flows into one linear flow. */
export function flow<S>(name: string, ...parts: readonly (Task<S> | readonly Task<S>[])[]): Flow<S> {
  return { name, tasks: parts.flat() as Task<S>[] };
}
