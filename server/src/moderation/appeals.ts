import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Appeal, AppealDecisionRequest, ModAppeal, Notice } from '@small-talk/protocol';
import { AppError } from '../errors.js';
import { shownName } from '../names/display-name.js';
import type { Metrics } from '../metrics/metrics.js';
import { Standing } from '../safety/standing.js';
import type { SqlDialect } from '../storage/migrations.js';
import { toIso, type Database } from '../storage/schema.js';
import { AuditLog, type Actor } from './audit.js';
import type { Notices } from './notices.js';

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * Appeals (DSA art. 20): a restricted user contests the restriction in force once, for free, and
 * someone other than whoever decided it answers. Overturning lifts the restriction.
 */
export class Appeals {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
    private readonly notices: Notices,
    private readonly metrics: Metrics,
  ) {}

  /** `POST /api/appeals`: against the restriction in force. */
  async file(userId: string, text: string, now = new Date()): Promise<Appeal> {
    const restriction = await new Standing(this.db).restriction(userId, now);
    if (!restriction) throw new AppError('not_restricted', 'you have no restriction to appeal');
    if (restriction.kind === 'underage' || !restriction.appealable) {
      throw new AppError('forbidden', 'this restriction cannot be appealed');
    }
    const appeal: Appeal = { id: randomUUID(), status: 'open', createdAt: now.toISOString() };
    try {
      // The unique restriction_id decides between two appeals sent at once.
      await this.db
        .insertInto('appeals')
        .values({
          id: appeal.id,
          user_id: userId,
          restriction_id: restriction.id,
          text,
          status: 'open',
          created_at: appeal.createdAt,
        })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('already_appealed', 'you appealed this decision already');
      throw error;
    }
    return appeal;
  }

  /** `GET /api/appeals`: the user's own, newest first. */
  async of(userId: string): Promise<Appeal[]> {
    const rows = await this.db
      .selectFrom('appeals')
      .select(['id', 'status', 'created_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((row) => ({ id: row.id, status: row.status, createdAt: toIso(row.created_at) }));
  }

  /** `GET /api/mod/appeals`: open ones oldest first (first come, first answered), closed ones newest first. */
  async list(status: 'open' | 'closed', limit = 200): Promise<ModAppeal[]> {
    let query = appealQuery(this.db).limit(limit);
    query =
      status === 'open'
        ? query.where('a.status', '=', 'open').orderBy('a.created_at', 'asc')
        : query.where('a.status', '!=', 'open').orderBy('a.decided_at', 'desc');
    return (await query.orderBy('a.id').execute()).map(toModAppeal);
  }

  /**
   * `POST /api/mod/appeals/:id`. Overturn lifts the restriction; both outcomes are a notice.
   * Returns the notice too, for the caller to send once the transaction is in.
   */
  async decide(
    moderator: Actor,
    appealId: string,
    request: AppealDecisionRequest,
    now = new Date(),
  ): Promise<ModAppeal> {
    const { appeal, notice } = await this.db.transaction().execute(async (tx) => {
      const lookup = tx
        .selectFrom('appeals')
        .select(['id', 'status', 'user_id', 'restriction_id'])
        .where('id', '=', appealId);
      // Two moderators answering at once: the row lock makes the second see it decided.
      const row = await (this.dialect === 'postgres' ? lookup.forUpdate() : lookup).executeTakeFirst();
      if (!row) throw new AppError('not_found', 'no such appeal');
      if (row.status !== 'open') throw new AppError('already_decided', 'this appeal was decided already');
      if (row.user_id === moderator.id) throw new AppError('conflict_of_interest', 'you cannot decide your own appeal');
      const decision = await tx
        .selectFrom('moderation_actions')
        .select('moderator_id')
        .where('restriction_id', '=', row.restriction_id)
        .where('action', 'in', ['suspend', 'ban'])
        .executeTakeFirst();
      if (decision?.moderator_id === moderator.id) {
        throw new AppError(
          'conflict_of_interest',
          'you made the decision this appeal contests: another moderator must answer it',
        );
      }
      const overturn = request.decision === 'overturn';
      const nowIso = now.toISOString();
      await tx
        .updateTable('appeals')
        .set({
          status: overturn ? 'overturned' : 'upheld',
          decided_at: nowIso,
          decided_by_id: moderator.id,
          decided_by_name: moderator.displayName,
          decision_reason: request.reason,
        })
        .where('id', '=', row.id)
        .execute();
      if (overturn)
        await tx
          .updateTable('restrictions')
          .set({ lifted_at: nowIso })
          .where('id', '=', row.restriction_id)
          .where('lifted_at', 'is', null)
          .execute();
      const restriction = await tx
        .selectFrom('restrictions')
        .select('until')
        .where('id', '=', row.restriction_id)
        .executeTakeFirstOrThrow();
      await new AuditLog(tx).write(
        {
          actor: moderator,
          action: overturn ? 'appeal_overturn' : 'appeal_uphold',
          subjectUserId: row.user_id,
          detail: { appealId: row.id, restrictionId: row.restriction_id, reason: request.reason },
        },
        now,
        tx,
      );
      const notice: Notice = await this.notices.write(
        {
          userId: row.user_id,
          kind: overturn ? 'appeal_overturned' : 'appeal_upheld',
          reason: request.reason,
          automated: false,
          until: overturn || restriction.until === null ? null : new Date(toIso(restriction.until)),
          restrictionId: null,
          appealable: false,
        },
        now,
        tx,
      );
      const decided = await appealQuery(tx).where('a.id', '=', row.id).executeTakeFirstOrThrow();
      return { appeal: toModAppeal(decided), notice };
    });
    this.metrics.appealDecisions.inc({ outcome: appeal.status });
    this.notices.send(appeal.user.id, notice);
    return appeal;
  }
}

/** An appeal with its user, the restriction it contests and the decision that made it. */
function appealQuery(db: Kysely<Database>) {
  return db
    .selectFrom('appeals as a')
    .innerJoin('users as u', 'u.id', 'a.user_id')
    .innerJoin('restrictions as r', 'r.id', 'a.restriction_id')
    .leftJoin('moderation_actions as m', (join) =>
      join.onRef('m.restriction_id', '=', 'a.restriction_id').on('m.action', 'in', ['suspend', 'ban']),
    )
    .select([
      'a.id',
      'a.status',
      'a.text',
      'a.created_at',
      'a.decided_at',
      'a.decided_by_id',
      'a.decided_by_name',
      'a.decision_reason',
      'u.id as user_id',
      'u.display_name',
      'r.id as r_id',
      'r.kind as r_kind',
      'r.reason as r_reason',
      'r.until as r_until',
      'r.automated as r_automated',
      'r.appealable as r_appealable',
      'm.id as m_id',
      'm.action as m_action',
      'm.moderator_id as m_moderator_id',
      'm.moderator_name as m_moderator_name',
      'm.reason as m_reason',
      'm.until as m_until',
      'm.created_at as m_created_at',
    ]);
}

type AppealRow = Awaited<ReturnType<ReturnType<typeof appealQuery>['executeTakeFirstOrThrow']>>;

function toModAppeal(row: AppealRow): ModAppeal {
  return {
    id: row.id,
    status: row.status,
    text: row.text,
    createdAt: toIso(row.created_at),
    user: { id: row.user_id, displayName: shownName(row.display_name) },
    restriction: {
      id: row.r_id,
      kind: row.r_kind,
      reason: row.r_reason,
      until: row.r_until === null ? null : toIso(row.r_until),
      automated: Number(row.r_automated) === 1,
      appealable: Number(row.r_appealable) === 1,
    },
    decision:
      row.m_id === null
        ? null
        : {
            id: row.m_id,
            action: row.m_action!,
            moderator: { id: row.m_moderator_id!, displayName: row.m_moderator_name! },
            reason: row.m_reason!,
            until: row.m_until === null ? null : toIso(row.m_until),
            createdAt: toIso(row.m_created_at!),
          },
    decidedBy: row.decided_by_id === null ? null : { id: row.decided_by_id, displayName: row.decided_by_name ?? '' },
    decisionReason: row.decision_reason,
    decidedAt: row.decided_at === null ? null : toIso(row.decided_at),
  };
}
