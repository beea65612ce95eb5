/** Health monitors (one per pool). */
import type { HealthMonitor } from '../../domain/health-monitor.js';
import type { ListTable } from '../list-query.js';
import { healthMonitorFromRow, healthMonitorToRow } from '../mappers.js';
import type { RepoContext } from '../store.js';
import { EntityRepository } from './entity-repository.js';

export const HEALTH_MONITOR_LIST: ListTable<'health_monitor'> = {
  table: 'health_monitor',
  columns: {
    id: 'string',
    project_id: 'string',
    pool_id: 'string',
    name: 'string',
    type: 'string',
    delay: 'integer',
    timeout: 'integer',
    fall_threshold: 'integer',
    rise_threshold: 'integer',
    http_method: 'string',
    url_path: 'string',
    expected_codes: 'string',
    http_version: 'string',
    domain_name: 'string',
    enabled: 'boolean',
    provisioning_status: 'string',
    operating_status: 'string',
    created_at: 'datetime',
    updated_at: 'datetime',
  },
};

export class HealthMonitorRepository extends EntityRepository<HealthMonitor, 'health_monitor'> {
  constructor(c: RepoContext) {
    super(c, { list: HEALTH_MONITOR_LIST, fromRow: healthMonitorFromRow, toRow: healthMonitorToRow });
  }

  async forPool(poolId: string): Promise<HealthMonitor | null> {
    return (await this.where('pool_id', [poolId]))[0] ?? null;
  }

  forPools(poolIds: readonly string[]): Promise<HealthMonitor[]> {
    return this.where('pool_id', poolIds);
  }
}
