import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { Delivery, Inbox, MessageBus } from '../src/storage/bus/bus.js';
import { MemoryMessageBus } from '../src/storage/bus/memory.js';
import { LEASE_MS } from '../src/storage/bus/lease.js';
import { InOrder, type Sequenced } from '../src/storage/bus/order.js';
import { RedisMessageBus } from '../src/storage/bus/redis.js';
import { connectRedis, type RedisConnections } from '../src/storage/redis.js';
import { eventually, sleep } from './harness.js';
import { missingServices, startRedis, type Service } from './services.js';

/**
 * One contract, both implementations: delivery to a user's one socket, holding while it is away,
 * takeover, and the end of an absence. For Redis, "processes" are separate buses on separate
 * connections sharing one Redis; for memory, one bus stands for every process.
 */
const log = pino({ level: 'silent' });
const redisMissing = process.env.REDIS_URL ? null : missingServices()?.includes('redis') ? 'needs redis-server' : null;
const HOLD_LIMIT = 5;

let redis: Service | undefined;
const cleanups: Array<() => Promise<void>> = [];
before(async () => {
  if (!redisMissing) redis = await startRedis();
});
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await redis?.close();
});

class FakeInbox implements Inbox {
  readonly received: Delivery[] = [];
  replaced = false;
  open = true;
  deliver(delivery: Delivery): boolean {
    if (!this.open) return false;
    this.received.push(delivery);
    return true;
  }
  replace(): void {
    this.replaced = true;
    this.open = false;
  }
  texts(): string[] {
    return this.received.map((d) => d.text);
  }
}

interface Implementation {
  name: string;
  skip: string | false;
  make(processes: number, holdLimit?: number): Promise<MessageBus[]>;
}

/** Peer links on loopback (the default, PEER_ADDRESS): batches go straight between the buses once linked. */
const LINKED = { host: '127.0.0.1', port: 0 };

async function redisBuses(
  processes: number,
  holdLimit = HOLD_LIMIT,
  prefix = `t${randomUUID().slice(0, 8)}`,
  peers: typeof LINKED | null = LINKED,
  logger = log,
): Promise<Array<RedisMessageBus & { connection: RedisConnections }>> {
  return Promise.all(
    Array.from({ length: processes }, async () => {
      const connection = await connectRedis(redis!.url, prefix, log);
      const bus = new RedisMessageBus(connection, { holdLimit, graceMs: 1000, peers, log: logger });
      await bus.start();
      cleanups.push(async () => {
        await bus.close();
        await connection.close();
      });
      return Object.assign(bus, { connection });
    }),
  );
}

const implementations: Implementation[] = [
  {
    name: 'MemoryMessageBus',
    skip: false,
    async make(processes, holdLimit = HOLD_LIMIT) {
      const bus = new MemoryMessageBus(holdLimit);
      return Array.from({ length: processes }, () => bus);
    },
  },
  {
    name: 'RedisMessageBus',
    skip: redisMissing ?? false,
    make: (processes, holdLimit) => redisBuses(processes, holdLimit),
  },
  {
    name: 'RedisMessageBus, PEER_ADDRESS=off (every frame through Redis)',
    skip: redisMissing ?? false,
    make: (processes, holdLimit) => redisBuses(processes, holdLimit, undefined, null),
  },
];

const user = () => `u-${randomUUID()}`;
const frames = (n: number, tag = 'f') => Array.from({ length: n }, (_, i) => ({ text: `${tag}${i}` }));
const settled = (what: string, check: () => boolean, ms = 3000) => eventually(what, check, ms);

/**
 * `sender` sends `userId` frames `n<first>`, `n<first+1>`, … five each turn of its event loop (one
 * batch), without pause, until the returned stop is called; the stop resolves to the next number.
 */
function streamTo(sender: MessageBus, userId: string, first: number): () => Promise<number> {
  let n = first;
  let streaming = true;
  const streamed = new Promise<number>((resolve) => {
    const turn = () => {
      for (let i = 0; i < 5; i++) sender.deliver(userId, { text: `n${n++}` });
      if (streaming) setImmediate(turn);
      else resolve(n);
    };
    turn();
  });
  return () => {
    streaming = false;
    return streamed;
  };
}

/** A logger whose warnings land in `warnings`, by message. */
function warningsLog(): { logger: typeof log; warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
  return { logger, warnings };
}

/** How many scripts and PUBLISHes Redis has run so far, all clients together (INFO commandstats). */
async function redisCalls(bus: { connection: RedisConnections }): Promise<{ scripts: number; publishes: number }> {
  const info = await bus.connection.commands.info('commandstats');
  const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return { scripts: calls('evalsha') + calls('eval'), publishes: calls('publish') };
}

for (const impl of implementations) {
  describe(impl.name, { skip: impl.skip }, () => {
    test('attach: the greeting first, then what is delivered, in order; on one process, synchronously', async () => {
      const [bus] = await impl.make(1);
      const ada = user();
      const inbox = new FakeInbox();
      await bus!.attach(ada, inbox, [{ text: 'welcome' }]);
      bus!.deliver(ada, { text: 'one', room: { roomId: 'r1', peerId: 'bo' } });
      bus!.deliver(ada, { text: 'two' });
      // No await in between: a pair on one process is relayed socket to socket.
      assert.deepEqual(inbox.received, [
        { text: 'welcome' },
        { text: 'one', room: { roomId: 'r1', peerId: 'bo' } },
        { text: 'two' },
      ]);
    });

    test('across processes, 1,000 frames from two senders arrive in each sender’s order, none lost', async () => {
      const [a, b, c] = await impl.make(3);
      const ada = user();
      const inbox = new FakeInbox();
      await b!.attach(ada, inbox, []);
      for (let i = 0; i < 500; i++) {
        a!.deliver(ada, { text: `a${i}`, room: i === 0 ? null : undefined });
        c!.deliver(ada, { text: `c${i}` });
      }
      await settled('1,000 frames', () => inbox.received.length === 1000);
      for (const tag of ['a', 'c']) {
        assert.deepEqual(
          inbox.texts().filter((t) => t.startsWith(tag)),
          Array.from({ length: 500 }, (_, i) => `${tag}${i}`),
        );
      }
      assert.deepEqual(
        inbox.received.find((d) => d.text === 'a0'),
        { text: 'a0', room: null },
        'the room change travels with the frame',
      );
    });

    test('a close (a ban: 4003) travels with its frame to the socket on another process, room change and reason intact', async () => {
      const [a, b] = await impl.make(2);
      const ada = user();
      const inbox = new FakeInbox();
      await b!.attach(ada, inbox, []);
      a!.deliver(ada, {
        text: '{"type":"notice"}\nsecond line',
        room: null,
        close: { code: 4003, reason: 'banned: log in to read why' },
      });
      a!.deliver(ada, { text: 'plain', room: { roomId: 'r1', peerId: 'bo' } });
      await settled('both', () => inbox.received.length === 2);
      assert.deepEqual(inbox.received, [
        {
          text: '{"type":"notice"}\nsecond line',
          room: null,
          close: { code: 4003, reason: 'banned: log in to read why' },
        },
        { text: 'plain', room: { roomId: 'r1', peerId: 'bo' } },
      ]);
    });

    test('away: frames are held; the user back on another process gets greeting, then the held frames in order, then new ones', async () => {
      const [a, b, c] = await impl.make(3);
      const ada = user();
      const first = new FakeInbox();
      await a!.attach(ada, first, []);
      assert.equal(a!.detach(ada, first), true);
      assert.equal(await a!.awaitReturn(ada, Date.now() + 5000), true);
      for (const f of frames(4, 'held')) c!.deliver(ada, f);
      await sleep(100);
      const second = new FakeInbox();
      await b!.attach(ada, second, [{ text: 'welcome' }, { text: 'matched' }]);
      c!.deliver(ada, { text: 'after' });
      await settled('after', () => second.received.length === 7);
      assert.deepEqual(second.texts(), ['welcome', 'matched', 'held0', 'held1', 'held2', 'held3', 'after']);
      assert.equal(await b!.claimAbsence(ada, false), false, 'back: no absence to end');
    });

    test('resume while frames are still streaming: nothing lost, nothing reordered', async () => {
      const [a, b, c] = await impl.make(3, 1000);
      const ada = user();
      const first = new FakeInbox();
      await a!.attach(ada, first, []);
      let sent = 0;
      const send = (n: number) => {
        for (let i = 0; i < n; i++) c!.deliver(ada, { text: `s${sent++}` });
      };
      send(50);
      await sleep(5);
      a!.detach(ada, first);
      send(50);
      await a!.awaitReturn(ada, Date.now() + 5000);
      send(50);
      const second = new FakeInbox();
      const attaching = b!.attach(ada, second, [{ text: 'welcome' }]);
      send(50); // while the attach is in flight
      await attaching;
      send(50);
      await settled(
        '250 frames',
        () => first.received.length + second.received.length === 251 || second.texts().includes('s249'),
      );
      await sleep(50);
      const all = [...first.texts(), ...second.texts().filter((t) => t !== 'welcome')];
      assert.equal(second.texts()[0], 'welcome');
      assert.deepEqual(
        all,
        Array.from({ length: 250 }, (_, i) => `s${i}`),
      );
    });

    test('takeover while two senders stream: across the old and the new socket, each sender’s frames once each, in order', async () => {
      const [a, b, c] = await impl.make(3, 1000);
      const ada = user();
      const old = new FakeInbox();
      await a!.attach(ada, old, []);
      const sent = { b: 0, c: 0 };
      const send = (n: number) => {
        for (let i = 0; i < n; i++) {
          b!.deliver(ada, { text: `b${sent.b++}` });
          c!.deliver(ada, { text: `c${sent.c++}` });
        }
      };
      send(30);
      await sleep(5);
      send(30);
      const fresh = new FakeInbox();
      const attaching = c!.attach(ada, fresh, [{ text: 'welcome' }]);
      send(30); // while the attach is in flight: some go to the old process, some wait at the new one
      await attaching;
      send(30);
      await settled(
        'both senders’ last frames',
        () => fresh.texts().includes('b119') && fresh.texts().includes('c119'),
      );
      await sleep(50);
      assert.equal(fresh.texts()[0], 'welcome');
      const all = [...old.texts(), ...fresh.texts().slice(1)];
      for (const tag of ['b', 'c']) {
        assert.deepEqual(
          all.filter((t) => t.startsWith(tag)),
          Array.from({ length: 120 }, (_, i) => `${tag}${i}`),
          `${tag}'s frames`,
        );
      }
    });

    test('takeover: a second socket anywhere replaces the first, and gets the frames from then on', async () => {
      const [a, b] = await impl.make(2);
      const ada = user();
      const old = new FakeInbox();
      await a!.attach(ada, old, []);
      const fresh = new FakeInbox();
      await b!.attach(ada, fresh, [{ text: 'welcome' }]);
      await settled('old socket replaced', () => old.replaced);
      assert.equal(a!.detach(ada, old), false, 'the replaced socket closing changes nothing');
      a!.deliver(ada, { text: 'x' });
      await settled('x', () => fresh.received.length === 2);
      assert.deepEqual(fresh.texts(), ['welcome', 'x']);
      assert.equal(old.received.length, 0);
    });

    test('a frame for a user who is nowhere and not awaited is dropped', async () => {
      const [a, b] = await impl.make(2);
      const ghost = user();
      a!.deliver(ghost, { text: 'lost' });
      await sleep(50);
      const inbox = new FakeInbox();
      await b!.attach(ghost, inbox, [{ text: 'welcome' }]);
      await sleep(50);
      assert.deepEqual(inbox.texts(), ['welcome']);
    });

    test('more than the hold limit waiting: the overflow listener is told once', async () => {
      const buses = await impl.make(2);
      const overflowed: string[] = [];
      for (const bus of new Set(buses)) bus.onOverflow((userId) => overflowed.push(userId));
      const ada = user();
      const inbox = new FakeInbox();
      await buses[0]!.attach(ada, inbox, []);
      buses[0]!.detach(ada, inbox);
      for (const f of frames(HOLD_LIMIT + 5)) buses[1]!.deliver(ada, f);
      await settled('overflow', () => overflowed.length > 0);
      await sleep(100);
      assert.deepEqual(overflowed, [ada]);
    });

    test('presence for a user away: the latest per friend, after the held frames, never counted toward the hold limit', async () => {
      const buses = await impl.make(2);
      const overflowed: string[] = [];
      for (const bus of new Set(buses)) bus.onOverflow((userId) => overflowed.push(userId));
      const [a, b] = buses;
      const ada = user();
      const first = new FakeInbox();
      await a!.attach(ada, first, []);
      a!.detach(ada, first);
      assert.equal(await a!.awaitReturn(ada, Date.now() + 5000), true);
      const friends = ['bo', 'cy', 'di'];
      const presence = (friend: string, state: string) => ({
        text: `{"type":"presence","userId":"${friend}","presence":"${state}"}`,
        stateKey: `presence:${friend}`,
      });
      // A full buffer of room frames, and five times as many presence frames between them, from
      // the process that holds Ada's absence and from another one.
      for (let i = 0; i < HOLD_LIMIT; i++) {
        a!.deliver(ada, { text: `room${i}` });
        for (const friend of friends)
          for (const state of ['in_call', 'online', 'offline', 'online', 'in_call'])
            (i % 2 ? a : b)!.deliver(ada, presence(friend, `${state}${i}`));
      }
      // Two senders keep no order between them: the latest states come after the rest has landed.
      await sleep(100);
      const latest = [presence('bo', 'offline'), presence('cy', 'online'), presence('di', 'in_call')];
      for (const p of latest) b!.deliver(ada, p);
      await sleep(100);
      assert.deepEqual(overflowed, [], 'presence did not fill the hold');

      const back = new FakeInbox();
      await b!.attach(ada, back, [{ text: 'welcome' }]);
      await settled('held frames and presence', () => back.received.length === 1 + HOLD_LIMIT + friends.length);
      await sleep(50);
      assert.deepEqual(back.texts().slice(0, 1 + HOLD_LIMIT), [
        'welcome',
        ...frames(HOLD_LIMIT, 'room').map((f) => f.text),
      ]);
      assert.deepEqual(
        back
          .texts()
          .slice(1 + HOLD_LIMIT)
          .sort(),
        latest.map((p) => p.text).sort(),
        'one presence per friend, its latest',
      );
      assert.equal(back.received.length, 1 + HOLD_LIMIT + friends.length);
    });

    test('a socket that closes while taking what was held leaves all of it, presence too, for the next one', async () => {
      const [a, b] = await impl.make(2);
      const ada = user();
      const first = new FakeInbox();
      await a!.attach(ada, first, []);
      a!.detach(ada, first);
      await a!.awaitReturn(ada, Date.now() + 5000);
      a!.deliver(ada, { text: 'held0' });
      a!.deliver(ada, { text: 'bo away', stateKey: 'presence:bo' });
      a!.deliver(ada, { text: 'bo back', stateKey: 'presence:bo' });
      a!.deliver(ada, { text: 'held1' });
      await sleep(50);
      const closing = new FakeInbox();
      closing.open = false;
      await a!.attach(ada, closing, [{ text: 'welcome' }]);
      a!.detach(ada, closing);
      a!.deliver(ada, { text: 'held2' });
      await sleep(50);
      const back = new FakeInbox();
      await b!.attach(ada, back, [{ text: 'welcome' }]);
      await settled('all of it', () => back.received.length === 5);
      await sleep(50);
      assert.deepEqual(back.texts(), ['welcome', 'held0', 'held1', 'held2', 'bo back']);
    });

    test('an absence ends once, for one caller, and only while the user is away; what was held goes', async () => {
      const buses = await impl.make(3);
      const ada = user();
      const inbox = new FakeInbox();
      await buses[0]!.attach(ada, inbox, []);
      buses[0]!.detach(ada, inbox);
      assert.equal(await buses[0]!.awaitReturn(ada, Date.now() + 60_000), true);
      buses[1]!.deliver(ada, { text: 'held' });
      await sleep(50);
      if (impl.name !== 'MemoryMessageBus')
        assert.equal(await buses[1]!.claimAbsence(ada, true), false, 'not due before its deadline');
      const claims = await Promise.all(buses.map((bus) => bus.claimAbsence(ada, false)));
      assert.equal(claims.filter(Boolean).length, 1);
      const back = new FakeInbox();
      await buses[2]!.attach(ada, back, [{ text: 'welcome' }]);
      await sleep(50);
      assert.deepEqual(back.texts(), ['welcome'], 'held frames dropped with the absence');
    });

    test('release: a user with no room is let go, and nothing is held for it', async () => {
      const [a, b] = await impl.make(2);
      const ada = user();
      const inbox = new FakeInbox();
      await a!.attach(ada, inbox, []);
      a!.detach(ada, inbox);
      await a!.release(ada);
      b!.deliver(ada, { text: 'late' });
      await sleep(50);
      const back = new FakeInbox();
      await b!.attach(ada, back, []);
      await sleep(50);
      assert.deepEqual(back.texts(), []);
      assert.equal(await a!.awaitReturn(ada, Date.now() + 1000), false);
    });

    test('online: a user with a socket on any process, or away within a grace; not once let go', async () => {
      const [a, b] = await impl.make(2);
      const [ada, bo, cy] = [user(), user(), user()];
      const adaInbox = new FakeInbox();
      await a!.attach(ada, adaInbox, []);
      await b!.attach(bo, new FakeInbox(), []);
      assert.deepEqual(await b!.online([ada, bo, cy]), new Set([ada, bo]));
      a!.detach(ada, adaInbox);
      assert.equal(await a!.awaitReturn(ada, Date.now() + 10_000), true);
      assert.deepEqual(await b!.online([ada]), new Set([ada]), 'away within a grace still counts');
      assert.equal(await b!.claimAbsence(ada, false), true);
      assert.deepEqual(await a!.online([ada, cy]), new Set());
      assert.deepEqual(await a!.online([]), new Set());
    });
  });
}

describe('RedisMessageBus only', { skip: redisMissing ?? false }, () => {
  test(
    'a process that stops renewing its lease is reclaimed by a survivor: its live users are reported lost, frames for them held meanwhile',
    { timeout: 20_000 },
    async () => {
      // Death as Redis sees it (its connections dropped): with peer links the "dead" bus would still
      // read them, so this one sends through Redis. A real kill -9 with links: cluster-faults, cluster-chaos.
      const [dying, survivor] = await redisBuses(2, HOLD_LIMIT, undefined, null);
      const lost: Array<[string, string[]]> = [];
      survivor!.onProcessLost(async (processId, userIds) => void lost.push([processId, userIds]));
      const ada = user();
      const bo = user();
      const adaInbox = new FakeInbox();
      await dying!.attach(ada, adaInbox, []);
      // The survivor learns where Ada is: its next frame for her is a plain PUBLISH to a dead process.
      survivor!.deliver(ada, { text: 'before' });
      await settled('before', () => adaInbox.received.length === 1);
      const boInbox = new FakeInbox();
      await dying!.attach(bo, boInbox, []);
      dying!.detach(bo, boInbox); // bo was already away: it keeps its own deadline
      await dying!.awaitReturn(bo, Date.now() + 60_000);
      // kill -9: the connections drop, nothing is said.
      dying!.connection.commands.disconnect();
      dying!.connection.subscriber.disconnect();
      const killedAt = Date.now();
      survivor!.deliver(ada, { text: 'while dead' });
      await eventually('reclaim', () => lost.length > 0, LEASE_MS + 3000);
      assert.ok(
        Date.now() - killedAt <= LEASE_MS + 1500,
        `reclaimed ${Date.now() - killedAt} ms after the last renewal`,
      );
      assert.deepEqual(lost, [[dying!.processId, [ada]]]);
      // Ada comes back on the survivor: the frame sent while its process was dead is there.
      assert.equal(await survivor!.awaitReturn(ada, Date.now() + 60_000), true);
      const back = new FakeInbox();
      await survivor!.attach(ada, back, [{ text: 'welcome' }]);
      assert.deepEqual(back.texts(), ['welcome', 'while dead']);
    },
  );

  test('an absence whose process is gone is ended by a survivor after its deadline', { timeout: 20_000 }, async () => {
    const [gone, survivor] = await redisBuses(2);
    const due: string[] = [];
    survivor!.onAbsenceDue(async (userId) => {
      if (await survivor!.claimAbsence(userId, true)) due.push(userId);
    });
    const ada = user();
    const inbox = new FakeInbox();
    await gone!.attach(ada, inbox, []);
    gone!.detach(ada, inbox);
    await gone!.awaitReturn(ada, Date.now() + 300);
    await gone!.close(); // leaves cleanly: its timers are gone with it
    await eventually('the survivor ends the absence', () => due.length > 0, 3000);
    assert.deepEqual(due, [ada]);
  });

  test('PEER_ADDRESS=off: a sender that knows where the user is sends the frames of one turn in a few PUBLISHes, no script; a move is followed at once', async () => {
    const [a, b, c] = await redisBuses(3, HOLD_LIMIT, undefined, null);
    const ada = user();
    const inbox = new FakeInbox();
    await b!.attach(ada, inbox, []);
    a!.deliver(ada, { text: 'first' });
    await settled('first', () => inbox.received.length === 1);
    const before = await redisCalls(a!);
    for (let i = 0; i < 200; i++) a!.deliver(ada, { text: `f${i}` });
    await settled('200 frames', () => inbox.received.length === 201);
    const after = await redisCalls(a!);
    // The stats call itself is no script; other tests' buses renew their leases meanwhile (a few scripts).
    assert.ok(after.scripts - before.scripts < 20, `${after.scripts - before.scripts} scripts for 200 frames`);
    // 200 frames sent in one turn of the event loop leave in batches: a few PUBLISHes (a batch is
    // cut at 128 frames and at 64 KB), not one each; the lease renewals publish nothing.
    const publishes = after.publishes - before.publishes;
    assert.ok(publishes >= 1 && publishes <= 5, `${publishes} PUBLISHes for 200 frames sent at once`);
    assert.deepEqual(a!.framesSentAway(), { link: 0, redis: 201 }, 'every frame counted as through Redis');
    assert.deepEqual(
      inbox.texts().slice(1),
      Array.from({ length: 200 }, (_, i) => `f${i}`),
    );

    // Ada moves to c: a's cached route is stale for a moment, and nothing is lost or reordered.
    const moved = new FakeInbox();
    const attaching = c!.attach(ada, moved, []);
    for (let i = 0; i < 50; i++) a!.deliver(ada, { text: `g${i}` });
    await attaching;
    for (let i = 50; i < 100; i++) a!.deliver(ada, { text: `g${i}` });
    await settled('g99', () => moved.texts().includes('g99'));
    await sleep(50);
    const gs = [...inbox.texts(), ...moved.texts()].filter((t) => t.startsWith('g'));
    assert.deepEqual(
      gs,
      Array.from({ length: 100 }, (_, i) => `g${i}`),
    );
  });

  for (const peers of [LINKED, null])
    test(`a sender streaming while the user moves: frames sent on by the old owner come after later ones sent straight, and are put back in order${peers ? '' : ' (PEER_ADDRESS=off)'}`, async () => {
      const [a, b, c] = await redisBuses(3, HOLD_LIMIT, undefined, peers);
      const ada = user();
      const first = new FakeInbox();
      await b!.attach(ada, first, []);
      a!.deliver(ada, { text: 'n0' });
      await settled('a knows where Ada is', () => first.received.length === 1);
      const stop = streamTo(a!, ada, 1);
      await sleep(30);
      // Slow processes, as on a loaded machine: a hears of the move late, so it keeps sending to b
      // after b was told; b, slower still, sends those on to c (through the script) only after c
      // has had frames a sent it straight, numbered after them.
      a!.connection.subscriber.stream.pause();
      b!.connection.subscriber.stream.pause();
      const moved = new FakeInbox();
      const attaching = c!.attach(ada, moved, []);
      await sleep(50);
      a!.connection.subscriber.stream.resume();
      await sleep(100);
      b!.connection.subscriber.stream.resume();
      await attaching;
      await sleep(50);
      const n = await stop();
      const last = `n${n - 1}`;
      await settled(last, () => moved.texts().includes(last));
      assert.deepEqual(
        [...first.texts(), ...moved.texts()],
        Array.from({ length: n }, (_, i) => `n${i}`),
      );
    });

  /** Whether `from` has its peer link to `to` up (private state: nothing a user sees tells which path a frame took). */
  const linked = (from: RedisMessageBus, to: RedisMessageBus): boolean =>
    (from as unknown as { peers: { outgoing: Map<string, { state: string }> } }).peers.outgoing.get(to.processId)
      ?.state === 'open';

  test('peer links: once linked, a turn’s frames go straight, with no PUBLISH and no script, in order', async () => {
    const [a, b] = await redisBuses(2);
    const ada = user();
    const inbox = new FakeInbox();
    await b!.attach(ada, inbox, []);
    a!.deliver(ada, { text: 'first' });
    await settled('first', () => inbox.received.length === 1);
    a!.deliver(ada, { text: 'second' }); // a batch: it opens the link, and goes through Redis meanwhile
    await settled('the link is up', () => linked(a!, b!));
    const before = await redisCalls(a!);
    const sentBefore = a!.framesSentAway();
    for (let i = 0; i < 200; i++) a!.deliver(ada, { text: `f${i}` });
    await settled('200 frames', () => inbox.received.length === 202);
    const after = await redisCalls(a!);
    assert.equal(after.publishes - before.publishes, 0, 'PUBLISHes for 200 frames on a link');
    const sentAfter = a!.framesSentAway();
    assert.deepEqual(
      { link: sentAfter.link - sentBefore.link, redis: sentAfter.redis - sentBefore.redis },
      { link: 200, redis: 0 },
      'counted by path, as /metrics shows them',
    );
    assert.ok(after.scripts - before.scripts < 20, `${after.scripts - before.scripts} scripts for 200 frames`);
    assert.deepEqual(inbox.texts(), ['first', 'second', ...Array.from({ length: 200 }, (_, i) => `f${i}`)]);
  });

  /**
   * b, with Ada's socket, reads its Redis channel late (a loaded process, or a stuck subscriber):
   * x1 and the link's marker wait there, while a's new link opens and carries x2 to x4.
   */
  async function linkedWhileRedisWaits() {
    const [a, b] = await redisBuses(2);
    const ada = user();
    const inbox = new FakeInbox();
    await b!.attach(ada, inbox, []);
    a!.deliver(ada, { text: 'x0' });
    await settled('a knows where Ada is', () => inbox.received.length === 1);
    b!.connection.subscriber.stream.pause();
    a!.deliver(ada, { text: 'x1' });
    await settled('the link is up', () => linked(a!, b!));
    for (let i = 2; i <= 4; i++) a!.deliver(ada, { text: `x${i}` });
    return { a: a!, b: b!, ada, inbox };
  }

  test('peer links: frames sent on a new link wait for those sent through Redis before it, even a room’s matched', async () => {
    const { a, b, ada, inbox } = await linkedWhileRedisWaits();
    // A room's matched passes a gap at once (order.ts): were the link read before the marker, x1
    // would come after it and be dropped.
    a.deliver(ada, { text: 'matched', room: { roomId: 'r2', peerId: 'bo' } });
    await sleep(100);
    assert.deepEqual(inbox.texts(), ['x0'], 'nothing on the link passes before the marker');
    b.connection.subscriber.stream.resume();
    await settled('matched', () => inbox.texts().includes('matched'));
    await sleep(50);
    assert.deepEqual(inbox.texts(), ['x0', 'x1', 'x2', 'x3', 'x4', 'matched']);
  });

  test('peer links: a process that leaves while a sender streams to its user loses none of the frames on the link', async () => {
    const [a, b, c] = await redisBuses(3, 100_000);
    const ada = user();
    const first = new FakeInbox();
    await b!.attach(ada, first, []);
    a!.deliver(ada, { text: 'n0' });
    await settled('a knows where Ada is', () => first.received.length === 1);
    a!.deliver(ada, { text: 'n1' });
    await settled('the link is up', () => linked(a!, b!) && first.received.length === 2);
    // Ada is away: b holds what comes for her, from the link as from Redis.
    b!.detach(ada, first);
    assert.equal(await b!.awaitReturn(ada, Date.now() + 60_000), true);
    const stop = streamTo(a!, ada, 2);
    await sleep(30);
    // b leaves mid-stream: it says bye, reads the link to its end, and only then leaves its channel.
    await b!.close();
    await sleep(30);
    const n = await stop();
    await sleep(100);
    const back = new FakeInbox();
    await c!.attach(ada, back, []);
    const last = `n${n - 1}`;
    await settled(last, () => back.texts().includes(last));
    assert.deepEqual(
      [...first.texts(), ...back.texts()],
      Array.from({ length: n }, (_, i) => `n${i}`),
    );
  });

  test('peer links on every interface (PEER_ADDRESS=0.0.0.0:0): each is reached at the machine’s own address, not 0.0.0.0', async () => {
    const [a, b] = await redisBuses(2, HOLD_LIMIT, undefined, { host: '0.0.0.0', port: 0 });
    const address = await a!.connection.commands.hget(`${a!.connection.prefix}peers`, b!.processId);
    const own = Object.values(os.networkInterfaces())
      .flat()
      .filter((i) => i && !i.internal && i.family === 'IPv4')
      .map((i) => i!.address);
    assert.match(address ?? '', /^[\d.]+:\d+$/);
    assert.ok(
      own.length > 0 ? own.includes(address!.split(':')[0]!) : address!.startsWith('127.0.0.1:'),
      `${address} is one of this machine's addresses (${own.join(', ') || 'loopback only'})`,
    );
    const ada = user();
    const inbox = new FakeInbox();
    await b!.attach(ada, inbox, []);
    a!.deliver(ada, { text: 'first' });
    await settled('a knows where Ada is', () => inbox.received.length === 1);
    a!.deliver(ada, { text: 'second' }); // a batch: it opens the link
    await settled('the link is up', () => linked(a!, b!) && inbox.received.length === 2);
    a!.deliver(ada, { text: 'third' });
    await settled('third', () => inbox.received.length === 3);
    assert.deepEqual(inbox.texts(), ['first', 'second', 'third']);
  });

  test('peer links: a connection without the cluster’s secret, or for another process, is refused and delivers nothing', async () => {
    const [a, b] = await redisBuses(2);
    const ada = user();
    const inbox = new FakeInbox();
    await b!.attach(ada, inbox, []);
    const address = await a!.connection.commands.hget(`${a!.connection.prefix}peers`, b!.processId);
    assert.match(address ?? '', /^127\.0\.0\.1:\d+$/);
    const secret = (await a!.connection.commands.get(`${a!.connection.prefix}peer-secret`))!;
    const frame = `s\n${ada}\n#${a!.processId} 1 0\n\nforged`;
    for (const handshake of [
      `not-the-secret ${a!.processId} ${b!.processId} l1`,
      `${secret} ${a!.processId} ${a!.processId} l2`,
    ]) {
      const [host, port] = address!.split(':');
      const socket = net.connect({ host: host!, port: Number(port) });
      socket.on('error', () => {});
      socket.write(`${handshake}\n${frame.length}\n${frame}`);
      const said: string[] = [];
      socket.on('data', (chunk) => said.push(chunk.toString()));
      await new Promise((resolve) => socket.once('close', resolve));
      assert.deepEqual(said, [], 'no ok for a refused handshake');
    }
    await sleep(100);
    assert.deepEqual(inbox.texts(), []);
  });

  test('peer links: a marker that does not come in 2 s holds the link no longer; the frame it waited for is given up after its gap, never shown out of order', async () => {
    const { a, b, ada, inbox } = await linkedWhileRedisWaits();
    await sleep(1500);
    assert.deepEqual(inbox.texts(), ['x0'], 'held while the marker may still come');
    // 2 s for the marker, then 1 s for x1 (order.ts's gap): x2 on waits for neither any longer.
    await settled('x4', () => inbox.texts().includes('x4'), 4000);
    assert.deepEqual(inbox.texts(), ['x0', 'x2', 'x3', 'x4']);
    b.connection.subscriber.stream.resume();
    a.deliver(ada, { text: 'x5' });
    await settled('x5', () => inbox.texts().includes('x5'));
    assert.deepEqual(inbox.texts(), ['x0', 'x2', 'x3', 'x4', 'x5'], 'x1, come after its gap, is dropped');
  });

  test(
    'peer links: a link whose receiver stops reading is cut 16 MB behind, once, with a warning; later frames go through Redis, in order',
    { timeout: 60_000 },
    async () => {
      const { logger, warnings } = warningsLog();
      const [a] = await redisBuses(1, HOLD_LIMIT, 'cut', LINKED, logger);
      const [b] = await redisBuses(1, HOLD_LIMIT, 'cut');
      const ada = user();
      const inbox = new FakeInbox();
      await b!.attach(ada, inbox, []);
      a!.deliver(ada, { text: 'first' });
      await settled('a knows where Ada is', () => inbox.received.length === 1);
      a!.deliver(ada, { text: 'second' });
      await settled('the link is up', () => linked(a!, b!) && inbox.received.length === 2);
      // b stops reading its links (a process stuck, or its machine starved).
      const incoming = (b as unknown as { peers: { incoming: Map<string, { socket: net.Socket }> } }).peers.incoming;
      for (const { socket } of incoming.values()) socket.pause();
      // 400 frames of 64 KB: 26 MB, more than the kernel's buffers and the 16 MB a link may fall behind.
      const big = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 400; i++) a!.deliver(ada, { text: `${i} ${big}` });
      await settled('the link is cut', () => !linked(a!, b!));
      await settled('the last frame, through Redis', () => inbox.texts().at(-1)?.startsWith('399 ') ?? false, 10_000);
      const numbers = inbox
        .texts()
        .slice(2)
        .map((text) => Number(text.slice(0, text.indexOf(' '))));
      const first = numbers[0]!;
      // What was on the cut link is lost, as in a dead process; what came after it, in order, whole.
      assert.ok(first > 100, `frames from ${first} on reached Ada`);
      assert.deepEqual(
        numbers,
        Array.from({ length: 400 - first }, (_, i) => first + i),
      );
      const cuts = warnings.filter((w) => w.msg === 'peer link cut: the other process stopped reading');
      assert.equal(cuts.length, 1);
      assert.equal(cuts[0]!.processId, b!.processId);
    },
  );

  test(
    'peer links: a process that cannot reach another warns once, and sends to it through Redis, every frame in order',
    { timeout: 30_000 },
    async () => {
      const { logger, warnings } = warningsLog();
      const [a] = await redisBuses(1, HOLD_LIMIT, 'unreachable', LINKED, logger);
      const [b] = await redisBuses(1, HOLD_LIMIT, 'unreachable');
      // b's listener goes (as behind a firewall): its address, in Redis, refuses connections.
      (b as unknown as { peers: { server: net.Server } }).peers.server.close();
      const ada = user();
      const inbox = new FakeInbox();
      await b!.attach(ada, inbox, []);
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 3; i++) {
          a!.deliver(ada, { text: `r${round} f${i}` });
          await sleep(50);
        }
        // The next try comes 5 s after the last failed one: it fails too, and says nothing new.
        if (round === 0) await sleep(5200);
      }
      await settled('r1 f2', () => inbox.texts().includes('r1 f2'));
      assert.deepEqual(inbox.texts(), ['r0 f0', 'r0 f1', 'r0 f2', 'r1 f0', 'r1 f1', 'r1 f2']);
      const unreachable = warnings.filter((w) => w.msg === 'no peer link to this process: its frames go through Redis');
      assert.equal(unreachable.length, 1, 'one warning for two failed tries');
      assert.equal(unreachable[0]!.processId, b!.processId);
      assert.match(String(unreachable[0]!.address), /^127\.0\.0\.1:\d+$/);
      assert.equal(linked(a!, b!), false);
    },
  );

  test('peer links after Redis lost its data: processes that outlived it learn the secret a new process made, and link with it', async () => {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    const [a, b] = await redisBuses(2, HOLD_LIMIT, prefix);
    const key = `${a!.connection.prefix}peer-secret`;
    const old = await a!.connection.commands.get(key);
    // Redis restarted empty, and a process started since made a new secret; a and b knew the old one.
    await a!.connection.commands.set(key, 'made-after-the-loss');
    const [c] = await redisBuses(1, HOLD_LIMIT, prefix);
    const onA = user();
    const onC = user();
    const onB = user();
    const [atA, atC, atB] = [new FakeInbox(), new FakeInbox(), new FakeInbox()];
    await a!.attach(onA, atA, []);
    await c!.attach(onC, atC, []);
    await b!.attach(onB, atB, []);
    // Each sends twice: the first learns the route (a script), the next opens the link.
    for (const [from, to, userId, inbox] of [
      [c!, a!, onA, atA],
      [a!, c!, onC, atC],
      [b!, a!, onA, atA],
    ] as const) {
      const before = inbox.received.length;
      from.deliver(userId, { text: 'one' });
      await settled('one', () => inbox.received.length === before + 1);
      from.deliver(userId, { text: 'two' });
      await settled(`${from.processId} linked to ${to.processId}`, () => linked(from, to), 5000);
      from.deliver(userId, { text: 'three' });
      await settled('three', () => inbox.received.length === before + 3);
    }
    assert.notEqual(old, 'made-after-the-loss');
    assert.equal(await a!.connection.commands.get(key), 'made-after-the-loss', 'the secret Redis holds is kept');
    assert.deepEqual(atA.texts(), ['one', 'two', 'three', 'one', 'two', 'three']);
    assert.deepEqual(atC.texts(), ['one', 'two', 'three']);
  });

  test('let go on every process: no key of the user is left in Redis, and a later socket gets a fresh stream', async () => {
    const [a, b] = await redisBuses(2);
    const ada = user();
    const first = new FakeInbox();
    await b!.attach(ada, first, []);
    for (let i = 0; i < 5; i++) a!.deliver(ada, { text: `x${i}` });
    await settled('x4', () => first.received.length === 5);
    b!.detach(ada, first);
    a!.deliver(ada, { text: 'held' });
    await sleep(50);
    await b!.release(ada);
    const keys = await a!.connection.commands.keys(`${a!.connection.prefix}*${ada}*`);
    assert.deepEqual(keys, [], 'nothing of the user is left');
    a!.deliver(ada, { text: 'dropped: nobody owns her' });
    await sleep(50);
    const again = new FakeInbox();
    await a!.attach(ada, again, []);
    b!.deliver(ada, { text: 'new' });
    await settled('new', () => again.received.length === 1);
    assert.deepEqual(again.texts(), ['new']);
  });
});

describe('InOrder: one user’s frames in each sender’s order', () => {
  type Frame = Sequenced & { text: string };
  const frame = (sender: string, seq: number, prev: number): Frame => ({ sender, seq, prev, text: `${sender}${seq}` });

  test('a frame that comes before its predecessor waits for it; other senders are not held up', () => {
    const passed: string[] = [];
    const order = new InOrder<Frame>((f) => passed.push(f.text), 10_000);
    order.seen('p', 3);
    order.offer(frame('p', 9, 7));
    order.offer(frame('q', 4, 0));
    order.offer(frame('p', 7, 3));
    order.offer(frame('p', 7, 3)); // twice: once is shown
    assert.deepEqual(passed, ['q4', 'p7', 'p9']);
    assert.deepEqual(order.takeWaiting(), []);
  });

  test('a frame that starts over (a room’s matched) does not wait for a gap: what waits before it passes, then it; a late predecessor is dropped', () => {
    const passed: string[] = [];
    // The gap is long: anything that passes here passed without waiting for it.
    const order = new InOrder<Frame>(
      (f) => passed.push(f.text),
      60_000,
      (f) => f.text === 'p9',
    );
    order.seen('p', 1);
    order.offer(frame('p', 5, 4)); // 4 was lost (with a killed process): 5 waits
    order.offer(frame('q', 3, 0));
    assert.deepEqual(passed, ['q3']);
    order.offer(frame('p', 9, 5)); // the matched
    assert.deepEqual(passed, ['q3', 'p5', 'p9'], 'at once, in the sender’s order');
    order.offer(frame('p', 4, 1));
    order.offer(frame('p', 10, 9));
    assert.deepEqual(passed, ['q3', 'p5', 'p9', 'p10'], 'the lost one, turning up late, is dropped');
    assert.deepEqual(order.takeWaiting(), []);
  });

  test('a predecessor that never comes: the waiting frames pass after the gap, in order; if it comes later it is dropped', async () => {
    const passed: string[] = [];
    const order = new InOrder<Frame>((f) => passed.push(f.text), 50);
    order.seen('p', 1);
    order.offer(frame('p', 5, 4));
    order.offer(frame('p', 6, 5));
    await sleep(20);
    assert.deepEqual(passed, [], 'waits for 4');
    await eventually('the gap passed', () => passed.length === 2, 1000);
    assert.deepEqual(passed, ['p5', 'p6']);
    order.offer(frame('p', 4, 1));
    order.offer(frame('p', 8, 6));
    assert.deepEqual(passed, ['p5', 'p6', 'p8'], 'the late one is never shown out of order');
  });
});
