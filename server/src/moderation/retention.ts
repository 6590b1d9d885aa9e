import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';
import { takeLease } from '../storage/sweep.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes the evidence of reports decided at least `retentionDays` ago: kept long enough for an
 * appeal to look at it again, and no longer (these are pictures of people). Evidence of an open
 * report stays however old it is, since nobody has looked at it yet. Returns the images deleted.
 */
export async function sweepEvidence(db: Kysely<Database>, retentionDays: number, now: Date): Promise<number> {
  const decidedBefore = new Date(now.getTime() - retentionDays * DAY_MS).toISOString();
  const result = await db
    .deleteFrom('report_evidence')
    .where('report_id', 'in', (eb) =>
      eb.selectFrom('reports').select('id').where('status', '<>', 'open').where('decided_at', '<=', decidedBefore),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Every `checkMs` each process asks for the `evidence` lease, which one process of the cluster
 * gets per `checkMs`; that one sweeps. A first check at start, so a deployment that restarts more
 * often than `checkMs` still sweeps. The timer is unref'd: it never keeps a process alive.
 */
export function startEvidenceSweeper(
  db: Kysely<Database>,
  options: { retentionDays: number; checkMs: number },
  /** `leaseAt`: the time the lease was taken for (the next one is at least `checkMs` later, cluster-wide). */
  report: { swept(deleted: number, leaseAt: Date): void; failed(error: unknown): void },
): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    // One check at a time: a slow sweep is not raced by the next tick of this same process.
    running = running.then(async () => {
      try {
        const now = new Date();
        if (stopped || !(await takeLease(db, 'evidence', options.checkMs, now))) return;
        report.swept(await sweepEvidence(db, options.retentionDays, now), now);
      } catch (error) {
        report.failed(error);
      }
    });
  };
  tick();
  const timer = setInterval(tick, options.checkMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      // Let a sweep under way finish before the database closes under it.
      await running;
    },
  };
}
