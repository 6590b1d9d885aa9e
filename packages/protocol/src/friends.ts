import { z } from 'zod';
import { Id, IsoTimestamp, Peer } from './common.js';

/**
 * Friends: people a user met in a room and chose to keep. Shared by the HTTP bodies (lists,
 * requests) and the socket frames (live requests, presence, direct calls).
 */

/** Where a friend is now: `online` can be called; `in_call` answers `busy`; `offline` has no socket. */
export const Presence = z.enum(['online', 'in_call', 'offline']);
export type Presence = z.infer<typeof Presence>;

export const Friend = z.object({
  user: Peer,
  presence: Presence,
  /** When the two became friends. */
  since: IsoTimestamp,
});
export type Friend = z.infer<typeof Friend>;

/** A request waiting for `to` to accept or decline. */
export const FriendRequest = z.object({
  id: Id,
  from: Peer,
  to: Peer,
  createdAt: IsoTimestamp,
});
export type FriendRequest = z.infer<typeof FriendRequest>;

/** Why a direct call ended before both were in a room. */
export const CallEndReason = z.enum([
  /** The callee said no. */
  'declined',
  /** The callee (or, after accepting, either side) is in another call or already ringing. */
  'busy',
  /** Nobody answered within the ringing time (30 s). */
  'no_answer',
  /** The caller hung up before an answer, or went away. */
  'cancelled',
  /** The callee has no open socket, or lost it while ringing. */
  'offline',
]);
export type CallEndReason = z.infer<typeof CallEndReason>;

/** How long a direct call rings before it ends as `no_answer`. */
export const RING_TIMEOUT_MS = 30_000;
