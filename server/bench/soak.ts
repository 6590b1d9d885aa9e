/**
 * Issue 18's soak, long form: 400 users churning (join, relay, leave, drop and resume, come back
 * too late, log out and in) for `--soak-min` minutes (20 by default) through two processes on
 * Redis and PostgreSQL, and 100 beside them through one process on SQLite. The driver is the
 * test's (server/test/soak.ts; cluster-soak.test.ts runs it for 100 s); here the processes run
 * the same way (`tsx server/src/main.ts`), so the two forms differ only in length.
 *
 * Targets per process: RSS growth after the warm-up under 1 MB/min (least-squares slope), the
 * event-loop delay p99 of the last window at most twice the first's + 10 ms; after the last user
 * leaves, Redis back to the keys it had before within grace + lease; PostgreSQL connections never
 * above the two pools' ceiling and none inside a transaction at the end; the SQLite process's
 * handles on its database files the same before and after.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LEASE_MS } from '../src/storage/bus/lease.js';
import { startCluster, startNode, startServices } from '../test/cluster.js';
import { describeSoak, INSPECTOR_ENV, runSoak, soakNodeOf, type SoakResult } from '../test/soak.js';

export const SOAK_USERS = { cluster: 400, sqlite: 100 };
const GRACE_MS = 5000;
const POOL_MAX = 10;
export const SOAK_TARGETS = { rssSlopeMbPerMin: 1, loopP99Factor: 2, loopP99SlackMs: 10 };
/** How often each process's live heap and RSS are read after two forced full collections. */
const HEAP_SAMPLE_MS = 30_000;
const ENV = {
  RESUME_GRACE_MS: String(GRACE_MS),
  REMATCH_COOLDOWN_S: '3',
  // For the readings after a full collection.
  ...INSPECTOR_ENV,
};

export interface SoakFigures {
  minutes: number;
  warmUpMin: number;
  cluster: SoakResult;
  sqlite: SoakResult;
  /** Each target, and whether it held. */
  verdicts: Array<{ what: string; pass: boolean }>;
}

/**
 * The warm-up left out of the fits: a fifth of the run, at least 40 s. V8's heap grows to what the
 * load needs and the hot paths compile in the first tens of seconds; a longer run can afford to
 * wait for a few full collections before measuring, so the slope is what keeps going.
 */
export function warmUpMs(churnMs: number): number {
  return Math.max(40_000, churnMs / 5);
}

export async function benchSoak(options: { minutes: number; say: (line: string) => void }): Promise<SoakFigures> {
  const { say } = options;
  const churnMs = options.minutes * 60_000;
  const warm = warmUpMs(churnMs);
  const services = await startServices();
  const singleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-soak-'));
  const cluster = await startCluster(services, 2, ENV);
  const single = await startNode(2, {
    DATA_DIR: singleDir,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    GUEST_RATE_LIMIT_PER_MIN: '100000',
    ...ENV,
  });
  try {
    const common = {
      churnMs,
      warmUpMs: warm,
      sampleMs: 5000,
      // Ten windows after the warm-up, each at least 20 s.
      windowMs: Math.max(20_000, (churnMs - warm) / 10),
      graceMs: GRACE_MS,
      settleMs: GRACE_MS + LEASE_MS,
      categories: ['music', 'movies', 'books', 'sports'],
      heapSampleMs: HEAP_SAMPLE_MS,
      log: say,
    };
    const [clustered, sqlite] = await Promise.all([
      runSoak({
        ...common,
        nodes: cluster.nodes.map(soakNodeOf),
        users: SOAK_USERS.cluster,
        redis: { url: services.redis.url, prefix: cluster.env.REDIS_PREFIX! },
        postgres: {
          adminUrl: services.postgres.url,
          database: new URL(cluster.env.DATABASE_URL!).pathname.slice(1),
        },
      }),
      runSoak({
        ...common,
        nodes: [soakNodeOf(single)],
        users: SOAK_USERS.sqlite,
        sqliteFiles: [path.join(singleDir, 'smalltalk.db')],
      }),
    ]);
    const verdicts: SoakFigures['verdicts'] = [];
    for (const [name, result] of [
      ['2 procs', clustered],
      ['sqlite', sqlite],
    ] as const) {
      for (const [i, p] of result.processes.entries()) {
        // Growth is read at one point of V8's sawtooth, right after a full collection (soak.ts's
        // rssAfterGcSlopeMbPerMin says why).
        const growth = p.rssAfterGcSlopeMbPerMin ?? NaN;
        verdicts.push({
          what:
            `${name} process ${i}: RSS after a full collection, slope ${growth.toFixed(2)} MB/min < ${SOAK_TARGETS.rssSlopeMbPerMin} ` +
            `(every 5 s sample: ${p.rssSlopeMbPerMin.toFixed(2)}; live heap ${p.liveHeapSlopeMbPerMin?.toFixed(2)})`,
          pass: growth < SOAK_TARGETS.rssSlopeMbPerMin,
        });
        const first = p.loopP99ByWindowMs[0] ?? NaN;
        const last = p.loopP99ByWindowMs.at(-1) ?? NaN;
        verdicts.push({
          what: `${name} process ${i}: loop delay p99 ${first.toFixed(1)} → ${last.toFixed(1)} ms (≤ ${SOAK_TARGETS.loopP99Factor}× + ${SOAK_TARGETS.loopP99SlackMs})`,
          pass: last <= SOAK_TARGETS.loopP99Factor * first + SOAK_TARGETS.loopP99SlackMs,
        });
      }
      const c = result.counts;
      verdicts.push({
        what: `${name}: no stalls, server closes, HTTP failures, late resumes; errors only not_in_room`,
        pass:
          Object.keys(c.stalls).length === 0 &&
          Object.keys(c.serverCloses).length === 0 &&
          Object.keys(c.httpFailures).length === 0 &&
          c.lateButResumed === 0 &&
          Object.keys(c.errors).every((code) => code === 'not_in_room'),
      });
    }
    const r = clustered.redis!;
    verdicts.push({
      what: `Redis back to ${r.before.count} keys within grace + lease (${r.leaked.length} left over)`,
      pass: r.settledMs !== null && r.leaked.length === 0,
    });
    const p = clustered.postgres!;
    verdicts.push({
      what: `PostgreSQL connections ≤ ${2 * POOL_MAX} (peak ${p.max}), none in a transaction after`,
      pass: p.max <= 2 * POOL_MAX && p.idleInTransactionAfter === 0,
    });
    const f = sqlite.processes[0]!;
    verdicts.push({
      what: `SQLite handles ${f.sqliteFdsBefore} before, ${f.sqliteFdsAfter} after`,
      pass: f.sqliteFdsAfter === f.sqliteFdsBefore,
    });
    return { minutes: options.minutes, warmUpMin: warm / 60_000, cluster: clustered, sqlite, verdicts };
  } finally {
    await cluster.close();
    if (single.alive()) single.child.kill('SIGKILL');
    await single.exited;
    fs.rmSync(singleDir, { recursive: true, force: true });
    await services.close();
  }
}

/** The soak's section of the bench's output. */
export function renderSoak(f: SoakFigures): string {
  return [
    ...describeSoak(f.cluster).map((line) => `2 procs: ${line}`),
    ...describeSoak(f.sqlite).map((line) => `sqlite:  ${line}`),
    '',
    ...f.verdicts.map((v) => `${v.pass ? 'PASS' : 'MISS'}  ${v.what}`),
  ].join('\n');
}
