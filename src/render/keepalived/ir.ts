/**
 * What keepalived should do for one amphora of an ACTIVE_STANDBY load balancer, decided but not
 * yet spelled. Plain immutable data with `kind` discriminants; every string in it was checked to
 * be a plain keepalived token (addresses, networks, interface and file names), so the emitter
 * only joins them.
 */

export interface KeepalivedConfigIR {
  readonly kind: 'keepalived-config';
  readonly loadBalancerId: string;
  readonly amphoraId: string;
  readonly routerId: string;
  readonly trackFile: TrackFile;
  readonly instance: VrrpInstance;
}

/** keepalived goes to FAULT (priority 0 adverts) while the file holds a non-zero number. */
export interface TrackFile {
  readonly kind: 'track-file';
  readonly name: string;
  readonly path: string;
}

export interface VrrpInstance {
  readonly kind: 'vrrp-instance';
  readonly name: string;
  readonly interface: string;
  readonly virtualRouterId: number;
  readonly priority: number;
  /** Seconds, VRRPv3 (centisecond resolution). */
  readonly advertInt: number;
  readonly garpRefreshInterval: number;
  readonly garpRefreshCount: number;
  readonly sourceAddress: string;
  readonly peers: readonly string[];
  /** VIPs of the VRRP address family, and of the other family (held but not advertised). */
  readonly addresses: readonly string[];
  readonly excludedAddresses: readonly string[];
  readonly routes: readonly VirtualRoute[];
  readonly rules: readonly VirtualRule[];
}

export type VirtualRoute =
  /** The VIP subnet, sourced from the VIP, in table 1. */
  | { readonly kind: 'subnet-route'; readonly network: string; readonly source: string }
  | { readonly kind: 'default-route'; readonly gateway: string }
  | { readonly kind: 'host-route'; readonly destination: string; readonly nexthop: string };

/** Traffic from a VIP uses table 1 (answers leave through the VIP's subnet). */
export interface VirtualRule {
  readonly kind: 'source-rule';
  readonly source: string;
  readonly prefixLength: 32 | 128;
}
