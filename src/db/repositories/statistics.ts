/** Listener traffic counters per amphora (spec §8.5). */
import type { ListenerStatistics, StatsTotals } from '../../domain/amphora.js';
import { ZERO_STATS } from '../../domain/amphora.js';
import type { RepoContext } from '../store.js';

export class StatisticsRepository {
  readonly #c: RepoContext;
  constructor(c: RepoContext) {
    this.#c = c;
  }

  /**
   * Totals of a set of listeners: bytes, totals and errors from every row; active connections only
   * from rows of ALLOCATED amphorae or provider rows (amphora id = listener id), so standby
   * amphorae do not count twice.
   */
  async totalsForListeners(listenerIds: readonly string[]): Promise<StatsTotals> {
    if (listenerIds.length === 0) return ZERO_STATS;
    const rows = await this.#c.ex
      .selectFrom('listener_statistics as s')
      .leftJoin('amphora as a', 'a.id', 's.amphora_id')
      .select(['s.listener_id', 's.amphora_id', 's.bytes_in', 's.bytes_out', 's.active_connections', 's.total_connections', 's.request_errors', 'a.status'])
      .where('s.listener_id', 'in', [...listenerIds])
      .execute();
    const t = { bytesIn: 0, bytesOut: 0, activeConnections: 0, totalConnections: 0, requestErrors: 0 };
    for (const r of rows) {
      t.bytesIn += Number(r.bytes_in);
      t.bytesOut += Number(r.bytes_out);
      t.totalConnections += Number(r.total_connections);
      t.requestErrors += Number(r.request_errors);
      if (r.status === 'ALLOCATED' || r.amphora_id === r.listener_id) t.activeConnections += Number(r.active_connections);
    }
    return t;
  }

  async forAmphora(amphoraId: string): Promise<ListenerStatistics[]> {
    const rows = await this.#c.ex
      .selectFrom('listener_statistics')
      .selectAll()
      .where('amphora_id', '=', amphoraId)
      .orderBy('listener_id')
      .execute();
    return rows.map((r) => ({
      listenerId: r.listener_id,
      amphoraId: r.amphora_id,
      bytesIn: Number(r.bytes_in),
      bytesOut: Number(r.bytes_out),
      activeConnections: Number(r.active_connections),
      totalConnections: Number(r.total_connections),
      requestErrors: Number(r.request_errors),
    }));
  }

  async deleteForListeners(listenerIds: readonly string[]): Promise<void> {
    if (listenerIds.length === 0) return;
    await this.#c.ex.deleteFrom('listener_statistics').where('listener_id', 'in', [...listenerIds]).execute();
  }
}
