import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  acquaintances,
  api,
  befriend,
  closeAndSettle,
  connect,
  pair,
  sleep,
  startServer,
  user,
  type Client,
  type TestServer,
} from './harness.js';

/**
 * What a block does to people on sockets: the room between the two ends, their friendship goes,
 * calls are refused, and they are never matched again (while others still are, FIFO). And the
 * rematch cooldown: two who just met are kept apart for REMATCH_COOLDOWN_S.
 */

let server: TestServer;
before(async () => {
  server = await startServer({ RESUME_GRACE_MS: '2000' });
});
after(() => server.close());

let opened: Client[] = [];
afterEach(async () => {
  await closeAndSettle(server, opened);
  opened = [];
});

type Person = Awaited<ReturnType<typeof user>>;

async function person(on: TestServer, name: string): Promise<Person> {
  const p = await user(on, name);
  opened.push(p.socket);
  return p;
}

const blockOn = (on: TestServer, by: Person, whom: Person) =>
  api(on.url, 'POST', '/api/blocks', { token: by.auth.token, body: { userId: whom.auth.user.id } });

async function historyRow(on: TestServer, token: string, roomId: string) {
  const response = await api(on.url, 'GET', '/api/history', { token });
  return response.body.connections.find((c: { id: string }) => c.id === roomId);
}

async function join(p: Person, categories = ['music']): Promise<void> {
  p.socket.send({ type: 'join', categories });
  await p.socket.next('queued');
}

describe('a block ends what the two share', () => {
  test('a live room ends at once: the blocker gets left, the other peer_left with reason left; history says left', async () => {
    const { a, b, roomId } = await pair(server);
    opened.push(a.socket, b.socket);
    const response = await blockOn(server, a, b);
    assert.equal(response.status, 201);
    assert.deepEqual(await a.socket.next(), { type: 'left', roomId });
    assert.deepEqual(await b.socket.next(), { type: 'peer_left', roomId, reason: 'left' });
    for (const token of [a.auth.token, b.auth.token])
      assert.equal((await historyRow(server, token, roomId))?.endReason, 'left');
    // The room is gone for both.
    b.socket.send({ type: 'signal', roomId, data: 'still there?' });
    assert.equal((await b.socket.next('error')).code, 'not_in_room');
  });

  test('blocking someone else leaves the room with a third person alone', async () => {
    const { a, b, roomId } = await pair(server);
    opened.push(a.socket, b.socket);
    const cy = await person(server, 'Cy');
    assert.equal((await blockOn(server, a, cy)).status, 201);
    await a.socket.nothingWithin(200);
    a.socket.send({ type: 'signal', roomId, data: 'hi' });
    assert.equal((await b.socket.next('signal')).data, 'hi');
  });

  test('a friendship ends: friend_removed to both; a friend call is refused with not_allowed, both ways', async () => {
    const p = await acquaintances(server);
    opened.push(p.a.socket, p.b.socket);
    await befriend(p.a, server, p.b);
    assert.equal((await blockOn(server, p.b, p.a)).status, 201);
    assert.deepEqual(await p.a.socket.next('friend_removed'), { type: 'friend_removed', userId: p.b.auth.user.id });
    assert.deepEqual(await p.b.socket.next('friend_removed'), { type: 'friend_removed', userId: p.a.auth.user.id });
    for (const token of [p.a.auth.token, p.b.auth.token]) {
      const friends = await api(server.url, 'GET', '/api/friends', { token });
      assert.deepEqual(friends.body, { friends: [], incoming: [], outgoing: [] });
    }
    for (const [from, to] of [
      [p.a, p.b],
      [p.b, p.a],
    ] as const) {
      from.socket.send({ type: 'call', userId: to.auth.user.id });
      assert.equal((await from.socket.next('error')).code, 'not_allowed');
    }
    await p.a.socket.nothingWithin(100);
  });

  test('a pending friend request is deleted (friend_request_closed to both) and cannot be sent again', async () => {
    const p = await acquaintances(server);
    opened.push(p.a.socket, p.b.socket);
    const asked = await api(server.url, 'POST', '/api/friends/requests', {
      token: p.a.auth.token,
      body: { userId: p.b.auth.user.id },
    });
    assert.equal(asked.status, 201);
    const requestId = asked.body.request.id;
    await p.b.socket.next('friend_request');
    assert.equal((await blockOn(server, p.b, p.a)).status, 201);
    for (const side of [p.a, p.b])
      assert.deepEqual(await side.socket.next('friend_request_closed'), {
        type: 'friend_request_closed',
        requestId,
        reason: 'cancelled',
      });
    const accept = await api(server.url, 'POST', `/api/friends/requests/${requestId}/accept`, {
      token: p.b.auth.token,
    });
    assert.equal(accept.status, 404);
    const again = await api(server.url, 'POST', '/api/friends/requests', {
      token: p.a.auth.token,
      body: { userId: p.b.auth.user.id },
    });
    assert.equal(again.status, 403);
    assert.equal(again.body.error.code, 'not_allowed');
  });
});

describe('never matched again', () => {
  test('a blocked pair queued alone never match; a third is matched FIFO with the one who waited longest, the next with the other', async () => {
    const ada = await person(server, 'Ada');
    const bo = await person(server, 'Bo');
    assert.equal((await blockOn(server, bo, ada)).status, 201);
    await join(ada);
    await join(bo);
    await ada.socket.nothingWithin(300);
    await bo.socket.nothingWithin(0);
    const cy = await person(server, 'Cy');
    await join(cy);
    assert.equal((await cy.socket.next('matched')).peer.id, ada.auth.user.id, 'Ada waited longest');
    await ada.socket.next('matched');
    const di = await person(server, 'Di');
    await join(di);
    assert.equal((await di.socket.next('matched')).peer.id, bo.auth.user.id);
  });

  test('after unblocking the two can be matched again', async () => {
    const ada = await person(server, 'Ada');
    const bo = await person(server, 'Bo');
    await blockOn(server, ada, bo);
    await join(ada);
    await join(bo);
    await bo.socket.nothingWithin(200);
    assert.equal(
      (await api(server.url, 'DELETE', `/api/blocks/${bo.auth.user.id}`, { token: ada.auth.token })).status,
      204,
    );
    await join(bo); // matching happens at a join
    assert.equal((await bo.socket.next('matched')).peer.id, ada.auth.user.id);
  });

  test('a block survives a restart: the database is the truth, not the process', async () => {
    const first = await startServer();
    const dataDir = first.dataDir;
    const ada = await user(first, 'Ada');
    const bo = await user(first, 'Bo');
    await blockOn(first, ada, bo);
    await closeAndSettle(first, [ada.socket, bo.socket]);
    await first.close();
    const again = await startServer({ DATA_DIR: dataDir });
    try {
      const a = await connect(again, ada.auth.token);
      const b = await connect(again, bo.auth.token);
      await a.next('welcome');
      await b.next('welcome');
      a.send({ type: 'join', categories: ['music'] });
      await a.next('queued');
      b.send({ type: 'join', categories: ['music'] });
      await b.next('queued');
      await a.nothingWithin(300);
      await closeAndSettle(again, [a, b]);
    } finally {
      await again.close();
    }
  });
});

describe('no rematch (REMATCH_COOLDOWN_S)', () => {
  test('two whose room ended are not matched with each other before the cooldown, whoever ended it; with others meanwhile; with each other after it', async () => {
    const cooled = await startServer({ REMATCH_COOLDOWN_S: '1' });
    const mine: Client[] = [];
    try {
      for (const ender of ['a', 'b'] as const) {
        const { a, b, roomId } = await pair(cooled);
        mine.push(a.socket, b.socket);
        const leaver = ender === 'a' ? a : b;
        leaver.socket.send({ type: 'leave', roomId });
        await leaver.socket.next('left');
        await (ender === 'a' ? b : a).socket.next('peer_left');
        const ended = Date.now();
        a.socket.send({ type: 'join', categories: ['music'] });
        await a.socket.next('queued');
        b.socket.send({ type: 'join', categories: ['music'] });
        await b.socket.next('queued');
        await a.socket.nothingWithin(300);
        // A third person is matched with the one who waited longest, as always.
        const cy = await user(cooled, 'Cy');
        mine.push(cy.socket);
        cy.socket.send({ type: 'join', categories: ['music'] });
        assert.equal((await cy.socket.next('matched')).peer.id, a.auth.user.id);
        const { roomId: cyRoom } = await a.socket.next('matched');
        cy.socket.send({ type: 'leave', roomId: cyRoom });
        await a.socket.next('peer_left');
        await sleep(Math.max(0, ended + 1100 - Date.now()));
        a.socket.send({ type: 'join', categories: ['music'] });
        await a.socket.next('queued');
        assert.equal((await a.socket.next('matched')).peer.id, b.auth.user.id, 'after the cooldown');
      }
    } finally {
      await closeAndSettle(cooled, mine);
      await cooled.close();
    }
  });

  test('friends who just met may still call each other directly: they chose each other', async () => {
    const cooled = await startServer({ REMATCH_COOLDOWN_S: '300' });
    const mine: Client[] = [];
    try {
      const p = await acquaintances(cooled);
      mine.push(p.a.socket, p.b.socket);
      await befriend(p.a, cooled, p.b);
      p.a.socket.send({ type: 'call', userId: p.b.auth.user.id });
      const { callId } = await p.b.socket.next('incoming_call');
      p.b.socket.send({ type: 'accept_call', callId });
      assert.equal((await p.a.socket.next('matched')).peer.id, p.b.auth.user.id);
    } finally {
      await closeAndSettle(cooled, mine);
      await cooled.close();
    }
  });
});
