/**
 * The database-backed PortStore of the local network driver (table network_port, one row per fixed
 * IP). It owns its transactions: the composition root gives it the shared Kysely instance, never a
 * caller's transaction, because an allocation must commit (or fail on the unique key) on its own.
 */
import type { Kysely } from 'kysely';
import { AddressInUseError, type PortFilter, type PortRecord, type PortStore } from '../../drivers/network/port-store.js';
import { sleep } from '../../lib/clock.js';
import type { Database, NetworkPortTable } from '../schema.js';
import { isTransientDbError, isUniqueViolation } from '../store.js';

function toPorts(rows: readonly NetworkPortTable[]): PortRecord[] {
  const byId = new Map<string, PortRecord & { fixedIps: { subnetId: string; ipAddress: string }[] }>();
  for (const r of rows) {
    let port = byId.get(r.id);
    if (!port) {
      port = {
        id: r.id,
        name: r.name,
        networkId: r.network_id,
        macAddress: r.mac_address,
        deviceId: r.device_id,
        deviceOwner: r.device_owner,
        projectId: r.project_id,
        createdAt: r.created_at,
        fixedIps: [],
      };
      byId.set(r.id, port);
    }
    port.fixedIps.push({ subnetId: r.subnet_id, ipAddress: r.ip_address });
  }
  return [...byId.values()];
}

export class KyselyPortStore implements PortStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(port: PortRecord): Promise<'created' | 'exists'> {
    if (port.fixedIps.length === 0) throw new Error(`port ${port.id} has no fixed IP`);
    const rows: NetworkPortTable[] = port.fixedIps.map((f) => ({
      id: port.id,
      name: port.name,
      network_id: port.networkId,
      subnet_id: f.subnetId,
      ip_address: f.ipAddress,
      mac_address: port.macAddress,
      device_id: port.deviceId,
      device_owner: port.deviceOwner,
      project_id: port.projectId,
      created_at: port.createdAt,
    }));
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await this.#db.transaction().execute(async (trx) => {
          const existing = await trx.selectFrom('network_port').select('id').where('id', '=', port.id).limit(1).executeTakeFirst();
          if (existing) return false;
          await trx.insertInto('network_port').values(rows).execute();
          return true;
        });
        return created ? 'created' : 'exists';
      } catch (err) {
        if (isUniqueViolation(err)) {
          // Either an address is taken, or another process created this very port in the meantime.
          if (await this.get(port.id)) return 'exists';
          throw new AddressInUseError(port);
        }
        if (attempt >= 8 || !isTransientDbError(err)) throw err;
        await sleep(Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  }

  async get(id: string): Promise<PortRecord | null> {
    const rows = await this.#db.selectFrom('network_port').selectAll().where('id', '=', id).orderBy('subnet_id').execute();
    return toPorts(rows)[0] ?? null;
  }

  async list(filter: PortFilter): Promise<PortRecord[]> {
    const lists = [filter.ids, filter.names, filter.networkIds, filter.subnetIds, filter.deviceIds];
    if (lists.some((l) => l !== undefined && l.length === 0)) return [];
    let q = this.#db.selectFrom('network_port').select('id');
    if (filter.ids) q = q.where('id', 'in', [...filter.ids]);
    if (filter.names) q = q.where('name', 'in', [...filter.names]);
    if (filter.networkIds) q = q.where('network_id', 'in', [...filter.networkIds]);
    if (filter.subnetIds) q = q.where('subnet_id', 'in', [...filter.subnetIds]);
    if (filter.deviceIds) q = q.where('device_id', 'in', [...filter.deviceIds]);
    // Select matching port ids first, then every row of those ports: a subnet filter must still
    // return the port's other fixed IPs.
    const ids = [...new Set((await q.execute()).map((r) => r.id))];
    if (ids.length === 0) return [];
    const rows = await this.#db.selectFrom('network_port').selectAll().where('id', 'in', ids).orderBy('id').orderBy('subnet_id').execute();
    return toPorts(rows);
  }

  async usedAddresses(subnetId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('network_port').select('ip_address').where('subnet_id', '=', subnetId).execute();
    return rows.map((r) => r.ip_address);
  }

  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom('network_port').where('id', '=', id).execute();
  }
}
