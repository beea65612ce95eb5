/**
 * Opens the database named by an upstream-style URL and hands out one Kysely instance that every
 * repository shares. Three engines, one schema:
 * - SQLite (better-sqlite3): WAL, foreign keys on, `BEGIN IMMEDIATE` for every transaction so that
 *   several processes on one file queue for the write lock instead of failing on lock upgrade, and a
 *   prepared-statement cache.
 * - PostgreSQL (pg): a pool; BIGINT parsed to number.
 * - MySQL/MariaDB (mysql2): a pool; BIGINT returned as number.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  MysqlDialect,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
} from 'kysely';
import mysql from 'mysql2';
import pg from 'pg';
import type { Database } from './schema.js';

export type Engine = 'sqlite' | 'postgresql' | 'mysql';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly engine: Engine;
  /** The URL with its password hidden, for logs. */
  readonly description: string;
  close(): Promise<void>;
}

export interface ConnectOptions {
  readonly maxPoolSize?: number;
  /** SQLite: milliseconds to wait for the write lock held by another process. */
  readonly busyTimeoutMs?: number;
}

export interface ParsedUrl {
  readonly engine: Engine;
  /** SQLite: file path or ':memory:'. */
  readonly path?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Understands SQLAlchemy-style URLs as written in octavia.conf. */
export function parseDatabaseUrl(url: string): ParsedUrl {
  const scheme = /^([a-z]+)(?:\+[a-z0-9_]+)?:\/\//i.exec(url);
  if (!scheme) throw new Error(`unsupported database URL: ${url}`);
  const kind = scheme[1]!.toLowerCase();
  if (kind === 'sqlite') {
    // sqlite:// and sqlite:///:memory: are in-memory; sqlite:///rel/path is relative; sqlite:////abs/path absolute.
    const rest = url.slice(scheme[0].length);
    if (rest === '' || rest === '/:memory:') return { engine: 'sqlite', path: ':memory:', params: {} };
    const path = rest.startsWith('/') ? rest.slice(1) : rest;
    return { engine: 'sqlite', path: path.split('?')[0]!, params: {} };
  }
  let engine: Engine;
  if (kind === 'postgresql' || kind === 'postgres') engine = 'postgresql';
  else if (kind === 'mysql' || kind === 'mariadb') engine = 'mysql';
  else throw new Error(`unsupported database URL scheme: ${kind}`);
  const u = new URL(url.replace(/^[^:]+:/, 'http:'));
  const params: Record<string, string> = {};
  u.searchParams.forEach((v, k) => (params[k] = v));
  return {
    engine,
    host: u.hostname === '' ? (params['host'] ?? 'localhost') : decodeURIComponent(u.hostname),
    ...(u.port ? { port: Number(u.port) } : {}),
    ...(u.username ? { user: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
    params,
  };
}

export function connectDatabase(url: string, options: ConnectOptions = {}): Db {
  const parsed = parseDatabaseUrl(url);
  const description = url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
  switch (parsed.engine) {
    case 'sqlite':
      return openSqlite(parsed.path!, description, options);
    case 'postgresql':
      return openPostgres(parsed, description, options);
    case 'mysql':
      return openMysql(parsed, description, options);
  }
}

function openSqlite(path: string, description: string, options: ConnectOptions): Db {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const raw = new SqliteDatabase(path);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  // Checkpoint every ~40 MB of WAL instead of every 4 MB: fewer stalls of a commit that also has to
  // copy pages back and fsync the database file.
  raw.pragma('wal_autocheckpoint = 10000');
  raw.pragma('foreign_keys = ON');
  raw.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10000}`);
  const cache = new Map<string, SqliteDatabase.Statement>();
  const database = {
    close: () => raw.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = raw.prepare(sql);
        if (cache.size > 2000) cache.clear();
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
  class ImmediateSqliteDriver extends SqliteDriver {
    override async beginTransaction(connection: DatabaseConnection): Promise<void> {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    }
  }
  class ImmediateSqliteDialect extends SqliteDialect {
    override createDriver(): Driver {
      return new ImmediateSqliteDriver({ database });
    }
  }
  const kysely = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database }) });
  return { kysely, engine: 'sqlite', description, close: () => kysely.destroy() };
}

function openPostgres(p: ParsedUrl, description: string, options: ConnectOptions): Db {
  const pool = new pg.Pool({
    host: p.host,
    port: p.port ?? 5432,
    user: p.user ?? process.env['PGUSER'] ?? 'postgres',
    ...(p.password !== undefined ? { password: p.password } : {}),
    database: p.database || 'postgres',
    max: options.maxPoolSize ?? 10,
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { kysely, engine: 'postgresql', description, close: () => kysely.destroy() };
}

function openMysql(p: ParsedUrl, description: string, options: ConnectOptions): Db {
  const pool = mysql.createPool({
    host: p.host,
    port: p.port ?? 3306,
    user: p.user ?? 'root',
    ...(p.password !== undefined ? { password: p.password } : {}),
    database: p.database,
    connectionLimit: options.maxPoolSize ?? 10,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: false,
    timezone: 'Z',
  });
  const kysely = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
  return { kysely, engine: 'mysql', description, close: () => kysely.destroy() };
}
