import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { FriendsResponse, FriendRequestResponse, FriendResponse } from '@small-talk/protocol';
import {
  acquaintances,
  api,
  befriend,
  closeAndSettle,
  eventually,
  member,
  pair,
  startServer,
  user,
  type Client,
  type TestServer,
} from './harness.js';

/** Friend requests and the friends list over HTTP: who may ask whom, once, and what each side sees. */

let server: TestServer;
before(async () => {
  // A short grace: the presence test waits for a closed socket's room to give up on it.
  server = await startServer({ RESUME_GRACE_MS: '1000' });
});
after(() => server.close());

let opened: Client[] = [];
afterEach(async () => {
  await closeAndSettle(server, opened);
  opened = [];
});

async function met() {
  const p = await acquaintances(server);
  opened.push(p.a.socket, p.b.socket);
  return p;
}

const ask = (token: string, userId: unknown) =>
  api(server.url, 'POST', '/api/friends/requests', { token, body: { userId } });
const list = async (token: string) => {
  const response = await api(server.url, 'GET', '/api/friends', { token });
  assert.equal(response.status, 200);
  return FriendsResponse.parse(response.body);
};

describe('friend requests', () => {
  test('only someone you were in a room with: strangers get 403 no_connection, unknown users 404, yourself 400', async () => {
    const ada = await user(server, 'Ada');
    const cy = await user(server, 'Cy');
    opened.push(ada.socket, cy.socket);
    const stranger = await ask(ada.auth.token, cy.auth.user.id);
    assert.equal(stranger.status, 403);
    assert.equal(stranger.body.error.code, 'no_connection');
    const unknown = await ask(ada.auth.token, 'no-such-user');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    const self = await ask(ada.auth.token, ada.auth.user.id);
    assert.equal(self.status, 400);
    assert.equal(self.body.error.code, 'bad_request');
    for (const body of [{}, { userId: 42 }, { userId: '' }, 'nope']) {
      const bad = await api(server.url, 'POST', '/api/friends/requests', { token: ada.auth.token, body });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal(bad.body.error.code, 'bad_request');
    }
    const anonymous = await api(server.url, 'POST', '/api/friends/requests', { body: { userId: cy.auth.user.id } });
    assert.equal(anonymous.status, 401);
    assert.equal((await api(server.url, 'GET', '/api/friends')).status, 401);
    assert.deepEqual(await list(cy.auth.token), { friends: [], incoming: [], outgoing: [] });
  });

  test('during a call: the peer sees the request live and in its list; asking twice is 409 already_requested', async () => {
    const p = await pair(server);
    opened.push(p.a.socket, p.b.socket);
    const sent = await ask(p.a.auth.token, p.b.auth.user.id);
    assert.equal(sent.status, 201);
    const { request } = FriendRequestResponse.parse(sent.body);
    assert.deepEqual(request.from, { id: p.a.auth.user.id, displayName: 'Ada', languages: [] });
    assert.deepEqual(request.to, { id: p.b.auth.user.id, displayName: 'Bo', languages: [] });
    const live = await p.b.socket.next('friend_request');
    assert.deepEqual(live.request, request);
    assert.deepEqual((await list(p.b.auth.token)).incoming, [request]);
    assert.deepEqual((await list(p.a.auth.token)).outgoing, [request]);
    const twice = await ask(p.a.auth.token, p.b.auth.user.id);
    assert.equal(twice.status, 409);
    assert.equal(twice.body.error.code, 'already_requested');
  });

  test('accept: both are friends, both told live, with presence; asking again is 409 already_friends', async () => {
    const { a, b } = await met();
    const { request } = FriendRequestResponse.parse((await ask(a.auth.token, b.auth.user.id)).body);
    await b.socket.next('friend_request');
    // Only the asked one can accept.
    const own = await api(server.url, 'POST', `/api/friends/requests/${request.id}/accept`, { token: a.auth.token });
    assert.equal(own.status, 404);
    const accepted = await api(server.url, 'POST', `/api/friends/requests/${request.id}/accept`, {
      token: b.auth.token,
    });
    assert.equal(accepted.status, 200);
    const { friend } = FriendResponse.parse(accepted.body);
    assert.deepEqual(friend.user, { id: a.auth.user.id, displayName: 'Ada', languages: [] });
    assert.equal(friend.presence, 'online');
    assert.deepEqual((await a.socket.next('friend_added')).friend.user, {
      id: b.auth.user.id,
      displayName: 'Bo',
      languages: [],
    });
    assert.deepEqual((await b.socket.next('friend_added')).friend.user, {
      id: a.auth.user.id,
      displayName: 'Ada',
      languages: [],
    });
    const ofAda = await list(a.auth.token);
    assert.deepEqual(
      ofAda.friends.map((f) => [f.user.displayName, f.presence]),
      [['Bo', 'online']],
    );
    assert.deepEqual([ofAda.incoming, ofAda.outgoing], [[], []]);
    for (const [who, whom] of [
      [a, b],
      [b, a],
    ] as const) {
      const again = await ask(who.auth.token, whom.auth.user.id);
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'already_friends');
    }
    const twice = await api(server.url, 'POST', `/api/friends/requests/${request.id}/accept`, { token: b.auth.token });
    assert.equal(twice.status, 404);
  });

  test('asking someone who had already asked you makes you friends at once (200)', async () => {
    const { a, b } = await met();
    assert.equal((await ask(a.auth.token, b.auth.user.id)).status, 201);
    await b.socket.next('friend_request');
    const back = await ask(b.auth.token, a.auth.user.id);
    assert.equal(back.status, 200);
    assert.equal(FriendResponse.parse(back.body).friend.user.id, a.auth.user.id);
    await a.socket.next('friend_added');
    assert.equal((await list(a.auth.token)).friends.length, 1);
  });

  test('decline: the asker is told and may not ask again for 7 days (409 request_declined_recently); the decliner may ask; withdraw: the asked one is told', async () => {
    const { a, b } = await met();
    const first = FriendRequestResponse.parse((await ask(a.auth.token, b.auth.user.id)).body).request;
    await b.socket.next('friend_request');
    assert.equal(
      (await api(server.url, 'POST', `/api/friends/requests/${first.id}/decline`, { token: a.auth.token })).status,
      404,
      'not the asker',
    );
    assert.equal(
      (await api(server.url, 'POST', `/api/friends/requests/${first.id}/decline`, { token: b.auth.token })).status,
      204,
    );
    assert.deepEqual(await a.socket.next('friend_request_closed'), {
      type: 'friend_request_closed',
      requestId: first.id,
      reason: 'declined',
    });
    assert.deepEqual(await list(a.auth.token), { friends: [], incoming: [], outgoing: [] });

    const again = await ask(a.auth.token, b.auth.user.id);
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal(again.body.error.code, 'request_declined_recently');
    assert.match(again.body.error.message, /after \d{4}-\d\d-\d\dT/, 'the message says when asking is allowed again');
    assert.deepEqual(
      await list(b.auth.token),
      { friends: [], incoming: [], outgoing: [] },
      'nothing reached the one who declined',
    );

    // The one who declined may change their mind.
    const second = FriendRequestResponse.parse((await ask(b.auth.token, a.auth.user.id)).body).request;
    await a.socket.next('friend_request');
    assert.equal(
      (await api(server.url, 'DELETE', `/api/friends/requests/${second.id}`, { token: a.auth.token })).status,
      404,
      'only the asker withdraws',
    );
    assert.equal(
      (await api(server.url, 'DELETE', `/api/friends/requests/${second.id}`, { token: b.auth.token })).status,
      204,
    );
    assert.deepEqual(await a.socket.next('friend_request_closed'), {
      type: 'friend_request_closed',
      requestId: second.id,
      reason: 'cancelled',
    });
    assert.deepEqual(await list(a.auth.token), { friends: [], incoming: [], outgoing: [] });
    assert.equal(
      (await api(server.url, 'POST', `/api/friends/requests/${second.id}/accept`, { token: a.auth.token })).status,
      404,
    );
    // A withdrawn request blocks nobody: b asks again at once.
    assert.equal((await ask(b.auth.token, a.auth.user.id)).status, 201);
    await a.socket.next('friend_request');
  });

  test('a declined asker may ask again once 7 days have passed since the decline', async () => {
    const { a, b } = await met();
    const first = FriendRequestResponse.parse((await ask(a.auth.token, b.auth.user.id)).body).request;
    await b.socket.next('friend_request');
    assert.equal(
      (await api(server.url, 'POST', `/api/friends/requests/${first.id}/decline`, { token: b.auth.token })).status,
      204,
    );
    await a.socket.next('friend_request_closed');
    const db = server.server.db.kysely;
    const day = 24 * 60 * 60 * 1000;
    // Six days and 23 hours ago: still blocked.
    await db
      .updateTable('friend_declines')
      .set({ declined_at: new Date(Date.now() - 7 * day + 60 * 60 * 1000).toISOString() })
      .where('asker', '=', a.auth.user.id)
      .execute();
    assert.equal((await ask(a.auth.token, b.auth.user.id)).body.error?.code, 'request_declined_recently');
    await db
      .updateTable('friend_declines')
      .set({ declined_at: new Date(Date.now() - 7 * day - 1000).toISOString() })
      .where('asker', '=', a.auth.user.id)
      .execute();
    const later = await ask(a.auth.token, b.auth.user.id);
    assert.equal(later.status, 201, JSON.stringify(later.body));
    await b.socket.next('friend_request');
  });

  test('unfriend: both told, both lists empty, a second time 404', async () => {
    const { a, b } = await met();
    await befriend(a, server, b);
    const removed = await api(server.url, 'DELETE', `/api/friends/${b.auth.user.id}`, { token: a.auth.token });
    assert.equal(removed.status, 204);
    assert.deepEqual(await b.socket.next('friend_removed'), { type: 'friend_removed', userId: a.auth.user.id });
    assert.deepEqual(await a.socket.next('friend_removed'), { type: 'friend_removed', userId: b.auth.user.id });
    assert.deepEqual((await list(a.auth.token)).friends, []);
    assert.deepEqual((await list(b.auth.token)).friends, []);
    const again = await api(server.url, 'DELETE', `/api/friends/${b.auth.user.id}`, { token: a.auth.token });
    assert.equal(again.status, 404);
  });

  test('the list shows presence: in a call, online, offline', async () => {
    const { a, b } = await met();
    await befriend(a, server, b);
    const presenceOfBo = async () => (await list(a.auth.token)).friends[0]?.presence;
    assert.equal(await presenceOfBo(), 'online');
    const cy = await user(server, 'Cy');
    opened.push(cy.socket);
    b.socket.send({ type: 'join', categories: ['books'] });
    cy.socket.send({ type: 'join', categories: ['books'] });
    await b.socket.next('matched');
    await eventually('Bo in a call', async () => (await presenceOfBo()) === 'in_call');
    await b.socket.close();
    // Bo's room waits out its grace for him, during which he counts as in the call; then he is gone.
    await eventually('Bo offline', async () => (await presenceOfBo()) === 'offline', 10_000);
  });

  test('a guest keeps friends when creating an account: the same user', async () => {
    const { a, b } = await met();
    await befriend(a, server, b);
    const upgraded = await member(server.url, { displayName: 'Ada' }, a.auth.token);
    assert.equal(upgraded.user.id, a.auth.user.id);
    assert.equal(upgraded.user.kind, 'member');
    assert.deepEqual(
      (await list(upgraded.token)).friends.map((f) => f.user.id),
      [b.auth.user.id],
    );
  });

  test('the database itself refuses a second row for a pair and a friendship with oneself', async () => {
    const { a, b } = await met();
    const db = server.server.db.kysely;
    const [x, y] = [a.auth.user.id, b.auth.user.id].sort();
    const row = (id: string, userA: string, userB: string) => ({
      id,
      user_a: userA,
      user_b: userB,
      requested_by: userA,
      status: 'pending' as const,
      created_at: new Date().toISOString(),
      accepted_at: null,
    });
    await db
      .insertInto('friendships')
      .values(row('f1', x!, y!))
      .execute();
    await assert.rejects(
      db
        .insertInto('friendships')
        .values(row('f2', x!, y!))
        .execute(),
      /unique|UNIQUE/,
    );
    await assert.rejects(
      db
        .insertInto('friendships')
        .values(row('f3', y!, x!))
        .execute(),
      /check|CHECK/,
    );
    await assert.rejects(
      db
        .insertInto('friendships')
        .values(row('f4', x!, x!))
        .execute(),
      /check|CHECK/,
    );
    const count = await db
      .selectFrom('friendships')
      .select(sql<number>`count(*)`.as('n'))
      .where('id', 'in', ['f1', 'f2', 'f3', 'f4'])
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 1);
    await db.deleteFrom('friendships').where('id', '=', 'f1').execute();
  });
});
