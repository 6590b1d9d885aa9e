import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Report, ReportRequest, User } from '@small-talk/protocol';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { toIso, type Database, type ReportsTable } from '../storage/schema.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface ReportsOptions {
  /** A connection older than this many days can no longer be reported (REPORT_WINDOW_DAYS). */
  windowDays: number;
  /** Reports one user may file in 24 hours (REPORTS_PER_DAY). */
  perDay: number;
}

/**
 * What a report does besides being stored, at once and on every process: the reporter blocks the
 * reported user (which ends a live room between them), and enough reports suspend the reported
 * user. Given from outside so that reports stay about reports.
 */
export interface ReportEffects {
  block(reporterId: string, reportedId: string): Promise<void>;
  reported(reportedId: string, now: Date): Promise<void>;
}

/** The reports table: a user reports the person it met in one connection of its history. */
export class Reports {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly effects: ReportEffects,
    private readonly metrics: Metrics,
    private readonly options: ReportsOptions,
    /** Settles once the rows of every room started so far are written (History.written). */
    private readonly historyWritten: () => Promise<void>,
  ) {}

  async file(reporter: User, request: ReportRequest, now = new Date()): Promise<Report> {
    if (request.userId === reporter.id) throw new AppError('bad_request', 'you cannot report yourself');
    // Before anything is looked up: a flood of reports is refused whatever it points at.
    const today = await this.db
      .selectFrom('reports')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('reporter_id', '=', reporter.id)
      .where('created_at', '>', new Date(now.getTime() - DAY_MS).toISOString())
      .executeTakeFirstOrThrow();
    if (Number(today.n) >= this.options.perDay) {
      throw new AppError(
        'rate_limited',
        `at most ${this.options.perDay} reports in 24 hours; our moderators read every one`,
      );
    }
    // The connection must be the reporter's own, with this user, and recent: nobody can report
    // people it never met, nor dig up a call from long ago.
    const since = new Date(now.getTime() - this.options.windowDays * DAY_MS).toISOString();
    // A call just begun may be reported: its row first.
    await this.historyWritten();
    const connection = await this.db
      .selectFrom('connections')
      .select('id')
      .where('id', '=', request.connectionId)
      .where('started_at', '>=', since)
      .where((eb) =>
        eb.or([
          eb.and([eb('user_a', '=', reporter.id), eb('user_b', '=', request.userId)]),
          eb.and([eb('user_a', '=', request.userId), eb('user_b', '=', reporter.id)]),
        ]),
      )
      .executeTakeFirst();
    if (!connection) {
      throw new AppError(
        'not_found',
        `no connection of yours with this user in the last ${this.options.windowDays} days`,
      );
    }
    const row: ReportsTable = {
      id: randomUUID(),
      reporter_id: reporter.id,
      reported_id: request.userId,
      connection_id: request.connectionId,
      reason: request.reason,
      note: request.note ?? '',
      status: 'open',
      created_at: now.toISOString(),
      decided_at: null,
      action_id: null,
    };
    if (!(await this.insert(row))) throw new AppError('already_reported', 'you reported this connection already');
    this.metrics.reports.inc({ reason: row.reason });
    await this.effects.block(reporter.id, request.userId);
    await this.effects.reported(request.userId, now);
    return toReport(row);
  }

  /** The reporter's own reports, newest first, so it learns what became of each. */
  async mine(reporterId: string): Promise<Report[]> {
    const rows = await this.db
      .selectFrom('reports')
      .selectAll()
      .where('reporter_id', '=', reporterId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toReport);
  }

  /** The report if `reporterId` filed it at or after `since`; what evidence may still be attached to. */
  async ownRecent(reporterId: string, reportId: string, since: Date): Promise<Report | null> {
    const row = await this.db
      .selectFrom('reports')
      .selectAll()
      .where('id', '=', reportId)
      .where('reporter_id', '=', reporterId)
      .where('created_at', '>=', since.toISOString())
      .executeTakeFirst();
    return row ? toReport(row) : null;
  }

  /** False when this reporter reported this connection already (the unique key decides, on every process). */
  private async insert(row: ReportsTable): Promise<boolean> {
    const result = await this.db
      .insertInto('reports')
      .values(row)
      .onConflict((oc) => oc.columns(['reporter_id', 'connection_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }
}

function toReport(row: ReportsTable): Report {
  return {
    id: row.id,
    userId: row.reported_id,
    connectionId: row.connection_id,
    reason: row.reason,
    status: row.status,
    createdAt: toIso(row.created_at),
    decidedAt: row.decided_at === null ? null : toIso(row.decided_at),
  };
}
