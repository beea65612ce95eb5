/**
 * /availabilityzones (spec §2.11): operator-defined placement choices, keyed by name. Readable by
 * every user, changed by admins; an availability zone used by a load balancer cannot be deleted.
 */
import { Errors } from '../../domain/errors.js';
import type { AvailabilityZone } from '../../domain/flavor.js';
import { NIL_UUID } from '../../domain/load-balancer.js';
import { isUniqueViolation } from '../../db/store.js';
import { policy } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { Router } from '../router.js';
import { check, has, inTransaction, listSettings, oneResponse, rootObject } from './common.js';
import { rejectNulls } from './flavor-profiles.js';
import { fieldsParam, pageLinks, parseListQuery, selectFields, type ListAttributes } from './list-params.js';
import { BODIES } from './wire/requests.js';
import { availabilityZoneJson } from './wire/responses.js';

const TYPE = 'availability-zone';
const NAME = 'Availability Zone';
const ROOT = 'availability_zone';

export const AVAILABILITY_ZONE_ATTRIBUTES: ListAttributes = {
  name: { column: 'name', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  enabled: { column: 'enabled', kind: 'boolean' },
  availability_zone_profile_id: { column: 'availability_zone_profile_id', kind: 'string' },
};

export function registerAvailabilityZones(r: Router, deps: ApiDeps, prefixes: readonly string[]): void {
  const mount = { prefixes };

  r.add(
    {
      method: 'GET',
      path: '/availabilityzones',
      summary: 'List availability zones',
      handler: async (req) => {
        check(deps, req, policy(TYPE, 'get_all'), req.ctx.projectId);
        // Deviation on purpose: availability zones have no id, so upstream's pages are unordered
        // and its links carry `marker=None`, which it then cannot resolve. Ours sort by name
        // and use the name as the marker.
        const parsed = parseListQuery(req.query, AVAILABILITY_ZONE_ATTRIBUTES, listSettings(deps), { defaultSort: ['name'] });
        const azs = await deps.store.availabilityZones.list(parsed.request);
        const api = deps.config.api_settings;
        const fields = api.allow_field_selection ? fieldsParam(req.query) : null;
        return {
          status: 200,
          body: {
            availability_zones: azs.map((a) => selectFields(availabilityZoneJson(a), fields)),
            availability_zones_links: api.allow_pagination
              ? pageLinks(parsed, azs.map((a) => ({ id: a.name })), req.pathUrl)
              : [],
          },
        };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: '/availabilityzones/:name',
      summary: 'Show an availability zone',
      handler: async (req) => {
        const name = req.params['name']!;
        check(deps, req, policy(TYPE, 'get_one'), req.ctx.projectId);
        const az = await deps.store.availabilityZones.get(name);
        if (!az) throw Errors.notFound(NAME, name);
        return { status: 200, body: oneResponse(deps, req, ROOT, availabilityZoneJson(az)) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'POST',
      path: '/availabilityzones',
      summary: 'Create an availability zone',
      body: BODIES.availabilityZonePost,
      handler: async (req) => {
        const body = rootObject(req.body, ROOT, ROOT);
        check(deps, req, policy(TYPE, 'post'), req.ctx.projectId);
        // Upstream lets these reach the database, which answers with a 500.
        rejectNulls(body, ['name', 'availability_zone_profile_id', 'enabled']);
        const az: AvailabilityZone = {
          name: body['name'] as string,
          description: (body['description'] as string | null | undefined) ?? null,
          enabled: body['enabled'] as boolean,
          availabilityZoneProfileId: body['availability_zone_profile_id'] as string,
        };
        await inTransaction(deps, async (tx) => {
          // The nil UUID is upstream's reserved placeholder row, so that name is always taken.
          if (az.name === NIL_UUID || (await tx.availabilityZones.get(az.name))) {
            throw Errors.recordAlreadyExists('availability zone', az.name);
          }
          // Upstream's foreign key answers a missing profile with a 500; this is the 400 it means.
          if (!(await tx.availabilityZones.getProfile(az.availabilityZoneProfileId))) {
            throw Errors.invalidSubresource('Availability Zone Profile', az.availabilityZoneProfileId);
          }
          try {
            await tx.availabilityZones.insert(az);
          } catch (err) {
            if (isUniqueViolation(err)) throw Errors.recordAlreadyExists('availability zone', az.name);
            throw err;
          }
        });
        return { status: 201, body: { [ROOT]: availabilityZoneJson(az) } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'PUT',
      path: '/availabilityzones/:name',
      summary: 'Update an availability zone',
      body: BODIES.availabilityZonePut,
      handler: async (req) => {
        const body = rootObject(req.body, ROOT, ROOT);
        const name = req.params['name']!;
        check(deps, req, policy(TYPE, 'put'), req.ctx.projectId);
        if (name === NIL_UUID) throw Errors.notFound(NAME, name);
        const updated = await inTransaction(deps, async (tx) => {
          const current = await tx.availabilityZones.get(name);
          if (!current) throw Errors.notFound(NAME, name);
          rejectNulls(body, ['enabled']);
          const next: AvailabilityZone = {
            ...current,
            description: has(body, 'description') ? (body['description'] as string | null) : current.description,
            enabled: has(body, 'enabled') ? (body['enabled'] as boolean) : current.enabled,
          };
          await tx.availabilityZones.save(next);
          return next;
        });
        return { status: 200, body: { [ROOT]: availabilityZoneJson(updated) } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'DELETE',
      path: '/availabilityzones/:name',
      summary: 'Delete an availability zone',
      handler: async (req) => {
        const name = req.params['name']!;
        check(deps, req, policy(TYPE, 'delete'), req.ctx.projectId);
        if (name === NIL_UUID) throw Errors.notFound(NAME, name);
        await inTransaction(deps, async (tx) => {
          if (!(await tx.availabilityZones.get(name))) throw Errors.notFound(NAME, name);
          if (await tx.availabilityZones.inUseByLoadBalancers(name)) throw Errors.objectInUse(NAME, name);
          await tx.availabilityZones.detachDeletedLoadBalancers(name);
          await tx.availabilityZones.delete(name);
        });
        return { status: 204 };
      },
    },
    mount,
  );
}
