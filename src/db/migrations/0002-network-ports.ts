/**
 * The local network driver's IPAM table (issue 3). A port is one or more rows sharing `id`, one per
 * fixed IP; the unique (subnet_id, ip_address) key is what makes concurrent allocations by several
 * processes safe: the loser of a race gets a constraint violation and picks another address.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('network_port')
    .addColumn('id', 'varchar(36)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
    .addColumn('device_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('device_owner', 'varchar(255)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(36)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_network_port', ['id', 'subnet_id'])
    .addUniqueConstraint('uq_network_port_subnet_ip', ['subnet_id', 'ip_address'])
    .execute();
  await db.schema.createIndex('ix_network_port_network').on('network_port').column('network_id').execute();
  await db.schema.createIndex('ix_network_port_device').on('network_port').column('device_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('network_port').ifExists().execute();
}
