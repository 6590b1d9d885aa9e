/**
 * Issue 18's capacity phase (`--only capacity`): how many connected sockets one server process
 * holds, what each costs in RSS, whether /healthz still answers quickly while they are all
 * connected and pinged, and how fast 1,000 of them match; then 10,000 users matching at once
 * over 3 processes on Redis.
 *
 * The users live in worker processes (capacity-worker.ts), a few thousand each: every process,
 * the bench's included, may hold only as many fds as its limit. They bind to 127.0.0.1–127.0.0.40,
 * so no single source address runs out of ephemeral ports and none passes the server's default
 * MAX_SOCKETS_PER_ADDRESS (500 × 40 = 20,000).
 *
 * The server needs an fd per socket plus its own (listener, database, inspector, stdio), so on a
 * machine whose hard limit is 20,000 it cannot hold 20,000 sockets: the phase asks for as many as
 * the server's limit leaves room for, and says so.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config.js';
import type { MatchedUser, WorkerCommand, WorkerReply, WorkerStats } from './capacity-worker.js';
import { categoryOf, Latencies, targetCpu, type LatencySummary } from './load.js';
import { seconds } from './print.js';
import { startCluster, startServer, type Memory, type Target } from './proc.js';

/** Issue 18: sockets one process holds, and the users three processes match at once. */
export const CAPACITY_SOCKETS = 20_000;
export const CAPACITY_MATCH_USERS = 1_000;
export const CAPACITY_CLUSTER_USERS = 10_000;

export const CAPACITY_TARGETS = {
  rssPerSocketKb: 6,
  healthzP99Ms: 50,
  matchMs: 1000,
  clusterMatchMs: 3000,
};

/** 127.0.0.1 to 127.0.0.40, as the issue asks. */
export const CAPACITY_ADDRESSES = Array.from({ length: 40 }, (_, i) => `127.0.0.${i + 1}`);

/**
 * The phase's server settings: the default per-address socket cap (40 addresses × 500 is the
 * issue's 20,000), guests unlimited (startServer's own setting: 20,000 guests from 40 addresses
 * would pass the default 20 a minute); nothing else differs from a production server.
 */
export const CAPACITY_SERVER_ENV: Record<string, string> = {};

/** Users per worker process: far under any fd limit, and enough of them to share the clients' CPU. */
const USERS_PER_WORKER = 5000;
/** Upgrades (and guest creations) each worker has in flight: 4 workers keep the listen backlog (511) from overflowing. */
const WORKER_CONCURRENCY = 32;
/**
 * Fds the server needs besides its sockets and the ones it holds at start: the bench's /healthz
 * connection and inspector session, keep-alive connections of the guest creation still closing,
 * the database's journal. A socket refused with EMFILE would measure the kernel, not the server.
 */
const FD_HEADROOM = 32;
/** Pause between /healthz requests: a client polling, not a load test of /healthz itself. */
const HEALTHZ_GAP_MS = 10;
/** How long /healthz is polled before the sockets open. */
const HEALTHZ_IDLE_MS = 10_000;

export interface CapacityFigures {
  /** The server process's open-files limit (soft, hard), as /proc/<pid>/limits says. */
  fdLimit: { soft: number; hard: number };
  /** Fds the server held before any user came. */
  serverFds: number;
  /** What the issue asks, and what the fd limit leaves room for. */
  asked: number;
  tried: number;
  held: number;
  /** Opening the sockets, after the guests were created. */
  connectMs: number;
  /** Server pings the users saw while connected, per socket: the heartbeat ran over them all. */
  pingsPerSocket: number;
  before: Memory;
  after: Memory;
  rssPerSocketKb: number;
  heapPerSocketKb: number;
  healthz: LatencySummary & { count: number; failed: number; windowMs: number };
  /** The same before any socket opened. */
  healthzIdle: LatencySummary & { count: number; failed: number; windowMs: number };
  heartbeatMs: number;
  match: MatchFigures;
  cluster?: MatchFigures & { processes: number; connectMs: number };
  closes: Record<string, number>;
  errors: Record<string, number>;
  logLines: number;
  logTail: string[];
}

export interface MatchFigures {
  users: number;
  /** From the first join sent to the last worker reporting all its users matched. */
  ms: number;
  matched: number;
  unmatched: number;
  notMutual: number;
  /** CPU seconds the target's processes (Redis included) spent from the first join to the last reply: on a shared machine, the figure its neighbours move least. */
  targetCpuS: number;
}

type Say = (line: string) => void;

export async function benchCapacity(
  root: string,
  options: { sockets: number; clusterUsers: number; nodeFlags: string[]; say: Say; redis: boolean },
): Promise<CapacityFigures> {
  const { say } = options;
  const heartbeatMs = loadConfig({ ...process.env, ...CAPACITY_SERVER_ENV }).HEARTBEAT_MS;
  const target = await startServer(root, options.nodeFlags, CAPACITY_SERVER_ENV);
  let workers: Worker[] = [];
  let single: Omit<CapacityFigures, 'cluster'>;
  try {
    const fdLimit = openFilesLimit(target.pid);
    const serverFds = openFds(target.pid);
    const tried = Math.min(options.sockets, fdLimit.soft - serverFds - FD_HEADROOM);
    say(
      `capacity: the server may hold ${fdLimit.soft} fds (hard ${fdLimit.hard}) and holds ${serverFds} of its own: ` +
        `${tried.toLocaleString('en-US')} of the ${options.sockets.toLocaleString('en-US')} sockets asked fit, ${FD_HEADROOM} fds kept spare`,
    );
    workers = spawnWorkers(tried);
    const joiners = Array.from({ length: Math.min(CAPACITY_MATCH_USERS, tried) }, (_, i) => i);

    let t = performance.now();
    await Promise.all(workers.map((w) => w.signIn(target.ports, joiners)));
    say(`capacity: ${tried} guests created from ${CAPACITY_ADDRESSES.length} addresses in ${seconds(t)}`);
    const before = await target.memory();
    target.releaseInspector();
    // The same poll with no socket open: on a shared machine, the p99 that the sockets' is read against.
    const healthzIdle = await pollHealthz(target.port, HEALTHZ_IDLE_MS);

    t = performance.now();
    const opened = await Promise.all(workers.map((w) => w.open()));
    const connectMs = performance.now() - t;
    const failed = opened.flatMap((o) => o.failed);
    const held = opened.reduce((n, o) => n + o.opened, 0);
    say(
      `capacity: ${held}/${tried} sockets open in ${seconds(t)}, ${openFds(target.pid)} fds in the server` +
        (failed.length > 0 ? `; refused, e.g.: ${failed.slice(0, 3).join('; ')}` : ''),
    );

    // Over one heartbeat interval and then some, so every socket is pinged at least once while
    // /healthz is asked: a sweep over every socket is when an answer would wait longest.
    const pingsBefore = (await allStats(workers)).pings;
    const healthz = await pollHealthz(target.port, heartbeatMs + 5000);
    const stats = await allStats(workers);
    const pingsPerSocket = (stats.pings - pingsBefore) / Math.max(1, held);
    say(
      `capacity: /healthz p50 ${ms(healthz.p50)} p99 ${ms(healthz.p99)} max ${ms(healthz.max)} ms over ${healthz.count} requests ` +
        `(${healthz.failed} failed; with no socket open p99 ${ms(healthzIdle.p99)} ms) in ${(healthz.windowMs / 1000).toFixed(1)} s; ${pingsPerSocket.toFixed(2)} pings per socket meanwhile, ` +
        `${stats.open} still open`,
    );

    const after = await target.memory();
    target.releaseInspector();
    const rssPerSocketKb = (after.rssKb - before.rssKb) / Math.max(1, held);
    const heapPerSocketKb = (after.heapKb - before.heapKb) / Math.max(1, held);
    say(
      `capacity: RSS ${mb(before.rssKb)} → ${mb(after.rssKb)} MB (heap ${mb(before.heapKb)} → ${mb(after.heapKb)} MB): ` +
        `${rssPerSocketKb.toFixed(2)} KB RSS and ${heapPerSocketKb.toFixed(2)} KB heap per socket`,
    );

    const match = await matchAll(target, workers, Object.fromEntries(joiners.map((i) => [i, 'music'])));
    say(
      `capacity: ${match.matched}/${match.users} in one category matched in ${ms(match.ms)} ms (server CPU ${match.targetCpuS.toFixed(2)} s) beside ${held - match.users} idle sockets, ` +
        `${match.notMutual} not mutual` +
        problems(await allStats(workers)),
    );
    const last = await allStats(workers);
    single = {
      fdLimit,
      serverFds,
      asked: options.sockets,
      tried,
      held,
      connectMs,
      pingsPerSocket,
      before,
      after,
      rssPerSocketKb,
      heapPerSocketKb,
      healthz,
      healthzIdle,
      heartbeatMs,
      match,
      closes: last.closes,
      errors: last.errors,
      logLines: target.lineCount(),
      logTail: target.tail(),
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await target.stop();
  }
  if (!options.redis || options.clusterUsers <= 0) return single;
  return { ...single, cluster: await matchOverThree(root, options.clusterUsers, options.nodeFlags, say) };
}

/** `count` users (the issue: 10,000) over 3 processes on one Redis, every one joining its category at once. */
async function matchOverThree(
  root: string,
  count: number,
  nodeFlags: string[],
  say: Say,
): Promise<MatchFigures & { processes: number; connectMs: number }> {
  const target = await startCluster(root, 3, 'cluster3', (index) => index % 3, nodeFlags, CAPACITY_SERVER_ENV);
  const workers = spawnWorkers(count);
  try {
    const everyone = Array.from({ length: count }, (_, i) => i);
    let t = performance.now();
    await Promise.all(workers.map((w) => w.signIn(target.ports, everyone)));
    say(`capacity: ${count} guests created on 3 processes in ${seconds(t)}`);
    t = performance.now();
    const opened = await Promise.all(workers.map((w) => w.open()));
    const connectMs = performance.now() - t;
    say(`capacity: ${opened.reduce((n, o) => n + o.opened, 0)}/${count} sockets open on 3 processes in ${seconds(t)}`);
    const match = await matchAll(target, workers, Object.fromEntries(everyone.map((i) => [i, categoryOf(i, count)])));
    say(
      `capacity: ${match.matched}/${match.users} matched at once over 3 processes in ${ms(match.ms)} ms (CPU ${match.targetCpuS.toFixed(2)} s with Redis), ${match.notMutual} not mutual` +
        problems(await allStats(workers)),
    );
    return { ...match, processes: 3, connectMs };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await target.stop();
  }
}

/** Sends every worker its joins at once; the time runs until the last worker has all its users matched. */
async function matchAll(target: Target, workers: Worker[], categories: Record<number, string>): Promise<MatchFigures> {
  const users = Object.keys(categories).length;
  const cpuBefore = targetCpu(target);
  const start = performance.now();
  const replies = await Promise.all(workers.map((w) => w.join(categories)));
  const elapsed = performance.now() - start;
  const targetCpuS = targetCpu(target) - cpuBefore;
  const matched = replies.flatMap((r) => r.users);
  const unmatched = replies.reduce((n, r) => n + r.unmatched, 0);
  const byId = new Map(matched.map((u) => [u.id, u]));
  const notMutual = matched.filter((u) => {
    const peer = byId.get(u.peerId);
    return (
      !peer ||
      peer.peerId !== u.id ||
      peer.roomId !== u.roomId ||
      peer.initiator === u.initiator ||
      u.category !== categories[u.index] ||
      peer.category !== u.category
    );
  }).length;
  return { users, ms: unmatched === 0 ? elapsed : NaN, matched: matched.length, unmatched, notMutual, targetCpuS };
}

/** Sequential GETs of /healthz on one kept-alive connection for `windowMs`. */
async function pollHealthz(
  port: number,
  windowMs: number,
): Promise<LatencySummary & { count: number; failed: number; windowMs: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = new Latencies(windowMs / HEALTHZ_GAP_MS);
  let failed = 0;
  const start = performance.now();
  try {
    while (performance.now() - start < windowMs) {
      const t = performance.now();
      const ok = await new Promise<boolean>((resolve) => {
        const request = http.get({ host: '127.0.0.1', port, path: '/healthz', agent }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode === 200));
        });
        request.on('error', () => resolve(false));
      });
      if (ok) latencies.add(performance.now() - t);
      else failed += 1;
      await sleep(HEALTHZ_GAP_MS);
    }
  } finally {
    agent.destroy();
  }
  return { ...latencies.summary(), count: latencies.count, failed, windowMs: performance.now() - start };
}

interface Worker {
  signIn(ports: number[], joiners: number[]): Promise<void>;
  open(): Promise<{ opened: number; failed: string[] }>;
  join(categories: Record<number, string>): Promise<{ users: MatchedUser[]; unmatched: number }>;
  stats(): Promise<WorkerStats>;
  close(): Promise<void>;
}

/** Worker processes for users 0..count-1, user `i` in worker `i % workers`, so every worker has some of each address. */
function spawnWorkers(count: number): Worker[] {
  const n = Math.ceil(count / USERS_PER_WORKER);
  return Array.from({ length: n }, (_, w) => {
    const indexes = Array.from({ length: Math.ceil((count - w) / n) }, (_, k) => w + k * n);
    return spawnWorker(indexes);
  });
}

function spawnWorker(indexes: number[]): Worker {
  const child: ChildProcess = fork(path.join(import.meta.dirname, 'capacity-worker.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ask = <T extends WorkerReply['type']>(command: WorkerCommand, expect: T) =>
    new Promise<Extract<WorkerReply, { type: T }>>((resolve, reject) => {
      const onReply = (reply: WorkerReply) => {
        child.off('exit', onExit);
        if (reply.type === 'error') reject(new Error(`capacity worker: ${reply.message}`));
        else if (reply.type !== expect) reject(new Error(`capacity worker answered ${reply.type}, not ${expect}`));
        else resolve(reply as Extract<WorkerReply, { type: T }>);
      };
      const onExit = (code: number | null) => {
        child.off('message', onReply);
        reject(new Error(`capacity worker exited with ${code}`));
      };
      child.once('message', onReply);
      child.once('exit', onExit);
      child.send(command);
    });
  return {
    async signIn(ports, joiners) {
      await ask(
        { type: 'signIn', ports, indexes, addresses: CAPACITY_ADDRESSES, joiners, concurrency: WORKER_CONCURRENCY },
        'signedIn',
      );
    },
    async open() {
      const reply = await ask({ type: 'open' }, 'connected');
      return { opened: reply.opened, failed: reply.failed };
    },
    async join(categories) {
      const reply = await ask({ type: 'join', categories }, 'matched');
      return { users: reply.users, unmatched: reply.unmatched };
    },
    async stats() {
      const { type: _, ...stats } = await ask({ type: 'stats' }, 'stats');
      return stats;
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.send({ type: 'close' } satisfies WorkerCommand);
        await Promise.race([exited, sleep(3000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await exited;
    },
  };
}

async function allStats(workers: Worker[]): Promise<WorkerStats> {
  const each = await Promise.all(workers.map((w) => w.stats()));
  const sum: WorkerStats = { open: 0, pings: 0, closes: {}, errors: {} };
  for (const s of each) {
    sum.open += s.open;
    sum.pings += s.pings;
    for (const [k, v] of Object.entries(s.closes)) sum.closes[k] = (sum.closes[k] ?? 0) + v;
    for (const [k, v] of Object.entries(s.errors)) sum.errors[k] = (sum.errors[k] ?? 0) + v;
  }
  return sum;
}

/** The open-files limit of process `pid`, as the kernel enforces it on that process. */
export function openFilesLimit(pid: number | 'self'): { soft: number; hard: number } {
  const limits = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits);
  if (!match) throw new Error(`no open-files limit for ${pid}`);
  const read = (v: string) => (v === 'unlimited' ? Infinity : Number(v));
  return { soft: read(match[1]!), hard: read(match[2]!) };
}

function openFds(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** Rows for run.ts's table: each figure beside its target. */
export function capacityRows(f: CapacityFigures): Array<[string, string, string, string]> {
  const rows: Array<[string, string, string, string]> = [
    [
      'sockets one process holds (fd limit)',
      `${f.held.toLocaleString('en-US')} of ${f.tried.toLocaleString('en-US')} tried`,
      `${f.asked.toLocaleString('en-US')}`,
      `fd limit ${f.fdLimit.soft}, ${f.serverFds} the server's own`,
    ],
    [
      'RSS per socket (KB)',
      f.rssPerSocketKb.toFixed(2),
      `≤ ${CAPACITY_TARGETS.rssPerSocketKb}`,
      verdict(f.rssPerSocketKb <= CAPACITY_TARGETS.rssPerSocketKb),
    ],
    [
      '/healthz p99 while connected (ms)',
      `${ms(f.healthz.p99)} (${ms(f.healthzIdle.p99)} with none)`,
      `< ${CAPACITY_TARGETS.healthzP99Ms}`,
      verdict(f.healthz.p99 < CAPACITY_TARGETS.healthzP99Ms),
    ],
    [
      `match ${f.match.users.toLocaleString('en-US')} of them (ms)`,
      ms(f.match.ms),
      `< ${CAPACITY_TARGETS.matchMs}`,
      verdict(f.match.ms < CAPACITY_TARGETS.matchMs && f.match.notMutual === 0),
    ],
  ];
  if (f.cluster)
    rows.push([
      `${f.cluster.users.toLocaleString('en-US')} users over ${f.cluster.processes} processes matched at once (ms)`,
      ms(f.cluster.ms),
      `< ${CAPACITY_TARGETS.clusterMatchMs}`,
      verdict(f.cluster.ms < CAPACITY_TARGETS.clusterMatchMs && f.cluster.notMutual === 0),
    ]);
  return rows;
}

export function renderCapacity(f: CapacityFigures): string {
  const rows = [['figure', 'measured', 'target', ''] as const, ...capacityRows(f)];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Error frames and closes the users saw, when there were any. */
function problems(stats: WorkerStats): string {
  const seen = {
    ...stats.errors,
    ...Object.fromEntries(Object.entries(stats.closes).map(([c, n]) => [`close ${c}`, n])),
  };
  return Object.keys(seen).length > 0 ? `; seen: ${JSON.stringify(seen)}` : '';
}

function verdict(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}

function ms(value: number): string {
  return Number.isNaN(value) ? '—' : value.toFixed(value < 10 ? 1 : 0);
}

function mb(kb: number): string {
  return (kb / 1024).toFixed(1);
}
