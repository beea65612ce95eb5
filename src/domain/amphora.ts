/** Amphorae: the HAProxy (+ keepalived) instances that carry a load balancer's traffic (spec §2.12, §3.1). */
import type { AmphoraRole, AmphoraStatus } from './status.js';

export interface Amphora {
  readonly id: string;
  readonly computeId: string | null;
  readonly status: AmphoraStatus;
  readonly loadBalancerId: string | null;
  readonly lbNetworkIp: string | null;
  readonly vrrpIp: string | null;
  readonly haIp: string | null;
  readonly vrrpPortId: string | null;
  readonly haPortId: string | null;
  readonly role: AmphoraRole | null;
  readonly certExpiration: string | null;
  readonly certBusy: boolean;
  readonly vrrpInterface: string | null;
  readonly vrrpId: number | null;
  readonly vrrpPriority: number | null;
  readonly cachedZone: string | null;
  readonly imageId: string | null;
  readonly computeFlavor: string | null;
  readonly createdAt: string;
  readonly updatedAt: string | null;
}

/** An amphora with nothing known yet but what `fields` says (a new row, test fixtures). */
export function blankAmphora(fields: Pick<Amphora, 'id' | 'status' | 'createdAt'> & Partial<Amphora>): Amphora {
  return {
    computeId: null,
    loadBalancerId: null,
    lbNetworkIp: null,
    vrrpIp: null,
    haIp: null,
    vrrpPortId: null,
    haPortId: null,
    role: null,
    certExpiration: null,
    certBusy: false,
    vrrpInterface: null,
    vrrpId: null,
    vrrpPriority: null,
    cachedZone: null,
    imageId: null,
    computeFlavor: null,
    updatedAt: null,
    ...fields,
  };
}

export const VRRP_PRIORITY: Readonly<Record<AmphoraRole, number | null>> = {
  STANDALONE: null,
  MASTER: 100,
  BACKUP: 90,
};

/** Per-listener traffic counters as reported by an amphora (spec §8.5). */
export interface ListenerStatistics {
  readonly listenerId: string;
  readonly amphoraId: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly activeConnections: number;
  readonly totalConnections: number;
  readonly requestErrors: number;
}

export interface StatsTotals {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly activeConnections: number;
  readonly totalConnections: number;
  readonly requestErrors: number;
}

export const ZERO_STATS: StatsTotals = {
  bytesIn: 0,
  bytesOut: 0,
  activeConnections: 0,
  totalConnections: 0,
  requestErrors: 0,
};
