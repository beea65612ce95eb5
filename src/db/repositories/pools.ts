/** Pools. */
import type { Pool } from '../../domain/pool.js';
import type { ListTable } from '../list-query.js';
import { poolFromRow, poolToRow } from '../mappers.js';
import type { RepoContext } from '../store.js';
import { EntityRepository } from './entity-repository.js';

export const POOL_LIST: ListTable<'pool'> = {
  table: 'pool',
  columns: {
    id: 'string',
    project_id: 'string',
    load_balancer_id: 'string',
    name: 'string',
    description: 'string',
    protocol: 'string',
    lb_algorithm: 'string',
    enabled: 'boolean',
    tls_enabled: 'boolean',
    tls_certificate_id: 'string',
    ca_tls_certificate_id: 'string',
    crl_container_id: 'string',
    tls_ciphers: 'string',
    provisioning_status: 'string',
    operating_status: 'string',
    created_at: 'datetime',
    updated_at: 'datetime',
  },
};

export class PoolRepository extends EntityRepository<Pool, 'pool'> {
  constructor(c: RepoContext) {
    super(c, { list: POOL_LIST, fromRow: poolFromRow, toRow: poolToRow });
  }

  forLoadBalancer(loadBalancerId: string): Promise<Pool[]> {
    return this.where('load_balancer_id', [loadBalancerId]);
  }

  /** Pools referenced by listeners (default pool) or L7 policies, given the pool id. */
  async usage(poolId: string): Promise<{ defaultOf: string[]; redirectPolicies: { id: string; listenerId: string }[] }> {
    const ex = this.c.ex;
    const listeners = await ex.selectFrom('listener').select('id').where('default_pool_id', '=', poolId).execute();
    const policies = await ex
      .selectFrom('l7policy')
      .select(['id', 'listener_id'])
      .where('redirect_pool_id', '=', poolId)
      .orderBy('created_at')
      .execute();
    return {
      defaultOf: listeners.map((l) => l.id),
      redirectPolicies: policies.map((p) => ({ id: p.id, listenerId: p.listener_id })),
    };
  }
}
