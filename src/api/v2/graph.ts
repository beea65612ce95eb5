/**
 * Single-call create (spec §4): the listeners and pools embedded in a load balancer POST are
 * created in the same transaction, pools first (named pools defined once and referenced by name
 * from listeners' default_pool and L7 policies' redirect_pool), then listeners with their L7
 * policies and rules. The response shows full objects.
 */
import { Errors } from '../../domain/errors.js';
import type { Store } from '../../db/store.js';
import type { CreatedGraph } from '../../providers/provider-driver.js';
import type { BuildContext } from './builders.js';
import { buildListener } from './listeners.js';
import { buildPool } from './pools.js';
import { healthMonitorJson, l7policyJson, l7ruleJson, listenerJson, memberJson, poolJson, type Json } from './wire/responses.js';
import { listenerIdsOfPool } from '../../domain/graph.js';

/** Counts keys the way upstream does after WSME defaults (`admin_state_up`, `tls_enabled` are always there). */
function isFullDefinition(pool: Json): boolean {
  return Object.keys(pool).length > 3;
}

export async function createGraph(b: BuildContext, listenersIn: readonly Json[], poolsIn: readonly Json[]): Promise<CreatedGraph> {
  const pools: Json[] = poolsIn.map((p) => ({ ...p }));
  const listeners: Json[] = listenersIn.map((l) => ({ ...l, l7policies: ((l['l7policies'] as Json[] | null) ?? []).map((p) => ({ ...p })) }));
  const required = new Set<string>();
  const namedOrFail = (pool: Json): string => {
    const name = pool['name'] as string | null | undefined;
    if (!name) throw Errors.validation('Pools must be named when creating a fully populated loadbalancer.');
    return name;
  };
  for (const l of listeners) {
    const def = l['default_pool'] as Json | null | undefined;
    if (def) {
      const name = namedOrFail(def);
      if (isFullDefinition(def)) {
        pools.push(def);
        l['default_pool'] = { name };
      } else {
        required.add(name);
      }
    }
    for (const policy of l['l7policies'] as Json[]) {
      const redirect = policy['redirect_pool'] as Json | null | undefined;
      if (!redirect) continue;
      const name = namedOrFail(redirect);
      if (isFullDefinition(redirect)) {
        pools.push(redirect);
        policy['redirect_pool'] = { name };
      } else {
        required.add(name);
      }
    }
  }
  const names = pools.map((p) => p['name'] as string | null | undefined);
  if (new Set(names).size !== names.length) {
    throw Errors.validation('Pool names must be unique when creating a fully populated loadbalancer.');
  }
  for (const ref of required) {
    if (!names.includes(ref)) throw Errors.validation(`Pool '${ref}' was referenced but no full definition was found.`);
  }

  const out = { listeners: [], pools: [], members: [], healthMonitors: [], l7policies: [], l7rules: [] } as {
    -readonly [K in keyof CreatedGraph]: CreatedGraph[K][number][];
  };
  const poolNameIds = new Map<string, string>();
  for (const p of pools) {
    for (const a of ['protocol', 'lb_algorithm']) {
      if (p[a] === undefined || p[a] === null) {
        throw Errors.validation(`Pool definition for '${String(p['name'])}' missing required attribute: ${a}`);
      }
    }
    const built = await buildPool(b, { ...p, loadbalancer_id: b.lb.id });
    out.pools.push(built.pool);
    out.members.push(...built.members);
    if (built.healthMonitor) out.healthMonitors.push(built.healthMonitor);
    if (built.pool.name) poolNameIds.set(built.pool.name, built.pool.id);
  }
  for (const l of listeners) {
    const def = l['default_pool'] as Json | null | undefined;
    const input: Json = { ...l, loadbalancer_id: b.lb.id };
    delete input['default_pool'];
    if (def) {
      const id = poolNameIds.get(def['name'] as string);
      if (!id) throw Errors.singleCreateDetailsMissing('Pool', def['name'] as string);
      input['default_pool_id'] = id;
    }
    const built = await buildListener(b, input, poolNameIds);
    out.listeners.push(built.listener);
    out.l7policies.push(...built.l7policies);
    out.l7rules.push(...built.l7rules);
  }
  return out;
}

/** Full listener and pool objects of a single-call create response, as stored now. */
export async function graphResponse(store: Store, g: CreatedGraph): Promise<{ listeners: Json[]; pools: Json[] }> {
  const listeners = await store.listeners.getMany(g.listeners.map((l) => l.id));
  const pools = await store.pools.getMany(g.pools.map((p) => p.id));
  const members = await store.members.getMany(g.members.map((m) => m.id));
  const hms = await store.healthMonitors.getMany(g.healthMonitors.map((h) => h.id));
  const policies = await store.l7policies.getMany(g.l7policies.map((p) => p.id));
  const rules = await store.l7rules.getMany(g.l7rules.map((r) => r.id));
  const order = <T extends { id: string }>(items: T[], ids: string[]): T[] =>
    ids.map((id) => items.find((i) => i.id === id)).filter((i): i is T => i !== undefined);
  const graphView = { listeners, l7policies: policies, l7rules: rules };
  return {
    listeners: order(listeners, g.listeners.map((l) => l.id)).map((l) =>
      listenerJson(l, {
        l7policies: policies
          .filter((p) => p.listenerId === l.id)
          .sort((a, b) => a.position - b.position)
          .map((p) => l7policyJson(p, order(rules, g.l7rules.map((r) => r.id)).filter((r) => r.l7policyId === p.id).map(l7ruleJson))),
      }),
    ),
    pools: order(pools, g.pools.map((p) => p.id)).map((p) => {
      const hm = hms.find((h) => h.poolId === p.id);
      return poolJson(p, {
        full: true,
        listeners: listenerIdsOfPool(p.id, graphView),
        members: order(members, g.members.map((m) => m.id)).filter((m) => m.poolId === p.id).map(memberJson),
        healthMonitor: hm ? healthMonitorJson(hm, { full: true }) : null,
      });
    }),
  };
}
