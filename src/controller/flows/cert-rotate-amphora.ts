/**
 * Rotation of an amphora's agent certificate before it expires (upstream's cert_rotate_amphora_flow,
 * spec §6.9), queued by housekeeping with the amphora's `cert_busy` already set:
 * AmphoraToErrorOnRevert → GenerateServerPEM + AmphoraCertUpload → UpdateAmphoraDBCertExpiration →
 * UpdateAmphoraCertBusyToFalse. As upstream, a revert leaves the amphora ERROR with `cert_busy`
 * still set, so that housekeeping does not retry it every pass; a failover replaces it.
 */
import { DomainError } from '../../domain/errors.js';
import { timestamp } from '../../lib/clock.js';
import { flow, task, type Flow } from '../engine/task.js';
import type { JobPayloads } from './payloads.js';

export interface CertRotateState {
  readonly amphoraId: string;
  /** notAfter of the certificate the agent now serves (epoch ms); unset when nothing was rotated. */
  readonly certExpiresAt?: number;
}

export function certRotateAmphoraFlow(p: JobPayloads['cert_rotate_amphora']): { flow: Flow<CertRotateState>; state: CertRotateState } {
  type S = CertRotateState;
  return {
    flow: flow<S>(
      'cert-rotate-amphora',
      task<S>(
        'AmphoraToErrorOnRevert',
        async () => undefined,
        async (ctx, s) => {
          const amphora = await ctx.store.amphorae.get(s.amphoraId);
          if (amphora && amphora.status !== 'DELETED') await ctx.store.amphorae.setStatus(s.amphoraId, 'ERROR');
        },
      ),
      // Upstream's GenerateServerPEM and AmphoraCertUpload in one task: the private key stays in
      // memory and never reaches the persisted flow state (a re-run issues another certificate,
      // which is harmless).
      task<S>('AmphoraCertUpload', async (ctx, s) => {
        const amphora = await ctx.store.amphorae.get(s.amphoraId);
        if (!amphora) throw new DomainError('internal', `amphora ${s.amphoraId} vanished from the database`);
        if (amphora.status === 'DELETED' || amphora.status === 'PENDING_DELETE') {
          // NOTE: failed over or deleted since it was picked; there is nothing left to rotate.
          ctx.log.info({ amphora: amphora.id, status: amphora.status }, 'amphora is going away; certificate not rotated');
          return;
        }
        const cert = await ctx.drivers.certs.issueAmphoraCertificate(amphora.id);
        await ctx.drivers.amphora.updateServerCertificate(amphora, `${cert.certificatePem.trimEnd()}\n${cert.privateKeyPem.trimEnd()}\n`);
        return { certExpiresAt: cert.expiresAt };
      }),
      task<S>('UpdateAmphoraDBCertExpiration', async (ctx, s) => {
        if (s.certExpiresAt !== undefined) await ctx.store.amphorae.update(s.amphoraId, { certExpiration: timestamp(s.certExpiresAt) });
      }),
      task<S>('UpdateAmphoraCertBusyToFalse', async (ctx, s) => {
        if (await ctx.store.amphorae.get(s.amphoraId)) await ctx.store.amphorae.update(s.amphoraId, { certBusy: false });
      }),
    ),
    state: { amphoraId: p.amphoraId },
  };
}
