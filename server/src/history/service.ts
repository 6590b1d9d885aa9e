import type { Kysely } from 'kysely';
import type { Connection, EndReason } from '@small-talk/protocol';
import type { Room } from '../storage/match/store.js';
import { toIso, type Database } from '../storage/schema.js';

/** The `connections` table: one row per room, written when it starts, completed when it ends, never deleted. */
export class History {
  constructor(private readonly db: Kysely<Database>) {}

  async started(room: Room): Promise<void> {
    const [a, b] = room.members;
    await this.db
      .insertInto('connections')
      .values({ id: room.id, user_a: a.id, user_b: b.id, category: room.category, started_at: room.startedAt, ended_at: null, end_reason: null })
      .execute();
  }

  async ended(roomId: string, reason: EndReason): Promise<void> {
    await this.db
      .updateTable('connections')
      .set({ ended_at: new Date().toISOString(), end_reason: reason })
      .where('id', '=', roomId)
      .where('ended_at', 'is', null)
      .execute();
  }

  /** The user's connections, newest first. */
  async list(userId: string, limit: number): Promise<Connection[]> {
    // One branch per side of the row, so each uses its (user, started_at) index. Columns are
    // aliased because SQLite orders a UNION only by result column names.
    const side = (me: 'c.user_a' | 'c.user_b', peer: 'c.user_a' | 'c.user_b') =>
      this.db
        .selectFrom('connections as c')
        .innerJoin('users as peer', 'peer.id', peer)
        .where(me, '=', userId)
        .select(['c.id as id', 'c.category as category', 'c.started_at as started_at', 'c.ended_at as ended_at', 'c.end_reason as end_reason', 'peer.id as peer_id', 'peer.display_name as peer_name']);
    const rows = await side('c.user_a', 'c.user_b')
      .unionAll(side('c.user_b', 'c.user_a'))
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      category: r.category,
      peer: { id: r.peer_id, displayName: r.peer_name },
      startedAt: toIso(r.started_at),
      endedAt: r.ended_at === null ? null : toIso(r.ended_at),
      endReason: r.end_reason,
    }));
  }
}
