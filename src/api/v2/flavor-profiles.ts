/**
 * /flavorprofiles (spec §2.11): provider-specific flavor metadata, admin only. The metadata is a
 * JSON text that must parse and pass the provider's validateFlavor; it and the provider are frozen
 * while a flavor uses the profile. Also holds the metadata checks the availability zone profiles
 * share.
 */
import { Errors, pyRepr } from '../../domain/errors.js';
import type { FlavorProfile } from '../../domain/flavor.js';
import { NIL_UUID } from '../../domain/load-balancer.js';
import { newId } from '../../lib/ids.js';
import type { ProviderDriver } from '../../providers/provider-driver.js';
import { policy } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { Router } from '../router.js';
import { check, has, inTransaction, listResponse, oneResponse, parseList, rootObject, type Json } from './common.js';
import type { ListAttributes } from './list-params.js';
import { getDriver } from './providers.js';
import { BODIES } from './wire/requests.js';
import { flavorProfileJson } from './wire/responses.js';

const TYPE = 'flavor-profile';
/** Upstream spells the resource two ways: "Flavor profile" in its own messages, "Flavor Profile" from lookups. */
const OWN_NAME = 'Flavor profile';
const LOOKUP_NAME = 'Flavor Profile';

export const FLAVOR_PROFILE_ATTRIBUTES: ListAttributes = {
  id: { column: 'id', kind: 'string' },
  name: { column: 'name', kind: 'string' },
  provider_name: { column: 'provider_name', kind: 'string' },
  flavor_data: { column: 'flavor_data', kind: 'string' },
};

/** Upstream's `jsonutils.loads` of profile metadata: anything unparsable is `<text> is not a valid option for <option>`. */
export function parseMetadata(text: unknown, option: string): unknown {
  if (typeof text !== 'string') throw Errors.invalidOption(text, option);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw Errors.invalidOption(text, option);
  }
}

/**
 * Runs the provider's validation of parsed metadata. Deviation on purpose: metadata that is valid
 * JSON but not an object is refused for every provider with the message upstream's amphora driver
 * gives (`<value> is not of type 'object'`); upstream's noop driver stores it, and later load
 * balancer creates with such a flavor fail with a 500.
 */
export function validateProfileMetadata(
  driver: ProviderDriver,
  metadata: unknown,
  validate: (driver: ProviderDriver, metadata: Record<string, unknown>) => void,
): void {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw Errors.providerUnsupportedOption(driver.name, `${pyRepr(metadata)} is not of type 'object'`);
  }
  validate(driver, metadata as Record<string, unknown>);
}

const validateFlavor = (d: ProviderDriver, m: Record<string, unknown>) => d.validateFlavor(m);

/** Attributes that may not be set to null (upstream: 400 `None is not a valid option for <field>`). */
export function rejectNulls(body: Json, fields: readonly string[]): void {
  for (const f of fields) if (has(body, f) && body[f] === null) throw Errors.invalidOption(null, f);
}

export function registerFlavorProfiles(r: Router, deps: ApiDeps, prefixes: readonly string[]): void {
  const mount = { prefixes };

  r.add(
    {
      method: 'GET',
      path: '/flavorprofiles',
      summary: 'List flavor profiles',
      handler: async (req) => {
        check(deps, req, policy(TYPE, 'get_all'), req.ctx.projectId);
        const parsed = parseList(deps, req, FLAVOR_PROFILE_ATTRIBUTES);
        const profiles = await deps.store.flavors.listProfiles(parsed.request);
        return {
          status: 200,
          body: listResponse(deps, req, parsed, 'flavorprofiles', 'flavorprofile_links', profiles.map(flavorProfileJson)),
        };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: '/flavorprofiles/:id',
      summary: 'Show a flavor profile',
      handler: async (req) => {
        const id = req.params['id']!;
        check(deps, req, policy(TYPE, 'get_one'), req.ctx.projectId);
        if (id === NIL_UUID) throw Errors.notFound(OWN_NAME, id);
        const profile = await deps.store.flavors.getProfile(id);
        if (!profile) throw Errors.notFound(LOOKUP_NAME, id);
        return { status: 200, body: oneResponse(deps, req, 'flavorprofile', flavorProfileJson(profile)) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'POST',
      path: '/flavorprofiles',
      summary: 'Create a flavor profile',
      body: BODIES.flavorProfilePost,
      handler: async (req) => {
        const body = rootObject(req.body, 'flavorprofile', 'flavorprofile');
        check(deps, req, policy(TYPE, 'post'), req.ctx.projectId);
        // Upstream stores these nulls and fails in the database (500); refuse them as a PUT would.
        rejectNulls(body, ['name', 'provider_name']);
        const metadata = parseMetadata(body['flavor_data'], 'flavor_data');
        const driver = getDriver(deps, body['provider_name'] as string);
        validateProfileMetadata(driver, metadata, validateFlavor);
        const profile: FlavorProfile = {
          id: newId(),
          name: body['name'] as string,
          providerName: body['provider_name'] as string,
          flavorData: body['flavor_data'] as string,
        };
        await inTransaction(deps, (tx) => tx.flavors.insertProfile(profile));
        return { status: 201, body: { flavorprofile: flavorProfileJson(profile) } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'PUT',
      path: '/flavorprofiles/:id',
      summary: 'Update a flavor profile',
      body: BODIES.flavorProfilePut,
      handler: async (req) => {
        const body = rootObject(req.body, 'flavorprofile', 'flavorprofile');
        const id = req.params['id']!;
        check(deps, req, policy(TYPE, 'put'), req.ctx.projectId);
        const updated = await inTransaction(deps, async (tx) => {
          rejectNulls(body, ['name', 'provider_name', 'flavor_data']);
          if ((has(body, 'flavor_data') || has(body, 'provider_name')) && (await tx.flavors.profileInUse(id))) {
            throw Errors.objectInUse(OWN_NAME, id);
          }
          if (id === NIL_UUID) throw Errors.notFound(OWN_NAME, id);
          const current = await tx.flavors.getProfile(id);
          if (has(body, 'flavor_data')) {
            const metadata = parseMetadata(body['flavor_data'], 'flavor_data');
            if (!has(body, 'provider_name') && !current) throw Errors.notFound(LOOKUP_NAME, id);
            const providerName = has(body, 'provider_name') ? (body['provider_name'] as string) : current!.providerName;
            validateProfileMetadata(getDriver(deps, providerName), metadata, validateFlavor);
          }
          // Upstream checks the provider only together with new metadata; a provider change alone
          // is stored as given.
          if (!current) throw Errors.notFound(LOOKUP_NAME, id);
          const next: FlavorProfile = {
            ...current,
            name: has(body, 'name') ? (body['name'] as string) : current.name,
            providerName: has(body, 'provider_name') ? (body['provider_name'] as string) : current.providerName,
            flavorData: has(body, 'flavor_data') ? (body['flavor_data'] as string) : current.flavorData,
          };
          await tx.flavors.saveProfile(next);
          return next;
        });
        return { status: 200, body: { flavorprofile: flavorProfileJson(updated) } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'DELETE',
      path: '/flavorprofiles/:id',
      summary: 'Delete a flavor profile',
      handler: async (req) => {
        const id = req.params['id']!;
        check(deps, req, policy(TYPE, 'delete'), req.ctx.projectId);
        if (id === NIL_UUID) throw Errors.notFound(OWN_NAME, id);
        await inTransaction(deps, async (tx) => {
          if (await tx.flavors.profileInUse(id)) throw Errors.objectInUse(OWN_NAME, id);
          if (!(await tx.flavors.getProfile(id))) throw Errors.notFound(OWN_NAME, id);
          await tx.flavors.deleteProfile(id);
        });
        return { status: 204 };
      },
    },
    mount,
  );
}
