/**
 * The initial schema. Portable DDL only (varchar/text/integer/smallint/bigint), see db/schema.ts
 * for the conventions.
 */
import type { CreateTableBuilder, Kysely } from 'kysely';

// Column names are checked by the database, not by the type system, in DDL built step by step.
type Table = CreateTableBuilder<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const id = (t: Table, name = 'id'): Table => t.addColumn(name, 'varchar(36)', (c) => c.primaryKey());
const str = (t: Table, name: string, len = 255, notNull = false): Table =>
  t.addColumn(name, `varchar(${len})`, (c) => (notNull ? c.notNull() : c));
const int = (t: Table, name: string, notNull = false): Table =>
  t.addColumn(name, 'integer', (c) => (notNull ? c.notNull() : c));
const flag = (t: Table, name: string): Table => t.addColumn(name, 'smallint', (c) => c.notNull().defaultTo(0));
const text = (t: Table, name: string): Table => t.addColumn(name, 'text');
const big = (t: Table, name: string, notNull = true): Table =>
  t.addColumn(name, 'bigint', (c) => (notNull ? c.notNull() : c));
const statuses = (t: Table): Table =>
  str(str(t, 'provisioning_status', 16, true), 'operating_status', 16, true);
const times = (t: Table): Table => str(str(t, 'created_at', 32, true), 'updated_at', 32);
/** A NOT NULL reference whose rows go away with the parent row. */
const fk = (t: Table, owner: string, column: string, parent: string): Table =>
  t
    .addColumn(column, 'varchar(36)', (c) => c.notNull())
    .addForeignKeyConstraint(`fk_${owner}_${column}`, [column], parent, ['id'], (c) => c.onDelete('cascade'));

export async function up(db: Kysely<unknown>): Promise<void> {
  let t: Table;

  t = id(db.schema.createTable('load_balancer'));
  t = str(t, 'project_id', 36);
  t = str(t, 'name');
  t = str(t, 'description');
  t = statuses(t);
  t = flag(t, 'enabled');
  t = str(t, 'topology', 36);
  t = str(t, 'server_group_id', 36);
  t = str(t, 'provider', 64);
  t = str(t, 'flavor_id', 36);
  t = str(t, 'availability_zone');
  t = str(t, 'vip_address', 64);
  t = str(t, 'vip_port_id', 36);
  t = str(t, 'vip_subnet_id', 36);
  t = str(t, 'vip_network_id', 36);
  t = str(t, 'vip_qos_policy_id', 36);
  t = flag(t, 'vip_octavia_owned');
  t = str(t, 'vip_vnic_type', 16, true);
  t = times(t);
  await t.execute();
  await db.schema.createIndex('ix_load_balancer_project').on('load_balancer').column('project_id').execute();

  t = db.schema.createTable('vip_security_group');
  t = fk(t, 'vip_security_group', 'load_balancer_id', 'load_balancer');
  t = str(t, 'sg_id', 36, true);
  await t.addPrimaryKeyConstraint('pk_vip_security_group', ['load_balancer_id', 'sg_id']).execute();

  t = db.schema.createTable('additional_vip');
  t = fk(t, 'additional_vip', 'load_balancer_id', 'load_balancer');
  t = str(t, 'subnet_id', 36, true);
  t = str(t, 'network_id', 36);
  t = str(t, 'port_id', 36);
  t = str(t, 'ip_address', 64);
  await t.addPrimaryKeyConstraint('pk_additional_vip', ['load_balancer_id', 'subnet_id']).execute();

  t = id(db.schema.createTable('listener'));
  t = str(t, 'project_id', 36);
  t = fk(t, 'listener', 'load_balancer_id', 'load_balancer');
  t = str(t, 'name');
  t = str(t, 'description');
  t = str(t, 'protocol', 32, true);
  t = int(t, 'protocol_port', true);
  t = int(t, 'connection_limit');
  t = flag(t, 'enabled');
  t = str(t, 'default_pool_id', 36);
  t = str(t, 'tls_certificate_id');
  t = str(t, 'client_ca_tls_certificate_id');
  t = str(t, 'client_authentication', 10, true);
  t = str(t, 'client_crl_container_id');
  t = text(t, 'insert_headers');
  t = int(t, 'timeout_client_data');
  t = int(t, 'timeout_member_connect');
  t = int(t, 'timeout_member_data');
  t = int(t, 'timeout_tcp_inspect');
  t = str(t, 'tls_ciphers', 2048);
  t = text(t, 'tls_versions');
  t = text(t, 'alpn_protocols');
  t = int(t, 'hsts_max_age');
  t = flag(t, 'hsts_include_subdomains');
  t = flag(t, 'hsts_preload');
  t = int(t, 'peer_port');
  t = statuses(t);
  t = times(t);
  await t.addUniqueConstraint('uq_listener_lb_protocol_port', ['load_balancer_id', 'protocol', 'protocol_port']).execute();
  await db.schema.createIndex('ix_listener_project').on('listener').column('project_id').execute();

  t = db.schema.createTable('sni');
  t = fk(t, 'sni', 'listener_id', 'listener');
  t = str(t, 'tls_container_id', 255, true);
  t = int(t, 'position', true);
  await t.addPrimaryKeyConstraint('pk_sni', ['listener_id', 'tls_container_id']).execute();

  t = db.schema.createTable('listener_cidr');
  t = fk(t, 'listener_cidr', 'listener_id', 'listener');
  t = str(t, 'cidr', 64, true);
  await t.addPrimaryKeyConstraint('pk_listener_cidr', ['listener_id', 'cidr']).execute();

  t = id(db.schema.createTable('pool'));
  t = str(t, 'project_id', 36);
  t = fk(t, 'pool', 'load_balancer_id', 'load_balancer');
  t = str(t, 'name');
  t = str(t, 'description');
  t = str(t, 'protocol', 16, true);
  t = str(t, 'lb_algorithm', 255, true);
  t = flag(t, 'enabled');
  t = str(t, 'sp_type', 36);
  t = str(t, 'sp_cookie_name');
  t = int(t, 'sp_persistence_timeout');
  t = str(t, 'sp_persistence_granularity', 64);
  t = flag(t, 'tls_enabled');
  t = str(t, 'tls_certificate_id');
  t = str(t, 'ca_tls_certificate_id');
  t = str(t, 'crl_container_id');
  t = str(t, 'tls_ciphers', 2048);
  t = text(t, 'tls_versions');
  t = text(t, 'alpn_protocols');
  t = statuses(t);
  t = times(t);
  await t.execute();
  await db.schema.createIndex('ix_pool_project').on('pool').column('project_id').execute();
  await db.schema.createIndex('ix_pool_lb').on('pool').column('load_balancer_id').execute();

  t = id(db.schema.createTable('member'));
  t = str(t, 'project_id', 36);
  t = fk(t, 'member', 'pool_id', 'pool');
  t = str(t, 'name');
  t = str(t, 'ip_address', 64, true);
  t = int(t, 'protocol_port', true);
  t = int(t, 'weight');
  t = flag(t, 'backup');
  t = str(t, 'subnet_id', 36);
  t = str(t, 'monitor_address', 64);
  t = int(t, 'monitor_port');
  t = flag(t, 'enabled');
  t = str(t, 'vnic_type', 16, true);
  t = statuses(t);
  t = times(t);
  await t.addUniqueConstraint('uq_member_pool_ip_port', ['pool_id', 'ip_address', 'protocol_port']).execute();

  t = id(db.schema.createTable('health_monitor'));
  t = str(t, 'project_id', 36);
  t = fk(t, 'health_monitor', 'pool_id', 'pool');
  t = str(t, 'name');
  t = str(t, 'type', 36, true);
  t = int(t, 'delay', true);
  t = int(t, 'timeout', true);
  t = int(t, 'fall_threshold', true);
  t = int(t, 'rise_threshold', true);
  t = str(t, 'http_method', 16);
  t = str(t, 'url_path', 2048);
  t = str(t, 'expected_codes', 64);
  t = str(t, 'http_version', 8);
  t = str(t, 'domain_name');
  t = flag(t, 'enabled');
  t = statuses(t);
  t = times(t);
  await t.addUniqueConstraint('uq_health_monitor_pool', ['pool_id']).execute();

  t = id(db.schema.createTable('l7policy'));
  t = str(t, 'project_id', 36);
  t = fk(t, 'l7policy', 'listener_id', 'listener');
  t = str(t, 'name');
  t = str(t, 'description');
  t = str(t, 'action', 36, true);
  t = str(t, 'redirect_pool_id', 36);
  t = str(t, 'redirect_url', 255);
  t = str(t, 'redirect_prefix', 255);
  t = int(t, 'redirect_http_code');
  t = int(t, 'position', true);
  t = flag(t, 'enabled');
  t = statuses(t);
  t = times(t);
  await t.execute();
  await db.schema.createIndex('ix_l7policy_listener').on('l7policy').column('listener_id').execute();

  t = id(db.schema.createTable('l7rule'));
  t = str(t, 'project_id', 36);
  t = fk(t, 'l7rule', 'l7policy_id', 'l7policy');
  t = str(t, 'type', 36, true);
  t = str(t, 'compare_type', 36, true);
  t = str(t, 'key');
  t = str(t, 'value', 255, true);
  t = flag(t, 'invert');
  t = flag(t, 'enabled');
  t = statuses(t);
  t = times(t);
  await t.execute();
  await db.schema.createIndex('ix_l7rule_policy').on('l7rule').column('l7policy_id').execute();

  t = db.schema.createTable('tag');
  t = str(t, 'resource_id', 36, true);
  t = str(t, 'tag', 255, true);
  await t.addPrimaryKeyConstraint('pk_tag', ['resource_id', 'tag']).execute();

  t = id(db.schema.createTable('amphora'));
  t = str(t, 'compute_id', 255);
  t = str(t, 'status', 36, true);
  t = str(t, 'load_balancer_id', 36);
  t = str(t, 'lb_network_ip', 64);
  t = str(t, 'vrrp_ip', 64);
  t = str(t, 'ha_ip', 64);
  t = str(t, 'vrrp_port_id', 36);
  t = str(t, 'ha_port_id', 36);
  t = str(t, 'role', 36);
  t = str(t, 'cert_expiration', 32);
  t = flag(t, 'cert_busy');
  t = str(t, 'vrrp_interface', 16);
  t = int(t, 'vrrp_id');
  t = int(t, 'vrrp_priority');
  t = str(t, 'cached_zone');
  t = str(t, 'image_id', 36);
  t = str(t, 'compute_flavor', 255);
  t = times(t);
  await t.execute();
  await db.schema.createIndex('ix_amphora_lb').on('amphora').column('load_balancer_id').execute();
  await db.schema.createIndex('ix_amphora_status').on('amphora').column('status').execute();

  t = id(db.schema.createTable('amphora_health'), 'amphora_id');
  t = big(t, 'last_update');
  t = flag(t, 'busy');
  await t.execute();

  t = db.schema.createTable('listener_statistics');
  t = str(t, 'listener_id', 36, true);
  t = str(t, 'amphora_id', 36, true);
  for (const c of ['bytes_in', 'bytes_out', 'active_connections', 'total_connections', 'request_errors']) {
    t = big(t, c);
  }
  await t.addPrimaryKeyConstraint('pk_listener_statistics', ['listener_id', 'amphora_id']).execute();

  t = id(db.schema.createTable('quotas'), 'project_id');
  for (const r of ['load_balancer', 'listener', 'pool', 'health_monitor', 'member', 'l7policy', 'l7rule']) {
    t = int(int(t, r), `in_use_${r}`);
  }
  await t.execute();

  t = id(db.schema.createTable('flavor_profile'));
  t = str(t, 'name', 255, true);
  t = str(t, 'provider_name', 255, true);
  t = str(t, 'flavor_data', 4096, true);
  await t.execute();

  t = id(db.schema.createTable('flavor'));
  t = str(t, 'name', 255, true);
  t = str(t, 'description');
  t = flag(t, 'enabled');
  t = str(t, 'flavor_profile_id', 36, true);
  await t.addUniqueConstraint('uq_flavor_name', ['name']).execute();

  t = id(db.schema.createTable('availability_zone_profile'));
  t = str(t, 'name', 255, true);
  t = str(t, 'provider_name', 255, true);
  t = str(t, 'availability_zone_data', 4096, true);
  await t.execute();

  t = db.schema.createTable('availability_zone').addColumn('name', 'varchar(255)', (c) => c.primaryKey());
  t = str(t, 'description');
  t = flag(t, 'enabled');
  t = str(t, 'availability_zone_profile_id', 36, true);
  await t.execute();

  t = id(db.schema.createTable('job'));
  t = str(t, 'kind', 64, true);
  t = text(t, 'payload');
  t = str(t, 'state', 16, true);
  t = str(t, 'resource_id', 36);
  t = int(t, 'attempt', true);
  t = str(t, 'lease_owner', 128);
  t = big(t, 'lease_expires_at', false);
  t = big(t, 'available_at');
  t = text(t, 'progress');
  t = text(t, 'error');
  t = big(t, 'created_at');
  t = big(t, 'updated_at');
  await t.execute();
  await db.schema.createIndex('ix_job_state_available').on('job').columns(['state', 'available_at']).execute();
  await db.schema.createIndex('ix_job_resource').on('job').column('resource_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'job',
    'availability_zone',
    'availability_zone_profile',
    'flavor',
    'flavor_profile',
    'quotas',
    'listener_statistics',
    'amphora_health',
    'amphora',
    'tag',
    'l7rule',
    'l7policy',
    'health_monitor',
    'member',
    'pool',
    'listener_cidr',
    'sni',
    'listener',
    'additional_vip',
    'vip_security_group',
    'load_balancer',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
