import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { RING_TIMEOUT_MS } from '@small-talk/protocol';
import {
  defaults,
  Friends,
  FriendsEvent,
  Matchmaking,
  MatchmakingEvent,
  SmallTalkClient,
  SmallTalkError,
  Socket,
  type DirectCall,
  type MatchmakingState,
} from '../src/index.js';
import { fakeMedia, fakeWebRtc } from './fake-webrtc.js';
import { FakeServer, sleep, type FakeWebSocket } from './fake-websocket.js';

const bo = { id: 'u2', displayName: 'Bo', languages: [] };
const cy = { id: 'u3', displayName: 'Cy', languages: [] };
/** The room a direct call became: it names the call (`callId`). */
const directRoom = (roomId: string, initiator: boolean, callId: string, peer = bo) => ({
  type: 'matched',
  roomId,
  peer,
  category: null,
  initiator,
  resumed: false,
  iceTransportPolicy: 'all',
  callId,
});

// A test that fails half-way must not leave a socket retrying forever, nor a ring timer running.
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A Socket with Friends and Matchmaking wired as SmallTalkClient wires them, every event recorded. */
function setup(options: { ringTimeoutMs?: number } = {}) {
  const server = new FakeServer();
  const socket = new Socket({ url: 'ws://test/ws', createWebSocket: server.createWebSocket, reconnectPolicy: () => 1 });
  const friends = new Friends(socket, options);
  const mm = new Matchmaking(socket, { resumeWaitMs: 30, acceptsCall: (callId) => friends.acceptsCall(callId) });
  cleanups.push(() => {
    socket.close();
    friends.dispose();
  });
  const events: Array<[string, unknown]> = [];
  const states: MatchmakingState[] = [];
  for (const event of Object.values(FriendsEvent)) {
    friends.on(event, ((payload: unknown) => events.push([`friends:${event}`, payload])) as never);
  }
  for (const event of Object.values(MatchmakingEvent)) {
    mm.on(event, ((payload: unknown) => {
      if (event === MatchmakingEvent.State) states.push(payload as MatchmakingState);
      else events.push([`mm:${event}`, payload]);
    }) as never);
  }
  return {
    server,
    socket,
    friends,
    mm,
    events,
    states,
    friendsEvents: (name: FriendsEvent) => events.filter(([e]) => e === `friends:${name}`).map(([, p]) => p),
    mmEvents: (name: MatchmakingEvent) => events.filter(([e]) => e === `mm:${name}`).map(([, p]) => p),
    open(): FakeWebSocket {
      socket.connect();
      server.last.accept();
      return server.last;
    },
  };
}

/** This user called Bo and Bo's app rings; `id` is the call's, which the SDK chose. */
function ringingOut(s: ReturnType<typeof setup>): { ws: FakeWebSocket; id: string } {
  const ws = s.open();
  s.friends.call(bo);
  const id = ws.lastSent('call').callId!;
  ws.answer('call', { type: 'call_ringing', callId: id, peer: bo });
  return { ws, id };
}

/** Bo calls this user (call c1). */
function ringingIn(s: ReturnType<typeof setup>): FakeWebSocket {
  const ws = s.open();
  ws.receive({ type: 'incoming_call', callId: 'c1', peer: bo });
  return ws;
}

test('live friend frames become events; Matchmaking sees none of them', () => {
  const s = setup();
  const ws = s.open();
  const request = {
    id: 'q1',
    from: bo,
    to: { id: 'u1', displayName: 'Ada', languages: [] },
    createdAt: '2025-01-01T00:00:00.000Z',
  };
  const friend = { user: bo, presence: 'online', since: '2025-01-02T00:00:00.000Z' };
  ws.receive({ type: 'friend_request', request });
  ws.receive({ type: 'friend_request_closed', requestId: 'q0', reason: 'declined' });
  ws.receive({ type: 'friend_added', friend });
  ws.receive({ type: 'presence', userId: 'u2', presence: 'in_call' });
  ws.receive({ type: 'friend_removed', userId: 'u2' });
  assert.deepEqual(s.events, [
    ['friends:request', request],
    ['friends:requestClosed', { requestId: 'q0', reason: 'declined' }],
    ['friends:added', friend],
    ['friends:presence', { userId: 'u2', presence: 'in_call' }],
    ['friends:removed', { userId: 'u2' }],
  ]);
  assert.deepEqual(s.states, []);
  assert.deepEqual(ws.sent, []);
});

test('outgoing: calling → ringing → declined; a second call while one rings is refused', () => {
  const s = setup();
  const ws = s.open();
  s.friends.call(bo);
  const id = ws.lastSent('call').callId!;
  assert.match(id, /^[0-9a-f-]{32,36}$/, 'the SDK names the ring');
  assert.deepEqual(ws.bare, [{ type: 'call', userId: 'u2', callId: id }]);
  assert.ok(ws.sent[0]?.ref, 'with a ref the answer echoes');
  const calling: DirectCall = { callId: null, direction: 'outgoing', peer: bo, state: 'calling' };
  assert.deepEqual(s.friends.directCall, calling);
  assert.throws(
    () => s.friends.call(cy),
    (e: unknown) => e instanceof SmallTalkError && e.code === 'busy',
  );
  ws.answer('call', { type: 'call_ringing', callId: id, peer: bo });
  const ringing: DirectCall = { callId: id, direction: 'outgoing', peer: bo, state: 'ringing' };
  assert.deepEqual(s.friends.directCall, ringing);
  assert.throws(
    () => s.friends.call(cy),
    (e: unknown) => e instanceof SmallTalkError && e.code === 'busy',
  );
  ws.receive({ type: 'call_ended', callId: id, peer: bo, reason: 'declined' });
  assert.equal(s.friends.directCall, null);
  assert.deepEqual(s.events, [
    ['friends:directCall', calling],
    ['friends:directCall', ringing],
    ['friends:directCall', null],
    ['friends:callEnded', { callId: id, peer: bo, reason: 'declined', direction: 'outgoing' }],
  ]);
  assert.deepEqual(ws.bare, [{ type: 'call', userId: 'u2', callId: id }]);
  s.friends.call(cy); // free again
  const second = ws.lastSent('call');
  assert.deepEqual([second.userId, second.callId === id], ['u3', false], 'a new call, a new id');
});

test('outgoing: the server ends the call at once (busy, offline) or after ringing (no_answer)', () => {
  for (const reason of ['busy', 'offline'] as const) {
    const s = setup();
    const ws = s.open();
    s.friends.call(bo);
    const id = ws.lastSent('call').callId!;
    // A call_ended for another call is not this one's.
    ws.receive({ type: 'call_ended', callId: 'someone-elses', peer: bo, reason });
    assert.equal(s.friends.directCall?.state, 'calling');
    ws.receive({ type: 'call_ended', callId: id, peer: bo, reason });
    assert.equal(s.friends.directCall, null);
    assert.deepEqual(s.friendsEvents(FriendsEvent.CallEnded), [
      { callId: id, peer: bo, reason, direction: 'outgoing' },
    ]);
    assert.deepEqual(s.friendsEvents(FriendsEvent.Error), []);
  }
  const s = setup();
  const { ws, id } = ringingOut(s);
  ws.receive({ type: 'call_ended', callId: id, peer: bo, reason: 'no_answer' });
  assert.deepEqual(s.friendsEvents(FriendsEvent.CallEnded), [
    { callId: id, peer: bo, reason: 'no_answer', direction: 'outgoing' },
  ]);
  assert.deepEqual(s.mmEvents(MatchmakingEvent.Error), []);
});

test('hangUp after call_ringing: cancel_call, ended at once; the late answers are absorbed', () => {
  const s = setup();
  const { ws, id } = ringingOut(s);
  s.friends.hangUp();
  assert.deepEqual(ws.bare.at(-1), { type: 'cancel_call', callId: id });
  assert.equal(s.friends.directCall, null);
  assert.deepEqual(s.friendsEvents(FriendsEvent.CallEnded), [
    { callId: id, peer: bo, reason: 'cancelled', direction: 'outgoing' },
  ]);
  // The ring had just timed out on the server: its call_ended, then not_found for our cancel.
  ws.receive({ type: 'call_ended', callId: id, peer: bo, reason: 'no_answer' });
  ws.answer('cancel_call', { type: 'error', code: 'not_found', message: 'no such call' });
  assert.equal(s.friendsEvents(FriendsEvent.CallEnded).length, 1);
  assert.deepEqual(s.friendsEvents(FriendsEvent.Error), []);
  assert.deepEqual(s.mmEvents(MatchmakingEvent.Error), []);
  s.friends.hangUp(); // nothing to hang up: nothing happens
  assert.equal(ws.sent.length, 2);
});

test('hangUp before call_ringing: ended at once, and the call is cancelled at once by the id the SDK gave it', () => {
  const s = setup();
  const ws = s.open();
  s.friends.call(bo);
  const id = ws.lastSent('call').callId!;
  s.friends.hangUp();
  assert.equal(s.friends.directCall, null);
  assert.deepEqual(s.friendsEvents(FriendsEvent.CallEnded), [
    { callId: null, peer: bo, reason: 'cancelled', direction: 'outgoing' },
  ]);
  // The server handles the two in order: the cancel ends the ring the call made.
  assert.deepEqual(ws.bare, [
    { type: 'call', userId: 'u2', callId: id },
    { type: 'cancel_call', callId: id },
  ]);
  ws.answer('call', { type: 'call_ringing', callId: id, peer: bo });
  assert.equal(s.friends.directCall, null, 'not ringing again');
  assert.equal(s.friendsEvents(FriendsEvent.DirectCall).length, 2);
  assert.equal(ws.sent.length, 2);
});

test('a call made right after hanging up goes out at once, behind the cancel; what answers the hung-up call is dropped', () => {
  const s = setup();
  const ws = s.open();
  s.friends.call(bo);
  const first = ws.lastSent('call');
  s.friends.hangUp();
  s.friends.call(cy);
  assert.deepEqual(s.friends.directCall, { callId: null, direction: 'outgoing', peer: cy, state: 'calling' });
  const second = ws.lastSent('call');
  assert.deepEqual(ws.bare, [
    { type: 'call', userId: 'u2', callId: first.callId },
    { type: 'cancel_call', callId: first.callId },
    { type: 'call', userId: 'u3', callId: second.callId },
  ]);
  // The first call's answer names the first frame: it is not the second call's.
  ws.receive({ type: 'call_ringing', callId: first.callId, peer: bo, ref: first.ref });
  assert.deepEqual(s.friends.directCall, { callId: null, direction: 'outgoing', peer: cy, state: 'calling' });
  ws.receive({ type: 'call_ringing', callId: second.callId, peer: cy, ref: second.ref });
  assert.deepEqual(s.friends.directCall, { callId: second.callId, direction: 'outgoing', peer: cy, state: 'ringing' });

  // The same when the hung-up call's answer is an end at once or an error.
  const t = setup();
  const tws = t.open();
  t.friends.call(bo);
  const hungUp = tws.lastSent('call');
  t.friends.hangUp();
  t.friends.call(cy);
  tws.receive({ type: 'call_ended', callId: hungUp.callId, peer: bo, reason: 'offline' });
  assert.equal(t.friends.directCall?.peer.id, 'u3');
  const toCy = tws.lastSent('call');
  t.friends.hangUp();
  t.friends.call(bo);
  tws.receive({ type: 'error', code: 'not_friends', message: 'not friends', ref: toCy.ref });
  assert.deepEqual(tws.bare.at(-1), { type: 'call', userId: 'u2', callId: tws.lastSent('call').callId });
  assert.equal(t.friends.directCall?.peer.id, 'u2');
  assert.deepEqual(t.friendsEvents(FriendsEvent.Error), [], 'the answer to a hung-up call is dropped');
  assert.deepEqual(t.mmEvents(MatchmakingEvent.Error), []);
});

test('incoming: ringing → accept → matched (category null) while idle: a room, no CallEnded; createCall works', async () => {
  const server = new FakeServer();
  const client = new SmallTalkClient({
    url: 'ws://t/ws',
    createWebSocket: server.createWebSocket,
    reconnectPolicy: () => 1,
  });
  cleanups.push(() => client.close());
  client.connect();
  const ws = server.last;
  ws.accept();
  const seen: Array<DirectCall | null> = [];
  const ended: unknown[] = [];
  client.friends.on(FriendsEvent.DirectCall, (call) => seen.push(call));
  client.friends.on(FriendsEvent.CallEnded, (event) => ended.push(event));
  ws.receive({ type: 'incoming_call', callId: 'c1', peer: bo });
  assert.deepEqual(client.friends.directCall, { callId: 'c1', direction: 'incoming', peer: bo, state: 'ringing' });
  client.friends.accept();
  client.friends.accept(); // a double tap sends one accept
  client.friends.decline(); // and can't turn into a decline
  assert.deepEqual(ws.bare, [{ type: 'accept_call', callId: 'c1' }]);
  assert.equal(client.friends.directCall?.state, 'ringing', 'until the room is there');
  assert.equal(client.matchmaking.state, 'idle');
  ws.receive(directRoom('r1', false, 'c1'));
  assert.equal(client.friends.directCall, null);
  assert.deepEqual(seen, [{ callId: 'c1', direction: 'incoming', peer: bo, state: 'ringing' }, null]);
  assert.deepEqual(ended, []);
  assert.equal(client.matchmaking.state, 'matched');
  assert.deepEqual(client.matchmaking.room, {
    roomId: 'r1',
    peer: { ...bo, bio: '' },
    category: null,
    direct: true,
    initiator: false,
    iceTransportPolicy: 'all',
  });
  const call = await client.createCall({ webrtc: fakeWebRtc, localStream: fakeMedia('me'), statsIntervalMs: 0 });
  assert.equal(call.polite, true);
  assert.equal(client.call, call);
  // Chat and signals work as in any room, and the peer leaving closes the Call.
  assert.equal(client.matchmaking.sendChat('hi Bo'), true);
  assert.deepEqual(ws.bare.at(-1), { type: 'chat', roomId: 'r1', text: 'hi Bo' });
  ws.receive({ type: 'peer_left', roomId: 'r1', reason: 'left' });
  assert.equal(call.state, 'closed');
  assert.equal(client.call, null);
});

test('outgoing answered while queued: matched (category null) ends the queue wait; the caller initiates the Call', async () => {
  const server = new FakeServer();
  const client = new SmallTalkClient({
    url: 'ws://t/ws',
    createWebSocket: server.createWebSocket,
    reconnectPolicy: () => 1,
  });
  cleanups.push(() => client.close());
  client.connect();
  const ws = server.last;
  ws.accept();
  client.matchmaking.join(['music']);
  ws.answer('join', { type: 'queued', categories: ['music'] });
  client.friends.call(bo);
  const id = ws.lastSent('call').callId!;
  ws.answer('call', { type: 'call_ringing', callId: id, peer: bo });
  const matched: unknown[] = [];
  client.matchmaking.on(MatchmakingEvent.Matched, (m) => matched.push(m));
  ws.receive(directRoom('r1', true, id));
  assert.deepEqual(matched, [
    {
      roomId: 'r1',
      peer: { ...bo, bio: '' },
      category: null,
      direct: true,
      initiator: true,
      resumed: false,
      rejoined: false,
      iceTransportPolicy: 'all',
    },
  ]);
  assert.equal(client.matchmaking.state, 'matched');
  assert.equal(client.matchmaking.queuedAt, null);
  assert.equal(client.friends.directCall, null);
  assert.equal(ws.sentOfType('leave').length, 0);
  const call = await client.createCall({ webrtc: fakeWebRtc, localStream: fakeMedia('me'), statsIntervalMs: 0 });
  assert.equal(call.polite, false);
  const deadline = Date.now() + 1000;
  while (!ws.sentOfType('signal').length && Date.now() < deadline) await sleep(2);
  const [signal] = ws.sentOfType('signal');
  assert.equal(signal?.roomId, 'r1');
  assert.equal((signal?.data as { description: { type: string } }).description.type, 'offer');
});

test('Matchmaking alone takes a room without a category while idle or queued, even with a cancel in flight', () => {
  for (const before of ['idle', 'queued', 'cancelling'] as const) {
    const server = new FakeServer();
    const socket = new Socket({ url: 'ws://t/ws', createWebSocket: server.createWebSocket, reconnectPolicy: () => 1 });
    cleanups.push(() => socket.close());
    const mm = new Matchmaking(socket);
    socket.connect();
    server.last.accept();
    if (before !== 'idle') mm.join(['music']);
    if (before === 'cancelling') mm.cancel();
    server.last.receive(directRoom('r1', true, 'c1'));
    assert.equal(mm.state, 'matched', before);
    assert.deepEqual(mm.room, {
      roomId: 'r1',
      peer: { ...bo, bio: '' },
      category: null,
      direct: true,
      initiator: true,
      iceTransportPolicy: 'all',
    });
    assert.equal(server.last.sentOfType('leave').length, 0, before);
  }
});

test('a room without a category while already in a room is left at once, never announced', () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['music']);
  ws.receive({
    type: 'matched',
    roomId: 'r1',
    peer: cy,
    category: 'music',
    initiator: true,
    resumed: false,
    iceTransportPolicy: 'relay',
  });
  ws.receive(directRoom('r2', true, 'c1'));
  assert.equal(s.mm.room?.roomId, 'r1');
  assert.deepEqual(ws.bare.at(-1), { type: 'leave', roomId: 'r2' });
  assert.equal(s.mmEvents(MatchmakingEvent.Matched).length, 1);
});

test('decline: decline_call, ended at once; a late not_found is absorbed', () => {
  const s = setup();
  const ws = ringingIn(s);
  s.friends.decline();
  assert.deepEqual(ws.bare, [{ type: 'decline_call', callId: 'c1' }]);
  assert.equal(s.friends.directCall, null);
  assert.deepEqual(s.friendsEvents(FriendsEvent.CallEnded), [
    { callId: 'c1', peer: bo, reason: 'declined', direction: 'incoming' },
  ]);
  s.friends.accept(); // nothing to accept any more
  assert.equal(ws.sent.length, 1);
  ws.answer('decline_call', { type: 'error', code: 'not_found', message: 'no such call' });
  assert.deepEqual(s.friendsEvents(FriendsEvent.Error), []);
  assert.deepEqual(s.mmEvents(MatchmakingEvent.Error), []);
});

test('incoming: the caller hangs up (call_ended cancelled); hangUp() does not touch an incoming call', () => {
  const s = setup();
  const ws = ringingIn(s);
  s.friends.hangUp();
  assert.equal(s.friends.directCall?.direction, 'incoming');
  assert.deepEqual(ws.sent, []);
  ws.receive({ type: 'call_ended', callId: 'c1', peer: bo, reason: 'cancelled' });
  assert.equal(s.friends.directCall, null);
  assert.deepEqual(s.friendsEvents(FriendsEvent.CallEnded), [
    { callId: 'c1', peer: bo, reason: 'cancelled', direction: 'incoming' },
  ]);
});

test("a ring the server never ends is dropped locally as no_answer after ringTimeoutMs (default: the protocol's plus a margin)", async () => {
  assert.ok(defaults.DEFAULT_RING_TIMEOUT_MS > RING_TIMEOUT_MS);
  assert.ok(defaults.DEFAULT_RING_TIMEOUT_MS <= RING_TIMEOUT_MS + 10_000);
  const s = setup({ ringTimeoutMs: 30 });
  const ws = ringingIn(s);
  await sleep(15);
  assert.notEqual(s.friends.directCall, null);
  await sleep(40);
  assert.equal(s.friends.directCall, null);
  assert.deepEqual(s.friendsEvents(FriendsEvent.CallEnded), [
    { callId: 'c1', peer: bo, reason: 'no_answer', direction: 'incoming' },
  ]);
  assert.deepEqual(ws.sent, []);

  // An outgoing call too; the server is told, in case it still has the ring.
  const t = setup({ ringTimeoutMs: 30 });
  const { ws: tws, id } = ringingOut(t);
  await sleep(50);
  assert.equal(t.friends.directCall, null);
  assert.deepEqual(t.friendsEvents(FriendsEvent.CallEnded), [
    { callId: id, peer: bo, reason: 'no_answer', direction: 'outgoing' },
  ]);
  assert.deepEqual(tws.bare.at(-1), { type: 'cancel_call', callId: id });
  tws.answer('cancel_call', { type: 'error', code: 'not_found', message: 'no such call' });
  assert.deepEqual(t.friendsEvents(FriendsEvent.Error), []);
});

test('the socket drops: the server ended the ring, so the call ends (outgoing: cancelled, incoming: offline); stale frames are ignored', async () => {
  const s = setup();
  const { ws, id } = ringingOut(s);
  ws.drop(1006);
  assert.equal(s.friends.directCall, null);
  assert.deepEqual(s.friendsEvents(FriendsEvent.CallEnded), [
    { callId: id, peer: bo, reason: 'cancelled', direction: 'outgoing' },
  ]);
  const next = await s.server.nextSocket(1);
  next.accept();
  next.receive({ type: 'call_ringing', callId: id, peer: bo, ref: ws.lastSent('call').ref });
  next.receive({ type: 'call_ended', callId: id, peer: bo, reason: 'cancelled' });
  assert.equal(s.friends.directCall, null);
  assert.equal(s.friendsEvents(FriendsEvent.CallEnded).length, 1);
  assert.deepEqual(next.sent, []);

  const t = setup();
  const tws = ringingIn(t);
  t.friends.accept();
  tws.drop(1006);
  assert.deepEqual(t.friendsEvents(FriendsEvent.CallEnded), [
    { callId: 'c1', peer: bo, reason: 'offline', direction: 'incoming' },
  ]);
});

test('closed by the app: the call is cleared without a CallEnded; closed for good otherwise: CallEnded', () => {
  const s = setup();
  ringingIn(s);
  s.socket.close();
  assert.equal(s.friends.directCall, null);
  assert.deepEqual(s.friendsEvents(FriendsEvent.DirectCall).at(-1), null);
  assert.deepEqual(s.friendsEvents(FriendsEvent.CallEnded), []);

  const t = setup();
  const { ws: tws, id } = ringingOut(t);
  tws.drop(4000); // replaced by another socket of the same user
  assert.deepEqual(t.friendsEvents(FriendsEvent.CallEnded), [
    { callId: id, peer: bo, reason: 'cancelled', direction: 'outgoing' },
  ]);
});

test('a call made before the socket is open goes out once it is; one made while reconnecting too', async () => {
  const s = setup();
  s.socket.connect();
  s.friends.call(bo);
  assert.equal(s.friends.directCall?.state, 'calling');
  assert.deepEqual(s.server.last.sent, []);
  s.server.last.accept();
  assert.deepEqual(s.server.last.bare, [{ type: 'call', userId: 'u2', callId: s.server.last.lastSent('call').callId }]);
  s.friends.hangUp();

  s.server.last.drop(1006);
  s.friends.call(cy);
  const next = await s.server.nextSocket(1);
  next.accept();
  assert.deepEqual(next.bare, [{ type: 'call', userId: 'u3', callId: next.lastSent('call').callId }]);
  assert.deepEqual(s.friendsEvents(FriendsEvent.CallEnded).length, 1, 'only the hang-up');
});

test('errors answering call: the call is over and Friends reports them; Matchmaking does not', () => {
  for (const code of ['not_friends', 'busy', 'bad_request'] as const) {
    const s = setup();
    const ws = s.open();
    s.mm.join(['music']);
    ws.answer('join', { type: 'queued', categories: ['music'] });
    s.friends.call(bo);
    ws.answer('call', { type: 'error', code, message: 'no' });
    assert.equal(s.friends.directCall, null, code);
    assert.deepEqual(s.friendsEvents(FriendsEvent.Error), [{ code, message: 'no' }], code);
    assert.deepEqual(s.friendsEvents(FriendsEvent.CallEnded), [], code);
    assert.deepEqual(s.friendsEvents(FriendsEvent.DirectCall).at(-1), null, code);
    assert.deepEqual(s.mmEvents(MatchmakingEvent.Error), [], code);
    assert.equal(s.mm.state, 'queued', `${code}: the queue entry stands`);
  }
});

test("errors answering Matchmaking's frames, or none, stay Matchmaking's", () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['music']);
  ws.answer('join', { type: 'error', code: 'busy', message: 'leave your room before joining again' });
  ws.receive({ type: 'error', code: 'rate_limited', message: 'slow down' });
  assert.deepEqual(s.mmEvents(MatchmakingEvent.Error), [
    { code: 'busy', message: 'leave your room before joining again' },
    { code: 'rate_limited', message: 'slow down' },
  ]);
  assert.deepEqual(s.friendsEvents(FriendsEvent.Error), []);
  assert.equal(s.mm.state, 'idle', 'the refused join ended queued');
  // While a call rings, a refused join is still the join's.
  s.friends.call(bo);
  ws.answer('call', { type: 'call_ringing', callId: ws.lastSent('call').callId, peer: bo });
  s.mm.join(['music']);
  ws.answer('join', { type: 'error', code: 'busy', message: 'again' });
  assert.equal(s.mmEvents(MatchmakingEvent.Error).length, 3);
  assert.equal(s.friends.directCall?.state, 'ringing');
});

test('accept that comes too late: not_found ends the call as an Error; after call_ended it is absorbed', () => {
  const s = setup();
  const ws = ringingIn(s);
  s.friends.accept();
  ws.answer('accept_call', { type: 'error', code: 'not_found', message: 'no such call' });
  assert.equal(s.friends.directCall, null);
  assert.deepEqual(s.friendsEvents(FriendsEvent.Error), [{ code: 'not_found', message: 'no such call' }]);
  assert.deepEqual(s.mmEvents(MatchmakingEvent.Error), []);

  const t = setup();
  const tws = ringingIn(t);
  t.friends.accept();
  tws.receive({ type: 'call_ended', callId: 'c1', peer: bo, reason: 'cancelled' });
  tws.answer('accept_call', { type: 'error', code: 'not_found', message: 'no such call' });
  assert.deepEqual(t.friendsEvents(FriendsEvent.CallEnded), [
    { callId: 'c1', peer: bo, reason: 'cancelled', direction: 'incoming' },
  ]);
  assert.deepEqual(t.friendsEvents(FriendsEvent.Error), []);
});

test('hung up as the friend accepted: the room that crossed the cancel is left at once, never announced', () => {
  const s = setup();
  const { ws, id } = ringingOut(s);
  s.friends.hangUp();
  ws.receive(directRoom('r1', true, id));
  ws.answer('cancel_call', { type: 'error', code: 'not_found', message: 'no such call' });
  assert.deepEqual(ws.bare.slice(-2), [
    { type: 'cancel_call', callId: id },
    { type: 'leave', roomId: 'r1' },
  ]);
  ws.answer('leave', { type: 'left', roomId: 'r1' });
  assert.equal(s.mm.state, 'idle');
  assert.deepEqual(s.mmEvents(MatchmakingEvent.Matched), []);
  assert.deepEqual(s.mmEvents(MatchmakingEvent.Left), []);
  assert.deepEqual(s.friendsEvents(FriendsEvent.Error), []);
  // Bo calls back: that room is wanted.
  ws.receive({ type: 'incoming_call', callId: 'c2', peer: bo });
  s.friends.accept();
  ws.receive(directRoom('r2', false, 'c2'));
  assert.equal(s.mm.room?.roomId, 'r2');
});

test('the queue matches the user while a call rings: the friend is told, the call clears without CallEnded', () => {
  const queueMatch = {
    type: 'matched',
    roomId: 'r1',
    peer: cy,
    category: 'music',
    initiator: true,
    resumed: false,
    iceTransportPolicy: 'relay',
  };
  const s = setup();
  const { ws, id } = ringingOut(s);
  s.mm.join(['music']);
  ws.receive(queueMatch);
  assert.equal(s.mm.room?.roomId, 'r1');
  assert.equal(s.friends.directCall, null);
  assert.deepEqual(ws.bare.at(-1), { type: 'cancel_call', callId: id });
  assert.deepEqual(s.friendsEvents(FriendsEvent.CallEnded), []);

  const t = setup();
  const tws = ringingIn(t);
  t.mm.join(['music']);
  tws.receive(queueMatch);
  assert.equal(t.friends.directCall, null);
  assert.deepEqual(tws.bare.at(-1), { type: 'decline_call', callId: 'c1' });
  assert.deepEqual(t.friendsEvents(FriendsEvent.CallEnded), []);
});

test('both call each other at once: the incoming call takes the place of ours, whose busy answer is absorbed', () => {
  const s = setup();
  const ws = s.open();
  s.friends.call(bo);
  // The server rang us first (Bo's call), then refused ours: one ring per user.
  ws.receive({ type: 'incoming_call', callId: 'c7', peer: bo });
  ws.answer('call', { type: 'error', code: 'busy', message: 'you are in a call' });
  assert.deepEqual(s.friends.directCall, { callId: 'c7', direction: 'incoming', peer: bo, state: 'ringing' });
  assert.deepEqual(s.friendsEvents(FriendsEvent.Error), []);
  assert.deepEqual(s.friendsEvents(FriendsEvent.CallEnded), []);
  assert.deepEqual(s.mmEvents(MatchmakingEvent.Error), []);
  s.friends.accept();
  ws.receive(directRoom('r1', false, 'c7'));
  assert.equal(s.mm.state, 'matched');
  assert.equal(s.mm.room?.peer.id, 'u2');
});

test("friend frames right after a reconnect's welcome do not end the room's resume", async () => {
  const s = setup();
  const ws = s.open();
  s.mm.join(['music']);
  ws.receive({
    type: 'matched',
    roomId: 'r1',
    peer: cy,
    category: 'music',
    initiator: true,
    resumed: false,
    iceTransportPolicy: 'relay',
  });
  ws.drop(1006);
  const next = await s.server.nextSocket(1);
  next.accept();
  next.receive({ type: 'presence', userId: 'u2', presence: 'online' });
  next.receive({
    type: 'matched',
    roomId: 'r1',
    peer: cy,
    category: 'music',
    initiator: true,
    resumed: true,
    iceTransportPolicy: 'relay',
  });
  assert.deepEqual(s.mmEvents(MatchmakingEvent.RoomLost), []);
  assert.deepEqual(s.mmEvents(MatchmakingEvent.Matched).at(-1), {
    roomId: 'r1',
    peer: { ...cy, bio: '' },
    category: 'music',
    direct: false,
    initiator: true,
    resumed: true,
    rejoined: false,
    iceTransportPolicy: 'relay',
  });
});

test("queued with a widened search, the room of the friend ringing is the direct call; a stranger's is the widened match", () => {
  for (const who of ['friend', 'stranger'] as const) {
    const s = setup();
    const ws = ringingIn(s);
    s.mm.join(['music'], { anyone: true });
    ws.answer('join', { type: 'queued', categories: ['music'] });
    ws.receive({ type: 'widened' });
    if (who === 'friend') s.friends.accept();
    // The friend's room names the call; the widened match with a stranger names none.
    ws.receive(
      who === 'friend' ? directRoom('r1', true, 'c1') : { ...directRoom('r1', true, 'unused', cy), callId: undefined },
    );
    assert.equal(s.mm.state, 'matched', who);
    assert.equal(s.mm.room?.direct, who === 'friend', who);
    assert.equal(s.friends.directCall, null, who);
    // The stranger's room ends Bo's ring: this user is in a room now.
    assert.deepEqual(
      ws.bare.filter((f) => f.type === 'decline_call'),
      who === 'friend' ? [] : [{ type: 'decline_call', callId: 'c1' }],
      who,
    );
  }
});

test("a friend's call answered from a search with anyone (the search cancelled as the app leaves it): its room is the direct call, not refused as a widened match crossing the cancel", () => {
  const s = setup();
  const ws = ringingIn(s);
  s.mm.join(['music'], { anyone: true });
  ws.answer('join', { type: 'queued', categories: ['music'] });
  s.friends.accept();
  s.mm.cancel();
  ws.receive(directRoom('r1', false, 'c1'));
  assert.equal(s.mm.state, 'matched');
  assert.equal(s.mm.room?.direct, true);
  assert.deepEqual(ws.sentOfType('leave'), []);
});
