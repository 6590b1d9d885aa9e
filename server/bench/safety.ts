/**
 * Issue 12's figure: does matching stay fast with safety rules in the way? On one server process
 * or the 2-process cluster, three sets of 2,000 users are matched as in (a), one after another:
 *
 * - plain: nobody has blocked anyone or met anyone (the (a) of this run), matched first and,
 *   with 2,000 others, again last: the baseline is the mean of the two;
 * - outside: every user holds 50 blocks and 20 recent partners still in the rematch cooldown,
 *   none of them among the users queued;
 * - half: the same, but half of each (25 blocks, 10 partners) are users queued with it, in its
 *   own category, so the queue really has to skip them.
 *
 * Blocks go straight into the database before anyone connects (the `blocks` table, as if made
 * long ago: the server reads them when a socket opens); recent partners are made the real way, by a room that ended, so the
 * match store holds their cooldown. Reported: time to match each set, the ratio to plain (target
 * ≤ 1.3×), double matches, and blocked or cooling pairs that were matched (target 0 each).
 *
 *   npm run bench -- --only safety
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import type { ServerMessage } from '@small-talk/protocol';
import { CATEGORIES, Load, type MatchResult, type User } from './load.js';
import type { Target } from './proc.js';

export const SAFETY_TARGETS = { msRatio: 1.3 };
export const SAFETY_USERS = 2000;
const BLOCKS_EACH = 50;
const RECENT_EACH = 20;
/** Users the blocks of the `outside` half point at: signed in, never queued. */
const BLOCKED_POOL = 100;
/** Users the recent partners outside the queue are: they only meet the measured users in setup. */
const PARTNER_POOL = 200;
const WAIT_MS = 20_000;
/** The pause before each measured set. */
const SETTLE_MS = 2000;
/** A run whose last users are stuck (each shuns the other) ends after this. */
const MATCH_TIMEOUT_MS = 15_000;

/** What the bench's servers get for this phase. */
export const SAFETY_SERVER_ENV = {
  // A partner meets hundreds of users in setup, a join and a leave each, faster than 50 frames/s.
  WS_RATE_LIMIT: '1000',
  // The setup's first rooms must still be cooling down when the last set is matched.
  REMATCH_COOLDOWN_S: '3600',
};

export const SAFETY_LOAD = `${SAFETY_USERS.toLocaleString('en-US')} users matched plain, with ${BLOCKS_EACH} blocks and ${RECENT_EACH} recent partners each outside the queue, then half of them inside`;

export interface SafetyRun extends MatchResult {
  /** Matched pairs where one had blocked the other, or the two were still cooling down. */
  blockedPairs: number;
  coolingPairs: number;
  /** Unmatched users with a same-category unmatched user they do not shun: a match the store missed. */
  missed: number;
}

export interface SafetyFigures {
  setup: { blocks: number; rooms: number; ms: number };
  /** The plain set matched first, and another plain set matched last: the baseline is their mean. */
  plain: SafetyRun;
  plainAfter: SafetyRun;
  outside: SafetyRun;
  half: SafetyRun;
  outsideRatio: number;
  halfRatio: number;
}

/** A seeded generator, so that every run draws the same blocks. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

type Frame<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/** Takes the setup's frames before the loads read them; each `expect` waits for one frame of a user. */
class Setup {
  active = true;
  private readonly waiting = new Map<User, Array<{ type: string; resolve: (event: ServerMessage) => void }>>();

  constructor(loads: Load[]) {
    for (const load of loads) load.onFrame = (user, event) => this.take(user, event);
  }

  expect<T extends ServerMessage['type']>(user: User, type: T): Promise<Frame<T>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`user ${user.index}: no ${type} within ${WAIT_MS} ms`)), WAIT_MS);
      let list = this.waiting.get(user);
      if (!list) this.waiting.set(user, (list = []));
      list.push({
        type,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event as Frame<T>);
        },
      });
    });
  }

  private take(user: User, event: ServerMessage): boolean {
    // Load reads its own welcome: connect() waits for it.
    if (!this.active || event.type === 'welcome') return false;
    if (event.type === 'error') throw new Error(`user ${user.index}: error ${event.code} in setup: ${event.message}`);
    const list = this.waiting.get(user);
    const i = list ? list.findIndex((w) => w.type === event.type) : -1;
    if (i !== -1) list!.splice(i, 1)[0]!.resolve(event);
    return true;
  }
}

const send = (user: User, frame: object) => user.ws!.send(JSON.stringify(frame));
const pairKey = (a: string, b: string) => (a < b ? `${a} ${b}` : `${b} ${a}`);
const ms = (value: number) => (Number.isNaN(value) ? '—' : value.toFixed(0));

export async function benchSafety(
  target: Target,
  say: (line: string) => void,
  users = SAFETY_USERS,
): Promise<SafetyFigures> {
  if (!target.dataDir) throw new Error('the safety phase needs a server with a SQLite data folder');
  const tag = target.name.padEnd(6);
  const plain = new Load(target, users);
  const plainAfter = new Load(target, users);
  const outside = new Load(target, users);
  const half = new Load(target, users);
  const partners = new Load(target, PARTNER_POOL);
  const blockedPool = new Load(target, BLOCKED_POOL);
  const loads = [plain, outside, half, plainAfter, partners, blockedPool];
  const setup = new Setup(loads);
  try {
    const started = performance.now();
    for (const load of loads) await load.signIn();

    // Blocks, both directions remembered for the check.
    const draw = random(12);
    const rows: Array<[string, string]> = [];
    for (const user of outside.users) {
      for (let k = 0; k < BLOCKS_EACH; k++)
        rows.push([user.id, blockedPool.users[(user.index + k) % BLOCKED_POOL]!.id]);
    }
    for (const user of half.users) {
      for (let k = 0; k < BLOCKS_EACH / 2; k++)
        rows.push([user.id, blockedPool.users[(user.index + k) % BLOCKED_POOL]!.id]);
      const sameCategory = half.users.filter((u) => u.category === user.category && u !== user);
      const chosen = new Set<User>();
      while (chosen.size < BLOCKS_EACH / 2) chosen.add(sameCategory[Math.floor(draw() * sameCategory.length)]!);
      for (const other of chosen) rows.push([user.id, other.id]);
    }
    const blocked = new Set(rows.map(([a, b]) => pairKey(a, b)));
    const db = new SQLite(path.join(target.dataDir, 'smalltalk.db'));
    db.pragma('busy_timeout = 10000');
    const insert = db.prepare('INSERT OR IGNORE INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?)');
    const now = new Date().toISOString();
    db.transaction(() => {
      for (const [a, b] of rows) insert.run(a, b, now);
    })();
    db.close();
    // Connected after the blocks were written, as users with blocks made long ago connect: the
    // server reads a user's blocks when its socket opens (a block made later reaches the match
    // store, which this direct write skips).
    for (const load of [plain, outside, half, plainAfter, partners]) await load.connect();

    // Recent partners, by rooms that really happened: rounds in which each measured user meets
    // one partner, the pairs of a round spread over the categories as lanes, one room at a time
    // per lane so that each pair can only match each other.
    const cooling = new Set<string>();
    const rounds: Array<Array<[User, User]>> = [];
    for (let r = 0; r < RECENT_EACH; r++) {
      const round: Array<[User, User]> = outside.users.map((u) => [partners.users[(u.index + r) % PARTNER_POOL]!, u]);
      if (r < RECENT_EACH / 2)
        round.push(...half.users.map((u): [User, User] => [partners.users[(u.index + r) % PARTNER_POOL]!, u]));
      rounds.push(round);
    }
    // Inside the queue: each half user with the users whose index is its own XOR 8k (same category).
    for (let k = 1; k <= RECENT_EACH / 2; k++) {
      const pairs = half.users
        .filter((u) => u.index < (u.index ^ (8 * k)) && (u.index ^ (8 * k)) < users)
        .map((u): [User, User] => [u, half.users[u.index ^ (8 * k)]!]);
      // Two who blocked each other cannot meet; they shun each other anyway.
      rounds.push(pairs.filter(([a, b]) => !blocked.has(pairKey(a.id, b.id))));
    }
    const partnerSet = new Set(partners.users);
    let rooms = 0;
    for (const round of rounds) {
      // A partner stays in one lane, so it is never in two rooms at once.
      const lanes: Array<Array<[User, User]>> = CATEGORIES.map(() => []);
      round.forEach((pair, i) => lanes[(partnerSet.has(pair[0]) ? pair[0].index : i) % CATEGORIES.length]!.push(pair));
      await Promise.all(
        lanes.map(async (lane, l) => {
          for (const [first, second] of lane) {
            const queued = setup.expect(first, 'queued');
            send(first, { type: 'join', categories: [CATEGORIES[l]] });
            await queued;
            const matched = [setup.expect(first, 'matched'), setup.expect(second, 'matched')];
            send(second, { type: 'join', categories: [CATEGORIES[l]] });
            const [m] = await Promise.all(matched);
            if (m!.peer.id !== second.id) throw new Error(`user ${first.index} met someone else in setup`);
            const ended = [setup.expect(first, 'left'), setup.expect(second, 'peer_left')];
            send(first, { type: 'leave', roomId: m!.roomId });
            await Promise.all(ended);
            cooling.add(pairKey(first.id, second.id));
            rooms += 1;
          }
        }),
      );
    }
    const setupMs = performance.now() - started;
    say(
      `${tag} safety: ${rows.length} blocks written, ${rooms} rooms met and ended in ${(setupMs / 1000).toFixed(1)} s`,
    );

    setup.active = false;
    const run = async (load: Load): Promise<SafetyRun> => {
      // A quiet moment first: the garbage of the setup (or of the set before) is collected while
      // the server idles, not in the middle of whichever set happens to come next.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      const result = await load.match(MATCH_TIMEOUT_MS);
      return { ...result, ...check(load, blocked, cooling) };
    };
    // Turn about: plain before and after the two safety sets, and each compared with the mean of
    // the two plain runs, so that whatever drifts during the phase (the database and the stores
    // grow with every room, other work on the machine comes and goes) weighs on both sides alike.
    const plainRun = await run(plain);
    const outsideRun = await run(outside);
    const halfRun = await run(half);
    // Those left waiting (each shuns every other left in its category) leave the queue, or the
    // next set would meet them.
    setup.active = true;
    const left = half.users.filter((u) => u.matches === 0);
    const cancelled = left.map((u) => setup.expect(u, 'cancelled'));
    for (const u of left) send(u, { type: 'cancel' });
    await Promise.all(cancelled);
    setup.active = false;
    const plainAfterRun = await run(plainAfter);
    const plainMs = (plainRun.lastMs + plainAfterRun.lastMs) / 2;
    const figures: SafetyFigures = {
      setup: { blocks: rows.length, rooms, ms: setupMs },
      plain: plainRun,
      plainAfter: plainAfterRun,
      outside: outsideRun,
      half: halfRun,
      outsideRatio: outsideRun.lastMs / plainMs,
      halfRatio: halfRun.lastMs / plainMs,
    };
    for (const [name, r] of [
      ['plain', plainRun],
      ['outside', outsideRun],
      ['half', halfRun],
      ['plain', plainAfterRun],
    ] as const) {
      const ratio =
        name === 'plain' ? '' : ` = ${(r.lastMs / plainMs).toFixed(2)}× plain (target ≤ ${SAFETY_TARGETS.msRatio}×)`;
      say(
        `${tag} (s) ${name.padEnd(7)} ${r.matched}/${r.users} matched in ${ms(r.lastMs)} ms${ratio}, server CPU ${r.targetCpuS.toFixed(2)} s; ` +
          `double matches ${r.outOfContract}, not mutual ${r.notMutual}, blocked pairs ${r.blockedPairs}, cooling pairs ${r.coolingPairs}` +
          `${r.unmatched ? `; ${r.unmatched} left waiting, each shunning every other left in its category (missed matches: ${r.missed})` : ''}`,
      );
    }
    return figures;
  } finally {
    for (const load of loads) load.close();
  }
}

/** Blocked and cooling pairs among the matches, and unmatched users who could have been matched. */
function check(
  load: Load,
  blocked: Set<string>,
  cooling: Set<string>,
): Pick<SafetyRun, 'blockedPairs' | 'coolingPairs' | 'missed'> {
  let blockedPairs = 0;
  let coolingPairs = 0;
  for (const user of load.users) {
    if (user.matches === 0 || user.id > user.peerId) continue;
    const key = pairKey(user.id, user.peerId);
    if (blocked.has(key)) blockedPairs += 1;
    if (cooling.has(key)) coolingPairs += 1;
  }
  let missed = 0;
  const left = load.users.filter((u) => u.matches === 0);
  for (const a of left) {
    for (const b of left) {
      if (
        a.index < b.index &&
        a.category === b.category &&
        !blocked.has(pairKey(a.id, b.id)) &&
        !cooling.has(pairKey(a.id, b.id))
      )
        missed += 1;
    }
  }
  return { blockedPairs, coolingPairs, missed };
}
