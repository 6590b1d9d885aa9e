import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  api,
  closeAndSettle,
  closeFrameThenSilence,
  openSocket,
  pair,
  serverSocketsOpen,
  startServer,
  stopReading,
  user,
  waitFor,
  waitingCounts,
  within,
  type Client,
  type TestServer,
} from './harness.js';

/**
 * A signaling blip must not end a call: a closed socket's room waits out the grace, holding
 * the frames for the absent user; a second socket of the same user takes over.
 */

/** Grace long enough that every resume lands inside it, even on a slow machine. */
let server: TestServer;
/** Grace short enough to wait out. */
let quick: TestServer;
before(async () => {
  [server, quick] = await Promise.all([
    startServer({
      RESUME_GRACE_MS: '3000',
      // The overflow test has the peer send 101 frames back to back; at the default limit
      // (burst 100) the 101st would be dropped by the rate limit instead of overflowing the hold.
      WS_RATE_LIMIT: '1000',
    }),
    startServer({ RESUME_GRACE_MS: '300' }),
  ]);
});
after(() => Promise.all([server.close(), quick.close()]));

let opened: Array<[TestServer, Client]> = [];
afterEach(async () => {
  for (const s of [server, quick]) {
    await closeAndSettle(
      s,
      opened.filter(([owner]) => owner === s).map(([, c]) => c),
    );
    await waitFor('every socket closed on the server', async () => (await serverSocketsOpen(s)) === 0);
  }
  opened = [];
});

async function room(on: TestServer, category = 'music') {
  const p = await pair(on, category);
  opened.push([on, p.a.socket], [on, p.b.socket]);
  return p;
}

/** A new socket for a token; its frames (welcome first) are left for the test to read. */
async function reconnect(on: TestServer, token: string): Promise<Client> {
  const client = await openSocket(on, { authorization: `Bearer ${token}` });
  opened.push([on, client]);
  return client;
}

/** Closes (cleanly or by dropping the TCP connection) and waits until the server has seen it. */
async function goAway(on: TestServer, client: Client, how: 'close' | 'drop'): Promise<void> {
  const before = await serverSocketsOpen(on);
  if (how === 'close') await client.close();
  else await client.drop();
  await waitFor('the server to see the close', async () => (await serverSocketsOpen(on)) < before);
}

async function historyRow(on: TestServer, token: string, roomId: string) {
  const response = await api(on.url, 'GET', '/api/history', { token });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.connections.find((c: { id: string }) => c.id === roomId);
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

describe('resume within the grace', () => {
  for (const how of ['close', 'drop'] as const) {
    test(`socket ${how === 'close' ? 'closed cleanly' : 'dropped'} in a room: the peer hears nothing; a new socket gets welcome, then matched resumed:true with the same room`, async () => {
      const { a, b, roomId, matchedA } = await room(server);
      await goAway(server, a.socket, how);
      await b.socket.nothingWithin(1000);

      const back = await reconnect(server, a.auth.token);
      assert.deepEqual(await back.next(), { type: 'welcome', user: a.auth.user });
      assert.deepEqual(await back.next(), { ...matchedA, resumed: true }, 'same roomId, peer, category, initiator');
      await back.nothingWithin(100);
      await b.socket.nothingWithin(0);

      // The room works both ways through the new socket.
      back.send({ type: 'signal', roomId, data: 'I am back' });
      assert.deepEqual(await b.socket.next(), { type: 'signal', roomId, from: a.auth.user.id, data: 'I am back' });
      b.socket.send({ type: 'chat', roomId, text: 'welcome back' });
      assert.equal((await back.next('chat')).text, 'welcome back');
      // Back in the room, so joining is busy.
      back.send({ type: 'join', categories: ['music'] });
      assert.equal((await back.next('error')).code, 'busy');
      // And it is the same room: leaving it ends it for the peer.
      back.send({ type: 'leave', roomId });
      assert.deepEqual(await back.next(), { type: 'left', roomId });
      assert.deepEqual(await b.socket.next(), { type: 'peer_left', roomId, reason: 'left' });
    });
  }

  test('frames sent during the absence are delivered after welcome and matched, in the order sent', async () => {
    const { a, b, roomId, matchedA } = await room(server);
    const bo = b.auth.user.id;
    await goAway(server, a.socket, 'drop');
    const sent = [];
    for (let seq = 0; seq < 40; seq++) {
      const frame =
        seq % 4 === 0
          ? { type: 'chat', roomId, text: `chat ${seq}` }
          : seq % 4 === 1
            ? { type: 'typing', roomId }
            : { type: 'signal', roomId, data: { seq, candidate: `c${seq}` } };
      b.socket.send(frame);
      sent.push(frame);
    }
    // Nothing came back to Bo: no errors, the room is there.
    await b.socket.nothingWithin(200);

    const back = await reconnect(server, a.auth.token);
    assert.deepEqual(await back.next(), { type: 'welcome', user: a.auth.user });
    assert.deepEqual(await back.next(), { ...matchedA, resumed: true });
    for (const frame of sent) {
      const got = await back.next();
      if (frame.type === 'chat') {
        assert.equal(got.type, 'chat');
        if (got.type === 'chat') assert.deepEqual(got, { ...frame, from: bo, sentAt: got.sentAt });
      } else {
        assert.deepEqual(got, { ...frame, from: bo });
      }
    }
    await back.nothingWithin(100);
  });

  test('exactly 100 frames waiting keep the room; all 100 are delivered on return', async () => {
    const { a, b, roomId, matchedA } = await room(server);
    await goAway(server, a.socket, 'drop');
    for (let seq = 0; seq < 100; seq++) b.socket.send({ type: 'signal', roomId, data: seq });
    await b.socket.nothingWithin(500);
    const back = await reconnect(server, a.auth.token);
    assert.equal((await back.next()).type, 'welcome');
    assert.deepEqual(await back.next(), { ...matchedA, resumed: true });
    const got = [];
    for (let i = 0; i < 100; i++) {
      const frame = await back.next();
      got.push(frame.type === 'signal' ? frame.data : frame.type);
    }
    assert.deepEqual(
      got,
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  test('a peer who leaves during the absence: on return, welcome and the held peer_left, no room', async () => {
    const { a, b, roomId } = await room(server);
    await goAway(server, a.socket, 'drop');
    b.socket.send({ type: 'signal', roomId, data: 'last words' });
    b.socket.send({ type: 'leave', roomId });
    assert.deepEqual(await b.socket.next(), { type: 'left', roomId });
    const back = await reconnect(server, a.auth.token);
    assert.deepEqual(await back.next(), { type: 'welcome', user: a.auth.user });
    assert.deepEqual(await back.next(), { type: 'signal', roomId, from: b.auth.user.id, data: 'last words' });
    assert.deepEqual(await back.next(), { type: 'peer_left', roomId, reason: 'left' });
    await back.nothingWithin(100);
    // Not in a room any more: may join.
    back.send({ type: 'join', categories: ['music'] });
    assert.equal((await back.next()).type, 'queued');
  });
});

describe('the grace runs out', () => {
  for (const how of ['close', 'drop'] as const) {
    test(`socket ${how === 'close' ? 'closed cleanly' : 'dropped'} and not back: the peer gets peer_left disconnected, history says disconnected`, async () => {
      const { a, b, roomId } = await room(quick);
      await goAway(quick, a.socket, how);
      assert.deepEqual(await b.socket.next(), { type: 'peer_left', roomId, reason: 'disconnected' });
      for (const token of [a.auth.token, b.auth.token]) {
        const row = await historyRow(quick, token, roomId);
        assert.equal(row?.endReason, 'disconnected');
        assert.match(row?.endedAt ?? '', ISO);
      }
      // The room is gone: the peer may join again, and the late user gets no room back.
      b.socket.send({ type: 'signal', roomId, data: 'anyone?' });
      assert.equal((await b.socket.next('error')).code, 'not_in_room');
      const late = await reconnect(quick, a.auth.token);
      assert.deepEqual(await late.next(), { type: 'welcome', user: a.auth.user });
      await late.nothingWithin(100);
      b.socket.send({ type: 'join', categories: ['books'] });
      assert.equal((await b.socket.next()).type, 'queued');
      late.send({ type: 'join', categories: ['books'] });
      assert.equal((await late.next()).type, 'queued');
      assert.equal((await late.next()).type, 'matched', 'both could join again');
    });
  }

  test('more than 100 frames waiting for an absent user end the room at once, as if the grace had run out', async () => {
    const { a, b, roomId } = await room(server);
    await goAway(server, a.socket, 'drop');
    for (let seq = 0; seq < 101; seq++) b.socket.send({ type: 'signal', roomId, data: seq });
    // RESUME_GRACE_MS is 3 s on this server: within 1.5 s is "at once", not the grace running out.
    assert.deepEqual(await b.socket.next(undefined, 1500), { type: 'peer_left', roomId, reason: 'disconnected' });
    const row = await historyRow(server, b.auth.token, roomId);
    assert.equal(row?.endReason, 'disconnected');
    assert.match(row?.endedAt ?? '', ISO);
    // Coming back within what would have been the grace finds no room and none of the frames.
    const back = await reconnect(server, a.auth.token);
    assert.deepEqual(await back.next(), { type: 'welcome', user: a.auth.user });
    await back.nothingWithin(100);
  });
});

describe('one live socket per user', () => {
  test('a second socket takes over: the old one is closed with 4000, the new one gets welcome and matched resumed:true; the peer hears nothing', async () => {
    const { a, b, roomId, matchedA } = await room(quick);
    const second = await reconnect(quick, a.auth.token);
    assert.equal(await within(a.socket.closed, 2000, 'the old socket to close'), 4000);
    assert.deepEqual(await second.next(), { type: 'welcome', user: a.auth.user });
    assert.deepEqual(await second.next(), { ...matchedA, resumed: true });
    // The old socket's close starts no grace: well past the 300 ms grace, the room is alive.
    await b.socket.nothingWithin(700);
    b.socket.send({ type: 'signal', roomId, data: 'to the new socket' });
    assert.equal((await second.next('signal')).data, 'to the new socket');
    second.send({ type: 'typing', roomId });
    assert.deepEqual(await b.socket.next(), { type: 'typing', roomId, from: a.auth.user.id });
  });

  test('taking over drops the queue entry of the old socket: the new socket joins again', async () => {
    const { auth, socket: first } = await user(quick, 'Queued Quinn');
    opened.push([quick, first]);
    first.send({ type: 'join', categories: ['music', 'tech'] });
    await first.next('queued');
    const second = await reconnect(quick, auth.token);
    assert.equal(await within(first.closed, 2000, 'the old socket to close'), 4000);
    assert.deepEqual(await second.next(), { type: 'welcome', user: auth.user });
    await second.nothingWithin(100);
    const counts = await waitingCounts(quick);
    assert.equal(counts.music, 0);
    assert.equal(counts.tech, 0);
    const other = await user(quick, 'Other Olu');
    opened.push([quick, other.socket]);
    other.socket.send({ type: 'join', categories: ['music'] });
    assert.equal((await other.socket.next()).type, 'queued');
    await other.socket.nothingWithin(150);
    second.send({ type: 'join', categories: ['music'] });
    assert.equal((await second.next()).type, 'queued');
    assert.equal((await second.next()).type, 'matched');
  });

  test('frames a replaced socket still sends (it has not seen its 4000 yet) have no effect', async () => {
    const { auth, socket: first } = await user(quick, 'Two Phones');
    opened.push([quick, first]);
    const destroy = stopReading(first);
    try {
      const second = await reconnect(quick, auth.token);
      // The welcome comes after the takeover: the server has closed the first socket by now.
      assert.deepEqual(await second.next(), { type: 'welcome', user: auth.user });
      first.send({ type: 'join', categories: ['music'] });
      first.send({ type: 'join', categories: ['tech'] });
      await second.nothingWithin(200);
      const counts = await waitingCounts(quick);
      assert.equal(counts.music, 0, 'the old socket queued nobody');
      assert.equal(counts.tech, 0, 'the old socket queued nobody');
      // Nobody is matched with the user on its behalf.
      const other = await user(quick, 'Other Ode');
      opened.push([quick, other.socket]);
      other.socket.send({ type: 'join', categories: ['music'] });
      assert.equal((await other.socket.next()).type, 'queued');
      await other.socket.nothingWithin(150);
      await second.nothingWithin(0);
    } finally {
      destroy();
    }
  });
});

describe('a close frame followed by silence', () => {
  // A phone that closes the app and loses its network in the same moment sends a close frame
  // but never finishes the TCP close. The user is gone from that moment: the rules for a
  // closed socket apply (frames held, grace counted), not those for a live one.

  test('frames sent after the close frame are held and delivered on return', async () => {
    const { a, b, roomId, matchedA } = await room(server);
    const silent = await closeFrameThenSilence(a.socket);
    try {
      b.socket.send({ type: 'signal', roomId, data: 'are you there?' });
      b.socket.send({ type: 'chat', roomId, text: 'hello?' });
      await b.socket.nothingWithin(200);
      const back = await reconnect(server, a.auth.token);
      assert.deepEqual(await back.next(), { type: 'welcome', user: a.auth.user });
      assert.deepEqual(await back.next(), { ...matchedA, resumed: true });
      // Held frames follow matched at once; no need for the default 5 s wait.
      assert.deepEqual(await back.next(undefined, 2000), {
        type: 'signal',
        roomId,
        from: b.auth.user.id,
        data: 'are you there?',
      });
      assert.equal((await back.next(undefined, 2000)).type, 'chat');
    } finally {
      silent.destroy();
    }
  });

  test('not back: the peer gets peer_left disconnected once the grace has run out, not when TCP finally gives up', async () => {
    const { a, b, roomId } = await room(quick);
    const silent = await closeFrameThenSilence(a.socket);
    try {
      // RESUME_GRACE_MS is 300 ms here; ws gives up on an unfinished close after 30 s.
      assert.deepEqual(await b.socket.next(undefined, 3000), { type: 'peer_left', roomId, reason: 'disconnected' });
    } finally {
      silent.destroy();
    }
  });
});
