import type { Kysely } from 'kysely';
import type { Block } from '@small-talk/protocol';
import { AppError } from '../errors.js';
import type { Friends } from '../friends/service.js';
import type { Metrics } from '../metrics/metrics.js';
import { shownName } from '../names/display-name.js';
import type { Rooms } from '../rooms/service.js';
import type { MatchStore } from '../storage/match/store.js';
import { PreparedQuery } from '../storage/prepared.js';
import { parseLanguages } from './standing.js';
import { toIso, type Database } from '../storage/schema.js';

/** How long the match store's copy of a user's blocks serves its joins before the database is read again. */
export const BLOCKS_READ_EVERY_MS = 10 * 60 * 1000;
/** Users this process remembers reading at most (those with a socket here, in practice). */
const READS_KEPT = 50_000;

/**
 * Blocks: a user keeps another away for good. Both directions count the same (whoever blocked),
 * and a block acts at once on every process: the room between the two ends, their friendship
 * and pending requests go, and the match store never pairs them again. The `blocks` table is the
 * truth; the match store holds a copy for its joins: each user's blocks as read from the database
 * (`keepApart`), and every block and unblock since, on any process, at once.
 */
export class Blocks {
  /** User → when its blocks must be read from the database again. */
  private readonly readUntil = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly store: MatchStore,
    private readonly rooms: Rooms,
    private readonly friends: Friends,
    private readonly metrics: Metrics,
  ) {}

  /**
   * `blockerId` blocks `blockedId`: `created` is false when it had already (the same block comes
   * back). The effects are applied either way, so a retry after a failure half-way finishes them.
   */
  async add(blockerId: string, blockedId: string, now = new Date()): Promise<{ block: Block; created: boolean }> {
    if (blockerId === blockedId) throw new AppError('bad_request', 'you cannot block yourself');
    const user = await this.db
      .selectFrom('users')
      .select(['id', 'display_name', 'languages'])
      .where('id', '=', blockedId)
      .executeTakeFirst();
    if (!user) throw new AppError('not_found', 'no such user');
    const inserted = await this.db
      .insertInto('blocks')
      .values({ blocker_id: blockerId, blocked_id: blockedId, created_at: now.toISOString() })
      .onConflict((oc) => oc.columns(['blocker_id', 'blocked_id']).doNothing())
      .executeTakeFirst();
    const created = Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
    const row = await this.db
      .selectFrom('blocks')
      .select('created_at')
      .where('blocker_id', '=', blockerId)
      .where('blocked_id', '=', blockedId)
      .executeTakeFirstOrThrow();
    if (created) this.metrics.blocks.inc();
    // The store first: from here no new match between the two can be made, so the room ended next
    // is the last one they share.
    await this.store.block(blockerId, blockedId);
    await this.rooms.endRoomOf(blockerId, blockedId);
    await this.friends.sever(blockerId, blockedId);
    return {
      block: {
        user: { id: user.id, displayName: shownName(user.display_name), languages: parseLanguages(user.languages) },
        createdAt: toIso(row.created_at),
      },
      created,
    };
  }

  /** The user's blocks, newest first. */
  async list(userId: string): Promise<Block[]> {
    const rows = await this.db
      .selectFrom('blocks as b')
      .innerJoin('users as u', 'u.id', 'b.blocked_id')
      .select(['u.id', 'u.display_name', 'u.languages', 'b.created_at'])
      .where('b.blocker_id', '=', userId)
      .orderBy('b.created_at', 'desc')
      .orderBy('u.id')
      .execute();
    return rows.map((row) => ({
      user: { id: row.id, displayName: shownName(row.display_name), languages: parseLanguages(row.languages) },
      createdAt: toIso(row.created_at),
    }));
  }

  /** Lifts the block; `not_found` when there was none. The two may meet again unless the other blocked too. */
  async remove(blockerId: string, blockedId: string): Promise<void> {
    const result = await this.db
      .deleteFrom('blocks')
      .where('blocker_id', '=', blockerId)
      .where('blocked_id', '=', blockedId)
      .executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new AppError('not_found', 'you have not blocked this user');
    if (!(await this.between(blockerId, blockedId))) await this.store.unblock(blockerId, blockedId);
  }

  /** True when either of the two blocked the other. */
  async between(a: string, b: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('blocks')
      .select('blocker_id')
      .where((eb) =>
        eb.or([
          eb.and([eb('blocker_id', '=', a), eb('blocked_id', '=', b)]),
          eb.and([eb('blocker_id', '=', b), eb('blocked_id', '=', a)]),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Makes sure the match store knows everyone the user must never meet: its blocks, both ways,
   * read from the database when its socket opens and at a join after BLOCKS_READ_EVERY_MS. In
   * between, joins read nothing: blocks and unblocks made meanwhile reach the store at once.
   */
  async keepApart(userId: string, now = Date.now()): Promise<void> {
    const until = this.readUntil.get(userId);
    if (until !== undefined && until > now) return;
    const rows = await this.aroundQuery.execute(this.db, { userId });
    await this.store.remember(
      userId,
      rows.map((row) => row.id),
    );
    this.readUntil.delete(userId);
    // The oldest read goes first when the map is full (a Map iterates in insertion order).
    if (this.readUntil.size >= READS_KEPT) this.readUntil.delete(this.readUntil.keys().next().value!);
    this.readUntil.set(userId, now + BLOCKS_READ_EVERY_MS);
  }

  /**
   * Reads every user's blocks again at its next join: for when the match store's copy may be
   * gone (Redis came back from an outage, perhaps without its data).
   */
  forgetReads(): void {
    this.readUntil.clear();
  }

  private readonly aroundQuery = new PreparedQuery((db, { userId }: { userId: string }) =>
    db
      .selectFrom('blocks')
      .select('blocked_id as id')
      .where('blocker_id', '=', userId)
      .unionAll((eb) => eb.selectFrom('blocks').select('blocker_id as id').where('blocked_id', '=', userId)),
  );
}
