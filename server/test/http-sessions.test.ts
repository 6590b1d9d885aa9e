import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CloseCode } from '@small-talk/protocol';
import { openDb, type Db } from '../src/storage/db.js';
import { sweep, takeSweepLease } from '../src/storage/sweep.js';
import {
  api,
  connect,
  guest,
  member,
  sleep,
  startServer,
  uniqueEmail,
  within,
  type TestServer,
  type Json,
} from './harness.js';
import { createDatabase, nameFor } from './services.js';

/**
 * Sessions, guests and files: a socket ends with its session, password guessing is slowed per
 * e-mail, the daily sweep deletes only what nobody can use, and the data folder is private.
 */

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

/** A second handle on the test server's database (its SQLite file, or its PostgreSQL database under scale-http.test.ts). */
async function sameDatabase(of: TestServer): Promise<Db> {
  const shared = process.env.SMALLTALK_TEST_POSTGRES;
  const databaseUrl = shared ? await createDatabase(shared, nameFor(of.dataDir)) : undefined;
  return openDb({ dataDir: of.dataDir, databaseUrl });
}

describe('a socket ends with its session', () => {
  // 0.00003 days ≈ 2.6 s; the heartbeat (25 s) is far off, so only the expiry timer can close it.
  const TTL_MS = 0.00003 * 24 * 60 * 60 * 1000;
  let short: TestServer;
  before(async () => {
    short = await startServer({ SESSION_TTL_DAYS: '0.00003' });
  });
  after(() => short.close());

  test('closed with 4001 at the moment the session expires, not at the next heartbeat', async () => {
    const signedInAt = Date.now();
    const ada = await guest(short.url, 'Ada');
    const socket = await connect(short, ada.token);
    await socket.next('welcome');
    const code = await within(socket.closed, TTL_MS + 3000, 'the close at expiry');
    const after = Date.now() - signedInAt;
    assert.equal(code, CloseCode.loggedOut);
    assert.ok(after >= TTL_MS - 200, `closed after ${after} ms, before the session's ${TTL_MS} ms were up`);
    assert.ok(after < TTL_MS + 1500, `closed after ${after} ms: late for a session of ${TTL_MS} ms`);
    assert.equal((await api(short.url, 'GET', '/api/me', { token: ada.token })).status, 401);
  });

  test("a guest's upgrade moves the close to the new session's expiry", async () => {
    const signedInAt = Date.now();
    const ada = await guest(short.url, 'Ada');
    const socket = await connect(short, ada.token);
    await socket.next('welcome');
    await sleep(TTL_MS / 2);
    const upgradedAt = Date.now();
    await member(short.url, { displayName: 'Ada' }, ada.token);
    const code = await within(socket.closed, 2 * TTL_MS + 3000, 'the close at expiry');
    const closedAt = Date.now();
    assert.equal(code, CloseCode.loggedOut);
    assert.ok(
      closedAt - signedInAt > TTL_MS + 500,
      `closed ${closedAt - signedInAt} ms after the guest signed in: at the old session's expiry`,
    );
    assert.ok(closedAt - upgradedAt >= TTL_MS - 200, 'not before the new session expired');
  });
});

/** POST /api/auth/login from a chosen loopback source address (127.0.0.0/8 all reach the server). */
function loginFrom(
  address: string,
  email: string,
  password: string,
): Promise<{ status: number; body: Json; retryAfter: string | undefined }> {
  const body = JSON.stringify({ email, password });
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${server.url}/api/auth/login`,
      {
        method: 'POST',
        localAddress: address,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(text),
            retryAfter: response.headers['retry-after'] as string | undefined,
          }),
        );
      },
    );
    request.on('error', reject).end(body);
  });
}

function assertThrottled(response: { status: number; body: Json; retryAfter: string | undefined }, seconds: number) {
  assert.equal(response.status, 429, JSON.stringify(response.body));
  assert.equal(response.body.error.code, 'rate_limited');
  assert.match(response.body.error.message, new RegExp(`retry in ${seconds} s`));
  assert.equal(response.retryAfter, String(seconds));
}

function assertWrong(response: { status: number; body: Json }) {
  assert.equal(response.status, 401, JSON.stringify(response.body));
  assert.equal(response.body.error.code, 'invalid_credentials');
}

describe('login backoff', () => {
  test('5 wrong passwords, then 1 s, 2 s … of backoff: refused with 429 whether the password is right or not; a right one after the wait clears it', async () => {
    const ada = await member(server.url);
    for (let i = 0; i < 5; i++) assertWrong(await loginFrom('127.0.0.1', ada.email, 'wrong password'));
    assertThrottled(await loginFrom('127.0.0.1', ada.email, ada.password), 1);
    assertThrottled(await loginFrom('127.0.0.1', ada.email, 'wrong password'), 1);
    await sleep(1100);
    assertWrong(await loginFrom('127.0.0.1', ada.email, 'wrong password'));
    assertThrottled(await loginFrom('127.0.0.1', ada.email, ada.password), 2);
    await sleep(2100);
    assert.equal((await loginFrom('127.0.0.1', ada.email, ada.password)).status, 200);
    // Cleared: five more wrong ones before the next wait.
    for (let i = 0; i < 5; i++) assertWrong(await loginFrom('127.0.0.1', ada.email, 'wrong password'));
    assertThrottled(await loginFrom('127.0.0.1', ada.email, ada.password), 1);
  });

  test('an e-mail with no account is throttled the same way: the answers reveal nothing', async () => {
    const nobody = uniqueEmail('nobody');
    for (let i = 0; i < 5; i++) assertWrong(await loginFrom('127.0.0.1', nobody, 'wrong password'));
    assertThrottled(await loginFrom('127.0.0.1', nobody, 'wrong password'), 1);
  });

  test('one address guessing cannot lock the owner out from theirs; 20 wrong from everywhere slow the e-mail on every address', async () => {
    const bo = await member(server.url);
    for (let i = 0; i < 5; i++) assertWrong(await loginFrom('127.0.0.2', bo.email, 'wrong password'));
    assertThrottled(await loginFrom('127.0.0.2', bo.email, bo.password), 1);
    assert.equal(
      (await loginFrom('127.0.0.1', bo.email, bo.password)).status,
      200,
      'the owner, from another address, gets in',
    );

    const cy = await member(server.url);
    for (const address of ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7']) {
      for (let i = 0; i < 4; i++) assertWrong(await loginFrom(address, cy.email, 'wrong password'));
    }
    assertThrottled(await loginFrom('127.0.0.8', cy.email, cy.password), 1);
  });
});

describe('the daily sweep', () => {
  const day = 24 * 60 * 60 * 1000;
  const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

  test('deletes expired sessions and guests nobody can use; keeps members, friends, recent calls and the rows a reader still sees', async () => {
    const db = server.server.db.kysely;
    const id = (name: string) => `sweep-${name}-${process.pid}-${Date.now()}`;
    const users = {
      gone: id('gone'), // guest, expired session, old call with another gone guest: deleted with that row
      goneToo: id('goneToo'),
      session: id('session'), // guest with a live session
      friend: id('friend'), // guest with no session but a friendship (pending)
      recent: id('recent'), // guest with no session but a call 10 days ago
      sawMember: id('sawMember'), // guest with no session whose old call is in a member's history
      member: id('member'),
      memberOld: id('memberOld'), // a member with only expired sessions stays
    };
    for (const [name, userId] of Object.entries(users)) {
      const kind = name.startsWith('member') ? 'member' : 'guest';
      await db
        .insertInto('users')
        .values({
          id: userId,
          display_name: name,
          kind,
          email: kind === 'member' ? `${userId}@example.com` : null,
          password_hash: null,
          created_at: iso(90 * day),
        })
        .execute();
    }
    const session = (userId: string, expiresAgo: number) =>
      db
        .insertInto('sessions')
        .values({
          token_hash: id(`t-${userId}-${expiresAgo}`),
          user_id: userId,
          created_at: iso(60 * day),
          expires_at: iso(expiresAgo),
        })
        .execute();
    await session(users.gone, 1000);
    await session(users.session, -day);
    await session(users.memberOld, 1000);
    const call = (a: string, b: string, ago: number) =>
      db
        .insertInto('connections')
        .values({
          id: id(`c-${a}-${b}`),
          user_a: a,
          user_b: b,
          category: 'music',
          started_at: iso(ago),
          ended_at: iso(ago - 60_000),
          end_reason: 'left',
        })
        .execute();
    await call(users.gone, users.goneToo, 40 * day);
    await call(users.recent, users.goneToo, 10 * day);
    await call(users.sawMember, users.member, 40 * day);
    const [a, b] = [users.friend, users.member].sort();
    await db
      .insertInto('friendships')
      .values({
        id: id('f'),
        user_a: a!,
        user_b: b!,
        requested_by: users.friend,
        status: 'pending',
        created_at: iso(50 * day),
        accepted_at: null,
      })
      .execute();

    const result = await sweep(db, new Date());
    const left = new Set(
      (await db.selectFrom('users').select('id').where('id', 'in', Object.values(users)).execute()).map(
        (row) => row.id,
      ),
    );
    const kept = Object.entries(users)
      .filter(([, userId]) => left.has(userId))
      .map(([name]) => name);
    // goneToo has a call 10 days ago (with recent): kept.
    assert.deepEqual(kept.sort(), ['friend', 'goneToo', 'member', 'memberOld', 'recent', 'sawMember', 'session']);
    assert.ok(result.guests >= 1 && result.sessions >= 2, JSON.stringify(result));
    const sessionsLeft = await db
      .selectFrom('sessions')
      .select('user_id')
      .where('user_id', 'in', Object.values(users))
      .execute();
    assert.deepEqual(
      sessionsLeft.map((row) => row.user_id),
      [users.session],
      'only the live session is left',
    );
    // The member's history still has the call with the guest.
    const memberRows = await db.selectFrom('connections').select('user_a').where('user_b', '=', users.member).execute();
    assert.deepEqual(
      memberRows.map((row) => row.user_a),
      [users.sawMember],
    );
    const goneRows = await db.selectFrom('connections').select('id').where('user_a', '=', users.gone).execute();
    assert.deepEqual(goneRows, [], "the gone guest's call, read by nobody, went with it");
  });

  test('deletes wrong-password records older than a day and declines older than 7 days', async () => {
    const db = server.server.db.kysely;
    const key = `sweep-test-${process.pid}`;
    await db
      .insertInto('login_failures')
      .values([
        { key: `${key}-old`, failures: 9, last_failed_at: iso(day + 1000) },
        { key: `${key}-new`, failures: 9, last_failed_at: iso(1000) },
      ])
      .execute();
    const [ada, bo] = [await guest(server.url, 'Ada'), await guest(server.url, 'Bo')];
    await db
      .insertInto('friend_declines')
      .values([
        { asker: ada.user.id, decliner: bo.user.id, declined_at: iso(7 * day + 1000) },
        { asker: bo.user.id, decliner: ada.user.id, declined_at: iso(6 * day) },
      ])
      .execute();
    await sweep(db, new Date());
    const failures = await db.selectFrom('login_failures').select('key').where('key', 'like', `${key}-%`).execute();
    assert.deepEqual(
      failures.map((row) => row.key),
      [`${key}-new`],
    );
    const declines = await db
      .selectFrom('friend_declines')
      .select('asker')
      .where('asker', 'in', [ada.user.id, bo.user.id])
      .execute();
    assert.deepEqual(
      declines.map((row) => row.asker),
      [bo.user.id],
    );
  });

  test('once per day per cluster: of processes racing for the lease, exactly one sweeps', async () => {
    const other = await sameDatabase(server);
    try {
      const db = server.server.db.kysely;
      // The server took today's lease when it started; make it a day old.
      await db
        .updateTable('sweeps')
        .set({ last_run_at: iso(day + 1000) })
        .where('name', '=', 'daily')
        .execute();
      const now = new Date();
      const takes = await Promise.all(
        [db, other.kysely, db, other.kysely].map((handle) => takeSweepLease(handle, now)),
      );
      assert.equal(takes.filter(Boolean).length, 1, JSON.stringify(takes));
      assert.equal(
        await takeSweepLease(other.kysely, new Date(now.getTime() + day - 1000)),
        false,
        'not again within the day',
      );
      assert.equal(await takeSweepLease(other.kysely, new Date(now.getTime() + day)), true, 'a day later, again');
    } finally {
      await other.close();
    }
  });
});

describe(
  'the data folder is private',
  { skip: process.env.SMALLTALK_TEST_POSTGRES ? 'the database is PostgreSQL here' : false },
  () => {
    const mode = (file: string) => fs.statSync(file).mode & 0o777;

    test('DATA_DIR is 0700 and the SQLite files (db, -wal, -shm) 0600, whatever the umask', async () => {
      const previous = process.umask(0o022);
      let fresh: TestServer | undefined;
      try {
        const dataDir = path.join(fs.mkdtempSync(path.join(server.dataDir, 'umask-')), 'data');
        fresh = await startServer({ DATA_DIR: dataDir });
        await guest(fresh.url, 'Ada'); // a write, so the -wal file holds something
        assert.equal(mode(dataDir).toString(8), '700');
        for (const file of ['smalltalk.db', 'smalltalk.db-wal', 'smalltalk.db-shm']) {
          assert.equal(mode(path.join(dataDir, file)).toString(8), '600', file);
        }
      } finally {
        process.umask(previous);
        await fresh?.close();
      }
    });

    test('an existing DATA_DIR of ours and an old world-readable database are tightened at start', async () => {
      const dataDir = fs.mkdtempSync(path.join(server.dataDir, 'existing-'));
      fs.chmodSync(dataDir, 0o755);
      fs.writeFileSync(path.join(dataDir, 'smalltalk.db'), '');
      fs.chmodSync(path.join(dataDir, 'smalltalk.db'), 0o644);
      const again = await startServer({ DATA_DIR: dataDir });
      try {
        assert.equal(mode(dataDir).toString(8), '700');
        assert.equal(mode(path.join(dataDir, 'smalltalk.db')).toString(8), '600');
      } finally {
        await again.close();
      }
    });
  },
);
