import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { MatchmakingEvent, SmallTalkClient, SocketEvent, type Matched } from '@small-talk/client';
import { api, guest, startServer, type TestServer } from './harness.js';

/**
 * The client SDK against a real server for issue 15: join with `anyone`, the `widened` frame and
 * the room a widened search brings (no category, yet not a friend's direct call), the peer's
 * languages and bio in `matched`, and `verification_required` refusing a join.
 */

const clients: SmallTalkClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

/** A guest who accepted the rules, with `profile` set through PATCH /api/me, and its SDK client open. */
async function sdkUser(server: TestServer, name: string, profile: { languages: string[]; bio?: string }) {
  const auth = await guest(server.url, name);
  const patched = await api(server.url, 'PATCH', '/api/me', { token: auth.token, body: profile });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  const client = new SmallTalkClient({
    url: server.wsUrl,
    token: auth.token,
    createWebSocket: (url, token) => new WebSocket(url, { headers: { authorization: `Bearer ${token}` } }),
  });
  clients.push(client);
  const events: Array<[string, unknown]> = [];
  for (const event of Object.values(MatchmakingEvent))
    client.matchmaking.on(event, ((payload: unknown) => events.push([event, payload])) as never);
  const opened = new Promise<void>((resolve) =>
    client.socket.on(SocketEvent.State, (state) => state === 'open' && resolve()),
  );
  client.connect();
  await opened;
  return { auth, client, mm: client.matchmaking, events };
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const matchedOf = (events: Array<[string, unknown]>) =>
  events.filter(([name]) => name === MatchmakingEvent.Matched).map(([, m]) => m as Matched);

describe('SDK against a real server: meeting anyone, who the peer is', () => {
  const FALLBACK_MS = 400;
  let server: TestServer;
  before(async () => {
    server = await startServer({ FALLBACK_AFTER_MS: String(FALLBACK_MS) });
  });
  after(() => server.close());

  test("two searches in different categories, both with anyone: widened after the wait, then one room without a category that is no direct call; each sees the other's languages and bio", async () => {
    const ada = await sdkUser(server, 'Ada', { languages: ['de', 'en'], bio: 'Cellist, mostly Bach' });
    const bo = await sdkUser(server, 'Bo', { languages: ['en'] });
    const started = Date.now();
    ada.mm.join(['music'], { anyone: true });
    await until('Ada widened', () => (ada.mm.widened ? true : undefined));
    assert.ok(Date.now() - started >= FALLBACK_MS - 50, 'not widened before the wait');
    assert.equal(ada.events.filter(([name]) => name === MatchmakingEvent.Widened).length, 1);

    bo.mm.join(['books'], { anyone: true });
    const [a, b] = await until('both matched', () => {
      const [a] = matchedOf(ada.events);
      const [b] = matchedOf(bo.events);
      return a && b ? [a, b] : undefined;
    });
    assert.equal(a.roomId, b.roomId);
    assert.equal(a.category, null);
    // Bo widened into Ada, who waited widened already: matched at once, with or without the frame.
    assert.equal(a.direct, false);
    assert.equal(b.direct, false);
    assert.deepEqual(b.peer.languages, ['de', 'en']);
    assert.equal(b.peer.bio, 'Cellist, mostly Bach');
    assert.deepEqual(a.peer.languages, ['en']);
    assert.equal(a.peer.bio, '');
  });

  test('without anyone nobody widens: two searches in different categories stay queued past the wait', async () => {
    const ada = await sdkUser(server, 'Ada', { languages: ['en'] });
    const bo = await sdkUser(server, 'Bo', { languages: ['en'] });
    ada.mm.join(['music']);
    bo.mm.join(['books']);
    await new Promise((resolve) => setTimeout(resolve, FALLBACK_MS * 3));
    assert.equal(ada.mm.state, 'queued');
    assert.equal(bo.mm.state, 'queued');
    assert.equal(ada.mm.widened, false);
    assert.deepEqual(matchedOf(ada.events), []);
  });
});

describe('SDK against a real server that admits only verified e-mail addresses', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ REQUIRE_VERIFIED_EMAIL: 'true' });
  });
  after(() => server.close());

  test("a guest's join is refused with verification_required: idle again, the code reaches the app", async () => {
    const ada = await sdkUser(server, 'Ada', { languages: ['en'] });
    ada.mm.join(['music'], { anyone: true });
    const error = await until(
      'the refusal',
      () => ada.events.find(([name]) => name === MatchmakingEvent.Error)?.[1] as { code: string } | undefined,
    );
    assert.equal(error.code, 'verification_required');
    assert.equal(ada.mm.state, 'idle');
  });
});
