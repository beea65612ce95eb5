/**
 * /flavors (spec §2.11): named, operator-defined sets of provider options that users pick for
 * their load balancers. Readable by every user, changed by admins; the name is unique and a
 * flavor used by a load balancer cannot be deleted.
 */
import { Errors } from '../../domain/errors.js';
import type { Flavor } from '../../domain/flavor.js';
import { NIL_UUID } from '../../domain/load-balancer.js';
import type { Store } from '../../db/store.js';
import { isUniqueViolation } from '../../db/store.js';
import { newId } from '../../lib/ids.js';
import { policy } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { Router } from '../router.js';
import { check, has, inTransaction, listResponse, oneResponse, parseList, rootObject } from './common.js';
import { rejectNulls } from './flavor-profiles.js';
import type { ListAttributes } from './list-params.js';
import { BODIES } from './wire/requests.js';
import { flavorJson } from './wire/responses.js';

const TYPE = 'flavor';
const NAME = 'Flavor';

export const FLAVOR_ATTRIBUTES: ListAttributes = {
  id: { column: 'id', kind: 'string' },
  name: { column: 'name', kind: 'string' },
  description: { column: 'description', kind: 'string' },
  enabled: { column: 'enabled', kind: 'boolean' },
  flavor_profile_id: { column: 'flavor_profile_id', kind: 'string' },
};

/** Writes a flavor row; a name taken by another flavor is 409 `A flavor of <name> already exists.`. */
async function write(tx: Store, flavor: Flavor, op: 'insert' | 'save'): Promise<void> {
  const holder = await tx.flavors.getByName(flavor.name);
  if (holder && holder.id !== flavor.id) throw Errors.recordAlreadyExists('flavor', flavor.name);
  try {
    await (op === 'insert' ? tx.flavors.insert(flavor) : tx.flavors.save(flavor));
  } catch (err) {
    // A concurrent request took the name between the check and the write.
    if (isUniqueViolation(err)) throw Errors.recordAlreadyExists('flavor', flavor.name);
    throw err;
  }
}

export function registerFlavors(r: Router, deps: ApiDeps, prefixes: readonly string[]): void {
  const mount = { prefixes };

  r.add(
    {
      method: 'GET',
      path: '/flavors',
      summary: 'List flavors',
      handler: async (req) => {
        check(deps, req, policy(TYPE, 'get_all'), req.ctx.projectId);
        const parsed = parseList(deps, req, FLAVOR_ATTRIBUTES);
        const flavors = await deps.store.flavors.list(parsed.request);
        return { status: 200, body: listResponse(deps, req, parsed, 'flavors', 'flavors_links', flavors.map(flavorJson)) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: '/flavors/:id',
      summary: 'Show a flavor',
      handler: async (req) => {
        const id = req.params['id']!;
        check(deps, req, policy(TYPE, 'get_one'), req.ctx.projectId);
        const flavor = await deps.store.flavors.get(id);
        if (!flavor) throw Errors.notFound(NAME, id);
        return { status: 200, body: oneResponse(deps, req, 'flavor', flavorJson(flavor)) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'POST',
      path: '/flavors',
      summary: 'Create a flavor',
      body: BODIES.flavorPost,
      handler: async (req) => {
        const body = rootObject(req.body, 'flavor', 'flavor');
        check(deps, req, policy(TYPE, 'post'), req.ctx.projectId);
        // Upstream lets these reach the database, which answers with a 500.
        rejectNulls(body, ['name', 'flavor_profile_id', 'enabled']);
        const flavor: Flavor = {
          id: newId(),
          name: body['name'] as string,
          description: (body['description'] as string | null | undefined) ?? null,
          enabled: body['enabled'] as boolean,
          flavorProfileId: body['flavor_profile_id'] as string,
        };
        await inTransaction(deps, async (tx) => {
          // Upstream's foreign key answers a missing profile with a 500; this is the 400 it means.
          if (!(await tx.flavors.getProfile(flavor.flavorProfileId))) {
            throw Errors.invalidSubresource('Flavor Profile', flavor.flavorProfileId);
          }
          await write(tx, flavor, 'insert');
        });
        return { status: 201, body: { flavor: flavorJson(flavor) } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'PUT',
      path: '/flavors/:id',
      summary: 'Update a flavor',
      body: BODIES.flavorPut,
      handler: async (req) => {
        const body = rootObject(req.body, 'flavor', 'flavor');
        const id = req.params['id']!;
        check(deps, req, policy(TYPE, 'put'), req.ctx.projectId);
        if (id === NIL_UUID) throw Errors.notFound(NAME, id);
        const updated = await inTransaction(deps, async (tx) => {
          const current = await tx.flavors.get(id);
          if (!current) throw Errors.notFound(NAME, id);
          rejectNulls(body, ['name', 'enabled']);
          const next: Flavor = {
            ...current,
            name: has(body, 'name') ? (body['name'] as string) : current.name,
            description: has(body, 'description') ? (body['description'] as string | null) : current.description,
            enabled: has(body, 'enabled') ? (body['enabled'] as boolean) : current.enabled,
          };
          await write(tx, next, 'save');
          return next;
        });
        return { status: 200, body: { flavor: flavorJson(updated) } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'DELETE',
      path: '/flavors/:id',
      summary: 'Delete a flavor',
      handler: async (req) => {
        const id = req.params['id']!;
        check(deps, req, policy(TYPE, 'delete'), req.ctx.projectId);
        if (id === NIL_UUID) throw Errors.notFound(NAME, id);
        await inTransaction(deps, async (tx) => {
          if (!(await tx.flavors.get(id))) throw Errors.notFound(NAME, id);
          if (await tx.flavors.inUseByLoadBalancers(id)) throw Errors.objectInUse(NAME, id);
          await tx.flavors.detachDeletedLoadBalancers(id);
          await tx.flavors.delete(id);
        });
        return { status: 204 };
      },
    },
    mount,
  );
}
