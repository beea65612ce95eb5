/**
 * Builds a KeepalivedRenderInput from a golden case's `.in.json`. The load balancer and amphorae
 * take render/haproxy's fixture defaults (one set of defaults for both renderers); subnets and
 * settings take the defaults below (settings: the configuration defaults of [keepalived_vrrp] and
 * [haproxy_amphora] base_path). Test support only (excluded from the build with testdata/).
 */
import type { Amphora } from '../../../domain/amphora.js';
import type { LoadBalancerGraph } from '../../../domain/graph.js';
import type { LoadBalancer } from '../../../domain/load-balancer.js';
import type { Subnet } from '../../../domain/network.js';
import { amphora, loadBalancer } from '../../haproxy/testdata/fixture.js';
import type { KeepalivedRenderInput, KeepalivedSettings } from '../translate.js';

type Partial1<T> = { -readonly [K in keyof T]?: T[K] extends object ? unknown : T[K] };

export interface CaseInput {
  readonly description?: string;
  readonly settings?: Partial<KeepalivedSettings>;
  /** Id of the amphora rendered for; default: the first one. */
  readonly amphora?: string;
  readonly loadBalancer?: Partial1<LoadBalancer> & { vip?: Partial<LoadBalancer['vip']> };
  readonly amphorae?: readonly Partial1<Amphora>[];
  readonly subnets?: readonly Partial1<Subnet>[];
}

export const DEFAULT_SETTINGS: KeepalivedSettings = {
  basePath: '/var/lib/octavia',
  advertInt: 1,
  garpRefreshInterval: 5,
  garpRefreshCount: 2,
};

export function subnet(o: Partial1<Subnet>): Subnet {
  const cidr = typeof o.cidr === 'string' ? o.cidr : '198.18.0.0/24';
  return {
    id: 'subnet-1',
    name: '',
    networkId: 'net-1',
    projectId: null,
    cidr,
    ipVersion: cidr.includes(':') ? 6 : 4,
    gatewayIp: null,
    hostRoutes: [],
    allocationPools: [],
    enableDhcp: false,
    ...o,
  } as Subnet;
}

export function inputOf(c: CaseInput): KeepalivedRenderInput {
  const graph: LoadBalancerGraph = {
    loadBalancer: loadBalancer(c.loadBalancer),
    listeners: [],
    pools: [],
    members: [],
    healthMonitors: [],
    l7policies: [],
    l7rules: [],
    amphorae: (c.amphorae ?? [{}]).map(amphora),
  };
  const amp = graph.amphorae.find((a) => a.id === c.amphora) ?? graph.amphorae[0] ?? amphora({});
  return { graph, amphora: amp, subnets: (c.subnets ?? []).map(subnet), settings: { ...DEFAULT_SETTINGS, ...c.settings } };
}
