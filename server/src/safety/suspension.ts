import type { Kysely } from 'kysely';
import type { RestrictedEvent } from '@small-talk/protocol';
import type { Metrics } from '../metrics/metrics.js';
import type { Notices } from '../moderation/notices.js';
import type { MessageBus } from '../storage/bus/bus.js';
import type { MatchStore } from '../storage/match/store.js';
import type { Database } from '../storage/schema.js';
import type { SqlDialect } from '../storage/migrations.js';
import { Standing, tellStandingChanged } from './standing.js';

export interface SuspensionOptions {
  /** Distinct reporters whose open reports suspend (AUTO_SUSPEND_REPORTERS). */
  reporters: number;
  /** Hours within which their reports must fall (AUTO_SUSPEND_WINDOW_H). */
  windowH: number;
  dialect: SqlDialect;
}

const REASON =
  'Several people reported you in a short time. You are suspended until a moderator reviews the reports; you can appeal.';

/**
 * Automatic suspension: when enough different people report the same user, it stops meeting
 * anyone at once, pending a moderator's review. A report by a user who is itself restricted
 * does not count, so a suspended account cannot take others down with it.
 */
export class AutoSuspension {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly store: MatchStore,
    private readonly bus: MessageBus,
    /** Ends the user's live room wherever it is (rooms/): the user gets `left`, its peer `peer_left`. */
    private readonly endRoomOf: (userId: string) => Promise<unknown>,
    private readonly metrics: Metrics,
    private readonly options: SuspensionOptions,
    /** The statement of reasons the user reads (`GET /api/me/notices`, the `notice` frame). */
    private readonly notices: Notices,
  ) {}

  /** Called after each report about `userId`: suspends it when the reports now reach the threshold. */
  async check(userId: string, now = new Date()): Promise<boolean> {
    // One decision per user at a time, on every process: two reports landing together must not
    // both suspend (two restrictions, two frames). PostgreSQL locks the user's row; SQLite runs
    // one transaction at a time anyway.
    const suspended = await this.db.transaction().execute(async (tx) => {
      if (this.options.dialect === 'postgres')
        await tx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
      const standing = new Standing(tx);
      if (await standing.restriction(userId, now)) return null; // already kept out
      if ((await this.reporters(tx, userId, now)) < this.options.reporters) return null;
      const restriction = await standing.restrict(
        userId,
        { kind: 'suspended', reason: REASON, until: null, automated: true, appealable: true },
        now,
      );
      const notice = await this.notices.write(
        {
          userId,
          kind: 'suspension',
          reason: REASON,
          automated: true,
          until: null,
          restrictionId: restriction.id,
          appealable: true,
        },
        now,
        tx,
      );
      return { restriction, notice };
    });
    if (!suspended) return false;
    const { restriction, notice } = suspended;
    this.metrics.autoSuspensions.inc();
    // The database already refuses its next join and call, and so does its socket once told (it
    // may keep the standing its last join was allowed with); now out of the queue and out of its
    // room, and its socket (on whichever process) is told why and stays open.
    tellStandingChanged(this.bus, userId);
    await this.store.cancel(userId);
    await this.endRoomOf(userId);
    this.bus.deliver(userId, { text: JSON.stringify({ type: 'restricted', restriction } satisfies RestrictedEvent) });
    this.notices.send(userId, notice);
    return true;
  }

  /** Distinct reporters, themselves unrestricted, with an open report about `userId` inside the window. */
  private async reporters(db: Kysely<Database>, userId: string, now: Date): Promise<number> {
    const since = new Date(now.getTime() - this.options.windowH * 60 * 60 * 1000).toISOString();
    const nowIso = now.toISOString();
    const counted = await db
      .selectFrom('reports as r')
      .select((eb) => eb.fn.count<number | string | bigint>('r.reporter_id').distinct().as('n'))
      .where('r.reported_id', '=', userId)
      .where('r.status', '=', 'open')
      .where('r.created_at', '>=', since)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('restrictions as x')
              .select('x.id')
              .whereRef('x.user_id', '=', 'r.reporter_id')
              .where('x.lifted_at', 'is', null)
              .where((eb) => eb.or([eb('x.until', 'is', null), eb('x.until', '>', nowIso)])),
          ),
        ),
      )
      .executeTakeFirstOrThrow();
    return Number(counted.n);
  }
}
