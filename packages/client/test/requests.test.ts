import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Friends, FriendsEvent, Matchmaking, MatchmakingEvent, Socket } from '../src/index.js';
import { Requests, type Answer } from '../src/socket/requests.js';
import { FakeServer } from './fake-websocket.js';

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

function open() {
  const server = new FakeServer();
  const socket = new Socket({ url: 'ws://test/ws', createWebSocket: server.createWebSocket, reconnectPolicy: () => 1 });
  sockets.push(socket);
  socket.connect();
  server.last.accept();
  return { server, socket, ws: server.last };
}

test('each request gets a ref of its own, prefixed by the part that sent it, and its answer goes to it alone', () => {
  const { socket, ws } = open();
  const a = new Requests(socket, 'm');
  const b = new Requests(socket, 'f');
  const answers: Array<[string, Answer | null]> = [];
  a.send({ type: 'join', categories: ['music'] }, (answer) => answers.push(['a1', answer]));
  a.send({ type: 'cancel' }, (answer) => answers.push(['a2', answer]));
  b.send({ type: 'call', userId: 'u2', callId: 'c1' }, (answer) => answers.push(['b1', answer]));
  assert.deepEqual(
    ws.sent.map((frame) => frame.ref),
    ['m1', 'm2', 'f1'],
  );
  // Answers come back in any order: each is matched by its ref, not by its place or its type.
  ws.receive({ type: 'error', code: 'not_friends', message: 'no', ref: 'f1' });
  ws.receive({ type: 'cancelled', ref: 'm2' });
  ws.receive({ type: 'queued', categories: ['music'], ref: 'm1' });
  ws.receive({ type: 'queued', categories: ['music'], ref: 'm1' }); // answered already: nobody's
  ws.receive({ type: 'queued', categories: ['music'] }); // no ref: no request's
  assert.deepEqual(answers, [
    ['b1', { type: 'error', code: 'not_friends', message: 'no', ref: 'f1' }],
    ['a2', { type: 'cancelled', ref: 'm2' }],
    ['a1', { type: 'queued', categories: ['music'], ref: 'm1' }],
  ]);
});

test('no answer will come once the socket is not open: the request hears null, at send or at the drop', () => {
  const { socket, ws } = open();
  const requests = new Requests(socket, 'm');
  const answers: Array<Answer | null> = [];
  requests.send({ type: 'join', categories: ['music'] }, (answer) => answers.push(answer));
  ws.drop(1006);
  assert.deepEqual([...answers], [null]);
  requests.send({ type: 'cancel' }, (answer) => answers.push(answer));
  assert.deepEqual(answers, [null, null], 'not sent: not open');
});

test("an error answering Friends' call is never Matchmaking's, and one answering a join never Friends', whatever its code", () => {
  const { socket, ws } = open();
  const friends = new Friends(socket);
  const mm = new Matchmaking(socket, { acceptsCall: (callId) => friends.acceptsCall(callId) });
  const errors: string[] = [];
  friends.on(FriendsEvent.Error, (e) => errors.push(`friends:${e.code}`));
  mm.on(MatchmakingEvent.Error, (e) => errors.push(`mm:${e.code}`));
  mm.join(['music']);
  friends.call({ id: 'u2', displayName: 'Bo', languages: [] });
  // Both refused with the same code, the call's first: only the refs tell them apart.
  ws.answer('call', { type: 'error', code: 'busy', message: 'in a call' });
  ws.answer('join', { type: 'error', code: 'busy', message: 'in a room' });
  assert.deepEqual(errors, ['friends:busy', 'mm:busy']);
  assert.equal(mm.state, 'idle');
  assert.equal(friends.directCall, null);
});

test('callId: the SDK names each ring anew, and takes only the room of the call it made or accepted', () => {
  const { socket, ws } = open();
  const friends = new Friends(socket);
  const mm = new Matchmaking(socket, { acceptsCall: (callId) => friends.acceptsCall(callId) });
  const bo = { id: 'u2', displayName: 'Bo', languages: [] };
  friends.call(bo);
  const first = ws.lastSent('call').callId!;
  friends.hangUp();
  const room = (roomId: string, callId: string) => ({
    type: 'matched',
    roomId,
    peer: { ...bo, bio: '' },
    category: null,
    initiator: true,
    resumed: false,
    iceTransportPolicy: 'all',
    callId,
  });
  // Bo accepted the call as it was hung up (the frames crossed): not wanted, left at once.
  ws.receive(room('r1', first));
  assert.equal(mm.state, 'idle');
  assert.deepEqual(ws.bare.at(-1), { type: 'leave', roomId: 'r1' });
  ws.answer('leave', { type: 'left', roomId: 'r1' });
  // A new call, a new id; its room is the one.
  friends.call(bo);
  const second = ws.lastSent('call').callId!;
  assert.notEqual(first, second);
  ws.answer('call', { type: 'call_ringing', callId: second, peer: bo });
  ws.receive(room('r2', second));
  assert.equal(mm.room?.roomId, 'r2');
  assert.equal(mm.room?.direct, true);
});
