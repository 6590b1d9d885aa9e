import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  createReconnectPolicy,
  defaults,
  Socket,
  SocketEvent,
  SmallTalkError,
  type ReconnectContext,
  type RetryInfo,
  type SocketState,
  type SocketStateInfo,
} from '../src/index.js';
import { FakeServer, sleep } from './fake-websocket.js';

// A test that fails half-way must not leave a socket retrying forever.
const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

function makeSocket(options: Partial<ConstructorParameters<typeof Socket>[0]> = {}) {
  const server = new FakeServer();
  const socket = new Socket({
    url: 'ws://test/ws',
    token: 'tok',
    createWebSocket: server.createWebSocket,
    reconnectPolicy: () => 5,
    ...options,
  });
  sockets.push(socket);
  const states: Array<[SocketState, SocketStateInfo]> = [];
  const retries: RetryInfo[] = [];
  const invalid: string[] = [];
  const types: string[] = [];
  socket.on(SocketEvent.State, (state, info) => states.push([state, info]));
  socket.on(SocketEvent.RetryScheduled, (retry) => retries.push(retry));
  socket.on(SocketEvent.InvalidFrame, (problem) => invalid.push(problem));
  socket.on(SocketEvent.Message, (message) => types.push(message.type));
  return { server, socket, states, retries, invalid, types, stateNames: () => states.map(([s]) => s) };
}

test("connect: connecting, then open on the server's welcome (not on the WebSocket open); the token goes to the factory", () => {
  const { server, socket, stateNames } = makeSocket();
  assert.equal(socket.state, 'closed');
  socket.connect();
  assert.equal(socket.state, 'connecting');
  assert.equal(server.last.url, 'ws://test/ws');
  assert.equal(server.last.token, 'tok');
  server.last.onopen?.({});
  assert.equal(socket.state, 'connecting');
  server.last.receive({ type: 'welcome', user: { id: 'u1', displayName: 'Ada', kind: 'guest' } });
  assert.equal(socket.state, 'open');
  assert.equal(socket.user?.displayName, 'Ada');
  assert.deepEqual(stateNames(), ['connecting', 'open']);
  socket.close();
});

test("welcome reaches Message listeners (Matchmaking) before 'open' reaches State listeners, with state already open", () => {
  const { server, socket } = makeSocket();
  const order: string[] = [];
  socket.on(SocketEvent.Message, (message) =>
    order.push(`message ${message.type} (${socket.state}, send ${socket.send({ type: 'cancel' })})`),
  );
  socket.on(SocketEvent.State, (state) => order.push(`state ${state}`));
  socket.connect();
  server.last.accept();
  assert.deepEqual(order, ['state connecting', 'message welcome (open, send true)', 'state open']);
});

test('every frame is validated with the protocol schema: invalid ones are dropped and reported', () => {
  const { server, socket, invalid, types } = makeSocket();
  socket.connect();
  server.last.accept();
  server.last.receive('not json{');
  server.last.receive({ type: 'matched', roomId: 'r1' }); // missing fields
  server.last.receive({ type: 'no_such_frame' });
  server.last.onmessage?.({ data: new Uint8Array([1, 2]) });
  server.last.receive({ type: 'queued', categories: ['music'] });
  assert.equal(invalid.length, 4);
  assert.match(invalid[1]!, /invalid matched frame/);
  assert.deepEqual(types, ['welcome', 'queued']);
  socket.close();
});

test('send: only while open; a frame over 64 KiB is refused before it can get the socket closed', () => {
  const { server, socket } = makeSocket();
  assert.equal(socket.send({ type: 'cancel' }), false);
  socket.connect();
  assert.equal(socket.send({ type: 'cancel' }), false, 'not before welcome');
  server.last.accept();
  assert.equal(socket.send({ type: 'cancel' }), true);
  assert.deepEqual(server.last.sent, [{ type: 'cancel' }]);
  assert.throws(
    () => socket.send({ type: 'signal', roomId: 'r', data: 'x'.repeat(70_000) }),
    (error: unknown) => error instanceof SmallTalkError && error.code === 'payload_too_large',
  );
  socket.close();
});

test("a drop: reconnecting, retries on the policy's schedule with growing retryCount and elapsedMs, open again on welcome", async () => {
  const asked: ReconnectContext[] = [];
  const { server, socket, stateNames, retries } = makeSocket({
    reconnectPolicy: (ctx) => {
      asked.push(ctx);
      return 10 * (ctx.retryCount + 1);
    },
  });
  socket.connect();
  server.last.accept();
  server.last.drop(1006);
  assert.equal(socket.state, 'reconnecting');
  let ws = await server.nextSocket(1);
  ws.drop(1006); // refused: the server is still down
  ws = await server.nextSocket(2);
  ws.fail('ECONNREFUSED');
  ws = await server.nextSocket(3);
  ws.accept();
  assert.equal(socket.state, 'open');
  assert.deepEqual(stateNames(), ['connecting', 'open', 'reconnecting', 'open']);
  assert.deepEqual(
    asked.map((c) => c.retryCount),
    [0, 1, 2],
  );
  // Timers may fire a hair early by Date.now()'s millisecond clock: allow a little.
  assert.ok(
    asked[2]!.elapsedMs >= asked[1]!.elapsedMs && asked[1]!.elapsedMs >= 8 && asked[0]!.elapsedMs < 8,
    JSON.stringify(asked),
  );
  assert.deepEqual(
    retries.map((r) => r.delayMs),
    [10, 20, 30],
  );

  // A later drop starts counting from 0 again.
  ws.drop(1006);
  assert.equal(retries.at(-1)?.retryCount, 0);
  socket.close();
});

test('the policy returning null gives up: closed with reason gave_up', async () => {
  const { server, socket, states } = makeSocket({ reconnectPolicy: ({ retryCount }) => (retryCount < 1 ? 5 : null) });
  socket.connect();
  server.last.accept();
  server.last.drop(1006);
  (await server.nextSocket(1)).drop(1006);
  assert.equal(socket.state, 'closed');
  assert.deepEqual(states.at(-1), ['closed', { reason: 'gave_up', code: 1006 }]);
  await sleep(20);
  assert.equal(server.sockets.length, 2, 'no more tries');
});

for (const [code, reason] of [
  [4000, 'replaced'],
  [4001, 'logged_out'],
  [4003, 'banned'],
] as const) {
  test(`close ${code} (${reason}) is final: no reconnect`, async () => {
    const { server, socket, states } = makeSocket();
    socket.connect();
    server.last.accept();
    server.last.drop(code);
    assert.deepEqual(states.at(-1), ['closed', { reason, code }]);
    await sleep(30);
    assert.equal(server.sockets.length, 1);
  });
}

test('a notice frame reaches Notice listeners with the statement of reasons, after Message listeners', () => {
  const { server, socket, types } = makeSocket();
  const notices: unknown[] = [];
  socket.on(SocketEvent.Notice, (notice) => notices.push(notice));
  socket.connect();
  server.last.accept();
  const notice = {
    id: 'n1',
    kind: 'appeal_overturned',
    reason: 'We got it wrong.',
    automated: false,
    until: null,
    createdAt: '2026-05-12T14:30:00.000Z',
    appealable: false,
  };
  server.last.receive({ type: 'notice', notice });
  assert.deepEqual(notices, [notice]);
  assert.deepEqual(types, ['welcome', 'notice']);
  server.last.receive({ type: 'notice', notice: { ...notice, kind: 'no_such_kind' } });
  assert.equal(notices.length, 1, 'an invalid notice is dropped');
});

test("close 1012 (server restarting) reconnects at once (within the first retry's jitter), whatever the policy says for the first retry", async () => {
  const { server, socket, retries } = makeSocket({ reconnectPolicy: () => 60_000 });
  socket.connect();
  server.last.accept();
  server.last.drop(1012);
  const { delayMs, ...first } = retries[0]!;
  assert.deepEqual(first, { retryCount: 0, code: 1012 });
  assert.ok(delayMs >= 0 && delayMs <= defaults.DEFAULT_FIRST_RETRY_JITTER_MS, `${delayMs} ms`);
  await server.nextSocket(1, 400);
  // The new server is not up yet: from here the policy decides.
  server.last.drop(1006);
  assert.equal(retries[1]?.delayMs, 60_000);
  socket.close();
});

test('close() by the app is final and closes the WebSocket', async () => {
  const { server, socket, states } = makeSocket();
  socket.connect();
  server.last.accept();
  const ws = server.last;
  socket.close();
  assert.equal(ws.closedWith, 1000);
  assert.deepEqual(states.at(-1), ['closed', { reason: 'client' }]);
  ws.drop(1000); // a late close event changes nothing
  await sleep(20);
  assert.equal(server.sockets.length, 1);
  assert.equal(socket.state, 'closed');
});

test('close() while waiting to retry cancels the retry', async () => {
  const { server, socket } = makeSocket({ reconnectPolicy: () => 30 });
  socket.connect();
  server.last.accept();
  server.last.drop(1006);
  socket.close();
  await sleep(60);
  assert.equal(server.sockets.length, 1);
});

test('an upgrade refused with 401 (reported by ws and React Native) closes with reason unauthorized', () => {
  const { server, socket, states } = makeSocket();
  socket.connect();
  server.last.fail('Unexpected server response: 401');
  assert.deepEqual(states.at(-1), ['closed', { reason: 'unauthorized' }]);
});

test('a first connection that fails is retried too, staying connecting', async () => {
  const { server, socket, stateNames } = makeSocket();
  socket.connect();
  server.last.fail('ECONNREFUSED');
  (await server.nextSocket(1)).accept();
  assert.deepEqual(stateNames(), ['connecting', 'open']);
  socket.close();
});

test('a socket that never gets its welcome is abandoned after connectTimeoutMs and retried', async () => {
  const { server, socket } = makeSocket({ connectTimeoutMs: 20 });
  socket.connect();
  server.last.onopen?.({});
  const second = await server.nextSocket(1, 500);
  assert.equal(server.sockets[0]!.closedWith, 1000);
  second.accept();
  assert.equal(socket.state, 'open');
  socket.close();
});

test('reconnect() drops the current socket and tries again at once (the app saw the network change)', async () => {
  const { server, socket, stateNames } = makeSocket({ reconnectPolicy: () => 60_000 });
  socket.connect();
  server.last.accept();
  socket.reconnect();
  assert.equal(server.sockets[0]!.closedWith, 1000);
  (await server.nextSocket(1, 100)).accept();
  assert.deepEqual(stateNames(), ['connecting', 'open', 'reconnecting', 'open']);
  socket.close();
});

test('without a platform WebSocket (Node 20) connect() says to inject one', () => {
  const socket = new Socket({ url: 'ws://test/ws' });
  assert.throws(() => socket.connect(), /createWebSocket/);
  assert.equal(socket.state, 'closed');
});

test('default policy: exponential schedule, jitter of up to half of each delay (0–250 ms for the first), null past the end', () => {
  const schedule = defaults.DEFAULT_RECONNECT_DELAYS_MS;
  const low = createReconnectPolicy({ random: () => 0 });
  const high = createReconnectPolicy({ random: () => 0.999999 });
  for (let retryCount = 0; retryCount < schedule.length; retryCount++) {
    const base = schedule[retryCount]!;
    assert.equal(low({ retryCount, elapsedMs: 0 }), base);
    assert.equal(
      high({ retryCount, elapsedMs: 0 }),
      base === 0 ? defaults.DEFAULT_FIRST_RETRY_JITTER_MS : Math.round(base * 1.5),
    );
  }
  assert.equal(schedule[0], 0, 'the first retry is immediate, but for its jitter');
  assert.equal(defaults.DEFAULT_FIRST_RETRY_JITTER_MS, 250);
  for (let i = 2; i < 7; i++) assert.equal(schedule[i], schedule[i - 1]! * 2, 'doubling at first');
  assert.ok(
    schedule.slice(0, 5).reduce((a, b) => a + b * 1.5, 0) < 6000,
    'five tries by the end of the 5 s resume grace',
  );
  assert.ok(
    schedule.slice(0, 4).reduce((a, b) => a + b * 1.5, 0) < 3000,
    'four of them well inside it, even with full jitter',
  );
  assert.equal(low({ retryCount: schedule.length, elapsedMs: 0 }), null);
  const custom = createReconnectPolicy({ delaysMs: [100, 200], jitter: 0 });
  assert.deepEqual(
    [0, 1, 2].map((retryCount) => custom({ retryCount, elapsedMs: 0 })),
    [100, 200, null],
  );
});
