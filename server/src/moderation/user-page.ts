import type { Kysely } from 'kysely';
import type { ModAction, ModConnection, ModUserResponse, ReportAgainst, ReportMade } from '@small-talk/protocol';
import type { History } from '../history/service.js';
import { shownName } from '../names/display-name.js';
import type { Standing } from '../safety/standing.js';
import { toIso, type Database } from '../storage/schema.js';

/** Connections a user's page shows: enough to see a pattern, not a whole life. */
const CONNECTIONS_SHOWN = 50;

/** One evidence image and what its view is recorded against. */
export interface EvidenceImage {
  image: Uint8Array;
  reportId: string;
  /** The reported user: the subject of the audit row. */
  reportedId: string;
}

/** What a moderator reads before deciding about one user: its case file, evidence images included. */
export class UserPage {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly standing: Standing,
    private readonly history: History,
  ) {}

  /** Null when there is no such user. */
  async of(userId: string, now = new Date()): Promise<ModUserResponse | null> {
    const user = await this.db
      .selectFrom('users')
      .select(['id', 'display_name', 'kind', 'created_at', 'role'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!user) return null;
    const [restriction, strikes, reports, reportsMade, connections, actions] = await Promise.all([
      this.standing.restriction(userId, now),
      this.strikes(userId),
      this.reportsAgainst(userId),
      this.reportsMade(userId),
      this.connections(userId),
      this.actions(userId),
    ]);
    return {
      user: {
        id: user.id,
        displayName: shownName(user.display_name),
        kind: user.kind,
        createdAt: toIso(user.created_at),
        role: user.role,
      },
      restriction,
      strikes,
      reports,
      reportsMade,
      connections,
      actions,
    };
  }

  async evidence(evidenceId: string): Promise<EvidenceImage | null> {
    const row = await this.db
      .selectFrom('report_evidence as e')
      .innerJoin('reports as r', 'r.id', 'e.report_id')
      .select(['e.image', 'e.report_id', 'r.reported_id'])
      .where('e.id', '=', evidenceId)
      .executeTakeFirst();
    return row ? { image: row.image, reportId: row.report_id, reportedId: row.reported_id } : null;
  }

  /** A strike is a warning received; suspensions and bans speak for themselves. */
  private async strikes(userId: string): Promise<number> {
    const row = await this.db
      .selectFrom('moderation_actions')
      .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
      .where('user_id', '=', userId)
      .where('action', '=', 'warn')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private async reportsAgainst(userId: string): Promise<ReportAgainst[]> {
    const rows = await this.db
      .selectFrom('reports as r')
      .innerJoin('users as reporter', 'reporter.id', 'r.reporter_id')
      // The history row may be gone (the daily sweep deletes stale guests' history); the report stays.
      .leftJoin('connections as c', 'c.id', 'r.connection_id')
      .select([
        'r.id',
        'r.reason',
        'r.note',
        'r.status',
        'r.created_at',
        'r.decided_at',
        'reporter.id as reporter_id',
        'reporter.display_name as reporter_name',
        'c.id as connection_id',
        'c.category',
        'c.started_at',
        'c.ended_at',
      ])
      .where('r.reported_id', '=', userId)
      .orderBy('r.created_at', 'desc')
      .orderBy('r.id', 'desc')
      .execute();
    const evidence = await this.evidenceIds(rows.map((row) => row.id));
    return rows.map((row) => {
      const reporter = { id: row.reporter_id, displayName: shownName(row.reporter_name) };
      return {
        id: row.id,
        reporter,
        reason: row.reason,
        note: row.note,
        // A report is about a connection between the two (reports.ts checks it), so the peer is the reporter.
        connection:
          row.connection_id === null
            ? null
            : {
                id: row.connection_id,
                peer: reporter,
                category: row.category,
                startedAt: toIso(row.started_at!),
                endedAt: row.ended_at === null ? null : toIso(row.ended_at),
              },
        evidence: evidence.get(row.id) ?? [],
        status: row.status,
        createdAt: toIso(row.created_at),
        decidedAt: row.decided_at === null ? null : toIso(row.decided_at),
      };
    });
  }

  /** Evidence ids by report, in the order they were attached. */
  private async evidenceIds(reportIds: string[]): Promise<Map<string, string[]>> {
    const byReport = new Map<string, string[]>();
    // Chunked: a user reported thousands of times must not pass the databases' parameter limits.
    for (let i = 0; i < reportIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('report_evidence')
        .select(['id', 'report_id'])
        .where('report_id', 'in', reportIds.slice(i, i + 500))
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      for (const row of rows) byReport.set(row.report_id, [...(byReport.get(row.report_id) ?? []), row.id]);
    }
    return byReport;
  }

  private async reportsMade(userId: string): Promise<ReportMade[]> {
    const rows = await this.db
      .selectFrom('reports as r')
      .innerJoin('users as reported', 'reported.id', 'r.reported_id')
      .select([
        'r.id',
        'r.reason',
        'r.note',
        'r.status',
        'r.created_at',
        'reported.id as user_id',
        'reported.display_name as user_name',
      ])
      .where('r.reporter_id', '=', userId)
      .orderBy('r.created_at', 'desc')
      .orderBy('r.id', 'desc')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      user: { id: row.user_id, displayName: shownName(row.user_name) },
      reason: row.reason,
      note: row.note,
      status: row.status,
      createdAt: toIso(row.created_at),
    }));
  }

  private async connections(userId: string): Promise<ModConnection[]> {
    const rows = await this.history.list(userId, CONNECTIONS_SHOWN);
    return rows.map(({ id, peer, category, startedAt, endedAt }) => ({ id, peer, category, startedAt, endedAt }));
  }

  private async actions(userId: string): Promise<ModAction[]> {
    const rows = await this.db
      .selectFrom('moderation_actions')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      action: row.action,
      moderator: { id: row.moderator_id, displayName: row.moderator_name },
      reason: row.reason,
      until: row.until === null ? null : toIso(row.until),
      createdAt: toIso(row.created_at),
    }));
  }
}
