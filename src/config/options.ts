/**
 * Every configuration option Octavius reads, with its default and help, grouped and named as in
 * upstream's octavia.conf wherever the meaning is the same. This file is the single place where
 * defaults live; the typed `Config` tree is derived from it.
 */
import { opt } from './option-types.js';

const OWASP_SUITE_B_CIPHERS =
  'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:' +
  'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:' +
  'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:' +
  'DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305';

export const AMPHORA_DRIVERS = ['amphora_noop_driver', 'amphora_haproxy_rest_driver'] as const;
export const COMPUTE_DRIVERS = ['compute_noop_driver', 'compute_netns_driver', 'compute_nova_driver'] as const;
export const NETWORK_DRIVERS = ['network_noop_driver', 'network_local_driver', 'allowed_address_pairs_driver'] as const;

export const OPTIONS = {
  DEFAULT: {
    host: opt.str('', 'The hostname Octavius runs on (default: the machine hostname).'),
    state_path: opt.str(
      '',
      'Directory for local state: the embedded SQLite database, the CA, amphora files. ' +
        'Default: /var/lib/octavius as root, else $XDG_STATE_HOME/octavius (~/.local/state/octavius).',
    ),
    debug: opt.bool(false, 'Log at debug level.'),
    log_level: opt.choice(['trace', 'debug', 'info', 'warn', 'error', 'fatal'], null, 'Log level (overrides debug).'),
    transport_url: opt.str(null, 'Accepted for compatibility with octavia.conf; Octavius uses its database as the job queue.'),
  },
  api_settings: {
    bind_host: opt.str('127.0.0.1', 'The host IP to bind the API to.'),
    bind_port: opt.port(9876, 'The port to bind the API to.'),
    auth_strategy: opt.choice(['noauth', 'keystone', 'testing'], 'noauth', 'The auth strategy for API requests.'),
    noauth_default_project: opt.str(
      null,
      'With auth_strategy=noauth: the project of requests that carry neither X-Project-Id nor a project_id in the ' +
        'body (lets the openstack CLI, which cannot send X-Project-Id, create objects). Unset: such requests get 400 ' +
        'as upstream.',
    ),
    allow_pagination: opt.bool(true, 'Allow the usage of pagination.'),
    allow_sorting: opt.bool(true, 'Allow the usage of sorting.'),
    allow_filtering: opt.bool(true, 'Allow the usage of filtering.'),
    allow_field_selection: opt.bool(true, 'Allow the usage of field selection.'),
    pagination_max_limit: opt.str('1000', 'The maximum number of items returned in a single response ("infinite" or a negative number for no limit).'),
    api_base_uri: opt.str(null, 'Base URI for pagination links (default: the request URL).'),
    allow_tls_terminated_listeners: opt.bool(true, 'Allow users to create TLS terminated listeners.'),
    allow_ping_health_monitors: opt.bool(true, 'Allow users to create PING health monitors.'),
    allow_prometheus_listeners: opt.bool(true, 'Allow users to create PROMETHEUS listeners.'),
    enabled_provider_drivers: opt.dict(
      {
        amphora: 'The Octavia Amphora driver.',
        octavia: 'Deprecated alias of the Octavia Amphora driver.',
        noop_driver: 'The No-Op driver.',
      },
      'Enabled provider drivers as name:description pairs.',
    ),
    default_provider_driver: opt.str('amphora', 'Default provider driver.'),
    udp_connect_min_interval_health_monitor: opt.int(3, 'Minimum delay (s) of UDP-CONNECT health monitors.', { min: 0 }),
    healthcheck_enabled: opt.bool(false, 'Serve /healthcheck.'),
    healthcheck_refresh_interval: opt.int(5, 'Seconds the healthcheck result is cached.', { min: 0 }),
    default_listener_ciphers: opt.str(OWASP_SUITE_B_CIPHERS, 'Default OpenSSL cipher string for TLS-terminated listeners.'),
    default_pool_ciphers: opt.str(OWASP_SUITE_B_CIPHERS, 'Default OpenSSL cipher string for TLS-enabled pools.'),
    tls_cipher_prohibit_list: opt.str('', 'Colon-separated OpenSSL ciphers users may not choose.'),
    default_listener_tls_versions: opt.list(['TLSv1.2', 'TLSv1.3'], 'Default TLS versions of TLS-terminated listeners.'),
    default_pool_tls_versions: opt.list(['TLSv1.2', 'TLSv1.3'], 'Default TLS versions of TLS-enabled pools.'),
    minimum_tls_version: opt.choice(['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'], null, 'Lowest TLS version users may choose.'),
    default_listener_alpn_protocols: opt.list(['h2', 'http/1.1', 'http/1.0'], 'Default ALPN protocols of TLS-terminated listeners.'),
    default_pool_alpn_protocols: opt.list(['h2', 'http/1.1', 'http/1.0'], 'Default ALPN protocols of TLS-enabled pools.'),
  },
  oslo_middleware: {
    max_request_body_size: opt.int(114688, 'Largest request body accepted, in bytes.', { min: 0 }),
    enable_proxy_headers_parsing: opt.bool(false, 'Honour X-Forwarded-Proto/Host when building links.'),
  },
  database: {
    connection: opt.str(
      null,
      'Database URL: sqlite:///path, postgresql://user:pass@host/db (also postgresql+psycopg2://), ' +
        'mysql://user:pass@host/db (also mysql+pymysql://). Default: sqlite under state_path.',
    ),
    max_pool_size: opt.int(10, 'Connections kept open to PostgreSQL or MySQL.', { min: 1 }),
    max_overflow: opt.int(20, 'Accepted for compatibility (pool size is max_pool_size).', { min: -1 }),
    pool_timeout: opt.int(10, 'Seconds to wait for a free connection.', { min: 1 }),
  },
  networking: {
    max_retries: opt.int(15, 'Retries of network driver operations.', { min: 0 }),
    retry_interval: opt.int(1, 'Seconds between network driver retries.', { min: 0 }),
    retry_backoff: opt.int(1, 'Added seconds per retry.', { min: 0 }),
    retry_max: opt.int(10, 'Most seconds between retries.', { min: 0 }),
    port_detach_timeout: opt.int(300, 'Seconds to wait for a port to detach.', { min: 0 }),
    allow_vip_network_id: opt.bool(true, 'Allow users to give vip_network_id.'),
    allow_vip_subnet_id: opt.bool(true, 'Allow users to give vip_subnet_id.'),
    allow_vip_port_id: opt.bool(true, 'Allow users to give vip_port_id.'),
    valid_vip_networks: opt.list(null, 'Networks VIPs may be placed on (unset: any).'),
    denylist_vip_networks: opt.list([], 'Networks VIPs may not be placed on.'),
    reserved_ips: opt.list(['169.254.169.254'], 'Addresses members may not use.'),
    allow_invisible_resource_usage: opt.bool(false, 'Allow networks the user cannot see.'),
  },
  controller_worker: {
    workers: opt.int(1, 'Worker processes started by `octavius worker`.', { min: 1 }),
    amphora_driver: opt.choice(AMPHORA_DRIVERS, 'amphora_noop_driver', 'How the controller talks to amphorae.'),
    compute_driver: opt.choice(COMPUTE_DRIVERS, 'compute_noop_driver', 'What provides amphorae.'),
    network_driver: opt.choice(NETWORK_DRIVERS, 'network_noop_driver', 'What provides VIPs and ports.'),
    volume_driver: opt.str('volume_noop_driver', 'Accepted for compatibility; amphorae have no volumes.'),
    image_driver: opt.str('image_noop_driver', 'Accepted for compatibility.'),
    distributor_driver: opt.str('distributor_noop_driver', 'Accepted for compatibility.'),
    statistics_drivers: opt.list(['stats_db'], 'Where listener statistics go.'),
    loadbalancer_topology: opt.choice(['SINGLE', 'ACTIVE_STANDBY'], 'SINGLE', 'Topology of new load balancers (a flavor may override it).'),
    amp_active_retries: opt.int(30, 'Polls while waiting for a new amphora to become active.', { min: 0 }),
    amp_active_wait_sec: opt.int(10, 'Seconds between those polls.', { min: 0 }),
    amp_flavor_id: opt.str('', 'Compute flavor of amphorae.'),
    amp_image_tag: opt.str('', 'Image tag of amphorae.'),
    amp_image_owner_id: opt.str('', 'Image owner of amphorae.'),
    amp_ssh_key_name: opt.str('', 'SSH key of amphorae.'),
    amp_timezone: opt.str('UTC', 'Timezone of amphorae.'),
    amp_boot_network_list: opt.list([], 'Management networks of amphorae.'),
    amp_secgroup_list: opt.list([], 'Security groups of amphorae.'),
    client_ca: opt.str('/etc/octavia/certs/ca_01.pem', 'CA of the controller client certificate (given to amphorae).'),
    amphora_delete_retries: opt.int(5, 'Attempts to delete an amphora.', { min: 0 }),
    amphora_delete_retry_interval: opt.int(5, 'Seconds between those attempts.', { min: 0 }),
    event_notifications: opt.bool(true, 'Accepted for compatibility.'),
    user_data_config_drive: opt.bool(false, 'Accepted for compatibility.'),
    db_commit_retry_attempts: opt.int(2000, 'Accepted for compatibility.'),
    db_commit_retry_initial_delay: opt.int(1, 'Accepted for compatibility.'),
    db_commit_retry_backoff: opt.int(1, 'Accepted for compatibility.'),
    db_commit_retry_max: opt.int(5, 'Accepted for compatibility.'),
  },
  task_flow: {
    engine: opt.choice(['serial', 'parallel'], 'parallel', 'Accepted for compatibility.'),
    max_workers: opt.int(16, 'Flows one worker process runs at the same time.', { min: 1 }),
    disable_revert: opt.bool(false, 'Leave resources in place when a flow fails (debugging).'),
    persistence_connection: opt.str('sqlite://', 'Accepted for compatibility; flow progress is kept in the main database.'),
    jobboard_enabled: opt.bool(false, 'Accepted for compatibility: Octavius always persists and resumes flows.'),
    jobboard_backend_driver: opt.str('redis_taskflow_driver', 'Accepted for compatibility.'),
    jobboard_backend_hosts: opt.list(['127.0.0.1'], 'Accepted for compatibility.'),
    jobboard_backend_port: opt.int(6379, 'Accepted for compatibility.'),
    jobboard_backend_namespace: opt.str('octavia_jobboard', 'Accepted for compatibility.'),
    jobboard_expiration_time: opt.int(
      10,
      'Seconds a claimed job stays owned by a worker without a lease renewal; after that another worker resumes it.',
      { min: 1 },
    ),
    jobboard_save_logbook: opt.bool(false, 'Accepted for compatibility.'),
    job_poll_interval: opt.float(0.2, 'Seconds between polls for new jobs by a worker in another process than the API.', { min: 0.01 }),
    flow_timeout: opt.int(
      600,
      'Seconds after which a flow that has not finished is reverted and its objects set to ERROR.',
      { min: 1 },
    ),
    task_max_retries: opt.int(3, 'Attempts of a task that fails with a retryable error before the flow reverts.', { min: 1 }),
  },
  noop_drivers: {
    task_delay_ms: opt.int(
      0,
      'Milliseconds every noop driver call waits before answering, to model a slow backend in tests and benchmarks.',
      { min: 0 },
    ),
  },
  haproxy_amphora: {
    base_path: opt.str('/var/lib/octavia', 'Base directory for amphora files.'),
    base_cert_dir: opt.str('/var/lib/octavia/certs', 'Base directory for certificates on amphorae.'),
    haproxy_template: opt.str(null, 'Accepted for compatibility.'),
    connection_logging: opt.bool(true, 'Log connections in HAProxy.'),
    connection_max_retries: opt.int(120, 'Retries to reach a new amphora agent.', { min: 0 }),
    connection_retry_interval: opt.int(5, 'Seconds between those retries.', { min: 0 }),
    active_connection_max_retries: opt.int(15, 'Retries to reach an active amphora agent.', { min: 0 }),
    active_connection_retry_interval: opt.int(2, 'Seconds between those retries.', { min: 0 }),
    failover_connection_max_retries: opt.int(2, 'Retries to reach an amphora during failover.', { min: 0 }),
    failover_connection_retry_interval: opt.int(5, 'Seconds between those retries.', { min: 0 }),
    build_rate_limit: opt.int(-1, 'Accepted for compatibility.'),
    build_active_retries: opt.int(120, 'Accepted for compatibility.'),
    build_retry_interval: opt.int(5, 'Accepted for compatibility.'),
    haproxy_stick_size: opt.str('10k', 'Size of HAProxy stick tables.'),
    user_log_format: opt.str(
      '{{ project_id }} {{ lb_id }} %f %ci %cp %t %{+Q}r %ST %B %U %[ssl_c_verify] %{+Q}[ssl_c_s_dn] %b %s %Tt %tsc',
      'HAProxy log format of tenant traffic.',
    ),
    bind_host: opt.str('::', 'Address the amphora agent listens on.'),
    bind_port: opt.port(9443, 'Port the amphora agent listens on.'),
    lb_network_interface: opt.str('o-hm0', 'Management interface of the controller.'),
    haproxy_cmd: opt.str('/usr/sbin/haproxy', 'HAProxy binary.'),
    respawn_count: opt.int(2, 'Accepted for compatibility.'),
    respawn_interval: opt.int(2, 'Accepted for compatibility.'),
    rest_request_conn_timeout: opt.float(10, 'Connect timeout (s) of agent requests.', { min: 0 }),
    rest_request_read_timeout: opt.float(60, 'Read timeout (s) of agent requests.', { min: 0 }),
    timeout_client_data: opt.int(50000, 'Default listener timeout_client_data (ms).', { min: 0 }),
    timeout_member_connect: opt.int(5000, 'Default listener timeout_member_connect (ms).', { min: 0 }),
    timeout_member_data: opt.int(50000, 'Default listener timeout_member_data (ms).', { min: 0 }),
    timeout_tcp_inspect: opt.int(0, 'Default listener timeout_tcp_inspect (ms).', { min: 0 }),
    client_cert: opt.str('/etc/octavia/certs/client.pem', 'Controller client certificate for agent calls.'),
    server_ca: opt.str('/etc/octavia/certs/server_ca.pem', 'CA that signed amphora agent certificates.'),
    api_db_commit_retry_attempts: opt.int(15, 'Accepted for compatibility.'),
    api_db_commit_retry_initial_delay: opt.int(1, 'Accepted for compatibility.'),
    api_db_commit_retry_backoff: opt.int(1, 'Accepted for compatibility.'),
    api_db_commit_retry_max: opt.int(5, 'Accepted for compatibility.'),
    default_connection_limit: opt.int(50000, 'HAProxy maxconn of listeners without a connection_limit.', { min: 1 }),
    nbthread: opt.int(1, 'HAProxy threads per load balancer (`nbthread`); 1 measured best for many small load balancers on one host.', { min: 1, max: 64 }),
  },
  netns: {
    name_prefix: opt.str(
      'octv-',
      'Prefix of every namespace, veth and bridge port the netns compute driver and the local network driver create ' +
        '(1-6 characters of a-z, 0-9, -). An amphora is the namespace `<prefix>amp-<first 8 hex of its id>`.',
    ),
    mgmt_bridge: opt.str('octv-mgmt', 'Linux bridge of the management network in the root namespace (created when missing).'),
    mgmt_cidr: opt.str(
      '198.19.0.1/16',
      'Controller address on the management bridge, with the prefix length; amphorae get the other addresses of that network.',
    ),
    runtime_path: opt.str(
      '/dev/shm/octavius',
      'Directory on tmpfs for the runtime files of amphorae (boot certificates and configuration, agent files, HAProxy files): `<runtime_path>/<compute id>/`.',
    ),
    agent_command: opt.str(
      '',
      'Command that starts an amphora agent inside its namespace, run by /bin/sh with the placeholders {boot_config}, ' +
        '{local_config}, {runtime_dir}, {mgmt_ip} and {amphora_id} replaced (shell-quoted). Begin a simple command with `exec`: the pid the supervisor watches and kills is the shell\'s, so the agent must replace it. ' +
        'Default: this installation\'s `octavius agent --config-file {boot_config} --config-file {local_config}`.',
    ),
    agent_max_restarts: opt.int(3, 'Restarts of a dead amphora agent within 60 seconds before the amphora is reported ERROR.', { min: 0 }),
    supervise_interval: opt.float(1, 'Seconds between checks that every amphora agent on this host is alive (dead ones are started again).', { min: 0.1 }),
    reconcile_interval: opt.int(
      60,
      'Seconds between comparisons of the amphora namespaces on this host with the database: unknown ones (orphans of crashed flows) are deleted. Also done at start.',
      { min: 1 },
    ),
  },
  health_manager: {
    bind_ip: opt.str('127.0.0.1', 'Address the heartbeat receiver listens on.'),
    bind_port: opt.port(5555, 'UDP port of the heartbeat receiver.'),
    failover_threads: opt.int(10, 'Failover jobs one health manager has queued or running at once (upstream: its failover thread pool); it picks no more stale amphorae until one finishes.', { min: 1 }),
    health_update_threads: opt.int(null, 'Accepted for compatibility.'),
    stats_update_threads: opt.int(null, 'Accepted for compatibility.'),
    heartbeat_key: opt.str(null, 'HMAC key of heartbeats.'),
    heartbeat_timeout: opt.int(
      3,
      'Seconds without a heartbeat after which an amphora is stale and failed over; also the wait before the first scan after a start. Upstream: 60. Octavius: 3 (three missed heartbeats at heartbeat_interval 1), so that a dead amphora is replaced within a few seconds; raise it where heartbeats may be delayed for longer.',
      { min: 1 },
    ),
    health_check_interval: opt.int(1, 'Seconds between stale-amphora scans. Upstream: 3. Octavius: 1.', { min: 1 }),
    sock_rlimit: opt.int(0, 'Receive buffer of the heartbeat socket (0: system default).', { min: 0 }),
    failover_threshold: opt.int(
      null,
      'Circuit breaker: when this many amphorae or more are stale at once (as upstream: count >= threshold), none is failed over; they are set FAILOVER_STOPPED (back to ALLOCATED when they report again) and an error is logged. Unset: disabled.',
      { min: 1 },
    ),
    controller_ip_port_list: opt.list([], 'Heartbeat receivers (ip:port) amphorae send to.'),
    heartbeat_interval: opt.int(
      1,
      'Seconds between heartbeats of an amphora (written into the agent configuration of new amphorae); a heartbeat processed later than this after its arrival does not refresh health. Upstream: 10. Octavius: 1.',
      { min: 1 },
    ),
  },
  house_keeping: {
    cleanup_interval: opt.int(30, 'Seconds between purges of DELETED rows.', { min: 1 }),
    amphora_expiry_age: opt.int(604800, 'Seconds a DELETED amphora is kept.', { min: 0 }),
    load_balancer_expiry_age: opt.int(604800, 'Seconds a DELETED load balancer is kept.', { min: 0 }),
    cert_interval: opt.int(3600, 'Seconds between certificate rotation scans.', { min: 1 }),
    cert_expiry_buffer: opt.int(1209600, 'Rotate amphora certificates this many seconds before expiry.', { min: 0 }),
    cert_rotate_threads: opt.int(10, 'Certificate rotations at the same time.', { min: 1 }),
    spare_amphora_pool_size: opt.int(0, 'Ready spare amphorae to keep.', { min: 0 }),
    spare_check_interval: opt.int(30, 'Seconds between spare pool checks.', { min: 1 }),
  },
  keepalived_vrrp: {
    vrrp_advert_int: opt.float(1, 'VRRP advertisement interval (s).', { min: 0 }),
    vrrp_check_interval: opt.int(5, 'Accepted for compatibility.'),
    vrrp_fail_count: opt.int(2, 'Accepted for compatibility.'),
    vrrp_success_count: opt.int(2, 'Accepted for compatibility.'),
    vrrp_garp_refresh_interval: opt.int(5, 'Gratuitous ARP refresh interval (s).'),
    vrrp_garp_refresh_count: opt.int(2, 'Gratuitous ARPs per refresh.'),
  },
  certificates: {
    cert_manager: opt.str('local_cert_manager', 'Where TLS container references are resolved.'),
    cert_generator: opt.str('local_cert_generator', 'What signs amphora certificates.'),
    ca_certificate: opt.str(null, 'CA certificate (default: generated under state_path).'),
    ca_private_key: opt.str(null, 'CA private key (default: generated under state_path).'),
    ca_private_key_passphrase: opt.str(null, 'Passphrase of the CA private key.'),
    server_certs_key_passphrase: opt.str('insecure-key-do-not-use-this-key', 'Key that encrypts stored amphora keys (32 url-safe base64 characters).'),
    signing_digest: opt.str('sha256', 'Digest of issued certificates.'),
    cert_validity_time: opt.int(2592000, 'Seconds amphora certificates are valid.', { min: 1 }),
    storage_path: opt.str(null, 'Where the local certificate manager keeps certificates.'),
    endpoint_type: opt.str('publicURL', 'Accepted for compatibility.'),
    barbican_auth: opt.str('barbican_acl_auth', 'Accepted for compatibility.'),
    insecure: opt.bool(false, 'Accepted for compatibility.'),
  },
  quotas: {
    default_load_balancer_quota: opt.int(-1, 'Default load balancer quota (-1: unlimited).', { min: -1 }),
    default_listener_quota: opt.int(-1, 'Default listener quota.', { min: -1 }),
    default_member_quota: opt.int(-1, 'Default member quota.', { min: -1 }),
    default_pool_quota: opt.int(-1, 'Default pool quota.', { min: -1 }),
    default_health_monitor_quota: opt.int(-1, 'Default health monitor quota.', { min: -1 }),
    default_l7policy_quota: opt.int(-1, 'Default L7 policy quota.', { min: -1 }),
    default_l7rule_quota: opt.int(-1, 'Default L7 rule quota.', { min: -1 }),
  },
  oslo_policy: {
    policy_file: opt.str('policy.yaml', 'Policy overrides file.'),
    enforce_scope: opt.bool(true, 'Enforce token scope in policies.'),
    enforce_new_defaults: opt.bool(true, 'Use the reader/member/admin default rules.'),
  },
} as const;

/**
 * Groups of upstream's octavia.conf that Octavius accepts and does not use. Options in them are
 * reported at debug level only, so that an unchanged upstream file starts quietly.
 */
export const IGNORED_UPSTREAM_GROUPS = [
  'amphora_agent',
  'audit',
  'audit_middleware_notifications',
  'cinder',
  'compute',
  'cors',
  'driver_agent',
  'glance',
  'healthcheck',
  'keystone_authtoken',
  'neutron',
  'nova',
  'oslo_concurrency',
  'oslo_messaging',
  'oslo_messaging_amqp',
  'oslo_messaging_kafka',
  'oslo_messaging_notifications',
  'oslo_messaging_rabbit',
  'oslo_reports',
  'service_auth',
  'ssl',
  'api_settings_deprecated',
] as const;
