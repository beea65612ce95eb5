/**
 * The persistence facade: one object that owns the repositories and transactions. A Store bound to
 * a transaction hands out repositories on that transaction, so callers write
 * `store.transaction(async (tx) => { tx.loadBalancers...; tx.jobs.enqueue(...) })` and the rows and
 * the job commit together.
 */
import type { Kysely, Transaction } from 'kysely';
import type { LoadBalancerGraph } from '../domain/graph.js';
import type { Clock } from '../lib/clock.js';
import { sleep } from '../lib/clock.js';
import type { Db, Engine } from './connect.js';
import type { Database } from './schema.js';
import { AmphoraRepository } from './repositories/amphorae.js';
import { AvailabilityZoneRepository } from './repositories/availability-zones.js';
import { FlavorRepository } from './repositories/flavors.js';
import { HealthMonitorRepository } from './repositories/health-monitors.js';
import { L7PolicyRepository, L7RuleRepository } from './repositories/l7.js';
import { ListenerRepository } from './repositories/listeners.js';
import { LoadBalancerRepository } from './repositories/load-balancers.js';
import { MemberRepository } from './repositories/members.js';
import { PoolRepository } from './repositories/pools.js';
import { QuotaRepository } from './repositories/quotas.js';
import { StatisticsRepository } from './repositories/statistics.js';
import { TagRepository } from './repositories/tags.js';
import { JobRepository } from './repositories/jobs.js';

export type Executor = Kysely<Database> | Transaction<Database>;

export interface RepoContext {
  readonly ex: Executor;
  readonly engine: Engine;
  readonly clock: Clock;
  readonly tags: TagRepository;
}

export class Store {
  readonly engine: Engine;
  readonly clock: Clock;
  readonly #db: Db;
  readonly #ex: Executor;
  readonly #inTransaction: boolean;
  readonly tags: TagRepository;
  readonly loadBalancers: LoadBalancerRepository;
  readonly listeners: ListenerRepository;
  readonly pools: PoolRepository;
  readonly members: MemberRepository;
  readonly healthMonitors: HealthMonitorRepository;
  readonly l7policies: L7PolicyRepository;
  readonly l7rules: L7RuleRepository;
  readonly amphorae: AmphoraRepository;
  readonly flavors: FlavorRepository;
  readonly availabilityZones: AvailabilityZoneRepository;
  readonly quotas: QuotaRepository;
  readonly statistics: StatisticsRepository;
  readonly jobs: JobRepository;

  constructor(db: Db, clock: Clock, ex?: Executor) {
    this.#db = db;
    this.#ex = ex ?? db.kysely;
    this.#inTransaction = ex !== undefined;
    this.engine = db.engine;
    this.clock = clock;
    this.tags = new TagRepository(this.#ex);
    const ctx: RepoContext = { ex: this.#ex, engine: db.engine, clock, tags: this.tags };
    this.loadBalancers = new LoadBalancerRepository(ctx);
    this.listeners = new ListenerRepository(ctx);
    this.pools = new PoolRepository(ctx);
    this.members = new MemberRepository(ctx);
    this.healthMonitors = new HealthMonitorRepository(ctx);
    this.l7policies = new L7PolicyRepository(ctx);
    this.l7rules = new L7RuleRepository(ctx);
    this.amphorae = new AmphoraRepository(ctx);
    this.flavors = new FlavorRepository(ctx);
    this.availabilityZones = new AvailabilityZoneRepository(ctx);
    this.quotas = new QuotaRepository(ctx);
    this.statistics = new StatisticsRepository(ctx);
    this.jobs = new JobRepository(ctx);
  }

  get db(): Db {
    return this.#db;
  }

  /** The raw query builder, for the rare query that belongs to no repository. */
  get executor(): Executor {
    return this.#ex;
  }

  /** A load balancer with everything under it (any status), or null when it does not exist. */
  async loadBalancerGraph(id: string): Promise<LoadBalancerGraph | null> {
    const loadBalancer = await this.loadBalancers.get(id);
    if (!loadBalancer) return null;
    const listeners = await this.listeners.forLoadBalancer(id);
    const pools = await this.pools.forLoadBalancer(id);
    const poolIds = pools.map((p) => p.id);
    const l7policies = await this.l7policies.forListeners(listeners.map((l) => l.id));
    return {
      loadBalancer,
      listeners,
      pools,
      members: await this.members.where('pool_id', poolIds),
      healthMonitors: await this.healthMonitors.forPools(poolIds),
      l7policies,
      l7rules: await this.l7rules.forPolicies(l7policies.map((p) => p.id)),
      amphorae: await this.amphorae.forLoadBalancer(id),
    };
  }

  /**
   * Runs `fn` in one transaction (the surrounding one when already inside a transaction). Lock
   * conflicts between processes (SQLite busy, deadlocks, serialization failures) re-run the whole
   * function, so it must not have side effects outside the database.
   */
  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.#inTransaction) return fn(this);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.kysely.transaction().execute((trx) => fn(new Store(this.#db, this.clock, trx)));
      } catch (err) {
        if (attempt >= 8 || !isTransientDbError(err)) throw err;
        await sleep(Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  }
}

/** Errors that mean "another transaction got in the way; try again". */
export function isTransientDbError(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown } | null;
  if (!e) return false;
  const code = String(e.code ?? '');
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return true;
  if (code === '40001' || code === '40P01' || code === '55P03') return true;
  if (e.errno === 1213 || e.errno === 1205 || code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT') return true;
  return false;
}

/** True when an insert failed on a primary key or unique constraint. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown } | null;
  if (!e) return false;
  const code = String(e.code ?? '');
  return (
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === '23505' ||
    e.errno === 1062 ||
    code === 'ER_DUP_ENTRY'
  );
}
