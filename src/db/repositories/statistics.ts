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

  /**
   * Stats retention (housekeeping): deletes counter rows nobody can read any more — rows of
   * listeners that no longer exist (a heartbeat that raced the listener's delete writes its row
   * again) and amphora rows whose amphora was purged. Rows of DELETED amphorae that are not purged
   * yet are kept: they hold the listener's traffic from before a failover and go with the amphora
   * after `amphora_expiry_age`. Provider rows (amphora id = listener id) live as long as their
   * listener. Returns the number of rows deleted.
   */
  async purgeOrphans(): Promise<number> {
    const ex = this.#c.ex;
    const r = await ex
      .deleteFrom('listener_statistics')
      .where((eb) =>
        eb.or([
          eb.not(eb.exists(eb.selectFrom('listener').select('listener.id').whereRef('listener.id', '=', 'listener_statistics.listener_id'))),
          eb.and([
            eb('listener_statistics.amphora_id', '!=', eb.ref('listener_statistics.listener_id')),
            eb.not(eb.exists(eb.selectFrom('amphora').select('amphora.id').whereRef('amphora.id', '=', 'listener_statistics.amphora_id'))),
          ]),
        ]),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async deleteForListeners(listenerIds: readonly string[]): Promise<void> {
    if (listenerIds.length === 0) return;
    await this.#c.ex.deleteFrom('listener_statistics').where('listener_id', 'in', [...listenerIds]).execute();
  }
}
