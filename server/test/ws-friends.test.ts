import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  acquaintances,
  api,
  befriend,
  closeAndSettle,
  connect,
  serverSocketsOpen,
  pair,
  sample,
  scrape,
  startServer,
  user,
  waitFor,
  type Client,
  type TestServer,
} from './harness.js';

/**
 * Friends over the socket: presence told live, and direct calls (ring, answer, decline, busy,
 * no answer) that become rooms like matched ones.
 */

const RING_MS = 1500;
let server: TestServer;
before(async () => {
  server = await startServer({ RING_TIMEOUT_MS: String(RING_MS), RESUME_GRACE_MS: '2000' });
});
after(() => server.close());

let opened: Client[] = [];
afterEach(async () => {
  await closeAndSettle(server, opened);
  opened = [];
});

/** Ada and Bo, friends, both online and in no room. */
async function friends() {
  const p = await acquaintances(server);
  opened.push(p.a.socket, p.b.socket);
  await befriend(p.a, server, p.b);
  return { ada: p.a, bo: p.b };
}

type Person = Awaited<ReturnType<typeof user>>;

const peer = (u: { auth: { user: { id: string; displayName: string } } }) => ({
  id: u.auth.user.id,
  displayName: u.auth.user.displayName,
  languages: [],
});

describe('presence, live', () => {
  test('a friend sees in_call when a room starts, online when it ends, offline when the socket goes, online when it is back', async () => {
    const { ada, bo } = await friends();
    const cy = await user(server, 'Cy');
    opened.push(cy.socket);
    bo.socket.send({ type: 'join', categories: ['books'] });
    cy.socket.send({ type: 'join', categories: ['books'] });
    const { roomId } = await bo.socket.next('matched');
    assert.deepEqual(await ada.socket.next('presence'), {
      type: 'presence',
      userId: bo.auth.user.id,
      presence: 'in_call',
    });
    bo.socket.send({ type: 'leave', roomId });
    assert.deepEqual(await ada.socket.next('presence'), {
      type: 'presence',
      userId: bo.auth.user.id,
      presence: 'online',
    });
    await bo.socket.close();
    assert.deepEqual(await ada.socket.next('presence'), {
      type: 'presence',
      userId: bo.auth.user.id,
      presence: 'offline',
    });
    const back = await connect(server, bo.auth.token);
    opened.push(back);
    assert.deepEqual(await ada.socket.next('presence'), {
      type: 'presence',
      userId: bo.auth.user.id,
      presence: 'online',
    });
    // Cy is no friend of Ada's: nothing about Cy reached her.
    assert.ok(!ada.socket.frames.some((f) => f.type === 'presence' && f.userId === cy.auth.user.id));
  });
});

describe('presence while away', () => {
  // A small resume buffer: presence alone would fill it many times over if it counted.
  const BUFFER = 4;
  let few: TestServer;
  const mine: Client[] = [];
  before(async () => {
    few = await startServer({ RESUME_BUFFER_FRAMES: String(BUFFER), RESUME_GRACE_MS: '10000' });
  });
  after(async () => {
    await closeAndSettle(few, mine);
    await few.close();
  });

  /** A new user who met Ada in a room, left it, and became her friend. */
  async function newFriend(ada: Person, name: string): Promise<Person> {
    const friend = await user(few, name);
    mine.push(friend.socket);
    ada.socket.send({ type: 'join', categories: ['music'] });
    await ada.socket.next('queued');
    friend.socket.send({ type: 'join', categories: ['music'] });
    const { roomId } = await ada.socket.next('matched');
    await friend.socket.next('matched');
    ada.socket.send({ type: 'leave', roomId });
    await ada.socket.next('left');
    await friend.socket.next('peer_left');
    await befriend(ada, few, friend);
    return friend;
  }

  /** Ada in a call with a new user, Dee. */
  async function inCall(ada: Person) {
    const dee = await user(few, 'Dee');
    ada.socket.send({ type: 'join', categories: ['books'] });
    await ada.socket.next('queued');
    dee.socket.send({ type: 'join', categories: ['books'] });
    const matchedA = await ada.socket.next('matched');
    await dee.socket.next('matched');
    return { roomId: matchedA.roomId, matchedA, b: dee };
  }

  test('a user in a call whose phone is away while friends come and go many times is still in the call on return, and sees each friend as they are now', async () => {
    const ada = await user(few, 'Ada');
    mine.push(ada.socket);
    const bo = await newFriend(ada, 'Bo');
    const cy = await newFriend(ada, 'Cy');
    const { roomId, matchedA, b: dee } = await inCall(ada);
    mine.push(dee.socket);

    const open = await serverSocketsOpen(few);
    await ada.socket.drop();
    await waitFor('the server to see Ada gone', async () => (await serverSocketsOpen(few)) < open);
    dee.socket.send({ type: 'signal', roomId, data: 'still there?' });

    // Each friend goes offline and comes back, again and again: 2 × 2 × 3 presence frames for Ada,
    // three times the buffer, and one last change each.
    const sockets = new Map([
      [bo.auth.token, bo.socket],
      [cy.auth.token, cy.socket],
    ]);
    const toggle = async (token: string, back: boolean) => {
      const before = await serverSocketsOpen(few);
      if (!back) {
        await sockets.get(token)!.close();
        await waitFor('the server to see the close', async () => (await serverSocketsOpen(few)) < before);
        return;
      }
      const socket = await connect(few, token);
      mine.push(socket);
      sockets.set(token, socket);
      await socket.next('welcome');
    };
    for (let round = 0; round < 3; round++) {
      for (const token of sockets.keys()) {
        await toggle(token, false);
        await toggle(token, true);
      }
    }
    await toggle(bo.auth.token, false);
    // Presence is told a moment after the change: let the last one reach Ada's hold.
    await dee.socket.nothingWithin(500);

    const back = await connect(few, ada.auth.token);
    mine.push(back);
    assert.deepEqual(await back.next(), { type: 'welcome', user: ada.auth.user });
    assert.deepEqual(await back.next(), { ...matchedA, resumed: true }, 'the call survived');
    assert.deepEqual(await back.next(), { type: 'signal', roomId, from: dee.auth.user.id, data: 'still there?' });
    // Friends in any order: one presence each, the latest.
    const presence = [await back.next(), await back.next()];
    const first = presence[0]!;
    assert.deepEqual(first.type === 'presence' && first.userId === bo.auth.user.id ? presence : presence.reverse(), [
      { type: 'presence', userId: bo.auth.user.id, presence: 'offline' },
      { type: 'presence', userId: cy.auth.user.id, presence: 'online' },
    ]);
    await back.nothingWithin(200);
    // The room works: Dee hears Ada.
    back.send({ type: 'signal', roomId, data: 'back' });
    assert.equal((await dee.socket.next('signal')).data, 'back');
  });
});

describe('direct calls', () => {
  test('ring and accept: both get matched with category null, the caller offers, and the room relays, chats and ends like any', async () => {
    const { ada, bo } = await friends();
    const before = await scrape(server);
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const ringing = await ada.socket.next('call_ringing');
    assert.deepEqual(ringing.peer, peer(bo));
    const incoming = await bo.socket.next('incoming_call');
    assert.deepEqual(incoming, { type: 'incoming_call', callId: ringing.callId, peer: peer(ada) });
    bo.socket.send({ type: 'accept_call', callId: incoming.callId });
    const [mA, mB] = [await ada.socket.next('matched'), await bo.socket.next('matched')];
    assert.equal(mA.roomId, mB.roomId);
    assert.deepEqual([mA.category, mB.category], [null, null]);
    assert.deepEqual([mA.initiator, mB.initiator], [true, false]);
    assert.deepEqual([mA.resumed, mB.resumed], [false, false]);
    // Friends chose each other: a direct path is allowed (FRIEND_ICE_POLICY, default all).
    assert.deepEqual([mA.iceTransportPolicy, mB.iceTransportPolicy], ['all', 'all']);
    assert.deepEqual(mA.peer, { ...peer(bo), bio: '' });
    ada.socket.send({ type: 'signal', roomId: mA.roomId, data: { description: { type: 'offer', sdp: 'v=0' } } });
    assert.deepEqual((await bo.socket.next('signal')).data, { description: { type: 'offer', sdp: 'v=0' } });
    bo.socket.send({ type: 'chat', roomId: mA.roomId, text: 'hi again' });
    assert.equal((await ada.socket.next('chat')).text, 'hi again');
    // The call is in both histories, without a category.
    const history = await api(server.url, 'GET', '/api/history', { token: bo.auth.token });
    assert.deepEqual([history.body.connections[0].id, history.body.connections[0].category], [mA.roomId, null]);
    bo.socket.send({ type: 'leave', roomId: mA.roomId });
    assert.deepEqual(await ada.socket.next('peer_left'), { type: 'peer_left', roomId: mA.roomId, reason: 'left' });
    // Callable again as soon as the call ended.
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    await ada.socket.next('call_ringing');
    const again = await bo.socket.next('incoming_call');
    bo.socket.send({ type: 'decline_call', callId: again.callId });
    await ada.socket.next('call_ended');
    // Operators see direct calls by outcome, apart from matches.
    const metrics = await scrape(server);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sample(metrics, name, labels) - sample(before, name, labels);
    assert.equal(delta('smalltalk_direct_calls_total', { outcome: 'answered' }), 1);
    assert.equal(delta('smalltalk_direct_calls_total', { outcome: 'declined' }), 1);
    assert.equal(delta('smalltalk_matches_total'), 0);
  });

  test('a direct call resumes after a dropped socket like a matched room', async () => {
    const { ada, bo } = await friends();
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const { callId } = await bo.socket.next('incoming_call');
    bo.socket.send({ type: 'accept_call', callId });
    const { roomId } = await ada.socket.next('matched');
    await bo.socket.next('matched');
    await bo.socket.drop();
    ada.socket.send({ type: 'chat', roomId, text: 'still there?' });
    const back = await connect(server, bo.auth.token);
    opened.push(back);
    const resumed = await back.next('matched');
    assert.deepEqual(
      [resumed.roomId, resumed.category, resumed.resumed, resumed.iceTransportPolicy],
      [roomId, null, true, 'all'],
    );
    assert.equal((await back.next('chat')).text, 'still there?');
  });

  test('declined: the caller is told "declined"', async () => {
    const { ada, bo } = await friends();
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const { callId } = await bo.socket.next('incoming_call');
    bo.socket.send({ type: 'decline_call', callId });
    assert.deepEqual(await ada.socket.next('call_ended'), {
      type: 'call_ended',
      callId,
      peer: peer(bo),
      reason: 'declined',
    });
    // The call is over: answering it now finds nothing.
    bo.socket.send({ type: 'accept_call', callId });
    assert.equal((await bo.socket.next('error')).code, 'not_found');
  });

  test('no answer within the ringing time: both are told "no_answer"', async () => {
    const { ada, bo } = await friends();
    const started = Date.now();
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const { callId } = await bo.socket.next('incoming_call');
    const ended = await ada.socket.next('call_ended', RING_MS + 3000);
    assert.deepEqual(ended, { type: 'call_ended', callId, peer: peer(bo), reason: 'no_answer' });
    assert.ok(Date.now() - started >= RING_MS - 50, 'not before the ringing time');
    assert.equal((await bo.socket.next('call_ended')).reason, 'no_answer');
  });

  test('the caller hangs up: the callee stops ringing ("cancelled"); only the caller may cancel', async () => {
    const { ada, bo } = await friends();
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const { callId } = await bo.socket.next('incoming_call');
    bo.socket.send({ type: 'cancel_call', callId });
    assert.equal((await bo.socket.next('error')).code, 'not_found');
    ada.socket.send({ type: 'cancel_call', callId });
    assert.deepEqual(await bo.socket.next('call_ended'), {
      type: 'call_ended',
      callId,
      peer: peer(ada),
      reason: 'cancelled',
    });
  });

  test('busy: a friend in a call, or already ringing; a caller in a room gets a busy error', async () => {
    const { ada, bo } = await friends();
    const cy = await user(server, 'Cy');
    opened.push(cy.socket);
    bo.socket.send({ type: 'join', categories: ['art'] });
    await bo.socket.next('queued');
    cy.socket.send({ type: 'join', categories: ['art'] });
    const { roomId } = await bo.socket.next('matched');
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const busy = await ada.socket.next('call_ended');
    assert.deepEqual([busy.reason, busy.peer], ['busy', peer(bo)]);
    assert.ok(!bo.socket.frames.some((f) => f.type === 'incoming_call'), 'a friend in a call is not rung');
    bo.socket.send({ type: 'call', userId: ada.auth.user.id });
    assert.equal((await bo.socket.next('error')).code, 'busy');
    bo.socket.send({ type: 'leave', roomId });
    await bo.socket.next('left');
  });

  test('a second caller while the friend is ringing gets busy; a ringing user cannot call out', async () => {
    const { ada, bo } = await friends();
    // Dee meets Bo in a room and they become friends too.
    const dee = await user(server, 'Dee');
    opened.push(dee.socket);
    bo.socket.send({ type: 'join', categories: ['food'] });
    await bo.socket.next('queued');
    dee.socket.send({ type: 'join', categories: ['food'] });
    const { roomId } = await dee.socket.next('matched');
    dee.socket.send({ type: 'leave', roomId });
    await bo.socket.next('peer_left');
    await befriend(dee, server, bo);

    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const { callId } = await bo.socket.next('incoming_call');
    dee.socket.send({ type: 'call', userId: bo.auth.user.id });
    const busy = await dee.socket.next('call_ended');
    assert.deepEqual([busy.reason, busy.peer], ['busy', peer(bo)]);
    bo.socket.send({ type: 'call', userId: dee.auth.user.id });
    assert.equal((await bo.socket.next('error')).code, 'busy');
    bo.socket.send({ type: 'decline_call', callId });
    assert.equal((await ada.socket.next('call_ended')).reason, 'declined');
    // The ring is over: Dee gets through now.
    dee.socket.send({ type: 'call', userId: bo.auth.user.id });
    await dee.socket.next('call_ringing');
    const second = await bo.socket.next('incoming_call');
    assert.deepEqual(second.peer, peer(dee));
    dee.socket.send({ type: 'cancel_call', callId: second.callId });
    await bo.socket.next('call_ended');
  });

  test('offline friends are not rung: "offline"; a callee whose socket goes while ringing: "offline"', async () => {
    const { ada, bo } = await friends();
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    await bo.socket.next('incoming_call');
    await bo.socket.close();
    const gone = await ada.socket.next('call_ended');
    assert.equal(gone.reason, 'offline');
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    assert.equal((await ada.socket.next('call_ended')).reason, 'offline');
  });

  test('a caller whose socket goes while ringing: the callee stops ringing ("cancelled")', async () => {
    const { ada, bo } = await friends();
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    await bo.socket.next('incoming_call');
    await ada.socket.close();
    assert.equal((await bo.socket.next('call_ended')).reason, 'cancelled');
  });

  test('a callee matched while ringing (it was searching): both told "busy"', async () => {
    const { ada, bo } = await friends();
    bo.socket.send({ type: 'join', categories: ['travel'] });
    await bo.socket.next('queued');
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    await bo.socket.next('incoming_call');
    const cy = await user(server, 'Cy');
    opened.push(cy.socket);
    cy.socket.send({ type: 'join', categories: ['travel'] });
    const { roomId } = await bo.socket.next('matched');
    assert.equal((await ada.socket.next('call_ended')).reason, 'busy');
    assert.equal((await bo.socket.next('call_ended')).reason, 'busy');
    bo.socket.send({ type: 'leave', roomId });
  });

  test('unfriended while ringing: the answer makes no room, and both are told "cancelled"', async () => {
    const { ada, bo } = await friends();
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const { callId } = await bo.socket.next('incoming_call');
    assert.equal(
      (await api(server.url, 'DELETE', `/api/friends/${bo.auth.user.id}`, { token: ada.auth.token })).status,
      204,
    );
    bo.socket.send({ type: 'accept_call', callId });
    assert.equal((await ada.socket.next('call_ended')).reason, 'cancelled');
    assert.equal((await bo.socket.next('call_ended')).reason, 'cancelled');
    assert.ok(!ada.socket.frames.some((f) => f.type === 'matched'), 'no room');
  });

  test('only friends: strangers and former friends are refused with not_friends; calling yourself is bad_request', async () => {
    const p = await pair(server);
    opened.push(p.a.socket, p.b.socket);
    p.a.socket.send({ type: 'leave', roomId: p.roomId });
    await p.a.socket.next('left');
    p.a.socket.send({ type: 'call', userId: p.b.auth.user.id });
    assert.equal((await p.a.socket.next('error')).code, 'not_friends');
    assert.ok(!p.b.socket.frames.some((f) => f.type === 'incoming_call'));
    await befriend(p.a, server, p.b);
    await api(server.url, 'DELETE', `/api/friends/${p.b.auth.user.id}`, { token: p.a.auth.token });
    p.a.socket.send({ type: 'call', userId: p.b.auth.user.id });
    assert.equal((await p.a.socket.next('error')).code, 'not_friends');
    p.a.socket.send({ type: 'call', userId: p.a.auth.user.id });
    assert.equal((await p.a.socket.next('error')).code, 'bad_request');
    p.a.socket.send({ type: 'call' });
    assert.equal((await p.a.socket.next('error')).code, 'bad_request');
    p.a.socket.send({ type: 'accept_call', callId: 'nothing-rings' });
    assert.equal((await p.a.socket.next('error')).code, 'not_found');
  });
});

describe("friends' ICE policy", () => {
  test('with TURN, a direct call between friends is all by default while strangers relay; FRIEND_ICE_POLICY=relay relays friends too, resumed included', async () => {
    const turn = {
      TURN_URLS: 'turn:127.0.0.1:3478?transport=udp',
      TURN_SECRET: 'a-test-secret-of-some-length',
      RESUME_GRACE_MS: '10000',
    };
    for (const [env, expected] of [
      [turn, 'all'],
      [{ ...turn, FRIEND_ICE_POLICY: 'relay' }, 'relay'],
    ] as const) {
      const other = await startServer(env);
      const mine: Client[] = [];
      try {
        const p = await pair(other, 'music');
        mine.push(p.a.socket, p.b.socket);
        assert.deepEqual(
          [p.matchedA.iceTransportPolicy, p.matchedB.iceTransportPolicy],
          ['relay', 'relay'],
          'strangers relay',
        );
        p.a.socket.send({ type: 'leave', roomId: p.roomId });
        await p.a.socket.next('left');
        await p.b.socket.next('peer_left');
        await befriend(p.a, other, p.b);
        p.a.socket.send({ type: 'call', userId: p.b.auth.user.id });
        const { callId } = await p.b.socket.next('incoming_call');
        p.b.socket.send({ type: 'accept_call', callId });
        const [mA, mB] = [await p.a.socket.next('matched'), await p.b.socket.next('matched')];
        assert.deepEqual(
          [mA.category, mA.iceTransportPolicy, mB.iceTransportPolicy],
          [null, expected, expected],
          JSON.stringify(env),
        );
        await p.b.socket.drop();
        const back = await connect(other, p.b.auth.token);
        mine.push(back);
        const resumed = await back.next('matched');
        assert.deepEqual([resumed.roomId, resumed.resumed, resumed.iceTransportPolicy], [mA.roomId, true, expected]);
      } finally {
        await Promise.all(mine.map((c) => (c.closeCode === undefined ? c.close() : c.closed)));
        await other.close();
      }
    }
  });
});
