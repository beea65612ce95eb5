/** Listeners with their SNI certificate references, allowed CIDRs and tags. */
import type { Listener } from '../../domain/listener.js';
import type { OperatingStatus, ProvisioningStatus } from '../../domain/status.js';
import { timestamp } from '../../lib/clock.js';
import { chunks, listRows, type ListRequest, type ListTable } from '../list-query.js';
import { listenerFromRow, listenerToRow } from '../mappers.js';
import type { ListenerTable } from '../schema.js';
import type { RepoContext } from '../store.js';

export const LISTENER_LIST: ListTable<'listener'> = {
  table: 'listener',
  columns: {
    id: 'string',
    project_id: 'string',
    load_balancer_id: 'string',
    name: 'string',
    description: 'string',
    protocol: 'string',
    protocol_port: 'integer',
    connection_limit: 'integer',
    enabled: 'boolean',
    default_pool_id: 'string',
    tls_certificate_id: 'string',
    client_ca_tls_certificate_id: 'string',
    client_authentication: 'string',
    client_crl_container_id: 'string',
    timeout_client_data: 'integer',
    timeout_member_connect: 'integer',
    timeout_member_data: 'integer',
    timeout_tcp_inspect: 'integer',
    tls_ciphers: 'string',
    hsts_max_age: 'integer',
    hsts_include_subdomains: 'boolean',
    hsts_preload: 'boolean',
    peer_port: 'integer',
    provisioning_status: 'string',
    operating_status: 'string',
    created_at: 'datetime',
    updated_at: 'datetime',
  },
};

export class ListenerRepository {
  readonly #c: RepoContext;
  constructor(c: RepoContext) {
    this.#c = c;
  }

  async insert(listener: Listener): Promise<void> {
    await this.#c.ex.insertInto('listener').values(listenerToRow(listener)).execute();
    await this.#writeChildren(listener, true);
  }

  async save(listener: Listener): Promise<void> {
    const { id, ...row } = listenerToRow(listener);
    const ex = this.#c.ex;
    await ex.updateTable('listener').set(row).where('id', '=', id).execute();
    await ex.deleteFrom('sni').where('listener_id', '=', id).execute();
    await ex.deleteFrom('listener_cidr').where('listener_id', '=', id).execute();
    await this.#writeChildren(listener);
  }

  async #writeChildren(l: Listener, fresh = false): Promise<void> {
    const ex = this.#c.ex;
    const sni = [...new Set(l.sniContainerRefs)];
    if (sni.length > 0) {
      await ex
        .insertInto('sni')
        .values(sni.map((ref, position) => ({ listener_id: l.id, tls_container_id: ref, position })))
        .execute();
    }
    const cidrs = [...new Set(l.allowedCidrs)];
    if (cidrs.length > 0) {
      await ex
        .insertInto('listener_cidr')
        .values(cidrs.map((cidr) => ({ listener_id: l.id, cidr })))
        .execute();
    }
    if (fresh) await this.#c.tags.add(l.id, l.tags);
    else await this.#c.tags.set(l.id, l.tags);
  }

  async get(id: string): Promise<Listener | null> {
    const row = await this.#c.ex.selectFrom('listener').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? (await this.#hydrate([row]))[0]! : null;
  }

  async getMany(ids: readonly string[]): Promise<Listener[]> {
    const rows: ListenerTable[] = [];
    for (const part of chunks(ids)) rows.push(...(await this.#c.ex.selectFrom('listener').selectAll().where('id', 'in', part).execute()));
    return this.#hydrate(rows);
  }

  async list(request: ListRequest): Promise<Listener[]> {
    return this.#hydrate(await listRows(this.#c.ex, LISTENER_LIST, request));
  }

  async forLoadBalancer(loadBalancerId: string): Promise<Listener[]> {
    const rows = await this.#c.ex
      .selectFrom('listener')
      .selectAll()
      .where('load_balancer_id', '=', loadBalancerId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return this.#hydrate(rows);
  }

  async #hydrate(rows: readonly ListenerTable[]): Promise<Listener[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const sni = new Map<string, { ref: string; position: number }[]>();
    const cidrs = new Map<string, string[]>();
    for (const part of chunks(ids)) {
      for (const r of await this.#c.ex.selectFrom('sni').selectAll().where('listener_id', 'in', part).execute()) {
        (sni.get(r.listener_id) ?? sni.set(r.listener_id, []).get(r.listener_id)!).push({
          ref: r.tls_container_id,
          position: r.position,
        });
      }
      for (const r of await this.#c.ex.selectFrom('listener_cidr').selectAll().where('listener_id', 'in', part).execute()) {
        (cidrs.get(r.listener_id) ?? cidrs.set(r.listener_id, []).get(r.listener_id)!).push(r.cidr);
      }
    }
    const tags = await this.#c.tags.forIds(ids);
    return rows.map((row) =>
      listenerFromRow(row, {
        tags: tags.get(row.id) ?? [],
        sniContainerRefs: (sni.get(row.id) ?? []).sort((a, b) => a.position - b.position).map((s) => s.ref),
        allowedCidrs: (cidrs.get(row.id) ?? []).sort(),
      }),
    );
  }

  async setStatus(
    ids: string | readonly string[],
    change: { provisioningStatus?: ProvisioningStatus; operatingStatus?: OperatingStatus },
  ): Promise<void> {
    const list = typeof ids === 'string' ? [ids] : ids;
    if (list.length === 0) return;
    const set = {
      ...(change.provisioningStatus ? { provisioning_status: change.provisioningStatus } : {}),
      ...(change.operatingStatus ? { operating_status: change.operatingStatus } : {}),
      updated_at: timestamp(this.#c.clock.now()),
    };
    for (const part of chunks(list)) await this.#c.ex.updateTable('listener').set(set).where('id', 'in', part).execute();
  }

  async activateUnlessError(ids: readonly string[]): Promise<void> {
    for (const part of chunks(ids)) {
      await this.#c.ex
        .updateTable('listener')
        .set({ provisioning_status: 'ACTIVE', updated_at: timestamp(this.#c.clock.now()) })
        .where('id', 'in', part)
        .where('provisioning_status', '!=', 'ERROR')
        .execute();
    }
  }

  async delete(ids: string | readonly string[]): Promise<void> {
    const list = typeof ids === 'string' ? [ids] : ids;
    if (list.length === 0) return;
    await this.#c.tags.deleteFor(list);
    for (const part of chunks(list)) await this.#c.ex.deleteFrom('listener').where('id', 'in', part).execute();
  }

  /** Next internal peer port on a load balancer: 1025 for the first listener, then max + 1. */
  async nextPeerPort(loadBalancerId: string): Promise<number> {
    const r = await this.#c.ex
      .selectFrom('listener')
      .select((eb) => eb.fn.max('peer_port').as('max'))
      .where('load_balancer_id', '=', loadBalancerId)
      .executeTakeFirst();
    const max = r?.max;
    return max === null || max === undefined ? 1025 : Number(max) + 1;
  }

  /** Clears `default_pool_id` where it points at a deleted pool. */
  async clearDefaultPool(poolId: string): Promise<void> {
    await this.#c.ex.updateTable('listener').set({ default_pool_id: null }).where('default_pool_id', '=', poolId).execute();
  }
}
