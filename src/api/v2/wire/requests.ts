/**
 * Request body types of the v2 API, declared as upstream declares them (octavia/api/v2/types),
 * attribute order included: WSME checks attributes in declaration order, which decides which
 * error a body with several problems gets. Deviation on purpose: L7 rule key/value inside a
 * single-call create carry the same no-CR/LF pattern as POST/PUT, so no user string can break a
 * configuration line whatever path it takes.
 */
import { MAX_POLICY_POSITION } from '../../../domain/l7.js';
import { attr, ws, type WsObject } from './wsme.js';

const MAX_TIMEOUT = 24 * 24 * 60 * 60 * 1000;
const NO_CRLF = '^[^\\r\\n]*$';
const COOKIE_NAME = '^[^\\s,;\\\\]+$';
const EXPECTED_CODES = '^(\\d{3}(\\s*,\\s*\\d{3})*)$|^(\\d{3}-\\d{3})$';
const DOMAIN_NAME = '^(?=.{1,253}\\.?$)(?:(?!-|[^.]+_)[A-Za-z0-9-_]{1,63}(?<!-)(?:\\.|$))+$';

const name255 = () => attr(ws.string({ maxLength: 255 }));
const tags = () => attr(ws.array(ws.string({ maxLength: 255 })));
const timeout = () => attr(ws.integer({ minimum: 0, maximum: MAX_TIMEOUT }));
const port = (o: { mandatory?: boolean; default?: unknown } = {}) => attr(ws.integer({ minimum: 1, maximum: 65535 }), o);
const ref255 = () => attr(ws.string({ maxLength: 255 }));

export const LISTENER_PROTOCOL_VALUES = ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP', 'TERMINATED_HTTPS', 'UDP', 'SCTP', 'PROMETHEUS'];
export const POOL_PROTOCOL_VALUES = ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP', 'UDP', 'SCTP'];

// ---- L7 rules --------------------------------------------------------------------------------
const L7RULE_TYPES = ['HOST_NAME', 'PATH', 'FILE_TYPE', 'HEADER', 'COOKIE', 'SSL_CONN_HAS_CERT', 'SSL_VERIFY_RESULT', 'SSL_DN_FIELD'];
const L7RULE_COMPARE = ['REGEX', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'];

export const L7RulePOST = ws.object(
  'L7RulePOST',
  {
    type: attr(ws.enum(L7RULE_TYPES), { mandatory: true }),
    compare_type: attr(ws.enum(L7RULE_COMPARE), { mandatory: true }),
    key: attr(ws.string({ maxLength: 255, pattern: NO_CRLF })),
    value: attr(ws.string({ maxLength: 255, pattern: NO_CRLF }), { mandatory: true }),
    invert: attr(ws.bool(), { default: false }),
    admin_state_up: attr(ws.bool(), { default: true }),
    project_id: attr(ws.string({ maxLength: 36 })),
    tags: tags(),
  },
  { tenantAlias: true },
);

export const L7RulePUT = ws.object('L7RulePUT', {
  type: attr(ws.enum(L7RULE_TYPES)),
  compare_type: attr(ws.enum(L7RULE_COMPARE)),
  key: attr(ws.string({ maxLength: 255, pattern: NO_CRLF })),
  value: attr(ws.string({ maxLength: 255, pattern: NO_CRLF })),
  invert: attr(ws.bool()),
  admin_state_up: attr(ws.bool()),
  tags: tags(),
});

export const L7RuleSingleCreate = ws.object('L7RuleSingleCreate', {
  type: attr(ws.enum(L7RULE_TYPES), { mandatory: true }),
  compare_type: attr(ws.enum(L7RULE_COMPARE), { mandatory: true }),
  key: attr(ws.string({ maxLength: 255, pattern: NO_CRLF })),
  value: attr(ws.string({ maxLength: 255, pattern: NO_CRLF }), { mandatory: true }),
  invert: attr(ws.bool(), { default: false }),
  admin_state_up: attr(ws.bool(), { default: true }),
  tags: tags(),
});

// ---- Members ---------------------------------------------------------------------------------
export const MemberPOST = ws.object(
  'MemberPOST',
  {
    name: name255(),
    admin_state_up: attr(ws.bool(), { default: true }),
    address: attr(ws.ip(), { mandatory: true }),
    protocol_port: port({ mandatory: true }),
    weight: attr(ws.integer({ minimum: 0, maximum: 256 }), { default: 1 }),
    backup: attr(ws.bool(), { default: false }),
    subnet_id: attr(ws.uuid()),
    project_id: attr(ws.string({ maxLength: 36 })),
    monitor_port: port({ default: null }),
    monitor_address: attr(ws.ip(), { default: null }),
    tags: tags(),
    request_sriov: attr(ws.bool(), { default: false }),
  },
  { tenantAlias: true },
);

export const MemberPUT = ws.object('MemberPUT', {
  name: name255(),
  admin_state_up: attr(ws.bool()),
  weight: attr(ws.integer({ minimum: 0, maximum: 256 })),
  backup: attr(ws.bool()),
  monitor_port: port(),
  monitor_address: attr(ws.ip()),
  tags: tags(),
});

export const MemberSingleCreate = ws.object('MemberSingleCreate', {
  name: name255(),
  admin_state_up: attr(ws.bool(), { default: true }),
  address: attr(ws.ip(), { mandatory: true }),
  protocol_port: port({ mandatory: true }),
  weight: attr(ws.integer({ minimum: 0, maximum: 256 }), { default: 1 }),
  backup: attr(ws.bool(), { default: false }),
  subnet_id: attr(ws.uuid()),
  monitor_port: port(),
  monitor_address: attr(ws.ip()),
  tags: tags(),
  request_sriov: attr(ws.bool(), { default: false }),
});

export const MembersRootPUT = ws.object('MembersRootPUT', { members: attr(ws.array(MemberPOST)) });

// ---- Health monitors ---------------------------------------------------------------------------
const HM_TYPES = ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO', 'UDP-CONNECT', 'SCTP'];
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT', 'PATCH'];
const retries = (o: { mandatory?: boolean; default?: unknown } = {}) => attr(ws.integer({ minimum: 1, maximum: 10 }), o);

export const HealthMonitorPOST = ws.object(
  'HealthMonitorPOST',
  {
    name: name255(),
    type: attr(ws.enum(HM_TYPES), { mandatory: true }),
    delay: attr(ws.integer({ minimum: 0 }), { mandatory: true }),
    timeout: attr(ws.integer({ minimum: 0 }), { mandatory: true }),
    max_retries_down: retries({ default: 3 }),
    max_retries: retries({ mandatory: true }),
    http_method: attr(ws.enum(HTTP_METHODS)),
    url_path: attr(ws.urlPath()),
    expected_codes: attr(ws.string({ pattern: EXPECTED_CODES })),
    admin_state_up: attr(ws.bool(), { default: true }),
    project_id: attr(ws.string({ maxLength: 36 })),
    pool_id: attr(ws.uuid(), { mandatory: true }),
    tags: tags(),
    http_version: attr(ws.floatEnum([1.0, 1.1])),
    domain_name: attr(ws.string({ minLength: 1, maxLength: 255, pattern: DOMAIN_NAME })),
  },
  { tenantAlias: true },
);

export const HealthMonitorPUT = ws.object('HealthMonitorPUT', {
  name: name255(),
  delay: attr(ws.integer({ minimum: 0 })),
  timeout: attr(ws.integer({ minimum: 0 })),
  max_retries_down: retries(),
  max_retries: retries(),
  http_method: attr(ws.enum(HTTP_METHODS)),
  url_path: attr(ws.urlPath()),
  expected_codes: attr(ws.string({ pattern: EXPECTED_CODES })),
  admin_state_up: attr(ws.bool()),
  tags: tags(),
  http_version: attr(ws.floatEnum([1.0, 1.1])),
  domain_name: attr(ws.string({ minLength: 1, maxLength: 255, pattern: DOMAIN_NAME })),
});

export const HealthMonitorSingleCreate = ws.object('HealthMonitorSingleCreate', {
  name: name255(),
  type: attr(ws.enum(HM_TYPES), { mandatory: true }),
  delay: attr(ws.integer({ minimum: 0 }), { mandatory: true }),
  timeout: attr(ws.integer({ minimum: 0 }), { mandatory: true }),
  max_retries_down: retries({ default: 3 }),
  max_retries: retries({ mandatory: true }),
  http_method: attr(ws.enum(HTTP_METHODS)),
  url_path: attr(ws.urlPath()),
  expected_codes: attr(ws.string({ pattern: EXPECTED_CODES })),
  admin_state_up: attr(ws.bool(), { default: true }),
  tags: tags(),
  http_version: attr(ws.floatEnum([1.0, 1.1])),
  domain_name: attr(ws.string({ minLength: 1, maxLength: 255, pattern: DOMAIN_NAME })),
});

// ---- Pools -----------------------------------------------------------------------------------
const LB_ALGORITHMS = ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'SOURCE_IP_PORT'];
const SP_TYPES = ['SOURCE_IP', 'HTTP_COOKIE', 'APP_COOKIE'];

export const SessionPersistencePOST = ws.object('SessionPersistencePOST', {
  type: attr(ws.enum(SP_TYPES), { mandatory: true }),
  cookie_name: attr(ws.string({ maxLength: 255, pattern: COOKIE_NAME }), { default: null }),
  persistence_timeout: attr(ws.integer(), { default: null }),
  persistence_granularity: attr(ws.ip(), { default: null }),
});

export const SessionPersistencePUT = ws.object('SessionPersistencePUT', {
  type: attr(ws.enum(SP_TYPES)),
  cookie_name: attr(ws.string({ maxLength: 255, pattern: COOKIE_NAME }), { default: null }),
  persistence_timeout: attr(ws.integer(), { default: null }),
  persistence_granularity: attr(ws.ip(), { default: null }),
});

const poolTls = {
  tls_container_ref: ref255(),
  ca_tls_container_ref: ref255(),
  crl_container_ref: ref255(),
};

export const PoolPOST = ws.object(
  'PoolPOST',
  {
    name: name255(),
    description: name255(),
    admin_state_up: attr(ws.bool(), { default: true }),
    listener_id: attr(ws.uuid()),
    loadbalancer_id: attr(ws.uuid()),
    protocol: attr(ws.enum(POOL_PROTOCOL_VALUES), { mandatory: true }),
    lb_algorithm: attr(ws.enum(LB_ALGORITHMS), { mandatory: true }),
    session_persistence: attr(SessionPersistencePOST),
    project_id: attr(ws.string({ maxLength: 36 })),
    healthmonitor: attr(HealthMonitorSingleCreate),
    members: attr(ws.array(MemberSingleCreate)),
    tags: tags(),
    ...poolTls,
    tls_enabled: attr(ws.bool(), { default: false }),
    tls_ciphers: attr(ws.string({ maxLength: 2048 })),
    tls_versions: attr(ws.array(ws.string({ maxLength: 32 }))),
    alpn_protocols: attr(ws.array(ws.alpn())),
  },
  { tenantAlias: true },
);

export const PoolPUT = ws.object('PoolPUT', {
  name: name255(),
  description: name255(),
  admin_state_up: attr(ws.bool()),
  lb_algorithm: attr(ws.enum(LB_ALGORITHMS)),
  session_persistence: attr(SessionPersistencePUT),
  tags: tags(),
  ...poolTls,
  tls_enabled: attr(ws.bool()),
  tls_ciphers: attr(ws.string({ maxLength: 2048 })),
  tls_versions: attr(ws.array(ws.string({ maxLength: 32 }))),
  alpn_protocols: attr(ws.array(ws.alpn())),
});

export const PoolSingleCreate = ws.object('PoolSingleCreate', {
  name: name255(),
  description: name255(),
  admin_state_up: attr(ws.bool(), { default: true }),
  protocol: attr(ws.enum(POOL_PROTOCOL_VALUES)),
  lb_algorithm: attr(ws.enum(LB_ALGORITHMS)),
  session_persistence: attr(SessionPersistencePOST),
  healthmonitor: attr(HealthMonitorSingleCreate),
  members: attr(ws.array(MemberSingleCreate)),
  tags: tags(),
  ...poolTls,
  tls_enabled: attr(ws.bool(), { default: false }),
  tls_ciphers: attr(ws.string({ maxLength: 2048 })),
  tls_versions: attr(ws.array(ws.string({ maxLength: 32 }))),
  alpn_protocols: attr(ws.array(ws.alpn())),
});

// ---- L7 policies -------------------------------------------------------------------------------
const L7POLICY_ACTIONS = ['REDIRECT_TO_POOL', 'REDIRECT_TO_URL', 'REJECT', 'REDIRECT_PREFIX'];

export const L7PolicyPOST = ws.object(
  'L7PolicyPOST',
  {
    name: name255(),
    description: name255(),
    admin_state_up: attr(ws.bool(), { default: true }),
    project_id: attr(ws.string({ maxLength: 36 })),
    action: attr(ws.enum(L7POLICY_ACTIONS), { mandatory: true }),
    redirect_pool_id: attr(ws.uuid()),
    redirect_url: attr(ws.url()),
    redirect_prefix: attr(ws.url()),
    position: attr(ws.integer({ minimum: 1, maximum: MAX_POLICY_POSITION }), { default: MAX_POLICY_POSITION }),
    listener_id: attr(ws.uuid(), { mandatory: true }),
    rules: attr(ws.array(L7RuleSingleCreate)),
    tags: tags(),
    redirect_http_code: attr(ws.intEnum([301, 302, 303, 307, 308])),
  },
  { tenantAlias: true },
);

export const L7PolicyPUT = ws.object('L7PolicyPUT', {
  name: name255(),
  description: name255(),
  admin_state_up: attr(ws.bool()),
  action: attr(ws.enum(L7POLICY_ACTIONS)),
  redirect_pool_id: attr(ws.uuid()),
  redirect_url: attr(ws.url()),
  redirect_prefix: attr(ws.url()),
  position: attr(ws.integer({ minimum: 1, maximum: MAX_POLICY_POSITION })),
  tags: tags(),
  redirect_http_code: attr(ws.intEnum([301, 302, 303, 307, 308])),
});

export const L7PolicySingleCreate = ws.object('L7PolicySingleCreate', {
  name: name255(),
  description: name255(),
  admin_state_up: attr(ws.bool(), { default: true }),
  action: attr(ws.enum(L7POLICY_ACTIONS), { mandatory: true }),
  redirect_pool: attr(PoolSingleCreate),
  redirect_url: attr(ws.url()),
  redirect_prefix: attr(ws.url()),
  position: attr(ws.integer({ minimum: 1, maximum: MAX_POLICY_POSITION }), { default: MAX_POLICY_POSITION }),
  rules: attr(ws.array(L7RuleSingleCreate)),
  tags: tags(),
  redirect_http_code: attr(ws.intEnum([301, 302, 303, 307, 308])),
});

// ---- Listeners -------------------------------------------------------------------------------
const CLIENT_AUTH = ['NONE', 'OPTIONAL', 'MANDATORY'];

const listenerCommon = {
  timeout_client_data: timeout(),
  timeout_member_connect: timeout(),
  timeout_member_data: timeout(),
  timeout_tcp_inspect: timeout(),
  tags: tags(),
  client_ca_tls_container_ref: ref255(),
};
const listenerTls = {
  client_crl_container_ref: ref255(),
  allowed_cidrs: attr(ws.array(ws.cidr())),
  tls_ciphers: attr(ws.string({ maxLength: 2048 })),
  tls_versions: attr(ws.array(ws.string({ maxLength: 32 }))),
  alpn_protocols: attr(ws.array(ws.alpn())),
};

export const ListenerPOST = ws.object(
  'ListenerPOST',
  {
    name: name255(),
    description: name255(),
    admin_state_up: attr(ws.bool(), { default: true }),
    protocol: attr(ws.enum(LISTENER_PROTOCOL_VALUES.filter((p) => p !== 'PROXY' && p !== 'PROXYV2')), { mandatory: true }),
    protocol_port: port({ mandatory: true }),
    connection_limit: attr(ws.integer({ minimum: -1 }), { default: -1 }),
    default_tls_container_ref: ref255(),
    sni_container_refs: attr(ws.array(ws.string({ maxLength: 255 }))),
    project_id: attr(ws.string({ maxLength: 36 })),
    default_pool_id: attr(ws.uuid()),
    default_pool: attr(PoolSingleCreate),
    l7policies: attr(ws.array(L7PolicySingleCreate), { default: [] }),
    insert_headers: attr(ws.dict(ws.string({ maxLength: 255 }))),
    loadbalancer_id: attr(ws.uuid(), { mandatory: true }),
    ...listenerCommon,
    client_authentication: attr(ws.enum(CLIENT_AUTH), { default: 'NONE' }),
    ...listenerTls,
    hsts_max_age: attr(ws.integer({ minimum: 0 })),
    hsts_include_subdomains: attr(ws.bool(), { default: false }),
    hsts_preload: attr(ws.bool(), { default: false }),
  },
  { tenantAlias: true },
);

export const ListenerPUT = ws.object('ListenerPUT', {
  name: name255(),
  description: name255(),
  admin_state_up: attr(ws.bool()),
  connection_limit: attr(ws.integer({ minimum: -1 })),
  default_tls_container_ref: ref255(),
  sni_container_refs: attr(ws.array(ws.string({ maxLength: 255 }))),
  default_pool_id: attr(ws.uuid()),
  insert_headers: attr(ws.dict(ws.string({ maxLength: 255 }))),
  ...listenerCommon,
  client_authentication: attr(ws.enum(CLIENT_AUTH)),
  ...listenerTls,
  hsts_max_age: attr(ws.integer({ minimum: 0 })),
  hsts_include_subdomains: attr(ws.bool()),
  hsts_preload: attr(ws.bool()),
});

export const ListenerSingleCreate = ws.object('ListenerSingleCreate', {
  name: name255(),
  description: name255(),
  admin_state_up: attr(ws.bool(), { default: true }),
  protocol: attr(ws.enum(LISTENER_PROTOCOL_VALUES.filter((p) => p !== 'PROXY' && p !== 'PROXYV2')), { mandatory: true }),
  protocol_port: port({ mandatory: true }),
  connection_limit: attr(ws.integer({ minimum: -1 }), { default: -1 }),
  default_tls_container_ref: ref255(),
  sni_container_refs: attr(ws.array(ws.string({ maxLength: 255 }))),
  default_pool_id: attr(ws.uuid()),
  default_pool: attr(PoolSingleCreate),
  l7policies: attr(ws.array(L7PolicySingleCreate), { default: [] }),
  insert_headers: attr(ws.dict(ws.string({ maxLength: 255 }))),
  ...listenerCommon,
  client_authentication: attr(ws.enum(CLIENT_AUTH), { default: 'NONE' }),
  ...listenerTls,
  hsts_max_age: attr(ws.integer()),
  hsts_include_subdomains: attr(ws.bool(), { default: false }),
  hsts_preload: attr(ws.bool(), { default: false }),
});

// ---- Load balancers ----------------------------------------------------------------------------
export const AdditionalVip = ws.object('AdditionalVipsType', {
  subnet_id: attr(ws.uuid(), { mandatory: true }),
  ip_address: attr(ws.ip()),
  port_id: attr(ws.uuid()),
});

export const LoadBalancerPOST = ws.object(
  'LoadBalancerPOST',
  {
    name: name255(),
    description: name255(),
    admin_state_up: attr(ws.bool(), { default: true }),
    vip_address: attr(ws.ip()),
    vip_port_id: attr(ws.uuid()),
    vip_subnet_id: attr(ws.uuid()),
    vip_network_id: attr(ws.uuid()),
    vip_qos_policy_id: attr(ws.uuid()),
    vip_sg_ids: attr(ws.array(ws.uuid())),
    additional_vips: attr(ws.array(AdditionalVip), { default: [] }),
    project_id: attr(ws.string({ maxLength: 36 })),
    listeners: attr(ws.array(ListenerSingleCreate), { default: [] }),
    pools: attr(ws.array(PoolSingleCreate), { default: [] }),
    provider: attr(ws.string({ maxLength: 64 })),
    tags: tags(),
    flavor_id: attr(ws.uuid()),
    availability_zone: name255(),
  },
  { tenantAlias: true },
);

export const LoadBalancerPUT = ws.object('LoadBalancerPUT', {
  name: name255(),
  description: name255(),
  vip_qos_policy_id: attr(ws.uuid()),
  admin_state_up: attr(ws.bool()),
  vip_sg_ids: attr(ws.array(ws.uuid())),
  tags: tags(),
});

// ---- Quotas, flavors, availability zones ----------------------------------------------------
const quota = () => attr(ws.integer({ minimum: -1, maximum: 2000000000 }));
export const QuotaPUT = ws.object('QuotaPUT', {
  loadbalancer: quota(),
  load_balancer: quota(),
  listener: quota(),
  member: quota(),
  pool: quota(),
  healthmonitor: quota(),
  health_monitor: quota(),
  l7policy: quota(),
  l7rule: quota(),
});

export const FlavorPOST = ws.object('FlavorPOST', {
  name: attr(ws.string({ maxLength: 255 }), { mandatory: true }),
  description: name255(),
  enabled: attr(ws.bool(), { default: true }),
  flavor_profile_id: attr(ws.uuid(), { mandatory: true }),
});
export const FlavorPUT = ws.object('FlavorPUT', { name: name255(), description: name255(), enabled: attr(ws.bool()) });

export const FlavorProfilePOST = ws.object('FlavorProfilePOST', {
  name: attr(ws.string({ maxLength: 255 }), { mandatory: true }),
  provider_name: attr(ws.string({ maxLength: 255 }), { mandatory: true }),
  flavor_data: attr(ws.string({ maxLength: 4096 }), { mandatory: true }),
});
export const FlavorProfilePUT = ws.object('FlavorProfilePUT', {
  name: name255(),
  provider_name: name255(),
  flavor_data: attr(ws.string({ maxLength: 4096 })),
});

export const AvailabilityZonePOST = ws.object('AvailabilityZonePOST', {
  name: attr(ws.string({ maxLength: 255 }), { mandatory: true }),
  description: name255(),
  enabled: attr(ws.bool(), { default: true }),
  availability_zone_profile_id: attr(ws.uuid(), { mandatory: true }),
});
export const AvailabilityZonePUT = ws.object('AvailabilityZonePUT', { description: name255(), enabled: attr(ws.bool()) });

export const AvailabilityZoneProfilePOST = ws.object('AvailabilityZoneProfilePOST', {
  name: attr(ws.string({ maxLength: 255 }), { mandatory: true }),
  provider_name: attr(ws.string({ maxLength: 255 }), { mandatory: true }),
  availability_zone_data: attr(ws.string({ maxLength: 4096 }), { mandatory: true }),
});
export const AvailabilityZoneProfilePUT = ws.object('AvailabilityZoneProfilePUT', {
  name: name255(),
  provider_name: name255(),
  availability_zone_data: attr(ws.string({ maxLength: 4096 })),
});

/** Root wrappers: `{"<root>": {...}}`. */
export function root(name: string, key: string, inner: WsObject): WsObject {
  return ws.object(name, { [key]: attr(inner) });
}

/** Root body types and the body argument names of upstream's controllers. */
export const BODIES = {
  loadBalancerPost: { type: root('LoadBalancerRootPOST', 'loadbalancer', LoadBalancerPOST), arg: 'load_balancer', key: 'loadbalancer' },
  loadBalancerPut: { type: root('LoadBalancerRootPUT', 'loadbalancer', LoadBalancerPUT), arg: 'load_balancer', key: 'loadbalancer' },
  listenerPost: { type: root('ListenerRootPOST', 'listener', ListenerPOST), arg: 'listener_', key: 'listener' },
  listenerPut: { type: root('ListenerRootPUT', 'listener', ListenerPUT), arg: 'listener_', key: 'listener' },
  poolPost: { type: root('PoolRootPOST', 'pool', PoolPOST), arg: 'pool_', key: 'pool' },
  poolPut: { type: root('PoolRootPUT', 'pool', PoolPUT), arg: 'pool_', key: 'pool' },
  memberPost: { type: root('MemberRootPOST', 'member', MemberPOST), arg: 'member_', key: 'member' },
  memberPut: { type: root('MemberRootPUT', 'member', MemberPUT), arg: 'member_', key: 'member' },
  membersPut: { type: MembersRootPUT, arg: 'members_', key: 'members' },
  healthMonitorPost: { type: root('HealthMonitorRootPOST', 'healthmonitor', HealthMonitorPOST), arg: 'health_monitor_', key: 'healthmonitor' },
  healthMonitorPut: { type: root('HealthMonitorRootPUT', 'healthmonitor', HealthMonitorPUT), arg: 'health_monitor_', key: 'healthmonitor' },
  l7policyPost: { type: root('L7PolicyRootPOST', 'l7policy', L7PolicyPOST), arg: 'l7policy_', key: 'l7policy' },
  l7policyPut: { type: root('L7PolicyRootPUT', 'l7policy', L7PolicyPUT), arg: 'l7policy_', key: 'l7policy' },
  l7rulePost: { type: root('L7RuleRootPOST', 'rule', L7RulePOST), arg: 'rule_', key: 'rule' },
  l7rulePut: { type: root('L7RuleRootPUT', 'rule', L7RulePUT), arg: 'l7rule_', key: 'rule' },
  quotaPut: { type: root('QuotaRootPUT', 'quota', QuotaPUT), arg: 'quotas', key: 'quota' },
  flavorPost: { type: root('FlavorRootPOST', 'flavor', FlavorPOST), arg: 'flavor_', key: 'flavor' },
  flavorPut: { type: root('FlavorRootPUT', 'flavor', FlavorPUT), arg: 'flavor_', key: 'flavor' },
  flavorProfilePost: { type: root('FlavorProfileRootPOST', 'flavorprofile', FlavorProfilePOST), arg: 'flavor_profile_', key: 'flavorprofile' },
  flavorProfilePut: { type: root('FlavorProfileRootPUT', 'flavorprofile', FlavorProfilePUT), arg: 'flavor_profile_', key: 'flavorprofile' },
  availabilityZonePost: {
    type: root('AvailabilityZoneRootPOST', 'availability_zone', AvailabilityZonePOST),
    arg: 'availability_zone_',
    key: 'availability_zone',
  },
  availabilityZonePut: {
    type: root('AvailabilityZoneRootPUT', 'availability_zone', AvailabilityZonePUT),
    arg: 'availability_zone_',
    key: 'availability_zone',
  },
  availabilityZoneProfilePost: {
    type: root('AvailabilityZoneProfileRootPOST', 'availability_zone_profile', AvailabilityZoneProfilePOST),
    arg: 'availability_zone_profile_',
    key: 'availability_zone_profile',
  },
  availabilityZoneProfilePut: {
    type: root('AvailabilityZoneProfileRootPUT', 'availability_zone_profile', AvailabilityZoneProfilePUT),
    arg: 'availability_zone_profile_',
    key: 'availability_zone_profile',
  },
} as const;

export type BodyName = keyof typeof BODIES;
