import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import WebSocket from 'ws';
import type { ClientMessage } from '@small-talk/protocol';
import {
  FriendsEvent,
  MatchmakingEvent,
  SmallTalkClient,
  SocketEvent,
  type DirectCall,
  type Matched,
} from '@small-talk/client';
import { api, guest, startServer, type TestServer } from './harness.js';

/**
 * The SDK's requests against a real server: every request carries a ref the server echoes, a
 * direct call carries the id the SDK chose, and the SDK tells answers apart by those alone.
 */

let server: TestServer;
before(async () => {
  server = await startServer({ RESUME_GRACE_MS: '2000' });
});
after(() => server.close());

const clients: SmallTalkClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

/** A connected SDK client whose every sent frame is recorded. */
async function sdkUser(name: string) {
  const auth = await guest(server.url, name);
  const sent: ClientMessage[] = [];
  const sockets: WebSocket[] = [];
  const client = new SmallTalkClient({
    url: server.wsUrl,
    token: auth.token,
    createWebSocket: (url, token) => {
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
      sockets.push(ws);
      const send = ws.send.bind(ws);
      ws.send = ((data: string) => {
        sent.push(JSON.parse(data) as ClientMessage);
        send(data);
      }) as typeof ws.send;
      return ws;
    },
  });
  clients.push(client);
  const opened = new Promise<void>((resolve) => client.socket.once(SocketEvent.State, () => resolve()));
  client.connect();
  await opened;
  /** The current WebSocket: pause() holds what the server sends until resume(), as a slow network would. */
  return { auth, client, sent, ws: () => sockets.at(-1)! };
}

function next<T>(subscribe: (listener: (value: T) => void) => () => void, what: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const off = subscribe((value) => {
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

const matched = (user: { client: SmallTalkClient }) =>
  next<Matched>((l) => user.client.matchmaking.on(MatchmakingEvent.Matched, l), 'matched');

/** Ada and Bo met in a room, left it, and became friends. */
async function friends() {
  const ada = await sdkUser('Ada');
  const bo = await sdkUser('Bo');
  const rooms = Promise.all([matched(ada), matched(bo)]);
  ada.client.matchmaking.join(['music']);
  bo.client.matchmaking.join(['music']);
  const [room] = await rooms;
  const peerLeft = next((l) => bo.client.matchmaking.on(MatchmakingEvent.PeerLeft, l), 'peer_left');
  ada.client.matchmaking.leave();
  await peerLeft;
  const request = await api(server.url, 'POST', '/api/friends/requests', {
    token: ada.auth.token,
    body: { userId: bo.auth.user.id },
  });
  assert.equal(request.status, 201);
  const accepted = await api(server.url, 'POST', `/api/friends/requests/${request.body.request.id}/accept`, {
    token: bo.auth.token,
  });
  assert.equal(accepted.status, 200);
  return { ada, bo, firstRoomId: room.roomId };
}

test('every request the SDK sends names itself, and the room of a call names the call the SDK chose', async () => {
  const { ada, bo } = await friends();
  const refs = [...ada.sent, ...bo.sent].filter((f) => f.type !== 'signal').map((f) => f.ref);
  assert.ok(
    refs.length >= 3 && refs.every((ref) => typeof ref === 'string' && ref.length > 0),
    'join and leave carry refs',
  );
  assert.equal(new Set(ada.sent.map((f) => f.ref)).size, ada.sent.length, 'never the same ref twice');

  const ringing = next<DirectCall | null>(
    (l) => ada.client.friends.on(FriendsEvent.DirectCall, (call) => call?.state === 'ringing' && l(call)),
    'ringing',
  );
  const incoming = next<DirectCall | null>((l) => bo.client.friends.on(FriendsEvent.DirectCall, l), 'incoming call');
  ada.client.friends.call({ id: bo.auth.user.id, displayName: 'Bo', languages: [] });
  const call = ada.sent.find((f): f is Extract<ClientMessage, { type: 'call' }> => f.type === 'call')!;
  assert.ok(call.callId, 'the SDK names the ring');
  assert.equal((await ringing)?.callId, call.callId, 'the server rings it by that name');
  assert.equal((await incoming)?.callId, call.callId, 'on both sides');
  const rooms = Promise.all([matched(ada), matched(bo)]);
  bo.client.friends.accept();
  const [a, b] = await rooms;
  assert.equal(a.roomId, b.roomId);
  assert.deepEqual([a.direct, b.direct, a.initiator], [true, true, true]);
});

test('hung up just as the friend accepts: the room that crossed the hang-up is left at once, never announced to the caller', async () => {
  const { ada, bo } = await friends();
  const announced: Matched[] = [];
  ada.client.matchmaking.on(MatchmakingEvent.Matched, (m) => announced.push(m));
  const incoming = next<DirectCall | null>((l) => bo.client.friends.on(FriendsEvent.DirectCall, l), 'incoming call');
  ada.client.friends.call({ id: bo.auth.user.id, displayName: 'Bo', languages: [] });
  await incoming;
  const boRoom = matched(bo);
  const boPeerLeft = next((l) => bo.client.matchmaking.on(MatchmakingEvent.PeerLeft, l), 'peer_left');
  // Bo's accept reaches the server before Ada's hang-up, and the room's matched reaches Ada after
  // she hung up: the two cross on the wire. The server answers her cancel_call not_found.
  ada.ws().pause();
  bo.client.friends.accept();
  await boRoom;
  ada.client.friends.hangUp();
  await new Promise((resolve) => setTimeout(resolve, 100));
  ada.ws().resume();
  await boPeerLeft;
  assert.equal(ada.client.matchmaking.state, 'idle');
  assert.equal(ada.client.matchmaking.room, null);
  assert.deepEqual(announced, [], 'never announced');
  assert.ok(
    ada.sent.some((f) => f.type === 'leave'),
    'the room was left',
  );
  // Nothing of it reached Ada's app as an error: the cancel's not_found answered a call she had ended.
  const errors: unknown[] = [];
  ada.client.friends.on(FriendsEvent.Error, (e) => errors.push(e));
  ada.client.matchmaking.on(MatchmakingEvent.Error, (e) => errors.push(e));
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(errors, []);
});

test('a refused join and a refused call on the wire together: each error reaches the part that sent the frame', async () => {
  const { ada } = await friends();
  const cy = await sdkUser('Cy');
  const mmErrors: string[] = [];
  const friendErrors: string[] = [];
  ada.client.matchmaking.on(MatchmakingEvent.Error, (e) => mmErrors.push(e.code));
  ada.client.friends.on(FriendsEvent.Error, (e) => friendErrors.push(e.code));
  const both = Promise.all([
    next((l) => ada.client.matchmaking.on(MatchmakingEvent.Error, l), 'join error'),
    next((l) => ada.client.friends.on(FriendsEvent.Error, l), 'call error'),
  ]);
  ada.client.matchmaking.join(['no-such-category']);
  ada.client.friends.call({ id: cy.auth.user.id, displayName: 'Cy', languages: [] }); // not a friend
  await both;
  assert.deepEqual(mmErrors, ['unknown_category']);
  assert.deepEqual(friendErrors, ['not_friends']);
  assert.equal(ada.client.matchmaking.state, 'idle');
  assert.equal(ada.client.friends.directCall, null);
});
