/**
 * The job table as a durable queue with leases. Claiming is a compare-and-set on `attempt` (the
 * fencing token): whoever moves a job from (queued, or running with an expired lease) to running
 * with attempt+1 owns it; every later write of the owner is conditional on that attempt, so a
 * worker that lost its lease can no longer change anything. On PostgreSQL and MySQL candidates are
 * picked with FOR UPDATE SKIP LOCKED so that concurrent workers do not collide on the same row.
 */
import { sql } from 'kysely';
import type { JobTable } from '../schema.js';
import type { RepoContext } from '../store.js';

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface Job {
  readonly id: string;
  readonly kind: string;
  readonly payload: unknown;
  readonly state: JobState;
  readonly resourceId: string | null;
  readonly attempt: number;
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: number | null;
  readonly availableAt: number;
  readonly progress: unknown;
  readonly error: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NewJob {
  readonly id: string;
  readonly kind: string;
  readonly payload: unknown;
  readonly resourceId?: string | null;
  /** Epoch ms before which no worker takes the job (default: now). */
  readonly availableAt?: number;
}

export interface Lease {
  readonly jobId: string;
  readonly owner: string;
  readonly attempt: number;
}

function fromRow(r: JobTable): Job {
  return {
    id: r.id,
    kind: r.kind,
    payload: JSON.parse(r.payload),
    state: r.state as JobState,
    resourceId: r.resource_id,
    attempt: r.attempt,
    leaseOwner: r.lease_owner,
    leaseExpiresAt: r.lease_expires_at === null ? null : Number(r.lease_expires_at),
    availableAt: Number(r.available_at),
    progress: r.progress === null ? null : JSON.parse(r.progress),
    error: r.error,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export class JobRepository {
  readonly #c: RepoContext;
  constructor(c: RepoContext) {
    this.#c = c;
  }

  /** Adds a job; call it inside the transaction that writes the rows the job works on. */
  async enqueue(job: NewJob): Promise<void> {
    const now = this.#c.clock.now();
    await this.#c.ex
      .insertInto('job')
      .values({
        id: job.id,
        kind: job.kind,
        payload: JSON.stringify(job.payload),
        state: 'queued',
        resource_id: job.resourceId ?? null,
        attempt: 0,
        lease_owner: null,
        lease_expires_at: null,
        available_at: job.availableAt ?? now,
        progress: null,
        error: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }

  async get(id: string): Promise<Job | null> {
    const row = await this.#c.ex.selectFrom('job').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async forResource(resourceId: string): Promise<Job[]> {
    const rows = await this.#c.ex
      .selectFrom('job')
      .selectAll()
      .where('resource_id', '=', resourceId)
      .orderBy('created_at')
      .execute();
    return rows.map(fromRow);
  }

  /**
   * Takes the oldest job that is queued and due, or running with an expired lease. Returns the
   * job as claimed (attempt already incremented) or null when there is nothing to do.
   */
  async claim(owner: string, leaseMs: number, kinds?: readonly string[]): Promise<Job | null> {
    const now = this.#c.clock.now();
    const ex = this.#c.ex;
    const due = ex
      .selectFrom('job')
      .select(['id', 'attempt'])
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'queued'), eb('available_at', '<=', now)]),
          eb.and([eb('state', '=', 'running'), eb('lease_expires_at', '<', now)]),
        ]),
      )
      .$if(kinds !== undefined, (q) => q.where('kind', 'in', [...kinds!]))
      .orderBy('available_at')
      .orderBy('created_at')
      .limit(8);
    let candidates: { id: string; attempt: number }[];
    if (this.#c.engine === 'sqlite') {
      candidates = await due.execute();
    } else {
      candidates = await due.forUpdate().skipLocked().execute();
    }
    for (const c of candidates) {
      const result = await ex
        .updateTable('job')
        .set({
          state: 'running',
          attempt: c.attempt + 1,
          lease_owner: owner,
          lease_expires_at: now + leaseMs,
          updated_at: now,
        })
        .where('id', '=', c.id)
        .where('attempt', '=', c.attempt)
        .where('state', 'in', ['queued', 'running'])
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) {
        const row = await ex.selectFrom('job').selectAll().where('id', '=', c.id).executeTakeFirstOrThrow();
        return fromRow(row);
      }
    }
    return null;
  }

  /** Extends the lease; false when the lease was lost (another worker took the job). */
  async renew(lease: Lease, leaseMs: number): Promise<boolean> {
    const now = this.#c.clock.now();
    return this.#fenced(lease, { lease_expires_at: now + leaseMs, updated_at: now });
  }

  /** Records flow progress; false when the lease was lost. */
  async saveProgress(lease: Lease, progress: unknown, leaseMs: number): Promise<boolean> {
    const now = this.#c.clock.now();
    return this.#fenced(lease, { progress: JSON.stringify(progress), lease_expires_at: now + leaseMs, updated_at: now });
  }

  async finish(lease: Lease, state: 'succeeded' | 'failed', error: string | null, progress: unknown): Promise<boolean> {
    const now = this.#c.clock.now();
    return this.#fenced(lease, {
      state,
      error,
      progress: JSON.stringify(progress),
      lease_owner: null,
      lease_expires_at: null,
      updated_at: now,
    });
  }

  /** Puts a job back in the queue to be retried at `availableAt` (used on graceful shutdown). */
  async release(lease: Lease, availableAt: number): Promise<boolean> {
    return this.#fenced(lease, { state: 'queued', lease_owner: null, lease_expires_at: null, available_at: availableAt });
  }

  async #fenced(lease: Lease, set: Partial<JobTable>): Promise<boolean> {
    const result = await this.#c.ex
      .updateTable('job')
      .set(set)
      .where('id', '=', lease.jobId)
      .where('attempt', '=', lease.attempt)
      .where('lease_owner', '=', lease.owner)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async countByState(): Promise<Record<JobState, number>> {
    const rows = await this.#c.ex
      .selectFrom('job')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    const out: Record<JobState, number> = { queued: 0, running: 0, succeeded: 0, failed: 0 };
    for (const r of rows) out[r.state as JobState] = Number(r.n);
    return out;
  }

  /** Deletes finished jobs last updated before `before` (epoch ms). */
  async purgeFinished(before: number): Promise<number> {
    const result = await this.#c.ex
      .deleteFrom('job')
      .where('state', 'in', ['succeeded', 'failed'])
      .where('updated_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Jobs of a kind that are queued or running. */
  async countUnfinished(kind: string): Promise<number> {
    const r = await this.#c.ex
      .selectFrom('job')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('kind', '=', kind)
      .where('state', 'in', ['queued', 'running'])
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** True when unfinished jobs exist for this resource (used to avoid duplicate failovers). */
  async hasUnfinished(resourceId: string, kind?: string): Promise<boolean> {
    const row = await this.#c.ex
      .selectFrom('job')
      .select(sql<number>`1`.as('one'))
      .where('resource_id', '=', resourceId)
      .where('state', 'in', ['queued', 'running'])
      .$if(kind !== undefined, (q) => q.where('kind', '=', kind!))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
