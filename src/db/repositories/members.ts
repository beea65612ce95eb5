/** Members. */
import type { Member } from '../../domain/member.js';
import type { ListTable } from '../list-query.js';
import { memberFromRow, memberToRow } from '../mappers.js';
import type { RepoContext } from '../store.js';
import { EntityRepository } from './entity-repository.js';

export const MEMBER_LIST: ListTable<'member'> = {
  table: 'member',
  columns: {
    id: 'string',
    project_id: 'string',
    pool_id: 'string',
    name: 'string',
    ip_address: 'string',
    protocol_port: 'integer',
    weight: 'integer',
    backup: 'boolean',
    subnet_id: 'string',
    monitor_address: 'string',
    monitor_port: 'integer',
    enabled: 'boolean',
    vnic_type: 'string',
    provisioning_status: 'string',
    operating_status: 'string',
    created_at: 'datetime',
    updated_at: 'datetime',
  },
};

export class MemberRepository extends EntityRepository<Member, 'member'> {
  constructor(c: RepoContext) {
    super(c, { list: MEMBER_LIST, fromRow: memberFromRow, toRow: memberToRow });
  }

  forPool(poolId: string): Promise<Member[]> {
    return this.where('pool_id', [poolId]);
  }

  async findByAddress(poolId: string, address: string, port: number): Promise<Member | null> {
    const row = await this.c.ex
      .selectFrom('member')
      .selectAll()
      .where('pool_id', '=', poolId)
      .where('ip_address', '=', address)
      .where('protocol_port', '=', port)
      .executeTakeFirst();
    return row ? memberFromRow(row, await this.c.tags.of(row.id)) : null;
  }
}
