import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { AuditLog } from '../src/moderation/audit.js';
import { openDb, type Db } from '../src/storage/db.js';
import { createDatabase, missingServices, startPostgres, type Service } from './services.js';

/**
 * The audit log is append-only, proved twice: no source file under server/src issues an UPDATE
 * or a DELETE on `audit_log` (through Kysely or in raw SQL), and the database itself refuses
 * both, on SQLite and on PostgreSQL, whatever code runs against it.
 */

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

/** Ways code can change or remove an audit row: Kysely's builders, and SQL text. */
const CHANGES: Array<{ what: string; pattern: RegExp }> = [
  { what: 'Kysely updateTable', pattern: /\bupdateTable\s*\(\s*['"`]audit_log\b/ },
  { what: 'Kysely deleteFrom', pattern: /\bdeleteFrom\s*\(\s*['"`]audit_log\b/ },
  { what: 'Kysely replaceInto', pattern: /\breplaceInto\s*\(\s*['"`]audit_log\b/ },
  // An upsert is an update of the row already there.
  { what: 'Kysely upsert', pattern: /\binsertInto\s*\(\s*['"`]audit_log['"`]\s*\)[^;]*?\.onConflict\b/ },
  { what: 'SQL UPDATE', pattern: /\bupdate\s+(?:only\s+)?["`]?audit_log\b/i },
  { what: 'SQL DELETE', pattern: /\bdelete\s+from\s+(?:only\s+)?["`]?audit_log\b/i },
  { what: 'SQL REPLACE', pattern: /\breplace\s+into\s+["`]?audit_log\b/i },
  { what: 'SQL TRUNCATE', pattern: /\btruncate\s+(?:table\s+)?(?:only\s+)?["`]?audit_log\b/i },
  { what: 'SQL DROP', pattern: /\bdrop\s+table\s+(?:if\s+exists\s+)?["`]?audit_log\b/i },
];

function changesIn(text: string): string[] {
  return CHANGES.filter(({ pattern }) => pattern.test(text)).map(({ what }) => what);
}

describe('no code changes or deletes an audit row', () => {
  test('the scan finds each way of doing it (so a pass below means something)', () => {
    const planted: Array<[string, string]> = [
      ["await db.updateTable('audit_log').set({ actor_name: 'x' }).execute();", 'Kysely updateTable'],
      ['await tx.deleteFrom("audit_log as a").where("a.id", "=", id).execute();', 'Kysely deleteFrom'],
      ["db.replaceInto('audit_log').values(row)", 'Kysely replaceInto'],
      [
        "db.insertInto('audit_log').values(row).onConflict((oc) => oc.column('id').doUpdateSet({ detail: '{}' }))",
        'Kysely upsert',
      ],
      ['await sql`UPDATE audit_log SET detail = ${d}`.execute(db);', 'SQL UPDATE'],
      ['client.query(\'delete from "audit_log" where at < $1\', [cutoff])', 'SQL DELETE'],
      ['sql`insert or replace into audit_log values (...)`', 'SQL REPLACE'],
      ['sql`truncate table audit_log`', 'SQL TRUNCATE'],
      ['sql`drop table if exists audit_log`', 'SQL DROP'],
    ];
    for (const [code, what] of planted) assert.deepEqual(changesIn(code), [what], code);
    // What the code does write is no change: an insert, a read, the triggers that refuse changes.
    assert.deepEqual(
      changesIn("db.insertInto('audit_log').values(row).execute(); db.selectFrom('audit_log').selectAll()"),
      [],
    );
    assert.deepEqual(changesIn('create trigger audit_log_no_update before update on audit_log'), []);
  });

  test('no file under server/src updates or deletes audit_log', () => {
    const files = filesUnder(src);
    const naming = files
      .filter((file) => fs.readFileSync(file, 'utf8').includes('audit_log'))
      .map((file) => path.relative(src, file));
    // The scan reads the code that writes the log: it is not looking in the wrong place.
    assert.ok(files.length > 50, `${files.length} files under ${src}`);
    assert.ok(naming.includes(path.join('moderation', 'audit.ts')), `files naming audit_log: ${naming.join(', ')}`);
    const found = files.flatMap((file) =>
      changesIn(fs.readFileSync(file, 'utf8')).map((what) => `${path.relative(src, file)}: ${what}`),
    );
    assert.deepEqual(found, []);
  });
});

/** Two rows written the way the code writes them, about a user that is then deleted. */
async function refusesChanges(db: Db): Promise<void> {
  const kysely = db.kysely;
  const audit = new AuditLog(kysely);
  const subject = randomUUID();
  await kysely
    .insertInto('users')
    .values({
      id: subject,
      display_name: 'Subject',
      kind: 'guest',
      email: null,
      password_hash: null,
      created_at: new Date().toISOString(),
    })
    .execute();
  const actor = { id: randomUUID(), displayName: 'Mo' };
  await audit.write(
    { actor, action: 'ban', subjectUserId: subject, detail: { reportIds: ['r1'] } },
    new Date(Date.now() - 1000),
  );
  await audit.write({
    actor,
    action: 'view_evidence',
    subjectUserId: subject,
    detail: { evidenceId: 'e1', reportId: 'r1' },
  });
  const rows = await audit.list({ limit: 10 });
  assert.equal(rows.length, 2);

  const refused = /append-only/;
  await assert.rejects(
    kysely.updateTable('audit_log').set({ actor_name: 'Someone else' }).execute(),
    refused,
    'UPDATE through Kysely',
  );
  await assert.rejects(
    kysely.updateTable('audit_log').set({ detail: '{}' }).where('action', '=', 'ban').execute(),
    refused,
    'UPDATE of one row',
  );
  await assert.rejects(kysely.deleteFrom('audit_log').execute(), refused, 'DELETE through Kysely');
  await assert.rejects(
    kysely.deleteFrom('audit_log').where('action', '=', 'view_evidence').execute(),
    refused,
    'DELETE of one row',
  );
  await assert.rejects(sql`update audit_log set action = 'dismiss'`.execute(kysely), refused, 'UPDATE in SQL');
  await assert.rejects(sql`delete from audit_log`.execute(kysely), refused, 'DELETE in SQL');
  // The user the rows are about goes (a swept guest): the rows stay, since no key cascades to them.
  await kysely.deleteFrom('users').where('id', '=', subject).execute();

  assert.deepEqual(await audit.list({ limit: 10 }), rows, 'every row as it was written');
}

describe('the database refuses to change or delete an audit row', () => {
  test('SQLite: UPDATE and DELETE fail, through Kysely or in SQL; rows outlive their subject', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-audit-'));
    const db = await openDb({ dataDir });
    try {
      await refusesChanges(db);
    } finally {
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  const skip = missingServices()?.includes('postgresql') ? missingServices() : null;
  describe('PostgreSQL', { skip: skip ?? false }, () => {
    let postgres: Service;
    before(async () => {
      postgres = await startPostgres();
    });
    after(() => postgres?.close());

    test('UPDATE, DELETE and TRUNCATE fail, through Kysely or in SQL; rows outlive their subject', async () => {
      const db = await openDb({
        databaseUrl: await createDatabase(postgres.url, `st_audit_${randomUUID().replace(/-/g, '').slice(0, 12)}`),
        dataDir: '',
      });
      try {
        await refusesChanges(db);
        await assert.rejects(sql`truncate audit_log`.execute(db.kysely), /append-only/, 'TRUNCATE');
        assert.ok(
          (await db.kysely.selectFrom('audit_log').select('id').execute()).length > 0,
          'the rows are still there',
        );
      } finally {
        await db.close();
      }
    });
  });
});
