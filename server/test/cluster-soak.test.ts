/**
 * The soak in its short form (issue 18): 400 users churning for 100 s through two processes on
 * Redis and PostgreSQL, and beside them 100 through one process on SQLite (no Redis), which is
 * what `npm start` runs. What a slow leak shows first must stay flat: each process's memory after
 * the warm-up, its event-loop delay, its database connections or file handles; and once the last
 * user has left, Redis must hold what it held before the first came, within grace + lease.
 * The long form is `npm run bench -- --only soak` (server/bench/soak.ts, 20 minutes).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LEASE_MS } from '../src/storage/bus/lease.js';
import { startNode, useCluster, type ClusterNode } from './cluster.js';
import { connect, guest } from './harness.js';
import { describeSoak, INSPECTOR_ENV, runSoak, soakNodeOf, type SoakResult } from './soak.js';

const GRACE_MS = 5000;
const CHURN_MS = 100_000;
/**
 * Left out of the fits: the first 40 s. Until then RSS climbs for reasons that end (V8 compiles
 * the hot paths, the heap grows to the size the load needs, pools and caches fill); over a 2-minute
 * run, that ramp would pass for a leak. After it, the slope is what keeps going.
 */
const WARM_UP_MS = 40_000;
const WINDOW_MS = 20_000;
const CATEGORIES = ['music', 'movies', 'books', 'sports'];
/** kysely's pg.Pool per process (storage/db.ts). */
const POOL_MAX = 10;

/**
 * Steady RSS: the least-squares slope of the 10 s floors after the warm-up. Issue 18's bound, 1
 * MB/min per process, is the 20-minute bench's to judge (`npm run bench -- --only soak`): over the
 * single minute this form fits, V8 may or may not run a major collection, and the floors then
 * read anywhere from -45 to +35 MB/min with no leak at all (seen on a quiet machine). Here the
 * bound is a gross leak's: 60 MB/min is a megabyte a second, what 40 KB kept per room comes to at
 * this churn (about 26 rooms a second). Leaks of shared state are caught exactly instead: Redis's
 * keys, PostgreSQL's connections and SQLite's handles must come back to where they started.
 */
const RSS_SLOPE_LIMIT = 60;
/**
 * The precise measure: the live heap (what two forced full collections leave, read through the
 * V8 inspector every ~9 s from the warm-up to near the end of the churn), whose slope has none of
 * the sawtooth's swing. Seen on a quiet 2-core machine over 5 runs: -1.17 to -0.02 MB/min on the
 * cluster's processes, +0.20 to +0.62 on the SQLite one (its heap 34.2 → 34.8 MB), the readings
 * within ±0.3 MB of their line. Seven readings over 55 s give the slope a standard error near
 * 0.3 MB/min, so issue 18's 1 MB/min would fail now and then with no leak; 2 MB/min is 5 of
 * those errors above what the SQLite process reads, and 30 times finer than the RSS bound. The
 * 20-minute bench judges 1 MB/min.
 */
const LIVE_HEAP_SLOPE_LIMIT = 2;
/** 7 readings, from the end of the warm-up to 5 s before the end of the churn, clear of the goodbyes. */
const HEAP_SAMPLE_MS = (CHURN_MS - 5000 - WARM_UP_MS) / 6;
/**
 * Stable event-loop delay: the last window's p99 (the median of its scrapes) at most twice the
 * first's plus 10 ms (the histogram's resolution is 10 ms, so a quiet loop reads 10–12 ms and one
 * busy tick doubles it). A leak that slows the loop (a list scanned per frame that keeps growing)
 * keeps climbing; a neighbour's burst does not stay.
 */
const stableLoop = (windows: number[]) => windows.at(-1)! <= 2 * windows[0]! + 10;

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

const env = {
  RESUME_GRACE_MS: String(GRACE_MS),
  // Short, so the cooldown's keys (cd:<user>) are made and must be gone within grace + lease too.
  REMATCH_COOLDOWN_S: '3',
  ...INSPECTOR_ENV,
};
const two = useCluster(2, env);

describe('soak: 2 minutes of churn', { skip: two.skip }, () => {
  let single: ClusterNode | undefined;
  let singleDir = '';
  before(async () => {
    singleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-soak-'));
    single = await startNode(2, {
      DATA_DIR: singleDir,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      GUEST_RATE_LIMIT_PER_MIN: '100000',
      ...env,
    });
  });
  after(async () => {
    if (single?.alive()) single.child.kill('SIGKILL');
    await single?.exited;
    fs.rmSync(singleDir, { recursive: true, force: true });
  });

  test('400 users through two processes (Redis, PostgreSQL) and 100 through one (SQLite): nothing grows, nothing is left', async () => {
    const nodes = two.cluster.nodes;
    const database = new URL(two.cluster.env.DATABASE_URL!).pathname.slice(1);
    const common = {
      churnMs: CHURN_MS,
      warmUpMs: WARM_UP_MS,
      sampleMs: 2000,
      windowMs: WINDOW_MS,
      heapSampleMs: HEAP_SAMPLE_MS,
      graceMs: GRACE_MS,
      settleMs: GRACE_MS + LEASE_MS,
      categories: CATEGORIES,
      log: (line: string) => console.log(line),
    };
    const [clustered, alone] = await Promise.all([
      runSoak({
        ...common,
        nodes: nodes.map(soakNodeOf),
        users: 400,
        redis: { url: two.services.redis.url, prefix: two.cluster.env.REDIS_PREFIX! },
        postgres: { adminUrl: two.services.postgres.url, database },
      }),
      runSoak({
        ...common,
        nodes: [soakNodeOf(single!)],
        users: 100,
        sqliteFiles: [path.join(singleDir, 'smalltalk.db')],
      }),
    ]);
    for (const line of describeSoak(clustered)) console.log(`cluster: ${line}`);
    for (const line of describeSoak(alone)) console.log(`sqlite: ${line}`);

    for (const [name, result] of [
      ['cluster', clustered],
      ['sqlite', alone],
    ] as Array<[string, SoakResult]>) {
      const c = result.counts;
      // The churn happened: every way of going was taken, and each behaved as the protocol says.
      assert.ok(c.matches > 0 && c.framesReceived > 0, `${name}: users met and talked`);
      assert.ok(c.resumedRoom > 0, `${name}: some drops came back to their room`);
      assert.ok(c.lateReturns > 0, `${name}: some came back too late`);
      assert.equal(c.lateButResumed, 0, `${name}: a return after the grace got its room back`);
      assert.ok(c.logouts > 0, `${name}: some logged out and in again`);
      // One process answers every step. Across two, a few steps still go unanswered under heavy
      // load, most after a resume moved the user to the other process (a `leave` with no `left`,
      // then `busy`): issue 18's cross-process hand-off is being rewritten, so they are bounded here
      // (1 in 200 steps) and named in the output, not yet forbidden.
      const odd = sum(c.stalls) + (c.errors.busy ?? 0) + (c.errors['busy (after a resume)'] ?? 0);
      const steps = c.matches + c.leaves + c.resumes;
      if (name === 'sqlite') assert.equal(odd, 0, `${name}: unanswered steps ${JSON.stringify(c.stalls)}`);
      else assert.ok(odd <= steps / 200, `${name}: ${odd} of ${steps} steps unanswered or busy`);
      assert.deepEqual(c.serverCloses, {}, `${name}: the server closed sockets`);
      assert.deepEqual(c.httpFailures, {}, `${name}: HTTP calls failed`);
      // A frame sent as the peer leaves answers not_in_room; nothing else is expected (busy: above).
      for (const code of Object.keys(c.errors))
        assert.ok(code === 'not_in_room' || code.startsWith('busy'), `${name}: error frames ${code}`);
      for (const [i, p] of result.processes.entries()) {
        // The floors' slope (soak.ts says why): a minute of samples taken anywhere on V8's sawtooth
        // swings by tens of MB/min either way on a loaded machine; the floors are what a leak raises.
        assert.ok(
          p.rssFloorSlopeMbPerMin < RSS_SLOPE_LIMIT,
          `${name} process ${i}: RSS floor grows ${p.rssFloorSlopeMbPerMin.toFixed(2)} MB/min after the warm-up`,
        );
        // The live heap's slope: what survives full collections, so a leak and nothing else.
        assert.ok(p.liveHeap!.length >= 5, `${name} process ${i}: live heap read ${p.liveHeap!.length} times`);
        assert.ok(
          p.liveHeapSlopeMbPerMin! < LIVE_HEAP_SLOPE_LIMIT,
          `${name} process ${i}: live heap grows ${p.liveHeapSlopeMbPerMin!.toFixed(2)} MB/min after the warm-up ` +
            `(${p.liveHeap!.map((h) => h.mb.toFixed(2)).join(' / ')} MB)`,
        );
        assert.ok(p.loopP99ByWindowMs.length >= 2, `${name} process ${i}: loop delay sampled`);
        assert.ok(
          stableLoop(p.loopP99ByWindowMs),
          `${name} process ${i}: loop delay p99 grew: ${p.loopP99ByWindowMs.map((v) => v.toFixed(1)).join(' / ')} ms`,
        );
      }
    }
    // Redis: exactly the keys of the start, within grace + lease of the last socket closing.
    const redis = clustered.redis!;
    assert.deepEqual(redis.leaked, [], 'keys left in Redis');
    assert.notEqual(redis.settledMs, null, 'Redis back where it started within grace + lease');
    // PostgreSQL: never more than the two pools hold, none left inside a transaction.
    const pgFigures = clustered.postgres!;
    assert.ok(pgFigures.max <= 2 * POOL_MAX, `PostgreSQL connections peaked at ${pgFigures.max}`);
    assert.ok(pgFigures.after <= 2 * POOL_MAX, `PostgreSQL connections after: ${pgFigures.after}`);
    assert.equal(pgFigures.idleInTransactionAfter, 0, 'a connection left inside a transaction');
    // SQLite: the same handles on the database files as before the first user.
    const fds = alone.processes[0]!;
    assert.equal(fds.sqliteFdsAfter, fds.sqliteFdsBefore, 'handles on the SQLite files');
  });

  // Found by the soak: a socket closed while its join was still in Redis was let go first, then
  // the join queued the user, and the next user in that category was matched with nobody there.
  test('a socket that closes while its join is in flight leaves no one in the queue', async () => {
    const [a, b] = two.nodes;
    for (let i = 0; i < 10; i++) {
      const ghost = await guest(a!.url, `Ghost ${i}`);
      const socket = await connect(a!, ghost.token);
      await socket.next('welcome');
      socket.send({ type: 'join', categories: ['travel'] });
      await socket.drop();
    }
    const bo = await guest(b!.url, 'Bo');
    const socket = await connect(b!, bo.token);
    two.opened.push(socket);
    await socket.next('welcome');
    socket.send({ type: 'join', categories: ['travel'] });
    await socket.next('queued');
    await socket.nothingWithin(1500);
  });
});
