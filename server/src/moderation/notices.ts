import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Notice, NoticeEvent, NoticeKind } from '@small-talk/protocol';
import type { Delivery, MessageBus } from '../storage/bus/bus.js';
import { toIso, type Database } from '../storage/schema.js';

/** A notice to write: what happened, why, and the restriction it announced (if any). */
export interface NewNotice {
  userId: string;
  kind: NoticeKind;
  reason: string;
  automated: boolean;
  until: Date | null;
  restrictionId: string | null;
  /** Whether the user may appeal it now: a new appealable restriction (nobody has appealed it yet). */
  appealable: boolean;
}

/**
 * Statements of reasons to the user they are about (DSA art. 17): written with the decision
 * that makes them, listed by `GET /api/me/notices`, and sent live as a `notice` frame.
 */
export class Notices {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: MessageBus,
  ) {}

  /** Writes one; `db` may be the decision's transaction, so the notice lands with it. */
  async write(notice: NewNotice, at: Date, db: Kysely<Database> = this.db): Promise<Notice> {
    const id = randomUUID();
    await db
      .insertInto('notices')
      .values({
        id,
        user_id: notice.userId,
        kind: notice.kind,
        reason: notice.reason,
        automated: notice.automated ? 1 : 0,
        until: notice.until?.toISOString() ?? null,
        restriction_id: notice.restrictionId,
        created_at: at.toISOString(),
      })
      .execute();
    return {
      id,
      kind: notice.kind,
      reason: notice.reason,
      automated: notice.automated,
      until: notice.until?.toISOString() ?? null,
      createdAt: at.toISOString(),
      appealable: notice.appealable,
    };
  }

  /**
   * Sends it to the user's socket wherever it is (or holds it while the user is away); `close`
   * then closes that socket (a ban).
   */
  send(userId: string, notice: Notice, close?: Delivery['close']): void {
    const delivery: Delivery = { text: JSON.stringify({ type: 'notice', notice } satisfies NoticeEvent) };
    if (close) delivery.close = close;
    this.bus.deliver(userId, delivery);
  }

  /**
   * Every notice about the user, newest first. One is appealable while the restriction it
   * announced is the one in force, may be appealed, and has no appeal yet.
   */
  async of(userId: string, now = new Date()): Promise<Notice[]> {
    const nowIso = now.toISOString();
    const rows = await this.db
      .selectFrom('notices as n')
      .leftJoin('restrictions as r', 'r.id', 'n.restriction_id')
      .leftJoin('appeals as a', 'a.restriction_id', 'n.restriction_id')
      .select([
        'n.id',
        'n.kind',
        'n.reason',
        'n.automated',
        'n.until',
        'n.created_at',
        'n.restriction_id',
        'r.appealable',
        'r.lifted_at',
        'r.until as r_until',
        'a.id as appeal_id',
      ])
      .where('n.user_id', '=', userId)
      .orderBy('n.created_at', 'desc')
      .orderBy('n.id', 'desc')
      .execute();
    const inForce = await this.db
      .selectFrom('restrictions')
      .select('id')
      .where('user_id', '=', userId)
      .where('lifted_at', 'is', null)
      .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', nowIso)]))
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      reason: row.reason,
      automated: Number(row.automated) === 1,
      until: row.until === null ? null : toIso(row.until),
      createdAt: toIso(row.created_at),
      appealable:
        row.restriction_id !== null &&
        row.restriction_id === inForce?.id &&
        Number(row.appealable) === 1 &&
        row.appeal_id === null,
    }));
  }
}
