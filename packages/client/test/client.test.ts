import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  MatchmakingEvent,
  SmallTalkClient,
  SmallTalkError,
  SocketEvent,
  type IceConfig,
  type SmallTalkClientOptions,
} from '../src/index.js';
import { FakeServer, sleep } from './fake-websocket.js';
import { FakePeerConnection, fakeMedia, fakeWebRtc } from './fake-webrtc.js';

const clients: SmallTalkClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

function setup(options: Partial<SmallTalkClientOptions> = {}) {
  const server = new FakeServer();
  const client = new SmallTalkClient({
    url: 'ws://t/ws',
    createWebSocket: server.createWebSocket,
    reconnectPolicy: () => 1,
    resumeWaitMs: 20,
    ...options,
  });
  clients.push(client);
  client.connect();
  server.last.accept();
  const ws = server.last;
  const match = (roomId: string, initiator: boolean, iceTransportPolicy: 'all' | 'relay' = 'all') => {
    client.matchmaking.join(['music']);
    ws.receive({
      type: 'matched',
      roomId,
      peer: { id: 'u2', displayName: 'Bo' },
      category: 'music',
      initiator,
      resumed: false,
      iceTransportPolicy,
    });
  };
  const callOptions = { webrtc: fakeWebRtc, localStream: fakeMedia('me'), statsIntervalMs: 0 };
  return { server, client, ws, match, callOptions };
}

test('createCall: polite unless initiator, signaling bound to the room; no room, no call', async () => {
  const s = setup();
  await assert.rejects(
    s.client.createCall(s.callOptions),
    (e: unknown) => e instanceof SmallTalkError && e.code === 'not_in_room',
  );
  s.match('r1', true);
  const call = await s.client.createCall(s.callOptions);
  assert.equal(call.polite, false);
  assert.equal(s.client.call, call);
  // The initiator's offer goes out as a signal frame of the room.
  const deadline = Date.now() + 1000;
  while (!s.ws.sentOfType('signal').length && Date.now() < deadline) await sleep(2);
  const [signal] = s.ws.sentOfType('signal');
  assert.equal(signal?.roomId, 'r1');
  assert.equal((signal?.data as { description: { type: string } }).description.type, 'offer');
});

test('the call is closed when the room ends by next() or the peer leaving', async () => {
  const s = setup();
  s.match('r1', false);
  const first = await s.client.createCall(s.callOptions);
  assert.equal(first.polite, true);
  s.client.matchmaking.next();
  assert.equal(first.state, 'closed');
  assert.equal(s.client.call, null);

  s.ws.receive({
    type: 'matched',
    roomId: 'r2',
    peer: { id: 'u3', displayName: 'Cy' },
    category: 'music',
    initiator: true,
    resumed: false,
    iceTransportPolicy: 'all',
  });
  const second = await s.client.createCall(s.callOptions);
  s.ws.receive({ type: 'peer_left', roomId: 'r2', reason: 'left' });
  assert.equal(second.state, 'closed');
  assert.equal((second.peerConnection as unknown as FakePeerConnection).connectionState, 'closed');
});

test('a lost room leaves the call to the app (its media may still flow peer to peer)', async () => {
  const s = setup();
  s.match('r1', true);
  const call = await s.client.createCall(s.callOptions);
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

/** GET /api/ice as a provider: answers after `delayMs`, counting the calls. */
function iceServer(answer: IceConfig | Error, delayMs = 5) {
  const fetched: number[] = [];
  const provider = async (): Promise<IceConfig> => {
    fetched.push(Date.now());
    await sleep(delayMs);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { provider, fetched };
}

const RELAY: IceConfig = {
  iceServers: [
    {
      urls: ['turn:turn.example:3478?transport=udp'],
      username: '1777921331:u1',
      credential: 'acLaqDj2RKbMxuNIeCadbQalnBo=',
    },
  ],
  iceTransportPolicy: 'relay',
  ttl: 3600,
};

test("createCall fetches the ICE servers before each call and gives them, with the room's policy, to the peer connection", async () => {
  const ice = iceServer(RELAY);
  const s = setup({ iceServersProvider: ice.provider });
  s.match('r1', true, 'relay');
  const first = await s.client.createCall(s.callOptions);
  assert.equal(ice.fetched.length, 1);
  assert.deepEqual((first.peerConnection as unknown as FakePeerConnection).config, {
    iceServers: RELAY.iceServers,
    iceTransportPolicy: 'relay',
  });

  s.client.matchmaking.next();
  s.ws.receive({
    type: 'matched',
    roomId: 'r2',
    peer: { id: 'u3', displayName: 'Cy' },
    category: 'music',
    initiator: false,
    resumed: false,
    iceTransportPolicy: 'relay',
  });
  await s.client.createCall(s.callOptions);
  assert.equal(ice.fetched.length, 2, 'fetched again for the next call: credentials are short-lived');
});

test("the room's policy overrides GET /api/ice's default both ways; the app may only make it stricter", async () => {
  // A stranger's room is relay although the process-wide default is all.
  const open = setup({ iceServersProvider: iceServer({ ...RELAY, iceTransportPolicy: 'all' }).provider });
  open.match('r1', true, 'relay');
  const stranger = await open.client.createCall(open.callOptions);
  assert.equal((stranger.peerConnection as unknown as FakePeerConnection).config.iceTransportPolicy, 'relay');

  // A friend's direct call (category null, naming the call) is all although the default is relay.
  const strict = setup({ iceServersProvider: iceServer(RELAY).provider });
  strict.ws.receive({ type: 'incoming_call', callId: 'c1', peer: { id: 'u3', displayName: 'Cy', languages: [] } });
  strict.client.friends.accept();
  strict.ws.receive({
    type: 'matched',
    roomId: 'r2',
    peer: { id: 'u3', displayName: 'Cy' },
    category: null,
    initiator: true,
    resumed: false,
    iceTransportPolicy: 'all',
    callId: 'c1',
  });
  const friend = await strict.client.createCall(strict.callOptions);
  assert.equal((friend.peerConnection as unknown as FakePeerConnection).config.iceTransportPolicy, 'all');
  const forced = await strict.client.createCall({ ...strict.callOptions, iceTransportPolicy: 'relay' });
  assert.equal((forced.peerConnection as unknown as FakePeerConnection).config.iceTransportPolicy, 'relay');

  // An app's `all` never loosens a relay room.
  const loose = setup();
  loose.match('r3', true, 'relay');
  const call = await loose.client.createCall({ ...loose.callOptions, iceTransportPolicy: 'all' });
  assert.equal((call.peerConnection as unknown as FakePeerConnection).config.iceTransportPolicy, 'relay');
});

test("the peer's offer, arriving while the ICE servers are fetched, waits for the call", async () => {
  const ice = iceServer(RELAY, 30);
  const s = setup({ iceServersProvider: ice.provider });
  s.match('r1', false);
  const pending = s.client.createCall(s.callOptions);
  s.ws.receive({
    type: 'signal',
    roomId: 'r1',
    from: 'u2',
    data: {
      description: { type: 'offer', sdp: JSON.stringify({ pc: 0, ufrag: 'peer', kinds: ['audio'], tracks: [] }) },
    },
  });
  const call = await pending;
  const pc = call.peerConnection as unknown as FakePeerConnection;
  const deadline = Date.now() + 1000;
  while (!pc.log.some((line) => line.startsWith('done SRD offer')) && Date.now() < deadline) await sleep(2);
  assert.ok(
    pc.log.some((line) => line.startsWith('done SRD offer')),
    pc.log.join('\n'),
  );
});

test('given iceServers, createCall does not fetch', async () => {
  const ice = iceServer(RELAY);
  const s = setup({ iceServersProvider: ice.provider });
  s.match('r1', true);
  const call = await s.client.createCall({ ...s.callOptions, iceServers: [{ urls: 'stun:stun.example' }] });
  assert.equal(ice.fetched.length, 0);
  assert.deepEqual((call.peerConnection as unknown as FakePeerConnection).config, {
    iceServers: [{ urls: 'stun:stun.example' }],
    iceTransportPolicy: 'all',
  });
});

test('a room that ends while the ICE servers are fetched gets no call (not_in_room)', async () => {
  const ice = iceServer(RELAY, 30);
  const s = setup({ iceServersProvider: ice.provider });
  s.match('r1', true);
  const before = FakePeerConnection.instances.length;
  const pending = s.client.createCall(s.callOptions);
  s.ws.receive({ type: 'peer_left', roomId: 'r1', reason: 'left' });
  await assert.rejects(pending, (e: unknown) => e instanceof SmallTalkError && e.code === 'not_in_room');
  assert.equal(FakePeerConnection.instances.length, before);
  assert.equal(s.client.call, null);
});

test('a failed fetch of the ICE servers fails createCall; no call falls back to other settings', async () => {
  const s = setup({ iceServersProvider: iceServer(new Error('offline')).provider });
  s.match('r1', true);
  const before = FakePeerConnection.instances.length;
  await assert.rejects(s.client.createCall(s.callOptions), /offline/);
  assert.equal(FakePeerConnection.instances.length, before);
  assert.equal(s.client.call, null);
});

test('a restricted frame: the own user gains the restriction, the room is lost, the call ends, the queue is left', async () => {
  const s = setup();
  const users: Array<{ restriction: unknown }> = [];
  s.client.socket.on(SocketEvent.User, (user) => users.push(user));
  const lost: string[] = [];
  s.client.matchmaking.on(MatchmakingEvent.RoomLost, ({ roomId }) => lost.push(roomId));
  s.match('r1', true);
  const call = await s.client.createCall(s.callOptions);
  const restriction = {
    id: 'x1',
    kind: 'suspended' as const,
    reason: 'Several people reported you.',
    until: null,
    automated: true,
    appealable: true,
  };
  s.ws.receive({ type: 'restricted', restriction });
  assert.equal(call.state, 'closed');
  assert.equal(s.client.call, null);
  assert.deepEqual(lost, ['r1']);
  assert.equal(s.client.matchmaking.state, 'idle');
  assert.deepEqual(s.client.socket.user?.restriction, restriction);
  assert.deepEqual(users.at(-1)?.restriction, restriction);
  // The server's `left` for that room, if it comes, is old news.
  s.ws.receive({ type: 'left', roomId: 'r1' });
  assert.equal(s.client.matchmaking.state, 'idle');
});

test('a join refused by the age and rules gate leaves the user out of the queue, and the app is told why', () => {
  for (const code of ['consent_required', 'restricted'] as const) {
    const s = setup();
    const errors: string[] = [];
    s.client.matchmaking.on(MatchmakingEvent.Error, (error) => errors.push(error.code));
    s.client.matchmaking.join(['music']);
    assert.equal(s.client.matchmaking.state, 'queued');
    s.ws.answer('join', { type: 'error', code, message: 'no' });
    assert.equal(s.client.matchmaking.state, 'idle');
    assert.deepEqual(errors, [code]);
  }
});

test('a page reloaded mid-call: the room the server gives back after welcome is rejoined, and its call asks the peer to start afresh before its offer', async () => {
  const s = setup();
  const events: Array<{ resumed: boolean; rejoined: boolean }> = [];
  s.client.matchmaking.on(MatchmakingEvent.Matched, ({ resumed, rejoined }) => events.push({ resumed, rejoined }));
  // A fresh page (setup's socket got its welcome): nothing joined, and the server gives the room back.
  s.ws.receive({
    type: 'matched',
    roomId: 'r9',
    peer: { id: 'u2', displayName: 'Bo' },
    category: 'music',
    initiator: true,
    resumed: true,
    iceTransportPolicy: 'all',
  });
  assert.deepEqual(events, [{ resumed: false, rejoined: true }]);
  assert.equal(s.client.matchmaking.state, 'matched');
  assert.equal(s.client.matchmaking.rejoined, true);
  assert.equal(s.client.matchmaking.room?.peer.displayName, 'Bo');

  await s.client.createCall(s.callOptions);
  const deadline = Date.now() + 1000;
  while (s.ws.sentOfType('signal').length < 2 && Date.now() < deadline) await sleep(2);
  const [first, second] = s.ws.sentOfType('signal').map((frame) => frame.data as Record<string, unknown>);
  assert.equal(typeof first?.reset, 'string');
  assert.equal((second?.description as { type: string } | undefined)?.type, 'offer');

  // A room matched on this page is not rejoined: its call sends no reset.
  s.client.matchmaking.leave();
  assert.equal(s.client.matchmaking.rejoined, false);
  s.match('r10', true);
  assert.deepEqual(events.at(-1), { resumed: false, rejoined: false });
  const before = s.ws.sentOfType('signal').length;
  await s.client.createCall(s.callOptions);
  const until = Date.now() + 1000;
  while (s.ws.sentOfType('signal').length === before && Date.now() < until) await sleep(2);
  assert.ok(
    s.ws
      .sentOfType('signal')
      .slice(before)
      .every((frame) => !('reset' in (frame.data as object))),
  );
});
