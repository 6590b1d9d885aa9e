import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { after, afterEach, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import {
  defaults,
  MatchmakingEvent,
  SmallTalkClient,
  SocketEvent,
  type Matched,
  type SmallTalkClientOptions,
  type SocketState,
} from '@small-talk/client';
import { buildApp, type SmallTalk } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { api, guest, sparePort, startServer, user, type TestServer } from './harness.js';

/**
 * The client SDK against a real server: real sockets (the `ws` package injected as the
 * WebSocket), real matching, relay, grace and resume. WebRTC is not involved here: the SDK's
 * Call is tested with fakes in packages/client/test and in a browser by the e2e suites.
 */

/** Every event of a client, in order, so a test can wait for the next one of a kind. */
class Recorder {
  readonly log: Array<{ name: string; args: unknown[] }> = [];
  private readonly taken = new Map<string, number>();
  private wake: Array<() => void> = [];

  constructor(readonly client: SmallTalkClient) {
    for (const event of Object.values(MatchmakingEvent)) {
      client.matchmaking.on(event, ((...args: unknown[]) => this.push(event, args)) as never);
    }
    client.socket.on(SocketEvent.State, (state, info) => this.push(`socket:${state}`, [info]));
    client.socket.on(SocketEvent.RetryScheduled, (retry) => this.push('socket:retry', [retry]));
    client.socket.on(SocketEvent.InvalidFrame, (problem) => this.push('socket:invalid', [problem]));
    client.socket.on(SocketEvent.User, (user) => this.push('user', [user]));
  }

  /** The next event called `name` not yet taken (waiting for it if needed); returns its first argument. */
  async next<T = unknown>(name: string, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const from = this.taken.get(name) ?? 0;
      const index = this.log.findIndex((entry, i) => i >= from && entry.name === name);
      if (index >= 0) {
        this.taken.set(name, index + 1);
        return this.log[index]!.args[0] as T;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${name}; saw ${this.names().join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  names(): string[] {
    return this.log.map((entry) => entry.name);
  }

  count(name: string): number {
    return this.log.filter((entry) => entry.name === name).length;
  }

  private push(name: string, args: unknown[]): void {
    this.log.push({ name, args });
    for (const wake of this.wake.splice(0)) wake();
  }
}

const clients: SmallTalkClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

/** A signed-in guest with a connected SDK client (its socket open). */
async function sdkUser(
  server: { url: string; wsUrl: string },
  name: string,
  options: Partial<SmallTalkClientOptions> & { consent?: boolean } = {},
) {
  const auth = await guest(server.url, name, { consent: options.consent });
  const client = new SmallTalkClient({
    url: server.wsUrl,
    token: auth.token,
    createWebSocket: (url, token) => new WebSocket(url, { headers: { authorization: `Bearer ${token}` } }),
    ...options,
  });
  clients.push(client);
  const events = new Recorder(client);
  client.connect();
  await events.next('socket:open');
  return { auth, client, events, mm: client.matchmaking };
}

async function waitForIdle(mm: SmallTalkClient['matchmaking']): Promise<void> {
  const deadline = Date.now() + 3000;
  while (mm.state !== 'idle' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(mm.state, 'idle');
}

/** Two users joined in `category` and matched; returns both sides. */
async function matchedPair(server: TestServer, category = 'music') {
  const ada = await sdkUser(server, 'Ada');
  const bo = await sdkUser(server, 'Bo');
  ada.mm.join([category]);
  await ada.events.next(MatchmakingEvent.Queued);
  bo.mm.join([category]);
  const [a, b] = await Promise.all([
    ada.events.next<Matched>(MatchmakingEvent.Matched),
    bo.events.next<Matched>(MatchmakingEvent.Matched),
  ]);
  return { ada, bo, a, b };
}

/**
 * The raw TCP connection of each user's latest WebSocket, caught at the HTTP upgrade, so a
 * test can cut it from the server's side (as a dead network path would: no close frame).
 */
function tapUpgrades(server: TestServer): Map<string, Duplex> {
  const byToken = new Map<string, Duplex>();
  server.server.app.server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
    const token = request.headers.authorization?.replace(/^Bearer /, '');
    if (token) byToken.set(token, socket);
  });
  return byToken;
}

describe('SDK against a real server', () => {
  let server: TestServer;
  let upgrades: Map<string, Duplex>;
  before(async () => {
    server = await startServer({ RESUME_GRACE_MS: '5000' });
    upgrades = tapUpgrades(server);
  });
  after(() => server.close());

  test('two clients join music: both matched into one room, exactly one initiator; chat and typing both ways', async () => {
    const { ada, bo, a, b } = await matchedPair(server);
    assert.equal(a.roomId, b.roomId);
    assert.equal(a.category, 'music');
    assert.equal(a.peer.displayName, 'Bo');
    assert.equal(b.peer.displayName, 'Ada');
    assert.notEqual(a.initiator, b.initiator);
    assert.equal(a.resumed, false);
    assert.equal(ada.mm.state, 'matched');

    ada.mm.sendChat('hi Bo');
    const toBo = await bo.events.next<{ text: string; from: string; roomId: string }>(MatchmakingEvent.Chat);
    assert.equal(toBo.text, 'hi Bo');
    assert.equal(toBo.from, ada.auth.user.id);
    bo.mm.sendTyping();
    await ada.events.next(MatchmakingEvent.Typing);
    bo.mm.sendChat('hi Ada');
    assert.equal((await ada.events.next<{ text: string }>(MatchmakingEvent.Chat)).text, 'hi Ada');
  });

  test('signals go through the room binding in order, unchanged (early ones replayed to a late subscriber)', async () => {
    const { ada, bo } = await matchedPair(server);
    const toBo = ada.mm.signaling();
    for (let i = 0; i < 50; i++) toBo.send({ candidate: { candidate: `c${i}`, sdpMid: '0', sdpMLineIndex: 0 } });
    // Bo subscribes late, as an app does after getUserMedia: nothing is lost.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const got: unknown[] = [];
    bo.mm.signaling().onSignal((data) => got.push(data));
    const deadline = Date.now() + 3000;
    while (got.length < 50 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(
      got.map((d) => (d as { candidate: { candidate: string } }).candidate.candidate),
      Array.from({ length: 50 }, (_, i) => `c${i}`),
    );
  });

  test('next() on one side: the other gets peerLeft(left); a third client is matched with the one who pressed next', async () => {
    const { ada, bo, a } = await matchedPair(server, 'books');
    ada.mm.next();
    assert.equal(ada.mm.state, 'queued');
    assert.deepEqual(await ada.events.next(MatchmakingEvent.Left), { roomId: a.roomId });
    assert.deepEqual(await bo.events.next(MatchmakingEvent.PeerLeft), { roomId: a.roomId, reason: 'left' });
    assert.equal(bo.mm.state, 'idle');
    await ada.events.next(MatchmakingEvent.Queued);

    const cy = await sdkUser(server, 'Cy');
    cy.mm.join(['books']);
    const [adaNew, cyNew] = await Promise.all([
      ada.events.next<Matched>(MatchmakingEvent.Matched),
      cy.events.next<Matched>(MatchmakingEvent.Matched),
    ]);
    assert.equal(adaNew.roomId, cyNew.roomId);
    assert.notEqual(adaNew.roomId, a.roomId);
    assert.equal(adaNew.peer.displayName, 'Cy');
    assert.equal(cyNew.peer.displayName, 'Ada');
    assert.equal(bo.mm.state, 'idle', 'the one left behind is not re-queued by the SDK');
  });

  test('the server drops the socket: reconnecting, then open; the room survives the grace and continues (matched resumed), chat sent meanwhile arrives', async () => {
    const { ada, bo, a } = await matchedPair(server, 'travel');
    const tcp = upgrades.get(ada.auth.token);
    assert.ok(tcp, 'tapped the upgrade');
    tcp.destroy();

    const reconnecting = await ada.events.next<{ code?: number }>('socket:reconnecting');
    assert.equal(reconnecting.code, 1006);
    // Sent while away: kept by the SDK, flushed once the room is back.
    assert.equal(ada.mm.sendChat('did you hear me?'), true);
    await ada.events.next('socket:open');
    const resumed = await ada.events.next<Matched>(MatchmakingEvent.Matched);
    assert.deepEqual(
      { roomId: resumed.roomId, resumed: resumed.resumed, initiator: resumed.initiator },
      { roomId: a.roomId, resumed: true, initiator: a.initiator },
    );
    assert.equal(ada.mm.state, 'matched');
    assert.equal((await bo.events.next<{ text: string }>(MatchmakingEvent.Chat)).text, 'did you hear me?');

    // The room is fully alive both ways, and Bo never saw it end.
    bo.mm.sendChat('loud and clear');
    assert.equal((await ada.events.next<{ text: string }>(MatchmakingEvent.Chat)).text, 'loud and clear');
    assert.equal(bo.events.count(MatchmakingEvent.PeerLeft), 0);
    assert.equal(ada.events.count(MatchmakingEvent.RoomLost), 0);
    assert.deepEqual(
      ada.events.names().filter((n) => n.startsWith('socket:') && n !== 'socket:retry'),
      ['socket:connecting', 'socket:open', 'socket:reconnecting', 'socket:open'],
    );
  });

  test('dropped while queued: the SDK joins again on its new socket, and a newcomer is matched with it', async () => {
    const ada = await sdkUser(server, 'Ada');
    ada.mm.join(['food']);
    await ada.events.next(MatchmakingEvent.Queued);
    const queuedAt = ada.mm.queuedAt;
    upgrades.get(ada.auth.token)!.destroy();
    await ada.events.next('socket:reconnecting');
    await ada.events.next('socket:open');
    await ada.events.next(MatchmakingEvent.Queued); // the server confirms the re-join
    assert.equal(ada.mm.queuedAt, queuedAt, 'queued time runs on across the reconnect');

    const cy = await sdkUser(server, 'Cy');
    cy.mm.join(['food']);
    const m = await ada.events.next<Matched>(MatchmakingEvent.Matched);
    assert.equal(m.peer.displayName, 'Cy');
  });

  test('cancel leaves the queue on the server', async () => {
    const ada = await sdkUser(server, 'Ada');
    ada.mm.join(['gaming']);
    await ada.events.next(MatchmakingEvent.Queued);
    ada.mm.cancel();
    const deadline = Date.now() + 2000;
    let waiting = -1;
    while (Date.now() < deadline) {
      const categories = (await api(server.url, 'GET', '/api/categories')).body.categories as Array<{
        slug: string;
        waiting: number;
      }>;
      waiting = categories.find((c) => c.slug === 'gaming')!.waiting;
      if (waiting === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(waiting, 0);
    assert.equal(ada.mm.state, 'idle');
  });

  test('the age and rules gate: a join before accepting the rules is refused (consent_required), the SDK is idle and nobody is queued', async () => {
    const raw = await sdkUser(server, 'New', { consent: false });
    assert.equal(raw.client.socket.user?.consent, null);
    raw.mm.join(['travel']);
    assert.equal(raw.mm.state, 'queued');
    const error = await raw.events.next<{ code: string }>(MatchmakingEvent.Error);
    assert.equal(error.code, 'consent_required');
    assert.equal(raw.mm.state, 'idle');
    const categories = (await api(server.url, 'GET', '/api/categories')).body.categories as Array<{
      slug: string;
      waiting: number;
    }>;
    assert.equal(categories.find((c) => c.slug === 'travel')?.waiting, 0);
  });

  test('a restricted frame (the third distinct reporter): the SDK updates its user, its room is over, and a join is refused with restricted', async () => {
    const target = await sdkUser(server, 'Troll');
    const reporters = [];
    for (const name of ['R1', 'R2', 'R3']) {
      const reporter = await user(server, name);
      reporters.push(reporter);
      reporter.socket.send({ type: 'join', categories: ['books'] });
      await reporter.socket.next('queued');
      target.mm.join(['books']);
      const room = await target.events.next<Matched>(MatchmakingEvent.Matched);
      const report = await api(server.url, 'POST', '/api/reports', {
        token: reporter.auth.token,
        body: { userId: target.auth.user.id, connectionId: room.roomId, reason: 'harassment' },
      });
      assert.equal(report.status, 201, JSON.stringify(report.body));
      if (name !== 'R3') {
        // A report ends the room (the reporter's leave); the third one also suspends.
        await target.events.next(MatchmakingEvent.PeerLeft);
        assert.equal(target.client.socket.user?.restriction, null);
      }
    }
    const restricted = await target.events.next<{ restriction: { kind: string; automated: boolean } | null }>('user');
    // The first user event is the welcome's; the restriction comes with the next.
    const withRestriction = restricted.restriction ? restricted : await target.events.next<typeof restricted>('user');
    assert.equal(withRestriction.restriction?.kind, 'suspended');
    assert.equal(withRestriction.restriction?.automated, true);
    assert.deepEqual(target.client.socket.user?.restriction, withRestriction.restriction);
    await waitForIdle(target.mm);
    assert.equal(target.mm.room, null);
    assert.equal(target.client.socket.state, 'open');

    target.mm.join(['books']);
    assert.equal((await target.events.next<{ code: string }>(MatchmakingEvent.Error)).code, 'restricted');
    assert.equal(target.mm.state, 'idle');
    await Promise.all(reporters.map((reporter) => reporter.socket.close()));
  });

  test('logout closes the socket with 4001: closed (logged_out), no reconnect', async () => {
    const ada = await sdkUser(server, 'Ada');
    assert.equal((await api(server.url, 'POST', '/api/auth/logout', { token: ada.auth.token })).status, 204);
    assert.deepEqual(await ada.events.next('socket:closed'), { reason: 'logged_out', code: 4001 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(ada.client.socket.state, 'closed');
    assert.equal(ada.events.count('socket:retry'), 0);
  });

  test('a token the server does not know: the upgrade is refused (401) and the socket closes as unauthorized, no retries', async () => {
    const client = new SmallTalkClient({
      url: server.wsUrl,
      token: 'not-a-token',
      createWebSocket: (url, token) => new WebSocket(url, { headers: { authorization: `Bearer ${token}` } }),
    });
    clients.push(client);
    const events = new Recorder(client);
    client.connect();
    assert.deepEqual(await events.next('socket:closed'), { reason: 'unauthorized' });
    assert.equal(events.count('socket:retry'), 0);
  });

  test('a second client of the same user takes over (4000): the first is closed for good, the second gets the room', async () => {
    const { ada, a } = await matchedPair(server, 'tech');
    const second = new SmallTalkClient({
      url: server.wsUrl,
      token: ada.auth.token,
      createWebSocket: (url, token) => new WebSocket(url, { headers: { authorization: `Bearer ${token}` } }),
    });
    clients.push(second);
    const secondEvents = new Recorder(second);
    second.connect();
    assert.deepEqual(await ada.events.next('socket:closed'), { reason: 'replaced', code: 4000 });
    const m = await secondEvents.next<Matched>(MatchmakingEvent.Matched);
    assert.equal(m.roomId, a.roomId);
    assert.equal(m.resumed, false, 'new to this client: it starts a call');
    assert.deepEqual(await ada.events.next(MatchmakingEvent.RoomLost), { roomId: a.roomId });
  });
});

describe('SDK across a server restart', () => {
  let dataDir: string;
  let port: number;
  let first: TestServer;
  before(async () => {
    // A fixed port: a process saves its rooms on the way down for the next run on the same port.
    first = await startServer({ PORT: String(await sparePort()) });
    dataDir = first.dataDir;
    port = first.port;
  });

  /** The server again, on the same port and data: what a process restart (deploy) looks like to clients. */
  async function restart(): Promise<SmallTalk> {
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      GUEST_RATE_LIMIT_PER_MIN: '100000',
    });
    const server = await buildApp(config);
    await server.app.listen({ port, host: '127.0.0.1' });
    return server;
  }

  test('drain (1012): the SDK reconnects at once, keeps retrying while the server is down, and resumes its room after the restart', async () => {
    const target = { url: first.url, wsUrl: first.wsUrl };
    const ada = await sdkUser(target, 'Ada', { resumeWaitMs: 500 });
    const bo = await sdkUser(target, 'Bo', { resumeWaitMs: 500 });
    ada.mm.join(['sports']);
    await ada.events.next(MatchmakingEvent.Queued);
    bo.mm.join(['sports']);
    const a = await ada.events.next<Matched>(MatchmakingEvent.Matched);
    await bo.events.next(MatchmakingEvent.Matched);

    await first.close(); // drains: every socket gets 1012
    const reconnecting = await ada.events.next<{ code?: number }>('socket:reconnecting');
    assert.equal(reconnecting.code, 1012);
    const { delayMs, ...firstRetry } = await ada.events.next<{ retryCount: number; delayMs: number; code: number }>(
      'socket:retry',
    );
    assert.deepEqual(firstRetry, { retryCount: 0, code: 1012 });
    assert.ok(
      delayMs <= defaults.DEFAULT_FIRST_RETRY_JITTER_MS,
      "at once, but for the jitter that spreads a drained process's clients",
    );
    await ada.events.next('socket:retry'); // the immediate try was refused: the policy takes over

    const second = await restart();
    try {
      await ada.events.next('socket:open', 10_000);
      await bo.events.next('socket:open', 10_000);
      const states = ada.events.names().filter((n) => n.startsWith('socket:') && n !== 'socket:retry') as string[];
      assert.deepEqual(states, ['socket:connecting', 'socket:open', 'socket:reconnecting', 'socket:open']);
      // The drained process saved its rooms and the new one took them back: both users resume the
      // same room within the grace, and it relays again.
      const resumedA = await ada.events.next<Matched>(MatchmakingEvent.Matched);
      const resumedB = await bo.events.next<Matched>(MatchmakingEvent.Matched);
      assert.equal(resumedA.roomId, a.roomId);
      assert.equal(resumedB.roomId, a.roomId);
      assert.equal(resumedA.resumed, true);
      assert.equal(ada.mm.state, 'matched');
      bo.mm.sendChat('still here?');
      assert.equal((await ada.events.next<{ text: string }>(MatchmakingEvent.Chat)).text, 'still here?');
    } finally {
      for (const client of clients.splice(0)) client.close();
      await second.close();
    }
  });
});

// Typed as SocketState so a renamed state fails to compile here too.
const _states: SocketState[] = ['connecting', 'open', 'reconnecting', 'closed'];
void _states;
