/**
 * Building and removing amphorae (spec §6.2): a row first, then the compute instance, then the
 * agent, then the VIP port. Every step records what it made in the amphora row, so that a resumed
 * flow and the revert find it.
 */
import { blankAmphora, VRRP_PRIORITY } from '../../domain/amphora.js';
import { DomainError } from '../../domain/errors.js';
import type { AmphoraRole } from '../../domain/status.js';
import { sleep, timestamp } from '../../lib/clock.js';
import { task, type Task, type TaskContext } from '../engine/task.js';

export interface AmphoraBuildState {
  /** The load balancer the amphora is for; '' for a spare built for the pool. */
  readonly loadBalancerId: string;
  /** Amphorae this flow created or took from the spares pool, by role slot ("STANDALONE", "MASTER", "BACKUP", "SPARE"). */
  readonly amphorae?: Readonly<Record<string, string>>;
  /** Slots filled with a ready spare (only configured, not built). */
  readonly spares?: Readonly<Record<string, boolean>>;
}

/** How new amphorae are built: how long to wait for them, and their agent configuration. */
export interface AmphoraWaits {
  readonly activeTimeoutMs: number;
  readonly connectivityTimeoutMs: number;
  /** Take READY spares when there are any ([house_keeping] spare_amphora_pool_size > 0). */
  readonly useSpares: boolean;
  /** amphora-agent.conf for a new amphora (render/agent-config.ts with the deployment's settings). */
  readonly agentConfig: (amphoraId: string, topology: 'SINGLE' | 'ACTIVE_STANDBY') => string;
}

async function amphoraOf(ctx: TaskContext, id: string) {
  const amphora = await ctx.store.amphorae.get(id);
  if (!amphora) throw new DomainError('internal', `amphora ${id} vanished from the database`);
  return amphora;
}

/**
 * The build sub-flow for one amphora of `role` (null: a spare for the pool, ending READY):
 * [MapLoadBalancerToAmphora] → CreateAmphoraInDB → ComputeCreate →
 * MarkAmphoraBootingInDB → ComputeWait → UpdateAmphoraInfo → AmphoraComputeConnectivityWait →
 * AmphoraFinalize → MarkAmphoraAllocatedInDB (with the role).
 */
export function buildAmphora<S extends AmphoraBuildState>(role: AmphoraRole | null, waits: AmphoraWaits): Task<S>[] {
  const slot = role ?? 'SPARE';
  const idOf = (s: S): string => {
    const id = s.amphorae?.[slot];
    if (!id) throw new DomainError('internal', `no ${slot} amphora in flow state`);
    return id;
  };
  const forLoadBalancer = role !== null;
  return [
    ...(forLoadBalancer && waits.useSpares
      ? [
          task<S>(`MapLoadBalancerToAmphora[${slot}]`, async (ctx, s) => {
            // upstream's allocate_and_associate: a READY spare becomes this load balancer's
            // amphora, so "create" only configures it. A resumed flow keeps what it took.
            if (s.amphorae?.[slot]) return;
            const spare = await ctx.store.transaction((tx) => tx.amphorae.claimSpare(s.loadBalancerId));
            if (!spare) return;
            ctx.log.info({ amphora: spare, slot }, 'using a spare amphora');
            return { amphorae: { ...s.amphorae, [slot]: spare }, spares: { ...s.spares, [slot]: true } } as Partial<S>;
          }),
        ]
      : []),
    task<S>(
      `CreateAmphoraInDB[${slot}]`,
      async (ctx, s) => {
        if (s.spares?.[slot]) return;
        const id = ctx.stableId(`amphora:${slot}`);
        if (!(await ctx.store.amphorae.get(id))) {
          await ctx.store.amphorae.insert(
            blankAmphora({ id, status: 'PENDING_CREATE', loadBalancerId: s.loadBalancerId || null, createdAt: timestamp(ctx.clock.now()) }),
          );
        }
        return { amphorae: { ...s.amphorae, [slot]: id } } as Partial<S>;
      },
      async (ctx, s) => {
        const id = s.amphorae?.[slot] ?? ctx.stableId(`amphora:${slot}`);
        const amphora = await ctx.store.amphorae.get(id);
        if (!amphora) return;
        // The compute revert has removed the instance; keep the row as DELETED like upstream's
        // delete path so that operators can see what happened.
        await ctx.store.amphorae.update(id, { status: 'DELETED' });
        await ctx.store.amphorae.deleteHealth(id);
      },
    ),
    task<S>(
      `ComputeCreate[${slot}]`,
      async (ctx, s) => {
        const amphora = await amphoraOf(ctx, idOf(s));
        if (amphora.computeId) return; // a spare, or the first attempt already built it
        const lb = s.loadBalancerId ? await ctx.store.loadBalancers.get(s.loadBalancerId) : null;
        // GenerateServerPEM + CertComputeCreate: the key never leaves memory on its way to the
        // compute driver (and is never part of the persisted flow state).
        const cert = ctx.drivers.amphora.requiresServerCertificate
          ? await ctx.drivers.certs.issueAmphoraCertificate(amphora.id)
          : null;
        const computeId = await ctx.drivers.compute.build({
          amphoraId: amphora.id,
          name: `amphora-${amphora.id}`,
          computeFlavor: null,
          imageTag: null,
          availabilityZone: lb?.availabilityZone ?? null,
          serverGroupId: lb?.serverGroupId ?? null,
          bootFiles: cert
            ? {
                serverPem: `${cert.certificatePem.trimEnd()}\n${cert.privateKeyPem.trimEnd()}\n`,
                clientCaPem: await ctx.drivers.certs.clientCaPem(),
                agentConfig: waits.agentConfig(amphora.id, lb?.topology ?? 'SINGLE'),
              }
            : null,
        });
        await ctx.store.amphorae.update(amphora.id, {
          computeId,
          status: 'BOOTING',
          certExpiration: cert ? timestamp(cert.expiresAt) : null,
        });
      },
      async (ctx, s) => {
        const id = s.amphorae?.[slot];
        if (!id) return;
        const amphora = await ctx.store.amphorae.get(id);
        if (amphora?.computeId) await ctx.drivers.compute.delete(amphora.computeId);
      },
    ),
    task<S>(`ComputeWait[${slot}]`, async (ctx, s) => {
      const amphora = await amphoraOf(ctx, idOf(s));
      const deadline = ctx.clock.now() + waits.activeTimeoutMs;
      for (;;) {
        const instance = await ctx.drivers.compute.get(amphora.computeId!);
        if (instance.status === 'ACTIVE') {
          await ctx.store.amphorae.update(amphora.id, {
            lbNetworkIp: instance.lbNetworkIp,
            imageId: instance.imageId,
            computeFlavor: instance.computeFlavor,
            cachedZone: instance.availabilityZone,
          });
          return;
        }
        if (instance.status === 'ERROR' || instance.status === 'DELETED') {
          throw new DomainError('driver_error', `compute instance ${amphora.computeId} went ${instance.status}`);
        }
        if (ctx.clock.now() > deadline) {
          throw new DomainError('driver_error', `compute instance ${amphora.computeId} not ACTIVE in time`);
        }
        await sleep(50, ctx.signal);
      }
    }),
    task<S>(`AmphoraComputeConnectivityWait[${slot}]`, async (ctx, s) => {
      await ctx.drivers.amphora.waitForConnectivity(await amphoraOf(ctx, idOf(s)), waits.connectivityTimeoutMs);
    }),
    task<S>(`AmphoraFinalize[${slot}]`, async (ctx, s) => {
      await ctx.drivers.amphora.finalize(await amphoraOf(ctx, idOf(s)));
    }),
    role === null
      ? task<S>(`MarkAmphoraReadyInDB[${slot}]`, async (ctx, s) => {
          await ctx.store.amphorae.update(idOf(s), { status: 'READY' });
        })
      : task<S>(`MarkAmphoraAllocatedInDB[${slot}]`, async (ctx, s) => {
          await ctx.store.amphorae.update(idOf(s), {
            status: 'ALLOCATED',
            loadBalancerId: s.loadBalancerId,
            role,
            vrrpPriority: VRRP_PRIORITY[role],
          });
        }),
    ...((role === 'MASTER' || role === 'BACKUP') && waits.useSpares
      ? [
          task<S>(`AmphoraConfigUpdate[${slot}]`, async (ctx, s) => {
            // A spare booted with a SINGLE agent configuration, whose plug would put the VIP on its
            // interface; in ACTIVE_STANDBY keepalived must own it (loadbalancer_topology is mutable).
            if (s.spares?.[slot]) await ctx.drivers.amphora.updateAgentConfig(await amphoraOf(ctx, idOf(s)));
          }),
        ]
      : []),
  ];
}

/**
 * The network sub-flow for one amphora: PlugVIPAmphora (a port on the VIP network) →
 * UpdateAmphoraVIPData → AmphoraPostVIPPlug.
 */
export function plugVipOnAmphora<S extends AmphoraBuildState>(slot: AmphoraRole): Task<S>[] {
  return [
    task<S>(
      `PlugVIPAmphora[${slot}]`,
      async (ctx, s) => {
        const id = s.amphorae?.[slot];
        if (!id) throw new DomainError('internal', `no ${slot} amphora in flow state`);
        const amphora = await amphoraOf(ctx, id);
        const lb = await ctx.store.loadBalancers.get(s.loadBalancerId);
        if (!lb) throw new DomainError('internal', `load balancer ${s.loadBalancerId} vanished`);
        const plug = await ctx.drivers.network.plugVip(lb, amphora);
        await ctx.store.amphorae.update(id, { vrrpIp: plug.vrrpIp, vrrpPortId: plug.vrrpPortId, haIp: plug.haIp, haPortId: plug.haPortId, vrrpId: 1 });
        const updated = await amphoraOf(ctx, id);
        await ctx.drivers.amphora.postVipPlug(updated, lb, plug);
      },
      async (ctx, s) => {
        const id = s.amphorae?.[slot];
        if (!id) return;
        const amphora = await ctx.store.amphorae.get(id);
        const lb = await ctx.store.loadBalancers.get(s.loadBalancerId);
        if (amphora && lb) await ctx.drivers.network.unplugVip(lb, amphora);
      },
    ),
  ];
}

/** Deletes an amphora's instance and VIP port and marks its row DELETED (idempotent). */
export async function deleteAmphora(ctx: TaskContext, amphoraId: string): Promise<void> {
  const amphora = await ctx.store.amphorae.get(amphoraId);
  if (!amphora || amphora.status === 'DELETED') return;
  const lb = amphora.loadBalancerId ? await ctx.store.loadBalancers.get(amphora.loadBalancerId) : null;
  if (lb) await ctx.drivers.network.unplugVip(lb, amphora);
  if (amphora.computeId) await ctx.drivers.compute.delete(amphora.computeId);
  await ctx.store.transaction(async (tx) => {
    await tx.amphorae.update(amphoraId, { status: 'DELETED' });
    await tx.amphorae.deleteHealth(amphoraId);
  });
}
