/**
 * Issue 7's figures, on one server process or the 2-process cluster:
 *
 * - (h1) 500 pairs of friends ring each other at once: from `call` to the callee's
 *   `incoming_call` (the issue: the call appears within a second), then all 500 answer at once:
 *   from `accept_call` to both members' `matched`.
 * - (h2) a user with 200 friends online closes its socket: until every friend has the `offline`
 *   presence frame; then it opens one again: until every friend has `online`. Median of 5.
 * - (h3) what presence costs matching: 2,000 users matched as in (a), without friends and with 5
 *   friends each (all online and matching too), taken turn about on the same server.
 *
 * Only people who have been in a room together may befriend, so the setup first pairs each
 * pair of friends-to-be in a room of its own and ends it, then asks and accepts over HTTP.
 *
 *   npm run bench -- --only friends
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerMessage, SendFriendRequestResponse } from '@small-talk/protocol';
import { median } from '../test/stats.js';
import {
  CATEGORIES,
  inPool,
  Latencies,
  Load,
  targetCpu,
  type LatencySummary,
  type MatchResult,
  type User,
} from './load.js';
import { ms, seconds } from './print.js';
import type { Target } from './proc.js';

/** Issue 7's target. */
export const FRIENDS_TARGETS = {
  /** p99 from `call` to the callee's `incoming_call`, every pair ringing at once. */
  ringP99Ms: 1000,
};

/** Pairs of friends that ring each other at once in (h1). */
export const RING_PAIRS = 500;
/** Friends of (h2)'s user. */
export const HUB_FRIENDS = 200;
/** Users matched at once in (h3), as many as the relay phases' (a). */
export const MATCH_USERS = 2000;
/**
 * Each user of (h3)'s befriended half is friends with the users whose index is its own XOR one
 * of these: 5 friends each, all different, within a block of 16 users (so MATCH_USERS must be a
 * multiple of 16), and each mask pairs everyone at once, which makes one round of rooms.
 */
const FRIEND_MASKS = [1, 2, 4, 8, 3];
export const FRIENDS_EACH = FRIEND_MASKS.length;
const PRESENCE_REPEATS = 5;
/** (h3)'s runs of each half, turn about: plain first, then befriended first, then plain first. */
const MATCH_REPEATS = 3;
/** Friend requests (and accepts) in flight at once during the setup. */
const HTTP_CONCURRENCY = 32;
/** How long a measurement waits for a frame before counting it missing. */
const WAIT_MS = 10_000;

/** What the bench's servers get for this phase, beside the defaults. */
export const FRIENDS_SERVER_ENV = {
  // (h2)'s user meets its 200 friends one after another, a `join` each, faster than the 50 frames/s
  // a socket may send; nothing measured comes near either rate.
  WS_RATE_LIMIT: '1000',
};

/** One line for the bench's header. */
export const FRIENDS_LOAD = `${RING_PAIRS} rings at once, a user with ${HUB_FRIENDS} friends going and coming, ${MATCH_USERS.toLocaleString('en-US')} users matched with and without ${FRIENDS_EACH} friends each`;

export interface FriendsFigures {
  setup: {
    users: number;
    friendships: number;
    guestsMs: number;
    socketsMs: number;
    /** Pairing every pair of friends-to-be in a room and ending it. */
    meetMs: number;
    /** Request and accept over HTTP, HTTP_CONCURRENCY at a time. */
    befriendMs: number;
  };
  ring: {
    pairs: number;
    /** Pairs whose caller and callee are on different processes. */
    crossProcess: number;
    /** Callees that had `incoming_call`, and pairs where both then had `matched`. */
    rang: number;
    answered: number;
    /** `call` sent → the callee's `incoming_call`. */
    incoming: LatencySummary;
    /** `accept_call` sent → the later of the two `matched`. */
    answer: LatencySummary;
  };
  presence: {
    friends: number;
    /** Per repetition: socket closed → the last friend's `offline`; new socket asked for → the last friend's `online`. */
    offlineMs: number[];
    onlineMs: number[];
    offlineMedianMs: number;
    onlineMedianMs: number;
    /** Frames that never came (within WAIT_MS), over all repetitions. */
    missed: number;
  };
  matchCost: {
    users: number;
    friendsEach: number;
    without: MatchRun[];
    with: MatchRun[];
    withoutMs: number;
    withMs: number;
    withoutCpuS: number;
    withCpuS: number;
    /** With friends over without, medians. */
    msRatio: number;
    cpuRatio: number;
    /** `in_call` presence frames the befriended half received per match. */
    presenceFrames: number;
  };
  /** Error frames and ended calls seen, by code or reason: none expected. */
  problems: Record<string, number>;
  logLines: number;
  logTail: string[];
}

export interface MatchRun extends MatchResult {
  /** CPU seconds of the target's processes from the first join until the friends' frames stopped. */
  cpuS: number;
}

type Frame<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

interface Arrival<T extends ServerMessage['type']> {
  frame: Frame<T>;
  at: number;
}

interface Waiter {
  type: ServerMessage['type'];
  test(event: ServerMessage): boolean;
  resolve(event: ServerMessage, at: number): void;
}

const ONLY_WELCOME: ReadonlySet<string> = new Set(['welcome']);
/** What Load's match() and unmatch() read. */
const MATCH_FRAMES: ReadonlySet<string> = new Set(['welcome', 'queued', 'matched', 'left', 'peer_left']);

/**
 * The phase's frames, taken before the loads read them (Load.onFrame): waits by user and type,
 * each with its time of arrival, and a count of every frame by kind.
 */
class Inbox {
  private passing = ONLY_WELCOME;
  private readonly waiting = new Map<User, Waiter[]>();
  readonly counts: Record<string, number> = {};
  private lastAt = 0;

  constructor(loads: Load[]) {
    for (const load of loads) load.onFrame = (user, event) => this.take(user, event);
  }

  /** While `match` is true, the loads read their own matches and rooms. */
  loadMatches(match: boolean): void {
    this.passing = match ? MATCH_FRAMES : ONLY_WELCOME;
  }

  /** The user's next frame of `type` that passes `test`; rejects after `timeoutMs`. */
  next<T extends ServerMessage['type']>(
    user: User,
    type: T,
    test: (frame: Frame<T>) => boolean = () => true,
    timeoutMs = WAIT_MS,
  ): Promise<Arrival<T>> {
    return new Promise((resolve, reject) => {
      let waiters = this.waiting.get(user);
      if (!waiters) this.waiting.set(user, (waiters = []));
      const waiter: Waiter = {
        type,
        test: (event) => test(event as Frame<T>),
        resolve: (event, at) => {
          clearTimeout(timer);
          resolve({ frame: event as Frame<T>, at });
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`user ${user.index}: no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  }

  /** Resolves once no frame has come for `quietMs` (counted from now at the earliest), or after `maxMs`. */
  async settle(quietMs = 200, maxMs = WAIT_MS): Promise<void> {
    const start = performance.now();
    while (performance.now() - start < maxMs) {
      const left = Math.max(this.lastAt, start) + quietMs - performance.now();
      if (left <= 0) return;
      await sleep(left);
    }
  }

  /** Error frames and ended calls so far. */
  problems(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.counts).filter(([kind]) => kind.startsWith('error ') || kind.startsWith('call_ended ')),
    );
  }

  private take(user: User, event: ServerMessage): boolean {
    if (this.passing.has(event.type)) return false;
    const at = performance.now();
    this.lastAt = at;
    const kind =
      event.type === 'error'
        ? `error ${event.code}`
        : event.type === 'call_ended'
          ? `call_ended ${event.reason}`
          : event.type === 'presence'
            ? `presence ${event.presence}`
            : event.type;
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    const waiters = this.waiting.get(user);
    const i = waiters ? waiters.findIndex((w) => w.type === event.type && w.test(event)) : -1;
    if (i !== -1) waiters!.splice(i, 1)[0]!.resolve(event, at);
    return true;
  }
}

/** Issue 7's figures on `target`, a fresh server (started with FRIENDS_SERVER_ENV). */
export async function benchFriends(target: Target, say: (line: string) => void): Promise<FriendsFigures> {
  if (MATCH_USERS % 16 !== 0)
    throw new Error('MATCH_USERS must be a multiple of 16: friends are picked within blocks of 16');
  const tag = target.name.padEnd(6);
  const ringLoad = new Load(target, 2 * RING_PAIRS);
  const hubLoad = new Load(target, 1 + HUB_FRIENDS);
  const plain = new Load(target, MATCH_USERS);
  const befriended = new Load(target, MATCH_USERS);
  const loads = [ringLoad, hubLoad, plain, befriended];
  const inbox = new Inbox(loads);
  try {
    const users = loads.reduce((n, load) => n + load.users.length, 0);
    let t = performance.now();
    for (const load of loads) await load.signIn();
    const guestsMs = performance.now() - t;
    t = performance.now();
    for (const load of loads) await load.connect();
    const socketsMs = performance.now() - t;

    // Caller i, callee i + 500: on the cluster, about half the pairs are split over the processes.
    const ringPairs = ringLoad.users
      .slice(0, RING_PAIRS)
      .map((caller, i): [User, User] => [caller, ringLoad.users[i + RING_PAIRS]!]);
    const [hub, ...hubFriends] = hubLoad.users as [User, ...User[]];
    // The friend first: it leaves each room, so the hub sends only its 200 joins.
    const hubPairs = hubFriends.map((friend): [User, User] => [friend, hub]);
    const maskRounds = FRIEND_MASKS.map((mask) =>
      befriended.users
        .filter((u) => u.index < (u.index ^ mask))
        .map((u): [User, User] => [u, befriended.users[u.index ^ mask]!]),
    );
    t = performance.now();
    // The hub's rooms one at a time in a category of their own; the rest in the other seven.
    await Promise.all([
      meet(
        inbox,
        hubPairs.map((pair) => [pair]),
        CATEGORIES.slice(0, 1),
      ),
      meet(inbox, [ringPairs, ...maskRounds], CATEGORIES.slice(1)),
    ]);
    const meetMs = performance.now() - t;
    const friendships = [...ringPairs, ...hubPairs, ...maskRounds.flat()];
    t = performance.now();
    await befriend(target, friendships);
    const befriendMs = performance.now() - t;
    await inbox.settle();
    const setup = { users, friendships: friendships.length, guestsMs, socketsMs, meetMs, befriendMs };
    say(
      `${tag} friends: ${users} guests in ${(guestsMs / 1000).toFixed(1)} s, sockets in ${(socketsMs / 1000).toFixed(1)} s; ` +
        `${friendships.length} pairs met in a room in ${(meetMs / 1000).toFixed(1)} s and befriended over HTTP in ${(befriendMs / 1000).toFixed(1)} s`,
    );

    t = performance.now();
    const ring = await ringAtOnce(inbox, ringPairs);
    say(
      `${tag} (h1) ${ring.rang}/${ring.pairs} rang at once${target.ports.length > 1 ? ` (${ring.crossProcess} across processes)` : ''}: ` +
        `call → incoming_call p50 ${ms(ring.incoming.p50)} p95 ${ms(ring.incoming.p95)} p99 ${ms(ring.incoming.p99)} max ${ms(ring.incoming.max)} ms; ` +
        `${ring.answered} answered at once: accept_call → both matched p50 ${ms(ring.answer.p50)} p99 ${ms(ring.answer.p99)} ms (${seconds(t)})`,
    );

    t = performance.now();
    const presence = await fanOut(inbox, hubLoad, hub, hubFriends);
    say(
      `${tag} (h2) ${HUB_FRIENDS} friends told offline in ${ms(presence.offlineMedianMs)} ms, online again in ${ms(presence.onlineMedianMs)} ms ` +
        `(median of ${PRESENCE_REPEATS}; offline ${presence.offlineMs.map((v) => v.toFixed(0)).join(', ')}; online ${presence.onlineMs.map((v) => v.toFixed(0)).join(', ')})` +
        `${presence.missed ? `, ${presence.missed} frames missing` : ''} (${seconds(t)})`,
    );

    t = performance.now();
    const matchCost = await matchTurnAbout(target, inbox, plain, befriended);
    const incomplete = [...matchCost.without, ...matchCost.with].filter(
      (run) => Number.isNaN(run.ms) || run.notMutual + run.outOfContract > 0,
    ).length;
    say(
      `${tag} (h3) match ${MATCH_USERS} users: ${ms(matchCost.withoutMs)} ms without friends, ${ms(matchCost.withMs)} ms with ${FRIENDS_EACH} friends each online: ` +
        `${matchCost.msRatio.toFixed(2)}×; CPU ${matchCost.withoutCpuS.toFixed(2)} s → ${matchCost.withCpuS.toFixed(2)} s: ${matchCost.cpuRatio.toFixed(2)}× ` +
        `(median of ${MATCH_REPEATS}, turn about; ${matchCost.presenceFrames} presence frames per match${incomplete ? `; ${incomplete} runs incomplete or not mutual` : ''}) (${seconds(t)})`,
    );
    const problems = inbox.problems();
    if (Object.keys(problems).length > 0)
      say(
        `${tag}      seen: ${Object.entries(problems)
          .map(([kind, n]) => `${n}× ${kind}`)
          .join(', ')}`,
      );
    return { setup, ring, presence, matchCost, problems, logLines: target.lineCount(), logTail: target.tail() };
  } finally {
    for (const load of loads) load.close();
  }
}

/**
 * Puts each pair in a room and ends it, which is what lets two users befriend. Rounds go one
 * after another (a user may be in several rounds, once in each); within a round each category
 * takes one pair at a time, so nobody else waits there when a pair joins and its two can only
 * match each other. The first of a pair leaves.
 */
async function meet(inbox: Inbox, rounds: Array<Array<[User, User]>>, categories: readonly string[]): Promise<void> {
  for (const round of rounds) {
    const ended: Array<Promise<unknown>> = [];
    await Promise.all(
      categories.map(async (category, lane) => {
        const join = JSON.stringify({ type: 'join', categories: [category] });
        for (let k = lane; k < round.length; k += categories.length) {
          const [a, b] = round[k]!;
          const matched = Promise.all([inbox.next(a, 'matched'), inbox.next(b, 'matched')]);
          // Both at once: whichever arrives first waits, and the other matches it.
          a.ws!.send(join);
          b.ws!.send(join);
          const [{ frame }] = await matched;
          if (frame.peer.id !== b.id)
            throw new Error(`user ${a.index} was matched with ${frame.peer.id}, not user ${b.index}`);
          ended.push(leave(inbox, a, b, frame.roomId));
        }
      }),
    );
    await Promise.all(ended);
  }
}

/** `a` leaves its room with `b`; resolves when both have heard. */
function leave(inbox: Inbox, a: User, b: User, roomId: string): Promise<unknown> {
  const ended = Promise.all([inbox.next(a, 'left'), inbox.next(b, 'peer_left')]);
  a.ws!.send(JSON.stringify({ type: 'leave', roomId }));
  return ended;
}

/** The first of each pair asks, the second accepts (by the id in the answer, as the app does with its `friend_request` frame). */
async function befriend(target: Target, pairs: Array<[User, User]>): Promise<void> {
  await inPool(pairs, HTTP_CONCURRENCY, async ([a, b]) => {
    const asked = await post<SendFriendRequestResponse>(target, a, '/api/friends/requests', { userId: b.id });
    if (!('request' in asked)) throw new Error(`user ${a.index} asked user ${b.index} and they were friends at once`);
    await post(target, b, `/api/friends/requests/${asked.request.id}/accept`);
  });
}

async function post<T>(target: Target, user: User, path: string, body?: object): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${target.ports[user.node]}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path} as user ${user.index}: HTTP ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** (h1) Every caller calls at once; once all have rung, every callee answers at once; then the rooms end. */
async function ringAtOnce(inbox: Inbox, pairs: Array<[User, User]>): Promise<FriendsFigures['ring']> {
  const incoming = new Latencies(pairs.length);
  const answer = new Latencies(pairs.length);
  const rings = pairs.map(([caller, callee]) =>
    inbox.next(callee, 'incoming_call', (f) => f.peer.id === caller.id).catch(() => null),
  );
  const calls = pairs.map(([, callee]) => JSON.stringify({ type: 'call', userId: callee.id }));
  const calledAt = pairs.map(([caller], i) => {
    const at = performance.now();
    caller.ws!.send(calls[i]!);
    return at;
  });
  const rang = await Promise.all(rings);
  rang.forEach((arrival, i) => arrival && incoming.add(arrival.at - calledAt[i]!));

  const answered = pairs.flatMap((pair, i) => (rang[i] ? [{ pair, callId: rang[i].frame.callId }] : []));
  const rooms = answered.map(({ pair: [caller, callee] }) =>
    Promise.all([inbox.next(caller, 'matched'), inbox.next(callee, 'matched')]).catch(() => null),
  );
  const accepts = answered.map(({ callId }) => JSON.stringify({ type: 'accept_call', callId }));
  const acceptedAt = answered.map(({ pair: [, callee] }, i) => {
    const at = performance.now();
    callee.ws!.send(accepts[i]!);
    return at;
  });
  const matched = await Promise.all(rooms);
  matched.forEach((both, i) => both && answer.add(Math.max(both[0].at, both[1].at) - acceptedAt[i]!));

  // Ended now, rather than by the sockets closing at the end, when their grace would run out in the middle of something else.
  await Promise.all(
    matched.flatMap((both, i) =>
      both ? [leave(inbox, answered[i]!.pair[0], answered[i]!.pair[1], both[0].frame.roomId)] : [],
    ),
  );
  await inbox.settle();
  return {
    pairs: pairs.length,
    crossProcess: pairs.filter(([caller, callee]) => caller.node !== callee.node).length,
    rang: incoming.count,
    answered: answer.count,
    incoming: incoming.summary(),
    answer: answer.summary(),
  };
}

/** (h2) The hub closes its socket and opens a new one, PRESENCE_REPEATS times. */
async function fanOut(inbox: Inbox, load: Load, hub: User, friends: User[]): Promise<FriendsFigures['presence']> {
  const offlineMs: number[] = [];
  const onlineMs: number[] = [];
  let missed = 0;
  const told = (presence: 'offline' | 'online') =>
    Promise.all(
      friends.map((friend) =>
        inbox.next(friend, 'presence', (f) => f.userId === hub.id && f.presence === presence).catch(() => null),
      ),
    );
  const lastOf = (arrivals: Array<Arrival<'presence'> | null>, since: number) => {
    missed += arrivals.filter((a) => a === null).length;
    return arrivals.includes(null) ? NaN : Math.max(...arrivals.map((a) => a!.at)) - since;
  };
  for (let i = 0; i < PRESENCE_REPEATS; i++) {
    const offline = told('offline');
    let start = performance.now();
    hub.ws!.close();
    offlineMs.push(lastOf(await offline, start));
    const online = told('online');
    start = performance.now();
    await load.open(hub);
    onlineMs.push(lastOf(await online, start));
    await inbox.settle();
  }
  return {
    friends: friends.length,
    offlineMs,
    onlineMs,
    offlineMedianMs: median(offlineMs),
    onlineMedianMs: median(onlineMs),
    missed,
  };
}

/** (h3) Each half matched as in (a), turn about, so that neither always goes first. */
async function matchTurnAbout(
  target: Target,
  inbox: Inbox,
  plain: Load,
  befriended: Load,
): Promise<FriendsFigures['matchCost']> {
  const runs = new Map<Load, MatchRun[]>([
    [plain, []],
    [befriended, []],
  ]);
  let presenceFrames = 0;
  inbox.loadMatches(true);
  try {
    for (let i = 0; i < MATCH_REPEATS; i++) {
      for (const load of i % 2 === 0 ? [plain, befriended] : [befriended, plain]) {
        const framesBefore = inbox.counts['presence in_call'] ?? 0;
        const cpuBefore = targetCpu(target);
        const result = await load.match();
        // The friends hear after the matches: their share of the work counts until the frames stop.
        await inbox.settle();
        runs.get(load)!.push({ ...result, cpuS: targetCpu(target) - cpuBefore });
        if (load === befriended) presenceFrames += (inbox.counts['presence in_call'] ?? 0) - framesBefore;
        await load.unmatch();
        await inbox.settle();
      }
    }
  } finally {
    inbox.loadMatches(false);
  }
  const without = runs.get(plain)!;
  const withFriends = runs.get(befriended)!;
  const withoutMs = median(without.map((r) => r.ms));
  const withMs = median(withFriends.map((r) => r.ms));
  const withoutCpuS = median(without.map((r) => r.cpuS));
  const withCpuS = median(withFriends.map((r) => r.cpuS));
  return {
    users: MATCH_USERS,
    friendsEach: FRIENDS_EACH,
    without,
    with: withFriends,
    withoutMs,
    withMs,
    withoutCpuS,
    withCpuS,
    msRatio: withMs / withoutMs,
    cpuRatio: withCpuS / withoutCpuS,
    presenceFrames: presenceFrames / MATCH_REPEATS,
  };
}
