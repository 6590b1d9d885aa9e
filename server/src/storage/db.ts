import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { migrations, type SqlDialect } from './migrations.js';
import { QueuedSqliteDialect } from './sqlite-queue.js';

export interface Db {
  kysely: Kysely<Database>;
  dialect: SqlDialect;
  /** Cheap round trip for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DbOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** Told about connection errors that no query is waiting on (PostgreSQL restarted, network cut). */
  onError?: (error: Error) => void;
}

/** How long /healthz waits for the database before calling it unreachable. */
const PING_TIMEOUT_MS = 2000;

/** Distinct statements kept prepared: the server's queries are a few hundred texts at most. */
const STATEMENTS_KEPT = 500;

/**
 * better-sqlite3 as Kysely sees it, with prepared statements kept by their SQL text. Kysely
 * prepares every query anew, and preparing costs more than running the short indexed reads that
 * every join and call makes (the standing, the blocks). Statements are only ever run whole (all,
 * run: the server never streams rows), so one can serve every caller in turn.
 */
function keepingStatements(file: SQLite.Database): SqliteDatabase {
  const kept = new Map<string, SQLite.Statement>();
  return {
    close: () => file.close(),
    prepare(text: string) {
      let statement = kept.get(text);
      if (statement) {
        // Most recently used last, so the least used goes first when the map is full.
        kept.delete(text);
      } else {
        statement = file.prepare(text);
        if (kept.size >= STATEMENTS_KEPT) kept.delete(kept.keys().next().value!);
      }
      kept.set(text, statement);
      return statement as unknown as ReturnType<SqliteDatabase['prepare']>;
    },
  };
}

/** Opens the database named by the config and brings its schema up to date. */
export async function openDb(options: DbOptions): Promise<Db> {
  if (options.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
      throw new Error('DATABASE_URL must be a postgres:// URL; unset it to use the embedded SQLite database');
    }
    return openPostgres(options.databaseUrl, options.onError ?? (() => {}));
  }
  const dbFile = path.join(options.dataDir, 'smalltalk.db');
  privateDataDir(options.dataDir, dbFile);
  const file = new SQLite(dbFile);
  // WAL lets a second server process in the same checkout read while this one writes;
  // busy_timeout makes their writes wait for each other instead of failing.
  file.pragma('journal_mode = WAL');
  file.pragma('synchronous = NORMAL');
  file.pragma('foreign_keys = ON');
  file.pragma('busy_timeout = 5000');
  const kysely = new Kysely<Database>({ dialect: new QueuedSqliteDialect({ database: keepingStatements(file) }) });
  await migrate(kysely, 'sqlite');
  return {
    kysely,
    dialect: 'sqlite',
    async ping() {
      await sql`select 1`.execute(kysely);
    },
    close: closeOnce(kysely),
  };
}

/**
 * DATA_DIR holds the database (password hashes, session hashes, who talked to whom): only the
 * server's own account may read it. Modes are set with chmod, not left to the umask. A folder
 * we did not create is tightened too when it is ours (owned by this user); someone else's is
 * left alone. SQLite creates -wal and -shm with the database file's mode, so 0600 on the file
 * covers them; they are tightened as well in case an older run left them wider.
 */
function privateDataDir(dataDir: string, dbFile: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const ours = (target: string) => {
    try {
      const stat = fs.statSync(target);
      return typeof process.getuid !== 'function' || stat.uid === process.getuid();
    } catch {
      return false;
    }
  };
  if (ours(dataDir)) fs.chmodSync(dataDir, 0o700);
  fs.closeSync(fs.openSync(dbFile, 'a', 0o600));
  for (const file of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) {
    if (ours(file)) fs.chmodSync(file, 0o600);
  }
}

async function openPostgres(url: string, onError: (error: Error) => void): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // While PostgreSQL is down, a query fails after this instead of waiting for a connection
    // forever; the pool opens new connections by itself once it is back.
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
  });
  // An idle connection whose server went away emits 'error' on the pool, and a checked-out
  // one on itself: unhandled, either would crash the process. The pool drops the broken
  // connection either way; we only log.
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrate(kysely, 'postgres');
  } catch (error) {
    await kysely.destroy();
    throw error;
  }
  return {
    kysely,
    dialect: 'postgres',
    async ping() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('database did not answer in time')), PING_TIMEOUT_MS);
      });
      try {
        await Promise.race([sql`select 1`.execute(kysely), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: closeOnce(kysely),
  };
}

/** Destroys the pool or file once: the server's close() closes its database even when something closed it before. */
function closeOnce(kysely: Kysely<Database>): () => Promise<void> {
  let closed = false;
  return async () => {
    if (closed) return;
    closed = true;
    await kysely.destroy();
  };
}

async function migrate(kysely: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  const migrator = new Migrator({ db: kysely, provider: migrations(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration${failed ? ` ${failed.migrationName}` : 's'} failed: ${String(error)}`);
  }
}
