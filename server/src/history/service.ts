import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Connection, EndReason } from '@small-talk/protocol';
import { shownName } from '../names/display-name.js';
import { parseLanguages } from '../safety/standing.js';
import type { Room } from '../storage/match/store.js';
import { toIso, type Database } from '../storage/schema.js';

/** Rooms one early write waits for (see History.started, with Redis). */
const WRITE_AT_ONCE = 64;

/**
 * Without Redis, started rooms are written once no room has started for this long (the burst of
 * matches is over), or once the oldest has waited WRITE_BEHIND_MAX_MS (matches keep coming).
 */
const QUIET_MS = 20;
const WRITE_BEHIND_MAX_MS = 250;

/** Rows one INSERT carries. */
const ROWS_A_STATEMENT = 500;

/** The `connections` table: one row per room, written when it starts, completed when it ends, never deleted. */
export class History {
  /** Rooms started since the last write began. */
  private unwritten: Room[] = [];
  private writeScheduled = false;
  /** Ends the wait of the scheduled write early: enough rooms to write now. */
  private writeNow: (() => void) | null = null;
  /** Every write of started rooms so far, in order: an end is recorded only after its start. */
  private writes: Promise<void> = Promise.resolve();
  /** Without Redis: when the last room started, when the oldest unwritten one did, and the wait for quiet. */
  private lastStartedAt = 0;
  private oldestUnwrittenAt = 0;
  private quiet: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    /**
     * The process whose memory holds the rooms it starts (see crashes.ts): a call it leaves open
     * when killed is closed by the next start. Null with Redis, where rooms outlive their process.
     */
    private readonly processId: string | null,
    private readonly log: Logger,
  ) {}

  /**
   * Records a new room; the promise settles when its members may be told (`matched`).
   *
   * With Redis, that is once the row is written: a report or a friend request about the room
   * may come to another process at once, and it reads the row there. Rooms started in the same
   * turn of the event loop share one INSERT, and a write starts early once WRITE_AT_ONCE rooms
   * wait, so the first rooms of a long burst are announced while the rest are still matched.
   *
   * Without Redis every reader of the table is in this process, so the members are told at once
   * and the row is written behind them: the rooms of a burst of matches together, in one
   * transaction, once the burst is over (QUIET_MS, WRITE_BEHIND_MAX_MS at the latest). Writing
   * them in front cost as much as the rest of the join put together: on SQLite the write runs on
   * this thread, and each commit writes every index page it touched again. Whatever reads the
   * table waits for those rows first (written); a clean stop writes them; a process killed in
   * between loses the rows of its last quarter second of matches (docs/privacy.md).
   */
  started(room: Room): Promise<void> {
    this.unwritten.push(room);
    if (this.processId !== null) {
      this.writeBehind();
      return Promise.resolve();
    }
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
   * Settles once every room started so far is written (or its write failed, which was reported to
   * its callers or logged): what reads the table waits for this.
   */
  written(): Promise<void> {
    if (this.quiet) {
      clearTimeout(this.quiet);
      this.quiet = null;
      this.writeUnwritten();
    }
    return this.writes.catch(() => {});
  }

  /** Without Redis: schedules the write of the rooms started since the last (see started). */
  private writeBehind(): void {
    const now = performance.now();
    this.lastStartedAt = now;
    if (this.quiet) return;
    this.oldestUnwrittenAt = now;
    const check = () => {
      const at = performance.now();
      const quietFor = at - this.lastStartedAt;
      if (quietFor < QUIET_MS && at - this.oldestUnwrittenAt < WRITE_BEHIND_MAX_MS) {
        this.quiet = setTimeout(check, QUIET_MS - quietFor);
        return;
      }
      this.quiet = null;
      this.writeUnwritten();
    };
    this.quiet = setTimeout(check, QUIET_MS);
  }

  private writeUnwritten(): void {
    this.writes = this.writes
      .catch(() => {}) // reported below, when it failed
      .then(() => this.writeStarted())
      .catch((error: unknown) => {
        // The members were told already: nothing to undo, and readers go on without these rows.
        this.log.error({ err: error }, 'could not write the history rows of started rooms');
      });
  }

  /**
   * Records the end of a room. The row ends once: `ended` for the call that ended it,
   * `already` when another did first, `missing` when it was never written.
   */
  async ended(roomId: string, reason: EndReason): Promise<'ended' | 'already' | 'missing'> {
    // The row may still be waiting in the next INSERT; updating before it would change nothing.
    await this.written();
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
    if (rooms.length === 0) return;
    // 8 parameters a row stays well under SQLite's and PostgreSQL's parameter limits; more rows
    // than one statement takes are one transaction, so one commit (see started).
    if (rooms.length <= ROWS_A_STATEMENT) return this.insert(this.db, rooms);
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < rooms.length; i += ROWS_A_STATEMENT)
        await this.insert(tx, rooms.slice(i, i + ROWS_A_STATEMENT));
    });
  }

  private async insert(db: Kysely<Database>, rooms: readonly Room[]): Promise<void> {
    await db
      .insertInto('connections')
      .values(
        rooms.map((room) => ({
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

  /** The user's connections, newest first. */
  async list(userId: string, limit: number): Promise<Connection[]> {
    // The call going on now is in the list.
    await this.written();
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
