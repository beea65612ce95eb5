/**
 * The row shapes of every table, as Kysely sees them. Conventions that keep one schema portable
 * across SQLite, PostgreSQL and MySQL/MariaDB:
 * - booleans are SMALLINT 0/1 (`Flag`), mapped to boolean in db/mappers.ts;
 * - API timestamps are text in upstream's format (`2017-02-28T00:41:44`), which sorts in time order;
 *   internal times (jobs, leases, heartbeats) are BIGINT epoch milliseconds;
 * - lists and maps are JSON text.
 * Column names follow upstream's schema where one exists, so operators can map between the two.
 */

export type Flag = number; // 0 | 1
/** BIGINT columns come back as strings from pg and sometimes mysql2: mappers call Number(). */
export type BigIntColumn = number | string;

export interface LoadBalancerTable {
  id: string;
  project_id: string | null;
  name: string | null;
  description: string | null;
  provisioning_status: string;
  operating_status: string;
  enabled: Flag;
  topology: string | null;
  server_group_id: string | null;
  provider: string | null;
  flavor_id: string | null;
  availability_zone: string | null;
  vip_address: string | null;
  vip_port_id: string | null;
  vip_subnet_id: string | null;
  vip_network_id: string | null;
  vip_qos_policy_id: string | null;
  vip_octavia_owned: Flag;
  vip_vnic_type: string;
  created_at: string;
  updated_at: string | null;
}

export interface VipSecurityGroupTable {
  load_balancer_id: string;
  sg_id: string;
}

export interface AdditionalVipTable {
  load_balancer_id: string;
  subnet_id: string;
  network_id: string | null;
  port_id: string | null;
  ip_address: string | null;
}

export interface ListenerTable {
  id: string;
  project_id: string | null;
  load_balancer_id: string;
  name: string | null;
  description: string | null;
  protocol: string;
  protocol_port: number;
  connection_limit: number | null;
  enabled: Flag;
  default_pool_id: string | null;
  tls_certificate_id: string | null;
  client_ca_tls_certificate_id: string | null;
  client_authentication: string;
  client_crl_container_id: string | null;
  insert_headers: string | null;
  timeout_client_data: number | null;
  timeout_member_connect: number | null;
  timeout_member_data: number | null;
  timeout_tcp_inspect: number | null;
  tls_ciphers: string | null;
  tls_versions: string | null;
  alpn_protocols: string | null;
  hsts_max_age: number | null;
  hsts_include_subdomains: Flag;
  hsts_preload: Flag;
  peer_port: number | null;
  provisioning_status: string;
  operating_status: string;
  created_at: string;
  updated_at: string | null;
}

export interface SniTable {
  listener_id: string;
  tls_container_id: string;
  position: number;
}

export interface ListenerCidrTable {
  listener_id: string;
  cidr: string;
}

export interface PoolTable {
  id: string;
  project_id: string | null;
  load_balancer_id: string;
  name: string | null;
  description: string | null;
  protocol: string;
  lb_algorithm: string;
  enabled: Flag;
  sp_type: string | null;
  sp_cookie_name: string | null;
  sp_persistence_timeout: number | null;
  sp_persistence_granularity: string | null;
  tls_enabled: Flag;
  tls_certificate_id: string | null;
  ca_tls_certificate_id: string | null;
  crl_container_id: string | null;
  tls_ciphers: string | null;
  tls_versions: string | null;
  alpn_protocols: string | null;
  provisioning_status: string;
  operating_status: string;
  created_at: string;
  updated_at: string | null;
}

export interface MemberTable {
  id: string;
  project_id: string | null;
  pool_id: string;
  name: string | null;
  ip_address: string;
  protocol_port: number;
  weight: number | null;
  backup: Flag;
  subnet_id: string | null;
  monitor_address: string | null;
  monitor_port: number | null;
  enabled: Flag;
  vnic_type: string;
  provisioning_status: string;
  operating_status: string;
  created_at: string;
  updated_at: string | null;
}

export interface HealthMonitorTable {
  id: string;
  project_id: string | null;
  pool_id: string;
  name: string | null;
  type: string;
  delay: number;
  timeout: number;
  fall_threshold: number;
  rise_threshold: number;
  http_method: string | null;
  url_path: string | null;
  expected_codes: string | null;
  http_version: string | null;
  domain_name: string | null;
  enabled: Flag;
  provisioning_status: string;
  operating_status: string;
  created_at: string;
  updated_at: string | null;
}

export interface L7PolicyTable {
  id: string;
  project_id: string | null;
  listener_id: string;
  name: string | null;
  description: string | null;
  action: string;
  redirect_pool_id: string | null;
  redirect_url: string | null;
  redirect_prefix: string | null;
  redirect_http_code: number | null;
  position: number;
  enabled: Flag;
  provisioning_status: string;
  operating_status: string;
  created_at: string;
  updated_at: string | null;
}

export interface L7RuleTable {
  id: string;
  project_id: string | null;
  l7policy_id: string;
  type: string;
  compare_type: string;
  key: string | null;
  value: string;
  invert: Flag;
  enabled: Flag;
  provisioning_status: string;
  operating_status: string;
  created_at: string;
  updated_at: string | null;
}

export interface TagTable {
  resource_id: string;
  tag: string;
}

export interface AmphoraTable {
  id: string;
  compute_id: string | null;
  status: string;
  load_balancer_id: string | null;
  lb_network_ip: string | null;
  vrrp_ip: string | null;
  ha_ip: string | null;
  vrrp_port_id: string | null;
  ha_port_id: string | null;
  role: string | null;
  cert_expiration: string | null;
  cert_busy: Flag;
  vrrp_interface: string | null;
  vrrp_id: number | null;
  vrrp_priority: number | null;
  cached_zone: string | null;
  image_id: string | null;
  compute_flavor: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface AmphoraHealthTable {
  amphora_id: string;
  last_update: BigIntColumn;
  busy: Flag;
}

export interface ListenerStatisticsTable {
  listener_id: string;
  amphora_id: string;
  bytes_in: BigIntColumn;
  bytes_out: BigIntColumn;
  active_connections: BigIntColumn;
  total_connections: BigIntColumn;
  request_errors: BigIntColumn;
}

export interface QuotasTable {
  project_id: string;
  load_balancer: number | null;
  listener: number | null;
  pool: number | null;
  health_monitor: number | null;
  member: number | null;
  l7policy: number | null;
  l7rule: number | null;
  in_use_load_balancer: number | null;
  in_use_listener: number | null;
  in_use_pool: number | null;
  in_use_health_monitor: number | null;
  in_use_member: number | null;
  in_use_l7policy: number | null;
  in_use_l7rule: number | null;
}

export interface FlavorProfileTable {
  id: string;
  name: string;
  provider_name: string;
  flavor_data: string;
}

export interface FlavorTable {
  id: string;
  name: string;
  description: string | null;
  enabled: Flag;
  flavor_profile_id: string;
}

export interface AvailabilityZoneProfileTable {
  id: string;
  name: string;
  provider_name: string;
  availability_zone_data: string;
}

export interface AvailabilityZoneTable {
  name: string;
  description: string | null;
  enabled: Flag;
  availability_zone_profile_id: string;
}

export interface JobTable {
  id: string;
  kind: string;
  /** JSON: the flow's input. */
  payload: string;
  /** queued | running | succeeded | failed */
  state: string;
  /** Load balancer (or other root object) the job works on, for operators. */
  resource_id: string | null;
  /** Incremented on every claim: the fencing token that stale workers fail to match. */
  attempt: number;
  lease_owner: string | null;
  lease_expires_at: BigIntColumn | null;
  available_at: BigIntColumn;
  /** JSON: flow progress (next task, phase, flow state). */
  progress: string | null;
  error: string | null;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
}

/**
 * IPAM of the local network driver: one row per fixed IP of a port (a port with additional VIPs
 * has one row per subnet). Owned by that driver and reached only through its PortStore.
 */
export interface NetworkPortTable {
  id: string;
  name: string;
  network_id: string;
  subnet_id: string;
  /** Canonical text (compressed IPv6), so that equal addresses collide on the unique key. */
  ip_address: string;
  mac_address: string;
  device_id: string;
  device_owner: string;
  project_id: string | null;
  created_at: string;
}

export interface Database {
  load_balancer: LoadBalancerTable;
  vip_security_group: VipSecurityGroupTable;
  additional_vip: AdditionalVipTable;
  listener: ListenerTable;
  sni: SniTable;
  listener_cidr: ListenerCidrTable;
  pool: PoolTable;
  member: MemberTable;
  health_monitor: HealthMonitorTable;
  l7policy: L7PolicyTable;
  l7rule: L7RuleTable;
  tag: TagTable;
  amphora: AmphoraTable;
  amphora_health: AmphoraHealthTable;
  listener_statistics: ListenerStatisticsTable;
  quotas: QuotasTable;
  flavor_profile: FlavorProfileTable;
  flavor: FlavorTable;
  availability_zone_profile: AvailabilityZoneProfileTable;
  availability_zone: AvailabilityZoneTable;
  job: JobTable;
  network_port: NetworkPortTable;
}
