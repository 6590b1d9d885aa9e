import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { MatchedPeer, Peer } from '@small-talk/protocol';
import { shownName } from '../names/display-name.js';
import { parseLanguages } from '../safety/standing.js';
import { toIso, type Database } from '../storage/schema.js';

/** A row of `friendships` as the services see it: the pair in storage order, and who asked. */
export interface Friendship {
  id: string;
  /** user_a < user_b, byte order. */
  a: Peer;
  b: Peer;
  requestedBy: string;
  status: 'pending' | 'accepted';
  createdAt: string;
  acceptedAt: string | null;
}

/** The key a pair is stored under: whoever asks, the two ids in byte order. */
function orderedPair(x: string, y: string): [string, string] {
  return x < y ? [x, y] : [y, x];
}

export function otherOf(friendship: Friendship, userId: string): Peer {
  return friendship.a.id === userId ? friendship.b : friendship.a;
}

/** The `friendships` table: one row per pair of users, pending until the asked one accepts. */
export class Friendships {
  constructor(
    private readonly db: Kysely<Database>,
    /** Settles once the rows of every room started so far are written (History.written). */
    private readonly historyWritten: () => Promise<void>,
  ) {}

  /** The pair's row, if any. */
  async between(x: string, y: string): Promise<Friendship | null> {
    const [a, b] = orderedPair(x, y);
    const row = await this.select().where('f.user_a', '=', a).where('f.user_b', '=', b).executeTakeFirst();
    return row ? toFriendship(row) : null;
  }

  async byId(id: string): Promise<Friendship | null> {
    const row = await this.select().where('f.id', '=', id).executeTakeFirst();
    return row ? toFriendship(row) : null;
  }

  /** Every row the user is part of, newest first. */
  async of(userId: string): Promise<Friendship[]> {
    const rows = await this.select()
      .where((eb) => eb.or([eb('f.user_a', '=', userId), eb('f.user_b', '=', userId)]))
      .orderBy('f.created_at', 'desc')
      .execute();
    return rows.map(toFriendship);
  }

  /**
   * A new request, as written. Null when the pair already has a row (another request won the
   * race): the unique key decides, not a read before the write.
   */
  async request(from: Peer, to: Peer): Promise<Friendship | null> {
    const [a, b] = from.id < to.id ? [from, to] : [to, from];
    const row = { id: randomUUID(), createdAt: new Date().toISOString() };
    const result = await this.db
      .insertInto('friendships')
      .values({
        id: row.id,
        user_a: a.id,
        user_b: b.id,
        requested_by: from.id,
        status: 'pending',
        created_at: row.createdAt,
        accepted_at: null,
      })
      .onConflict((oc) => oc.columns(['user_a', 'user_b']).doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 0) return null;
    return { ...row, a, b, requestedBy: from.id, status: 'pending', acceptedAt: null };
  }

  /** Pending → accepted, once. */
  async accept(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('friendships')
      .set({ status: 'accepted', accepted_at: new Date().toISOString() })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Deletes the pending request and remembers that the asked one declined it, in one step: the
   * pair has no row (either may ask later), and the decline is kept for the 7-day rule.
   */
  async decline(row: Friendship, decliner: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const removed = await tx
        .deleteFrom('friendships')
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (removed.numDeletedRows === 0n) return false;
      const declinedAt = new Date().toISOString();
      await tx
        .insertInto('friend_declines')
        .values({ asker: row.requestedBy, decliner, declined_at: declinedAt })
        .onConflict((oc) => oc.columns(['asker', 'decliner']).doUpdateSet({ declined_at: declinedAt }))
        .execute();
      return true;
    });
  }

  /** When `decliner` last declined a request from `asker`, if they did after `since`. */
  async declinedSince(asker: string, decliner: string, since: Date): Promise<string | null> {
    const row = await this.db
      .selectFrom('friend_declines')
      .select('declined_at')
      .where('asker', '=', asker)
      .where('decliner', '=', decliner)
      .where('declined_at', '>', since.toISOString())
      .executeTakeFirst();
    return row ? toIso(row.declined_at) : null;
  }

  /** Deletes the row if it still has `status`; false when someone else changed it first. */
  async remove(id: string, status: Friendship['status']): Promise<boolean> {
    const result = await this.db
      .deleteFrom('friendships')
      .where('id', '=', id)
      .where('status', '=', status)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** For each of `userIds` with friends, their ids: one query per 500 users, for bursts of presence changes. */
  async friendIdsOf(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const friends = new Map<string, string[]>();
    const add = (user: string, friend: string) => {
      const list = friends.get(user);
      if (list) list.push(friend);
      else friends.set(user, [friend]);
    };
    const wanted = new Set(userIds);
    // A pair with one end in each of two chunks is in both answers: count it once.
    const seen = new Set<string>();
    for (let i = 0; i < userIds.length; i += 500) {
      const chunk = userIds.slice(i, i + 500);
      const rows = await this.db
        .selectFrom('friendships')
        .select(['id', 'user_a', 'user_b'])
        .where('status', '=', 'accepted')
        .where((eb) => eb.or([eb('user_a', 'in', chunk), eb('user_b', 'in', chunk)]))
        .execute();
      for (const row of rows) {
        if (seen.has(row.id)) continue;
        seen.add(row.id);
        if (wanted.has(row.user_a)) add(row.user_a, row.user_b);
        if (wanted.has(row.user_b)) add(row.user_b, row.user_a);
      }
    }
    return friends;
  }

  /** True when the two were ever in a room together: the only people one may ask. */
  async haveMet(x: string, y: string): Promise<boolean> {
    // Two who met a moment ago may ask: their room's row first.
    await this.historyWritten();
    const row = await this.db
      .selectFrom('connections')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('user_a', '=', x), eb('user_b', '=', y)]),
          eb.and([eb('user_a', '=', y), eb('user_b', '=', x)]),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async user(id: string): Promise<Peer | null> {
    const row = await this.db
      .selectFrom('users')
      .select(['id', 'display_name', 'languages'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row
      ? { id: row.id, displayName: shownName(row.display_name), languages: parseLanguages(row.languages) }
      : null;
  }

  /** A user as a peer in a room sees it: with its bio (a friend called on a direct call). */
  async profile(id: string): Promise<MatchedPeer | null> {
    const row = await this.db
      .selectFrom('users')
      .select(['id', 'display_name', 'languages', 'bio'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row
      ? { id: row.id, displayName: shownName(row.display_name), languages: parseLanguages(row.languages), bio: row.bio }
      : null;
  }

  private select() {
    return this.db
      .selectFrom('friendships as f')
      .innerJoin('users as ua', 'ua.id', 'f.user_a')
      .innerJoin('users as ub', 'ub.id', 'f.user_b')
      .select([
        'f.id',
        'f.user_a',
        'f.user_b',
        'f.requested_by',
        'f.status',
        'f.created_at',
        'f.accepted_at',
        'ua.display_name as name_a',
        'ub.display_name as name_b',
        'ua.languages as languages_a',
        'ub.languages as languages_b',
      ]);
  }
}

function toFriendship(row: {
  id: string;
  user_a: string;
  user_b: string;
  requested_by: string;
  status: 'pending' | 'accepted';
  created_at: string | Date;
  accepted_at: string | Date | null;
  name_a: string;
  name_b: string;
  languages_a: string;
  languages_b: string;
}): Friendship {
  return {
    id: row.id,
    a: { id: row.user_a, displayName: shownName(row.name_a), languages: parseLanguages(row.languages_a) },
    b: { id: row.user_b, displayName: shownName(row.name_b), languages: parseLanguages(row.languages_b) },
    requestedBy: row.requested_by,
    status: row.status,
    createdAt: toIso(row.created_at),
    acceptedAt: row.accepted_at === null ? null : toIso(row.accepted_at),
  };
}
