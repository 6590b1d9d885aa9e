/**
 * The soak (issue 18, "Faults over time"): users churning for minutes through real server
 * processes, while the driver samples what a slow leak shows first: each process's resident
 * memory, its event-loop delay, its database connections or file handles, and, once the last user
 * has left, whether Redis holds exactly the keys it held before the first one came.
 *
 * Shared by server/test/cluster-soak.test.ts (2 minutes) and server/bench/soak.ts (20 by default).
 * Each user is a loop of what people do: sign in as a guest, join, get matched, relay signals and
 * chat with the peer, then leave and join again (next), or drop the socket and come back within the
 * grace (on the other process: a resume that moves the user), or come back too late, or log out
 * and start again as a new guest.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';
import type { ServerMessage } from '@small-talk/protocol';
import { api, consent, sample, user, type Endpoint } from './harness.js';
import { median, slope } from './stats.js';

/** A server process under soak: where it answers, and its pid for /proc. */
export interface SoakNode extends Endpoint {
  pid: number;
  /**
   * Its V8 inspector (ws://127.0.0.1:PORT/UUID, from a process started with --inspect), when its
   * live heap is to be read: the heap left after a forced full collection, every `heapSampleMs`.
   */
  inspector?: string;
}

export interface SoakOptions {
  /** Users alternate between these processes, so most rooms span two of them. */
  nodes: SoakNode[];
  users: number;
  /** How long users churn. */
  churnMs: number;
  /** Samples before this (from the start of churn) are left out of the fits (see WARM_UP in the callers). */
  warmUpMs: number;
  /** How often RSS, event-loop delay and connections are read. */
  sampleMs: number;
  /** Event-loop delay p99 is compared between windows of this length after the warm-up. */
  windowMs: number;
  /** How often the live heap is read from the warm-up on, for the nodes with an inspector (10 s by default). */
  heapSampleMs?: number;
  /** RESUME_GRACE_MS of the processes: a drop comes back within half of it, or after it. */
  graceMs: number;
  /** How long after the last user left Redis may take to be back where it started: grace + lease. */
  settleMs: number;
  categories: readonly string[];
  /** The shared state, when the processes are a cluster: its keys are compared before and after. */
  redis?: { url: string; prefix: string };
  /** The database, when it is PostgreSQL: its connections (pg_stat_activity) are counted. */
  postgres?: { adminUrl: string; database: string };
  /** The database files, when it is SQLite: each process's open handles on them (/proc/<pid>/fd). */
  sqliteFiles?: string[];
  log?: (line: string) => void;
}

/** One reading of one process. */
export interface ProcessSample {
  /** Since the start of churn. */
  atMs: number;
  rssMb: number;
  /** The event loop's delay p99 since the previous scrape (prom-client resets its histogram on each). */
  loopP99Ms: number;
  /** When the /metrics request went and its answer came, since the start of churn. */
  scrapeSentMs: number;
  scrapeAnsweredMs: number;
  /** Open handles on the SQLite files. */
  sqliteFds?: number;
}

export interface ProcessFigures {
  pid: number;
  samples: ProcessSample[];
  /** Least-squares slope of RSS over the samples after the warm-up. */
  rssSlopeMbPerMin: number;
  /**
   * The same over the lowest RSS of each 10 s after the warm-up: what survived the collections
   * so far. Without --expose-gc (the server runs as deployed) a sample may sit anywhere on V8's
   * sawtooth; the floor of each stretch is the nearest reading to "after a full collection", and a
   * leak, which survives collections, raises the floor.
   */
  rssFloorSlopeMbPerMin: number;
  /** The median of the per-scrape p99s in each window after the warm-up, leaving out those over a forced collection. */
  loopP99ByWindowMs: number[];
  /**
   * The live heap (Runtime.getHeapUsage's usedSize, MB) right after two forced full collections,
   * read through the inspector from the warm-up to the end of the churn: what a leak keeps, and
   * nothing of V8's sawtooth or of how much memory the heap holds unused. Only with an inspector.
   */
  liveHeap?: Array<{ atMs: number; mb: number; rssMb: number }>;
  /** Least-squares slope of the live heap. */
  liveHeapSlopeMbPerMin?: number;
  /**
   * Least-squares slope of RSS read right after each live-heap reading: every reading at the same
   * point of V8's sawtooth (just collected), so the slope is growth. Samples taken anywhere on it
   * (rssSlopeMbPerMin) swing with how full the heap happened to be: two processes under the same
   * churn in one 20-minute bench run read -1.49 and +2.19 MB/min.
   */
  rssAfterGcSlopeMbPerMin?: number;
  sqliteFdsBefore?: number;
  sqliteFdsAfter?: number;
  sqliteFdsMax?: number;
}

/** What the users did, and what they saw that they should not have. */
export interface SoakCounts {
  guests: number;
  logouts: number;
  matches: number;
  framesSent: number;
  framesReceived: number;
  leaves: number;
  /** A drop and a new socket within the grace that got `matched` with `resumed:true` (or its peer had left meanwhile). */
  resumes: number;
  /** A drop and a new socket within the grace that got the room back. */
  resumedRoom: number;
  /** A drop and a new socket within the grace that got neither its room nor its peer's `peer_left`. */
  resumedToNothing: number;
  /** A drop and a new socket after the grace: `welcome` only, the room gone. */
  lateReturns: number;
  /** Late returns that got their old room back: the grace did not end it. Must be 0. */
  lateButResumed: number;
  /** Peers told `peer_left`, by reason. */
  peerLeft: Record<string, number>;
  /** `error` frames, by code. */
  errors: Record<string, number>;
  /** Steps that did not get their answer in time (a match, a `left`, a resume), by step. */
  stalls: Record<string, number>;
  /** Sockets the server closed, by close code. */
  serverCloses: Record<string, number>;
  /** HTTP answers other than the expected one, by route and status. */
  httpFailures: Record<string, number>;
}

export interface RedisKeys {
  count: number;
  /** Key names (prefix cut off) with every id replaced by `<id>`, and how many keys each pattern has. */
  patterns: Record<string, number>;
  /** Size of each key (members, fields, entries, length), by full name without the prefix. */
  sizes: Record<string, number>;
}

export interface SoakResult {
  counts: SoakCounts;
  processes: ProcessFigures[];
  redis?: {
    before: RedisKeys;
    after: RedisKeys;
    /** From the last socket closed to the first reading equal to `before` (null: never within settleMs). */
    settledMs: number | null;
    /** Keys in `after` that were not in `before`, or larger than then: name, type, size, TTL. */
    leaked: string[];
  };
  postgres?: {
    before: number;
    max: number;
    after: number;
    /** Connections of our database idle inside a transaction at the end: a client never released. */
    idleInTransactionAfter: number;
  };
  /** Wall time of the churn itself. */
  churnMs: number;
}

const ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const bump = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1);
const between = (min: number, max: number) => min + Math.random() * (max - min);

/** A signal's data: an ICE candidate's size, so the relay carries what a call's negotiation does. */
const CANDIDATE = {
  candidate: `candidate:842163049 1 udp 1677729535 203.0.113.7 ${'5'.repeat(5)} typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag sOak network-cost 999`,
  sdpMid: '0',
  sdpMLineIndex: 0,
};

/** Resident set of a process in MB, as the kernel counts it. */
export function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) / 1024;
}

/** How many of a process's open files are one of `files` (SQLite's database, -wal and -shm). */
export function openHandlesOn(pid: number, files: string[]): number {
  const wanted = new Set(files.flatMap((file) => [file, `${file}-wal`, `${file}-shm`]));
  let count = 0;
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return NaN; // the process is gone
  }
  for (const fd of fds) {
    try {
      if (wanted.has(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))) count += 1;
    } catch {
      // closed between the listing and the read
    }
  }
  return count;
}

/** A Chrome DevTools Protocol session on a process's inspector: one call at a time is all it needs. */
export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
      const call = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!call) return; // an event: no domain is enabled, so none is expected
      this.pending.delete(message.id!);
      if (message.error) call.reject(new Error(message.error.message));
      else call.resolve(message.result);
    });
    ws.on('close', () => {
      for (const call of this.pending.values()) call.reject(new Error('the inspector closed'));
      this.pending.clear();
    });
  }

  static async open(url: string): Promise<Inspector> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => {});
    return new Inspector(ws);
  }

  call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * What a soaked process adds to its environment: the inspector on loopback, on a port of the
 * kernel's choosing, for the live heap. The server runs otherwise as deployed (no --expose-gc, no
 * change to its code).
 */
export const INSPECTOR_ENV = {
  NODE_OPTIONS: [process.env.NODE_OPTIONS, '--inspect=127.0.0.1:0'].filter(Boolean).join(' '),
};

/** A process started with INSPECTOR_ENV, as the soak drives it: its inspector's address is in what it printed. */
export function soakNodeOf(node: {
  index: number;
  url: string;
  wsUrl: string;
  child: { pid?: number };
  output(): string;
}): SoakNode {
  const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(node.output())?.[1];
  if (!inspector) throw new Error(`process ${node.index} printed no inspector address:\n${node.output()}`);
  return { url: node.url, wsUrl: node.wsUrl, pid: node.child.pid!, inspector };
}

/**
 * The live heap in MB: two full collections (the second takes what the first's finalizers and
 * weak callbacks let go), then what the heap still uses.
 */
export async function liveHeapMb(inspector: Inspector): Promise<number> {
  await inspector.call('HeapProfiler.collectGarbage');
  await inspector.call('HeapProfiler.collectGarbage');
  const usage = await inspector.call<{ usedSize: number }>('Runtime.getHeapUsage');
  return usage.usedSize / 2 ** 20;
}

/** RSS in MB; a process that died reads NaN, which fails every fit (its own error is in its output). */
function rssOf(pid: number): number {
  try {
    return rssMb(pid);
  } catch {
    return NaN; // gone
  }
}

/** Every key under the prefix, by pattern and by size. */
export async function readKeys(redis: Redis, prefix: string): Promise<RedisKeys> {
  const names: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    names.push(...batch);
  } while (cursor !== '0');
  const patterns: Record<string, number> = {};
  const sizes: Record<string, number> = {};
  for (const full of names) {
    const name = full.slice(prefix.length);
    bump(patterns, name.replace(ID, '<id>'));
    sizes[name] = await sizeOf(redis, full);
  }
  return { count: names.length, patterns, sizes };
}

async function sizeOf(redis: Redis, key: string): Promise<number> {
  switch (await redis.type(key)) {
    case 'set':
      return redis.scard(key);
    case 'zset':
      return redis.zcard(key);
    case 'hash':
      return redis.hlen(key);
    case 'list':
      return redis.llen(key);
    case 'stream':
      return redis.xlen(key);
    default:
      return 1;
  }
}

/** Keys now that were not there before, or hold more than they did: each with its type, size and TTL. */
async function leakedKeys(redis: Redis, prefix: string, before: RedisKeys, after: RedisKeys): Promise<string[]> {
  const leaked: string[] = [];
  for (const [name, size] of Object.entries(after.sizes)) {
    const was = before.sizes[name];
    if (was !== undefined && size <= was) continue;
    const full = prefix + name;
    const [type, ttl] = await Promise.all([redis.type(full), redis.pttl(full)]);
    leaked.push(
      `${name} (${type}, ${size}${was === undefined ? '' : ` was ${was}`}, ${ttl < 0 ? 'no expiry' : `expires in ${ttl} ms`})`,
    );
  }
  return leaked;
}

/** Nothing new and nothing larger than at the start (a key gone since, e.g. a first user's expiring one, is fine). */
const backToStart = (now: RedisKeys, start: RedisKeys) =>
  Object.entries(now.sizes).every(([name, size]) => size <= (start.sizes[name] ?? -1));

async function pgConnections(client: pg.Client, database: string): Promise<{ total: number; idleInTx: number }> {
  const { rows } = await client.query<{ state: string | null; n: string }>(
    'select state, count(*) as n from pg_stat_activity where datname = $1 group by state',
    [database],
  );
  let total = 0;
  let idleInTx = 0;
  for (const row of rows) {
    total += Number(row.n);
    if (row.state?.startsWith('idle in transaction')) idleInTx += Number(row.n);
  }
  return { total, idleInTx };
}

async function scrapeLoopP99Ms(node: SoakNode): Promise<number> {
  const response = await fetch(`${node.url}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return sample(await response.text(), 'smalltalk_nodejs_eventloop_lag_p99_seconds') * 1000;
}

type Frame = ServerMessage;

/** One simulated person: its own session, socket and room, and the loop of what it does. */
class SoakUser {
  private token = '';
  private socket: WebSocket | null = null;
  /** The node its current socket is on: a resume goes to the other one. */
  private nodeIndex: number;
  roomId: string | null = null;
  private queued = false;
  private readonly waiters = new Set<(frame: Frame | null) => void>();
  /** The waits the end of the soak cuts short: for a match, and the talk in a room. */
  private readonly interruptible = new Set<() => void>();
  private relayTimer: NodeJS.Timeout | null = null;
  /** What the user is doing, for the stalls' names. */
  private step: 'arriving' | 'resuming' | 'returning late' | 'signing in again' = 'arriving';
  /** Its room came back on the other process: stalls say so, to tell a hand-off's trouble from load. */
  private movedInRoom = false;
  /** When its socket last closed: the driver waits for the last one. */
  closedAt = 0;

  constructor(
    private readonly index: number,
    private readonly options: SoakOptions,
    private readonly counts: SoakCounts,
    private readonly stopping: () => boolean,
  ) {
    this.nodeIndex = index % options.nodes.length;
  }

  private get node(): SoakNode {
    return this.options.nodes[this.nodeIndex]!;
  }

  private get category(): string {
    const { categories } = this.options;
    return categories[Math.floor(this.index / this.options.nodes.length) % categories.length]!;
  }

  private async signIn(): Promise<void> {
    const response = await api(this.node.url, 'POST', '/api/auth/guest', {
      body: { displayName: `Soak ${this.index}` },
    });
    if (response.status !== 201) {
      bump(this.counts.httpFailures, `guest ${response.status}`);
      throw new Error(`guest answered ${response.status}`);
    }
    this.token = response.body.token;
    await consent(this.node.url, this.token);
    this.counts.guests += 1;
  }

  private async logOut(): Promise<void> {
    const response = await api(this.node.url, 'POST', '/api/auth/logout', { token: this.token });
    if (response.status !== 204) bump(this.counts.httpFailures, `logout ${response.status}`);
    else this.counts.logouts += 1;
  }

  /** Opens a socket and waits for `welcome`; resolves with the `matched` a resume brings, if one follows at once. */
  private async open(): Promise<void> {
    const ws = new WebSocket(this.node.wsUrl, { headers: { authorization: `Bearer ${this.token}` } });
    this.socket = ws;
    ws.on('message', (data) => this.onFrame(JSON.parse(data.toString()) as Frame));
    ws.on('error', () => {});
    ws.on('close', (code) => {
      if (this.socket === ws) {
        this.socket = null;
        this.closedAt = performance.now();
        this.stopRelay();
        // 1000 is ours; 1006 a drop of ours (terminate): anything else the server chose.
        if (code !== 1000 && code !== 1005 && code !== 1006) bump(this.counts.serverCloses, String(code));
        this.wake(null);
      }
    });
    const welcome = this.waitFor((f) => f.type === 'welcome', 20_000);
    let closeCode: number | undefined;
    ws.once('close', (code) => (closeCode = code));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
    });
    if (!(await welcome)) {
      ws.terminate();
      throw new Error(
        `${closeCode === undefined ? 'no welcome within 20 s' : `closed ${closeCode} before welcome`} (${this.step})`,
      );
    }
  }

  /** A step failed (counted as a stall): the socket goes, so that nothing of it stays on the server. */
  abandon(): void {
    this.stopRelay();
    this.socket?.terminate();
  }

  private send(frame: unknown): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  private onFrame(frame: Frame): void {
    switch (frame.type) {
      case 'matched':
        if (!frame.resumed) this.movedInRoom = false;
        this.roomId = frame.roomId;
        this.queued = false;
        if (!frame.resumed) this.counts.matches += 1;
        break;
      case 'queued':
        this.queued = true;
        break;
      case 'signal':
      case 'chat':
      case 'typing':
        this.counts.framesReceived += 1;
        break;
      case 'left':
        if (frame.roomId === this.roomId) this.roomId = null;
        break;
      case 'peer_left':
        bump(this.counts.peerLeft, frame.reason);
        if (frame.roomId === this.roomId) this.roomId = null;
        break;
      case 'error':
        bump(this.counts.errors, frame.code === 'busy' && this.movedInRoom ? 'busy (after a resume)' : frame.code);
        break;
      default:
        break;
    }
    this.wake(frame);
  }

  private wake(frame: Frame | null): void {
    for (const waiter of [...this.waiters]) waiter(frame);
  }

  /** Resolves with the first frame that passes `check`, or null on timeout, a closed socket, or the end of the soak. */
  private waitFor(check: (frame: Frame) => boolean, timeoutMs: number, interruptible = false): Promise<Frame | null> {
    return new Promise((resolve) => {
      const done = (frame: Frame | null) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        this.interruptible.delete(cut);
        resolve(frame);
      };
      const cut = () => done(null);
      if (interruptible) this.interruptible.add(cut);
      const waiter = (frame: Frame | null) => {
        if (frame === null || check(frame)) done(frame);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Signals (an ICE candidate's size) every half second, and a chat line or typing now and then, while in a room. */
  /** The soak is over: stop waiting for a match or for the talk to end. */
  stop(): void {
    for (const cut of [...this.interruptible]) cut();
  }

  private startRelay(): void {
    this.stopRelay();
    let tick = 0;
    this.relayTimer = setInterval(() => {
      if (!this.roomId) return;
      tick += 1;
      const roomId = this.roomId;
      if (tick % 4 === 0) this.send({ type: 'chat', roomId, text: `hello ${tick}` });
      else if (tick % 7 === 0) this.send({ type: 'typing', roomId });
      else this.send({ type: 'signal', roomId, data: CANDIDATE });
      this.counts.framesSent += 1;
    }, 500);
  }

  private stopRelay(): void {
    if (this.relayTimer) clearInterval(this.relayTimer);
    this.relayTimer = null;
  }

  /** Until the soak ends: join, talk, then one of the ways people go. */
  async live(): Promise<void> {
    // Spread the arrivals over the first 10 s, as people come, not all in one instant.
    await sleep(between(0, 10_000));
    await this.signIn();
    await this.open();
    while (!this.stopping()) {
      if (!this.roomId) {
        this.send({ type: 'join', categories: [this.category] });
        const matched = await this.waitFor((f) => f.type === 'matched', 15_000, true);
        if (!matched) {
          if (this.stopping()) break;
          bump(this.counts.stalls, 'match');
          if (!this.socket) await this.open();
          continue;
        }
      }
      this.startRelay();
      // Talk until the dwell is over or the peer goes.
      await this.waitFor((f) => f.type === 'peer_left', between(2000, 5000), true);
      if (this.stopping()) break;
      if (!this.roomId) {
        this.stopRelay();
        // The peer went (or did not come back in time): next.
        if (!this.socket) await this.open();
        continue;
      }
      await this.goSomehow();
    }
    await this.finish();
  }

  private async goSomehow(): Promise<void> {
    const roll = Math.random();
    if (roll < 0.6) {
      await this.leave();
    } else if (roll < 0.78) {
      await this.dropAndResume();
    } else if (roll < 0.88) {
      await this.dropTooLong();
    } else {
      await this.leave();
      // Closed before the logout, or the logout's 4001 may close it first.
      const ws = this.socket;
      if (ws) {
        const closed = new Promise((resolve) => ws.once('close', resolve));
        ws.close(1000);
        await closed;
      }
      await this.logOut();
      this.step = 'signing in again';
      await this.signIn();
      await this.open();
    }
  }

  private async leave(): Promise<void> {
    const roomId = this.roomId;
    if (!roomId) return;
    this.stopRelay();
    this.send({ type: 'leave', roomId });
    // The peer may leave at the same moment: then its peer_left answers instead of our left.
    const answer = await this.waitFor(
      (f) => (f.type === 'left' || f.type === 'peer_left') && f.roomId === roomId,
      10_000,
    );
    if (answer) this.counts.leaves += 1;
    else bump(this.counts.stalls, this.movedInRoom ? 'leave (after a resume on the other process)' : 'leave');
    this.roomId = null;
  }

  /** A phone losing its network for a moment: back within half the grace, on the other process. */
  private async dropAndResume(): Promise<void> {
    const roomId = this.roomId;
    this.socket?.terminate();
    await sleep(between(200, this.options.graceMs / 2));
    this.nodeIndex = (this.nodeIndex + 1) % this.options.nodes.length;
    this.roomId = null;
    this.step = 'resuming';
    // The room back, or, when the peer left meanwhile, the held frames ending with its peer_left.
    const back = this.waitFor((f) => (f.type === 'matched' || f.type === 'peer_left') && f.roomId === roomId, 10_000);
    await this.open();
    const answer = await back;
    this.counts.resumes += 1;
    if (answer?.type === 'matched') {
      this.counts.resumedRoom += 1;
      this.movedInRoom = true;
    }
    // Neither: the room ended as the socket dropped (a peer_left sent to the old socket is lost
    // with it). The user is free then: a room the server kept would make the next join `busy`.
    else if (!answer) this.counts.resumedToNothing += 1;
  }

  /** Gone for longer than the grace: the room is over when it comes back. */
  private async dropTooLong(): Promise<void> {
    const roomId = this.roomId;
    this.socket?.terminate();
    this.roomId = null;
    // Past the grace and the sweep that ends it (the bus checks every 500 ms, with 1 s of slack).
    await sleep(this.options.graceMs + between(2500, 3500));
    if (this.stopping()) return;
    const back = this.waitFor((f) => f.type === 'matched' && f.roomId === roomId, 1000);
    this.step = 'returning late';
    await this.open();
    this.counts.lateReturns += 1;
    if (await back) this.counts.lateButResumed += 1;
    this.roomId = null;
  }

  /** The soak is over: leave the room or the queue, and close. A user away stays away: its grace ends it. */
  private async finish(): Promise<void> {
    this.stopRelay();
    if (!this.socket) return;
    if (this.roomId) await this.leave();
    else if (this.queued) {
      this.send({ type: 'cancel' });
      await this.waitFor((f) => f.type === 'cancelled' || f.type === 'matched', 5000);
      if (this.roomId) await this.leave();
    }
    const ws = this.socket;
    if (ws) {
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.close(1000);
      await closed;
    }
  }
}

function emptyCounts(): SoakCounts {
  return {
    guests: 0,
    logouts: 0,
    matches: 0,
    framesSent: 0,
    framesReceived: 0,
    leaves: 0,
    resumes: 0,
    resumedRoom: 0,
    resumedToNothing: 0,
    lateReturns: 0,
    lateButResumed: 0,
    peerLeft: {},
    errors: {},
    stalls: {},
    serverCloses: {},
    httpFailures: {},
  };
}

/**
 * One match per category before the start is read: the two keys a cluster keeps once anyone has
 * queued (seq, the arrival counter, and cats, the categories ever queued in: bounded by the
 * catalogue) then exist at the start, so "back to the start" leaves no room for a key of a user,
 * a room or a process.
 */
async function prime(options: SoakOptions): Promise<void> {
  const { nodes } = options;
  for (const category of options.categories) {
    const a = await user(nodes[0]!, 'Prime');
    const b = await user(nodes[1 % nodes.length]!, 'Prime');
    a.socket.send({ type: 'join', categories: [category] });
    await a.socket.next('queued');
    b.socket.send({ type: 'join', categories: [category] });
    const { roomId } = await a.socket.next('matched');
    await b.socket.next('matched');
    a.socket.send({ type: 'leave', roomId });
    await a.socket.next('left');
    await b.socket.next('peer_left');
    await Promise.all([a.socket.close(1000), b.socket.close(1000)]);
  }
}

/** Runs the soak: baseline, churn with sampling, every user gone, then the wait for Redis and connections to settle. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const redis = options.redis ? new Redis(options.redis.url, { lazyConnect: false, maxRetriesPerRequest: 2 }) : null;
  const prefix = options.redis ? `${options.redis.prefix}:` : '';
  const pgClient = options.postgres ? new pg.Client({ connectionString: options.postgres.adminUrl }) : null;
  const inspectors: Array<Inspector | null> = [];
  try {
    await pgClient?.connect();
    for (const node of options.nodes) inspectors.push(node.inspector ? await Inspector.open(node.inspector) : null);
    const pgRead = () => pgConnections(pgClient!, options.postgres!.database);
    let before: RedisKeys | undefined;
    if (redis) {
      await prime(options);
      // The priming users' sockets are let go after they close: the start is what stays.
      before = await readKeys(redis, prefix);
      for (const until = performance.now() + options.settleMs; performance.now() < until;) {
        await sleep(500);
        const now = await readKeys(redis, prefix);
        if (JSON.stringify(now.sizes) === JSON.stringify(before.sizes) && !('on:<id>' in now.patterns)) break;
        before = now;
      }
    }
    const pgBefore = pgClient ? (await pgRead()).total : 0;
    let pgMax = pgBefore;
    const fds = (pid: number) => (options.sqliteFiles ? openHandlesOn(pid, options.sqliteFiles) : undefined);
    const processes: ProcessFigures[] = options.nodes.map((node) => ({
      pid: node.pid,
      samples: [],
      rssSlopeMbPerMin: 0,
      rssFloorSlopeMbPerMin: 0,
      loopP99ByWindowMs: [],
      ...(node.inspector ? { liveHeap: [] } : {}),
      ...(options.sqliteFiles ? { sqliteFdsBefore: fds(node.pid) } : {}),
    }));
    // A first scrape resets each histogram, so the first sample covers only the churn.
    await Promise.all(options.nodes.map(scrapeLoopP99Ms));
    log(
      `soak: ${options.users} users over ${options.nodes.length} processes for ${Math.round(options.churnMs / 1000)} s` +
        (before ? `, Redis holds ${before.count} keys` : '') +
        (pgClient ? `, PostgreSQL ${pgBefore} connections` : ''),
    );

    const counts = emptyCounts();
    const started = performance.now();
    let stopping = false;
    const users = Array.from({ length: options.users }, (_, i) => new SoakUser(i, options, counts, () => stopping));
    const lives = users.map((u) =>
      u.live().catch((error: unknown) => {
        bump(counts.stalls, `user: ${error instanceof Error ? error.message : String(error)}`);
        u.abandon();
      }),
    );

    // When each live-heap reading (forced collections on every process) started and ended.
    const heapReadings: Array<[number, number]> = [];
    let nextLog = started + 30_000;
    const sampler = (async () => {
      while (!stopping) {
        await sleep(options.sampleMs);
        const atMs = performance.now() - started;
        const loop = await Promise.all(
          options.nodes.map(async (node) => {
            const sentMs = performance.now() - started;
            const p99 = await scrapeLoopP99Ms(node).catch(() => NaN);
            return { p99, sentMs, answeredMs: performance.now() - started };
          }),
        );
        options.nodes.forEach((node, i) => {
          const { p99, sentMs, answeredMs } = loop[i]!;
          const s: ProcessSample = {
            atMs,
            rssMb: rssOf(node.pid),
            loopP99Ms: p99,
            scrapeSentMs: sentMs,
            scrapeAnsweredMs: answeredMs,
          };
          const open = fds(node.pid);
          if (open !== undefined) s.sqliteFds = open;
          processes[i]!.samples.push(s);
        });
        if (pgClient) {
          let total = (await pgRead()).total;
          // pg's pool forgets a connection it closes for idleness at once, and may open its
          // replacement before PostgreSQL's backend for the old one has gone: for a moment both
          // are listed (a peak of 21 for two pools of 10 in one 20-minute run). A new peak counts
          // only if it is still there a moment later; connections that leak stay.
          if (total > pgMax) {
            await sleep(200);
            total = Math.min(total, (await pgRead()).total);
          }
          pgMax = Math.max(pgMax, total);
        }
        if (performance.now() > nextLog) {
          nextLog += 30_000;
          log(
            `soak: ${Math.round(atMs / 1000)} s, ${counts.matches} matches, ${counts.framesReceived} frames relayed, RSS ` +
              processes.map((p) => `${p.samples.at(-1)!.rssMb.toFixed(1)} MB`).join(' / '),
          );
        }
      }
    })();

    // The live heap from the warm-up on, on schedule, until at most a second before the churn ends (the
    // users' goodbyes are not the churn). Each reading stops its process for two full collections,
    // so the scrapes over it are left out of the loop delay's windows (forcedGc below).
    const heapSampleMs = options.heapSampleMs ?? 10_000;
    const heapSampler = (async () => {
      if (!inspectors.some(Boolean)) return;
      for (let at = options.warmUpMs; at <= options.churnMs - 1000 && !stopping; at += heapSampleMs) {
        await sleep(started + at - performance.now());
        if (stopping) break;
        const atMs = performance.now() - started;
        const mbs = await Promise.all(
          inspectors.map((inspector) => (inspector ? liveHeapMb(inspector).catch(() => NaN) : Promise.resolve(NaN))),
        );
        heapReadings.push([atMs, performance.now() - started]);
        processes.forEach((p, i) => p.liveHeap?.push({ atMs, mb: mbs[i]!, rssMb: rssOf(options.nodes[i]!.pid) }));
      }
    })();

    await sleep(options.churnMs);
    stopping = true;
    for (const u of users) u.stop();
    await sampler;
    await heapSampler;
    await Promise.all(lives);
    const churnMs = performance.now() - started;
    const lastClose = Math.max(...users.map((u) => u.closedAt));

    // The fits: RSS slope and loop delay windows over the samples after the warm-up.
    for (const p of processes) {
      const warm = p.samples.filter((s) => s.atMs >= options.warmUpMs);
      p.rssSlopeMbPerMin = slope(warm.map((s) => [s.atMs / 60_000, s.rssMb]));
      const floors = new Map<number, number>();
      for (const s of warm) {
        const w = Math.floor((s.atMs - options.warmUpMs) / 10_000);
        floors.set(w, Math.min(floors.get(w) ?? Infinity, s.rssMb));
      }
      p.rssFloorSlopeMbPerMin = slope(
        [...floors.entries()].map(([w, mb]) => [(options.warmUpMs + (w + 0.5) * 10_000) / 60_000, mb]),
      );
      // The median of a window's scrapes: one scrape that caught a neighbour's burst on a shared
      // machine moves a window's maximum by hundreds of ms, and says nothing of this process.
      // A scrape's p99 covers from the previous scrape's reading (somewhere between its request and
      // its answer) to its own: one whose stretch overlaps a live-heap reading is left out, as two
      // full collections on a loaded machine hold the loop for tens to hundreds of ms.
      const forcedGc = (s: ProcessSample) => {
        const from = p.samples[p.samples.indexOf(s) - 1]?.scrapeSentMs ?? 0;
        return heapReadings.some(([start, end]) => start <= s.scrapeAnsweredMs && end >= from);
      };
      // Only whole windows inside the churn: the scrapes after it read the users' goodbyes (hundreds
      // of closes in one burst), which say nothing of whether the loop slowed over the churn.
      const whole = Math.floor((options.churnMs - options.warmUpMs) / options.windowMs);
      const windows = new Map<number, number[]>();
      for (const s of warm) {
        const w = Math.floor((s.atMs - options.warmUpMs) / options.windowMs);
        if (w >= whole || s.scrapeAnsweredMs > options.churnMs) continue;
        if (!Number.isNaN(s.loopP99Ms) && !forcedGc(s)) windows.set(w, [...(windows.get(w) ?? []), s.loopP99Ms]);
      }
      p.loopP99ByWindowMs = [...windows.entries()].sort(([a], [b]) => a - b).map(([, v]) => median(v));
      if (options.sqliteFiles) p.sqliteFdsMax = Math.max(...p.samples.map((s) => s.sqliteFds ?? 0));
      if (p.liveHeap) {
        p.liveHeapSlopeMbPerMin = slope(p.liveHeap.map((h) => [h.atMs / 60_000, h.mb]));
        p.rssAfterGcSlopeMbPerMin = slope(p.liveHeap.map((h) => [h.atMs / 60_000, h.rssMb]));
      }
    }

    const result: SoakResult = { counts, processes, churnMs };
    if (redis && before) {
      let after = await readKeys(redis, prefix);
      let settledMs: number | null = null;
      for (;;) {
        if (backToStart(after, before)) {
          settledMs = Math.max(0, performance.now() - lastClose);
          break;
        }
        if (performance.now() - lastClose > options.settleMs) break;
        await sleep(200);
        after = await readKeys(redis, prefix);
      }
      const leaked = await leakedKeys(redis, prefix, before, after);
      result.redis = { before, after, settledMs, leaked };
    }
    if (pgClient) {
      const end = await pgRead();
      result.postgres = { before: pgBefore, max: pgMax, after: end.total, idleInTransactionAfter: end.idleInTx };
    }
    for (const [i, p] of processes.entries()) if (options.sqliteFiles) p.sqliteFdsAfter = fds(options.nodes[i]!.pid);
    return result;
  } finally {
    for (const inspector of inspectors) inspector?.close();
    redis?.disconnect();
    await pgClient?.end();
  }
}

/** The result as lines for a log or a report. */
export function describeSoak(result: SoakResult): string[] {
  const c = result.counts;
  const lines = [
    `churn ${Math.round(result.churnMs / 1000)} s: ${c.guests} guests signed in, ${c.logouts} logged out, ${c.matches} matches, ` +
      `${c.framesSent} frames sent / ${c.framesReceived} relayed, ${c.leaves} leaves, ${c.resumes} drops back within the grace ` +
      `(${c.resumedRoom} got the room back, ${c.resumedToNothing} neither it nor peer_left), ${c.lateReturns} back too late (${c.lateButResumed} wrongly resumed)`,
    `peer_left ${JSON.stringify(c.peerLeft)}, errors ${JSON.stringify(c.errors)}, stalls ${JSON.stringify(c.stalls)}, ` +
      `server closes ${JSON.stringify(c.serverCloses)}, HTTP failures ${JSON.stringify(c.httpFailures)}`,
  ];
  for (const [i, p] of result.processes.entries()) {
    const first = p.samples[0];
    const last = p.samples.at(-1);
    lines.push(
      `process ${i} (pid ${p.pid}): RSS ${first?.rssMb.toFixed(1)} → ${last?.rssMb.toFixed(1)} MB, slope after warm-up ` +
        `${p.rssSlopeMbPerMin.toFixed(2)} MB/min (its 10 s floors ${p.rssFloorSlopeMbPerMin.toFixed(2)}); ` +
        (p.liveHeap
          ? `live heap after a full GC ${p.liveHeap.map((h) => h.mb.toFixed(2)).join(' / ')} MB, slope ` +
            `${p.liveHeapSlopeMbPerMin?.toFixed(2)} MB/min; RSS after it, slope ${p.rssAfterGcSlopeMbPerMin?.toFixed(2)} MB/min; `
          : '') +
        `loop delay p99 by window ${p.loopP99ByWindowMs.map((v) => v.toFixed(1)).join(' / ')} ms` +
        (p.sqliteFdsBefore === undefined
          ? ''
          : `; SQLite handles ${p.sqliteFdsBefore} before, ${p.sqliteFdsMax} at most, ${p.sqliteFdsAfter} after`),
    );
  }
  if (result.redis) {
    const r = result.redis;
    lines.push(
      `Redis: ${r.before.count} keys before, ${r.after.count} after; ` +
        (r.settledMs === null
          ? 'never back to the start'
          : `back to the start ${Math.round(r.settledMs)} ms after the last socket closed`) +
        (r.leaked.length > 0 ? `; left over: ${r.leaked.slice(0, 20).join(', ')}` : ''),
    );
  }
  if (result.postgres) {
    const p = result.postgres;
    lines.push(
      `PostgreSQL connections: ${p.before} before, ${p.max} at most, ${p.after} after (${p.idleInTransactionAfter} idle in a transaction)`,
    );
  }
  return lines;
}
