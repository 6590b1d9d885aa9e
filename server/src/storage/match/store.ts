import type { LanguageCode } from '@small-talk/protocol';

/**
 * Who is queued and who is in which room: the state every server process must agree on.
 * Matching, joining and ending are each one atomic step here, so two processes can never put
 * a user in two rooms or end a room twice. `memory.ts` serves one process; a Redis
 * implementation serves many.
 *
 * A member is a user as the store holds it: enough to tell its peer who it is (`matched.peer`) without a
 * database read, and the languages it is matched by.
 */
export interface Member {
  id: string;
  displayName: string;
  /** What it speaks; empty when it named none (then it may meet anyone). */
  languages: LanguageCode[];
  bio: string;
}

/** Why a room ended and who ended it (the leaver; the absent user whose grace ran out). */
export interface RoomEnding {
  reason: 'left' | 'disconnected';
  by: string;
}

/** A room that one call to `end` ended. */
export interface EndedRoom {
  room: Room;
  /**
   * Its maker died before sending its `matched`, and no survivor has announced it yet (or the
   * survivor that took it over is still doing so): a member resumed it on another process and
   * ended it first. Its other member may not have heard of it.
   */
  unannounced: boolean;
}

/** A room whose members a dead process never told it had ended. */
export interface UntoldEnding extends RoomEnding {
  room: Room;
}

export interface Room {
  id: string;
  /** The category the two share; null for rooms not made by matching in a category. */
  category: string | null;
  /** Made by two widened searches (`join.anyone`): strangers, matched without a category. */
  widened?: boolean;
  members: readonly [Member, Member];
  /** The member who sends the first offer. */
  initiatorId: string;
  startedAt: string;
  /** The direct call (its ring's id) that made the room; absent for rooms made by matching. */
  callId?: string;
}

/** A direct call ringing: `caller` rang `callee`, a friend, who has not answered yet. */
export interface Ring {
  id: string;
  caller: Member;
  callee: Member;
}

/** Who may end a ring by answering it (the callee) or hanging up (the caller). */
export interface RingSide {
  userId: string;
  side: 'caller' | 'callee';
}

/** `caller_busy`: the caller is in a room or another ring; `busy`: the callee is; `taken`: another ring has that id. */
export type RingResult = 'ringing' | 'busy' | 'caller_busy' | 'taken';

export type JoinResult =
  | { kind: 'busy'; room: Room }
  /** `ticket` names this queue entry: a later join makes a new one (see `widen`). */
  | { kind: 'queued'; ticket: number }
  | { kind: 'matched'; room: Room; /** How long the member who was waiting had waited. */ waitedMs: number };

export type WidenResult =
  /** No longer queued with that ticket (matched, cancelled, or joined again): nothing changed. */
  | { kind: 'gone' }
  /** Still queued, in its categories and now also among the widened. */
  | { kind: 'widened' }
  | { kind: 'matched'; room: Room; waitedMs: number };

export interface MatchStoreOptions {
  /** Two users whose room ended are not matched with each other again for this long; 0 = off. */
  rematchCooldownMs: number;
}

export interface MatchStore {
  /**
   * Pairs the user with the longest-waiting compatible user who shares one of `categories` (FIFO
   * across all of them), or queues it there. Compatible: the two share a language, or either
   * named none (see `compatible`). A user already queued is re-queued with the new
   * categories; a user in a room is `busy`.
   *
   * Never with a user the store knows the joiner must not meet (see `remember` and `block`), nor
   * with one it was in a room with within the rematch cooldown: those are skipped, and the next
   * in FIFO order is taken.
   */
  join(member: Member, categories: readonly string[]): Promise<JoinResult>;
  /**
   * The user's search widens (it asked for `anyone` and waited long enough): if it is still queued
   * with `ticket`, it is matched with the longest-waiting compatible user in its categories (as a
   * join would), else with the longest-waiting compatible widened user in any category (a room
   * with category null), else it stays queued and is widened: later widening users find it.
   */
  widen(userId: string, ticket: number): Promise<WidenResult>;
  /**
   * Whom the user must never meet, as the database has it (its blocks, both ways), read when its
   * socket opens and again from time to time (safety/blocks.ts): its joins then need pass nothing.
   */
  remember(userId: string, shunned: readonly string[]): Promise<void>;
  /** The two are never matched again: a block made after `remember` read the database, on any process. */
  block(a: string, b: string): Promise<void>;
  unblock(a: string, b: string): Promise<void>;
  /** Takes the user out of the queue; false when it was not queued. */
  cancel(userId: string): Promise<boolean>;
  roomOf(userId: string): Promise<Room | null>;
  /**
   * Ends the room; only the one call that actually ended it gets the room back. Its two members
   * then wait out the rematch cooldown before they can be matched with each other again.
   * `ending` (why, and by whom) stays with this process's untold endings until `told`: a process
   * killed between ending a room and telling its members leaves it to a survivor (`untoldOf`).
   */
  end(roomId: string, ending: RoomEnding): Promise<EndedRoom | null>;
  /**
   * Both members of these rooms this process made (join, widen, pair) have been sent `matched`:
   * nothing is left for a survivor to do. Until then the room is among this process's
   * unannounced rooms, which a survivor takes (`unannouncedOf`) if the process dies first.
   */
  announced(roomIds: readonly string[]): Promise<void>;
  /**
   * Takes the live rooms a dead process made but did not live to announce: they become this
   * process's unannounced rooms until it has announced them (`announced`), so an end that comes
   * first still says so (`EndedRoom.unannounced`). Always none with one process.
   */
  unannouncedOf(processId: string): Promise<Room[]>;
  /** The members of a room this process ended have been told: nothing is left for a survivor to do. */
  told(roomIds: readonly string[]): Promise<void>;
  /**
   * Takes the endings a dead process made but did not live to tell. Always none with one process
   * (its death takes every socket with it).
   */
  untoldOf(processId: string): Promise<UntoldEnding[]>;
  /**
   * Starts a ring unless its id is another ring's (callers may choose it), or either side is in a
   * room or already in a ring (one ring per user, as caller or callee). It is forgotten after
   * `ttlMs` if nobody ends it (its process died).
   */
  ring(ring: Ring, ttlMs: number): Promise<RingResult>;
  ringOf(userId: string): Promise<Ring | null>;
  /**
   * Ends a ring: only the one call that actually ended it gets it back (accept, decline, cancel,
   * timeout). With `by`, only when that user is that side of it (a callee answers, a caller hangs up).
   */
  takeRing(ringId: string, by?: RingSide): Promise<Ring | null>;
  /**
   * A room for two chosen users (an answered call `callId`), without a category: out of the
   * queue both, `initiator` sends the first offer. Null when either is in a room already.
   */
  pair(initiator: Member, other: Member, callId: string): Promise<Room | null>;
  /** Users queued per category slug; a user in several categories counts in each. */
  waitingByCategory(): Promise<Map<string, number>>;
  counts(): Promise<{ queued: number; rooms: number }>;
}

/**
 * A member read back from storage: Lua's cjson writes an empty array as `{}` (a Lua table does not
 * know which it was), and a room saved by an older version has no languages or bio at all.
 */
export function storedMember(m: Member): Member {
  return {
    id: m.id,
    displayName: m.displayName,
    languages: Array.isArray(m.languages) ? m.languages : [],
    bio: typeof m.bio === 'string' ? m.bio : '',
  };
}

/** Two users may meet when they share a language, or when either named none. */
export function compatible(a: readonly string[], b: readonly string[]): boolean {
  return a.length === 0 || b.length === 0 || a.some((code) => b.includes(code));
}

/** The pseudo-category of widened searches: not a slug, so no real category can collide with it. */
export const WIDENED = '*';

export function peerOf(room: Room, userId: string): Member {
  const [a, b] = room.members;
  return a.id === userId ? b : a;
}
