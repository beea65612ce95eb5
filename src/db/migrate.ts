/** Schema migrations: in-code Kysely migrations, applied by `octavius db upgrade` and at `up`. */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as initial from './migrations/0001-initial.js';
import * as networkPorts from './migrations/0002-network-ports.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-network-ports': networkPorts,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export interface MigrationReport {
  readonly applied: readonly string[];
}

/** Names of migrations not applied yet (all of them on an empty database). */
export async function pendingMigrations(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'octavius_migration', migrationLockTableName: 'octavius_migration_lock' });
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}

export async function migrateToLatest(db: Kysely<unknown>): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'octavius_migration', migrationLockTableName: 'octavius_migration_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
