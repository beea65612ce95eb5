/** Flavors and flavor profiles. */
import type { Flavor, FlavorProfile } from '../../domain/flavor.js';
import { NIL_UUID } from '../../domain/load-balancer.js';
import { listRows, type ListRequest, type ListTable } from '../list-query.js';
import { flavorFromRow, flavorProfileFromRow, flavorProfileToRow, flavorToRow } from '../mappers.js';
import type { RepoContext } from '../store.js';

export const FLAVOR_LIST: ListTable<'flavor'> = {
  table: 'flavor',
  columns: { id: 'string', name: 'string', description: 'string', enabled: 'boolean', flavor_profile_id: 'string' },
  scope: (eb) => eb('id', '!=', NIL_UUID),
};

export const FLAVOR_PROFILE_LIST: ListTable<'flavor_profile'> = {
  table: 'flavor_profile',
  columns: { id: 'string', name: 'string', provider_name: 'string', flavor_data: 'string' },
  scope: (eb) => eb('id', '!=', NIL_UUID),
};

export class FlavorRepository {
  readonly #c: RepoContext;
  constructor(c: RepoContext) {
    this.#c = c;
  }

  async get(id: string): Promise<Flavor | null> {
    if (id === NIL_UUID) return null;
    const row = await this.#c.ex.selectFrom('flavor').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? flavorFromRow(row) : null;
  }

  async getByName(name: string): Promise<Flavor | null> {
    const row = await this.#c.ex.selectFrom('flavor').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? flavorFromRow(row) : null;
  }

  async list(request: ListRequest): Promise<Flavor[]> {
    return (await listRows(this.#c.ex, FLAVOR_LIST, request)).map(flavorFromRow);
  }

  async insert(flavor: Flavor): Promise<void> {
    await this.#c.ex.insertInto('flavor').values(flavorToRow(flavor)).execute();
  }

  async save(flavor: Flavor): Promise<void> {
    const { id, ...row } = flavorToRow(flavor);
    await this.#c.ex.updateTable('flavor').set(row).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.#c.ex.deleteFrom('flavor').where('id', '=', id).execute();
  }

  async inUseByLoadBalancers(id: string): Promise<boolean> {
    const row = await this.#c.ex
      .selectFrom('load_balancer')
      .select('id')
      .where('flavor_id', '=', id)
      .where('provisioning_status', '!=', 'DELETED')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** DELETED load balancers keep no reference to a flavor being deleted (upstream re-points them to the nil UUID). */
  async detachDeletedLoadBalancers(id: string): Promise<void> {
    await this.#c.ex
      .updateTable('load_balancer')
      .set({ flavor_id: NIL_UUID })
      .where('flavor_id', '=', id)
      .where('provisioning_status', '=', 'DELETED')
      .execute();
  }

  async getProfile(id: string): Promise<FlavorProfile | null> {
    if (id === NIL_UUID) return null;
    const row = await this.#c.ex.selectFrom('flavor_profile').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? flavorProfileFromRow(row) : null;
  }

  async listProfiles(request: ListRequest): Promise<FlavorProfile[]> {
    return (await listRows(this.#c.ex, FLAVOR_PROFILE_LIST, request)).map(flavorProfileFromRow);
  }

  async insertProfile(profile: FlavorProfile): Promise<void> {
    await this.#c.ex.insertInto('flavor_profile').values(flavorProfileToRow(profile)).execute();
  }

  async saveProfile(profile: FlavorProfile): Promise<void> {
    const { id, ...row } = flavorProfileToRow(profile);
    await this.#c.ex.updateTable('flavor_profile').set(row).where('id', '=', id).execute();
  }

  async deleteProfile(id: string): Promise<void> {
    await this.#c.ex.deleteFrom('flavor_profile').where('id', '=', id).execute();
  }

  async profileInUse(id: string): Promise<boolean> {
    const row = await this.#c.ex.selectFrom('flavor').select('id').where('flavor_profile_id', '=', id).limit(1).executeTakeFirst();
    return row !== undefined;
  }
}
