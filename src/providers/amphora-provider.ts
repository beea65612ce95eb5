/**
 * The amphora provider (`amphora`, alias `octavia`): validates what the amphora data plane supports
 * and enqueues a controller job in the API's transaction. The worker does the rest.
 */
import { Errors } from '../domain/errors.js';
import type { HealthMonitor } from '../domain/health-monitor.js';
import type { L7Policy, L7Rule } from '../domain/l7.js';
import type { Listener } from '../domain/listener.js';
import type { LoadBalancer } from '../domain/load-balancer.js';
import type { Member } from '../domain/member.js';
import type { Pool } from '../domain/pool.js';
import type { JobKind, JobPayloads } from '../controller/flows/payloads.js';
import type { Store } from '../db/store.js';
import { newId } from '../lib/ids.js';
import { capabilitiesOf, validateMetadata, type MetadataSchema } from './metadata-schema.js';
import type { Capability, CreatedGraph, Locked, MemberBatch, ProviderDriver } from './provider-driver.js';

export const AMPHORA_FLAVOR_SCHEMA: MetadataSchema = {
  loadbalancer_topology: {
    type: 'string',
    description:
      'The load balancer topology. One of: SINGLE - One amphora per load balancer. ACTIVE_STANDBY - Two amphora per load balancer.',
    enum: ['ACTIVE_STANDBY', 'SINGLE'],
  },
  compute_flavor: { type: 'string', description: 'The compute driver flavor ID.' },
  amp_image_tag: { type: 'string', description: 'The amphora image tag.' },
  sriov_vip: { type: 'boolean', description: 'When true, the VIP port will be created using an SR-IOV VF port.' },
  allow_member_sriov: {
    type: 'boolean',
    description: 'When true, users can request a member port be SR-IOV enabled at member creation time.',
  },
};

export const AMPHORA_AZ_SCHEMA: MetadataSchema = {
  compute_zone: { type: 'string', description: 'The compute availability zone.' },
  volume_zone: { type: 'string', description: 'The volume availability zone.' },
  management_network: { type: 'string', description: 'The management network ID for the amphora.' },
  valid_vip_networks: {
    type: 'array',
    description: 'List of network IDs that are allowed for VIP use. This overrides/replaces the list of allowed networks configured in `octavia.conf`.',
  },
};

const L7_LISTENER_PROTOCOLS = ['HTTP', 'TERMINATED_HTTPS'];

export interface AmphoraProviderOptions {
  readonly name: string;
  /** Topology of new load balancers unless their flavor says otherwise. */
  readonly defaultTopology: 'SINGLE' | 'ACTIVE_STANDBY';
}

export class AmphoraProviderDriver implements ProviderDriver {
  readonly name: string;
  readonly #o: AmphoraProviderOptions;

  constructor(options: AmphoraProviderOptions) {
    this.name = options.name;
    this.#o = options;
  }

  async #enqueue<K extends JobKind>(tx: Store, kind: K, payload: JobPayloads[K], resourceId: string): Promise<void> {
    await tx.jobs.enqueue({ id: newId(), kind, payload, resourceId });
  }

  async loadBalancerCreate(tx: Store, lb: LoadBalancer, graph: CreatedGraph): Promise<void> {
    for (const l of graph.listeners) this.#checkListener(l);
    const hasChildren = graph.listeners.length > 0 || graph.pools.length > 0;
    await this.#enqueue(
      tx,
      'create_load_balancer',
      { loadBalancerId: lb.id, topology: lb.topology ?? this.#o.defaultTopology, graph: hasChildren },
      lb.id,
    );
  }
  async loadBalancerUpdate(tx: Store, lb: LoadBalancer): Promise<void> {
    await this.#enqueue(tx, 'update_load_balancer', { loadBalancerId: lb.id }, lb.id);
  }
  async loadBalancerDelete(tx: Store, lb: LoadBalancer, cascade: boolean): Promise<void> {
    await this.#enqueue(tx, 'delete_load_balancer', { loadBalancerId: lb.id, cascade }, lb.id);
  }
  async loadBalancerFailover(tx: Store, lb: LoadBalancer): Promise<void> {
    await this.#enqueue(tx, 'failover_load_balancer', { loadBalancerId: lb.id }, lb.id);
  }

  #checkListener(l: Listener): void {
    const alpn = l.alpnProtocols ?? [];
    const bad = alpn.filter((p) => !['h2', 'http/1.1', 'http/1.0'].includes(p));
    if (bad.length > 0) {
      throw Errors.providerUnsupportedOption(
        this.name,
        `Amphora provider does not support ${bad.join(', ')} ALPN protocol(s). Supported: h2, http/1.1, http/1.0`,
      );
    }
  }

  async listenerCreate(tx: Store, l: Listener, locked: Locked): Promise<void> {
    this.#checkListener(l);
    await this.#enqueue(tx, 'create_listener', { loadBalancerId: l.loadBalancerId, listenerIds: locked.listenerIds, listenerId: l.id }, l.loadBalancerId);
  }
  async listenerUpdate(tx: Store, l: Listener, locked: Locked): Promise<void> {
    this.#checkListener(l);
    await this.#enqueue(tx, 'update_listener', { loadBalancerId: l.loadBalancerId, listenerIds: locked.listenerIds, listenerId: l.id }, l.loadBalancerId);
  }
  async listenerDelete(tx: Store, l: Listener, locked: Locked): Promise<void> {
    await this.#enqueue(tx, 'delete_listener', { loadBalancerId: l.loadBalancerId, listenerIds: locked.listenerIds, listenerId: l.id }, l.loadBalancerId);
  }

  async poolCreate(tx: Store, p: Pool, locked: Locked): Promise<void> {
    await this.#enqueue(tx, 'create_pool', { loadBalancerId: p.loadBalancerId, listenerIds: locked.listenerIds, poolId: p.id }, p.loadBalancerId);
  }
  async poolUpdate(tx: Store, p: Pool, locked: Locked): Promise<void> {
    await this.#enqueue(tx, 'update_pool', { loadBalancerId: p.loadBalancerId, listenerIds: locked.listenerIds, poolId: p.id }, p.loadBalancerId);
  }
  async poolDelete(tx: Store, p: Pool, locked: Locked): Promise<void> {
    await this.#enqueue(tx, 'delete_pool', { loadBalancerId: p.loadBalancerId, listenerIds: locked.listenerIds, poolId: p.id }, p.loadBalancerId);
  }

  async #checkMembers(tx: Store, pool: Pool, members: readonly Member[]): Promise<void> {
    if (pool.protocol !== 'UDP' && pool.protocol !== 'SCTP') return;
    const lb = await tx.loadBalancers.get(pool.loadBalancerId);
    if (!lb) return;
    const vips = [lb.vip.address, ...lb.additionalVips.map((v) => v.ipAddress)].filter((a): a is string => !!a);
    const hasV4 = vips.some((a) => !a.includes(':'));
    const hasV6 = vips.some((a) => a.includes(':'));
    for (const m of members) {
      const v6 = m.address.includes(':');
      if ((v6 && !hasV6) || (!v6 && !hasV4)) {
        throw Errors.providerUnsupportedOption(
          this.name,
          `This provider doesn't support mixing IPv4 and IPv6 addresses for its VIP and members in ${pool.protocol} load balancers.`,
        );
      }
    }
  }

  async memberCreate(tx: Store, pool: Pool, m: Member, locked: Locked): Promise<void> {
    await this.#checkMembers(tx, pool, [m]);
    await this.#enqueue(tx, 'create_member', { loadBalancerId: pool.loadBalancerId, listenerIds: locked.listenerIds, poolId: pool.id, memberId: m.id }, pool.loadBalancerId);
  }
  async memberUpdate(tx: Store, pool: Pool, m: Member, locked: Locked): Promise<void> {
    await this.#enqueue(tx, 'update_member', { loadBalancerId: pool.loadBalancerId, listenerIds: locked.listenerIds, poolId: pool.id, memberId: m.id }, pool.loadBalancerId);
  }
  async memberDelete(tx: Store, pool: Pool, m: Member, locked: Locked): Promise<void> {
    await this.#enqueue(tx, 'delete_member', { loadBalancerId: pool.loadBalancerId, listenerIds: locked.listenerIds, poolId: pool.id, memberId: m.id }, pool.loadBalancerId);
  }
  async memberBatchUpdate(tx: Store, pool: Pool, batch: MemberBatch, locked: Locked): Promise<void> {
    await this.#checkMembers(tx, pool, [...batch.created, ...batch.updated]);
    await this.#enqueue(
      tx,
      'batch_update_members',
      {
        loadBalancerId: pool.loadBalancerId,
        listenerIds: locked.listenerIds,
        poolId: pool.id,
        created: batch.created.map((m) => m.id),
        updated: batch.updated.map((m) => m.id),
        deleted: batch.deleted.map((m) => m.id),
      },
      pool.loadBalancerId,
    );
  }

  async healthMonitorCreate(tx: Store, pool: Pool, hm: HealthMonitor, locked: Locked): Promise<void> {
    await this.#enqueue(tx, 'create_health_monitor', { loadBalancerId: pool.loadBalancerId, listenerIds: locked.listenerIds, poolId: pool.id, healthMonitorId: hm.id }, pool.loadBalancerId);
  }
  async healthMonitorUpdate(tx: Store, pool: Pool, hm: HealthMonitor, locked: Locked): Promise<void> {
    await this.#enqueue(tx, 'update_health_monitor', { loadBalancerId: pool.loadBalancerId, listenerIds: locked.listenerIds, poolId: pool.id, healthMonitorId: hm.id }, pool.loadBalancerId);
  }
  async healthMonitorDelete(tx: Store, pool: Pool, hm: HealthMonitor, locked: Locked): Promise<void> {
    await this.#enqueue(tx, 'delete_health_monitor', { loadBalancerId: pool.loadBalancerId, listenerIds: locked.listenerIds, poolId: pool.id, healthMonitorId: hm.id }, pool.loadBalancerId);
  }

  async l7policyCreate(tx: Store, listener: Listener, p: L7Policy, locked: Locked): Promise<void> {
    if (!L7_LISTENER_PROTOCOLS.includes(listener.protocol)) {
      throw Errors.providerUnsupportedOption(this.name, `${listener.protocol} protocol listeners do not support L7 policies`);
    }
    await this.#enqueue(tx, 'create_l7policy', { loadBalancerId: listener.loadBalancerId, listenerIds: locked.listenerIds, l7policyId: p.id }, listener.loadBalancerId);
  }
  async l7policyUpdate(tx: Store, listener: Listener, p: L7Policy, locked: Locked): Promise<void> {
    await this.#enqueue(tx, 'update_l7policy', { loadBalancerId: listener.loadBalancerId, listenerIds: locked.listenerIds, l7policyId: p.id }, listener.loadBalancerId);
  }
  async l7policyDelete(tx: Store, listener: Listener, p: L7Policy, locked: Locked): Promise<void> {
    await this.#enqueue(tx, 'delete_l7policy', { loadBalancerId: listener.loadBalancerId, listenerIds: locked.listenerIds, l7policyId: p.id }, listener.loadBalancerId);
  }

  async #ruleJob(tx: Store, kind: 'create_l7rule' | 'update_l7rule' | 'delete_l7rule', p: L7Policy, r: L7Rule, locked: Locked): Promise<void> {
    const listener = await tx.listeners.get(p.listenerId);
    const lbId = listener?.loadBalancerId ?? '';
    await this.#enqueue(tx, kind, { loadBalancerId: lbId, listenerIds: locked.listenerIds, l7policyId: p.id, l7ruleId: r.id }, lbId);
  }
  l7ruleCreate(tx: Store, p: L7Policy, r: L7Rule, locked: Locked): Promise<void> {
    return this.#ruleJob(tx, 'create_l7rule', p, r, locked);
  }
  l7ruleUpdate(tx: Store, p: L7Policy, r: L7Rule, locked: Locked): Promise<void> {
    return this.#ruleJob(tx, 'update_l7rule', p, r, locked);
  }
  l7ruleDelete(tx: Store, p: L7Policy, r: L7Rule, locked: Locked): Promise<void> {
    return this.#ruleJob(tx, 'delete_l7rule', p, r, locked);
  }

  flavorCapabilities(): readonly Capability[] {
    return capabilitiesOf(AMPHORA_FLAVOR_SCHEMA);
  }
  validateFlavor(metadata: Record<string, unknown>): void {
    validateMetadata(this.name, AMPHORA_FLAVOR_SCHEMA, metadata);
  }
  availabilityZoneCapabilities(): readonly Capability[] {
    return capabilitiesOf(AMPHORA_AZ_SCHEMA);
  }
  validateAvailabilityZone(metadata: Record<string, unknown>): void {
    validateMetadata(this.name, AMPHORA_AZ_SCHEMA, metadata);
  }
}
