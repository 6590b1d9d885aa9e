import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { MatchmakingEvent, SmallTalkClient, SmallTalkError } from '../src/index.js';
import { FakeServer, sleep } from './fake-websocket.js';
import { FakePeerConnection, fakeMedia, fakeWebRtc } from './fake-webrtc.js';

const clients: SmallTalkClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

function setup() {
  const server = new FakeServer();
  const client = new SmallTalkClient({ url: 'ws://t/ws', createWebSocket: server.createWebSocket, reconnectPolicy: () => 1, resumeWaitMs: 20 });
  clients.push(client);
  client.connect();
  server.last.accept();
  const ws = server.last;
  const match = (roomId: string, initiator: boolean) => {
    client.matchmaking.join(['music']);
    ws.receive({ type: 'matched', roomId, peer: { id: 'u2', displayName: 'Bo' }, category: 'music', initiator, resumed: false });
  };
  const callOptions = { webrtc: fakeWebRtc, localStream: fakeMedia('me'), statsIntervalMs: 0 };
  return { server, client, ws, match, callOptions };
}

test('createCall: polite unless initiator, signaling bound to the room; no room, no call', async () => {
  const s = setup();
  assert.throws(() => s.client.createCall(s.callOptions), (e: unknown) => e instanceof SmallTalkError && e.code === 'not_in_room');
  s.match('r1', true);
  const call = s.client.createCall(s.callOptions);
  assert.equal(call.polite, false);
  assert.equal(s.client.call, call);
  // The initiator's offer goes out as a signal frame of the room.
  const deadline = Date.now() + 1000;
  while (!s.ws.sentOfType('signal').length && Date.now() < deadline) await sleep(2);
  const [signal] = s.ws.sentOfType('signal');
  assert.equal(signal?.roomId, 'r1');
  assert.equal((signal?.data as { description: { type: string } }).description.type, 'offer');
});

test('the call is closed when the room ends by next() or the peer leaving', () => {
  const s = setup();
  s.match('r1', false);
  const first = s.client.createCall(s.callOptions);
  assert.equal(first.polite, true);
  s.client.matchmaking.next();
  assert.equal(first.state, 'closed');
  assert.equal(s.client.call, null);

  s.ws.receive({ type: 'matched', roomId: 'r2', peer: { id: 'u3', displayName: 'Cy' }, category: 'music', initiator: true, resumed: false });
  const second = s.client.createCall(s.callOptions);
  s.ws.receive({ type: 'peer_left', roomId: 'r2', reason: 'left' });
  assert.equal(second.state, 'closed');
  assert.equal((second.peerConnection as unknown as FakePeerConnection).connectionState, 'closed');
});

test('a lost room leaves the call to the app (its media may still flow peer to peer)', async () => {
  const s = setup();
  s.match('r1', true);
  const call = s.client.createCall(s.callOptions);
  let lost = false;
  s.client.matchmaking.on(MatchmakingEvent.RoomLost, () => (lost = true));
  s.ws.drop(1006);
  (await s.server.nextSocket(1)).accept(); // welcome, and no matched: the server lost the room
  await sleep(40);
  assert.ok(lost);
  assert.notEqual(call.state, 'closed');
  assert.equal(s.client.call, call);
  s.client.close();
  assert.equal(call.state, 'closed');
});
