import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  Matchmaking,
  MatchmakingEvent,
  SmallTalkError,
  Socket,
  type Matched,
  type MatchmakingState,
} from '../src/index.js';
import { FakeServer, sleep, type FakeWebSocket } from './fake-websocket.js';

// As the server introduces a peer in `matched`: what it speaks and its bio.
const peer = { id: 'u2', displayName: 'Bo', languages: ['en', 'de'], bio: 'Cellist, mostly Bach' };
const matched = (roomId: string, extra: Partial<{ initiator: boolean; resumed: boolean }> = {}) => ({
  type: 'matched',
  roomId,
  peer,
  category: 'music',
  initiator: true,
  resumed: false,
  iceTransportPolicy: 'relay',
  ...extra,
});

// A test that fails half-way must not leave a socket retrying forever.
const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

function setup(options: { resumeWaitMs?: number } = {}) {
  const server = new FakeServer();
  let now = 1_000_000;
  const socket = new Socket({ url: 'ws://test/ws', createWebSocket: server.createWebSocket, reconnectPolicy: () => 1 });
  sockets.push(socket);
  const mm = new Matchmaking(socket, { resumeWaitMs: options.resumeWaitMs ?? 30, now: () => now });
  const events: Array<[string, unknown]> = [];
  const states: MatchmakingState[] = [];
  for (const event of Object.values(MatchmakingEvent)) {
    mm.on(event, ((payload: unknown) => {
      if (event === MatchmakingEvent.State) states.push(payload as MatchmakingState);
      else events.push([event, payload]);
    }) as never);
  }
  return {
    server,
    socket,
    mm,
    events,
    states,
    named: (name: MatchmakingEvent) => events.filter(([e]) => e === name).map(([, p]) => p),
    advance: (ms: number) => (now += ms),
    /** Connects and returns the open fake socket. */
    open(): FakeWebSocket {
      socket.connect();
      server.last.accept();
      return server.last;
    },
    /** Drops the socket and returns the next one, accepted (welcome sent). */
    async reconnect(ws: FakeWebSocket, code = 1006): Promise<FakeWebSocket> {
      const count = server.sockets.length;
      ws.drop(code);
      const next = await server.nextSocket(count);
      next.accept();
      return next;
    },
  };
}

/** A client in room r1 with the peer. */
function inRoom(s: ReturnType<typeof setup>, initiator = true) {
  const ws = s.open();
  s.mm.join(['music']);
  ws.answer('join', { type: 'queued', categories: ['music'] });
  ws.receive(matched('r1', { initiator }));
  return ws;
}

test('join before the socket is open is sent once welcome arrives; queued time runs from join()', () => {
  const s = setup();
  s.socket.connect();
  s.mm.join(['music', 'books']);
  assert.equal(s.mm.state, 'queued');
  assert.equal(s.mm.queuedAt, 1_000_000);
  s.advance(1500);
  assert.equal(s.mm.queuedMs, 1500);
  assert.deepEqual(s.server.last.bare, []);
  s.server.last.accept();
  assert.deepEqual(s.server.last.bare, [{ type: 'join', categories: ['music', 'books'] }]);
  s.server.last.answer('join', { type: 'queued', categories: ['music', 'books'] });
  assert.deepEqual(s.named(MatchmakingEvent.Queued), [['music', 'books']]);
});

test('queued → matched: the room, the peer and who initiates; queued time ends', () => {
  const s = setup();
  const ws = inRoom(s, false);
  assert.equal(s.mm.state, 'matched');
  assert.deepEqual(s.states, ['queued', 'matched']);
  assert.deepEqual(s.named(MatchmakingEvent.Matched), [
    {
      roomId: 'r1',
      peer,
      category: 'music',
      direct: false,
      initiator: false,
      resumed: false,
      rejoined: false,
      iceTransportPolicy: 'relay',
    },
  ]);
  assert.equal(s.mm.queuedAt, null);
  assert.equal(s.mm.room?.roomId, 'r1');
  assert.throws(
    () => s.mm.join(['music']),
    (e: unknown) => e instanceof SmallTalkError && e.code === 'busy',
  );
  ws.receive({ type: 'chat', roomId: 'r1', from: 'u2', text: 'hi', sentAt: '2025-01-01T00:00:00.000Z' });
  ws.receive({ type: 'chat', roomId: 'old-room', from: 'u9', text: 'stale', sentAt: '2025-01-01T00:00:00.000Z' });
  ws.receive({ type: 'typing', roomId: 'r1', from: 'u2' });
  assert.deepEqual(s.named(MatchmakingEvent.Chat), [
    { roomId: 'r1', from: 'u2', text: 'hi', sentAt: '2025-01-01T00:00:00.000Z' },
  ]);
  assert.deepEqual(s.named(MatchmakingEvent.Typing), [{ roomId: 'r1', from: 'u2' }]);
  assert.equal(s.mm.sendChat('hello'), true);
  s.mm.sendTyping();
  assert.deepEqual(ws.bare.slice(-2), [
    { type: 'chat', roomId: 'r1', text: 'hello' },
    { type: 'typing', roomId: 'r1' },
  ]);
});

test('join while queued replaces the categories and keeps the queued time', () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['music']);
  s.advance(100);
  s.mm.join(['books']);
  assert.equal(s.mm.queuedAt, 1_000_000);
  assert.deepEqual(
    ws.sentOfType('join').map((m) => m.categories),
    [['music'], ['books']],
  );
  assert.deepEqual(s.states, ['queued']);
});

test('cancel leaves the queue; a match that crossed the cancel on the wire is left at once, never announced', () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['music']);
  ws.answer('join', { type: 'queued', categories: ['music'] });
  s.mm.cancel();
  assert.equal(s.mm.state, 'idle');
  assert.equal(s.mm.queuedAt, null);
  ws.receive(matched('r9')); // the server matched us before it saw the cancel
  ws.answer('cancel', { type: 'cancelled' });
  assert.deepEqual(ws.bare, [
    { type: 'join', categories: ['music'] },
    { type: 'cancel' },
    { type: 'leave', roomId: 'r9' },
  ]);
  ws.answer('leave', { type: 'left', roomId: 'r9' });
  assert.deepEqual(s.named(MatchmakingEvent.Matched), []);
  assert.deepEqual(s.named(MatchmakingEvent.Left), []);
  assert.deepEqual(s.states, ['queued', 'idle']);
});

test('next(): leave and join again with the same categories in one call; left at once, queued time restarts', () => {
  const s = setup();
  const ws = inRoom(s);
  s.advance(5000);
  s.mm.next();
  assert.deepEqual(ws.bare.slice(-2), [
    { type: 'leave', roomId: 'r1' },
    { type: 'join', categories: ['music'] },
  ]);
  assert.equal(s.mm.state, 'queued');
  assert.equal(s.mm.queuedAt, 1_005_000);
  assert.deepEqual(s.states, ['queued', 'matched', 'queued'], 'no idle in between');
  assert.deepEqual(s.named(MatchmakingEvent.Left), [{ roomId: 'r1' }]);
  ws.answer('leave', { type: 'left', roomId: 'r1' });
  ws.answer('join', { type: 'queued', categories: ['music'] });
  assert.equal(s.named(MatchmakingEvent.Left).length, 1, 'the confirmation is not a second left');
  ws.receive(matched('r2', { initiator: false }));
  assert.equal(s.mm.room?.roomId, 'r2');
});

test('the peer leaves: peerLeft with the reason, idle; signals and chat for the old room are dropped', () => {
  const s = setup();
  const ws = inRoom(s);
  ws.receive({ type: 'peer_left', roomId: 'r1', reason: 'disconnected' });
  assert.equal(s.mm.state, 'idle');
  assert.deepEqual(s.named(MatchmakingEvent.PeerLeft), [{ roomId: 'r1', reason: 'disconnected' }]);
  assert.equal(s.mm.sendChat('anyone?'), false);
  // A candidate our Call sent just before the room ended comes back as not_in_room: absorbed.
  ws.receive({ type: 'error', code: 'not_in_room', message: 'you are not in this room' });
  assert.deepEqual(s.named(MatchmakingEvent.Error), []);
  s.mm.next();
  assert.deepEqual(ws.bare.at(-1), { type: 'join', categories: ['music'] });
});

test('leave(): left at once, then idle', () => {
  const s = setup();
  const ws = inRoom(s);
  s.mm.leave();
  assert.deepEqual(ws.bare.at(-1), { type: 'leave', roomId: 'r1' });
  assert.equal(s.mm.state, 'idle');
  assert.deepEqual(s.named(MatchmakingEvent.Left), [{ roomId: 'r1' }]);
  // The peer's leave crossed ours: its peer_left, then our leave's not_in_room. Neither reaches the app.
  ws.receive({ type: 'peer_left', roomId: 'r1', reason: 'left' });
  ws.answer('leave', { type: 'error', code: 'not_in_room', message: 'you are not in this room' });
  assert.deepEqual(s.named(MatchmakingEvent.PeerLeft), []);
  assert.deepEqual(s.named(MatchmakingEvent.Error), []);
});

test('a join the server refuses ends queued and reports the error', () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['nope']);
  ws.answer('join', { type: 'error', code: 'unknown_category', message: 'no category nope' });
  assert.equal(s.mm.state, 'idle');
  assert.deepEqual(s.named(MatchmakingEvent.Error), [{ code: 'unknown_category', message: 'no category nope' }]);
  assert.throws(
    () => s.mm.join([]),
    (e: unknown) => e instanceof SmallTalkError && e.code === 'bad_request',
  );
});

test("signals that arrive before the Call subscribes are kept and replayed in order; other rooms' are dropped", () => {
  const s = setup();
  const ws = inRoom(s, false);
  ws.receive({ type: 'signal', roomId: 'r1', from: 'u2', data: { description: { type: 'offer', sdp: 'o' } } });
  ws.receive({ type: 'signal', roomId: 'r0', from: 'u7', data: { stale: true } });
  ws.receive({ type: 'signal', roomId: 'r1', from: 'u2', data: { candidate: { candidate: 'c1' } } });
  const got: unknown[] = [];
  const signaling = s.mm.signaling();
  signaling.onSignal((data) => got.push(data));
  ws.receive({ type: 'signal', roomId: 'r1', from: 'u2', data: { candidate: { candidate: 'c2' } } });
  assert.deepEqual(got, [
    { description: { type: 'offer', sdp: 'o' } },
    { candidate: { candidate: 'c1' } },
    { candidate: { candidate: 'c2' } },
  ]);
  signaling.send({ description: { type: 'answer', sdp: 'a' } });
  assert.deepEqual(ws.bare.at(-1), {
    type: 'signal',
    roomId: 'r1',
    data: { description: { type: 'answer', sdp: 'a' } },
  });
  // Once the room is over the binding goes quiet.
  ws.receive({ type: 'peer_left', roomId: 'r1', reason: 'left' });
  const sentBefore = ws.sent.length;
  signaling.send({ candidate: { candidate: 'late' } });
  assert.equal(ws.sent.length, sentBefore);
  assert.throws(
    () => s.mm.signaling(),
    (e: unknown) => e instanceof SmallTalkError && e.code === 'not_in_room',
  );
});

test('resume: after a drop the room continues (matched resumed), frames sent meanwhile are flushed in order, no new join', async () => {
  const s = setup();
  const ws = inRoom(s);
  const signaling = s.mm.signaling();
  ws.drop(1006);
  assert.equal(s.mm.state, 'matched', 'a blip does not end the room');
  signaling.send({ candidate: { candidate: 'c1' } });
  assert.equal(s.mm.sendChat('still there?'), true);
  s.mm.sendTyping(); // ephemeral: not kept
  signaling.send({ candidate: { candidate: 'c2' } });

  const next = await s.server.nextSocket(1);
  next.accept();
  assert.deepEqual(next.bare, [], 'nothing before the room is confirmed');
  next.receive(matched('r1', { resumed: true }));
  assert.deepEqual(next.bare, [
    { type: 'signal', roomId: 'r1', data: { candidate: { candidate: 'c1' } } },
    { type: 'chat', roomId: 'r1', text: 'still there?' },
    { type: 'signal', roomId: 'r1', data: { candidate: { candidate: 'c2' } } },
  ]);
  assert.deepEqual(s.named(MatchmakingEvent.Matched).at(-1), {
    roomId: 'r1',
    peer,
    category: 'music',
    direct: false,
    initiator: true,
    resumed: true,
    rejoined: false,
    iceTransportPolicy: 'relay',
  });
  assert.deepEqual(s.states, ['queued', 'matched']);
  assert.equal(s.mm.sendChat('back'), true);
  assert.deepEqual(next.bare.at(-1), { type: 'chat', roomId: 'r1', text: 'back' });
});

test('resume: welcome with no matched within the wait → roomLost, idle', async () => {
  const s = setup({ resumeWaitMs: 20 });
  const ws = inRoom(s);
  const next = await s.reconnect(ws);
  assert.equal(s.mm.state, 'matched');
  await sleep(40);
  assert.equal(s.mm.state, 'idle');
  assert.deepEqual(s.named(MatchmakingEvent.RoomLost), [{ roomId: 'r1' }]);
  assert.deepEqual(next.bare, []);
});

test('resume: the peer left while we were away (held peer_left after welcome) → peerLeft, not roomLost', async () => {
  const s = setup();
  const ws = inRoom(s);
  const next = await s.reconnect(ws);
  next.receive({ type: 'peer_left', roomId: 'r1', reason: 'left' });
  assert.deepEqual(s.named(MatchmakingEvent.PeerLeft), [{ roomId: 'r1', reason: 'left' }]);
  await sleep(50);
  assert.deepEqual(s.named(MatchmakingEvent.RoomLost), []);
});

test('queued when the socket dropped: the join is sent again on the new socket (the server dropped the entry), queued time kept', async () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['music', 'tech']);
  ws.answer('join', { type: 'queued', categories: ['music', 'tech'] });
  s.advance(3000);
  const next = await s.reconnect(ws);
  assert.deepEqual(next.bare, [{ type: 'join', categories: ['music', 'tech'] }]);
  assert.equal(s.mm.queuedAt, 1_000_000);
  assert.equal(s.mm.queuedMs, 3000);
  assert.deepEqual(s.states, ['queued']);
});

test('queued, dropped just as a match was made: matched (resumed) for a room new to us is a new match, and the busy our re-join earns is absorbed', async () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['music']);
  const next = await s.reconnect(ws);
  assert.deepEqual(next.bare, [{ type: 'join', categories: ['music'] }]);
  next.receive(matched('r5', { resumed: true, initiator: false }));
  next.answer('join', { type: 'error', code: 'busy', message: 'leave your room before joining again' });
  assert.equal(s.mm.state, 'matched');
  assert.deepEqual(s.named(MatchmakingEvent.Matched), [
    {
      roomId: 'r5',
      peer,
      category: 'music',
      direct: false,
      initiator: false,
      resumed: false,
      rejoined: true,
      iceTransportPolicy: 'relay',
    },
  ]);
  assert.deepEqual(s.named(MatchmakingEvent.Error), []);
});

test('next() while the socket is away: left at once; once back the old room is left on the server, then the join', async () => {
  const s = setup();
  const ws = inRoom(s);
  ws.drop(1006);
  s.mm.next();
  assert.deepEqual(s.named(MatchmakingEvent.Left), [{ roomId: 'r1' }]);
  assert.equal(s.mm.state, 'queued');
  const next = await s.server.nextSocket(1);
  next.accept();
  assert.deepEqual(next.bare, [], 'waits to learn whether the server still has the room');
  next.receive(matched('r1', { resumed: true }));
  assert.deepEqual(next.bare, [
    { type: 'leave', roomId: 'r1' },
    { type: 'join', categories: ['music'] },
  ]);
  next.answer('leave', { type: 'left', roomId: 'r1' });
  next.answer('join', { type: 'queued', categories: ['music'] });
  assert.equal(s.named(MatchmakingEvent.Matched).length, 1, 'the old room is not announced again');
  assert.equal(s.named(MatchmakingEvent.Left).length, 1);
});

test('closed for good (replaced by another socket) while in a room: roomLost, idle', () => {
  const s = setup();
  const ws = inRoom(s);
  ws.drop(4000);
  assert.equal(s.socket.state, 'closed');
  assert.equal(s.mm.state, 'idle');
  assert.deepEqual(s.named(MatchmakingEvent.RoomLost), [{ roomId: 'r1' }]);
});

test('the outbox is bounded: beyond the limit sends are refused', async () => {
  const server = new FakeServer();
  const socket = new Socket({
    url: 'ws://t/ws',
    createWebSocket: server.createWebSocket,
    reconnectPolicy: () => 10_000,
  });
  sockets.push(socket);
  const mm = new Matchmaking(socket, { outboxLimit: 2 });
  socket.connect();
  server.last.accept();
  mm.join(['music']);
  server.last.receive(matched('r1'));
  server.last.drop(1006);
  assert.equal(mm.sendChat('1'), true);
  assert.equal(mm.sendChat('2'), true);
  assert.equal(mm.sendChat('3'), false);
  socket.close();
});

test('matched events carry only the documented fields', () => {
  const s = setup();
  inRoom(s);
  const event = s.named(MatchmakingEvent.Matched)[0] as Matched;
  assert.deepEqual(Object.keys(event).sort(), [
    'category',
    'direct',
    'iceTransportPolicy',
    'initiator',
    'peer',
    'rejoined',
    'resumed',
    'roomId',
  ]);
});

// ---- meet anyone after a while (issue 15) --------------------------------------

const widenedRoom = (roomId: string, extra: Partial<{ resumed: boolean }> = {}) => ({
  ...matched(roomId),
  category: null,
  ...extra,
});

test('join with anyone: the frame says anyone:true, next() asks the same; without it the frame is protocol v1 as before (but for its ref)', () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['music'], { anyone: true });
  assert.equal(s.mm.anyone, true);
  ws.answer('join', { type: 'queued', categories: ['music'] });
  ws.receive(matched('r1'));
  s.mm.next();
  s.mm.cancel();
  s.mm.join(['books']);
  assert.equal(s.mm.anyone, false);
  assert.deepEqual(
    ws.bare.filter((f) => f.type === 'join'),
    [
      { type: 'join', categories: ['music'], anyone: true },
      { type: 'join', categories: ['music'], anyone: true },
      { type: 'join', categories: ['books'] },
    ],
  );
});

test('widened: the event once, `widened` while queued; the room it brings has no category and is not a direct call', () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['music'], { anyone: true });
  ws.answer('join', { type: 'queued', categories: ['music'] });
  assert.equal(s.mm.widened, false);
  ws.receive({ type: 'widened' });
  ws.receive({ type: 'widened' }); // a repeat says nothing new
  assert.equal(s.named(MatchmakingEvent.Widened).length, 1);
  assert.equal(s.mm.widened, true);
  assert.equal(s.mm.state, 'queued');

  ws.receive(widenedRoom('r1'));
  assert.equal(s.mm.state, 'matched');
  assert.equal(s.mm.widened, false);
  assert.deepEqual(s.named(MatchmakingEvent.Matched), [
    {
      roomId: 'r1',
      peer,
      category: null,
      direct: false,
      initiator: true,
      resumed: false,
      rejoined: false,
      iceTransportPolicy: 'relay',
    },
  ]);

  // Next starts a new queue entry: not widened until the server says so again.
  s.mm.next();
  assert.equal(s.mm.widened, false);
});

test('a widened room keeps direct:false when it resumes after a drop', async () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['music'], { anyone: true });
  ws.receive({ type: 'widened' });
  ws.receive(widenedRoom('r1'));
  const next = await s.reconnect(ws);
  next.receive(widenedRoom('r1', { resumed: true }));
  const [first, resumed] = s.named(MatchmakingEvent.Matched) as Matched[];
  assert.equal(first?.direct, false);
  assert.equal(resumed?.resumed, true);
  assert.equal(resumed?.direct, false);
});

test('a widened match that crossed a cancel on the wire is left at once, never announced', () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['music'], { anyone: true });
  ws.answer('join', { type: 'queued', categories: ['music'] });
  s.mm.cancel();
  // The server had widened the entry and matched it before our cancel arrived.
  ws.receive({ type: 'widened' });
  ws.receive(widenedRoom('r1'));
  ws.answer('cancel', { type: 'cancelled' });
  assert.equal(s.mm.state, 'idle');
  assert.equal(s.mm.room, null);
  assert.deepEqual(s.named(MatchmakingEvent.Matched), []);
  assert.deepEqual(s.named(MatchmakingEvent.Widened), []);
  assert.deepEqual(ws.bare.at(-1), { type: 'leave', roomId: 'r1' });
});

test("queued with anyone, a room without a category is the search's even with no widened first (it widened and matched at once)", () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['music'], { anyone: true });
  ws.answer('join', { type: 'queued', categories: ['music'] });
  ws.receive(widenedRoom('r1'));
  assert.equal(s.mm.state, 'matched');
  assert.equal((s.named(MatchmakingEvent.Matched)[0] as Matched).direct, false);
});

test("a room that names its call is a direct call, while idle or queued; one without a category that names none is the queue's", () => {
  const queued = setup();
  const ws1 = queued.open();
  queued.mm.join(['music']);
  ws1.receive({ ...widenedRoom('r1'), iceTransportPolicy: 'all', callId: 'c1' });
  assert.equal((queued.named(MatchmakingEvent.Matched)[0] as Matched).direct, true);

  const s = setup();
  const ws = s.open();
  ws.receive({ ...widenedRoom('r1'), iceTransportPolicy: 'all', callId: 'c1' });
  assert.equal(s.mm.state, 'matched');
  assert.equal((s.named(MatchmakingEvent.Matched)[0] as Matched).direct, true);

  // No call named: a match made by the queue (a search that widened), which only a queued user takes.
  const t = setup();
  const tws = t.open();
  t.mm.join(['music']);
  tws.receive(widenedRoom('r2'));
  assert.equal((t.named(MatchmakingEvent.Matched)[0] as Matched).direct, false);
  const idle = setup();
  const iws = idle.open();
  iws.receive(widenedRoom('r3'));
  assert.equal(idle.mm.state, 'idle');
  assert.deepEqual(iws.bare, [{ type: 'leave', roomId: 'r3' }]);
});

test('verification_required refuses the join: idle, and the app hears the code', () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['music']);
  ws.answer('join', { type: 'error', code: 'verification_required', message: 'verify your e-mail address first' });
  assert.equal(s.mm.state, 'idle');
  assert.deepEqual(s.named(MatchmakingEvent.Error), [
    { code: 'verification_required', message: 'verify your e-mail address first' },
  ]);
});
