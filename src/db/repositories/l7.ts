/** L7 policies (ordered by position within a listener) and their rules. */
import type { L7Policy, L7Rule } from '../../domain/l7.js';
import { timestamp } from '../../lib/clock.js';
import type { ListTable } from '../list-query.js';
import { l7policyFromRow, l7policyToRow, l7ruleFromRow, l7ruleToRow } from '../mappers.js';
import type { RepoContext } from '../store.js';
import { EntityRepository } from './entity-repository.js';

export const L7POLICY_LIST: ListTable<'l7policy'> = {
  table: 'l7policy',
  columns: {
    id: 'string',
    project_id: 'string',
    listener_id: 'string',
    name: 'string',
    description: 'string',
    action: 'string',
    redirect_pool_id: 'string',
    redirect_url: 'string',
    redirect_prefix: 'string',
    redirect_http_code: 'integer',
    position: 'integer',
    enabled: 'boolean',
    provisioning_status: 'string',
    operating_status: 'string',
    created_at: 'datetime',
    updated_at: 'datetime',
  },
};

export const L7RULE_LIST: ListTable<'l7rule'> = {
  table: 'l7rule',
  columns: {
    id: 'string',
    project_id: 'string',
    l7policy_id: 'string',
    type: 'string',
    compare_type: 'string',
    key: 'string',
    value: 'string',
    invert: 'boolean',
    enabled: 'boolean',
    provisioning_status: 'string',
    operating_status: 'string',
    created_at: 'datetime',
    updated_at: 'datetime',
  },
};

export class L7PolicyRepository extends EntityRepository<L7Policy, 'l7policy'> {
  constructor(c: RepoContext) {
    super(c, { list: L7POLICY_LIST, fromRow: l7policyFromRow, toRow: l7policyToRow });
  }

  async forListeners(listenerIds: readonly string[]): Promise<L7Policy[]> {
    return (await this.where('listener_id', listenerIds)).sort((a, b) => a.position - b.position);
  }

  /**
   * Keeps positions 1..N contiguous on a listener: renumbers the policies in their current order,
   * with `moved` (if given) placed at `position` (clamped to the end).
   */
  async renumber(listenerId: string, moved?: { id: string; position: number }): Promise<void> {
    const policies = (await this.forListeners([listenerId])).filter((p) => p.id !== moved?.id);
    const ordered = policies.map((p) => p.id);
    if (moved) {
      const index = Math.max(0, Math.min(moved.position - 1, ordered.length));
      ordered.splice(index, 0, moved.id);
    }
    const now = timestamp(this.c.clock.now());
    for (const [i, id] of ordered.entries()) {
      const current = policies.find((p) => p.id === id)?.position;
      if (current === i + 1) continue;
      await this.c.ex.updateTable('l7policy').set({ position: i + 1, updated_at: now }).where('id', '=', id).execute();
    }
  }
}

export class L7RuleRepository extends EntityRepository<L7Rule, 'l7rule'> {
  constructor(c: RepoContext) {
    super(c, { list: L7RULE_LIST, fromRow: l7ruleFromRow, toRow: l7ruleToRow });
  }

  forPolicies(policyIds: readonly string[]): Promise<L7Rule[]> {
    return this.where('l7policy_id', policyIds);
  }

  async countForPolicy(policyId: string): Promise<number> {
    const r = await this.c.ex
      .selectFrom('l7rule')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('l7policy_id', '=', policyId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
