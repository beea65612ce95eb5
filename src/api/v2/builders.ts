/**
 * The contract between single-object POST handlers and single-call create (spec §4): a builder
 * validates one decoded request object against the stored state and inserts its rows (PENDING_CREATE,
 * OFFLINE) in the caller's transaction. It neither locks the load balancer nor calls the provider:
 * the caller does both, once, for the whole request.
 */
import type { HealthMonitor } from '../../domain/health-monitor.js';
import type { L7Policy, L7Rule } from '../../domain/l7.js';
import type { Listener } from '../../domain/listener.js';
import type { LoadBalancer } from '../../domain/load-balancer.js';
import type { Member } from '../../domain/member.js';
import type { Pool } from '../../domain/pool.js';
import type { Store } from '../../db/store.js';
import type { ApiDeps } from '../deps.js';
import type { ApiRequest } from '../router.js';

export interface BuildContext {
  readonly tx: Store;
  readonly deps: ApiDeps;
  readonly req: ApiRequest;
  readonly lb: LoadBalancer;
  /** True inside a single-call create (some checks differ, e.g. pool names are required). */
  readonly graph: boolean;
  /** Creation timestamp shared by every object of the request. */
  readonly now: string;
}

export interface BuiltPool {
  readonly pool: Pool;
  readonly members: readonly Member[];
  readonly healthMonitor: HealthMonitor | null;
}

export interface BuiltListener {
  readonly listener: Listener;
  readonly l7policies: readonly L7Policy[];
  readonly l7rules: readonly L7Rule[];
}
