import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthResponse, ErrorBody } from '@small-talk/protocol';
import {
  api,
  connect,
  guest,
  member,
  pair,
  refusedUpgrade,
  sessionCookie,
  startServer,
  uniqueEmail,
  eventually,
  type TestServer,
} from './harness.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

/** Asserts the protocol's error shape and code, and returns the message. */
function assertError(response: { status: number; body: unknown }, status: number, code: string): string {
  assert.equal(response.status, status, JSON.stringify(response.body));
  const body = ErrorBody.parse(response.body);
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 0, 'an error carries a message');
  return body.error.message;
}

/** Asserts the sign-in answer (guest 201, register 201, login 200) and its session cookie. */
function assertSignedIn(
  response: { status: number; body: unknown; headers: Headers },
  status: number,
  kind: 'guest' | 'member',
) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  const body = AuthResponse.strict().parse(response.body);
  // The raw body: the schema would fill in consent and restriction had the server left them out.
  assert.deepEqual(Object.keys((response.body as { user: object }).user).sort(), [
    'bio',
    'consent',
    'displayName',
    'emailVerified',
    'id',
    'kind',
    'languages',
    'restriction',
    'role',
  ]);
  assert.equal(body.user.kind, kind);
  const cookie = sessionCookie(response.headers);
  assert.ok(cookie, 'a sign-in sets the st_session cookie: a browser can only authenticate its WebSocket with it');
  assert.equal(cookie.value, body.token);
  return body;
}

const asCookie = (token: string) => ({ headers: { cookie: `st_session=${token}` } });

describe('POST /api/auth/guest', () => {
  test('answers 201 {user:{id,displayName,kind:"guest"},token}', async () => {
    const response = await api(server.url, 'POST', '/api/auth/guest', { body: { displayName: 'Ada' } });
    const body = assertSignedIn(response, 201, 'guest');
    assert.equal(body.user.displayName, 'Ada');
    assert.ok(body.user.id.length > 0);
  });

  test('sets Set-Cookie st_session=<token> with HttpOnly, SameSite=Lax and Path=/', async () => {
    const response = await api(server.url, 'POST', '/api/auth/guest', { body: { displayName: 'Ada' } });
    const cookie = sessionCookie(response.headers);
    assert.ok(cookie, `no st_session cookie in ${JSON.stringify(response.headers.getSetCookie())}`);
    assert.equal(cookie.value, response.body.token);
    assert.ok(cookie.attributes.includes('httponly'), 'HttpOnly');
    assert.ok(cookie.attributes.includes('samesite=lax'), 'SameSite=Lax');
    assert.ok(cookie.attributes.includes('path=/'), 'Path=/');
  });

  test('trims the display name', async () => {
    const body = (await api(server.url, 'POST', '/api/auth/guest', { body: { displayName: '  Ada Lovelace \t' } }))
      .body;
    assert.equal(body.user.displayName, 'Ada Lovelace');
    const me = await api(server.url, 'GET', '/api/me', { token: body.token });
    assert.equal(me.body.user.displayName, 'Ada Lovelace');
  });

  test('accepts 1 and 32 characters after trimming', async () => {
    for (const displayName of ['A', 'x'.repeat(32), `   ${'y'.repeat(32)}   `]) {
      const response = await api(server.url, 'POST', '/api/auth/guest', { body: { displayName } });
      assert.equal(response.status, 201, `${JSON.stringify(displayName)}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.user.displayName, displayName.trim());
    }
  });

  test('answers 400 bad_request to a name of 0 or 33+ characters, or a bad body', async () => {
    const bodies: unknown[] = [
      { displayName: '' },
      { displayName: '    ' },
      { displayName: 'x'.repeat(33) },
      { displayName: ` ${'x'.repeat(33)} ` },
      { displayName: 42 },
      { displayName: null },
      {},
      [],
      'null',
    ];
    for (const body of bodies) {
      const response = await api(server.url, 'POST', '/api/auth/guest', { body });
      assertError(response, 400, 'bad_request');
      assert.equal(sessionCookie(response.headers), null, 'a refused sign-in sets no cookie');
    }
    const noBody = await api(server.url, 'POST', '/api/auth/guest');
    assertError(noBody, 400, 'bad_request');
  });

  test('tokens are long random strings, different for every session', async () => {
    const tokens = await Promise.all(Array.from({ length: 20 }, () => guest(server.url).then((g) => g.token)));
    assert.equal(new Set(tokens).size, tokens.length);
    // ≥128 bits: even in base64 that is at least 22 characters.
    for (const token of tokens) assert.ok(token.length >= 22, `token too short: ${token.length} chars`);
  });
});

describe('sessions: Bearer and cookie', () => {
  test('the cookie alone authenticates GET /api/me', async () => {
    const signedIn = await guest(server.url, 'Cookie');
    const me = await api(server.url, 'GET', '/api/me', asCookie(signedIn.token));
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { user: signedIn.user });
  });

  test('the cookie is found among other cookies', async () => {
    const signedIn = await guest(server.url, 'Cookie');
    const me = await api(server.url, 'GET', '/api/me', {
      headers: { cookie: `theme=dark; st_session=${signedIn.token}; lang=en` },
    });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.id, signedIn.user.id);
  });

  test('Authorization: Bearer authenticates GET /api/me', async () => {
    const signedIn = await guest(server.url, 'Bearer');
    const me = await api(server.url, 'GET', '/api/me', { token: signedIn.token });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { user: signedIn.user });
  });

  test('GET /api/me answers 401 unauthenticated without a session or with a bogus one', async () => {
    const signedIn = await guest(server.url);
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer not-a-real-token' },
      { authorization: `Bearer ${signedIn.token}x` },
      { authorization: `Basic ${signedIn.token}` },
      { authorization: 'Bearer' },
      { cookie: 'st_session=not-a-real-token' },
      { cookie: `other=${signedIn.token}` },
    ];
    for (const headers of attempts) {
      assertError(await api(server.url, 'GET', '/api/me', { headers }), 401, 'unauthenticated');
    }
  });
});

describe('POST /api/auth/register', () => {
  test('answers 201 with kind member, and the new session works', async () => {
    const email = uniqueEmail('reg');
    const response = await api(server.url, 'POST', '/api/auth/register', {
      body: { email, password: 'correct horse battery', displayName: '  Grace ' },
    });
    const body = assertSignedIn(response, 201, 'member');
    assert.equal(body.user.displayName, 'Grace');
    const me = await api(server.url, 'GET', '/api/me', { token: body.token });
    assert.deepEqual(me.body, { user: body.user });
  });

  test('accepts passwords of 8 and 128 characters', async () => {
    for (const password of ['12345678', 'p'.repeat(128)]) {
      const response = await api(server.url, 'POST', '/api/auth/register', {
        body: { email: uniqueEmail(), password, displayName: 'P' },
      });
      assert.equal(response.status, 201, `${password.length} chars: ${JSON.stringify(response.body)}`);
    }
  });

  test('answers 400 bad_request to a password of 7 or 129 characters, a bad email or display name', async () => {
    const good = { email: uniqueEmail(), password: 'correct horse battery', displayName: 'P' };
    const bodies: unknown[] = [
      { ...good, password: '1234567' },
      { ...good, password: 'p'.repeat(129) },
      { ...good, password: undefined },
      { ...good, email: 'not an email' },
      { ...good, email: undefined },
      { ...good, displayName: '' },
      { ...good, displayName: 'x'.repeat(33) },
    ];
    for (const body of bodies) {
      assertError(await api(server.url, 'POST', '/api/auth/register', { body }), 400, 'bad_request');
    }
    // None of the refused attempts took the email.
    assert.equal((await api(server.url, 'POST', '/api/auth/register', { body: good })).status, 201);
  });

  test('answers 409 email_taken to an email already used, in any letter case', async () => {
    const email = uniqueEmail('Taken');
    await member(server.url, { email });
    assertError(
      await api(server.url, 'POST', '/api/auth/register', {
        body: { email, password: 'another password', displayName: 'Two' },
      }),
      409,
      'email_taken',
    );
    const shouted = email.toUpperCase();
    assert.notEqual(shouted, email);
    assertError(
      await api(server.url, 'POST', '/api/auth/register', {
        body: { email: shouted, password: 'another password', displayName: 'Three' },
      }),
      409,
      'email_taken',
    );
    assertError(
      await api(server.url, 'POST', '/api/auth/register', {
        body: { email: `  ${email.toLowerCase()} `, password: 'another password', displayName: 'Four' },
      }),
      409,
      'email_taken',
    );
  });

  test("called with a guest's session (Bearer), upgrades that user in place: same id, history kept", async () => {
    const { a, b, roomId } = await pair(server, 'books');
    a.socket.send({ type: 'leave', roomId });
    await a.socket.next('left');
    await b.socket.next('peer_left');

    const upgraded = await member(server.url, { displayName: 'Ada Member' }, a.auth.token);
    assert.equal(upgraded.user.id, a.auth.user.id, 'same id');
    assert.equal(upgraded.user.kind, 'member');
    assert.equal(upgraded.user.displayName, 'Ada Member');

    const history = await api(server.url, 'GET', '/api/history', { token: upgraded.token });
    assert.equal(history.status, 200);
    const connection = history.body.connections.find((c: { id: string }) => c.id === roomId);
    assert.ok(connection, `the guest's connection is in the member's history: ${JSON.stringify(history.body)}`);
    assert.deepEqual(connection.peer, { id: b.auth.user.id, displayName: 'Bo', languages: [] });
    assert.equal(connection.category, 'books');

    // The peer's history names the same user, with its new display name.
    const peerHistory = await api(server.url, 'GET', '/api/history', { token: b.auth.token });
    const seen = peerHistory.body.connections.find((c: { id: string }) => c.id === roomId);
    assert.deepEqual(seen.peer, { id: a.auth.user.id, displayName: 'Ada Member', languages: [] });

    // The member can sign in with the password and is still the same user.
    const login = await api(server.url, 'POST', '/api/auth/login', {
      body: { email: upgraded.email, password: upgraded.password },
    });
    assert.equal(login.status, 200);
    assert.equal(login.body.user.id, a.auth.user.id);
    await a.socket.close();
    await b.socket.close();
  });

  test("called with a guest's session cookie, upgrades that user in place", async () => {
    const { a, b, roomId } = await pair(server, 'travel');
    const response = await api(server.url, 'POST', '/api/auth/register', {
      body: { email: uniqueEmail('cookie'), password: 'correct horse battery', displayName: 'Cookie Member' },
      ...asCookie(a.auth.token),
    });
    const body = assertSignedIn(response, 201, 'member');
    assert.equal(body.user.id, a.auth.user.id);
    // Upgraded while the room is live: the row is there, still open.
    const history = await api(server.url, 'GET', '/api/history', asCookie(body.token));
    const connection = history.body.connections.find((c: { id: string }) => c.id === roomId);
    assert.ok(connection, JSON.stringify(history.body));
    assert.equal(connection.endedAt, null);
    await a.socket.close();
    await b.socket.close();
  });

  test("upgrading mid-call keeps the guest's socket and room; the member session's logout then closes that socket (4001)", async () => {
    const { a, b, roomId } = await pair(server, 'music');
    const upgraded = await member(server.url, { displayName: 'Ada Member' }, a.auth.token);
    assert.equal(upgraded.user.id, a.auth.user.id);

    // A signaling blip must not end a call, let alone a sign-up: the socket and room carry on.
    a.socket.send({ type: 'signal', roomId, data: { after: 'upgrade' } });
    assert.deepEqual((await b.socket.next('signal')).data, { after: 'upgrade' });
    assert.equal(a.socket.closeCode, undefined);

    // The socket now stands on the member session: logging that out reaches it too.
    assert.equal((await api(server.url, 'POST', '/api/auth/logout', { token: upgraded.token })).status, 204);
    assert.equal(await eventually('the upgraded socket to close', () => a.socket.closeCode), 4001);
    await b.socket.close();
  });

  test('stores an argon2id hash, never the password, and sessions hold no raw token', async () => {
    const password = 'plain text would be a disaster';
    const registered = await member(server.url, { email: uniqueEmail('hash'), password });
    const loggedIn = (await api(server.url, 'POST', '/api/auth/login', { body: { email: registered.email, password } }))
      .body as AuthResponse;
    const aGuest = await guest(server.url, 'Hash');
    const tokens = [registered.token, loggedIn.token, aGuest.token];

    // Through the server's own Kysely, so the check holds on SQLite and PostgreSQL alike.
    const db = server.server.db.kysely;
    const row = (await db.selectFrom('users').selectAll().where('id', '=', registered.user.id).executeTakeFirst()) as
      Record<string, unknown> | undefined;
    assert.ok(row, 'the member is in the users table');
    const hash = String(row.password_hash);
    // PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash (the parameter order varies between versions).
    assert.match(
      hash,
      /^\$argon2id\$v=\d+\$[mtp]=\d+,[mtp]=\d+,[mtp]=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/,
      `not an argon2id hash: ${hash}`,
    );
    for (const value of Object.values(row))
      assert.ok(!String(value).includes(password), 'the password is stored in plain text');

    const sessions = (await db.selectFrom('sessions').selectAll().execute()) as Array<Record<string, unknown>>;
    assert.ok(sessions.length >= tokens.length, 'the sessions table holds the sessions');
    for (const session of sessions) {
      for (const value of Object.values(session)) {
        for (const token of tokens) assert.ok(!String(value).includes(token), 'a session row holds a raw token');
      }
    }
  });
});

describe('POST /api/auth/login', () => {
  test('answers 200 with the member and a new working session', async () => {
    const registered = await member(server.url, { displayName: 'Linus' });
    const response = await api(server.url, 'POST', '/api/auth/login', {
      body: { email: registered.email, password: registered.password },
    });
    const body = assertSignedIn(response, 200, 'member');
    assert.deepEqual(body.user, registered.user);
    assert.notEqual(body.token, registered.token, 'each sign-in is a new session');
    const me = await api(server.url, 'GET', '/api/me', { token: body.token });
    assert.deepEqual(me.body, { user: registered.user });
  });

  test('answers 401 invalid_credentials to a wrong password or an unknown email', async () => {
    const registered = await member(server.url);
    const wrong = [
      { email: registered.email, password: 'wrong password here' },
      { email: registered.email, password: `${registered.password} ` },
      { email: registered.email, password: 'short' },
      { email: uniqueEmail('nobody'), password: registered.password },
    ];
    for (const body of wrong) {
      const response = await api(server.url, 'POST', '/api/auth/login', { body });
      assertError(response, 401, 'invalid_credentials');
      assert.equal(sessionCookie(response.headers), null, 'a refused login sets no cookie');
    }
  });

  test('answers 400 bad_request to a body without email or password', async () => {
    for (const body of [
      {},
      { email: 'a@example.com' },
      { password: 'correct horse battery' },
      { email: 'nope', password: 'x' },
    ]) {
      assertError(await api(server.url, 'POST', '/api/auth/login', { body }), 400, 'bad_request');
    }
  });
});

describe('POST /api/auth/logout', () => {
  test('answers 204; the token then gets 401 on /api/me and on the WebSocket upgrade, and its open socket is closed with 4001', async () => {
    const signedIn = await guest(server.url, 'Leaving');
    const socket = await connect(server, signedIn.token);
    await socket.next('welcome');

    const response = await api(server.url, 'POST', '/api/auth/logout', { token: signedIn.token });
    assert.equal(response.status, 204);
    assert.equal(response.body, null, '204 has no body');

    assert.equal(await eventually('the socket to close', () => socket.closeCode), 4001);
    assertError(await api(server.url, 'GET', '/api/me', { token: signedIn.token }), 401, 'unauthenticated');
    assertError(await api(server.url, 'GET', '/api/me', asCookie(signedIn.token)), 401, 'unauthenticated');
    assert.equal(await refusedUpgrade(server, { authorization: `Bearer ${signedIn.token}` }), 401);
    assert.equal(await refusedUpgrade(server, { cookie: `st_session=${signedIn.token}` }), 401);
    // Logging out twice is not possible: the session is gone.
    assertError(await api(server.url, 'POST', '/api/auth/logout', { token: signedIn.token }), 401, 'unauthenticated');
  });

  test('works with the cookie, and revokes a member session', async () => {
    const registered = await member(server.url);
    const response = await api(server.url, 'POST', '/api/auth/logout', asCookie(registered.token));
    assert.equal(response.status, 204);
    assertError(await api(server.url, 'GET', '/api/me', { token: registered.token }), 401, 'unauthenticated');
    assert.equal(await refusedUpgrade(server, { cookie: `st_session=${registered.token}` }), 401);
  });

  test('answers 401 unauthenticated without a session', async () => {
    assertError(await api(server.url, 'POST', '/api/auth/logout'), 401, 'unauthenticated');
    assertError(await api(server.url, 'POST', '/api/auth/logout', { token: 'bogus' }), 401, 'unauthenticated');
  });
});
