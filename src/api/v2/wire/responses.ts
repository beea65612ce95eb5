/**
 * The one mapper from domain objects to upstream's response JSON (snake_case, spec §1.5): fields in
 * upstream's order, `tenant_id` next to `project_id`, empty names and descriptions as "", unset
 * attributes omitted. Relationships are passed in as id lists, already resolved by the caller.
 */
import type { Amphora, ListenerStatistics, StatsTotals } from '../../../domain/amphora.js';
import type { AvailabilityZone, AvailabilityZoneProfile, Flavor, FlavorProfile } from '../../../domain/flavor.js';
import type { HealthMonitor } from '../../../domain/health-monitor.js';
import type { L7Policy, L7Rule } from '../../../domain/l7.js';
import type { Listener } from '../../../domain/listener.js';
import type { LoadBalancer } from '../../../domain/load-balancer.js';
import type { Member } from '../../../domain/member.js';
import type { Pool } from '../../../domain/pool.js';
import type { QuotaLimits } from '../../../domain/quota.js';

export type Json = Record<string, unknown>;

const ids = (list: readonly string[]): { id: string }[] => list.map((id) => ({ id }));
const text = (s: string | null): string => s ?? '';

export interface LoadBalancerRelations {
  readonly listeners: readonly string[];
  readonly pools: readonly string[];
}

export function loadBalancerJson(lb: LoadBalancer, rel: LoadBalancerRelations | { listeners: Json[]; pools: Json[] }): Json {
  const full = rel.listeners.length > 0 && typeof rel.listeners[0] === 'object';
  const out: Json = {
    id: lb.id,
    name: text(lb.name),
    description: text(lb.description),
    provisioning_status: lb.provisioningStatus,
    operating_status: lb.operatingStatus,
    admin_state_up: lb.adminStateUp,
    project_id: lb.projectId,
    created_at: lb.createdAt,
    updated_at: lb.updatedAt,
    vip_address: lb.vip.address,
    vip_port_id: lb.vip.portId,
    vip_subnet_id: lb.vip.subnetId,
    vip_network_id: lb.vip.networkId,
    vip_sg_ids: [...lb.vip.sgIds],
    additional_vips: lb.additionalVips.map((v) => ({ subnet_id: v.subnetId, ip_address: v.ipAddress, port_id: v.portId })),
    listeners: full ? rel.listeners : ids(rel.listeners as readonly string[]),
    pools: full || (rel.pools.length > 0 && typeof rel.pools[0] === 'object') ? rel.pools : ids(rel.pools as readonly string[]),
    provider: lb.provider ?? 'octavia',
    flavor_id: lb.flavorId,
    vip_qos_policy_id: lb.vip.qosPolicyId,
    tags: [...lb.tags],
    availability_zone: lb.availabilityZone,
    vip_vnic_type: lb.vip.vnicType,
    tenant_id: lb.projectId,
  };
  return out;
}

export interface ListenerRelations {
  readonly l7policies: readonly string[] | readonly Json[];
  /** Omitted in single-call create responses (upstream leaves it unset there). */
  readonly loadBalancerId?: string;
}

export function listenerJson(l: Listener, rel: ListenerRelations): Json {
  const full = rel.l7policies.length > 0 && typeof rel.l7policies[0] === 'object';
  const out: Json = {
    id: l.id,
    name: text(l.name),
    description: text(l.description),
    provisioning_status: l.provisioningStatus,
    operating_status: l.operatingStatus,
    admin_state_up: l.adminStateUp,
    protocol: l.protocol,
    protocol_port: l.protocolPort,
    connection_limit: l.connectionLimit,
    default_tls_container_ref: l.defaultTlsContainerRef,
    sni_container_refs: [...l.sniContainerRefs],
    project_id: l.projectId,
    default_pool_id: l.defaultPoolId,
    l7policies: full ? rel.l7policies : ids(rel.l7policies as readonly string[]),
    insert_headers: { ...l.insertHeaders },
    created_at: l.createdAt,
    updated_at: l.updatedAt,
  };
  if (rel.loadBalancerId !== undefined) out['loadbalancers'] = [{ id: rel.loadBalancerId }];
  Object.assign(out, {
    timeout_client_data: l.timeoutClientData,
    timeout_member_connect: l.timeoutMemberConnect,
    timeout_member_data: l.timeoutMemberData,
    timeout_tcp_inspect: l.timeoutTcpInspect,
    tags: [...l.tags],
    client_ca_tls_container_ref: l.clientCaTlsContainerRef,
    client_authentication: l.clientAuthentication,
    client_crl_container_ref: l.clientCrlContainerRef,
    allowed_cidrs: l.allowedCidrs.length > 0 ? [...l.allowedCidrs] : null,
    tls_ciphers: l.tlsCiphers,
    tls_versions: l.tlsVersions === null ? null : [...l.tlsVersions],
    alpn_protocols: l.alpnProtocols === null ? null : [...l.alpnProtocols],
    hsts_max_age: l.hstsMaxAge,
    hsts_include_subdomains: l.hstsIncludeSubdomains,
    hsts_preload: l.hstsPreload,
    tenant_id: l.projectId,
  });
  return out;
}

export function sessionPersistenceJson(p: Pool): Json | null {
  const sp = p.sessionPersistence;
  if (!sp) return null;
  return {
    type: sp.type,
    cookie_name: sp.cookieName,
    persistence_timeout: sp.persistenceTimeout,
    persistence_granularity: sp.persistenceGranularity,
  };
}

export interface PoolRelations {
  readonly listeners: readonly string[];
  readonly members: readonly string[] | readonly Json[];
  /** Plain responses: the health monitor id (omitted when none). */
  readonly healthMonitorId?: string | null;
  /** Single-call create responses: the full health monitor (or null). */
  readonly healthMonitor?: Json | null;
  readonly full?: boolean;
}

export function poolJson(p: Pool, rel: PoolRelations): Json {
  const out: Json = {
    id: p.id,
    name: text(p.name),
    description: text(p.description),
    provisioning_status: p.provisioningStatus,
    operating_status: p.operatingStatus,
    admin_state_up: p.adminStateUp,
    protocol: p.protocol,
    lb_algorithm: p.lbAlgorithm,
    session_persistence: sessionPersistenceJson(p),
    project_id: p.projectId,
  };
  if (!rel.full) out['loadbalancers'] = [{ id: p.loadBalancerId }];
  out['listeners'] = ids(rel.listeners);
  out['created_at'] = p.createdAt;
  out['updated_at'] = p.updatedAt;
  if (!rel.full && rel.healthMonitorId) out['healthmonitor_id'] = rel.healthMonitorId;
  if (rel.full) out['healthmonitor'] = rel.healthMonitor ?? null;
  out['members'] = rel.full ? rel.members : ids(rel.members as readonly string[]);
  Object.assign(out, {
    tags: [...p.tags],
    tls_container_ref: p.tlsContainerRef,
    ca_tls_container_ref: p.caTlsContainerRef,
    crl_container_ref: p.crlContainerRef,
    tls_enabled: p.tlsEnabled,
    tls_ciphers: p.tlsCiphers,
    tls_versions: p.tlsVersions === null ? null : [...p.tlsVersions],
    alpn_protocols: p.alpnProtocols === null ? null : [...p.alpnProtocols],
    tenant_id: p.projectId,
  });
  return out;
}

export function memberJson(m: Member): Json {
  return {
    id: m.id,
    name: text(m.name),
    operating_status: m.operatingStatus,
    provisioning_status: m.provisioningStatus,
    admin_state_up: m.adminStateUp,
    address: m.address,
    protocol_port: m.protocolPort,
    weight: m.weight,
    backup: m.backup,
    subnet_id: m.subnetId,
    project_id: m.projectId,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    monitor_address: m.monitorAddress,
    monitor_port: m.monitorPort,
    tags: [...m.tags],
    vnic_type: m.vnicType,
    tenant_id: m.projectId,
  };
}

export function healthMonitorJson(h: HealthMonitor, options: { full?: boolean } = {}): Json {
  const out: Json = {
    id: h.id,
    name: text(h.name),
    type: h.type,
    delay: h.delay,
    timeout: h.timeout,
    max_retries: h.maxRetries,
    max_retries_down: h.maxRetriesDown,
    http_method: h.httpMethod,
    url_path: h.urlPath,
    expected_codes: h.expectedCodes,
    admin_state_up: h.adminStateUp,
    project_id: h.projectId,
  };
  if (!options.full) out['pools'] = [{ id: h.poolId }];
  Object.assign(out, {
    provisioning_status: h.provisioningStatus,
    operating_status: h.operatingStatus,
    created_at: h.createdAt,
    updated_at: h.updatedAt,
    tags: [...h.tags],
    http_version: h.httpVersion,
    domain_name: h.domainName,
    tenant_id: h.projectId,
  });
  return out;
}

export function l7policyJson(p: L7Policy, rules: readonly string[] | readonly Json[]): Json {
  const full = rules.length > 0 && typeof rules[0] === 'object';
  return {
    id: p.id,
    name: text(p.name),
    description: text(p.description),
    provisioning_status: p.provisioningStatus,
    operating_status: p.operatingStatus,
    admin_state_up: p.adminStateUp,
    project_id: p.projectId,
    action: p.action,
    listener_id: p.listenerId,
    redirect_pool_id: p.redirectPoolId,
    redirect_url: p.redirectUrl,
    redirect_prefix: p.redirectPrefix,
    position: p.position,
    rules: full ? rules : ids(rules as readonly string[]),
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    tags: [...p.tags],
    redirect_http_code: p.redirectHttpCode,
    tenant_id: p.projectId,
  };
}

export function l7ruleJson(r: L7Rule): Json {
  return {
    id: r.id,
    type: r.type,
    compare_type: r.compareType,
    key: r.key,
    value: r.value,
    invert: r.invert,
    provisioning_status: r.provisioningStatus,
    operating_status: r.operatingStatus,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    project_id: r.projectId,
    admin_state_up: r.adminStateUp,
    tags: [...r.tags],
    tenant_id: r.projectId,
  };
}

export function amphoraJson(a: Amphora): Json {
  return {
    id: a.id,
    loadbalancer_id: a.loadBalancerId,
    compute_id: a.computeId,
    lb_network_ip: a.lbNetworkIp,
    vrrp_ip: a.vrrpIp,
    ha_ip: a.haIp,
    vrrp_port_id: a.vrrpPortId,
    ha_port_id: a.haPortId,
    cert_expiration: a.certExpiration,
    cert_busy: a.certBusy,
    role: a.role,
    status: a.status,
    vrrp_interface: a.vrrpInterface,
    vrrp_id: a.vrrpId,
    vrrp_priority: a.vrrpPriority,
    cached_zone: a.cachedZone,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    image_id: a.imageId,
    compute_flavor: a.computeFlavor,
  };
}

export function statsJson(s: StatsTotals): Json {
  return {
    bytes_in: s.bytesIn,
    bytes_out: s.bytesOut,
    active_connections: s.activeConnections,
    total_connections: s.totalConnections,
    request_errors: s.requestErrors,
  };
}

export function amphoraStatsJson(s: ListenerStatistics, loadBalancerId: string | null): Json {
  return {
    active_connections: s.activeConnections,
    bytes_in: s.bytesIn,
    bytes_out: s.bytesOut,
    id: s.amphoraId,
    listener_id: s.listenerId,
    loadbalancer_id: loadBalancerId,
    request_errors: s.requestErrors,
    total_connections: s.totalConnections,
  };
}

export function flavorJson(f: Flavor): Json {
  return {
    id: f.id,
    name: f.name,
    description: text(f.description),
    enabled: f.enabled,
    flavor_profile_id: f.flavorProfileId,
  };
}

export function flavorProfileJson(f: FlavorProfile): Json {
  return { id: f.id, name: f.name, provider_name: f.providerName, flavor_data: f.flavorData };
}

export function availabilityZoneJson(a: AvailabilityZone): Json {
  return {
    name: a.name,
    description: text(a.description),
    enabled: a.enabled,
    availability_zone_profile_id: a.availabilityZoneProfileId,
  };
}

export function availabilityZoneProfileJson(a: AvailabilityZoneProfile): Json {
  return { id: a.id, name: a.name, provider_name: a.providerName, availability_zone_data: a.availabilityZoneData };
}

/**
 * A project's quota: both spellings of load balancer and health monitor (the underscored ones are
 * the deprecated misspellings upstream still emits) and `tenant_id`. Limits are passed as they
 * should appear: raw (null = default) in lists, effective in single-object answers.
 */
export function quotaJson(projectId: string, limits: QuotaLimits): Json {
  return {
    project_id: projectId,
    loadbalancer: limits.loadBalancer,
    load_balancer: limits.loadBalancer,
    listener: limits.listener,
    member: limits.member,
    pool: limits.pool,
    healthmonitor: limits.healthMonitor,
    health_monitor: limits.healthMonitor,
    l7policy: limits.l7policy,
    l7rule: limits.l7rule,
    tenant_id: projectId,
  };
}
