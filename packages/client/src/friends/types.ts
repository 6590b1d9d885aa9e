import type { CallEndReason, ErrorCode, Friend, FriendRequest, Peer, Presence } from '@small-talk/protocol';

export type DirectCallDirection = 'outgoing' | 'incoming';

/** A direct call that rings: this user called a friend (`outgoing`), or a friend calls it (`incoming`). */
export interface DirectCall {
  /**
   * The ring's id (`callId` in every frame about it: the SDK chooses it for an outgoing call, the
   * server gives it for an incoming one); null until `call_ringing` confirms an outgoing call.
   */
  callId: string | null;
  direction: DirectCallDirection;
  /** The friend on the other side. */
  peer: Peer;
  /**
   * Outgoing: `calling` until the server says the friend's app rings, then `ringing`.
   * Incoming: `ringing` (also after accept(), until the room's `matched` arrives).
   */
  state: 'calling' | 'ringing';
}

/** Why a direct call ended before it became a room. */
export interface DirectCallEnded {
  /** The ring's id; null when an outgoing call ended (hangUp(), the socket) before the server confirmed it. */
  callId: string | null;
  peer: Peer;
  /**
   * The server's reason, or the SDK's own, as the protocol defines each:
   * - hangUp(): `cancelled`; decline(): `declined`;
   * - the socket stopped being open (the server ends the ring with it): `cancelled` for an
   *   outgoing call (the caller went away) and `offline` for an incoming one (the callee lost
   *   its socket while ringing), the reasons the friend is given;
   * - no word from the server within ringTimeoutMs: `no_answer`.
   */
  reason: CallEndReason;
  direction: DirectCallDirection;
}

export enum FriendsEvent {
  /** (request) someone sent this user a friend request, live. */
  Request = 'request',
  /** ({requestId, reason}) a request this user sent was declined, or one it received was withdrawn. */
  RequestClosed = 'requestClosed',
  /** (friend) a request was accepted, either way: `friend` is the other user. */
  Added = 'added',
  /** ({userId}) the friendship with `userId` ended. */
  Removed = 'removed',
  /** ({userId, presence}) a friend's presence changed. */
  Presence = 'presence',
  /** (call | null) every change of `directCall`. */
  DirectCall = 'directCall',
  /**
   * ({callId, peer, reason, direction}) the direct call ended without a room; right after
   * DirectCall null. Not emitted when the call became a room (`matched`), nor when the app
   * closed the socket itself.
   */
  CallEnded = 'callEnded',
  /**
   * ({code, message}) an `error` frame answering call(), or accept() of a call that no longer
   * rang (`not_found`); the direct call is over (DirectCall null first). Answers to frames of
   * a call the SDK has already ended (after hangUp() or decline()) are dropped.
   */
  Error = 'error',
}

export type FriendsEventCallbacks = {
  [FriendsEvent.Request]: (request: FriendRequest) => void;
  [FriendsEvent.RequestClosed]: (event: { requestId: string; reason: 'declined' | 'cancelled' }) => void;
  [FriendsEvent.Added]: (friend: Friend) => void;
  [FriendsEvent.Removed]: (event: { userId: string }) => void;
  [FriendsEvent.Presence]: (event: { userId: string; presence: Presence }) => void;
  [FriendsEvent.DirectCall]: (call: DirectCall | null) => void;
  [FriendsEvent.CallEnded]: (event: DirectCallEnded) => void;
  [FriendsEvent.Error]: (error: { code: ErrorCode; message: string }) => void;
};

export interface FriendsOptions {
  /** How long a direct call may ring with no word from the server before it is dropped as `no_answer`. */
  ringTimeoutMs?: number;
}
