/**
 * The noop provider (`noop_driver`): accepts every object and completes at once, the way a provider
 * with its own control plane reports back through upstream's driver agent (spec §9.3). Its reports
 * go through the job queue, so API responses still show PENDING_* and statuses settle a moment later.
 */
import type { HealthMonitor } from '../domain/health-monitor.js';
import type { L7Policy, L7Rule } from '../domain/l7.js';
import type { Listener } from '../domain/listener.js';
import type { LoadBalancer } from '../domain/load-balancer.js';
import type { Member } from '../domain/member.js';
import type { Pool } from '../domain/pool.js';
import type { ObjectStatus, ProviderStatusUpdate } from '../controller/flows/payloads.js';
import type { Store } from '../db/store.js';
import { newId } from '../lib/ids.js';
import type { Capability, CreatedGraph, Locked, MemberBatch, ProviderDriver } from './provider-driver.js';

const ACTIVE: Omit<ObjectStatus, 'id'> = { provisioning_status: 'ACTIVE' };
const DELETED: Omit<ObjectStatus, 'id'> = { provisioning_status: 'DELETED' };
const active = (ids: readonly string[]): ObjectStatus[] => ids.map((id) => ({ id, ...ACTIVE }));

export class NoopProviderDriver implements ProviderDriver {
  readonly name: string;
  constructor(name = 'noop_driver') {
    this.name = name;
  }

  async #report(tx: Store, update: ProviderStatusUpdate, resourceId: string): Promise<void> {
    await tx.jobs.enqueue({ id: newId(), kind: 'provider_status_update', payload: { update }, resourceId });
  }

  async loadBalancerCreate(tx: Store, lb: LoadBalancer, g: CreatedGraph): Promise<void> {
    await this.#report(
      tx,
      {
        loadbalancers: active([lb.id]),
        listeners: active(g.listeners.map((x) => x.id)),
        pools: active(g.pools.map((x) => x.id)),
        members: active(g.members.map((x) => x.id)),
        healthmonitors: g.healthMonitors.map((x) => ({ id: x.id, ...ACTIVE, operating_status: 'ONLINE' })),
        l7policies: g.l7policies.map((x) => ({ id: x.id, ...ACTIVE, operating_status: 'ONLINE' })),
        l7rules: g.l7rules.map((x) => ({ id: x.id, ...ACTIVE, operating_status: 'ONLINE' })),
      },
      lb.id,
    );
  }
  async loadBalancerUpdate(tx: Store, lb: LoadBalancer): Promise<void> {
    await this.#report(tx, { loadbalancers: active([lb.id]) }, lb.id);
  }
  async loadBalancerDelete(tx: Store, lb: LoadBalancer): Promise<void> {
    const listeners = await tx.listeners.forLoadBalancer(lb.id);
    const pools = await tx.pools.forLoadBalancer(lb.id);
    await this.#report(
      tx,
      {
        listeners: listeners.map((l) => ({ id: l.id, ...DELETED })),
        pools: pools.map((p) => ({ id: p.id, ...DELETED })),
        loadbalancers: [{ id: lb.id, ...DELETED }],
      },
      lb.id,
    );
  }
  async loadBalancerFailover(tx: Store, lb: LoadBalancer): Promise<void> {
    await this.#report(tx, { loadbalancers: active([lb.id]) }, lb.id);
  }

  #unlock(lbId: string, locked: Locked, extra: ProviderStatusUpdate): ProviderStatusUpdate {
    return { ...extra, listeners: [...(extra.listeners ?? []), ...active(locked.listenerIds)], loadbalancers: active([lbId]) };
  }

  listenerCreate(tx: Store, l: Listener, locked: Locked): Promise<void> {
    return this.#report(tx, this.#unlock(l.loadBalancerId, { listenerIds: [...locked.listenerIds.filter((i) => i !== l.id), l.id] }, {}), l.loadBalancerId);
  }
  listenerUpdate(tx: Store, l: Listener, locked: Locked): Promise<void> {
    return this.listenerCreate(tx, l, locked);
  }
  listenerDelete(tx: Store, l: Listener, locked: Locked): Promise<void> {
    const others = { listenerIds: locked.listenerIds.filter((i) => i !== l.id) };
    return this.#report(tx, this.#unlock(l.loadBalancerId, others, { listeners: [{ id: l.id, ...DELETED }] }), l.loadBalancerId);
  }
  poolCreate(tx: Store, p: Pool, locked: Locked): Promise<void> {
    return this.#report(tx, this.#unlock(p.loadBalancerId, locked, { pools: active([p.id]) }), p.loadBalancerId);
  }
  poolUpdate(tx: Store, p: Pool, locked: Locked): Promise<void> {
    return this.poolCreate(tx, p, locked);
  }
  poolDelete(tx: Store, p: Pool, locked: Locked): Promise<void> {
    return this.#report(tx, this.#unlock(p.loadBalancerId, locked, { pools: [{ id: p.id, ...DELETED }] }), p.loadBalancerId);
  }
  memberCreate(tx: Store, pool: Pool, m: Member, locked: Locked): Promise<void> {
    return this.#report(tx, this.#unlock(pool.loadBalancerId, locked, { members: active([m.id]), pools: active([pool.id]) }), pool.loadBalancerId);
  }
  memberUpdate(tx: Store, pool: Pool, m: Member, locked: Locked): Promise<void> {
    return this.memberCreate(tx, pool, m, locked);
  }
  memberDelete(tx: Store, pool: Pool, m: Member, locked: Locked): Promise<void> {
    return this.#report(
      tx,
      this.#unlock(pool.loadBalancerId, locked, { members: [{ id: m.id, ...DELETED }], pools: active([pool.id]) }),
      pool.loadBalancerId,
    );
  }
  memberBatchUpdate(tx: Store, pool: Pool, b: MemberBatch, locked: Locked): Promise<void> {
    return this.#report(
      tx,
      this.#unlock(pool.loadBalancerId, locked, {
        members: [...active([...b.created, ...b.updated].map((m) => m.id)), ...b.deleted.map((m) => ({ id: m.id, ...DELETED }))],
        pools: active([pool.id]),
      }),
      pool.loadBalancerId,
    );
  }
  healthMonitorCreate(tx: Store, pool: Pool, hm: HealthMonitor, locked: Locked): Promise<void> {
    return this.#report(
      tx,
      this.#unlock(pool.loadBalancerId, locked, {
        healthmonitors: [{ id: hm.id, ...ACTIVE, operating_status: hm.adminStateUp ? 'ONLINE' : 'OFFLINE' }],
        pools: active([pool.id]),
      }),
      pool.loadBalancerId,
    );
  }
  healthMonitorUpdate(tx: Store, pool: Pool, hm: HealthMonitor, locked: Locked): Promise<void> {
    return this.healthMonitorCreate(tx, pool, hm, locked);
  }
  healthMonitorDelete(tx: Store, pool: Pool, hm: HealthMonitor, locked: Locked): Promise<void> {
    return this.#report(
      tx,
      this.#unlock(pool.loadBalancerId, locked, { healthmonitors: [{ id: hm.id, ...DELETED }], pools: active([pool.id]) }),
      pool.loadBalancerId,
    );
  }
  l7policyCreate(tx: Store, listener: Listener, p: L7Policy, locked: Locked): Promise<void> {
    return this.#report(
      tx,
      this.#unlock(listener.loadBalancerId, locked, {
        l7policies: [{ id: p.id, ...ACTIVE, operating_status: p.adminStateUp ? 'ONLINE' : 'OFFLINE' }],
      }),
      listener.loadBalancerId,
    );
  }
  l7policyUpdate(tx: Store, listener: Listener, p: L7Policy, locked: Locked): Promise<void> {
    return this.l7policyCreate(tx, listener, p, locked);
  }
  l7policyDelete(tx: Store, listener: Listener, p: L7Policy, locked: Locked): Promise<void> {
    return this.#report(tx, this.#unlock(listener.loadBalancerId, locked, { l7policies: [{ id: p.id, ...DELETED }] }), listener.loadBalancerId);
  }
  async l7ruleCreate(tx: Store, p: L7Policy, r: L7Rule, locked: Locked): Promise<void> {
    const listener = await tx.listeners.get(p.listenerId);
    const lbId = listener?.loadBalancerId ?? '';
    await this.#report(
      tx,
      this.#unlock(lbId, locked, {
        l7rules: [{ id: r.id, ...ACTIVE, operating_status: r.adminStateUp ? 'ONLINE' : 'OFFLINE' }],
        l7policies: active([p.id]),
      }),
      lbId,
    );
  }
  l7ruleUpdate(tx: Store, p: L7Policy, r: L7Rule, locked: Locked): Promise<void> {
    return this.l7ruleCreate(tx, p, r, locked);
  }
  async l7ruleDelete(tx: Store, p: L7Policy, r: L7Rule, locked: Locked): Promise<void> {
    const listener = await tx.listeners.get(p.listenerId);
    const lbId = listener?.loadBalancerId ?? '';
    await this.#report(tx, this.#unlock(lbId, locked, { l7rules: [{ id: r.id, ...DELETED }], l7policies: active([p.id]) }), lbId);
  }

  flavorCapabilities(): readonly Capability[] {
    return [{ name: 'amp_image_tag', description: 'The glance image tag to use for this load balancer.' }];
  }
  validateFlavor(): void {}
  availabilityZoneCapabilities(): readonly Capability[] {
    return [
      { name: 'compute_zone', description: 'The compute availability zone to use for this loadbalancer.' },
      { name: 'volume_zone', description: 'The volume availability zone to use for this loadbalancer.' },
    ];
  }
  validateAvailabilityZone(): void {}
}
