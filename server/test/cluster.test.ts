import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { MatchedEvent } from '@small-talk/protocol';
import { useCluster, type ClusterNode } from './cluster.js';
import { createDatabase } from './services.js';
import {
  api,
  connect,
  eventually,
  guest,
  openSocket,
  pair,
  sample,
  scrape,
  sleep,
  user,
  waitingCounts,
  type Client,
} from './harness.js';

/**
 * Three real server processes on one Redis and one PostgreSQL act as one server: every rule of
 * protocol v1 holds for users on different processes.
 */
const GRACE_MS = 3000;

// Relay tests send hundreds of frames back to back: above the default 50/s.
let redis: Redis;
const suite = useCluster(3, { RESUME_GRACE_MS: String(GRACE_MS), WS_RATE_LIMIT: '2000' }, async ({ services }) => {
  redis = new Redis(services.redis.url, { lazyConnect: true });
  await redis.connect();
});
const { skip, nodes, opened } = suite;
after(() => {
  redis?.disconnect();
});

afterEach(async () => {
  // Everyone is out of the queue on every process before the next test.
  if (nodes.length > 0)
    await eventually(
      'empty queues',
      async () => Object.values(await waitingCounts(nodes[0]!)).every((n) => n === 0),
      5000,
    );
});

async function on(node: ClusterNode, name: string) {
  const u = await user(node, name);
  opened.push(u.socket);
  return u;
}

/** Two users on two processes, matched; their sockets are closed after the test. */
async function pairAcross(first: ClusterNode, second: ClusterNode, category = 'music') {
  const p = await pair(first, category, second);
  opened.push(p.a.socket, p.b.socket);
  return p;
}

async function publishCalls(): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(/cmdstat_publish:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

describe('a cluster of three processes', { skip }, () => {
  test('any two users on any two processes are matched: mutual, one initiator, the same room in both histories', async () => {
    for (const [i, j] of [
      [0, 1],
      [1, 2],
      [2, 0],
    ] as const) {
      const { a, b, matchedA, matchedB, roomId } = await pairAcross(nodes[i]!, nodes[j]!);
      assert.equal(matchedB.roomId, roomId);
      assert.equal(matchedA.peer.id, b.auth.user.id);
      assert.equal(matchedB.peer.id, a.auth.user.id);
      assert.equal(matchedA.category, 'music');
      assert.equal(matchedA.resumed, false);
      assert.deepEqual(
        [matchedA.initiator, matchedB.initiator],
        [false, true],
        'the joiner (on the other process) makes the offer',
      );
      a.socket.send({ type: 'leave', roomId });
      assert.deepEqual(await a.socket.next(), { type: 'left', roomId });
      assert.deepEqual(await b.socket.next(), { type: 'peer_left', roomId, reason: 'left' });
      // Each side reads history from a third process.
      for (const side of [a, b]) {
        const rows = (await api(nodes[(j + 1) % 3]!.url, 'GET', '/api/history', { token: side.auth.token })).body
          .connections;
        assert.equal(rows[0].id, roomId);
        assert.equal(rows[0].endReason, 'left');
      }
    }
  });

  test('FIFO across the cluster: the longest-waiting user, whatever process it is on, is matched first; never self', async () => {
    const first = await on(nodes[0]!, 'First');
    first.socket.send({ type: 'join', categories: ['books'] });
    await first.socket.next('queued');
    const second = await on(nodes[1]!, 'Second');
    second.socket.send({ type: 'join', categories: ['travel'] });
    await second.socket.next('queued');
    // Joining again replaces the categories: never matched with oneself.
    first.socket.send({ type: 'join', categories: ['books', 'food'] });
    await first.socket.next('queued');
    const joiner = await on(nodes[2]!, 'Joiner');
    joiner.socket.send({ type: 'join', categories: ['travel', 'books'] });
    await joiner.socket.next('queued');
    const matched = await joiner.socket.next('matched');
    assert.equal(
      matched.peer.id,
      second.auth.user.id,
      'second re-queued after first, but first re-queued later: second waited longest',
    );
    assert.equal(matched.category, 'travel');
  });

  test("categories' waiting counts and the queue/room gauges are the same on every process", async () => {
    const waiting = await on(nodes[0]!, 'Waiting');
    waiting.socket.send({ type: 'join', categories: ['music', 'books'] });
    await waiting.socket.next('queued');
    for (const node of nodes) {
      const counts = await waitingCounts(node);
      assert.equal(counts.music, 1, `node ${node.index}`);
      assert.equal(counts.books, 1, `node ${node.index}`);
      assert.equal(sample(await scrape(node), 'smalltalk_queued_users'), 1, `node ${node.index}`);
    }
    const roomsBefore = sample(await scrape(nodes[0]!), 'smalltalk_rooms_live'); // earlier tests' rooms may wait out their grace
    const { roomId } = await pairAcross(nodes[1]!, nodes[2]!, 'tech');
    for (const node of nodes)
      assert.ok(sample(await scrape(node), 'smalltalk_rooms_live') >= roomsBefore + 1, `node ${node.index}`);
    const live = await Promise.all(nodes.map(async (node) => sample(await scrape(node), 'smalltalk_rooms_live')));
    assert.equal(new Set(live).size, 1, `every process counts the same rooms: ${live}`);
    waiting.socket.send({ type: 'cancel' });
    await waiting.socket.next('cancelled');
    for (const node of nodes) assert.equal((await waitingCounts(node)).music, 0);
    assert.ok(roomId);
  });

  test('frames across processes arrive in the order sent, none lost; a pair on one process is relayed without Redis', async () => {
    const across = await pairAcross(nodes[0]!, nodes[1]!);
    /** Signals `from` to `to` (excluded) from a to b and chats from b to a, all at once; each side gets its own in order. */
    const exchange = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        across.a.socket.send({ type: 'signal', roomId: across.roomId, data: { seq: i } });
        across.b.socket.send({ type: 'chat', roomId: across.roomId, text: `c${i}` });
      }
      for (let i = from; i < to; i++) assert.deepEqual((await across.b.socket.next('signal')).data, { seq: i });
      for (let i = from; i < to; i++) assert.equal((await across.a.socket.next('chat')).text, `c${i}`);
    };
    const publishedBefore = await publishCalls();
    await exchange(0, 500);
    // Through Redis, and batched: the frames a process sends another within one turn share a PUBLISH.
    const published = (await publishCalls()) - publishedBefore;
    assert.ok(published > 0 && published < 1000, `1,000 cross-process frames went as ${published} PUBLISH`);
    // Those opened a peer link each way (they arrived before it was up): what follows goes on
    // the links, not through Redis, and /metrics says so on each process.
    const sentAway = () =>
      Promise.all(
        [nodes[0]!, nodes[1]!].map(async (node) => {
          const text = await scrape(node);
          return ['link', 'redis'].map((path) => sample(text, 'smalltalk_frames_sent_away_total', { path }));
        }),
      );
    const sentBefore = await sentAway();
    await exchange(500, 700);
    const sentAfter = await sentAway();
    for (const i of [0, 1]) {
      const [link, redis] = [0, 1].map((path) => sentAfter[i]![path]! - sentBefore[i]![path]!);
      assert.ok(link! >= 200 && redis === 0, `process ${i}: ${link} frames on its link, ${redis} through Redis`);
    }

    const same = await pairAcross(nodes[2]!, nodes[2]!);
    const before = await publishCalls();
    for (let i = 0; i < 300; i++) same.a.socket.send({ type: 'signal', roomId: same.roomId, data: { seq: i } });
    for (let i = 0; i < 300; i++) assert.deepEqual((await same.b.socket.next('signal')).data, { seq: i });
    assert.equal((await publishCalls()) - before, 0, 'no PUBLISH for a pair on one process');
  });

  test('resume on ANY process within the grace: matched resumed:true, then the frames sent meanwhile, in order', async () => {
    const { a, b, roomId, matchedA } = await pairAcross(nodes[0]!, nodes[1]!);
    await a.socket.drop();
    await sleep(200);
    const sent: unknown[] = [];
    for (let seq = 0; seq < 40; seq++) {
      const frame =
        seq % 3 === 0
          ? { type: 'chat', roomId, text: `chat ${seq}` }
          : seq % 3 === 1
            ? { type: 'signal', roomId, data: { seq } }
            : { type: 'typing', roomId };
      b.socket.send(frame);
      sent.push(frame);
    }
    await b.socket.nothingWithin(300);
    const back = await openSocket(nodes[2]!, { authorization: `Bearer ${a.auth.token}` });
    opened.push(back);
    assert.deepEqual(await back.next(), { type: 'welcome', user: a.auth.user });
    assert.deepEqual(await back.next(), { ...matchedA, resumed: true });
    for (const [seq, frame] of sent.entries()) {
      const got = await back.next();
      const f = frame as { type: string; text?: string; data?: unknown };
      assert.equal(got.type, f.type, `frame ${seq}`);
      if (got.type === 'chat') assert.equal(got.text, f.text);
      if (got.type === 'signal') assert.deepEqual(got.data, f.data);
    }
    back.send({ type: 'signal', roomId, data: 'back on node 2' });
    assert.deepEqual((await b.socket.next('signal')).data, 'back on node 2');
    back.send({ type: 'leave', roomId });
    assert.deepEqual(await b.socket.next(), { type: 'peer_left', roomId, reason: 'left' });
  });

  test('a user who does not come back: its peer on another process gets peer_left disconnected after the grace, history says so', async () => {
    const { a, b, roomId } = await pairAcross(nodes[1]!, nodes[2]!);
    const dropped = Date.now();
    await a.socket.drop();
    const left = await b.socket.next('peer_left', GRACE_MS + 3000);
    assert.deepEqual(left, { type: 'peer_left', roomId, reason: 'disconnected' });
    assert.ok(Date.now() - dropped >= GRACE_MS - 100, 'not before the grace');
    const row = (await api(nodes[0]!.url, 'GET', '/api/history', { token: b.auth.token })).body.connections[0];
    assert.equal(row.endReason, 'disconnected');
  });

  test('one socket per user cluster-wide: a socket on another process takes over (old one closed 4000) and gets the room back', async () => {
    const { a, b, roomId, matchedA } = await pairAcross(nodes[0]!, nodes[1]!);
    const takeover = await openSocket(nodes[2]!, { authorization: `Bearer ${a.auth.token}` });
    opened.push(takeover);
    assert.equal(await a.socket.closed, 4000);
    assert.deepEqual(await takeover.next(), { type: 'welcome', user: a.auth.user });
    assert.deepEqual(await takeover.next(), { ...matchedA, resumed: true });
    await b.socket.nothingWithin(300);
    b.socket.send({ type: 'chat', roomId, text: 'still here?' });
    assert.equal((await takeover.next('chat')).text, 'still here?');

    // Queued on one process, a new socket on another drops the old queue entry.
    const q = await on(nodes[0]!, 'Queued');
    q.socket.send({ type: 'join', categories: ['gaming'] });
    await q.socket.next('queued');
    const again = await connect(nodes[1]!, q.auth.token);
    opened.push(again);
    assert.equal(await q.socket.closed, 4000);
    await again.next('welcome');
    await eventually('the old entry gone', async () => (await waitingCounts(nodes[2]!)).gaming === 0, 3000);
  });
});

describe('3 processes × 1,000 users joining at once', { skip }, () => {
  test(
    'every match mutual with one initiator, nobody in two rooms, nobody left waiting who shares a category with another waiting user',
    { timeout: 120_000 },
    async () => {
      const CATEGORIES = ['music', 'movies', 'books', 'sports', 'gaming', 'travel', 'food', 'tech'];
      const PER_NODE = 1000;
      const users: Array<{
        node: ClusterNode;
        id: string;
        categories: string[];
        socket: Client;
        matched: MatchedEvent[];
      }> = [];
      // Guests and sockets first, a few at a time, so the join is the only thing happening at once.
      for (const node of nodes) {
        for (let start = 0; start < PER_NODE; start += 100) {
          const batch = await Promise.all(
            Array.from({ length: 100 }, async (_, k) => {
              const i = users.length + start + k;
              const auth = await guest(node.url, `U${i}`);
              const socket = await connect(node, auth.token);
              await socket.next('welcome');
              const categories = [
                ...new Set(
                  [CATEGORIES[i % 8]!, CATEGORIES[(i * 7 + 3) % 8]!, CATEGORIES[(i * 5 + 1) % 8]!].slice(
                    0,
                    1 + (i % 3),
                  ),
                ),
              ];
              return { node, id: auth.user.id, categories, socket, matched: [] as MatchedEvent[] };
            }),
          );
          users.push(...batch);
        }
      }
      opened.push(...users.map((u) => u.socket));
      for (const u of users) {
        u.socket.ws.on('message', (data) => {
          const frame = JSON.parse(data.toString());
          if (frame.type === 'matched') u.matched.push(frame);
        });
      }

      const started = Date.now();
      for (const u of users) u.socket.send({ type: 'join', categories: u.categories });
      // Settled when the store accounts for everyone and every matched frame has arrived.
      await eventually(
        'everyone queued or matched',
        async () => {
          const text = await scrape(nodes[0]!);
          const rooms = sample(text, 'smalltalk_rooms_live');
          const queued = sample(text, 'smalltalk_queued_users');
          const frames = users.reduce((n, u) => n + u.matched.length, 0);
          return rooms * 2 + queued === users.length && frames === rooms * 2;
        },
        60_000,
      );
      const took = Date.now() - started;

      const byId = new Map(users.map((u) => [u.id, u]));
      const rooms = new Map<string, MatchedEvent[]>();
      for (const u of users) {
        assert.ok(u.matched.length <= 1, `${u.id} matched ${u.matched.length} times`);
        const m = u.matched[0];
        if (!m) continue;
        assert.notEqual(m.peer.id, u.id, 'never self');
        const peer = byId.get(m.peer.id)!;
        assert.equal(peer.matched[0]?.peer.id, u.id, 'mutual');
        assert.equal(peer.matched[0]?.roomId, m.roomId);
        rooms.set(m.roomId, [...(rooms.get(m.roomId) ?? []), m]);
        assert.ok(m.category && u.categories.includes(m.category) && peer.categories.includes(m.category));
      }
      for (const [roomId, sides] of rooms) {
        assert.equal(sides.length, 2, roomId);
        assert.equal(sides.filter((s) => s.initiator).length, 1, `one initiator in ${roomId}`);
      }
      const waiting = users.filter((u) => u.matched.length === 0);
      for (const [i, a] of waiting.entries()) {
        for (const b of waiting.slice(i + 1))
          assert.ok(
            !a.categories.some((c) => b.categories.includes(c)),
            `${a.id} and ${b.id} share a category and both wait`,
          );
      }
      const expected = Object.fromEntries(
        CATEGORIES.map((c) => [c, waiting.filter((u) => u.categories.includes(c)).length]),
      );
      for (const node of nodes) {
        const counts = await waitingCounts(node);
        for (const c of CATEGORIES) assert.equal(counts[c], expected[c], `waiting in ${c} on node ${node.index}`);
      }
      console.log(
        `# ${users.length} users over 3 processes: ${rooms.size} rooms, ${waiting.length} waiting, settled in ${took} ms`,
      );
    },
  );
});

/** Two free ports in a row, for a runner that takes consecutive ports. */
async function consecutivePorts(): Promise<number> {
  for (;;) {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const next = net.createServer();
    const free = await new Promise<boolean>((resolve) => {
      next.once('error', () => resolve(false));
      next.listen(port + 1, '127.0.0.1', () => next.close(() => resolve(true)));
    });
    if (free && port < 65535) return port;
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const built = fs.existsSync(path.join(root, 'server/dist/main.js'));

describe(
  'npm run start:cluster',
  { skip: skip || (built ? false : 'server/dist is not built (npm test builds it)') },
  () => {
    test(
      'runs N processes on consecutive ports that act as one, and drains them all on SIGTERM',
      { timeout: 60_000 },
      async () => {
        const port = await consecutivePorts();
        const name = `st_runner_${Date.now()}`;
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          REDIS_URL: suite.services.redis.url,
          REDIS_PREFIX: name,
          DATABASE_URL: await createDatabase(suite.services.postgres.url, name),
          LOG_LEVEL: 'warn',
          GUEST_RATE_LIMIT_PER_MIN: '100000',
        };
        delete env.NODE_TEST_CONTEXT;
        const runner = spawn(process.execPath, ['scripts/cluster.mjs', '2'], {
          cwd: root,
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let output = '';
        runner.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
        const exited = new Promise<number | null>((resolve) => runner.on('exit', (code) => resolve(code)));
        const reap = () => runner.kill('SIGKILL');
        process.once('exit', reap);
        try {
          const endpoints = [port, port + 1].map((p) => ({
            url: `http://127.0.0.1:${p}`,
            wsUrl: `ws://127.0.0.1:${p}/ws`,
          }));
          for (const e of endpoints)
            await eventually(
              `${e.url}/healthz`,
              () =>
                api(e.url, 'GET', '/healthz').then(
                  (r) => r.status === 200,
                  () => false,
                ),
              30_000,
            );
          const a = await user(endpoints[0]!, 'A');
          const b = await user(endpoints[1]!, 'B');
          a.socket.send({ type: 'join', categories: ['art'] });
          await a.socket.next('queued');
          b.socket.send({ type: 'join', categories: ['art'] });
          assert.equal((await a.socket.next('matched')).peer.id, b.auth.user.id);
          runner.kill('SIGTERM');
          assert.deepEqual(await Promise.all([a.socket.closed, b.socket.closed]), [1012, 1012]);
          assert.equal(await exited, 0, output);
        } finally {
          process.off('exit', reap);
          if (runner.exitCode === null) runner.kill('SIGKILL');
        }
      },
    );
  },
);
