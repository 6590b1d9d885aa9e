import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openDb, type Db } from '../src/storage/db.js';

/**
 * The embedded database's one connection, shared by many callers at once (sqlite-queue.ts): a
 * burst of joins reads as many standings together. Every caller gets its own answer, in the
 * order it asked, and a transaction among them sees none of the others' statements half done.
 */
let dir: string;
let db: Db;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-sqlite-queue-'));
  db = await openDb({ dataDir: dir });
});
after(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function addUser(id: string, name: string) {
  return db.kysely
    .insertInto('users')
    .values({
      id,
      display_name: name,
      kind: 'guest',
      email: null,
      password_hash: null,
      created_at: new Date().toISOString(),
    })
    .execute();
}

test('a thousand reads at once each get their own row, in the order they were asked', async () => {
  const ids = Array.from({ length: 1000 }, () => randomUUID());
  for (const [i, id] of ids.entries()) await addUser(id, `user ${i}`);
  const finished: number[] = [];
  const names = await Promise.all(
    ids.map(async (id, i) => {
      const row = await db.kysely.selectFrom('users').select('display_name').where('id', '=', id).executeTakeFirst();
      finished.push(i);
      return row?.display_name;
    }),
  );
  assert.deepEqual(
    names,
    ids.map((_, i) => `user ${i}`),
  );
  assert.deepEqual(
    finished,
    ids.map((_, i) => i),
  );
});

test('a transaction among concurrent writes commits or rolls back whole', async () => {
  const kept = randomUUID();
  const undone = randomUUID();
  const others = Array.from({ length: 200 }, () => randomUUID());
  const writes = others.map((id) => addUser(id, 'other'));
  const committed = db.kysely.transaction().execute(async (tx) => {
    await tx
      .insertInto('users')
      .values({
        id: kept,
        display_name: 'kept',
        kind: 'guest',
        email: null,
        password_hash: null,
        created_at: '2026-01-01T00:00:00.000Z',
      })
      .execute();
  });
  const rolledBack = db.kysely
    .transaction()
    .execute(async (tx) => {
      await tx
        .insertInto('users')
        .values({
          id: undone,
          display_name: 'undone',
          kind: 'guest',
          email: null,
          password_hash: null,
          created_at: '2026-01-01T00:00:00.000Z',
        })
        .execute();
      throw new Error('changed my mind');
    })
    .catch((error: unknown) => error);
  await Promise.all([...writes, committed]);
  assert.equal(((await rolledBack) as Error).message, 'changed my mind');
  const found = await db.kysely
    .selectFrom('users')
    .select('id')
    .where('id', 'in', [kept, undone, ...others])
    .execute();
  assert.deepEqual(new Set(found.map((row) => row.id)), new Set([kept, ...others]));
});
