import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openDb } from '../src/storage/db.js';
import { api, eventually, guest, member, pair, startServer, uniqueEmail, type TestServer } from './harness.js';
import { createDatabase, missingServices, startPostgres, type Service } from './services.js';

/**
 * DATABASE_URL=postgres://…: the same Kysely queries and migrations as SQLite, on a real
 * PostgreSQL the test starts itself; and the process rides out PostgreSQL going away.
 */
const skip = missingServices();

describe('PostgreSQL', { skip: skip ?? false }, () => {
  let postgres: Service;
  before(async () => {
    postgres = await startPostgres();
  });
  after(() => postgres?.close());

  const fresh = () => createDatabase(postgres.url, `st_${randomUUID().replace(/-/g, '').slice(0, 16)}`);

  test('migrations create the tables with timestamptz columns, once, even with two processes starting together', async () => {
    const url = await fresh();
    // Two servers starting at the same moment migrate the same database: Kysely's migration lock
    // makes one wait for the other.
    const [one, two] = await Promise.all([
      openDb({ dataDir: '/nonexistent', databaseUrl: url }),
      openDb({ dataDir: '/nonexistent', databaseUrl: url }),
    ]);
    try {
      assert.equal(one.dialect, 'postgres');
      // Every timestamp column (named *_at, or `until`) of every migration is timestamptz.
      const columns = await sql<{ table_name: string; column_name: string; data_type: string }>`
        select table_name, column_name, data_type from information_schema.columns
        where table_schema = 'public' and table_name not like 'kysely_%' and (column_name like '%\_at' or column_name = 'until')`.execute(
        one.kysely,
      );
      const named = new Set(columns.rows.map((c) => `${c.table_name}.${c.column_name}`));
      for (const core of [
        'users.created_at',
        'sessions.created_at',
        'sessions.expires_at',
        'connections.started_at',
        'connections.ended_at',
        'friendships.created_at',
        'friendships.accepted_at',
      ]) {
        assert.ok(named.has(core), `${core} exists`);
      }
      for (const column of columns.rows)
        assert.equal(column.data_type, 'timestamp with time zone', `${column.table_name}.${column.column_name}`);
      const categories = await one.kysely.selectFrom('categories').select('slug').execute();
      assert.ok(categories.length >= 8, 'categories seeded once');
      assert.equal(new Set(categories.map((c) => c.slug)).size, categories.length);
      await two.ping();
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
    // A third start finds nothing left to do.
    const again = await openDb({ dataDir: '/nonexistent', databaseUrl: url });
    await again.close();
  });

  test('refuses a DATABASE_URL that is not postgres://', async () => {
    await assert.rejects(openDb({ dataDir: '/nonexistent', databaseUrl: 'mysql://localhost/x' }), /postgres:\/\//);
  });

  describe('the server on PostgreSQL', () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ DATABASE_URL: await fresh() });
    });
    after(() => server?.close());

    test('history on timestamptz columns: ISO 8601 with milliseconds, newest first, the end recorded', async () => {
      const first = await pair(server);
      first.a.socket.send({ type: 'leave', roomId: first.roomId });
      await first.b.socket.next('peer_left');
      const response = await api(server.url, 'GET', '/api/history', { token: first.a.auth.token });
      assert.equal(response.status, 200);
      const [row] = response.body.connections;
      assert.equal(row.id, first.roomId);
      assert.match(row.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(row.endedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(row.endReason, 'left');
      assert.ok(row.endedAt >= row.startedAt);
      await Promise.all([first.a.socket.close(), first.b.socket.close()]);
    });

    test('two registrations of one email at once: exactly one wins, the other is email_taken (unique violation 23505)', async () => {
      const email = uniqueEmail('race');
      const body = { email, password: 'correct horse battery', displayName: 'Racer' };
      const results = await Promise.all(
        Array.from({ length: 4 }, () => api(server.url, 'POST', '/api/auth/register', { body })),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, 409, 409, 409]);
      for (const r of results.filter((r) => r.status === 409)) assert.equal(r.body.error.code, 'email_taken');
    });

    test('a guest upgraded to member keeps its id and sessions work as on SQLite', async () => {
      const g = await guest(server.url, 'Up');
      const m = await member(server.url, {}, g.token);
      assert.equal(m.user.id, g.user.id);
      assert.equal((await api(server.url, 'GET', '/api/me', { token: g.token })).status, 401);
      assert.equal((await api(server.url, 'GET', '/api/me', { token: m.token })).status, 200);
    });
  });

  test(
    'PostgreSQL restarted: /healthz is 503 while it is down, 200 again by itself, the process never crashes',
    { skip: !process.env.DATABASE_URL ? false : 'DATABASE_URL given: cannot restart it' },
    async () => {
      const server = await startServer({ DATABASE_URL: await fresh() });
      try {
        // Warm the pool, so PostgreSQL going away breaks idle connections (the pool's 'error' event).
        await Promise.all(Array.from({ length: 5 }, () => guest(server.url, 'Warm')));
        assert.equal((await api(server.url, 'GET', '/healthz')).status, 200);

        await postgres.stop();
        await eventually('/healthz 503', async () => (await api(server.url, 'GET', '/healthz')).status === 503, 5000);
        // HTTP keeps answering: with a database error, not a dropped connection.
        const during = await api(server.url, 'POST', '/api/auth/guest', { body: { displayName: 'During' } });
        assert.equal(during.status, 500);
        assert.equal(during.body.error.code, 'internal');

        await postgres.start();
        const back = Date.now();
        await eventually('/healthz 200', async () => (await api(server.url, 'GET', '/healthz')).status === 200, 5000);
        assert.ok(Date.now() - back < 5000);
        const after = await guest(server.url, 'After');
        assert.equal((await api(server.url, 'GET', '/api/me', { token: after.token })).status, 200);
      } finally {
        await server.close();
      }
    },
  );
});
