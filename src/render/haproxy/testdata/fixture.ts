/**
 * Builds a HaproxyRenderInput from a golden case's `.in.json`: objects list only the fields that
 * matter for the behaviour; everything else takes the defaults below (an ACTIVE, enabled,
 * upstream-defaulted object). Test support only (excluded from the build with testdata/).
 */
import { blankAmphora, type Amphora } from '../../../domain/amphora.js';
import type { LoadBalancerGraph } from '../../../domain/graph.js';
import type { HealthMonitor } from '../../../domain/health-monitor.js';
import type { L7Policy, L7Rule } from '../../../domain/l7.js';
import type { Listener } from '../../../domain/listener.js';
import type { LoadBalancer } from '../../../domain/load-balancer.js';
import type { Member } from '../../../domain/member.js';
import type { Pool } from '../../../domain/pool.js';
import type { HaproxyRenderInput, HaproxySettings } from '../input.js';

type Partial1<T> = { -readonly [K in keyof T]?: T[K] extends object ? unknown : T[K] };

export interface CaseInput {
  readonly description?: string;
  readonly haproxyVersion?: string;
  readonly maxOpenFiles?: number | null;
  readonly settings?: Partial<HaproxySettings>;
  /** Id of the amphora rendered for; default: the first one. */
  readonly amphora?: string;
  readonly loadBalancer?: Partial1<LoadBalancer> & { vip?: Partial<LoadBalancer['vip']> };
  readonly listeners?: readonly Partial1<Listener>[];
  readonly pools?: readonly Partial1<Pool>[];
  readonly members?: readonly Partial1<Member>[];
  readonly healthMonitors?: readonly Partial1<HealthMonitor>[];
  readonly l7policies?: readonly Partial1<L7Policy>[];
  readonly l7rules?: readonly Partial1<L7Rule>[];
  readonly amphorae?: readonly Partial1<Amphora>[];
}

const T = '2026-01-01T00:00:00';
const common = { provisioningStatus: 'ACTIVE', operatingStatus: 'ONLINE', tags: [], createdAt: T, updatedAt: null } as const;

export const DEFAULT_SETTINGS: HaproxySettings = {
  basePath: '/var/lib/octavia',
  baseCertDir: '/var/lib/octavia/certs',
  defaultConnectionLimit: 50000,
  timeoutClientData: 50000,
  timeoutMemberConnect: 5000,
  timeoutMemberData: 50000,
  timeoutTcpInspect: 0,
  connectionLogging: true,
  userLogFormat: '{{ project_id }} {{ lb_id }} %f %ci %cp %t %{+Q}r %ST %B %U %[ssl_c_verify] %{+Q}[ssl_c_s_dn] %b %s %Tt %tsc',
  stickSize: '10k',
  nbthread: 1,
  logTarget: null,
};

export function loadBalancer(o: CaseInput['loadBalancer'] = {}): LoadBalancer {
  const { vip, ...rest } = o as Record<string, unknown> & { vip?: Partial<LoadBalancer['vip']> };
  return {
    id: 'lb-1',
    projectId: 'project-1',
    name: null,
    description: null,
    adminStateUp: true,
    topology: 'SINGLE',
    serverGroupId: null,
    provider: 'amphora',
    flavorId: null,
    availabilityZone: null,
    additionalVips: [],
    ...common,
    ...rest,
    vip: {
      address: '198.18.0.100',
      portId: 'vip-port',
      subnetId: 'subnet-1',
      networkId: 'net-1',
      qosPolicyId: null,
      octaviaOwned: true,
      vnicType: 'normal',
      sgIds: [],
      ...vip,
    },
  } as LoadBalancer;
}

export function listener(o: Partial1<Listener>): Listener {
  return {
    id: 'listener-1',
    projectId: 'project-1',
    loadBalancerId: 'lb-1',
    name: null,
    description: null,
    adminStateUp: true,
    protocol: 'HTTP',
    protocolPort: 80,
    connectionLimit: -1,
    defaultPoolId: null,
    defaultTlsContainerRef: null,
    sniContainerRefs: [],
    clientCaTlsContainerRef: null,
    clientAuthentication: 'NONE',
    clientCrlContainerRef: null,
    insertHeaders: {},
    timeoutClientData: null,
    timeoutMemberConnect: null,
    timeoutMemberData: null,
    timeoutTcpInspect: null,
    allowedCidrs: [],
    tlsCiphers: null,
    tlsVersions: null,
    alpnProtocols: null,
    hstsMaxAge: null,
    hstsIncludeSubdomains: false,
    hstsPreload: false,
    peerPort: null,
    ...common,
    ...o,
  } as Listener;
}

export function pool(o: Partial1<Pool>): Pool {
  return {
    id: 'pool-1',
    projectId: 'project-1',
    loadBalancerId: 'lb-1',
    name: null,
    description: null,
    adminStateUp: true,
    protocol: 'HTTP',
    lbAlgorithm: 'ROUND_ROBIN',
    sessionPersistence: null,
    tlsEnabled: false,
    tlsContainerRef: null,
    caTlsContainerRef: null,
    crlContainerRef: null,
    tlsCiphers: null,
    tlsVersions: null,
    alpnProtocols: null,
    ...common,
    ...o,
  } as Pool;
}

export function member(o: Partial1<Member>): Member {
  return {
    id: 'member-1',
    projectId: 'project-1',
    poolId: 'pool-1',
    name: null,
    adminStateUp: true,
    address: '198.18.1.11',
    protocolPort: 80,
    weight: 1,
    backup: false,
    subnetId: null,
    monitorAddress: null,
    monitorPort: null,
    vnicType: 'normal',
    ...common,
    ...o,
  } as Member;
}

export function healthMonitor(o: Partial1<HealthMonitor>): HealthMonitor {
  return {
    id: 'hm-1',
    projectId: 'project-1',
    poolId: 'pool-1',
    name: null,
    type: 'HTTP',
    delay: 5,
    timeout: 3,
    maxRetries: 3,
    maxRetriesDown: 3,
    httpMethod: 'GET',
    urlPath: '/',
    expectedCodes: '200',
    httpVersion: null,
    domainName: null,
    adminStateUp: true,
    ...common,
    ...o,
  } as HealthMonitor;
}

export function l7policy(o: Partial1<L7Policy>): L7Policy {
  return {
    id: 'policy-1',
    projectId: 'project-1',
    listenerId: 'listener-1',
    name: null,
    description: null,
    action: 'REJECT',
    redirectPoolId: null,
    redirectUrl: null,
    redirectPrefix: null,
    redirectHttpCode: null,
    position: 1,
    adminStateUp: true,
    ...common,
    ...o,
  } as L7Policy;
}

export function l7rule(o: Partial1<L7Rule>): L7Rule {
  return {
    id: 'rule-1',
    projectId: 'project-1',
    l7policyId: 'policy-1',
    type: 'PATH',
    compareType: 'STARTS_WITH',
    key: null,
    value: '/',
    invert: false,
    adminStateUp: true,
    ...common,
    ...o,
  } as L7Rule;
}

export function amphora(o: Partial1<Amphora>): Amphora {
  const base = blankAmphora({
    id: 'amphora-1',
    computeId: 'octv-amp-amphora1',
    status: 'ALLOCATED',
    loadBalancerId: 'lb-1',
    lbNetworkIp: '198.19.0.2',
    role: 'STANDALONE',
    createdAt: T,
  });
  return { ...base, ...o } as Amphora;
}

export function graphOf(c: CaseInput): LoadBalancerGraph {
  return {
    loadBalancer: loadBalancer(c.loadBalancer),
    listeners: (c.listeners ?? []).map(listener),
    pools: (c.pools ?? []).map(pool),
    members: (c.members ?? []).map(member),
    healthMonitors: (c.healthMonitors ?? []).map(healthMonitor),
    l7policies: (c.l7policies ?? []).map(l7policy),
    l7rules: (c.l7rules ?? []).map(l7rule),
    amphorae: (c.amphorae ?? [{}]).map(amphora),
  };
}

export function inputOf(c: CaseInput): HaproxyRenderInput {
  const graph = graphOf(c);
  const amp = graph.amphorae.find((a) => a.id === c.amphora) ?? graph.amphorae[0] ?? amphora({});
  return {
    graph,
    amphora: amp,
    haproxyVersion: c.haproxyVersion ?? '2.6.12-1+deb12u4',
    maxOpenFiles: c.maxOpenFiles ?? null,
    settings: { ...DEFAULT_SETTINGS, ...c.settings },
  };
}
