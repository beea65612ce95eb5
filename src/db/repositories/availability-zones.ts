/** Availability zones (keyed by name) and their profiles. */
import type { AvailabilityZone, AvailabilityZoneProfile } from '../../domain/flavor.js';
import { NIL_UUID } from '../../domain/load-balancer.js';
import { listRows, type ListRequest, type ListTable } from '../list-query.js';
import {
  availabilityZoneFromRow,
  availabilityZoneProfileFromRow,
  availabilityZoneProfileToRow,
  availabilityZoneToRow,
} from '../mappers.js';
import type { RepoContext } from '../store.js';

export const AVAILABILITY_ZONE_LIST: ListTable<'availability_zone'> = {
  table: 'availability_zone',
  columns: { name: 'string', description: 'string', enabled: 'boolean', availability_zone_profile_id: 'string' },
  idColumn: 'name',
  scope: (eb) => eb('name', '!=', NIL_UUID),
};

export const AVAILABILITY_ZONE_PROFILE_LIST: ListTable<'availability_zone_profile'> = {
  table: 'availability_zone_profile',
  columns: { id: 'string', name: 'string', provider_name: 'string', availability_zone_data: 'string' },
  scope: (eb) => eb('id', '!=', NIL_UUID),
};

export class AvailabilityZoneRepository {
  readonly #c: RepoContext;
  constructor(c: RepoContext) {
    this.#c = c;
  }

  async get(name: string): Promise<AvailabilityZone | null> {
    if (name === NIL_UUID) return null;
    const row = await this.#c.ex.selectFrom('availability_zone').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? availabilityZoneFromRow(row) : null;
  }

  async list(request: ListRequest): Promise<AvailabilityZone[]> {
    return (await listRows(this.#c.ex, AVAILABILITY_ZONE_LIST, request)).map(availabilityZoneFromRow);
  }

  async insert(az: AvailabilityZone): Promise<void> {
    await this.#c.ex.insertInto('availability_zone').values(availabilityZoneToRow(az)).execute();
  }

  async save(az: AvailabilityZone): Promise<void> {
    const { name, ...row } = availabilityZoneToRow(az);
    await this.#c.ex.updateTable('availability_zone').set(row).where('name', '=', name).execute();
  }

  async delete(name: string): Promise<void> {
    await this.#c.ex.deleteFrom('availability_zone').where('name', '=', name).execute();
  }

  async inUseByLoadBalancers(name: string): Promise<boolean> {
    const row = await this.#c.ex
      .selectFrom('load_balancer')
      .select('id')
      .where('availability_zone', '=', name)
      .where('provisioning_status', '!=', 'DELETED')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async detachDeletedLoadBalancers(name: string): Promise<void> {
    await this.#c.ex
      .updateTable('load_balancer')
      .set({ availability_zone: null })
      .where('availability_zone', '=', name)
      .where('provisioning_status', '=', 'DELETED')
      .execute();
  }

  async getProfile(id: string): Promise<AvailabilityZoneProfile | null> {
    if (id === NIL_UUID) return null;
    const row = await this.#c.ex.selectFrom('availability_zone_profile').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? availabilityZoneProfileFromRow(row) : null;
  }

  async listProfiles(request: ListRequest): Promise<AvailabilityZoneProfile[]> {
    return (await listRows(this.#c.ex, AVAILABILITY_ZONE_PROFILE_LIST, request)).map(availabilityZoneProfileFromRow);
  }

  async insertProfile(profile: AvailabilityZoneProfile): Promise<void> {
    await this.#c.ex.insertInto('availability_zone_profile').values(availabilityZoneProfileToRow(profile)).execute();
  }

  async saveProfile(profile: AvailabilityZoneProfile): Promise<void> {
    const { id, ...row } = availabilityZoneProfileToRow(profile);
    await this.#c.ex.updateTable('availability_zone_profile').set(row).where('id', '=', id).execute();
  }

  async deleteProfile(id: string): Promise<void> {
    await this.#c.ex.deleteFrom('availability_zone_profile').where('id', '=', id).execute();
  }

  async profileInUse(id: string): Promise<boolean> {
    const row = await this.#c.ex
      .selectFrom('availability_zone')
      .select('name')
      .where('availability_zone_profile_id', '=', id)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
