import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HistoryResponse, type Connection } from '@small-talk/protocol';
import { api, eventually, pair, startServer, user, type TestServer } from './harness.js';

// A short grace, so a dropped socket's room ends (as `disconnected`) within the test.
const GRACE_MS = 150;

let server: TestServer;
before(async () => {
  server = await startServer({ RESUME_GRACE_MS: String(GRACE_MS) });
});
after(() => server.close());

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

async function historyOf(token: string): Promise<Connection[]> {
  const response = await api(server.url, 'GET', '/api/history', { token });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return HistoryResponse.strict().parse(response.body).connections;
}

/** The row for `roomId` once `ready` holds; rows are completed just after the room's frames go out. */
function rowOf(token: string, roomId: string, ready: (c: Connection) => boolean = () => true): Promise<Connection> {
  return eventually(`history row ${roomId}`, async () =>
    (await historyOf(token)).find((c) => c.id === roomId && ready(c)),
  );
}

test('GET /api/history answers 401 unauthenticated without a valid session', async () => {
  for (const options of [{}, { token: 'bogus' }, { headers: { cookie: 'st_session=bogus' } }]) {
    const response = await api(server.url, 'GET', '/api/history', options);
    assert.equal(response.status, 401);
    assert.equal(response.body.error.code, 'unauthenticated');
  }
});

test('a new user has an empty history', async () => {
  const { auth, socket } = await user(server, 'Newbie');
  assert.deepEqual(await historyOf(auth.token), []);
  await socket.close();
});

test('a live room shows with the peer, category and ISO startedAt, and endedAt/endReason null', async () => {
  const before = Date.now();
  const { a, b, roomId } = await pair(server, 'movies');
  const after = Date.now();

  const mine = await historyOf(a.auth.token);
  assert.equal(mine.length, 1);
  const row = mine[0]!;
  assert.deepEqual(Object.keys(row).sort(), ['category', 'endReason', 'endedAt', 'id', 'peer', 'startedAt']);
  assert.equal(row.id, roomId);
  assert.equal(row.category, 'movies');
  assert.deepEqual(row.peer, { id: b.auth.user.id, displayName: 'Bo', languages: [] });
  assert.match(row.startedAt, ISO);
  const started = Date.parse(row.startedAt);
  assert.ok(started >= before - 1000 && started <= after + 1000, `startedAt ${row.startedAt} is not the match time`);
  assert.equal(row.endedAt, null);
  assert.equal(row.endReason, null);

  // The peer sees the same connection, from its side.
  const theirs = await historyOf(b.auth.token);
  assert.equal(theirs.length, 1);
  assert.deepEqual(theirs[0], { ...row, peer: { id: a.auth.user.id, displayName: 'Ada', languages: [] } });

  await a.socket.close();
  await b.socket.close();
});

test('after leave, endedAt and endReason "left" are set on both sides and the row stays', async () => {
  const { a, b, roomId } = await pair(server, 'food');
  a.socket.send({ type: 'leave', roomId });
  await a.socket.next('left');
  await b.socket.next('peer_left');

  for (const token of [a.auth.token, b.auth.token]) {
    const row = await rowOf(token, roomId, (c) => c.endedAt !== null);
    assert.equal(row.endReason, 'left');
    assert.match(row.endedAt!, ISO);
    assert.ok(Date.parse(row.endedAt!) >= Date.parse(row.startedAt), 'ended after it started');
  }
  await a.socket.close();
  await b.socket.close();
});

test('a burst of matches larger than one write (70 rooms at once): every room has its row, and a leave at once ends it', async () => {
  const people = await Promise.all(Array.from({ length: 140 }, (_, i) => user(server, `Burst ${i}`)));
  // Sent in one go, so the server matches them in one turn and writes their rows in pieces.
  for (const p of people) p.socket.send({ type: 'join', categories: ['travel'] });
  const matched = await Promise.all(people.map((p) => p.socket.next('matched', 20_000)));
  const rooms = new Map(matched.map((m, i) => [m.roomId, people[i]!]));
  assert.equal(rooms.size, 70);
  // Initiators leave as soon as they hear: each end must land on a row already written.
  const initiators = people.filter((_, i) => matched[i]!.initiator);
  for (const p of initiators) p.socket.send({ type: 'leave', roomId: matched[people.indexOf(p)]!.roomId });
  await Promise.all(initiators.map((p) => p.socket.next('left')));
  for (const [roomId, p] of rooms) {
    const row = await rowOf(p.auth.token, roomId, (c) => c.endedAt !== null);
    assert.equal(row.endReason, 'left');
  }
  await Promise.all(people.map((p) => p.socket.close()));
});

test('a room whose member does not come back within the grace ends with endReason "disconnected"', async () => {
  const { a, b, roomId } = await pair(server, 'sports');
  await a.socket.drop();
  assert.equal((await b.socket.next('peer_left', GRACE_MS + 3000)).reason, 'disconnected');
  const row = await rowOf(b.auth.token, roomId, (c) => c.endedAt !== null);
  assert.equal(row.endReason, 'disconnected');
  await b.socket.close();
});

test('connections are listed newest first, each with its own peer and category', async () => {
  const { a, b, roomId: first } = await pair(server, 'gaming');
  a.socket.send({ type: 'leave', roomId: first });
  await a.socket.next('left');
  await b.socket.next('peer_left');

  // The same user meets someone else twice more, in other categories.
  const rooms = [first];
  const peers = [b];
  for (const [name, category] of [
    ['Cy', 'tech'],
    ['Di', 'art'],
  ] as const) {
    const peer = await user(server, name);
    a.socket.send({ type: 'join', categories: [category] });
    await a.socket.next('queued');
    peer.socket.send({ type: 'join', categories: [category] });
    const matched = await a.socket.next('matched');
    await peer.socket.next('matched');
    rooms.push(matched.roomId);
    peers.push(peer);
    if (category === 'tech') {
      a.socket.send({ type: 'leave', roomId: matched.roomId });
      await a.socket.next('left');
      await peer.socket.next('peer_left');
    }
  }

  const history = await historyOf(a.auth.token);
  assert.deepEqual(
    history.map((c) => c.id),
    [...rooms].reverse(),
    'newest first',
  );
  assert.deepEqual(
    history.map((c) => [c.category, c.peer.displayName]),
    [
      ['art', 'Di'],
      ['tech', 'Cy'],
      ['gaming', 'Bo'],
    ],
  );
  assert.equal(history[0]!.endedAt, null, 'the newest room is still live');
  for (let i = 1; i < history.length; i += 1) {
    assert.ok(Date.parse(history[i - 1]!.startedAt) >= Date.parse(history[i]!.startedAt), 'startedAt descends');
  }
  // The others' histories hold only their own room with this user.
  for (const [i, peer] of peers.entries()) {
    const theirs = await historyOf(peer.auth.token);
    assert.deepEqual(
      theirs.map((c) => [c.id, c.peer.id]),
      [[rooms[i], a.auth.user.id]],
    );
  }
  await Promise.all([a, ...peers].map((u) => u.socket.close()));
});
