import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  CloseCode,
  type ModAction,
  type ModActionRequest,
  type Notice,
  type Restriction,
  type RestrictedEvent,
} from '@small-talk/protocol';
import type { Auth } from '../auth/service.js';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { Standing, tellStandingChanged } from '../safety/standing.js';
import type { MessageBus } from '../storage/bus/bus.js';
import type { MatchStore } from '../storage/match/store.js';
import type { SqlDialect } from '../storage/migrations.js';
import type { Database } from '../storage/schema.js';
import { AuditLog, type Actor } from './audit.js';
import type { Notices } from './notices.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const BAN_CLOSE = { code: CloseCode.banned, reason: 'banned: log in to read why and to appeal' };

export interface DecisionDeps {
  db: Kysely<Database>;
  dialect: SqlDialect;
  auth: Auth;
  notices: Notices;
  store: MatchStore;
  bus: MessageBus;
  /** Ends the user's live room wherever it is (rooms/): its peer gets `peer_left`. */
  endRoomOf: (userId: string) => Promise<unknown>;
  metrics: Metrics;
}

/** What the transaction settled, for what follows it (frames, sockets). */
interface Settled {
  action: ModAction;
  restriction: Restriction | null;
  notice: Notice | null;
  endedSessions: string[];
}

/**
 * A moderator's decision about a user (`POST /api/mod/users/:id/actions`). The decision, its
 * reports, the restriction, the notice, the audit row and (for a ban) the end of every session
 * land in one transaction; then the user is taken out of its queue and room and told, on
 * whichever process its socket is.
 */
export class Decisions {
  constructor(private readonly deps: DecisionDeps) {}

  async decide(moderator: Actor, userId: string, request: ModActionRequest, now = new Date()): Promise<ModAction> {
    if (moderator.id === userId) throw new AppError('conflict_of_interest', 'you cannot decide about yourself');
    const settled = await this.deps.db.transaction().execute((tx) => this.settle(tx, moderator, userId, request, now));
    this.deps.metrics.moderationDecisions.inc({ action: request.action });
    if (settled.restriction) {
      // The database already refuses its next join and call, and so does its socket once told
      // (it may keep the standing its last join was allowed with); now out of the queue and its
      // room, then told why on its socket (wherever it is), which a ban then closes.
      tellStandingChanged(this.deps.bus, userId);
      await this.deps.store.cancel(userId);
      await this.deps.endRoomOf(userId);
      this.deps.bus.deliver(userId, {
        text: JSON.stringify({ type: 'restricted', restriction: settled.restriction } satisfies RestrictedEvent),
      });
    }
    const close = request.action === 'ban' ? BAN_CLOSE : undefined;
    if (settled.notice) this.deps.notices.send(userId, settled.notice, close);
    // Sockets of this process opened with an ended session and not reached above close too.
    if (close) this.deps.auth.sessionsEnded(settled.endedSessions, close);
    return settled.action;
  }

  private async settle(
    tx: Kysely<Database>,
    moderator: Actor,
    userId: string,
    request: ModActionRequest,
    now: Date,
  ): Promise<Settled> {
    // One decision per user at a time, on every process (as the automatic suspension does).
    const userQuery = tx.selectFrom('users').select('id').where('id', '=', userId);
    const user = await (this.deps.dialect === 'postgres' ? userQuery.forUpdate() : userQuery).executeTakeFirst();
    if (!user) throw new AppError('not_found', 'no such user');
    const reportIds = await this.reportsToSettle(tx, userId, request.reportIds);
    const nowIso = now.toISOString();
    const standing = new Standing(tx);
    let restriction: Restriction | null = null;
    let restrictionId: string | null = null;
    let until: Date | null = null;
    let notice: { kind: Notice['kind']; restrictionId: string | null } | null = null;
    let endedSessions: string[] = [];

    switch (request.action) {
      case 'dismiss': {
        // Reports found wanting: a suspension the rule set pending this review goes with them.
        const lifted = await this.lift(tx, userId, now, (r) => r.kind === 'suspended' && r.automated);
        restrictionId = lifted[0] ?? null;
        if (restrictionId) notice = { kind: 'restored', restrictionId };
        break;
      }
      case 'warn':
        notice = { kind: 'warning', restrictionId: null };
        break;
      case 'suspend':
      case 'ban': {
        // One restriction in force: the new one replaces any other but underage, which stays.
        await this.lift(tx, userId, now, (r) => r.kind !== 'underage');
        until = request.action === 'suspend' ? new Date(now.getTime() + request.days! * DAY_MS) : null;
        restriction = await standing.restrict(
          userId,
          {
            kind: request.action === 'suspend' ? 'suspended' : 'banned',
            reason: request.reason,
            until,
            automated: false,
            appealable: true,
          },
          now,
        );
        restrictionId = restriction.id;
        notice = { kind: request.action === 'suspend' ? 'suspension' : 'ban', restrictionId };
        if (request.action === 'ban') endedSessions = await this.deps.auth.deleteSessionsOf(userId, tx);
        break;
      }
      case 'restore': {
        const lifted = await this.lift(tx, userId, now, (r) => r.kind !== 'underage');
        if (lifted.length === 0) throw new AppError('not_restricted', 'the user has no restriction to lift');
        restrictionId = lifted[0]!;
        notice = { kind: 'restored', restrictionId };
        break;
      }
    }

    const actionId = randomUUID();
    await tx
      .insertInto('moderation_actions')
      .values({
        id: actionId,
        user_id: userId,
        moderator_id: moderator.id,
        moderator_name: moderator.displayName,
        action: request.action,
        reason: request.reason,
        until: until?.toISOString() ?? null,
        restriction_id: restrictionId,
        created_at: nowIso,
      })
      .execute();
    if (reportIds.length > 0) {
      await tx
        .updateTable('reports')
        .set({
          status: request.action === 'dismiss' ? 'dismissed' : 'actioned',
          decided_at: nowIso,
          action_id: actionId,
        })
        .where('id', 'in', reportIds)
        .execute();
    }
    await new AuditLog(tx).write(
      {
        actor: moderator,
        action: request.action,
        subjectUserId: userId,
        // The reason is the action's row; the log says who did what to whom, and which reports it settled.
        detail: { actionId, reportIds, ...(request.days !== undefined ? { days: request.days } : {}) },
      },
      now,
      tx,
    );
    const written = notice
      ? await this.deps.notices.write(
          {
            userId,
            kind: notice.kind,
            reason: request.reason,
            automated: false,
            until,
            // Only a notice that restricts points at its restriction: that is what may be appealed.
            restrictionId: restriction ? notice.restrictionId : null,
            appealable: restriction !== null,
          },
          now,
          tx,
        )
      : null;
    return {
      action: {
        id: actionId,
        action: request.action,
        moderator: { id: moderator.id, displayName: moderator.displayName },
        reason: request.reason,
        until: until?.toISOString() ?? null,
        createdAt: nowIso,
      },
      restriction,
      notice: written,
      endedSessions,
    };
  }

  /** The open reports about the user this decision settles: those named (each must be one), or all. */
  private async reportsToSettle(tx: Kysely<Database>, userId: string, named: string[] | undefined): Promise<string[]> {
    let query = tx.selectFrom('reports').select('id').where('reported_id', '=', userId).where('status', '=', 'open');
    if (named !== undefined) {
      const wanted = [...new Set(named)];
      if (wanted.length === 0) return [];
      query = query.where('id', 'in', wanted);
      const found = await query.execute();
      if (found.length !== wanted.length)
        throw new AppError('not_found', 'some reportIds are not open reports about this user');
      return wanted;
    }
    return (await query.execute()).map((row) => row.id);
  }

  /** Lifts the user's restrictions in force that `which` picks; their ids, newest first. */
  private async lift(
    tx: Kysely<Database>,
    userId: string,
    now: Date,
    which: (r: Restriction) => boolean,
  ): Promise<string[]> {
    const nowIso = now.toISOString();
    const rows = await tx
      .selectFrom('restrictions')
      .select(['id', 'kind', 'reason', 'until', 'automated', 'appealable'])
      .where('user_id', '=', userId)
      .where('lifted_at', 'is', null)
      .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', nowIso)]))
      .orderBy('created_at', 'desc')
      .execute();
    const ids = rows
      .filter((row) =>
        which({
          id: row.id,
          kind: row.kind,
          reason: row.reason,
          until: null,
          automated: Number(row.automated) === 1,
          appealable: Number(row.appealable) === 1,
        }),
      )
      .map((row) => row.id);
    if (ids.length > 0)
      await tx.updateTable('restrictions').set({ lifted_at: nowIso }).where('id', 'in', ids).execute();
    return ids;
  }
}
