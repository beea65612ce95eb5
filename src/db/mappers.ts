/**
 * The one mapper between database rows and domain objects. Rows keep upstream's column names;
 * booleans are 0/1, lists and maps are JSON text (see schema.ts).
 */
import type { Amphora } from '../domain/amphora.js';
import type { AvailabilityZone, AvailabilityZoneProfile, Flavor, FlavorProfile } from '../domain/flavor.js';
import type { HealthMonitor } from '../domain/health-monitor.js';
import type { L7Policy, L7Rule } from '../domain/l7.js';
import type { Listener } from '../domain/listener.js';
import type { AdditionalVip, LoadBalancer } from '../domain/load-balancer.js';
import type { Member } from '../domain/member.js';
import type { Pool } from '../domain/pool.js';
import type {
  AdditionalVipTable,
  AmphoraTable,
  AvailabilityZoneProfileTable,
  AvailabilityZoneTable,
  FlavorProfileTable,
  FlavorTable,
  HealthMonitorTable,
  L7PolicyTable,
  L7RuleTable,
  ListenerTable,
  LoadBalancerTable,
  MemberTable,
  PoolTable,
} from './schema.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- enum columns are checked on the way in */
type Any = any;

export const flag = (b: boolean): number => (b ? 1 : 0);
export const bool = (n: number | boolean | null | undefined): boolean => n === true || n === 1 || (n as unknown) === '1';

function json<T>(text: string | null, fallback: T): T {
  if (text === null || text === '') return fallback;
  return JSON.parse(text) as T;
}
const toJson = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

export interface LoadBalancerChildren {
  readonly tags: readonly string[];
  readonly sgIds: readonly string[];
  readonly additionalVips: readonly AdditionalVip[];
}

export function loadBalancerFromRow(row: LoadBalancerTable, children: LoadBalancerChildren): LoadBalancer {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    description: row.description,
    adminStateUp: bool(row.enabled),
    provisioningStatus: row.provisioning_status as Any,
    operatingStatus: row.operating_status as Any,
    topology: row.topology as Any,
    serverGroupId: row.server_group_id,
    provider: row.provider,
    flavorId: row.flavor_id,
    availabilityZone: row.availability_zone,
    vip: {
      address: row.vip_address,
      portId: row.vip_port_id,
      subnetId: row.vip_subnet_id,
      networkId: row.vip_network_id,
      qosPolicyId: row.vip_qos_policy_id,
      octaviaOwned: bool(row.vip_octavia_owned),
      vnicType: row.vip_vnic_type as Any,
      sgIds: children.sgIds,
    },
    additionalVips: children.additionalVips,
    tags: children.tags,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function loadBalancerToRow(lb: LoadBalancer): LoadBalancerTable {
  return {
    id: lb.id,
    project_id: lb.projectId,
    name: lb.name,
    description: lb.description,
    provisioning_status: lb.provisioningStatus,
    operating_status: lb.operatingStatus,
    enabled: flag(lb.adminStateUp),
    topology: lb.topology,
    server_group_id: lb.serverGroupId,
    provider: lb.provider,
    flavor_id: lb.flavorId,
    availability_zone: lb.availabilityZone,
    vip_address: lb.vip.address,
    vip_port_id: lb.vip.portId,
    vip_subnet_id: lb.vip.subnetId,
    vip_network_id: lb.vip.networkId,
    vip_qos_policy_id: lb.vip.qosPolicyId,
    vip_octavia_owned: flag(lb.vip.octaviaOwned),
    vip_vnic_type: lb.vip.vnicType,
    created_at: lb.createdAt,
    updated_at: lb.updatedAt,
  };
}

export function additionalVipFromRow(row: AdditionalVipTable): AdditionalVip {
  return { subnetId: row.subnet_id, networkId: row.network_id, portId: row.port_id, ipAddress: row.ip_address };
}

export interface ListenerChildren {
  readonly tags: readonly string[];
  readonly sniContainerRefs: readonly string[];
  readonly allowedCidrs: readonly string[];
}

export function listenerFromRow(row: ListenerTable, children: ListenerChildren): Listener {
  return {
    id: row.id,
    projectId: row.project_id,
    loadBalancerId: row.load_balancer_id,
    name: row.name,
    description: row.description,
    adminStateUp: bool(row.enabled),
    protocol: row.protocol as Any,
    protocolPort: row.protocol_port,
    connectionLimit: row.connection_limit ?? -1,
    defaultPoolId: row.default_pool_id,
    defaultTlsContainerRef: row.tls_certificate_id,
    sniContainerRefs: children.sniContainerRefs,
    clientCaTlsContainerRef: row.client_ca_tls_certificate_id,
    clientAuthentication: row.client_authentication as Any,
    clientCrlContainerRef: row.client_crl_container_id,
    insertHeaders: json<Record<string, string>>(row.insert_headers, {}),
    timeoutClientData: row.timeout_client_data,
    timeoutMemberConnect: row.timeout_member_connect,
    timeoutMemberData: row.timeout_member_data,
    timeoutTcpInspect: row.timeout_tcp_inspect,
    allowedCidrs: children.allowedCidrs,
    tlsCiphers: row.tls_ciphers,
    tlsVersions: json<string[] | null>(row.tls_versions, null),
    alpnProtocols: json<string[] | null>(row.alpn_protocols, null),
    hstsMaxAge: row.hsts_max_age,
    hstsIncludeSubdomains: bool(row.hsts_include_subdomains),
    hstsPreload: bool(row.hsts_preload),
    peerPort: row.peer_port,
    provisioningStatus: row.provisioning_status as Any,
    operatingStatus: row.operating_status as Any,
    tags: children.tags,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function listenerToRow(l: Listener): ListenerTable {
  return {
    id: l.id,
    project_id: l.projectId,
    load_balancer_id: l.loadBalancerId,
    name: l.name,
    description: l.description,
    protocol: l.protocol,
    protocol_port: l.protocolPort,
    connection_limit: l.connectionLimit,
    enabled: flag(l.adminStateUp),
    default_pool_id: l.defaultPoolId,
    tls_certificate_id: l.defaultTlsContainerRef,
    client_ca_tls_certificate_id: l.clientCaTlsContainerRef,
    client_authentication: l.clientAuthentication,
    client_crl_container_id: l.clientCrlContainerRef,
    insert_headers: toJson(l.insertHeaders),
    timeout_client_data: l.timeoutClientData,
    timeout_member_connect: l.timeoutMemberConnect,
    timeout_member_data: l.timeoutMemberData,
    timeout_tcp_inspect: l.timeoutTcpInspect,
    tls_ciphers: l.tlsCiphers,
    tls_versions: toJson(l.tlsVersions),
    alpn_protocols: toJson(l.alpnProtocols),
    hsts_max_age: l.hstsMaxAge,
    hsts_include_subdomains: flag(l.hstsIncludeSubdomains),
    hsts_preload: flag(l.hstsPreload),
    peer_port: l.peerPort,
    provisioning_status: l.provisioningStatus,
    operating_status: l.operatingStatus,
    created_at: l.createdAt,
    updated_at: l.updatedAt,
  };
}

export function poolFromRow(row: PoolTable, tags: readonly string[]): Pool {
  return {
    id: row.id,
    projectId: row.project_id,
    loadBalancerId: row.load_balancer_id,
    name: row.name,
    description: row.description,
    adminStateUp: bool(row.enabled),
    protocol: row.protocol as Any,
    lbAlgorithm: row.lb_algorithm as Any,
    sessionPersistence:
      row.sp_type === null
        ? null
        : {
            type: row.sp_type as Any,
            cookieName: row.sp_cookie_name,
            persistenceTimeout: row.sp_persistence_timeout,
            persistenceGranularity: row.sp_persistence_granularity,
          },
    tlsEnabled: bool(row.tls_enabled),
    tlsContainerRef: row.tls_certificate_id,
    caTlsContainerRef: row.ca_tls_certificate_id,
    crlContainerRef: row.crl_container_id,
    tlsCiphers: row.tls_ciphers,
    tlsVersions: json<string[] | null>(row.tls_versions, null),
    alpnProtocols: json<string[] | null>(row.alpn_protocols, null),
    provisioningStatus: row.provisioning_status as Any,
    operatingStatus: row.operating_status as Any,
    tags,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function poolToRow(p: Pool): PoolTable {
  const sp = p.sessionPersistence;
  return {
    id: p.id,
    project_id: p.projectId,
    load_balancer_id: p.loadBalancerId,
    name: p.name,
    description: p.description,
    protocol: p.protocol,
    lb_algorithm: p.lbAlgorithm,
    enabled: flag(p.adminStateUp),
    sp_type: sp?.type ?? null,
    sp_cookie_name: sp?.cookieName ?? null,
    sp_persistence_timeout: sp?.persistenceTimeout ?? null,
    sp_persistence_granularity: sp?.persistenceGranularity ?? null,
    tls_enabled: flag(p.tlsEnabled),
    tls_certificate_id: p.tlsContainerRef,
    ca_tls_certificate_id: p.caTlsContainerRef,
    crl_container_id: p.crlContainerRef,
    tls_ciphers: p.tlsCiphers,
    tls_versions: toJson(p.tlsVersions),
    alpn_protocols: toJson(p.alpnProtocols),
    provisioning_status: p.provisioningStatus,
    operating_status: p.operatingStatus,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

export function memberFromRow(row: MemberTable, tags: readonly string[]): Member {
  return {
    id: row.id,
    projectId: row.project_id,
    poolId: row.pool_id,
    name: row.name,
    adminStateUp: bool(row.enabled),
    address: row.ip_address,
    protocolPort: row.protocol_port,
    weight: row.weight ?? 1,
    backup: bool(row.backup),
    subnetId: row.subnet_id,
    monitorAddress: row.monitor_address,
    monitorPort: row.monitor_port,
    vnicType: row.vnic_type as Any,
    provisioningStatus: row.provisioning_status as Any,
    operatingStatus: row.operating_status as Any,
    tags,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function memberToRow(m: Member): MemberTable {
  return {
    id: m.id,
    project_id: m.projectId,
    pool_id: m.poolId,
    name: m.name,
    ip_address: m.address,
    protocol_port: m.protocolPort,
    weight: m.weight,
    backup: flag(m.backup),
    subnet_id: m.subnetId,
    monitor_address: m.monitorAddress,
    monitor_port: m.monitorPort,
    enabled: flag(m.adminStateUp),
    vnic_type: m.vnicType,
    provisioning_status: m.provisioningStatus,
    operating_status: m.operatingStatus,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
  };
}

export function healthMonitorFromRow(row: HealthMonitorTable, tags: readonly string[]): HealthMonitor {
  return {
    id: row.id,
    projectId: row.project_id,
    poolId: row.pool_id,
    name: row.name,
    type: row.type as Any,
    delay: row.delay,
    timeout: row.timeout,
    maxRetries: row.rise_threshold,
    maxRetriesDown: row.fall_threshold,
    httpMethod: row.http_method as Any,
    urlPath: row.url_path,
    expectedCodes: row.expected_codes,
    httpVersion: row.http_version === null ? null : Number(row.http_version),
    domainName: row.domain_name,
    adminStateUp: bool(row.enabled),
    provisioningStatus: row.provisioning_status as Any,
    operatingStatus: row.operating_status as Any,
    tags,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function healthMonitorToRow(h: HealthMonitor): HealthMonitorTable {
  return {
    id: h.id,
    project_id: h.projectId,
    pool_id: h.poolId,
    name: h.name,
    type: h.type,
    delay: h.delay,
    timeout: h.timeout,
    fall_threshold: h.maxRetriesDown,
    rise_threshold: h.maxRetries,
    http_method: h.httpMethod,
    url_path: h.urlPath,
    expected_codes: h.expectedCodes,
    http_version: h.httpVersion === null ? null : h.httpVersion.toFixed(1),
    domain_name: h.domainName,
    enabled: flag(h.adminStateUp),
    provisioning_status: h.provisioningStatus,
    operating_status: h.operatingStatus,
    created_at: h.createdAt,
    updated_at: h.updatedAt,
  };
}

export function l7policyFromRow(row: L7PolicyTable, tags: readonly string[]): L7Policy {
  return {
    id: row.id,
    projectId: row.project_id,
    listenerId: row.listener_id,
    name: row.name,
    description: row.description,
    action: row.action as Any,
    redirectPoolId: row.redirect_pool_id,
    redirectUrl: row.redirect_url,
    redirectPrefix: row.redirect_prefix,
    redirectHttpCode: row.redirect_http_code,
    position: row.position,
    adminStateUp: bool(row.enabled),
    provisioningStatus: row.provisioning_status as Any,
    operatingStatus: row.operating_status as Any,
    tags,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function l7policyToRow(p: L7Policy): L7PolicyTable {
  return {
    id: p.id,
    project_id: p.projectId,
    listener_id: p.listenerId,
    name: p.name,
    description: p.description,
    action: p.action,
    redirect_pool_id: p.redirectPoolId,
    redirect_url: p.redirectUrl,
    redirect_prefix: p.redirectPrefix,
    redirect_http_code: p.redirectHttpCode,
    position: p.position,
    enabled: flag(p.adminStateUp),
    provisioning_status: p.provisioningStatus,
    operating_status: p.operatingStatus,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  };
}

export function l7ruleFromRow(row: L7RuleTable, tags: readonly string[]): L7Rule {
  return {
    id: row.id,
    projectId: row.project_id,
    l7policyId: row.l7policy_id,
    type: row.type as Any,
    compareType: row.compare_type as Any,
    key: row.key,
    value: row.value,
    invert: bool(row.invert),
    adminStateUp: bool(row.enabled),
    provisioningStatus: row.provisioning_status as Any,
    operatingStatus: row.operating_status as Any,
    tags,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function l7ruleToRow(r: L7Rule): L7RuleTable {
  return {
    id: r.id,
    project_id: r.projectId,
    l7policy_id: r.l7policyId,
    type: r.type,
    compare_type: r.compareType,
    key: r.key,
    value: r.value,
    invert: flag(r.invert),
    enabled: flag(r.adminStateUp),
    provisioning_status: r.provisioningStatus,
    operating_status: r.operatingStatus,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

export function amphoraFromRow(row: AmphoraTable): Amphora {
  return {
    id: row.id,
    computeId: row.compute_id,
    status: row.status as Any,
    loadBalancerId: row.load_balancer_id,
    lbNetworkIp: row.lb_network_ip,
    vrrpIp: row.vrrp_ip,
    haIp: row.ha_ip,
    vrrpPortId: row.vrrp_port_id,
    haPortId: row.ha_port_id,
    role: row.role as Any,
    certExpiration: row.cert_expiration,
    certBusy: bool(row.cert_busy),
    vrrpInterface: row.vrrp_interface,
    vrrpId: row.vrrp_id,
    vrrpPriority: row.vrrp_priority,
    cachedZone: row.cached_zone,
    imageId: row.image_id,
    computeFlavor: row.compute_flavor,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function amphoraToRow(a: Amphora): AmphoraTable {
  return {
    id: a.id,
    compute_id: a.computeId,
    status: a.status,
    load_balancer_id: a.loadBalancerId,
    lb_network_ip: a.lbNetworkIp,
    vrrp_ip: a.vrrpIp,
    ha_ip: a.haIp,
    vrrp_port_id: a.vrrpPortId,
    ha_port_id: a.haPortId,
    role: a.role,
    cert_expiration: a.certExpiration,
    cert_busy: flag(a.certBusy),
    vrrp_interface: a.vrrpInterface,
    vrrp_id: a.vrrpId,
    vrrp_priority: a.vrrpPriority,
    cached_zone: a.cachedZone,
    image_id: a.imageId,
    compute_flavor: a.computeFlavor,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
  };
}

export const flavorFromRow = (r: FlavorTable): Flavor => ({
  id: r.id,
  name: r.name,
  description: r.description,
  enabled: bool(r.enabled),
  flavorProfileId: r.flavor_profile_id,
});
export const flavorToRow = (f: Flavor): FlavorTable => ({
  id: f.id,
  name: f.name,
  description: f.description,
  enabled: flag(f.enabled),
  flavor_profile_id: f.flavorProfileId,
});
export const flavorProfileFromRow = (r: FlavorProfileTable): FlavorProfile => ({
  id: r.id,
  name: r.name,
  providerName: r.provider_name,
  flavorData: r.flavor_data,
});
export const flavorProfileToRow = (f: FlavorProfile): FlavorProfileTable => ({
  id: f.id,
  name: f.name,
  provider_name: f.providerName,
  flavor_data: f.flavorData,
});
export const availabilityZoneFromRow = (r: AvailabilityZoneTable): AvailabilityZone => ({
  name: r.name,
  description: r.description,
  enabled: bool(r.enabled),
  availabilityZoneProfileId: r.availability_zone_profile_id,
});
export const availabilityZoneToRow = (a: AvailabilityZone): AvailabilityZoneTable => ({
  name: a.name,
  description: a.description,
  enabled: flag(a.enabled),
  availability_zone_profile_id: a.availabilityZoneProfileId,
});
export const availabilityZoneProfileFromRow = (r: AvailabilityZoneProfileTable): AvailabilityZoneProfile => ({
  id: r.id,
  name: r.name,
  providerName: r.provider_name,
  availabilityZoneData: r.availability_zone_data,
});
export const availabilityZoneProfileToRow = (a: AvailabilityZoneProfile): AvailabilityZoneProfileTable => ({
  id: a.id,
  name: a.name,
  provider_name: a.providerName,
  availability_zone_data: a.availabilityZoneData,
});
