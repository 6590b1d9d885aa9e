import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { LanguageCode } from '@small-talk/protocol';
import { MemoryMatchStore } from '../src/storage/match/memory.js';
import { RedisMatchStore } from '../src/storage/match/redis.js';
import {
  compatible,
  peerOf,
  type MatchStore,
  type MatchStoreOptions,
  type Member,
  type Room,
} from '../src/storage/match/store.js';
import { connectRedis, type RedisConnections } from '../src/storage/redis.js';
import { missingServices, startRedis, type Service } from './services.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One contract, both implementations: the rules of protocol v1's queue hold the same in memory
 * and in Redis. For Redis, "processes" are separate stores on separate connections.
 */
const log = pino({ level: 'silent' });
const redisMissing = process.env.REDIS_URL ? null : missingServices()?.includes('redis') ? 'needs redis-server' : null;

let redis: Service | undefined;
const connections: RedisConnections[] = [];
before(async () => {
  if (!redisMissing) redis = await startRedis();
});
after(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await redis?.close();
});

interface Implementation {
  name: string;
  skip: string | false;
  /** `processes` stores over the same shared state (one for memory: it cannot be shared). */
  make(processes: number, options?: MatchStoreOptions): Promise<MatchStore[]>;
}

const implementations: Implementation[] = [
  {
    name: 'MemoryMatchStore',
    skip: false,
    async make(processes, options) {
      const store = new MemoryMatchStore(options);
      return Array.from({ length: processes }, () => store);
    },
  },
  {
    name: 'RedisMatchStore',
    skip: redisMissing ?? false,
    async make(processes, options) {
      const prefix = `t${randomUUID().slice(0, 8)}`;
      return Promise.all(
        Array.from({ length: processes }, async () => {
          const connection = await connectRedis(redis!.url, prefix, log);
          connections.push(connection);
          return new RedisMatchStore(connection.commands, connection.prefix, randomUUID(), options);
        }),
      );
    },
  },
];

let n = 0;
const member = (name = 'user', languages: LanguageCode[] = [], bio = ''): Member => ({
  id: `${name}-${++n}-${randomUUID().slice(0, 4)}`,
  displayName: name,
  languages,
  bio,
});

for (const impl of implementations) {
  describe(impl.name, { skip: impl.skip }, () => {
    test('the first joiner is queued; the second who shares a category is matched with it: one room, mutual, the joiner makes the offer', async () => {
      const [store] = await impl.make(1);
      const ada = member('Ada');
      const bo = member('Bo');
      assert.equal((await store!.join(ada, ['music'])).kind, 'queued');
      const result = await store!.join(bo, ['books', 'music']);
      assert.equal(result.kind, 'matched');
      if (result.kind !== 'matched') return;
      const room = result.room;
      assert.deepEqual(room.members.map((m) => m.id).sort(), [ada.id, bo.id].sort());
      assert.deepEqual(peerOf(room, ada.id), bo);
      assert.equal(room.initiatorId, bo.id);
      assert.equal(room.category, 'music');
      assert.match(room.startedAt, /^\d{4}-\d\d-\d\dT/);
      assert.ok(result.waitedMs >= 0);
      assert.deepEqual(await store!.roomOf(ada.id), room);
      assert.deepEqual(await store!.roomOf(bo.id), room);
      assert.deepEqual(await store!.counts(), { queued: 0, rooms: 1 });
    });

    test("category is the first of the joiner's categories that the waiting user also has", async () => {
      const [store] = await impl.make(1);
      await store!.join(member(), ['tech', 'food', 'art']);
      const result = await store!.join(member(), ['books', 'art', 'food']);
      assert.equal(result.kind === 'matched' && result.room.category, 'art');
    });

    test('FIFO across categories: the longest-waiting user who shares any category wins', async () => {
      const [store] = await impl.make(1);
      const first = member('first');
      const second = member('second');
      await store!.join(first, ['books']);
      await store!.join(second, ['music']);
      const result = await store!.join(member('joiner'), ['music', 'books']);
      assert.equal(result.kind, 'matched');
      assert.ok(
        result.kind === 'matched' && result.room.members.some((m) => m.id === first.id),
        'matched with the one who came first',
      );
      assert.equal(result.kind === 'matched' && result.room.category, 'books');
    });

    test('never self: joining again while queued replaces the categories', async () => {
      const [store] = await impl.make(1);
      const ada = member('Ada');
      await store!.join(ada, ['music']);
      assert.equal((await store!.join(ada, ['music', 'books'])).kind, 'queued');
      assert.deepEqual(Object.fromEntries(await store!.waitingByCategory()), {
        ...Object.fromEntries(await store!.waitingByCategory()),
        music: 1,
        books: 1,
      });
      assert.equal((await store!.join(ada, ['books'])).kind, 'queued');
      const waiting = await store!.waitingByCategory();
      assert.equal(waiting.get('music') ?? 0, 0, 'the old categories are gone');
      assert.equal(waiting.get('books'), 1);
      assert.deepEqual(await store!.counts(), { queued: 1, rooms: 0 });
    });

    test('busy while in a room; cancel takes a user out of the queue once', async () => {
      const [store] = await impl.make(1);
      const ada = member();
      const bo = member();
      await store!.join(ada, ['music']);
      const matched = await store!.join(bo, ['music']);
      const busy = await store!.join(ada, ['books']);
      assert.equal(busy.kind, 'busy');
      assert.equal(busy.kind === 'busy' && matched.kind === 'matched' && busy.room.id === matched.room.id, true);

      const cy = member();
      await store!.join(cy, ['books']);
      assert.equal(await store!.cancel(cy.id), true);
      assert.equal(await store!.cancel(cy.id), false);
      assert.equal((await store!.waitingByCategory()).get('books') ?? 0, 0);
    });

    test('end ends a room once, for one caller, and frees both members', async () => {
      const stores = await impl.make(3);
      const ada = member();
      const bo = member();
      await stores[0]!.join(ada, ['music']);
      const result = await stores[1]!.join(bo, ['music']);
      assert.equal(result.kind, 'matched');
      const roomId = (result as { room: Room }).room.id;
      const byAda = { reason: 'left', by: ada.id } as const;
      const ends = await Promise.all([
        stores[0]!.end(roomId, byAda),
        stores[1]!.end(roomId, byAda),
        stores[2]!.end(roomId, byAda),
        stores[0]!.end(roomId, byAda),
      ]);
      assert.equal(ends.filter((r) => r !== null).length, 1, 'exactly one caller got the room back');
      assert.equal(await stores[2]!.roomOf(ada.id), null);
      assert.equal(await stores[2]!.roomOf(bo.id), null);
      assert.equal((await stores[0]!.join(ada, ['music'])).kind, 'queued', 'free to join again');
    });

    test('a user queued in several categories counts in the waiting of each', async () => {
      const [store] = await impl.make(1);
      await store!.join(member(), ['music', 'books', 'travel']);
      await store!.join(member(), ['food', 'tech']);
      const waiting = await store!.waitingByCategory();
      for (const category of ['music', 'books', 'travel', 'food', 'tech'])
        assert.equal(waiting.get(category), 1, category);
      assert.deepEqual(await store!.counts(), { queued: 2, rooms: 0 });
    });

    test('1,000 users joining at once over 3 "processes": every match mutual, nobody in two rooms, nobody left waiting who shares a category with another', async () => {
      const stores = await impl.make(3);
      const categories = ['music', 'movies', 'books', 'sports', 'gaming', 'travel', 'food', 'tech'];
      const users = Array.from({ length: 1000 }, (_, i) => ({
        member: member(`u${i}`),
        // 1 to 3 categories each, so matching has choices to get wrong.
        categories: [
          ...new Set(
            [categories[i % 8]!, categories[(i * 7 + 3) % 8]!, categories[(i * 5) % 8]!].slice(0, 1 + (i % 3)),
          ),
        ],
      }));
      const results = await Promise.all(users.map((u, i) => stores[i % 3]!.join(u.member, u.categories)));
      const roomOfUser = new Map<string, string>();
      let matched = 0;
      for (const result of results) {
        assert.notEqual(result.kind, 'busy');
        if (result.kind !== 'matched') continue;
        matched += 1;
        const [a, b] = result.room.members;
        assert.notEqual(a.id, b.id, 'never self');
        for (const m of result.room.members) {
          assert.equal(roomOfUser.has(m.id), false, `${m.id} is in two rooms`);
          roomOfUser.set(m.id, result.room.id);
        }
      }
      // Mutual: the store says the same room for both members.
      for (const [userId, roomId] of roomOfUser)
        assert.equal((await stores[(roomId.length + userId.length) % 3]!.roomOf(userId))?.id, roomId);
      const waiting = users.filter((u) => !roomOfUser.has(u.member.id));
      for (const [i, a] of waiting.entries()) {
        for (const b of waiting.slice(i + 1)) {
          assert.ok(
            !a.categories.some((c) => b.categories.includes(c)),
            `${a.member.id} and ${b.member.id} share a category and both wait`,
          );
        }
      }
      assert.deepEqual(await stores[0]!.counts(), { queued: waiting.length, rooms: matched });
      assert.equal(matched * 2 + waiting.length, users.length);
    });

    test('a ring: one per user on either side, busy when the callee is in a room, taken exactly once', async () => {
      const stores = await impl.make(3);
      const [ada, bo, cy, dee] = [member('Ada'), member('Bo'), member('Cy'), member('Dee')];
      const ring = { id: randomUUID(), caller: ada, callee: bo };
      assert.equal(await stores[0]!.ring(ring, 10_000), 'ringing');
      assert.deepEqual(await stores[2]!.ringOf(bo.id), ring);
      assert.deepEqual(await stores[2]!.ringOf(ada.id), ring);
      assert.equal(
        await stores[1]!.ring({ id: randomUUID(), caller: cy, callee: bo }, 10_000),
        'busy',
        'the callee is ringing',
      );
      assert.equal(
        await stores[1]!.ring({ id: randomUUID(), caller: cy, callee: ada }, 10_000),
        'busy',
        'the caller is ringing',
      );
      assert.equal(await stores[1]!.ring({ id: randomUUID(), caller: bo, callee: cy }, 10_000), 'caller_busy');
      // A caller-chosen id another ring has is refused before anything else is looked at.
      assert.equal(await stores[1]!.ring({ id: ring.id, caller: cy, callee: dee }, 10_000), 'taken');
      assert.equal(await stores[1]!.ringOf(cy.id), null, 'nothing rings for the refused ring');
      // Only the side named may take it that way.
      assert.equal(await stores[1]!.takeRing(ring.id, { userId: ada.id, side: 'callee' }), null, 'Ada is the caller');
      assert.equal(await stores[1]!.takeRing(ring.id, { userId: cy.id, side: 'caller' }), null, 'Cy is not in it');
      assert.deepEqual(await stores[1]!.ringOf(ada.id), ring, 'still ringing');
      const takes = await Promise.all([
        stores[0]!.takeRing(ring.id, { userId: bo.id, side: 'callee' }),
        stores[1]!.takeRing(ring.id, { userId: ada.id, side: 'caller' }),
        stores[2]!.takeRing(ring.id),
      ]);
      assert.equal(takes.filter((t) => t !== null).length, 1, 'exactly one taker');
      assert.equal(await stores[0]!.ringOf(bo.id), null);
      // In a room: the callee is busy, the caller is caller_busy.
      await stores[0]!.join(cy, ['music']);
      await stores[1]!.join(dee, ['music']);
      assert.equal(await stores[2]!.ring({ id: randomUUID(), caller: ada, callee: cy }, 10_000), 'busy');
      assert.equal(await stores[2]!.ring({ id: randomUUID(), caller: dee, callee: ada }, 10_000), 'caller_busy');
    });

    test('pair: a room without a category for the two, out of the queue; null when either is in a room', async () => {
      const stores = await impl.make(2);
      const [ada, bo, cy] = [member('Ada'), member('Bo'), member('Cy')];
      await stores[0]!.join(bo, ['music']);
      const room = await stores[1]!.pair(ada, bo, 'call-1');
      assert.ok(room);
      assert.equal(room.category, null);
      assert.equal(room.callId, 'call-1', 'the room names the call that made it');
      assert.equal((await stores[0]!.roomOf(ada.id))?.callId, 'call-1', 'on every process');
      assert.equal(room.initiatorId, ada.id);
      assert.deepEqual(new Set(room.members.map((m) => m.id)), new Set([ada.id, bo.id]));
      assert.equal((await stores[0]!.roomOf(bo.id))?.id, room.id);
      assert.equal((await stores[0]!.waitingByCategory()).get('music') ?? 0, 0, 'Bo left the queue');
      assert.equal(await stores[0]!.pair(cy, bo, 'call-2'), null, 'Bo is in a room');
      assert.equal(await stores[0]!.pair(ada, cy, 'call-3'), null, 'Ada is in a room');
      assert.ok(await stores[1]!.end(room.id, { reason: 'left', by: ada.id }));
      assert.ok(await stores[0]!.pair(cy, bo, 'call-4'), 'free again');
    });
  });
}

describe('RedisMatchStore only', { skip: redisMissing ?? false }, () => {
  test('a ring nobody ends is forgotten after its time to live (its process died)', async () => {
    const [store] = await implementations[1]!.make(1);
    const ring = { id: randomUUID(), caller: member('Ada'), callee: member('Bo') };
    assert.equal(await store!.ring(ring, 200), 'ringing');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(await store!.ringOf(ring.callee.id), null);
    assert.equal(await store!.ring({ ...ring, id: randomUUID() }, 200), 'ringing', 'both can be rung again');
  });

  test('a room its process ended and did not live to tell is handed, once, to the survivor that takes it over', async () => {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    const [a, b] = await Promise.all([connectRedis(redis!.url, prefix, log), connectRedis(redis!.url, prefix, log)]);
    connections.push(a, b);
    const dying = new RedisMatchStore(a.commands, a.prefix, 'dying-process');
    const survivor = new RedisMatchStore(b.commands, b.prefix, 'survivor');
    const [ada, bo, cy, dee] = [member('Ada'), member('Bo'), member('Cy'), member('Dee')];
    await dying.join(ada, ['music']);
    const told = await dying.join(bo, ['music']);
    await dying.join(cy, ['books']);
    const untold = await dying.join(dee, ['books']);
    assert.ok(told.kind === 'matched' && untold.kind === 'matched');
    assert.ok(await dying.end(told.room.id, { reason: 'left', by: ada.id }));
    await dying.told([told.room.id]);
    assert.ok(await dying.end(untold.room.id, { reason: 'disconnected', by: dee.id }));
    // Killed here: between ending Cy and Dee's room and telling Cy.
    const endings = await survivor.untoldOf('dying-process');
    assert.deepEqual(
      endings.map(({ room, reason, by }) => ({ roomId: room.id, reason, by, members: room.members.map((m) => m.id) })),
      [{ roomId: untold.room.id, reason: 'disconnected', by: dee.id, members: untold.room.members.map((m) => m.id) }],
    );
    assert.deepEqual(await survivor.untoldOf('dying-process'), [], 'taken once');
    assert.deepEqual(await survivor.untoldOf('survivor'), [], "the survivor's own endings are not a dead one's");
    assert.equal(await b.commands.exists(`${b.prefix}untold:dying-process`), 0, 'nothing left in Redis');
  });

  test('a room its process made and did not live to announce is handed, once, to the survivor that takes it over, while it is live; one ended first says so to its ender', async () => {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    const [a, b] = await Promise.all([connectRedis(redis!.url, prefix, log), connectRedis(redis!.url, prefix, log)]);
    connections.push(a, b);
    const dying = new RedisMatchStore(a.commands, a.prefix, 'dying-process');
    const survivor = new RedisMatchStore(b.commands, b.prefix, 'survivor');
    const [ada, bo, cy, dee, eve, fay] = ['Ada', 'Bo', 'Cy', 'Dee', 'Eve', 'Fay'].map((name) => member(name));
    await dying.join(ada!, ['music']);
    const announced = await dying.join(bo!, ['music']);
    await dying.join(cy!, ['books']);
    const unannounced = await dying.join(dee!, ['books']);
    const ended = await dying.pair(eve!, fay!, 'call-1');
    assert.ok(announced.kind === 'matched' && unannounced.kind === 'matched' && ended);
    await dying.announced([announced.room.id]);
    // A room that ended meanwhile (a member resumed it on the survivor and left) is nobody's to
    // announce: its ender learns that its maker never did, and announces it before the end.
    assert.equal((await survivor.end(ended.id, { reason: 'left', by: eve!.id }))?.unannounced, true);
    assert.equal((await survivor.end(announced.room.id, { reason: 'left', by: ada!.id }))?.unannounced, false);
    // Killed here: Cy and Dee's room made, neither told.
    const rooms = await survivor.unannouncedOf('dying-process');
    assert.deepEqual(
      rooms.map((room) => ({ id: room.id, members: room.members.map((m) => m.id) })),
      [{ id: unannounced.room.id, members: unannounced.room.members.map((m) => m.id) }],
    );
    assert.deepEqual(await survivor.unannouncedOf('dying-process'), [], 'taken once');
    assert.equal(await b.commands.exists(`${b.prefix}unannounced:dying-process`), 0, 'nothing left of the dead one');
    // Taken, it is the survivor's to announce: an end before the survivor has says so, one after does not.
    const taken = await dying.join(ada!, ['music']);
    const later = await dying.join(bo!, ['music']);
    assert.ok(taken.kind === 'queued' && later.kind === 'matched');
    const [again] = await survivor.unannouncedOf('dying-process');
    assert.equal(again?.id, later.room.id);
    assert.deepEqual(
      again?.members.map((m) => m.id),
      later.room.members.map((m) => m.id),
    );
    assert.equal((await survivor.end(later.room.id, { reason: 'left', by: ada!.id }))?.unannounced, true);
    await survivor.announced([unannounced.room.id]);
    assert.equal((await survivor.end(unannounced.room.id, { reason: 'left', by: cy!.id }))?.unannounced, false);
    assert.equal(await b.commands.exists(`${b.prefix}unannounced:survivor`), 0, 'nothing left in Redis');
  });

  test("dropQueuedOf removes a dead process's queue entries, not those its users made elsewhere since", async () => {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    const [a, b] = await Promise.all([connectRedis(redis!.url, prefix, log), connectRedis(redis!.url, prefix, log)]);
    connections.push(a, b);
    const dead = new RedisMatchStore(a.commands, a.prefix, 'dead-process');
    const alive = new RedisMatchStore(b.commands, b.prefix, 'alive-process');
    const gone = member('gone');
    const moved = member('moved');
    const stays = member('stays');
    await dead.join(gone, ['music', 'books']);
    await dead.join(moved, ['travel']);
    await alive.join(moved, ['tech']); // re-queued on another process
    await alive.join(stays, ['food']);
    assert.equal(await alive.dropQueuedOf('dead-process'), 1);
    const waiting = await alive.waitingByCategory();
    assert.equal(waiting.get('music'), 0);
    assert.equal(waiting.get('books'), 0);
    assert.equal(waiting.get('tech'), 1);
    assert.equal(waiting.get('food'), 1);
    assert.deepEqual(await alive.counts(), { queued: 2, rooms: 0 });
  });

  test(
    'while Redis is unreachable every call fails with unavailable, at once',
    { skip: redis?.owned === false ? 'REDIS_URL given' : false },
    async () => {
      const connection = await connectRedis(redis!.url, `t${randomUUID().slice(0, 8)}`, log);
      connections.push(connection);
      const store = new RedisMatchStore(connection.commands, connection.prefix, 'p');
      connection.commands.disconnect(); // as if Redis went away
      const started = Date.now();
      await assert.rejects(
        store.join(member(), ['music']),
        (error: Error & { code?: string }) => error.code === 'unavailable',
      );
      await assert.rejects(
        store.waitingByCategory(),
        (error: Error & { code?: string }) => error.code === 'unavailable',
      );
      assert.ok(Date.now() - started < 500, 'no waiting for a Redis that is gone');
    },
  );
});

describe('MemoryMatchStore only', () => {
  test('a cooldown that ran out is forgotten though its users never join again: the store does not grow with every guest who ever had a room', async () => {
    // Long enough that the 1,500 rooms below all end within it on a loaded machine (about 0.1 s idle).
    const store = new MemoryMatchStore({ rematchCooldownMs: 2000 });
    // Nothing a user does shows this, only memory: read the store's own map of cooldowns.
    const cooling = () => (store as unknown as { recent: Map<string, unknown> }).recent.size;
    for (let i = 0; i < 1500; i++) await meetAndPart(store, member(`Gone${i}a`), member(`Gone${i}b`));
    assert.equal(cooling(), 3000, 'each of them kept apart from its partner, both ways');
    await sleep(2050);
    const ada = member('Ada');
    const bo = member('Bo');
    await meetAndPart(store, ada, bo);
    assert.equal(cooling(), 2, 'only the pair whose cooldown still runs');
    await store.join(ada, ['music']);
    assert.equal(await partnerOf(store, bo, ['music']), null, 'and that one still holds');
  });
});

/**
 * What a join was matched with: the partner's id, or null when queued. `shunned`: whom the
 * joiner must not meet, told to the store first as the server does (its blocks, read when its
 * socket opens).
 */
async function partnerOf(
  store: MatchStore,
  joiner: Member,
  categories: string[],
  shunned: string[] = [],
): Promise<string | null> {
  await store.remember(joiner.id, shunned);
  const result = await store.join(joiner, categories);
  return result.kind === 'matched' ? peerOf(result.room, joiner.id).id : null;
}

/** Joins the user, who must not meet `shunned`: what the join did (`queued` when it found nobody). */
async function queue(store: MatchStore, user: Member, categories: string[], shunned: string[]): Promise<string> {
  await store.remember(user.id, shunned);
  return (await store.join(user, categories)).kind;
}

async function meetAndPart(store: MatchStore, a: Member, b: Member): Promise<void> {
  await store.join(a, ['music']);
  const result = await store.join(b, ['music']);
  assert.equal(result.kind, 'matched');
  if (result.kind === 'matched') await store.end(result.room.id, { reason: 'left', by: a.id });
}

for (const impl of implementations) {
  describe(`${impl.name}: blocks and no rematch`, { skip: impl.skip }, () => {
    test('a blocked pair queued alone never match, whoever joins first, whichever process; a third is matched with the earlier of them', async () => {
      const [one, two] = await impl.make(2);
      const ada = member('Ada');
      const bo = member('Bo');
      await one!.block(ada.id, bo.id);
      assert.equal(await partnerOf(one!, ada, ['music']), null);
      assert.equal(await partnerOf(two!, bo, ['music', 'books']), null, 'the blocked one, on another process');
      assert.equal(await partnerOf(one!, ada, ['music']), null, 'joining again does not help');
      assert.deepEqual(await one!.counts(), { queued: 2, rooms: 0 });
      // Ada re-joined last: Bo waited longest, and a newcomer takes Bo, then the next takes Ada.
      assert.equal(await partnerOf(two!, member('Cy'), ['music']), bo.id);
      assert.equal(await partnerOf(one!, member('Di'), ['music']), ada.id);
    });

    test('the blocks the database holds (remember) are skipped the same way, and the next in FIFO order is taken', async () => {
      const [store] = await impl.make(1);
      const first = member('first');
      const second = member('second');
      await store!.join(first, ['music']);
      await store!.join(second, ['books']);
      const joiner = member('joiner');
      assert.equal(
        await partnerOf(store!, joiner, ['music', 'books'], [first.id]),
        second.id,
        'first is skipped: second waited longest of the rest',
      );
      assert.equal(
        await partnerOf(store!, member('x'), ['music'], [first.id]),
        null,
        'everyone left is shunned: queued',
      );
      assert.equal(
        await partnerOf(store!, member('y'), ['music']),
        first.id,
        'the skipped keep their place for others',
      );
    });

    test('remember (the blocks read from the database) keeps the joiner from them on every process', async () => {
      const [one, two] = await impl.make(2);
      const queued = Array.from({ length: 12 }, () => member('queued'));
      const ids = queued.map((u) => u.id);
      // They shun each other, so they queue one behind the other.
      for (const u of queued) assert.equal(await queue(two!, u, ['music'], ids), 'queued');
      const joiner = member('joiner');
      // More than Redis reads in its first page (8): the rest are looked up one by one.
      await one!.remember(
        joiner.id,
        queued.slice(0, 10).map((u) => u.id),
      );
      assert.equal(
        await partnerOf(two!, joiner, ['music']),
        queued[10]!.id,
        'the ten it must not meet are skipped, in FIFO order',
      );
      assert.equal(
        await partnerOf(one!, member('other'), ['music']),
        queued[0]!.id,
        'they keep their place for everyone else',
      );
    });

    test('more shunned users at the head than Redis reads at once (8): the first one after them is taken', async () => {
      const [store] = await impl.make(1);
      const shunned = Array.from({ length: 20 }, () => member('shunned'));
      const ids = shunned.map((u) => u.id);
      // They shun each other (as the joiner shuns them all), so they queue one behind the other.
      for (const u of shunned)
        assert.equal(
          await queue(
            store!,
            u,
            ['music'],
            ids.filter((id) => id !== u.id),
          ),
          'queued',
        );
      const fine = member('fine');
      assert.equal(await queue(store!, fine, ['music'], ids), 'queued');
      assert.equal(await partnerOf(store!, member('joiner'), ['music'], ids), fine.id);
    });

    test('unblock: the two may be matched again', async () => {
      const [store] = await impl.make(1);
      const ada = member('Ada');
      const bo = member('Bo');
      await store!.block(bo.id, ada.id);
      await store!.join(ada, ['music']);
      assert.equal(await partnerOf(store!, bo, ['music']), null);
      await store!.unblock(bo.id, ada.id);
      assert.equal(await partnerOf(store!, bo, ['music']), ada.id);
    });

    test('no rematch: two whose room ended are kept apart for the cooldown, matched with others meanwhile, and together again after it', async () => {
      const [one, two] = await impl.make(2, { rematchCooldownMs: 400 });
      const ada = member('Ada');
      const bo = member('Bo');
      await meetAndPart(one!, ada, bo);
      await one!.join(ada, ['music']);
      assert.equal(await partnerOf(two!, bo, ['music']), null, 'not with each other, on either process');
      const cy = member('Cy');
      assert.equal(await partnerOf(two!, cy, ['music']), ada.id, 'others match them FIFO');
      const room = await one!.roomOf(cy.id);
      await one!.end(room!.id, { reason: 'left', by: cy.id });
      await sleep(450);
      assert.equal(await partnerOf(one!, ada, ['music']), bo.id, 'after the cooldown the two meet again');
    });

    test('a cooldown of 0 is off: the two can meet again at once', async () => {
      const [store] = await impl.make(1, { rematchCooldownMs: 0 });
      const ada = member('Ada');
      const bo = member('Bo');
      await meetAndPart(store!, ada, bo);
      await store!.join(ada, ['music']);
      assert.equal(await partnerOf(store!, bo, ['music']), ada.id);
    });

    test('many joiners at once over 2 "processes", every one with blocks among the queued: no blocked pair matched, nobody in two rooms', async () => {
      const stores = await impl.make(2);
      const users = Array.from({ length: 200 }, () => member('u'));
      // Each blocks the next 5: a dense web of blocks among the very users queued.
      const blocked = new Set<string>();
      for (let i = 0; i < users.length; i++) {
        for (let k = 1; k <= 5; k++) {
          const other = users[(i + k) % users.length]!;
          await stores[i % 2]!.block(users[i]!.id, other.id);
          blocked.add([users[i]!.id, other.id].sort().join(' '));
        }
      }
      const results = await Promise.all(users.map((u, i) => stores[i % 2]!.join(u, ['music'])));
      const inRoom = new Map<string, string>();
      for (const result of results) {
        if (result.kind !== 'matched') continue;
        const [x, y] = result.room.members;
        assert.ok(!blocked.has([x.id, y.id].sort().join(' ')), 'a blocked pair was matched');
        for (const m of result.room.members) {
          assert.ok(!inRoom.has(m.id), `${m.id} is in two rooms`);
          inRoom.set(m.id, result.room.id);
        }
      }
      assert.ok(inRoom.size >= 150, `most are matched (${inRoom.size})`);
    });
  });
}

const LANGUAGES: LanguageCode[] = ['en', 'fr', 'de', 'es', 'ja'];
const pairKey = (a: string, b: string) => [a, b].sort().join(' ');

for (const impl of implementations) {
  describe(`${impl.name}: languages and widened searches`, { skip: impl.skip }, () => {
    test('only compatible users meet: a shared language, or either named none; FIFO among the compatible', async () => {
      const [one, two] = await impl.make(2);
      const de = member('De', ['de']);
      const en = member('En', ['en']);
      await one!.join(de, ['music']);
      await two!.join(en, ['music']);
      const fr = member('Fr', ['fr']);
      assert.equal(await partnerOf(two!, fr, ['music']), null, 'nobody shares French');
      assert.equal(
        await partnerOf(one!, member('EnFr', ['fr', 'en']), ['music']),
        en.id,
        'De waited longer but shares no language; Fr came later',
      );
      assert.equal(
        await partnerOf(two!, member('None'), ['music']),
        de.id,
        'no language: the head of the whole category',
      );
      assert.equal(await partnerOf(one!, member('Ja', ['ja']), ['music']), null, 'Fr is left, and shares no Japanese');
      assert.equal(await partnerOf(one!, member('None'), ['music']), fr.id, 'a user with no language meets it');
    });

    test('a joiner with no language skips nobody for language, but still skips the shunned', async () => {
      const [store] = await impl.make(1);
      const ja = member('Ja', ['ja']);
      const es = member('Es', ['es']);
      await store!.join(ja, ['books']);
      await store!.join(es, ['books']);
      assert.equal(await partnerOf(store!, member('x'), ['books'], [ja.id]), es.id);
    });

    test('widen: gone for a stale ticket; widened and told so when nobody compatible widened; idempotent', async () => {
      const [one, two] = await impl.make(2);
      const ada = member('Ada', ['en']);
      const first = await one!.join(ada, ['music']);
      assert.equal(first.kind, 'queued');
      if (first.kind !== 'queued') return;
      const again = await one!.join(ada, ['music']);
      assert.equal(again.kind, 'queued');
      if (again.kind !== 'queued') return;
      assert.notEqual(again.ticket, first.ticket, 'a re-join makes a new entry');
      assert.deepEqual(await two!.widen(ada.id, first.ticket), { kind: 'gone' }, 'the old entry is gone');
      assert.deepEqual(await two!.widen(ada.id, again.ticket), { kind: 'widened' });
      assert.deepEqual(await one!.widen(ada.id, again.ticket), { kind: 'widened' });
      assert.deepEqual(await one!.widen('nobody', 1), { kind: 'gone' });
      assert.deepEqual(await one!.counts(), { queued: 1, rooms: 0 });
      assert.equal((await one!.waitingByCategory()).get('music'), 1);
      assert.equal((await one!.waitingByCategory()).has('*'), false, 'the widened pool is no category');
      assert.equal(await one!.cancel(ada.id), true);
      assert.deepEqual(await one!.counts(), { queued: 0, rooms: 0 });
    });

    test('two widened users in different categories who share a language meet: category null, the later widener offers; the longest-widened first', async () => {
      const [one, two] = await impl.make(2);
      const ada = member('Ada', ['en']);
      const bo = member('Bo', ['fr', 'en']);
      const cy = member('Cy', ['de']);
      const di = member('Di', ['en']);
      const tickets = new Map<string, number>();
      for (const [store, m, cats] of [
        [one, ada, ['music']],
        [two, cy, ['books']],
        [one, bo, ['art']],
        [two, di, ['food']],
      ] as const) {
        const joined = await store!.join(m, cats);
        assert.equal(joined.kind, 'queued');
        if (joined.kind === 'queued') tickets.set(m.id, joined.ticket);
      }
      assert.deepEqual(await one!.widen(cy.id, tickets.get(cy.id)!), { kind: 'widened' });
      assert.deepEqual(await two!.widen(ada.id, tickets.get(ada.id)!), { kind: 'widened' });
      assert.deepEqual(
        await one!
          .widen(di.id, tickets.get(di.id)!)
          .then((r) => r.kind === 'matched' && r.room.members.map((m) => m.id)),
        [ada.id, di.id],
      );
      // Bo shares no language with Cy, the only widened user left.
      assert.deepEqual(await two!.widen(bo.id, tickets.get(bo.id)!), { kind: 'widened' });
      const room = await one!.roomOf(di.id);
      assert.ok(room);
      assert.equal(room.category, null);
      assert.equal(room.widened, true);
      assert.equal(room.initiatorId, di.id);
      assert.deepEqual(peerOf(room, di.id), ada);
      // The widened still match normally in their categories, with a joiner who never widened.
      const joiner = member('Joiner', ['de']);
      const matched = await two!.join(joiner, ['books']);
      assert.equal(matched.kind, 'matched');
      if (matched.kind === 'matched') {
        assert.equal(matched.room.category, 'books');
        assert.equal(matched.room.widened, undefined);
        assert.equal(peerOf(matched.room, joiner.id).id, cy.id);
      }
      assert.deepEqual(await one!.counts(), { queued: 1, rooms: 2 });
    });

    test('widening prefers one who shares a category: a pair kept apart by a cooldown that ran out while both waited', async () => {
      const [one, two] = await impl.make(2, { rematchCooldownMs: 300 });
      const ada = member('Ada', ['en']);
      const bo = member('Bo', ['en']);
      await meetAndPart(one!, ada, bo);
      const widenedFirst = member('Widened', ['en']);
      const w = await two!.join(widenedFirst, ['tech']);
      assert.equal(w.kind, 'queued');
      if (w.kind === 'queued') assert.deepEqual(await two!.widen(widenedFirst.id, w.ticket), { kind: 'widened' });
      const a = await one!.join(ada, ['music']);
      assert.equal(await partnerOf(two!, bo, ['music']), null, 'cooling down: both wait in music');
      await sleep(350);
      assert.equal(a.kind, 'queued');
      if (a.kind !== 'queued') return;
      const result = await two!.widen(ada.id, a.ticket);
      assert.equal(result.kind, 'matched');
      if (result.kind !== 'matched') return;
      assert.equal(peerOf(result.room, ada.id).id, bo.id, 'Bo shares music, before the widened user from tech');
      assert.equal(result.room.category, 'music');
    });

    test('a widened user is never matched with itself, nor with one it blocked', async () => {
      const [one, two] = await impl.make(2);
      const ada = member('Ada', ['en']);
      const bo = member('Bo', ['en']);
      await one!.block(ada.id, bo.id);
      const a = await one!.join(ada, ['music', 'books']);
      const b = await two!.join(bo, ['art']);
      assert.ok(a.kind === 'queued' && b.kind === 'queued');
      assert.deepEqual(await one!.widen(ada.id, a.ticket), { kind: 'widened' });
      assert.deepEqual(await two!.widen(bo.id, b.ticket), { kind: 'widened' });
      assert.deepEqual(await one!.counts(), { queued: 2, rooms: 0 });
    });

    test('1,000 users over 3 "processes", languages (1–2 of 5, some none), blocks, half widening while others join: every guarantee holds', async () => {
      const stores = await impl.make(3);
      const categories = ['music', 'movies', 'books', 'sports', 'gaming', 'travel', 'food', 'tech'];
      const users = Array.from({ length: 1000 }, (_, i) => {
        const languages =
          i % 10 === 0 ? [] : [...new Set([LANGUAGES[i % 5]!, LANGUAGES[(i * 3 + 1) % 5]!].slice(0, 1 + (i % 2)))];
        return {
          member: member(`u${i}`, languages),
          categories: [...new Set([categories[i % 8]!, categories[(i * 7 + 3) % 8]!].slice(0, 1 + (i % 2)))],
          anyone: i % 2 === 0,
        };
      });
      const blocked = new Set<string>();
      for (let i = 0; i < users.length; i += 3) {
        const other = users[(i + 7) % users.length]!;
        await stores[0]!.block(users[i]!.member.id, other.member.id);
        blocked.add(pairKey(users[i]!.member.id, other.member.id));
      }
      const rooms = new Map<string, Room>();
      const widened = new Set<string>();
      const store = (i: number) => stores[i % 3]!;
      // Everyone joins at once; each anyone user widens as soon as its join answers, while the rest still join.
      await Promise.all(
        users.map(async (u, i) => {
          const joined = await store(i).join(u.member, u.categories);
          if (joined.kind === 'matched') rooms.set(joined.room.id, joined.room);
          if (joined.kind !== 'queued' || !u.anyone) return;
          const result = await store(i + 1).widen(u.member.id, joined.ticket);
          if (result.kind === 'matched') rooms.set(result.room.id, result.room);
          if (result.kind === 'widened') widened.add(u.member.id);
        }),
      );
      const byId = new Map(users.map((u) => [u.member.id, u]));
      const inRoom = new Map<string, string>();
      for (const room of rooms.values()) {
        const [x, y] = room.members;
        assert.notEqual(x.id, y.id, 'never self');
        assert.ok(!blocked.has(pairKey(x.id, y.id)), 'a blocked pair was matched');
        assert.ok(
          compatible(byId.get(x.id)!.member.languages, byId.get(y.id)!.member.languages),
          `no common language: ${x.id} ${y.id}`,
        );
        if (room.widened) {
          assert.equal(room.category, null);
          assert.ok(byId.get(x.id)!.anyone && byId.get(y.id)!.anyone, 'a widened room is between two who said anyone');
        } else {
          assert.ok(
            room.category !== null &&
              byId.get(x.id)!.categories.includes(room.category) &&
              byId.get(y.id)!.categories.includes(room.category),
          );
        }
        for (const m of room.members) {
          assert.ok(!inRoom.has(m.id), `${m.id} is in two rooms`);
          inRoom.set(m.id, room.id);
        }
      }
      for (const [userId, roomId] of inRoom)
        assert.equal((await stores[userId.length % 3]!.roomOf(userId))?.id, roomId);
      // Nobody left waiting who could have been matched: no compatible, unblocked pair that shares
      // a category, or that both widened.
      const waiting = users.filter((u) => !inRoom.has(u.member.id));
      for (const [i, a] of waiting.entries()) {
        for (const b of waiting.slice(i + 1)) {
          if (blocked.has(pairKey(a.member.id, b.member.id)) || !compatible(a.member.languages, b.member.languages))
            continue;
          assert.ok(
            !a.categories.some((c) => b.categories.includes(c)),
            `${a.member.id} and ${b.member.id} share a category and a language and both wait`,
          );
          assert.ok(
            !(widened.has(a.member.id) && widened.has(b.member.id)),
            `${a.member.id} and ${b.member.id} both widened, share a language, and both wait`,
          );
        }
      }
      assert.deepEqual(await stores[0]!.counts(), { queued: waiting.length, rooms: rooms.size });
      assert.ok(
        [...rooms.values()].some((room) => room.widened),
        'some rooms came from widening',
      );
    });
  });
}
