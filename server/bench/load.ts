/**
 * The load generator: the same users, frames and clock for the server and the floor.
 *
 * It shares the machine's cores with the relay it measures, so the hot path (sending and
 * receiving signals) allocates only the frame itself: one interval timer drives every socket,
 * and received signals are read straight from the bytes instead of through JSON.parse.
 *
 * Why an outside generator once measured the server worse than this bench did (issue 18: p99
 * 1.96× the floor's where we said 1.31×, max sustained 0.66× where we said 1.00×):
 * - Load shape. It gave each socket its own 200 ms timer, all started together, so every socket
 *   sent in the same instant: 2,000 frames at once, five times a second. Its p99 was the time a
 *   relay takes to work through such a burst, which is the relay's cost per frame times the
 *   burst, so the ratio of p99s was nearly the ratio of costs. We spread the same frames evenly
 *   (a few every 5 ms): each waited for almost nothing, and p99 was mostly what both relays
 *   share (the kernel, the generator's own event loop), which pulled every ratio toward 1.
 *   `burst` (the default) now sends as that generator did; `paced` is the old even spread.
 * - Warm-up. Our first slice ran on code the JIT had not optimised yet, in both relays alike;
 *   the frames of those seconds raised both p99s and again pulled the ratio toward 1. The
 *   relay phases (relay.ts) now relay a few seconds per target before they measure.
 * - The ramp. A step held when nothing was lost or late past 100 ms, whatever rate actually got
 *   through; this generator (one process, one core) could not offer the floor's top rate, so
 *   both relays "held" every step it could send, and their ratio was 1.00. A step now holds
 *   only if the relay delivered at least 95% of the rate asked for (see RelayStep.achievedRate),
 *   and a step the generator itself could not send is reported as such, not as the relay's.
 * - Frame size was not it: both sent 600-byte signals.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { AuthResponse, ServerMessage } from '@small-talk/protocol';
import { quantileOfSorted } from '../test/stats.js';
import { cpuSeconds, machineBusySeconds, type Target } from './proc.js';

/** The eight seeded categories. */
export const CATEGORIES = ['music', 'movies', 'books', 'sports', 'gaming', 'travel', 'food', 'tech'] as const;
type Category = (typeof CATEGORIES)[number];

/**
 * User `index`'s category, of `count` users. Round-robin, so neighbouring users differ (the
 * cluster splits users by index: run.ts's clusterNodeOf); but round-robin alone leaves a category
 * with an odd count whenever `count` is not a multiple of twice the categories (3,000 users make
 * 375 each: 8 left alone), so the users after the last such full round go two by two instead.
 * Every category then has an even count and everyone can pair (3,000: 376 or 374 each), unless
 * `count` itself is odd.
 */
export function categoryOf(index: number, count: number): Category {
  const fullRounds = count - (count % (2 * CATEGORIES.length));
  const slot = index < fullRounds ? index : Math.floor((index - fullRounds) / 2);
  return CATEGORIES[slot % CATEGORIES.length]!;
}

/**
 * Loopback source addresses the users are spread over. The server allows each address 500
 * open sockets and 1,000 guests a minute; 20 addresses keep 2,000 users at 100 per address.
 */
export const SOURCE_ADDRESSES = Array.from({ length: 20 }, (_, i) => `127.0.0.${i + 2}`);

/** Size of every signal frame a user sends, padding included. */
export const FRAME_BYTES = 600;

/** How often the send timer fires; each firing sends every frame that has come due since the last. */
const TICK_MS = 5;

/**
 * How the frames of a relay step are spread in time, at the same total rate:
 * - `burst`: every socket sends one frame in the same instant, once per its period (200 ms at
 *   5 frames/s): what a fleet of clients whose per-socket timers started together does, and the
 *   harder shape, since a frame waits for the relay to get through the burst ahead of it.
 * - `paced`: the frames evenly spread, a few every TICK_MS, in round-robin over the sockets.
 */
export type LoadShape = 'burst' | 'paced';

/** A step delivered less than this share of the rate asked for: it did not hold, whatever its latency. */
export const ACHIEVED_SHARE = 0.95;

/** Connections opened (or guests created) at once: enough to be quick, few enough not to overflow the listen backlog. */
const CONNECT_CONCURRENCY = 64;

export class Latencies {
  private samples: Float64Array;
  count = 0;

  constructor(expected: number) {
    this.samples = new Float64Array(Math.max(1024, Math.ceil(expected)));
  }

  add(ms: number): void {
    if (this.count === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.count++] = ms;
  }

  summary(): LatencySummary {
    const sorted = this.samples.subarray(0, this.count).sort();
    const at = (q: number) => quantileOfSorted(sorted, q);
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
  }
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One bout of relaying at a fixed total rate. */
export interface RelayStep {
  /** Frames per second asked for, over all sockets. */
  rate: number;
  /**
   * Frames per second the relay delivered: those received, over the time from the first send
   * to the last arrival (or the step's length, if longer). A relay that cannot keep up delivers
   * its backlog after the step ends, and this falls below `rate`.
   */
  achievedRate: number;
  /** Frames per second the generator managed to send: below `rate`, the generator was the limit. */
  sentRate: number;
  durationMs: number;
  /** How long the step waited for its last frames. */
  drainMs: number;
  sent: number;
  received: number;
  /** Sent but not received when the step's drain ended: lost, or later than the drain. */
  missing: number;
  /** Frames that arrived after a later frame of the same sender. */
  outOfOrder: number;
  /** Send to arrival on the peer socket, through the relay, in ms. */
  latency: LatencySummary;
  /** The same, for pairs whose two sockets are on one process, and on two (a cluster has both). */
  latencySame: LatencySummary & { count: number };
  latencyCross: LatencySummary & { count: number };
  /** The longest the send timer fired late: over a few ms, the generator itself was short of CPU. */
  maxTimerLagMs: number;
  /** CPU seconds the target, the generator and everything else on the machine used during the step. */
  targetCpuS: number;
  generatorCpuS: number;
  othersCpuS: number;
  /** Error frames and socket closes seen during the step, by code. */
  errors: Record<string, number>;
  closes: Record<string, number>;
}

export interface MatchResult {
  users: number;
  /** From the first join sent to the last `matched` received. */
  ms: number;
  /** From the first join sent until half the users had `matched`. */
  halfMs: number;
  /** From the first join sent to the last `matched` received, whether or not everyone was matched. */
  lastMs: number;
  /** CPU seconds the target spent from the first join to the last `matched`. */
  targetCpuS: number;
  matched: number;
  /** Users with no `matched` when the wait ended. */
  unmatched: number;
  rooms: number;
  /** Users whose match is not mirrored by their peer's (other peer, room, category or both/neither initiator). */
  notMutual: number;
  /** Users who got more than one `matched`, or `matched` before `queued`. */
  outOfContract: number;
}

export interface RampResult {
  /** Highest rate that held: p99 within the limit, nothing missing or reordered. */
  maxSustained: number;
  steps: Array<RelayStep & { held: boolean; why: string }>;
}

/**
 * (c) The ramp's plan for one target: raise the total rate step by step until a step fails
 * (p99 over the limit, a frame missing or reordered, under ACHIEVED_SHARE of the rate delivered), then bisect
 * between the last step held and the one that failed, BISECTIONS times: the steps are 25% apart
 * near the top, too coarse to tell 0.9× of the floor from 0.75×; two halvings resolve about 6%.
 * A failed step is tried once more (twice per ramp at most), since a neighbour's burst of CPU on
 * a shared machine can sink a single step.
 */
/** How many times the ramp halves the gap between its last held step and its first failed one. */
const BISECTIONS = 2;

export class RampPlan {
  readonly result: RampResult = { maxSustained: 0, steps: [] };
  private index = 0;
  private retriesLeft = 2;
  private retrying = false;
  private failedAt: number | null = null;
  private bisectionsLeft = BISECTIONS;
  private done = false;

  constructor(
    private readonly rates: readonly number[],
    private readonly p99LimitMs: number,
  ) {}

  /** The rate to try next, or null when the ramp is over. */
  next(): number | null {
    if (this.done) return null;
    if (this.failedAt === null) return this.rates[this.index] ?? null;
    const midway = Math.round((this.result.maxSustained + this.failedAt) / 2 / 100) * 100;
    if (this.bisectionsLeft > 0 && midway > this.result.maxSustained && midway < this.failedAt) return midway;
    this.done = true;
    return null;
  }

  /** Judges a step; true when it held. */
  record(step: RelayStep): boolean {
    const why =
      step.sentRate < ACHIEVED_SHARE * step.rate
        ? `the generator sent only ${Math.round(step.sentRate)} frames/s`
        : step.missing > 0
          ? `${step.missing} frames missing ${step.drainMs} ms after the step`
          : step.outOfOrder > 0
            ? `${step.outOfOrder} frames out of order`
            : step.latency.p99 > this.p99LimitMs
              ? `p99 over ${this.p99LimitMs} ms`
              : step.achievedRate < ACHIEVED_SHARE * step.rate
                ? `delivered only ${Math.round(step.achievedRate)} frames/s`
                : '';
    const held = why === '';
    this.result.steps.push({ ...step, held, why });
    if (held) this.result.maxSustained = Math.max(this.result.maxSustained, step.rate);
    if (this.failedAt !== null) {
      this.bisectionsLeft -= 1;
      if (!held) this.failedAt = step.rate;
    } else if (held) {
      this.index += 1;
      this.retrying = false;
    } else if (!this.retrying && this.retriesLeft > 0) {
      this.retriesLeft -= 1;
      this.retrying = true;
    } else {
      this.failedAt = step.rate;
    }
    return held;
  }
}

export interface User {
  readonly index: number;
  /** Which of the target's processes it talks to. */
  readonly node: number;
  readonly localAddress: string;
  readonly category: Category;
  token: string;
  ws: WebSocket | null;
  id: string;
  /** Resolves connect()'s wait for this user's `welcome`; null once it came. */
  onWelcome: (() => void) | null;
  queued: boolean;
  matches: number;
  matchedBeforeQueued: boolean;
  roomId: string;
  peerId: string;
  initiator: boolean;
  matchedCategory: string | null;
  /** Its peer is on another process: its frames cross Redis. */
  crossPeer: boolean;
  /** repair() waits for this user's next frame of a type. */
  waiter: { type: string; resolve: () => void } | null;
  /** `{"type":"signal","roomId":"…","data":{"s":` built once the room is known. */
  framePrefix: string;
  /** Next sequence number this user sends, and the next it expects from its peer. */
  nextSeq: number;
  expectedSeq: number;
}

/** Padding strings by length, so a frame is padded to FRAME_BYTES without slicing per frame. */
const PADS = Array.from({ length: FRAME_BYTES + 1 }, (_, n) => 'x'.repeat(n));
const JOINS = new Map(CATEGORIES.map((c) => [c, JSON.stringify({ type: 'join', categories: [c] })]));

// Both relays serialize the event as type, roomId, from, data, and pass `data` through as it came.
const SIGNAL_PREFIX = Buffer.from('{"type":"signal"');
const SEQ_MARKER = Buffer.from('"data":{"s":');
const TALLY_MARKER_BYTES = ',"k":'.length;
const TIME_MARKER_BYTES = ',"t":'.length;

/** Where the last readUint stopped; a module variable spares a tuple per frame. */
let readEnd = 0;
function readUint(bytes: Buffer, from: number): number {
  let value = 0;
  let i = from;
  for (; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c < 48 || c > 57) break;
    value = value * 10 + (c - 48);
  }
  readEnd = i;
  return value;
}

/**
 * What a measurement adds up, over one relay() call or several. Frames carry the number of
 * their tally, so a late frame counts where it was sent, not in whatever runs when it lands.
 */
export class Tally {
  rate = 0;
  durationMs = 0;
  drainMs = 0;
  sent = 0;
  received = 0;
  /** Over the last relay() call: when it began sending, and when its last frame arrived. */
  startedAt = 0;
  lastArrivalAt = 0;
  /** The last relay() call's rates (see RelayStep). */
  achievedRate = 0;
  sentRate = 0;
  outOfOrder = 0;
  maxTimerLagMs = 0;
  targetCpuS = 0;
  generatorCpuS = 0;
  othersCpuS = 0;
  readonly latencies: Latencies;
  readonly same: Latencies;
  readonly cross: Latencies;
  readonly errors: Record<string, number> = {};
  readonly closes: Record<string, number> = {};

  constructor(expectedFrames: number) {
    this.latencies = new Latencies(expectedFrames);
    this.same = new Latencies(expectedFrames);
    this.cross = new Latencies(1024);
  }

  summary(): RelayStep {
    return {
      rate: this.rate,
      achievedRate: this.achievedRate,
      sentRate: this.sentRate,
      durationMs: this.durationMs,
      drainMs: this.drainMs,
      sent: this.sent,
      received: this.received,
      missing: this.sent - this.received,
      outOfOrder: this.outOfOrder,
      latency: this.latencies.summary(),
      latencySame: { ...this.same.summary(), count: this.same.count },
      latencyCross: { ...this.cross.summary(), count: this.cross.count },
      maxTimerLagMs: this.maxTimerLagMs,
      targetCpuS: this.targetCpuS,
      generatorCpuS: this.generatorCpuS,
      othersCpuS: Math.max(0, this.othersCpuS),
      errors: { ...this.errors },
      closes: { ...this.closes },
    };
  }
}

export class Load {
  readonly users: User[];
  /** Users in a room: the ones that relay. */
  private paired: User[] = [];
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private readonly tallies: Tally[] = [];
  /** Where errors and closes are counted: the measurement running, or the last one. */
  private current = new Tally(0);
  private matchedUsers = 0;
  private expectedMatches = 0;
  private matchStartedAt = 0;
  private halfMatchedMs = NaN;
  private lastMatchedAt = 0;
  private onAllMatched: (() => void) | null = null;
  private cursor = 0;
  private closing = false;
  /**
   * Sees every frame that is not a signal before the load does, for a phase that reads frames of
   * its own (friends, presence, direct calls); returning true keeps the frame from the load.
   */
  onFrame: ((user: User, event: ServerMessage) => boolean) | null = null;

  constructor(
    private readonly target: Target,
    count: number,
  ) {
    this.users = Array.from({ length: count }, (_, index) => ({
      index,
      node: target.nodeOf(index),
      localAddress: SOURCE_ADDRESSES[index % SOURCE_ADDRESSES.length]!,
      category: categoryOf(index, count),
      token: '',
      ws: null,
      id: '',
      onWelcome: null,
      queued: false,
      matches: 0,
      matchedBeforeQueued: false,
      roomId: '',
      peerId: '',
      initiator: false,
      matchedCategory: null,
      crossPeer: false,
      waiter: null,
      framePrefix: '',
      nextSeq: 0,
      expectedSeq: 0,
    }));
  }

  /** A guest session per user, for targets that check who connects. */
  async signIn(): Promise<void> {
    if (!this.target.needsGuests) return;
    // Every user accepts the rules before it may join, as the app's first-run screen makes it do.
    const rules = await fetch(`http://127.0.0.1:${this.target.ports[0]}/api/rules`);
    const { version } = (await rules.json()) as { version: number };
    await inPool(this.users, CONNECT_CONCURRENCY, async (user) => {
      const from = { port: this.target.ports[user.node]!, localAddress: user.localAddress, agent: this.agent };
      const signedIn = await postJson<AuthResponse>(
        from,
        '/api/auth/guest',
        { displayName: `bench ${user.index}` },
        201,
      );
      user.token = signedIn.token;
      user.id = signedIn.user.id;
      await postJson(from, '/api/me/consent', { birthDate: '1980-06-15', rulesVersion: version }, 200, signedIn.token);
    });
  }

  /** Opens every user's socket and waits for its `welcome`. */
  async connect(): Promise<void> {
    await inPool(this.users, CONNECT_CONCURRENCY, (user) => this.open(user));
  }

  /** Users who can find a partner: an even number per category (an odd one out waits). */
  private matchable(): number {
    const perCategory = new Map<string, number>();
    for (const user of this.users) perCategory.set(user.category, (perCategory.get(user.category) ?? 0) + 1);
    return [...perCategory.values()].reduce((n, c) => n + c - (c % 2), 0);
  }

  /** (a) Every user joins its category at once; resolves when all have `matched` or after `timeoutMs`. */
  async match(timeoutMs = 30_000): Promise<MatchResult> {
    const allMatched = new Promise<void>((resolve) => (this.onAllMatched = resolve));
    this.expectedMatches = this.matchable();
    const cpuBefore = targetCpu(this.target);
    const start = performance.now();
    this.matchStartedAt = start;
    for (const user of this.users) user.ws!.send(JOINS.get(user.category)!);
    await Promise.race([allMatched, sleep(timeoutMs)]);
    const ms = this.matchedUsers === this.expectedMatches ? this.lastMatchedAt - start : NaN;
    const targetCpuS = targetCpu(this.target) - cpuBefore;

    const byId = new Map(this.users.map((u) => [u.id, u]));
    let notMutual = 0;
    let outOfContract = 0;
    const rooms = new Set<string>();
    for (const user of this.users) {
      if (user.matches > 1 || user.matchedBeforeQueued) outOfContract += 1;
      if (user.matches === 0) continue;
      rooms.add(user.roomId);
      const peer = byId.get(user.peerId);
      const mutual =
        peer !== undefined &&
        peer !== user &&
        peer.peerId === user.id &&
        peer.roomId === user.roomId &&
        peer.initiator !== user.initiator &&
        user.matchedCategory === user.category &&
        peer.category === user.category;
      if (!mutual) notMutual += 1;
    }
    this.paired = this.users.filter((u) => u.matches === 1 && byId.get(u.peerId)?.peerId === u.id);
    for (const user of this.paired) {
      user.framePrefix = `{"type":"signal","roomId":"${user.roomId}","data":{"s":`;
      user.crossPeer = byId.get(user.peerId)!.node !== user.node;
    }
    return {
      users: this.users.length,
      ms,
      halfMs: this.halfMatchedMs,
      lastMs: this.lastMatchedAt > start ? this.lastMatchedAt - start : NaN,
      targetCpuS,
      matched: this.matchedUsers,
      unmatched: this.users.length - this.matchedUsers,
      rooms: rooms.size,
      notMutual,
      outOfContract,
    };
  }

  get pairedCount(): number {
    return this.paired.length;
  }

  /**
   * For a cluster: ends every room, then pairs the users again one pair at a time per category,
   * so that half the rooms have their members on two processes. Joining all at once, each
   * process matches most of its own users with each other before the other's joins reach Redis,
   * so (a) leaves few rooms split; this makes (b) and (c) measure both paths.
   */
  async repair(): Promise<void> {
    const paired = this.paired;
    await this.leave(paired);

    // Per category, A on the first process and B on the second: (A0 B0) (A1 B1) (A2 A3) (B2 B3), …
    const rounds: Array<Array<[User, User]>> = [];
    for (const category of CATEGORIES) {
      const a = paired.filter((u) => u.category === category && u.node === 0);
      const b = paired.filter((u) => u.category === category && u.node !== 0);
      const pairs: Array<[User, User]> = [];
      while (a.length > 0 || b.length > 0) {
        const turn = pairs.length % 4;
        if (turn < 2 && a.length > 0 && b.length > 0) pairs.push([a.shift()!, b.shift()!]);
        else if (a.length >= 2 && (turn === 2 || b.length < 2)) pairs.push([a.shift()!, a.shift()!]);
        else if (b.length >= 2) pairs.push([b.shift()!, b.shift()!]);
        else if (a.length > 0 && b.length > 0) pairs.push([a.shift()!, b.shift()!]);
        else break;
      }
      pairs.forEach((pair, i) => (rounds[i] ??= []).push(pair));
    }
    for (const round of rounds) {
      await Promise.all(
        round.map(async ([first, second]) => {
          const queued = this.expect(first, 'queued');
          first.ws!.send(JOINS.get(first.category)!);
          await queued;
          const matched = [this.expect(first, 'matched'), this.expect(second, 'matched')];
          second.ws!.send(JOINS.get(second.category)!);
          await Promise.all(matched);
        }),
      );
    }
    const byId = new Map(this.users.map((u) => [u.id, u]));
    this.paired = this.users.filter((u) => u.roomId !== '' && byId.get(u.peerId)?.peerId === u.id);
    for (const user of this.paired) {
      user.framePrefix = `{"type":"signal","roomId":"${user.roomId}","data":{"s":`;
      user.crossPeer = byId.get(user.peerId)!.node !== user.node;
      // A new room: sequence numbers start again.
      user.nextSeq = 0;
      user.expectedSeq = 0;
    }
  }

  /**
   * Ends every room of (a) and forgets its outcome, so that match() can run again on the same
   * sockets: a measurement repeated, or taken turn about with another load's.
   */
  async unmatch(): Promise<void> {
    await this.leave(this.users.filter((u) => u.roomId !== ''));
    for (const user of this.users) {
      user.queued = false;
      user.matches = 0;
      user.matchedBeforeQueued = false;
      user.peerId = '';
      user.initiator = false;
      user.matchedCategory = null;
    }
    this.paired = [];
    this.matchedUsers = 0;
    this.expectedMatches = 0;
    this.halfMatchedMs = NaN;
    this.lastMatchedAt = 0;
  }

  /** The initiators of `users`' rooms leave; resolves when both members of each have heard. */
  private async leave(users: User[]): Promise<void> {
    const ended = users.map((u) => this.expect(u, u.initiator ? 'left' : 'peer_left'));
    for (const u of users) if (u.initiator) u.ws!.send(JSON.stringify({ type: 'leave', roomId: u.roomId }));
    await Promise.all(ended);
  }

  private expect(user: User, type: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`user ${user.index}: no ${type} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      user.waiter = {
        type,
        resolve: () => {
          clearTimeout(timer);
          user.waiter = null;
          resolve();
        },
      };
    });
  }

  /** Paired users whose peer is on another process. */
  get crossCount(): number {
    return this.paired.filter((u) => u.crossPeer).length;
  }

  /**
   * Relays at `rate` frames/s in total for `durationMs`, round-robin over the paired users so
   * each sends at rate/users, shaped as `shape` says; then waits up to `drainMs` for the last
   * frames. Pass the same `tally` to several calls to measure them as one.
   */
  async relay(
    rate: number,
    durationMs: number,
    drainMs: number,
    tally = new Tally((rate * durationMs) / 1000),
    shape: LoadShape = 'burst',
  ): Promise<RelayStep> {
    const users = this.paired;
    if (users.length === 0) throw new Error('nobody is in a room: run match() first');
    let number = this.tallies.indexOf(tally);
    if (number === -1) number = this.tallies.push(tally) - 1;
    this.current = tally;
    const targetCpuBefore = targetCpu(this.target);
    const generatorCpuBefore = process.cpuUsage();
    const machineBefore = machineBusySeconds();
    const receivedBefore = tally.received;
    const planned = Math.floor((durationMs * rate) / 1000);
    // A burst is one frame from every socket; bursts come once per socket's period.
    const periodMs = (1000 * users.length) / rate;

    const start = performance.now();
    tally.startedAt = start;
    tally.lastArrivalAt = start;
    let sent = 0;
    let lastSentAt = start;
    await new Promise<void>((resolve) => {
      let lastTick = start;
      const tick = () => {
        const now = performance.now();
        tally.maxTimerLagMs = Math.max(tally.maxTimerLagMs, now - lastTick - TICK_MS);
        lastTick = now;
        const elapsed = Math.min(now - start, durationMs);
        // Frames due by now, not per tick: a late tick catches up instead of lowering the rate.
        const due =
          shape === 'paced'
            ? Math.floor((elapsed * rate) / 1000)
            : Math.min(planned, (Math.floor(elapsed / periodMs) + 1) * users.length);
        let cursor = this.cursor;
        for (; sent < due; sent++) {
          const user = users[cursor]!;
          cursor = cursor + 1 === users.length ? 0 : cursor + 1;
          this.sendSignal(user, number);
        }
        if (sent > 0) lastSentAt = performance.now();
        this.cursor = cursor;
        if (elapsed >= durationMs) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, TICK_MS);
      tick();
    });

    // Counted even for sockets that are gone: the relay lost those users' frames, and that must show.
    tally.sent += sent;
    const targetCpuS = targetCpu(this.target) - targetCpuBefore;
    const generatorCpuS = cpuSecondsSince(generatorCpuBefore);
    tally.rate = rate;
    tally.durationMs += durationMs;
    tally.drainMs = drainMs;
    tally.targetCpuS += targetCpuS;
    tally.generatorCpuS += generatorCpuS;
    tally.othersCpuS += machineBusySeconds() - machineBefore - targetCpuS - generatorCpuS;

    const drainUntil = performance.now() + drainMs;
    while (tally.received < tally.sent && performance.now() < drainUntil) await sleep(10);
    // The last burst is sent at most one period before the end, so a relay that keeps up is done by then.
    const deliveredMs = Math.max(durationMs, tally.lastArrivalAt - start);
    tally.achievedRate = ((tally.received - receivedBefore) * 1000) / deliveredMs;
    // The generator was late if its last frame left well after the step should have ended.
    tally.sentRate = (sent * 1000) / Math.max(durationMs, lastSentAt - start);
    return tally.summary();
  }

  /** Frames sent in any measurement and never received, once the relay has had `ms` to deliver the stragglers. */
  async lost(ms: number): Promise<number> {
    await this.quiesce(ms);
    return this.tallies.reduce((sum, t) => sum + t.sent - t.received, 0);
  }

  close(): void {
    this.closing = true;
    for (const user of this.users) user.ws?.terminate();
    this.agent.destroy();
  }

  /** Waits until every frame sent so far has arrived, or `ms` has passed. */
  async quiesce(ms: number): Promise<void> {
    const until = performance.now() + ms;
    const outstanding = () => this.tallies.reduce((sum, t) => sum + t.sent - t.received, 0);
    while (outstanding() > 0 && performance.now() < until) await sleep(20);
  }

  private sendSignal(user: User, tally: number): void {
    const ws = user.ws!;
    if (ws.readyState !== WebSocket.OPEN) return;
    // Integer microseconds: read back without parsing a float.
    const head = `${user.framePrefix}${user.nextSeq++},"k":${tally},"t":${Math.round(performance.now() * 1000)},"p":"`;
    ws.send(head + PADS[Math.max(0, FRAME_BYTES - head.length - 3)] + '"}}');
  }

  private onMessage(user: User, bytes: Buffer): void {
    if (
      bytes.length > SIGNAL_PREFIX.length &&
      bytes.compare(SIGNAL_PREFIX, 0, SIGNAL_PREFIX.length, 0, SIGNAL_PREFIX.length) === 0
    ) {
      const at = bytes.indexOf(SEQ_MARKER, SIGNAL_PREFIX.length);
      if (at !== -1) return this.onSignal(user, bytes, at + SEQ_MARKER.length);
    }
    this.onEvent(user, JSON.parse(bytes.toString()) as ServerMessage);
  }

  private onSignal(user: User, bytes: Buffer, from: number): void {
    const now = performance.now();
    const seq = readUint(bytes, from);
    const number = readUint(bytes, readEnd + TALLY_MARKER_BYTES);
    const sentAtUs = readUint(bytes, readEnd + TIME_MARKER_BYTES);
    this.countSignal(user, now, seq, number, sentAtUs);
  }

  private countSignal(user: User, now: number, seq: number, number: number, sentAtUs: number): void {
    const tally = this.tallies[number];
    if (!tally) {
      this.current.errors['unreadable signal'] = (this.current.errors['unreadable signal'] ?? 0) + 1;
      return;
    }
    tally.received += 1;
    tally.lastArrivalAt = now;
    const latency = now - sentAtUs / 1000;
    tally.latencies.add(latency);
    (user.crossPeer ? tally.cross : tally.same).add(latency);
    if (seq === user.expectedSeq) user.expectedSeq = seq + 1;
    // A gap is not counted here: the frames in it either come later (out of order) or never (lost).
    else if (seq > user.expectedSeq) user.expectedSeq = seq + 1;
    else tally.outOfOrder += 1;
  }

  private onEvent(user: User, event: ServerMessage): void {
    if (this.onFrame?.(user, event)) return;
    if (user.waiter?.type === event.type) user.waiter.resolve();
    switch (event.type) {
      case 'welcome':
        user.id = event.user.id;
        user.onWelcome?.();
        user.onWelcome = null;
        return;
      case 'queued':
        user.queued = true;
        return;
      case 'left':
      case 'peer_left':
        user.roomId = '';
        return;
      case 'matched':
        if (user.waiter === null && user.roomId === '' && user.matches > 0) {
          // repair()'s new room: not a second match of (a).
          user.roomId = event.roomId;
          user.peerId = event.peer.id;
          user.initiator = event.initiator;
          return;
        }
        user.matches += 1;
        if (!user.queued) user.matchedBeforeQueued = true;
        user.roomId = event.roomId;
        user.peerId = event.peer.id;
        user.initiator = event.initiator;
        user.matchedCategory = event.category;
        if (user.matches === 1) {
          this.matchedUsers += 1;
          this.lastMatchedAt = performance.now();
          if (this.matchedUsers === Math.floor(this.expectedMatches / 2))
            this.halfMatchedMs = this.lastMatchedAt - this.matchStartedAt;
          if (this.matchedUsers === this.expectedMatches) this.onAllMatched?.();
        }
        return;
      case 'error':
        this.current.errors[event.code] = (this.current.errors[event.code] ?? 0) + 1;
        return;
      case 'signal': {
        // Only when the relay wrote the frame in another key order than the fast path expects.
        const data = event.data as { s?: number; k?: number; t?: number } | null;
        this.countSignal(user, performance.now(), data?.s ?? -1, data?.k ?? -1, data?.t ?? 0);
        return;
      }
      default:
        this.current.errors[`unexpected ${event.type}`] = (this.current.errors[`unexpected ${event.type}`] ?? 0) + 1;
    }
  }

  /** Opens the user's socket (again, after its last one closed) and resolves at its `welcome`. */
  open(user: User): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${this.target.ports[user.node]}/ws`, {
        localAddress: user.localAddress,
        headers: user.token ? { authorization: `Bearer ${user.token}` } : {},
        perMessageDeflate: false,
        // The relay is trusted here; checking UTF-8 would spend the generator's CPU on nothing.
        skipUTF8Validation: true,
      });
      user.ws = ws;
      user.onWelcome = resolve;
      ws.on('message', (data) => this.onMessage(user, data as Buffer));
      ws.on('unexpected-response', (_request, response) => {
        ws.terminate();
        reject(
          new Error(
            `${this.target.name} refused the socket of user ${user.index} from ${user.localAddress}: HTTP ${response.statusCode}`,
          ),
        );
      });
      ws.on('error', (error) => {
        if (user.onWelcome) reject(error);
      });
      ws.on('close', (code) => {
        if (this.closing) return;
        this.current.closes[code] = (this.current.closes[code] ?? 0) + 1;
        if (user.onWelcome)
          reject(new Error(`${this.target.name} closed the socket of user ${user.index} before welcome: ${code}`));
      });
    });
  }
}

/** Where a bench user's HTTP requests go: the target's port, from the user's source address, on a keep-alive agent. */
export interface PostFrom {
  port: number;
  /** Spread over loopback addresses, as the users are, so the server's per-address limits do not bite. */
  localAddress: string;
  agent: http.Agent;
}

/** POSTs `json` (with `token` as a bearer, if given) and resolves with the answer's body; any status but `expected` rejects. */
export function postJson<T>(from: PostFrom, path: string, json: unknown, expected: number, token?: string): Promise<T> {
  const body = JSON.stringify(json);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: from.port,
        path,
        method: 'POST',
        localAddress: from.localAddress,
        agent: from.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (response.statusCode === expected) resolve(JSON.parse(text) as T);
          else reject(new Error(`POST ${path} from ${from.localAddress}: HTTP ${response.statusCode} ${text}`));
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Runs `work` on every item, at most `width` at a time. */
export async function inPool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

/** CPU seconds used so far by every process of the target. */
export function targetCpu(target: Target): number {
  return target.cpuPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
}

function cpuSecondsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}
