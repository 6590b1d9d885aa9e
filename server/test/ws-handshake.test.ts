import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import {
  api,
  closeAndSettle,
  connect,
  guest,
  openSocket,
  refusedUpgrade,
  refusedUpgradeWithBody,
  startServer,
  waitFor,
  within,
  Client,
  type TestServer,
} from './harness.js';

/** The upgrade at /ws: who may open a socket (auth, origin, per-address cap) and what it hears first. */

const ALLOWED = ['https://app.smalltalk.example', 'https://admin.smalltalk.example'];

let server: TestServer;
before(async () => {
  server = await startServer({ ALLOWED_ORIGINS: ALLOWED.join(', ') });
});
after(() => server.close());

async function expectWelcome(client: Client, user: { id: string; displayName: string; kind: string }): Promise<void> {
  // The very first frame, and nothing but the user in it.
  assert.deepEqual(await client.next(), { type: 'welcome', user });
  await client.close();
}

describe('authentication at the upgrade', () => {
  test('a Bearer token opens the socket and the first frame is welcome with the user', async () => {
    const { user, token } = await guest(server.url, 'Bearer Ben');
    const client = await openSocket(server, { authorization: `Bearer ${token}` });
    assert.deepEqual(
      { ...user, consent: null },
      {
        id: user.id,
        displayName: 'Bearer Ben',
        kind: 'guest',
        consent: null,
        restriction: null,
        role: 'user',
        emailVerified: false,
        languages: [],
        bio: '',
      },
    );
    await expectWelcome(client, user);
  });

  test('the st_session cookie opens the socket, alone or among other cookies', async () => {
    const { user, token } = await guest(server.url, 'Cookie Cat');
    await expectWelcome(await openSocket(server, { cookie: `st_session=${token}` }), user);
    await expectWelcome(await openSocket(server, { cookie: `theme=dark; st_session=${token}; lang=en` }), user);
  });

  test('the cookie works beside an Authorization header of another scheme (Basic, as a password-protected site makes browsers send)', async () => {
    const { user, token } = await guest(server.url, 'Staging Sam');
    const basic = `Basic ${Buffer.from('staging:secret').toString('base64')}`;
    await expectWelcome(await openSocket(server, { authorization: basic, cookie: `st_session=${token}` }), user);
  });

  test('the cookie the server set at sign-in is the one that opens the socket', async () => {
    const response = await api(server.url, 'POST', '/api/auth/guest', { body: { displayName: 'Browser Bea' } });
    assert.equal(response.status, 201);
    const setCookie = response.headers.get('set-cookie') ?? '';
    const pair = setCookie.split(';', 1)[0]!;
    assert.match(pair, /^st_session=/);
    await expectWelcome(await openSocket(server, { cookie: pair }), response.body.user);
  });

  test('a member gets welcome with kind member', async () => {
    const registered = await api(server.url, 'POST', '/api/auth/register', {
      body: {
        email: `ws-member-${Date.now()}@example.com`,
        password: 'correct horse battery',
        displayName: 'Member Mo',
      },
    });
    assert.equal(registered.status, 201);
    assert.equal(registered.body.user.kind, 'member');
    const client = await openSocket(server, { authorization: `Bearer ${registered.body.token}` });
    await expectWelcome(client, registered.body.user);
  });

  test('no token at all → HTTP 401 with an unauthenticated error body', async () => {
    const refused = await refusedUpgradeWithBody(server, {});
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'unauthenticated');
    assert.equal(typeof refused.body.error.message, 'string');
  });

  test('an invalid Bearer token or cookie → HTTP 401', async () => {
    assert.equal(await refusedUpgrade(server, { authorization: 'Bearer not-a-real-token' }), 401);
    assert.equal(await refusedUpgrade(server, { authorization: 'Bearer ' }), 401);
    assert.equal(await refusedUpgrade(server, { cookie: 'st_session=not-a-real-token' }), 401);
    assert.equal(await refusedUpgrade(server, { cookie: 'other_cookie=value' }), 401);
  });

  test('a token in the URL is never accepted', async () => {
    const { token } = await guest(server.url, 'Url Ursula');
    for (const query of [`?token=${token}`, `?st_session=${token}`, `?access_token=${token}`]) {
      const refused = await refusedUpgradeWithBody(server, {}, `/ws${query}`);
      assert.equal(refused.status, 401, query);
    }
  });

  test('a logged-out token → HTTP 401 at the upgrade, by Bearer and by cookie', async () => {
    const { token } = await guest(server.url, 'Leaving Lou');
    const before = await openSocket(server, { authorization: `Bearer ${token}` });
    await before.next('welcome');
    await before.close();
    const logout = await api(server.url, 'POST', '/api/auth/logout', { token });
    assert.equal(logout.status, 204);
    assert.equal(await refusedUpgrade(server, { authorization: `Bearer ${token}` }), 401);
    assert.equal(await refusedUpgrade(server, { cookie: `st_session=${token}` }), 401);
  });
});

describe('sessions ending under a live socket', () => {
  test('logout closes the sockets opened with that token (4001); other users are untouched', async () => {
    const leaving = await guest(server.url, 'Logout Liz');
    const staying = await guest(server.url, 'Staying Sol');
    const socket = await openSocket(server, { authorization: `Bearer ${leaving.token}` });
    const other = await openSocket(server, { authorization: `Bearer ${staying.token}` });
    await socket.next('welcome');
    await other.next('welcome');
    assert.equal((await api(server.url, 'POST', '/api/auth/logout', { token: leaving.token })).status, 204);
    assert.equal(await within(socket.closed, 2000, 'the logged-out socket to close'), 4001);
    other.send({ type: 'cancel' });
    assert.deepEqual(await other.next(), { type: 'cancelled' });
    await other.close();
  });

  test('a guest who registers keeps its live socket, which then belongs to the member session', async () => {
    const g = await guest(server.url, 'Upgrading Uma');
    const socket = await openSocket(server, { authorization: `Bearer ${g.token}` });
    await socket.next('welcome');
    const registered = await api(server.url, 'POST', '/api/auth/register', {
      token: g.token,
      body: { email: `ws-upgrade-${Date.now()}@example.com`, password: 'correct horse battery', displayName: 'Uma' },
    });
    assert.equal(registered.status, 201);
    assert.equal(registered.body.user.id, g.user.id);
    await socket.nothingWithin(100);
    assert.equal(socket.closeCode, undefined, 'still open after the upgrade');
    socket.send({ type: 'cancel' });
    assert.deepEqual(await socket.next(), { type: 'cancelled' });
    assert.equal(await refusedUpgrade(server, { authorization: `Bearer ${g.token}` }), 401, 'the guest token is gone');
    assert.equal((await api(server.url, 'POST', '/api/auth/logout', { token: registered.body.token })).status, 204);
    assert.equal(await within(socket.closed, 2000, 'the socket to close on logout'), 4001);
  });
});

describe('origin check at the upgrade', () => {
  test('no Origin header (apps, tests) is allowed', async () => {
    const { user, token } = await guest(server.url, 'No Origin Nia');
    await expectWelcome(await openSocket(server, { authorization: `Bearer ${token}` }), user);
  });

  test("the request's own origin (scheme + Host header) is allowed", async () => {
    const { user, token } = await guest(server.url, 'Own Origin Oz');
    const own = `http://127.0.0.1:${server.port}`;
    await expectWelcome(await openSocket(server, { authorization: `Bearer ${token}`, origin: own }), user);
  });

  test('own origin is judged by the Host header, so any host name or port behind a proxy works', async () => {
    const { user, token } = await guest(server.url, 'Proxy Pat');
    for (const [host, origin] of [
      ['chat.smalltalk.example', 'https://chat.smalltalk.example'],
      ['chat.smalltalk.example:8443', 'https://chat.smalltalk.example:8443'],
      ['localhost:5173', 'http://localhost:5173'],
    ] as const) {
      await expectWelcome(await openSocket(server, { authorization: `Bearer ${token}`, host, origin }), user);
    }
  });

  test('origins listed in ALLOWED_ORIGINS are allowed', async () => {
    const { user, token } = await guest(server.url, 'Listed Lee');
    for (const origin of ALLOWED) {
      await expectWelcome(await openSocket(server, { authorization: `Bearer ${token}`, origin }), user);
    }
  });

  test("PUBLIC_URL's origin is allowed, as it is for HTTP, whatever Host the proxy passes", async () => {
    const behind = await startServer({ PUBLIC_URL: 'https://chat.public.example' });
    try {
      const { user, token } = await guest(behind.url, 'Public Pia');
      await expectWelcome(
        await openSocket(behind, {
          authorization: `Bearer ${token}`,
          host: 'internal:3000',
          origin: 'https://chat.public.example',
        }),
        user,
      );
      assert.equal(
        await refusedUpgrade(behind, {
          authorization: `Bearer ${token}`,
          host: 'internal:3000',
          origin: 'https://other.public.example',
        }),
        403,
      );
    } finally {
      await behind.close();
    }
  });

  test('any other Origin → HTTP 403 with a forbidden error body', async () => {
    const { token } = await guest(server.url, 'Foreign Fay');
    const bearer = `Bearer ${token}`;
    const refused = await refusedUpgradeWithBody(server, { authorization: bearer, origin: 'https://evil.example' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'forbidden');
    for (const origin of [
      `http://127.0.0.1:${server.port + 1}`, // same host, other port
      'http://127.0.0.1', // same host, no port
      'https://other.smalltalk.example', // a sibling of an allowed origin
      'https://app.smalltalk.example.evil.example', // an allowed origin as a prefix
      'null', // sandboxed iframes and file:// pages
    ]) {
      assert.equal(await refusedUpgrade(server, { authorization: bearer, origin }), 403, origin);
    }
    // Host says one site, Origin another.
    assert.equal(
      await refusedUpgrade(server, {
        authorization: bearer,
        host: 'chat.smalltalk.example',
        origin: 'https://evil.example',
      }),
      403,
    );
  });
});

describe('per-address socket cap (MAX_SOCKETS_PER_ADDRESS=3)', () => {
  let capped: TestServer;
  before(async () => {
    capped = await startServer({ MAX_SOCKETS_PER_ADDRESS: '3' });
  });
  after(() => capped.close());

  /** Opens a socket if the server lets it; the HTTP status otherwise. */
  function attempt(token: string): Promise<Client | number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(capped.wsUrl, { headers: { authorization: `Bearer ${token}` } });
      ws.on('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        ws.terminate();
      });
      // Wrapped before 'open' fires, so no frame (welcome) is missed.
      const client = new Client(ws);
      ws.on('open', () => resolve(client));
      ws.on('error', reject);
    });
  }

  test('the 4th socket from one address is refused with 429; closing one makes room again', async () => {
    const tokens = await Promise.all([1, 2, 3, 4, 5].map((i) => guest(capped.url, `Cap ${i}`).then((g) => g.token)));
    const open = [];
    for (const token of tokens.slice(0, 3)) open.push(await connect(capped, token));
    const refused = await refusedUpgradeWithBody(capped, { authorization: `Bearer ${tokens[3]}` });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'rate_limited');
    // The cap counts sockets held open, not sockets ever opened.
    await open.shift()!.close();
    // The server sees the close a moment after the client does: retry until it has.
    let again: Client | undefined;
    await waitFor('a free slot after a close', async () => {
      const result = await attempt(tokens[4]!);
      if (typeof result === 'number') return false;
      again = result;
      return true;
    });
    assert.equal((await again!.next()).type, 'welcome');
    open.push(again!);
    await closeAndSettle(capped, open);
  });

  test('upgrades arriving at the same moment cannot get past the cap together', async () => {
    const tokens = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8].map((i) => guest(capped.url, `Rush ${i}`).then((g) => g.token)),
    );
    const results = await Promise.all(tokens.map((token) => attempt(token)));
    const opened = results.filter((r): r is Client => typeof r !== 'number');
    const statuses = results.filter((r): r is number => typeof r === 'number');
    try {
      assert.equal(opened.length, 3, `${opened.length} sockets open from one address with a cap of 3`);
      assert.deepEqual(statuses, [429, 429, 429, 429, 429]);
    } finally {
      await Promise.all(opened.map((c) => c.close()));
    }
  });
});
