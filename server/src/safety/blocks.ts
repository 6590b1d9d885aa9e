import type { Kysely } from 'kysely';
import type { Block } from '@small-talk/protocol';
import { AppError } from '../errors.js';
import type { Friends } from '../friends/service.js';
import type { Metrics } from '../metrics/metrics.js';
import { shownName } from '../names/display-name.js';
import type { Rooms } from '../rooms/service.js';
import type { MatchStore } from '../storage/match/store.js';
import { PreparedQuery } from '../storage/prepared.js';
import { toIso, type Database } from '../storage/schema.js';

/** How long a user's blocks read from the database serve its joins before they are read again. */
export const AROUND_KEPT_MS = 10 * 60 * 1000;
/** Users whose blocks this process keeps at most (those with a socket here, in practice). */
const AROUND_KEPT_USERS = 50_000;

/**
 * Blocks: a user keeps another away for good. Both directions count the same (whoever blocked),
 * and a block acts at once on every process: the room between the two ends, their friendship
 * and pending requests go, and the match store never pairs them again. The `blocks` table is the
 * truth, read when a user connects and kept for its joins (`around`); the match store's copy
 * is what makes a block made since then, on any process, hold at once.
 */
export class Blocks {
  /** User → whom it blocked or was blocked by, as read from the database (and kept up by this process's changes). */
  private readonly kept = new Map<string, { ids: Set<string>; until: number }>();

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
    const user = await this.db.selectFrom('users').select(['id', 'display_name']).where('id', '=', blockedId).executeTakeFirst();
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
    this.kept.get(blockerId)?.ids.add(blockedId);
    this.kept.get(blockedId)?.ids.add(blockerId);
    // The store first: from here no new match between the two can be made, so the room ended next
    // is the last one they share.
    await this.store.block(blockerId, blockedId);
    await this.rooms.endRoomOf(blockerId, blockedId);
    await this.friends.sever(blockerId, blockedId);
    return { block: { user: { id: user.id, displayName: shownName(user.display_name) }, createdAt: toIso(row.created_at) }, created };
  }

  /** The user's blocks, newest first. */
  async list(userId: string): Promise<Block[]> {
    const rows = await this.db
      .selectFrom('blocks as b')
      .innerJoin('users as u', 'u.id', 'b.blocked_id')
      .select(['u.id', 'u.display_name', 'b.created_at'])
      .where('b.blocker_id', '=', userId)
      .orderBy('b.created_at', 'desc')
      .orderBy('u.id')
      .execute();
    return rows.map((row) => ({ user: { id: row.id, displayName: shownName(row.display_name) }, createdAt: toIso(row.created_at) }));
  }

  /** Lifts the block; `not_found` when there was none. The two may meet again unless the other blocked too. */
  async remove(blockerId: string, blockedId: string): Promise<void> {
    const result = await this.db.deleteFrom('blocks').where('blocker_id', '=', blockerId).where('blocked_id', '=', blockedId).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new AppError('not_found', 'you have not blocked this user');
    if (await this.between(blockerId, blockedId)) return;
    await this.store.unblock(blockerId, blockedId);
    // Here at once; on other processes when they next read the two's blocks (at most AROUND_KEPT_MS).
    this.kept.get(blockerId)?.ids.delete(blockedId);
    this.kept.get(blockedId)?.ids.delete(blockerId);
  }

  /** True when either of the two blocked the other. */
  async between(a: string, b: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('blocks')
      .select('blocker_id')
      .where((eb) => eb.or([eb.and([eb('blocker_id', '=', a), eb('blocked_id', '=', b)]), eb.and([eb('blocker_id', '=', b), eb('blocked_id', '=', a)])]))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Everyone the user blocked or was blocked by: whom it must never be matched with. Every join
   * asks, so the answer read from the database is kept for AROUND_KEPT_MS (the socket's handshake
   * reads it first, so joins seldom wait for it). Keeping it risks nothing: a block made since,
   * here or on another process, is in the match store at once, which shuns it too.
   */
  async around(userId: string, now = Date.now()): Promise<string[]> {
    const kept = this.kept.get(userId);
    if (kept && kept.until > now) return [...kept.ids];
    const rows = await this.aroundQuery.execute(this.db, { userId });
    const ids = rows.map((row) => row.id);
    this.kept.delete(userId);
    // The oldest read goes first when the map is full (a Map iterates in insertion order).
    if (this.kept.size >= AROUND_KEPT_USERS) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(userId, { ids: new Set(ids), until: now + AROUND_KEPT_MS });
    return ids;
  }

  /**
   * Forgets every kept answer, so each user's next join reads the database: for when the match
   * store's copy of recent blocks may be gone (Redis came back, perhaps without its data).
   */
  forgetKept(): void {
    this.kept.clear();
  }

  private readonly aroundQuery = new PreparedQuery((db, { userId }: { userId: string }) =>
    db
      .selectFrom('blocks')
      .select('blocked_id as id')
      .where('blocker_id', '=', userId)
      .unionAll((eb) => eb.selectFrom('blocks').select('blocker_id as id').where('blocked_id', '=', userId)),
  );
}
