/**
 * /v2/lbaas/pools/{pool_id}/members: list, show, create, update, delete and the batch update that
 * replaces a pool's member list (spec §2.5, §3.2), and the member builder used for members
 * embedded in pools (single-call create).
 */
import { Errors } from '../../domain/errors.js';
import type { LoadBalancer } from '../../domain/load-balancer.js';
import type { Member } from '../../domain/member.js';
import type { Pool } from '../../domain/pool.js';
import { isUniqueViolation, type Store } from '../../db/store.js';
import { newId } from '../../lib/ids.js';
import { explodeIpv6, ipVersion } from '../../lib/ip.js';
import { policy } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import type { ApiRequest, Router } from '../router.js';
import type { BuildContext } from './builders.js';
import { check, getLoadBalancer, has, inTransaction, listResponse, now, oneResponse, parseList, rootObject, tagList, type Json } from './common.js';
import { boolFromString, type ListAttributes } from './list-params.js';
import { getPool, lockPoolForChild, providerOf } from './pool-common.js';
import { BODIES } from './wire/requests.js';
import { memberJson } from './wire/responses.js';

const TYPE = 'member';

export const MEMBER_ATTRIBUTES: ListAttributes = {
  id: { column: 'id', kind: 'string' },
  project_id: { column: 'project_id', kind: 'string' },
  pool_id: { column: 'pool_id', kind: 'string' },
  name: { column: 'name', kind: 'string' },
  address: { column: 'ip_address', kind: 'string' },
  ip_address: { column: 'ip_address', kind: 'string' },
  protocol_port: { column: 'protocol_port', kind: 'integer' },
  weight: { column: 'weight', kind: 'integer' },
  backup: { column: 'backup', kind: 'boolean' },
  subnet_id: { column: 'subnet_id', kind: 'string' },
  monitor_address: { column: 'monitor_address', kind: 'string' },
  monitor_port: { column: 'monitor_port', kind: 'integer' },
  admin_state_up: { column: 'enabled', kind: 'boolean' },
  enabled: { column: 'enabled', kind: 'boolean' },
  vnic_type: { column: 'vnic_type', kind: 'string' },
  provisioning_status: { column: 'provisioning_status', kind: 'string' },
  operating_status: { column: 'operating_status', kind: 'string' },
  created_at: { column: 'created_at', kind: 'datetime' },
  updated_at: { column: 'updated_at', kind: 'datetime' },
};

/** The load balancer's flavor metadata; {} without a flavor (or, as upstream, when it is gone). */
export async function flavorMetadataOf(store: Store, lb: LoadBalancer): Promise<Record<string, unknown>> {
  if (!lb.flavorId) return {};
  const flavor = await store.flavors.get(lb.flavorId);
  const profile = flavor ? await store.flavors.getProfile(flavor.flavorProfileId) : null;
  if (!profile) return {};
  try {
    return JSON.parse(profile.flavorData) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const canonicalForReserved = (address: string): string => (ipVersion(address) === 6 ? explodeIpv6(address) : address);

/**
 * validate.ip_not_reserved: 400 "<address> is not a valid option for member address", IPv6 shown
 * exploded upper-case. Upstream compares against `[networking] reserved_ips` as written (its help
 * asks for expanded upper-case IPv6); we normalise the configured entries too, so a short-form
 * entry protects the address the operator meant.
 */
export function checkAddressNotReserved(deps: ApiDeps, address: string): void {
  const canonical = canonicalForReserved(address);
  if (deps.config.networking.reserved_ips.some((r) => canonicalForReserved(r) === canonical)) {
    throw Errors.invalidOption(canonical, 'member address');
  }
}

/** validate.subnet_exists: 400 "Subnet <id> not found.". */
export async function checkMemberSubnet(deps: ApiDeps, subnetId: string): Promise<void> {
  const subnet = await deps.network.getSubnet(subnetId).catch(() => null);
  if (!subnet) throw Errors.invalidSubresource('Subnet', subnetId);
}

/** Upstream fails with a 500 on a null address or port (both mandatory, but WSME lets null through). */
function checkMandatoryNotNull(input: Json): void {
  for (const key of ['address', 'protocol_port']) if (input[key] === null) throw Errors.invalidOption(null, key);
}

export interface MemberDefaults {
  readonly flavorMetadata: Record<string, unknown>;
  /** New members start OFFLINE under a monitored pool, NO_MONITOR otherwise. */
  readonly hasHealthMonitor: boolean;
}

/** A new member row (not yet stored): SR-IOV only when the flavor allows it (400 otherwise). */
function newMember(pool: Pool, input: Json, d: MemberDefaults, created: string): Member {
  const sriov = input['request_sriov'] === true;
  if (sriov && d.flavorMetadata['allow_member_sriov'] !== true) throw Errors.memberSriovDisabled();
  return {
    id: newId(),
    projectId: pool.projectId,
    poolId: pool.id,
    name: (input['name'] as string | null | undefined) ?? null,
    adminStateUp: Boolean(input['admin_state_up'] ?? false),
    address: input['address'] as string,
    protocolPort: input['protocol_port'] as number,
    weight: (input['weight'] as number | null | undefined) ?? 1,
    backup: Boolean(input['backup'] ?? false),
    subnetId: (input['subnet_id'] as string | null | undefined) ?? null,
    monitorAddress: (input['monitor_address'] as string | null | undefined) ?? null,
    monitorPort: (input['monitor_port'] as number | null | undefined) ?? null,
    vnicType: sriov ? 'direct' : 'normal',
    provisioningStatus: 'PENDING_CREATE',
    operatingStatus: d.hasHealthMonitor ? 'OFFLINE' : 'NO_MONITOR',
    tags: tagList(input['tags']),
    createdAt: created,
    updatedAt: null,
  };
}

/** Inserts a member; 409 DuplicateMemberEntry when (pool, address, port) is taken. */
async function insertMember(tx: Store, m: Member): Promise<void> {
  const duplicate = () => Errors.duplicateMember(m.address, m.protocolPort);
  if (await tx.members.findByAddress(m.poolId, m.address, m.protocolPort)) throw duplicate();
  try {
    await tx.members.insert(m);
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicate();
    throw err;
  }
}

/**
 * Validates one member embedded in a pool and inserts it (PENDING_CREATE). Deviation: upstream's
 * single-call create does not look the subnet up; we do, as for a member POST, so that a member
 * never points at a subnet that does not exist.
 */
export async function buildMember(b: BuildContext, pool: Pool, input: Json, d: MemberDefaults): Promise<Member> {
  checkMandatoryNotNull(input);
  checkAddressNotReserved(b.deps, input['address'] as string);
  if (input['subnet_id']) await checkMemberSubnet(b.deps, input['subnet_id'] as string);
  const member = newMember(pool, input, d, b.now);
  await insertMember(b.tx, member);
  return member;
}

/** The member of the pool in the URL, or 404 "Member <id> not found.". */
async function getMember(deps: ApiDeps, req: ApiRequest, tx: Store, action: string) {
  const id = req.params['id']!;
  const member = await tx.members.get(id);
  if (!member || member.provisioningStatus === 'DELETED') throw Errors.notFound('Member', id);
  const pool = await getPool(tx, member.poolId);
  const lb = await getLoadBalancer(tx, pool.loadBalancerId);
  check(deps, req, policy(TYPE, action), lb.projectId);
  if (member.poolId !== req.params['pool_id']) throw Errors.notFound('Member', id);
  return { member, pool, lb };
}

class NothingToDo extends Error {}

export function registerMembers(r: Router, deps: ApiDeps, prefixes: readonly string[]): void {
  const mount = { prefixes };
  const members = '/pools/:pool_id/members';

  r.add(
    {
      method: 'GET',
      path: members,
      summary: 'List the members of a pool',
      handler: async (req) => {
        const pool = await getPool(deps.store, req.params['pool_id']!);
        check(deps, req, policy(TYPE, 'get_all'), pool.projectId);
        const parsed = parseList(deps, req, MEMBER_ATTRIBUTES, [{ column: 'pool_id', values: [pool.id] }]);
        const list = await deps.store.members.list(parsed.request);
        return { status: 200, body: listResponse(deps, req, parsed, 'members', 'members_links', list.map(memberJson)) };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'GET',
      path: `${members}/:id`,
      summary: 'Show a member',
      handler: async (req) => {
        await getPool(deps.store, req.params['pool_id']!);
        const id = req.params['id']!;
        const member = await deps.store.members.get(id);
        if (!member || member.provisioningStatus === 'DELETED') throw Errors.notFound('Member', id);
        check(deps, req, policy(TYPE, 'get_one'), member.projectId);
        if (member.poolId !== req.params['pool_id']) throw Errors.notFound('Member', id);
        return { status: 200, body: oneResponse(deps, req, 'member', memberJson(member)) };
      },
    },
    mount,
  );

  r.add({ method: 'POST', path: members, summary: 'Create a member', body: BODIES.memberPost, handler: (req) => createMember(deps, req) }, mount);

  r.add(
    {
      method: 'PUT',
      path: `${members}/:id`,
      summary: 'Update a member',
      body: BODIES.memberPut,
      handler: async (req) => {
        const body = rootObject(req.body, 'member', 'member');
        await getPool(deps.store, req.params['pool_id']!);
        const id = await inTransaction(deps, async (tx) => {
          const { member, lb } = await getMember(deps, req, tx, 'put');
          const provider = providerOf(deps, lb);
          const { pool, listenerIds } = await lockPoolForChild(tx, member.poolId);
          const pick = <T>(key: string, current: T): T => (has(body, key) ? (body[key] as T) : current);
          const updated: Member = {
            ...member,
            name: pick('name', member.name),
            adminStateUp: has(body, 'admin_state_up') ? Boolean(body['admin_state_up']) : member.adminStateUp,
            // null resets weight and backup to their defaults.
            weight: has(body, 'weight') ? ((body['weight'] as number | null) ?? 1) : member.weight,
            backup: has(body, 'backup') ? Boolean(body['backup'] ?? false) : member.backup,
            monitorAddress: pick('monitor_address', member.monitorAddress),
            monitorPort: pick('monitor_port', member.monitorPort),
            tags: has(body, 'tags') ? tagList(body['tags']) : member.tags,
            provisioningStatus: 'PENDING_UPDATE',
            updatedAt: now(deps),
          };
          await tx.members.save(updated);
          await provider.memberUpdate(tx, pool, updated, { listenerIds });
          return member.id;
        });
        return { status: 200, body: { member: memberJson((await deps.store.members.get(id))!) } };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'DELETE',
      path: `${members}/:id`,
      summary: 'Delete a member',
      handler: async (req) => {
        await getPool(deps.store, req.params['pool_id']!);
        await inTransaction(deps, async (tx) => {
          const { member, lb } = await getMember(deps, req, tx, 'delete');
          const provider = providerOf(deps, lb);
          const { pool, listenerIds } = await lockPoolForChild(tx, member.poolId);
          await tx.members.setStatus(member.id, { provisioningStatus: 'PENDING_DELETE' });
          await provider.memberDelete(tx, pool, { ...member, provisioningStatus: 'PENDING_DELETE' }, { listenerIds });
        });
        return { status: 204 };
      },
    },
    mount,
  );

  r.add(
    {
      method: 'PUT',
      path: members,
      summary: 'Replace the members of a pool (additive_only=true keeps members not listed)',
      body: BODIES.membersPut,
      query: ['additive_only'],
      handler: async (req) => {
        // Upstream answers 500 for a body without a members list; the list itself may be empty.
        const wanted = rootObject(req.body, 'members', 'members') as unknown as (Json | null)[];
        // A null entry: upstream crashes on its attributes (500); refused like a missing root object.
        if (wanted.includes(null)) throw Errors.validation('No member object supplied.');
        const raw = req.query['additive_only'];
        const additiveOnly = boolFromString((Array.isArray(raw) ? raw[raw.length - 1] : raw) ?? 'false');
        await getPool(deps.store, req.params['pool_id']!);
        try {
          await inTransaction(deps, (tx) => batchUpdate(deps, req, tx, wanted as Json[], additiveOnly));
        } catch (err) {
          if (!(err instanceof NothingToDo)) throw err;
        }
        return { status: 202 };
      },
    },
    mount,
  );
}

async function createMember(deps: ApiDeps, req: ApiRequest) {
  const body = rootObject(req.body, 'member', 'member');
  const poolId = req.params['pool_id']!;
  await getPool(deps.store, poolId);
  const id = await inTransaction(deps, async (tx) => {
    const found = await getPool(tx, poolId);
    const lb = await getLoadBalancer(tx, found.loadBalancerId);
    const flavorMetadata = await flavorMetadataOf(tx, lb);
    check(deps, req, policy(TYPE, 'post'), lb.projectId);
    checkMandatoryNotNull(body);
    checkAddressNotReserved(deps, body['address'] as string);
    if (body['subnet_id']) await checkMemberSubnet(deps, body['subnet_id'] as string);
    const provider = providerOf(deps, lb);
    const hasHealthMonitor = (await tx.healthMonitors.forPool(poolId)) !== null;
    const member = newMember(found, body, { flavorMetadata, hasHealthMonitor }, now(deps));
    const { pool, listenerIds } = await lockPoolForChild(tx, poolId);
    await insertMember(tx, member);
    await provider.memberCreate(tx, pool, member, { listenerIds });
    return member.id;
  });
  return { status: 201, body: { member: memberJson((await deps.store.members.get(id))!) } };
}

const memberKey = (address: string, port: number): string => `${address} ${port}`;

/**
 * The batch update of spec §2.5: members are matched on (address, protocol_port); unmatched
 * request entries are created, matched ones updated (PENDING_UPDATE), stored members absent from
 * the request deleted (PENDING_DELETE) unless additive_only. Throws NothingToDo (rolling back the
 * lock) when there is nothing to create, update or delete.
 */
async function batchUpdate(deps: ApiDeps, req: ApiRequest, tx: Store, wanted: readonly Json[], additiveOnly: boolean): Promise<void> {
  const found = await getPool(tx, req.params['pool_id']!);
  const lb = await getLoadBalancer(tx, found.loadBalancerId);
  check(deps, req, policy(TYPE, 'post'), lb.projectId);
  check(deps, req, policy(TYPE, 'put'), lb.projectId);
  if (!additiveOnly) check(deps, req, policy(TYPE, 'delete'), lb.projectId);
  const provider = providerOf(deps, lb);
  const { pool, listenerIds } = await lockPoolForChild(tx, found.id);

  const stored = await tx.members.forPool(pool.id);
  const storedByKey = new Map(stored.map((m) => [memberKey(m.address, m.protocolPort), m]));
  const toCreate: Json[] = [];
  const toUpdate: { input: Json; member: Member }[] = [];
  const seen = new Set<string>();
  for (const m of wanted) {
    checkMandatoryNotNull(m);
    const key = memberKey(m['address'] as string, m['protocol_port'] as number);
    const existing = storedByKey.get(key);
    if (!existing) {
      checkAddressNotReserved(deps, m['address'] as string);
      toCreate.push(m);
      continue;
    }
    if (seen.has(key)) throw Errors.validation('Member must be updated only once in the same request.');
    seen.add(key);
    toUpdate.push({ input: m, member: existing });
  }
  const wantedKeys = new Set(wanted.map((m) => memberKey(m['address'] as string, m['protocol_port'] as number)));
  const missing = stored.filter((m) => !wantedKeys.has(memberKey(m.address, m.protocolPort)));
  if (missing.length === 0 && toCreate.length === 0 && toUpdate.length === 0) throw new NothingToDo();

  const created: Member[] = [];
  const flavorMetadata = await flavorMetadataOf(tx, lb);
  const hasHealthMonitor = (await tx.healthMonitors.forPool(pool.id)) !== null;
  const validSubnets = new Set<string>();
  const stamp = now(deps);
  for (const m of toCreate) {
    const subnetId = m['subnet_id'] as string | null | undefined;
    if (subnetId && !validSubnets.has(subnetId)) {
      await checkMemberSubnet(deps, subnetId);
      validSubnets.add(subnetId);
    }
    const member = newMember(pool, m, { flavorMetadata, hasHealthMonitor }, stamp);
    await insertMember(tx, member);
    created.push(member);
  }
  const updated: Member[] = [];
  for (const { input, member } of toUpdate) {
    // As upstream, every attribute of the request entry is written, defaults included (an entry
    // without a weight sets weight 1); request_sriov is ignored for existing members.
    const pick = <T>(key: string, current: T): T => (has(input, key) ? (input[key] as T) : current);
    const next: Member = {
      ...member,
      projectId: pool.projectId,
      name: pick('name', member.name),
      adminStateUp: has(input, 'admin_state_up') ? Boolean(input['admin_state_up']) : member.adminStateUp,
      weight: has(input, 'weight') ? ((input['weight'] as number | null) ?? 1) : member.weight,
      backup: has(input, 'backup') ? Boolean(input['backup'] ?? false) : member.backup,
      subnetId: pick('subnet_id', member.subnetId),
      monitorAddress: pick('monitor_address', member.monitorAddress),
      monitorPort: pick('monitor_port', member.monitorPort),
      tags: has(input, 'tags') ? tagList(input['tags']) : member.tags,
      provisioningStatus: 'PENDING_UPDATE',
      updatedAt: stamp,
    };
    await tx.members.save(next);
    updated.push(next);
  }
  const deleted: Member[] = [];
  if (!additiveOnly) {
    for (const m of missing) deleted.push({ ...m, provisioningStatus: 'PENDING_DELETE' });
    await tx.members.setStatus(
      deleted.map((m) => m.id),
      { provisioningStatus: 'PENDING_DELETE' },
    );
  }
  await provider.memberBatchUpdate(tx, pool, { created, updated, deleted }, { listenerIds });
}
