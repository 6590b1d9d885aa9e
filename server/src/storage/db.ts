import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import type { Database } from './schema.js';
import { migrations, type SqlDialect } from './migrations.js';

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
}

/** Opens the database named by the config and brings its schema up to date. */
export async function openDb(options: DbOptions): Promise<Db> {
  if (options.databaseUrl) {
    throw new Error('DATABASE_URL is not supported yet: unset it to use the embedded SQLite database');
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  const file = new SQLite(path.join(options.dataDir, 'smalltalk.db'));
  // WAL lets a second server process in the same checkout read while this one writes;
  // busy_timeout makes their writes wait for each other instead of failing.
  file.pragma('journal_mode = WAL');
  file.pragma('synchronous = NORMAL');
  file.pragma('foreign_keys = ON');
  file.pragma('busy_timeout = 5000');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) });
  await migrate(kysely, 'sqlite');
  let closed = false;
  return {
    kysely,
    dialect: 'sqlite',
    async ping() {
      await sql`select 1`.execute(kysely);
    },
    async close() {
      if (closed) return;
      closed = true;
      await kysely.destroy();
    },
  };
}

async function migrate(kysely: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  const migrator = new Migrator({ db: kysely, provider: migrations(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
