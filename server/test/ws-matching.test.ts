import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { MatchedEvent } from '@small-talk/protocol';
import {
  api,
  closeAndSettle,
  connect,
  guest,
  pair,
  openSocket,
  startServer,
  user,
  waitFor,
  waitingCounts,
  type Client,
  type TestServer,
} from './harness.js';

/** join, queued, matched, cancel: who meets whom, in what order, and who is counted as waiting. */

let server: TestServer;
before(async () => {
  server = await startServer({
    // Long, so a queued user leaving "at once" cannot be confused with a grace running out.
    RESUME_GRACE_MS: '10000',
    // The 500-user test opens 500 sockets and creates 500 guests from loopback, beside the other tests'.
    MAX_SOCKETS_PER_ADDRESS: '1000',
    GUEST_RATE_LIMIT_PER_MIN: '5000',
  });
});
after(() => server.close());

/** Every socket a test opened; closed after it, and the queues checked empty, so tests do not meet each other's users. */
let opened: Client[] = [];
afterEach(async () => {
  await closeAndSettle(server, opened);
  opened = [];
});

async function person(displayName: string) {
  const u = await user(server, displayName);
  opened.push(u.socket);
  return { id: u.auth.user.id, displayName, token: u.auth.token, socket: u.socket };
}
type Person = Awaited<ReturnType<typeof person>>;

/** Sends join and expects `queued` with the categories as the very next frame. */
async function join(p: Person, categories: string[]): Promise<void> {
  p.socket.send({ type: 'join', categories });
  assert.deepEqual(await p.socket.next(), { type: 'queued', categories }, `${p.displayName} queued`);
}

async function waiting(): Promise<Record<string, number>> {
  return waitingCounts(server);
}

describe('join and matched', () => {
  test('join → queued first, then matched to both: same roomId, each other as peer, the category, one initiator, resumed:false', async () => {
    const ada = await person('Ada');
    const bo = await person('Bo');
    await join(ada, ['music']);
    await ada.socket.nothingWithin(100);
    // Bo's match is instant, and still `queued` comes first.
    await join(bo, ['music']);
    const toBo = await bo.socket.next();
    const toAda = await ada.socket.next();
    assert.equal(toAda.type, 'matched');
    assert.equal(toBo.type, 'matched');
    if (toAda.type !== 'matched' || toBo.type !== 'matched') return;
    assert.equal(typeof toAda.roomId, 'string');
    assert.ok(toAda.roomId.length > 0);
    assert.deepEqual(toAda, {
      type: 'matched',
      roomId: toBo.roomId,
      peer: { id: bo.id, displayName: 'Bo', languages: [], bio: '' },
      category: 'music',
      initiator: toAda.initiator,
      resumed: false,
      // No TURN in this server: there is no relay to hide addresses behind.
      iceTransportPolicy: 'all',
    });
    assert.deepEqual(toBo, {
      type: 'matched',
      roomId: toAda.roomId,
      peer: { id: ada.id, displayName: 'Ada', languages: [], bio: '' },
      category: 'music',
      initiator: toBo.initiator,
      resumed: false,
      iceTransportPolicy: 'all',
    });
    assert.equal(typeof toAda.initiator, 'boolean');
    assert.equal([toAda.initiator, toBo.initiator].filter(Boolean).length, 1, 'exactly one initiator');
    await ada.socket.nothingWithin(100);
    await bo.socket.nothingWithin(0);
  });

  test('the room is written to history when it starts, live (endedAt and endReason null)', async () => {
    const ada = await person('Ada');
    const bo = await person('Bo');
    await join(ada, ['books']);
    await join(bo, ['books']);
    const { roomId } = await ada.socket.next('matched');
    for (const [me, peer] of [
      [ada, bo],
      [bo, ada],
    ] as const) {
      const history = await api(server.url, 'GET', '/api/history', { token: me.token });
      assert.equal(history.status, 200);
      const row = history.body.connections.find((c: { id: string }) => c.id === roomId);
      assert.ok(row, `${me.displayName} has the room in history`);
      assert.deepEqual(row, {
        id: roomId,
        category: 'books',
        peer: { id: peer.id, displayName: peer.displayName, languages: [] },
        startedAt: row.startedAt,
        endedAt: null,
        endReason: null,
      });
      assert.ok(!Number.isNaN(Date.parse(row.startedAt)));
    }
  });

  test('queued echoes the categories asked for, in order', async () => {
    const ada = await person('Ada');
    await join(ada, ['travel', 'food', 'tech']);
  });
});

describe('who is matched with whom', () => {
  // Users waiting at the same time share no category (they would have been matched), so FIFO
  // shows across categories: the joiner's list order must not beat arrival order.
  test("FIFO: the longest-waiting user sharing a category is chosen, whatever the order of the joiner's list", async () => {
    const [w1, w2, w3, j1, j2, j3] = await Promise.all(['W1', 'W2', 'W3', 'J1', 'J2', 'J3'].map((n) => person(n)));
    await join(w1!, ['tech']);
    await join(w2!, ['music']);
    await join(w3!, ['books']);
    await join(j1!, ['music', 'books', 'tech']);
    const first = await j1!.socket.next('matched');
    assert.equal(first.peer.id, w1!.id, 'J1 meets W1, who waited longest');
    assert.equal(first.category, 'tech');
    assert.equal((await w1!.socket.next('matched')).peer.id, j1!.id);
    await join(j2!, ['books', 'music']);
    const second = await j2!.socket.next('matched');
    assert.equal(second.peer.id, w2!.id, 'J2 meets W2, who waited longer than W3');
    assert.equal(second.category, 'music');
    await w2!.socket.next('matched');
    await join(j3!, ['books']);
    assert.equal((await j3!.socket.next('matched')).peer.id, w3!.id);
    await w3!.socket.next('matched');
  });

  test("category is the first in the joiner's list that the waiting user also has", async () => {
    const [waiter, joiner] = await Promise.all(['Waiter', 'Joiner'].map(person));
    await join(waiter!, ['movies', 'music', 'tech']);
    await join(joiner!, ['food', 'tech', 'music']);
    const toJoiner = await joiner!.socket.next('matched');
    const toWaiter = await waiter!.socket.next('matched');
    assert.equal(toJoiner.category, 'tech');
    assert.equal(toWaiter.category, 'tech');
  });

  test('users with no category in common are not matched', async () => {
    const [ada, bo] = await Promise.all(['Ada', 'Bo'].map(person));
    await join(ada!, ['music', 'books']);
    await join(bo!, ['sports', 'food']);
    await ada!.socket.nothingWithin(150);
    await bo!.socket.nothingWithin(0);
  });

  test('never self-matched: the same user joining twice stays queued alone, counted once', async () => {
    const [ada, bo] = await Promise.all(['Ada', 'Bo'].map(person));
    await join(ada!, ['music']);
    await join(ada!, ['music']);
    await ada!.socket.nothingWithin(150);
    assert.equal((await waiting()).music, 1);
    await join(bo!, ['music']);
    assert.equal((await bo!.socket.next('matched')).peer.id, ada!.id);
    assert.equal((await ada!.socket.next('matched')).peer.id, bo!.id);
  });

  test('re-join while queued: the new categories replace the old', async () => {
    const [ada, bo, cy] = await Promise.all(['Ada', 'Bo', 'Cy'].map(person));
    await join(ada!, ['music', 'movies']);
    await join(ada!, ['books']);
    const counts = await waiting();
    assert.equal(counts.music, 0);
    assert.equal(counts.movies, 0);
    assert.equal(counts.books, 1);
    // Bo shares only Ada's old categories: no match.
    await join(bo!, ['music', 'movies']);
    await bo!.socket.nothingWithin(150);
    await ada!.socket.nothingWithin(0);
    await join(cy!, ['books']);
    assert.equal((await cy!.socket.next('matched')).peer.id, ada!.id);
    assert.equal((await ada!.socket.next('matched')).category, 'books');
  });

  test('a user queued in several categories counts in the waiting of each, and leaves all of them when matched', async () => {
    const [ada, bo, cy, dee] = await Promise.all(['Ada', 'Bo', 'Cy', 'Dee'].map((n) => person(n)));
    await join(ada!, ['music', 'books', 'tech']);
    await join(bo!, ['travel', 'food']);
    const queuedIn = new Set(['music', 'books', 'tech', 'travel', 'food']);
    for (const [slug, n] of Object.entries(await waiting()))
      assert.equal(n, queuedIn.has(slug) ? 1 : 0, `waiting in ${slug}`);
    await join(cy!, ['books']);
    assert.equal((await cy!.socket.next('matched')).peer.id, ada!.id);
    await ada!.socket.next('matched');
    const after = await waiting();
    for (const [slug, n] of Object.entries(after))
      assert.equal(n, slug === 'travel' || slug === 'food' ? 1 : 0, `waiting in ${slug} after the match`);
    // Ada is in a room now: her other categories no longer offer her to anyone (never into two rooms).
    await join(dee!, ['music', 'tech']);
    await dee!.socket.nothingWithin(150);
    await ada!.socket.nothingWithin(0);
  });
});

describe('leaving the queue', () => {
  test('cancel → cancelled, out of the queue: waiting drops and nobody is matched with the canceller', async () => {
    const [ada, bo] = await Promise.all(['Ada', 'Bo'].map(person));
    await join(ada!, ['music', 'books']);
    ada!.socket.send({ type: 'cancel' });
    assert.deepEqual(await ada!.socket.next(), { type: 'cancelled' });
    const counts = await waiting();
    assert.equal(counts.music, 0);
    assert.equal(counts.books, 0);
    await join(bo!, ['music']);
    await bo!.socket.nothingWithin(150);
    await ada!.socket.nothingWithin(0);
  });

  test('cancel when not queued still answers cancelled', async () => {
    const ada = await person('Ada');
    ada.socket.send({ type: 'cancel' });
    assert.deepEqual(await ada.socket.next(), { type: 'cancelled' });
  });

  test('a socket closed while queued is out of the queue at once, not after the grace', async () => {
    for (const how of ['close', 'drop'] as const) {
      const [ada, bo] = await Promise.all(['Ada', 'Bo'].map(person));
      await join(ada!, ['music', 'movies']);
      if (how === 'close') await ada!.socket.close();
      else await ada!.socket.drop();
      // RESUME_GRACE_MS is 10 s here: leaving the queue within 1 s is "at once".
      await waitFor(
        `${how}: waiting back to 0`,
        async () => {
          const counts = await waiting();
          return counts.music === 0 && counts.movies === 0;
        },
        1000,
      );
      await join(bo!, ['movies']);
      await bo!.socket.nothingWithin(150);
      bo!.socket.send({ type: 'cancel' });
      await bo!.socket.next('cancelled');
    }
  });
});

describe('500 users joining at once across categories', () => {
  /** A small seeded PRNG (mulberry32), so a failure can be replayed. */
  function random(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  test('every match is mutual, nobody is in two rooms, nobody waits beside someone they share a category with', async () => {
    const slugs = ['music', 'movies', 'books', 'sports', 'gaming', 'travel', 'food', 'tech'];
    const rand = random(20240503);
    const N = 500;

    const people: Array<{ id: string; displayName: string; socket: Client; categories: string[] }> = [];
    for (let batch = 0; batch < N; batch += 50) {
      const created = await Promise.all(
        Array.from({ length: Math.min(50, N - batch) }, (_, i) => guest(server.url, `Crowd ${batch + i}`)),
      );
      const sockets = await Promise.all(created.map((g) => openSocket(server, { authorization: `Bearer ${g.token}` })));
      created.forEach((g, i) => {
        // 1 to 3 distinct categories in random order.
        const pool = [...slugs];
        const count = 1 + Math.floor(rand() * 3);
        const categories = Array.from({ length: count }, () => pool.splice(Math.floor(rand() * pool.length), 1)[0]!);
        people.push({ id: g.user.id, displayName: g.user.displayName, socket: sockets[i]!, categories });
      });
      opened.push(...sockets);
    }
    await Promise.all(people.map((p) => p.socket.next('welcome')));

    // All joins leave at once. Each socket's frames are handled in order, so the answer to a
    // probe sent right behind the join proves that join finished (its matches are sent).
    for (const p of people) {
      p.socket.send({ type: 'join', categories: p.categories });
      p.socket.send({ type: 'typing', roomId: 'probe-1' });
    }
    const probed = (p: (typeof people)[number], n: number) =>
      p.socket.frames.filter((f) => f.type === 'error' && f.code === 'not_in_room').length >= n;
    await waitFor('every join handled', () => people.every((p) => probed(p, 1)), 20000);
    // Every match is sent now, but maybe not yet read: a second probe, answered behind them, flushes them.
    for (const p of people) p.socket.send({ type: 'typing', roomId: 'probe-2' });
    await waitFor('every match delivered', () => people.every((p) => probed(p, 2)), 20000);

    const byId = new Map(people.map((p) => [p.id, p]));
    const rooms = new Map<string, Array<{ id: string; matched: MatchedEvent }>>();
    const unmatched: typeof people = [];
    for (const p of people) {
      const frames = p.socket.frames.filter((f) => !(f.type === 'error' && f.code === 'not_in_room'));
      assert.deepEqual(frames[0], { type: 'queued', categories: p.categories }, 'queued first');
      const matches = frames.filter((f) => f.type === 'matched');
      assert.ok(matches.length <= 1, `${p.id} matched ${matches.length} times`);
      assert.equal(frames.length, 1 + matches.length, `unexpected frames: ${JSON.stringify(frames)}`);
      const m = matches[0];
      if (!m) {
        unmatched.push(p);
        continue;
      }
      if (!rooms.has(m.roomId)) rooms.set(m.roomId, []);
      rooms.get(m.roomId)!.push({ id: p.id, matched: m });
    }

    for (const [roomId, members] of rooms) {
      assert.equal(members.length, 2, `room ${roomId} has ${members.length} members`);
      const [x, y] = members as [(typeof members)[0], (typeof members)[0]];
      assert.notEqual(x.id, y.id, 'never self-matched');
      assert.equal(x.matched.peer.id, y.id, 'mutual');
      assert.equal(y.matched.peer.id, x.id, 'mutual');
      assert.equal(x.matched.peer.displayName, byId.get(y.id)!.displayName);
      assert.equal(y.matched.peer.displayName, byId.get(x.id)!.displayName);
      assert.equal(x.matched.category, y.matched.category);
      assert.ok(x.matched.category !== null, 'a stranger match has a category');
      assert.ok(byId.get(x.id)!.categories.includes(x.matched.category), 'category shared');
      assert.ok(byId.get(y.id)!.categories.includes(x.matched.category), 'category shared');
      assert.equal(Number(x.matched.initiator) + Number(y.matched.initiator), 1, 'exactly one initiator');
      assert.equal(x.matched.resumed, false);
      assert.equal(y.matched.resumed, false);
    }
    assert.equal(rooms.size * 2 + unmatched.length, N);

    // Those left waiting share no category with each other: any such pair should have been matched.
    for (let i = 0; i < unmatched.length; i++) {
      for (let j = i + 1; j < unmatched.length; j++) {
        const shared = unmatched[i]!.categories.filter((c) => unmatched[j]!.categories.includes(c));
        assert.deepEqual(shared, [], 'two users left waiting share a category');
      }
    }
    const counts = await waiting();
    for (const slug of slugs) {
      assert.equal(counts[slug], unmatched.filter((p) => p.categories.includes(slug)).length, `waiting in ${slug}`);
    }
  });
});

describe('strangers relay through TURN when the server has it', () => {
  let withTurn: TestServer;
  before(async () => {
    // Configured only: no TURN server answers, and none needs to for the frames.
    withTurn = await startServer({
      TURN_URLS: 'turn:127.0.0.1:3478?transport=udp',
      TURN_SECRET: 'a-test-secret-of-some-length',
      RESUME_GRACE_MS: '10000',
    });
  });
  after(() => withTurn.close());

  test('matched says iceTransportPolicy relay to both strangers, and again when the room resumes; GET /api/ice keeps the process-wide default', async () => {
    const { a, b, matchedA, matchedB } = await pair(withTurn, 'music');
    opened.push(a.socket, b.socket);
    assert.deepEqual([matchedA.iceTransportPolicy, matchedB.iceTransportPolicy], ['relay', 'relay']);
    await a.socket.drop();
    const back = await connect(withTurn, a.auth.token);
    opened.push(back);
    await back.next('welcome');
    const resumed = await back.next('matched');
    assert.deepEqual([resumed.roomId, resumed.resumed, resumed.iceTransportPolicy], [matchedA.roomId, true, 'relay']);
    const ice = await api(withTurn.url, 'GET', '/api/ice', { token: a.auth.token });
    assert.equal(ice.body.iceTransportPolicy, 'all');
    await closeAndSettle(withTurn, opened.splice(0));
  });

  test('STRANGER_ICE_POLICY=all lets strangers connect directly even with TURN', async () => {
    const open = await startServer({
      TURN_URLS: 'turn:127.0.0.1:3478?transport=udp',
      TURN_SECRET: 'a-test-secret-of-some-length',
      STRANGER_ICE_POLICY: 'all',
    });
    try {
      const { a, b, matchedA, matchedB } = await pair(open, 'music');
      assert.deepEqual([matchedA.iceTransportPolicy, matchedB.iceTransportPolicy], ['all', 'all']);
      await closeAndSettle(open, [a.socket, b.socket]);
    } finally {
      await open.close();
    }
  });
});
