import type { Kysely } from 'kysely';
import type { Connection, EndReason } from '@small-talk/protocol';
import { shownName } from '../names/display-name.js';
import { parseLanguages } from '../safety/standing.js';
import type { Room } from '../storage/match/store.js';
import { toIso, type Database } from '../storage/schema.js';

/** Rooms one early write waits for (see History.started). */
const WRITE_AT_ONCE = 64;

/** The `connections` table: one row per room, written when it starts, completed when it ends, never deleted. */
export class History {
  /** Rooms started since the last write began. */
  private unwritten: Room[] = [];
  private writeScheduled = false;
  /** Ends the wait of the scheduled write early: enough rooms to write now. */
  private writeNow: (() => void) | null = null;
  /** Every write of started rooms so far, in order: an end is recorded only after its start. */
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Database>,
    /**
     * The process whose memory holds the rooms it starts (see crashes.ts): a call it leaves open
     * when killed is closed by the next start. Null with Redis, where rooms outlive their process.
     */
    private readonly processId: string | null = null,
  ) {}

  /**
   * Records a new room. Rooms started in the same turn of the event loop share one INSERT: a
   * burst of matches (thousands of users joining at once) costs a few statements, not one each.
   * A write starts early once WRITE_AT_ONCE rooms wait, so the first rooms of a long burst are
   * announced while the rest are still being matched.
   */
  started(room: Room): Promise<void> {
    this.unwritten.push(room);
    if (!this.writeScheduled) {
      this.writeScheduled = true;
      this.writes = this.writes
        .catch(() => {}) // a failed write was reported to its own callers
        .then(
          () =>
            new Promise<void>((resolve) => {
              const immediate = setImmediate(resolve);
              this.writeNow = () => {
                clearImmediate(immediate);
                resolve();
              };
            }),
        )
        .then(() => this.writeStarted());
    }
    if (this.unwritten.length >= WRITE_AT_ONCE) this.writeNow?.();
    return this.writes;
  }

  /**
   * Records the end of a room. The row ends once: `ended` for the call that ended it,
   * `already` when another did first, `missing` when it was never written.
   */
  async ended(roomId: string, reason: EndReason): Promise<'ended' | 'already' | 'missing'> {
    // The row may still be waiting in the next INSERT; updating before it would change nothing.
    await this.writes.catch(() => {});
    const result = await this.db
      .updateTable('connections')
      .set({ ended_at: new Date().toISOString(), end_reason: reason })
      .where('id', '=', roomId)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    if (result.numUpdatedRows > 0n) return 'ended';
    const row = await this.db.selectFrom('connections').select('id').where('id', '=', roomId).executeTakeFirst();
    return row ? 'already' : 'missing';
  }

  private async writeStarted(): Promise<void> {
    const rooms = this.unwritten;
    this.unwritten = [];
    this.writeScheduled = false;
    this.writeNow = null;
    // 8 parameters a row stays well under SQLite's and PostgreSQL's parameter limits.
    for (let i = 0; i < rooms.length; i += 500) {
      await this.db
        .insertInto('connections')
        .values(
          rooms.slice(i, i + 500).map((room) => ({
            id: room.id,
            user_a: room.members[0].id,
            user_b: room.members[1].id,
            category: room.category,
            started_at: room.startedAt,
            ended_at: null,
            end_reason: null,
            process_id: this.processId,
          })),
        )
        // A room a lost process made is written again by the survivor that announces it (Rooms.announceLate).
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
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
        .select([
          'c.id as id',
          'c.category as category',
          'c.started_at as started_at',
          'c.ended_at as ended_at',
          'c.end_reason as end_reason',
          'peer.id as peer_id',
          'peer.display_name as peer_name',
          'peer.languages as peer_languages',
        ]);
    const rows = await side('c.user_a', 'c.user_b')
      .unionAll(side('c.user_b', 'c.user_a'))
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      category: r.category,
      peer: { id: r.peer_id, displayName: shownName(r.peer_name), languages: parseLanguages(r.peer_languages) },
      startedAt: toIso(r.started_at),
      endedAt: r.ended_at === null ? null : toIso(r.ended_at),
      endReason: r.end_reason,
    }));
  }
}
