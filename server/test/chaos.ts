/**
 * Chaos (issue 18): 3 real server processes on one Redis and one PostgreSQL, hundreds of users
 * matching, relaying numbered signals and leaving, while every `killEveryMs` one process (round
 * robin) is killed with SIGKILL and started again on its port. Used by cluster-chaos.test.ts (60 s)
 * and the bench's `chaos` phase (3 minutes): both read the same report.
 *
 * Each user is what the SDK does over a bare socket: join a category, relay `{"n":k}` signals to
 * its peer, leave after a while and join again. When its process dies, a user in a room either
 * comes back at once on a live process and resumes (as the SDK reconnects), or stays away past the
 * grace (a phone gone for good), so that both ways of telling its peer are exercised. The checks
 * are what users would see, counted:
 *   - one room at a time: no `matched` while the previous room has not ended for the user, no
 *     frame of a room after its end (`left`/`peer_left`) nor before its `matched`; and in Redis,
 *     no user a member of two live rooms;
 *   - the peer of a user whose process was killed gets `peer_left` or that user's next signal
 *     within grace + 5 s of the kill;
 *   - in a room whose two members' processes both lived through it, signals arrive in order with
 *     none missing (and all of the leaver's before its `peer_left`);
 *   - once everyone has gone and the grace and the lease have run: nobody waiting anywhere, no
 *     room left, no queue entry of a dead process in Redis;
 *   - no process exits but the ones killed, and each answers /healthz at the end.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import type { ServerMessage as Frame } from '@small-talk/protocol';
import { LEASE_MS } from '../src/storage/bus/lease.js';
import { startCluster, startServices, type Cluster, type ClusterNode, type Services } from './cluster.js';
import { api, guest, waitingCounts } from './harness.js';

export interface ChaosOptions {
  /** How long users churn and processes are killed. */
  durationMs: number;
  users: number;
  processes: number;
  killEveryMs: number;
  /** RESUME_GRACE_MS of the processes. */
  graceMs: number;
  /** Each user in a room sends one signal this often. */
  signalEveryMs: number;
  /** How long a user stays in a room before it leaves (uniform in [min, max]). */
  roomMs: [number, number];
  /** Share of the users in a room on a killed process that do not come back within the grace. */
  goneShare: number;
  say?: (line: string) => void;
  /** A folder to write each process's log to at the end (to read after a failure). */
  logDir?: string;
}

export const CHAOS_DEFAULTS: Omit<ChaosOptions, 'durationMs'> = {
  users: 600,
  processes: 3,
  killEveryMs: 15_000,
  graceMs: 3000,
  signalEveryMs: 1000,
  roomMs: [2000, 6000],
  goneShare: 0.5,
};

/** What happened, as counts; the invariants are the fields a run must keep at 0. */
export interface ChaosReport {
  durationS: number;
  users: number;
  kills: number;
  restarts: number;
  /** Processes that took over a dead one's users (its "process lost" warning), over the run. */
  reclaims: number;
  roomsFormed: number;
  roomsEnded: number;
  /** Rooms whose members' processes both lived through the whole room, and the others. */
  cleanRooms: number;
  disturbedRooms: number;
  signalsSent: number;
  signalsReceived: number;
  /** Users who came back on another process within the grace and got their room (`matched`, resumed). */
  resumes: number;
  /** Users who stayed away past the grace, and came back to `welcome` only. */
  goneForGood: number;
  /** Peers of a killed process's users, told by `peer_left`, or by a signal of the returning user. */
  toldByPeerLeft: number;
  toldByResume: number;
  /** Peers on the killed process too, back to `welcome` without their room: that is how they learn it ended. */
  toldByWelcome: number;
  /** Longest kill-to-told time, against the limit grace + 5 s. */
  toldMaxMs: number;
  toldLimitMs: number;
  /** Errors the server answered, by code (`not_in_room` races a signal against the peer's leave: expected). */
  errors: Record<string, number>;
  /** Signals missing or out of order in rooms a kill touched: what a crash costs, not a fault. */
  disturbedLost: number;
  // Invariants: each must be 0.
  /** Peers told after grace + 5 s. */
  toldLate: number;
  twoRooms: number;
  /** A frame of a room (signal, `left`, `peer_left`) after that room ended for the user. */
  framesAfterEnd: number;
  /** A signal of a room before the user's `matched` for it. */
  framesBeforeMatched: number;
  /**
   * A `left`/`peer_left` of a room whose `matched` never came, on a socket that was not returning:
   * the room was made by a process killed before it told this member, and no survivor did
   * (Rooms.announceLate).
   */
  matchedNeverCame: number;
  serverTwoRooms: number;
  untold: number;
  cleanLost: number;
  cleanReordered: number;
  /** A user who came back after its peer was told `peer_left` and still got the room. */
  resumedAfterPeerLeft: number;
  waitingAfter: number;
  roomsAfter: number;
  deadQueueEntries: number;
  survivorsCrashed: number;
  unhealthyAtEnd: number;
  /** Lines logged at error or fatal by any process. */
  errorLines: number;
  /** Live processes taken for dead (their lease lapsed: an event loop or Redis stalled longer than LEASE_MS). */
  falseDeaths: number;
  /** A second `matched` (not resumed) for the room a user already has: a held one, after the resume's. */
  duplicateMatched: number;
  /** Processes still starting again when the checks ran (a restart slower than the run's end). */
  restartsPending: number;
  /** What broke an invariant: a few lines per kind, each with the user's last events. */
  details: string[];
}

const CATEGORIES = ['music', 'books', 'movies'];

interface RoomRecord {
  id: string;
  members: Set<string>;
  /** Signals each member sent in the room. */
  sent: Map<string, number>;
  /** A member's process died (or the member was away) during the room. */
  disturbed: boolean;
  ended: boolean;
}

interface UserRoom {
  record: RoomRecord;
  peerId: string;
  /** Signals this user sent in the room. */
  sent: number;
  /** The highest signal number received from the peer. */
  received: number;
}

/** A peer that must be told about `absentId`, whose process was killed at `since`. */
interface Owed {
  peer: ChaosUser;
  absentId: string;
  roomId: string;
  since: number;
  /** The absent user's signal count at the kill: a higher one is a signal sent after it resumed. */
  sentAtKill: number;
  /** Not told within grace + 5 s. */
  late?: boolean;
}

type Phase = 'idle' | 'joining' | 'room' | 'leaving' | 'away' | 'greeted';

class ChaosUser {
  ws: WebSocket | undefined;
  node = 0;
  phase: Phase = 'idle';
  room: UserRoom | undefined;
  /** Rooms that ended for this user (left, peer_left, or gone while it was away). */
  readonly ended = new Set<string>();
  /**
   * Rooms that ended while the user was away, whose held frames and end may still come on its
   * returning socket (protocol, order rule 5): one it never saw (its `matched` died with its
   * process), or its own that the `welcome` alone said was over (the ender, on a loaded process,
   * tells it a moment later).
   */
  readonly heldRooms = new Set<string>();
  /** Signals of rooms the user had no `matched` for, by room: see `matchedNeverCame`. */
  readonly signalsWithoutMatched = new Map<string, number>();
  /** Set while its process is dead and the user stays away past the grace. */
  goneUntil = 0;
  killedAt = 0;
  relay: NodeJS.Timeout | undefined;
  timer: NodeJS.Timeout | undefined;
  greetTimer: NodeJS.Timeout | undefined;
  /** When it leaves its current room. */
  leaveAt = 0;
  /** Its last events, for the report of an invariant it broke. */
  readonly trail: string[] = [];

  constructor(
    readonly id: string,
    readonly token: string,
  ) {}

  send(frame: { type: string; roomId?: string; [field: string]: unknown }): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    if (frame.type !== 'signal') this.note(`sent ${frame.type}${frame.roomId ? ` ${frame.roomId.slice(0, 8)}` : ''}`);
    this.ws.send(JSON.stringify(frame));
  }

  note(event: string): void {
    this.trail.push(`${new Date().toISOString().slice(14, 23)} ${event}`);
    if (this.trail.length > 24) this.trail.shift();
  }

  clearTimers(): void {
    clearInterval(this.relay);
    clearTimeout(this.timer);
    clearTimeout(this.greetTimer);
    this.relay = this.timer = this.greetTimer = undefined;
  }
}

/** Runs `options.durationMs` of chaos on its own Redis, PostgreSQL and processes, which it stops afterwards. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const began = Date.now();
  const say = options.say;
  // Each line says when, from the start: how long set-up and restarts take tells how loaded the machine is.
  if (say) options = { ...options, say: (line) => say(`${((Date.now() - began) / 1000).toFixed(1)} s ${line}`) };
  const services = await startServices();
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster(services, options.processes, {
      RESUME_GRACE_MS: String(options.graceMs),
      // Kept to read after a failure: every room's making and ending, not only warnings.
      ...(options.logDir ? { LOG_LEVEL: 'info' } : {}),
    });
    return await new Chaos(options, services, cluster).run();
  } finally {
    await cluster?.close();
    await services.close();
  }
}

class Chaos {
  private readonly say: (line: string) => void;
  private readonly users: ChaosUser[] = [];
  private readonly byId = new Map<string, ChaosUser>();
  private readonly rooms = new Map<string, RoomRecord>();
  private readonly owed: Owed[] = [];
  private readonly up: boolean[];
  /** Processes we killed: any other exit is a survivor's crash. */
  private readonly killedByUs = new Set<ClusterNode>();
  /** Every process that ran, the killed ones included: their logs are read at the end. */
  private readonly allNodes: ClusterNode[];
  private stopping = false;
  /** The restarts under way: the end checks wait for them (a while), so every process is up again. */
  private readonly restarting: Promise<void>[] = [];
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly r: ChaosReport;

  constructor(
    private readonly o: ChaosOptions,
    services: Services,
    private readonly cluster: Cluster,
  ) {
    this.say = o.say ?? (() => {});
    this.up = cluster.nodes.map(() => true);
    this.allNodes = [...cluster.nodes];
    this.redis = new Redis(services.redis.url, { maxRetriesPerRequest: 1 });
    this.prefix = cluster.env.REDIS_PREFIX!;
    this.r = {
      durationS: o.durationMs / 1000,
      users: o.users,
      kills: 0,
      restarts: 0,
      reclaims: 0,
      roomsFormed: 0,
      roomsEnded: 0,
      cleanRooms: 0,
      disturbedRooms: 0,
      signalsSent: 0,
      signalsReceived: 0,
      resumes: 0,
      goneForGood: 0,
      toldByPeerLeft: 0,
      toldByResume: 0,
      toldByWelcome: 0,
      toldMaxMs: 0,
      toldLimitMs: o.graceMs + 5000,
      errors: {},
      disturbedLost: 0,
      toldLate: 0,
      twoRooms: 0,
      framesAfterEnd: 0,
      framesBeforeMatched: 0,
      matchedNeverCame: 0,
      serverTwoRooms: 0,
      untold: 0,
      cleanLost: 0,
      cleanReordered: 0,
      resumedAfterPeerLeft: 0,
      waitingAfter: 0,
      roomsAfter: 0,
      deadQueueEntries: 0,
      survivorsCrashed: 0,
      unhealthyAtEnd: 0,
      errorLines: 0,
      falseDeaths: 0,
      duplicateMatched: 0,
      restartsPending: 0,
      details: [],
    };
    for (const node of cluster.nodes) this.watch(node);
  }

  private readonly brokenKinds = new Map<string, number>();
  private broke(kind: string, detail: string, user?: ChaosUser): void {
    const seen = this.brokenKinds.get(kind) ?? 0;
    this.brokenKinds.set(kind, seen + 1);
    if (seen >= 3) return;
    this.r.details.push(`${kind}: ${detail}${user ? `\n      ${user.trail.join('\n      ')}` : ''}`);
  }

  /** A process that exits when we did not kill it is a crash of a survivor. */
  private watch(node: ClusterNode): void {
    void node.exited.then(({ code, signal }) => {
      if (this.killedByUs.has(node) || this.stopping) return;
      this.r.survivorsCrashed++;
      this.broke('crash', `node ${node.index} exited (code ${code}, signal ${signal}): ${node.output().slice(-2000)}`);
    });
  }

  async run(): Promise<ChaosReport> {
    try {
      await this.signUp();
      this.say(`chaos: ${this.o.users} users connected to ${this.o.processes} processes`);
      const started = Date.now();
      for (const user of this.users) this.rest(user, Math.random() * 1000);
      const audit = setInterval(() => void this.auditRooms(), 5000);
      try {
        // The first kill once rooms are going, then one every killEveryMs.
        for (let at = this.o.killEveryMs - 5000; at < this.o.durationMs; at += this.o.killEveryMs) {
          await sleep(started + at - Date.now());
          await this.kill(this.r.kills % this.o.processes);
        }
        await sleep(started + this.o.durationMs - Date.now());
        // Everyone owed news gets the time the invariant gives, then nobody starts anything new.
        const deadline = Date.now() + this.r.toldLimitMs + 1000;
        while (this.owed.length > 0 && Date.now() < deadline) await sleep(100);
      } finally {
        clearInterval(audit);
      }
      await this.auditRooms();
      this.stopping = true;
      this.expireOwed(Number.POSITIVE_INFINITY);
      await this.leaveAll();
      await Promise.race([Promise.all(this.restarting), sleep(30_000)]);
      this.r.restartsPending = this.r.kills - this.r.restarts;
      await this.checkReclaimed();
      await this.checkSurvivors();
      return this.r;
    } finally {
      this.stopping = true;
      for (const user of this.users) {
        user.clearTimers();
        user.ws?.terminate();
      }
      this.redis.disconnect();
    }
  }

  /** Guests with the rules accepted, a socket each, spread over the processes. */
  private async signUp(): Promise<void> {
    const nodes = this.cluster.nodes;
    let next = 0;
    const worker = async () => {
      while (next < this.o.users) {
        const index = next++;
        const node = nodes[index % nodes.length]!;
        const auth = await guest(node.url, `Chaos ${index}`);
        const user = new ChaosUser(auth.user.id, auth.token);
        this.users[index] = user;
        this.byId.set(user.id, user);
        if (!(await this.connect(user, index % nodes.length))) throw new Error(`user ${index} could not connect`);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
  }

  /** Opens the user's socket on process `index`; resolves once `welcome` came (false when the process refused). */
  private connect(user: ChaosUser, index: number): Promise<boolean> {
    const node = this.cluster.nodes[index]!;
    return new Promise((resolve) => {
      user.note(`connect to ${index}`);
      const ws = new WebSocket(node.wsUrl, { headers: { authorization: `Bearer ${user.token}` } });
      user.ws = ws;
      user.node = index;
      let welcomed = false;
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as Frame;
        if (frame.type === 'welcome') {
          welcomed = true;
          resolve(true);
        }
        this.onFrame(user, frame);
      });
      ws.on('error', () => {});
      ws.on('close', () => {
        // A socket that never opened is the caller's to retry; one that did is a user to bring back.
        if (!welcomed) resolve(false);
        else if (user.ws === ws) this.onClose(user);
      });
    });
  }

  // ---- a user's loop ----------------------------------------------------------------------

  /** Idle for `ms`, then joins a category. */
  private rest(user: ChaosUser, ms: number): void {
    user.phase = 'idle';
    clearTimeout(user.timer);
    user.timer = setTimeout(() => {
      if (this.stopping || user.phase !== 'idle') return;
      user.phase = 'joining';
      // The ref tells the join's own refusal from a refused signal that raced the peer's leave.
      user.send({ type: 'join', categories: [CATEGORIES[Math.floor(Math.random() * CATEGORIES.length)]], ref: 'join' });
    }, ms);
  }

  private startRelay(user: ChaosUser): void {
    clearInterval(user.relay);
    user.relay = setInterval(() => this.signal(user), this.o.signalEveryMs);
  }

  private signal(user: ChaosUser): void {
    const room = user.room;
    if (!room || user.phase !== 'room' || user.ws?.readyState !== WebSocket.OPEN) return;
    if (Date.now() >= user.leaveAt && !this.stopping && !this.owed.some((o) => o.peer === user)) {
      // A user whose peer is away keeps the call open, as a person would: its telling is measured.
      clearInterval(user.relay);
      user.phase = 'leaving';
      user.send({ type: 'leave', roomId: room.record.id });
      return;
    }
    room.sent++;
    room.record.sent.set(user.id, room.sent);
    this.r.signalsSent++;
    user.send({ type: 'signal', roomId: room.record.id, data: { n: room.sent } });
  }

  private onFrame(user: ChaosUser, frame: Frame): void {
    if (frame.type !== 'signal') {
      const extra = 'roomId' in frame ? ` ${frame.roomId.slice(0, 8)}` : frame.type === 'error' ? ` ${frame.code}` : '';
      user.note(`got ${frame.type}${extra}${frame.type === 'matched' && frame.resumed ? ' resumed' : ''}`);
    }
    if (user.phase === 'greeted' && frame.type !== 'welcome') this.afterGreeting(user, frame);
    switch (frame.type) {
      case 'welcome':
        this.onWelcome(user);
        return;
      case 'queued':
      case 'cancelled':
        return;
      case 'matched':
        this.onMatched(user, frame);
        return;
      case 'signal':
        this.onSignal(user, frame);
        return;
      case 'left':
      case 'peer_left':
        this.onEnd(user, frame);
        return;
      case 'error':
        this.r.errors[frame.code] = (this.r.errors[frame.code] ?? 0) + 1;
        // The join refused (busy would be a bug, counted above): try again later.
        if (frame.ref === 'join' && user.phase === 'joining') this.rest(user, 500);
        return;
      default:
        return;
    }
  }

  private onMatched(user: ChaosUser, frame: Extract<Frame, { type: 'matched' }>): void {
    const current = user.room;
    if (current && !frame.resumed && current.record.id === frame.roomId) {
      // The same room again: it ends for the user once, so this is noted and otherwise ignored.
      this.r.duplicateMatched++;
      this.broke('duplicate matched', `user ${user.id} got matched for ${frame.roomId}, its room already`, user);
      return;
    }
    if (current && !(frame.resumed && current.record.id === frame.roomId)) {
      this.r.twoRooms++;
      this.broke('two rooms', `user ${user.id} matched into ${frame.roomId} while still in ${current.record.id}`, user);
    }
    if (frame.resumed && current?.record.id === frame.roomId) {
      this.r.resumes++;
      if (current.record.ended) {
        this.r.resumedAfterPeerLeft++;
        this.broke(
          'resumed after peer_left',
          `user ${user.id} got room ${frame.roomId} back after its peer was told it ended`,
          user,
        );
      }
    } else {
      let record = this.rooms.get(frame.roomId);
      if (!record) {
        record = { id: frame.roomId, members: new Set(), sent: new Map(), disturbed: false, ended: false };
        this.rooms.set(frame.roomId, record);
        this.r.roomsFormed++;
      }
      record.members.add(user.id);
      // Matched with a user whose process is dead and not yet taken for dead: a kill touches the room.
      // A room made while the user's socket was gone comes as resumed: a kill touched it too.
      const peer = this.byId.get(frame.peer.id);
      if (frame.resumed || (peer && (peer.phase === 'away' || peer.phase === 'greeted' || !this.up[peer.node])))
        record.disturbed = true;
      user.room = { record, peerId: frame.peer.id, sent: 0, received: 0 };
    }
    user.phase = 'room';
    if (this.stopping) {
      // Matched as everyone was leaving: leaves too, or the room would wait out a grace at the end.
      user.phase = 'leaving';
      user.send({ type: 'leave', roomId: frame.roomId });
      return;
    }
    const [min, max] = this.o.roomMs;
    if (!frame.resumed) user.leaveAt = Date.now() + min + Math.random() * (max - min);
    // Says "I am back" to the peer at once, as the SDK's reset does.
    if (frame.resumed) this.signal(user);
    this.startRelay(user);
  }

  private onSignal(user: ChaosUser, frame: Extract<Frame, { type: 'signal' }>): void {
    const room = user.room;
    if (user.heldRooms.has(frame.roomId)) return;
    if (!room || room.record.id !== frame.roomId) {
      const ended = user.ended.has(frame.roomId);
      if (ended) this.r.framesAfterEnd++;
      else {
        this.r.framesBeforeMatched++;
        user.signalsWithoutMatched.set(frame.roomId, (user.signalsWithoutMatched.get(frame.roomId) ?? 0) + 1);
      }
      this.broke(
        'outside its room',
        `user ${user.id} got a signal of ${frame.roomId} ${ended ? 'after it ended' : 'before its matched'} (in ${room?.record.id ?? 'no room'})`,
        user,
      );
      return;
    }
    this.r.signalsReceived++;
    const n = (frame.data as { n: number }).n;
    const expected = room.received + 1;
    if (n !== expected) {
      if (room.record.disturbed) this.r.disturbedLost += Math.abs(n - expected);
      else if (n > expected) {
        this.r.cleanLost += n - expected;
        this.broke('clean room', `room ${room.record.id}: ${user.id} got signal ${n} after ${room.received}`, user);
      } else {
        this.r.cleanReordered++;
        this.broke('clean room', `room ${room.record.id}: ${user.id} got signal ${n} after ${room.received}`, user);
      }
    }
    room.received = Math.max(room.received, n);
    for (let i = this.owed.length - 1; i >= 0; i--) {
      const owed = this.owed[i]!;
      if (owed.peer === user && owed.roomId === frame.roomId && n > owed.sentAtKill) this.paid(i, 'resume');
    }
  }

  private onEnd(user: ChaosUser, frame: Extract<Frame, { type: 'left' | 'peer_left' }>): void {
    const room = user.room;
    if (user.heldRooms.delete(frame.roomId)) {
      user.ended.add(frame.roomId);
      return;
    }
    if (!room || room.record.id !== frame.roomId) {
      const ended = user.ended.has(frame.roomId);
      if (ended) this.r.framesAfterEnd++;
      else {
        // Its signals came before its end (held for a matched that never came): the same bug.
        this.r.matchedNeverCame++;
        this.r.framesBeforeMatched -= user.signalsWithoutMatched.get(frame.roomId) ?? 0;
        user.signalsWithoutMatched.delete(frame.roomId);
        // Its other member, if it heard of the room: what its process did says why this one did not.
        const other = [...(this.rooms.get(frame.roomId)?.members ?? [])].find((id) => id !== user.id);
        const peer = other === undefined ? undefined : this.byId.get(other);
        if (peer) user.note(`(the room's other member, ${peer.id}:\n        ${peer.trail.join('\n        ')})`);
      }
      this.broke(
        ended ? 'outside its room' : 'matched never came',
        `user ${user.id} got ${frame.type} of ${frame.roomId} ${ended ? 'after it ended' : 'without its matched'} (in ${room?.record.id ?? 'no room'})`,
        user,
      );
      return;
    }
    if (frame.type === 'peer_left' && frame.reason === 'left' && !room.record.disturbed) {
      // The peer stopped sending before its leave: every one of its signals is here by now.
      const sent = room.record.sent.get(room.peerId) ?? 0;
      if (sent > room.received) {
        this.r.cleanLost += sent - room.received;
        this.broke('clean room', `room ${room.record.id}: peer_left after ${room.received} of ${sent} signals`, user);
      }
    }
    for (let i = this.owed.length - 1; i >= 0; i--) {
      const owed = this.owed[i]!;
      if (owed.peer === user && owed.roomId === frame.roomId) this.paid(i, 'peer_left');
    }
    this.endRoom(user);
    this.rest(user, Math.random() * 500);
  }

  private endRoom(user: ChaosUser): void {
    const room = user.room;
    if (!room) return;
    clearInterval(user.relay);
    user.ended.add(room.record.id);
    user.room = undefined;
    if (!room.record.ended) {
      room.record.ended = true;
      this.r.roomsEnded++;
      if (room.record.disturbed) this.r.disturbedRooms++;
      else this.r.cleanRooms++;
    }
  }

  private paid(index: number, how: 'resume' | 'peer_left' | 'welcome'): void {
    const [owed] = this.owed.splice(index, 1);
    const ms = Date.now() - owed!.since;
    if (how === 'resume') this.r.toldByResume++;
    else if (how === 'welcome') this.r.toldByWelcome++;
    else this.r.toldByPeerLeft++;
    this.r.toldMaxMs = Math.max(this.r.toldMaxMs, ms);
  }

  /** What is still owed after the limit is a peer never told. */
  private expireOwed(now: number): void {
    for (let i = this.owed.length - 1; i >= 0; i--) {
      const owed = this.owed[i]!;
      if (now === Number.POSITIVE_INFINITY) {
        // Still owed when everyone leaves: never told.
        this.owed.splice(i, 1);
        this.r.untold++;
        continue;
      }
      if (owed.late || now - owed.since <= this.r.toldLimitMs) continue;
      // Late, but still watched: paid() keeps the longest time, so a late telling is measured too.
      owed.late = true;
      this.r.toldLate++;
      const absent = this.byId.get(owed.absentId);
      this.broke(
        'told late',
        `peer ${owed.peer.id} of ${owed.absentId} (room ${owed.roomId}) not told within ${this.r.toldLimitMs} ms; the absent one's events:\n      ${absent?.trail.join('\n      ')}\n    the peer's:`,
        owed.peer,
      );
    }
  }

  // ---- kills and comebacks ------------------------------------------------------------------

  private async kill(index: number): Promise<void> {
    const node = this.cluster.nodes[index]!;
    if (!node.alive()) return; // still starting from its last kill: the round goes on
    const now = Date.now();
    const victims = this.users.filter((u) => u.ws && u.node === index && u.phase !== 'away');
    for (const user of victims) {
      user.killedAt = now;
      user.note(`process ${index} killed`);
      if (!user.room) continue;
      user.room.record.disturbed = true;
      // Back after the grace, the lease and its detection have all run: its room must be over by then.
      if (Math.random() < this.o.goneShare) {
        user.goneUntil = now + this.o.graceMs + LEASE_MS + 5000;
        user.note('stays away');
      }
    }
    for (const user of victims) {
      const room = user.room;
      const peer = room && this.byId.get(room.peerId);
      // A peer gone for good itself is owed nothing: nobody is there to tell. Nor is one no longer
      // in the room: it left it itself (its `left` came just before the kill) and knows.
      if (!room || !peer || peer.goneUntil > now || peer.room?.record.id !== room.record.id) continue;
      this.owed.push({ peer, absentId: user.id, roomId: room.record.id, since: now, sentAtKill: room.sent });
    }
    this.killedByUs.add(node);
    this.up[index] = false;
    node.child.kill('SIGKILL');
    this.r.kills++;
    this.say(`chaos: killed process ${index} (${victims.length} users on it)`);
    await node.exited;
    const restarted = this.cluster.restart(node).then(
      (again) => {
        this.allNodes.push(again);
        this.r.restarts++;
        this.up[index] = true;
        this.watch(again);
        this.say(`chaos: process ${index} back on port ${again.port} after ${Date.now() - now} ms`);
      },
      (error: unknown) => {
        this.r.survivorsCrashed++;
        this.broke('crash', `process ${index} did not start again: ${String(error)}`);
      },
    );
    this.restarting.push(restarted);
    setTimeout(() => this.expireOwed(Date.now()), this.r.toldLimitMs + 200);
  }

  private onClose(user: ChaosUser): void {
    user.note('closed');
    user.ws = undefined;
    user.clearTimers();
    // Whatever closed it, signals in flight to or from it may be gone.
    if (user.room) user.room.record.disturbed = true;
    if (this.stopping) return;
    user.phase = 'away';
    // Queued on a dead process: the entry is gone with the socket; it joins again once back.
    const wait = user.goneUntil > Date.now() ? user.goneUntil - Date.now() : 0;
    user.timer = setTimeout(() => void this.comeBack(user), wait);
  }

  /** Reconnects to a live process (any, the restarted one included), retrying as the SDK's backoff would. */
  private async comeBack(user: ChaosUser): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      const live = this.up.flatMap((up, i) => (up ? [i] : []));
      const index = live[Math.floor(Math.random() * live.length)];
      if (index !== undefined && (await this.connect(user, index))) return;
      await sleep(Math.min(2000, 100 * 2 ** attempt));
    }
  }

  private onWelcome(user: ChaosUser): void {
    if (this.stopping) {
      user.ws?.close(1000); // back as everyone was leaving: goes again
      return;
    }
    if (!user.room && user.killedAt === 0) return; // the first socket
    const wasGone = user.goneUntil > 0;
    user.goneUntil = 0;
    if (wasGone) this.r.goneForGood++;
    // `matched` (resumed) comes right after `welcome` or not at all (protocol, order rule 2).
    user.phase = 'greeted';
    user.greetTimer = setTimeout(() => {
      if (user.phase === 'greeted') this.afterGreeting(user, undefined);
    }, 1500);
  }

  /** The first frame after a returning user's `welcome`, or none: is its room back? */
  private afterGreeting(user: ChaosUser, frame: Frame | undefined): void {
    clearTimeout(user.greetTimer);
    user.phase = user.room ? 'room' : 'idle';
    if (frame?.type === 'matched') return; // onMatched decides
    if (frame && 'roomId' in frame && frame.roomId !== user.room?.record.id && !user.ended.has(frame.roomId))
      user.heldRooms.add(frame.roomId);
    if (user.room && frame && 'roomId' in frame && frame.roomId === user.room.record.id) {
      // The room ended while it was away (the peer left): its held frames, then peer_left.
      return;
    }
    // No room back: it ended while the user was away (its grace ran out).
    user.note(`greeting without its room${frame ? ` (${frame.type} came)` : ''}`);
    if (user.room) {
      user.room.record.disturbed = true;
      // Told too: `welcome` alone says its room is over (its peer left, or its own grace ran out).
      for (let i = this.owed.length - 1; i >= 0; i--) {
        const owed = this.owed[i]!;
        if (owed.peer === user && owed.roomId === user.room.record.id) this.paid(i, 'welcome');
      }
      user.heldRooms.add(user.room.record.id);
      this.endRoom(user);
    }
    this.rest(user, 0);
  }

  // ---- server-side checks -----------------------------------------------------------------

  /** In Redis: no user a member of two live rooms. One script, so no room ends while we look. */
  private async auditRooms(): Promise<void> {
    const twice = (await this.redis
      .eval(
        `local P = ARGV[1]
         local seen, twice = {}, {}
         for _, id in ipairs(redis.call('SMEMBERS', P .. 'rooms')) do
           local room = redis.call('GET', P .. 'room:' .. id)
           if room then
             for _, m in ipairs(cjson.decode(room).members) do
               if seen[m.id] then twice[#twice + 1] = m.id .. ' in ' .. seen[m.id] .. ' and ' .. id end
               seen[m.id] = id
             end
           end
         end
         return twice`,
        0,
        this.prefix,
      )
      .catch(() => [])) as string[];
    this.r.serverTwoRooms += twice.length;
    for (const line of twice) this.broke('two rooms in Redis', `user ${line}`);
  }

  /** Everyone leaves its room and closes its socket, as the app does when closed. */
  private async leaveAll(): Promise<void> {
    for (const user of this.users) {
      user.clearTimers();
      if (user.room) user.send({ type: 'leave', roomId: user.room.record.id });
      else user.send({ type: 'cancel' });
    }
    await sleep(1000);
    await Promise.all(
      this.users.map(async (user) => {
        const ws = user.ws;
        if (!ws || ws.readyState === WebSocket.CLOSED) return;
        ws.close(1000);
        await Promise.race([new Promise((resolve) => ws.once('close', resolve)), sleep(5000)]);
      }),
    );
  }

  /** After the grace and the lease: nobody waiting, no room, no queue entry of a dead process. */
  private async checkReclaimed(): Promise<void> {
    const deadline = Date.now() + this.o.graceMs + LEASE_MS + 3000;
    for (;;) {
      const waiting = await Promise.all(
        this.cluster.nodes
          .filter((_node, index) => this.up[index])
          .map(async (node) =>
            Object.values(await waitingCounts(node).catch(() => ({ x: -1 }))).reduce((a, b) => a + b, 0),
          ),
      );
      const stats = await api(this.cluster.nodes[this.up.indexOf(true)]!.url, 'GET', '/api/stats').catch(
        () => undefined,
      );
      const P = this.prefix;
      const [rooms, queued, procs, queues] = await Promise.all([
        this.redis.scard(`${P}rooms`),
        this.redis.scard(`${P}waiting`),
        this.redis.zrange(`${P}procs`, '0', '-1'),
        this.redis.keys(`${P}qp:*`),
      ]);
      const dead = queues.filter((key) => !procs.includes(key.slice(`${P}qp:`.length)));
      const deadEntries =
        dead.length === 0 ? 0 : (await Promise.all(dead.map((k) => this.redis.scard(k)))).reduce((a, b) => a + b, 0);
      this.r.waitingAfter = waiting.reduce((a, b) => a + Math.abs(b), 0) + queued + Number(stats?.body?.waiting ?? 1);
      this.r.roomsAfter = rooms;
      this.r.deadQueueEntries = deadEntries;
      if ((this.r.waitingAfter === 0 && rooms === 0 && deadEntries === 0) || Date.now() > deadline) break;
      await sleep(250);
    }
    if (this.r.waitingAfter > 0) this.broke('reclaimed', `${this.r.waitingAfter} still waiting after the run`);
    if (this.r.roomsAfter > 0) this.broke('reclaimed', `${this.r.roomsAfter} rooms left in Redis after the run`);
    if (this.r.deadQueueEntries > 0)
      this.broke('reclaimed', `${this.r.deadQueueEntries} queue entries of dead processes in Redis`);
  }

  private async checkSurvivors(): Promise<void> {
    for (const [index, node] of this.cluster.nodes.entries()) {
      if (!this.up[index]) continue; // still starting: counted in restartsPending
      const status = node.alive()
        ? await api(node.url, 'GET', '/healthz').then(
            (r) => r.status,
            () => 0,
          )
        : 0;
      if (status !== 200) {
        this.r.unhealthyAtEnd++;
        this.broke('unhealthy', `node ${node.index} answers /healthz ${status} at the end`);
      }
    }
    if (this.o.logDir) fs.mkdirSync(this.o.logDir, { recursive: true });
    for (const [i, node] of this.allNodes.entries()) {
      if (this.o.logDir) fs.writeFileSync(path.join(this.o.logDir, `node-${node.index}-${i}.log`), node.output());
      const lines = node.output().split('\n');
      this.r.reclaims += lines.filter((l) => l.includes('process lost: reclaiming')).length;
      this.r.falseDeaths += lines.filter((l) => l.includes('this process was taken for dead')).length;
      const errors = lines.filter((l) => /"level":(50|60)/.test(l));
      this.r.errorLines += errors.length;
      for (const line of errors) this.broke('logged', `node ${node.index}: ${line.slice(0, 600)}`);
    }
  }
}
