import { sql, type Kysely } from 'kysely';
import type { CasePriority, CasesQuery, CaseUser, ModCase, ReportReason, Restriction } from '@small-talk/protocol';
import { shownName } from '../names/display-name.js';
import { toRestriction } from '../safety/standing.js';
import { toIso, type Database } from '../storage/schema.js';

const PRIORITIES: CasePriority[] = ['urgent', 'high', 'normal'];

/** What the 24-hour promise is measured by (/metrics). */
export interface Backlog {
  openReports: number;
  /** The oldest open report's time; null when none is open. */
  oldestOpenAt: Date | null;
}

/**
 * The moderators' queue: one case per reported user. The priority is worked out in SQL, so a page
 * of the queue is the first N cases in the right order however long the queue is.
 */
export class Cases {
  constructor(private readonly db: Kysely<Database>) {}

  async list(query: CasesQuery, now = new Date()): Promise<ModCase[]> {
    // Times are compared as the database stores them: ISO strings in UTC.
    const before = query.before === undefined ? undefined : new Date(query.before).toISOString();
    return query.status === 'open' ? this.open(query.limit, before, now) : this.closed(query.limit, before, now);
  }

  async backlog(): Promise<Backlog> {
    const row = await this.db
      .selectFrom('reports')
      .select((eb) => [eb.fn.countAll<number | string | bigint>().as('n'), eb.fn.min('created_at').as('oldest')])
      .where('status', '=', 'open')
      .executeTakeFirstOrThrow();
    return { openReports: Number(row.n), oldestOpenAt: row.oldest === null ? null : new Date(toIso(row.oldest)) };
  }

  /** Urgent (a `minor` or `illegal` report), then high (automatically suspended, or 2+ reporters); oldest open report first within each. */
  private async open(limit: number, before: string | undefined, now: Date): Promise<ModCase[]> {
    const urgent = sql`max(case when r.reason in ('minor', 'illegal') then 1 else 0 end) = 1`;
    // An automatic suspension in force is waiting for a person to confirm or lift it.
    const autoSuspended = sql`exists (select 1 from restrictions x where x.user_id = r.reported_id and x.automated = 1
      and x.lifted_at is null and (x.until is null or x.until > ${now.toISOString()}))`;
    let cases = this.db
      .selectFrom('reports as r')
      .where('r.status', '=', 'open')
      .groupBy('r.reported_id')
      .select((eb) => [
        'r.reported_id as user_id',
        eb.fn.countAll<number | string | bigint>().as('open_reports'),
        eb.fn.count<number | string | bigint>('r.reporter_id').distinct().as('reporters'),
        eb.fn.min('r.created_at').as('oldest_open_at'),
        sql<
          number | string
        >`case when ${urgent} then 0 when count(distinct r.reporter_id) >= 2 or ${autoSuspended} then 1 else 2 end`.as(
          'priority_rank',
        ),
      ])
      .orderBy('priority_rank')
      .orderBy('oldest_open_at')
      .orderBy('r.reported_id')
      .limit(limit);
    if (before !== undefined) cases = cases.having(sql`min(r.created_at)`, '<', before);
    const rows = await cases.execute();
    const ids = rows.map((row) => row.user_id);
    const [users, reasons, restrictions] = await Promise.all([
      this.users(ids),
      this.reasons(ids),
      this.restrictions(ids, now),
    ]);
    return rows.map((row) => ({
      userId: row.user_id,
      user: users.get(row.user_id)!,
      openReports: Number(row.open_reports),
      reporters: Number(row.reporters),
      reasons: reasons.get(row.user_id) ?? {},
      priority: PRIORITIES[Number(row.priority_rank)]!,
      oldestOpenAt: toIso(row.oldest_open_at!),
      restriction: restrictions.get(row.user_id) ?? null,
    }));
  }

  /** Reported users with no open report left, the latest decided first. */
  private async closed(limit: number, before: string | undefined, now: Date): Promise<ModCase[]> {
    let cases = this.db
      .selectFrom('reports as r')
      .groupBy('r.reported_id')
      .having(sql`sum(case when r.status = 'open' then 1 else 0 end)`, '=', 0)
      .select((eb) => ['r.reported_id as user_id', eb.fn.max('r.decided_at').as('last_decided_at')])
      .orderBy('last_decided_at', 'desc')
      .orderBy('r.reported_id')
      .limit(limit);
    if (before !== undefined) cases = cases.having(sql`max(r.decided_at)`, '<', before);
    const rows = await cases.execute();
    const ids = rows.map((row) => row.user_id);
    const [users, restrictions] = await Promise.all([this.users(ids), this.restrictions(ids, now)]);
    return rows.map((row) => ({
      userId: row.user_id,
      user: users.get(row.user_id)!,
      openReports: 0,
      reporters: 0,
      reasons: {},
      priority: 'normal',
      oldestOpenAt: null,
      restriction: restrictions.get(row.user_id) ?? null,
    }));
  }

  private async users(ids: string[]): Promise<Map<string, CaseUser>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('users')
      .select(['id', 'display_name', 'kind', 'created_at'])
      .where('id', 'in', ids)
      .execute();
    return new Map(
      rows.map((row) => [
        row.id,
        { id: row.id, displayName: shownName(row.display_name), kind: row.kind, createdAt: toIso(row.created_at) },
      ]),
    );
  }

  private async reasons(ids: string[]): Promise<Map<string, Partial<Record<ReportReason, number>>>> {
    const byUser = new Map<string, Partial<Record<ReportReason, number>>>();
    if (ids.length === 0) return byUser;
    const rows = await this.db
      .selectFrom('reports')
      .select((eb) => ['reported_id', 'reason', eb.fn.countAll<number | string | bigint>().as('n')])
      .where('status', '=', 'open')
      .where('reported_id', 'in', ids)
      .groupBy(['reported_id', 'reason'])
      .execute();
    for (const row of rows) {
      const reasons = byUser.get(row.reported_id) ?? {};
      reasons[row.reason] = Number(row.n);
      byUser.set(row.reported_id, reasons);
    }
    return byUser;
  }

  /** The restriction in force for each user: not lifted, not run out, the newest when several (as Standing has it). */
  private async restrictions(ids: string[], now: Date): Promise<Map<string, Restriction>> {
    const byUser = new Map<string, Restriction>();
    if (ids.length === 0) return byUser;
    const rows = await this.db
      .selectFrom('restrictions')
      .selectAll()
      .where('user_id', 'in', ids)
      .where('lifted_at', 'is', null)
      .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', now.toISOString())]))
      .orderBy('created_at', 'desc')
      .execute();
    for (const row of rows) if (!byUser.has(row.user_id)) byUser.set(row.user_id, toRestriction(row));
    return byUser;
  }
}
