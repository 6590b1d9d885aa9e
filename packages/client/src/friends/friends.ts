import type {
  CallEndReason,
  ErrorCode,
  ErrorEvent,
  Friend,
  FriendRequest,
  MatchedEvent,
  Peer,
  Presence,
  ServerMessage,
  ServerMessageType,
} from '@small-talk/protocol';
import { DEFAULT_RING_TIMEOUT_MS } from '../defaults.js';
import { SmallTalkError } from '../errors.js';
import { Emitter } from '../events.js';
import { SocketEvent, type Socket, type SocketState, type SocketStateInfo } from '../socket/socket.js';

export type DirectCallDirection = 'outgoing' | 'incoming';

/** A direct call that rings: this user called a friend (`outgoing`), or a friend calls it (`incoming`). */
export interface DirectCall {
  /** The server's id of the call; null until `call_ringing` confirms an outgoing call. */
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
  /** The server's id of the call; null when it ended before the server named it. */
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
   * a call the SDK has already ended (after hangUp() or decline()) are absorbed.
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

type Timer = ReturnType<typeof setTimeout>;

const FRIENDS_FRAMES: ReadonlySet<ServerMessageType> = new Set<ServerMessageType>([
  'friend_request',
  'friend_request_closed',
  'friend_added',
  'friend_removed',
  'presence',
  'call_ringing',
  'incoming_call',
  'call_ended',
]);

/** Frames only Friends handles: they say nothing about the queue or a room. */
export function isFriendsFrame(message: ServerMessage): boolean {
  return FRIENDS_FRAMES.has(message.type);
}

/**
 * Friends on top of a Socket: live friend requests, presence, and direct calls (ring a friend,
 * answer a friend's ring). The lists themselves come over HTTP (`GET /api/friends`), which is
 * the app's. An answered call becomes a room like a matched one: Matchmaking gets its `matched`
 * (with `category: null`) and the app starts its Call there.
 *
 * The server's answers to `call` carry no id of the frame they answer, so the SDK keeps at
 * most one `call` on the wire: a call made while the previous one, already hung up, awaits
 * its answer is sent once that answer arrives.
 */
export class Friends extends Emitter<FriendsEventCallbacks> {
  private _directCall: DirectCall | null = null;
  /** The incoming call was accepted: waiting for its room's `matched`. */
  private accepted = false;
  /** The outgoing call's `call` frame went out (else it waits for the socket, or for the previous call's answer). */
  private callSent = false;
  /**
   * The `call` frame on the wire, until `call_ringing`, `call_ended` or an `error` answers it.
   * `abandoned`: the user hung up (or a ring replaced it) first; its answer is absorbed, and a
   * `call_ringing` gets `cancel_call`.
   */
  private unanswered: { peerId: string; abandoned: boolean } | null = null;
  /**
   * The friend of the last call this user ended before an answer. Its callee may have accepted
   * as our cancel crossed on the wire: a room with that friend is not wanted (see refusesRoom).
   */
  private hungUpPeerId: string | null = null;
  private ringTimer: Timer | null = null;
  /** Verdicts on frames Matchmaking sees too, made once, on the state before either handled the frame. */
  private readonly verdicts = new WeakMap<ServerMessage, boolean>();
  /** expectsRoom's, apart: refusesRoom asks about the same `matched` frame. */
  private readonly expectations = new WeakMap<ServerMessage, boolean>();
  private readonly ringTimeoutMs: number;
  private readonly unsubscribe: Array<() => void>;

  constructor(
    readonly socket: Socket,
    options: FriendsOptions = {},
  ) {
    super();
    this.ringTimeoutMs = options.ringTimeoutMs ?? DEFAULT_RING_TIMEOUT_MS;
    this.unsubscribe = [
      socket.on(SocketEvent.Message, (message) => this.onMessage(message)),
      socket.on(SocketEvent.State, (state, info) => this.onSocketState(state, info)),
    ];
  }

  /** The direct call that rings, either way; null when there is none. */
  get directCall(): DirectCall | null {
    return this._directCall;
  }

  /**
   * Rings a friend: `calling`, then `ringing` once the server confirms, or CallEnded at once
   * (`busy`, `offline`), or Error (`not_friends`, `busy`: this user is in a room). Sent once the
   * socket is open if it isn't yet. When the friend accepts, Matchmaking announces the room.
   * @throws SmallTalkError `busy` while a direct call rings, either way (hangUp() or decline() first).
   */
  call(peer: Peer): void {
    if (this._directCall) throw new SmallTalkError('busy', 'a direct call is ringing already: hang up or answer it first');
    // A room with this friend would now come from this call, not from one hung up before.
    if (this.hungUpPeerId === peer.id) this.hungUpPeerId = null;
    this.start({ callId: null, direction: 'outgoing', peer, state: 'calling' });
  }

  /** Picks up the incoming call: both get `matched` (category null). Does nothing without an incoming call. */
  accept(): void {
    const call = this._directCall;
    if (call?.direction !== 'incoming' || call.callId === null || this.accepted) return;
    this.accepted = true;
    this.socket.send({ type: 'accept_call', callId: call.callId });
  }

  /** Turns down the incoming call: CallEnded (`declined`) at once. Does nothing without one, or once accepted. */
  decline(): void {
    const call = this._directCall;
    if (call?.direction !== 'incoming' || call.callId === null || this.accepted) return;
    this.socket.send({ type: 'decline_call', callId: call.callId });
    this.end({ reason: 'declined' });
  }

  /**
   * Hangs up the outgoing call before an answer: CallEnded (`cancelled`) at once. Before
   * `call_ringing` named it, the server is told as soon as it does. Does nothing without one.
   */
  hangUp(): void {
    const call = this._directCall;
    if (call?.direction !== 'outgoing') return;
    this.abandonOutgoing(call);
    this.end({ reason: 'cancelled' });
  }

  /**
   * Whether an `error` frame answers a frame of Friends (and so is not Matchmaking's to
   * report): `not_friends` and `not_found` always (only direct calls earn them), `busy`,
   * `bad_request` and `verification_required` while a `call` awaits its answer. Used by Matchmaking on the same socket.
   */
  ownsError(frame: ErrorEvent): boolean {
    return this.verdict(frame, () => {
      switch (frame.code) {
        case 'not_friends':
        case 'not_found':
          return true;
        case 'busy':
        case 'bad_request':
        case 'verification_required':
          return this.unanswered !== null;
        default:
          return false;
      }
    });
  }

  /**
   * Whether a new room is one this user no longer wants: the friend accepted a call this user
   * had just hung up, the two frames crossing on the wire. Matchmaking leaves such a room at
   * once instead of announcing it.
   */
  refusesRoom(frame: MatchedEvent): boolean {
    return this.verdict(frame, () => frame.category === null && !frame.resumed && frame.peer.id === this.hungUpPeerId);
  }

  /**
   * Whether a new room without a category is this user's direct call: a call with that peer was
   * ringing, either way. Otherwise such a room came from a search that widened (Matchmaking).
   */
  expectsRoom(frame: MatchedEvent): boolean {
    return this.verdict(frame, () => frame.category === null && this._directCall?.peer.id === frame.peer.id, this.expectations);
  }

  /** Stops listening to the socket; the socket itself stays as it is. */
  dispose(): void {
    for (const off of this.unsubscribe) off();
    this.clearRingTimer();
  }

  // ---- socket → state ------------------------------------------------------

  private onMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'friend_request':
        return this.emit(FriendsEvent.Request, message.request);
      case 'friend_request_closed':
        return this.emit(FriendsEvent.RequestClosed, { requestId: message.requestId, reason: message.reason });
      case 'friend_added':
        return this.emit(FriendsEvent.Added, message.friend);
      case 'friend_removed':
        return this.emit(FriendsEvent.Removed, { userId: message.userId });
      case 'presence':
        return this.emit(FriendsEvent.Presence, { userId: message.userId, presence: message.presence });
      case 'call_ringing':
        return this.onRinging(message.callId, message.peer);
      case 'incoming_call':
        return this.onIncoming(message.callId, message.peer);
      case 'call_ended':
        return this.onCallEnded(message.callId, message.peer, message.reason);
      case 'matched':
        return this.onMatched(message);
      case 'error':
        return this.onError(message);
    }
  }

  /**
   * The socket stopped being open: the server ended the ring with it (the friend is told
   * `cancelled` if this user called, the caller `offline` if this user was called). An outgoing
   * call whose frame never went out waits for the socket instead, as a join does.
   */
  private onSocketState(state: SocketState, info: SocketStateInfo): void {
    if (state === 'open') return this.sendCall();
    if (state === 'connecting') return;
    this.unanswered = null;
    this.hungUpPeerId = null;
    const call = this._directCall;
    if (!call) return;
    if (state === 'reconnecting' && call.direction === 'outgoing' && !this.callSent) return;
    // `client`: the app closed the socket on purpose and knows.
    if (info.reason === 'client') return this.end(null);
    this.end({ reason: call.direction === 'outgoing' ? 'cancelled' : 'offline' });
  }

  private onRinging(callId: string, peer: Peer): void {
    const pending = this.unanswered;
    if (!pending) return; // no `call` of ours awaits an answer
    this.unanswered = null;
    const call = this._directCall;
    if (pending.abandoned || call?.direction !== 'outgoing' || call.callId !== null) {
      // Hung up before the server named the call: tell it now, then send a call made meanwhile.
      this.socket.send({ type: 'cancel_call', callId });
      this.sendCall();
      return;
    }
    this._directCall = { callId, direction: 'outgoing', peer, state: 'ringing' };
    this.armRingTimer(); // the server's own ring time starts now
    this.emit(FriendsEvent.DirectCall, this._directCall);
  }

  private onIncoming(callId: string, peer: Peer): void {
    const current = this._directCall;
    if (current?.callId === callId) return;
    // One ring per user on the server: with a ring for us there, our own `call` still on the
    // wire will be refused as `busy` (absorbed), and an outgoing ring is over. The incoming
    // call takes the place of either without a CallEnded: often the two friends called each
    // other at the same moment.
    if (current?.direction === 'outgoing') this.abandonOutgoing(current);
    if (this.hungUpPeerId === peer.id) this.hungUpPeerId = null;
    this.start({ callId, direction: 'incoming', peer, state: 'ringing' });
  }

  private onCallEnded(callId: string, peer: Peer, reason: CallEndReason): void {
    const call = this._directCall;
    if (call?.callId === callId) return this.end({ reason });
    const pending = this.unanswered;
    if (pending?.peerId !== peer.id) return; // a call this side ended already
    // The answer to our `call` (busy, offline): no ring was started.
    this.unanswered = null;
    if (!pending.abandoned && call?.direction === 'outgoing' && call.callId === null) return this.end({ reason, callId });
    this.sendCall();
  }

  private onMatched(frame: MatchedEvent): void {
    this.expectsRoom(frame); // decided on the ring as it was, before this ends it
    const call = this._directCall;
    if (!call) return;
    if (frame.category !== null || frame.peer.id !== call.peer.id) {
      // Another room (the queue matched the user meanwhile): the friend must stop ringing.
      if (call.direction === 'outgoing') this.abandonOutgoing(call);
      else if (call.callId !== null && !this.accepted) this.socket.send({ type: 'decline_call', callId: call.callId });
    } else if (call.direction === 'outgoing' && this.unanswered && !this.unanswered.abandoned) {
      // The room came before `call_ringing` (a cluster can reorder them): that answer is moot.
      this.unanswered.abandoned = true;
    }
    // The call became a room, or gave way to one: no CallEnded.
    this.end(null);
  }

  private onError(frame: ErrorEvent): void {
    if (!this.ownsError(frame)) return;
    const error = { code: frame.code, message: frame.message };
    if (frame.code === 'not_found') {
      // Our accept came too late: the ring ended as it crossed the wire. A `not_found` for a
      // decline or cancel concerns a call the SDK ended already, and is absorbed.
      if (this._directCall?.direction === 'incoming' && this.accepted) {
        this.end(null);
        this.emit(FriendsEvent.Error, error);
      }
      return;
    }
    const pending = this.unanswered;
    if (!pending) return this.emit(FriendsEvent.Error, error); // `not_friends` with no call of ours in flight
    this.unanswered = null;
    const call = this._directCall;
    if (!pending.abandoned && call?.direction === 'outgoing' && call.callId === null) {
      this.end(null);
      this.emit(FriendsEvent.Error, error);
      return;
    }
    this.sendCall();
  }

  // ---- helpers --------------------------------------------------------------

  private start(call: DirectCall): void {
    this._directCall = call;
    this.accepted = false;
    this.callSent = false;
    this.armRingTimer();
    this.sendCall();
    this.emit(FriendsEvent.DirectCall, call);
  }

  /** Sends the outgoing call's `call` frame, unless it went out already or must wait (the socket, the previous answer). */
  private sendCall(): void {
    const call = this._directCall;
    if (call?.direction !== 'outgoing' || this.callSent || this.unanswered || this.socket.state !== 'open') return;
    this.callSent = true;
    this.unanswered = { peerId: call.peer.id, abandoned: false };
    this.socket.send({ type: 'call', userId: call.peer.id });
  }

  /** Tells the server this user no longer wants its outgoing call (now, or once `call_ringing` names it). */
  private abandonOutgoing(call: DirectCall): void {
    this.hungUpPeerId = call.peer.id;
    if (call.callId !== null) this.socket.send({ type: 'cancel_call', callId: call.callId });
    else if (this.callSent && this.unanswered) this.unanswered.abandoned = true;
  }

  /** Clears the direct call: DirectCall null, then CallEnded unless `ended` is null. */
  private end(ended: { reason: CallEndReason; callId?: string } | null): void {
    const call = this._directCall;
    if (!call) return;
    this._directCall = null;
    this.accepted = false;
    this.callSent = false;
    this.clearRingTimer();
    this.emit(FriendsEvent.DirectCall, null);
    if (ended) {
      this.emit(FriendsEvent.CallEnded, { callId: ended.callId ?? call.callId, peer: call.peer, reason: ended.reason, direction: call.direction });
    }
  }

  /** No word from the server: its ring ended there (its process went away) or `call_ended` was lost. */
  private ringTimedOut(): void {
    this.ringTimer = null;
    const call = this._directCall;
    if (!call) return;
    if (call.direction === 'outgoing') this.abandonOutgoing(call);
    this.end({ reason: 'no_answer' });
  }

  private armRingTimer(): void {
    this.clearRingTimer();
    this.ringTimer = setTimeout(() => this.ringTimedOut(), this.ringTimeoutMs);
  }

  private clearRingTimer(): void {
    if (this.ringTimer) clearTimeout(this.ringTimer);
    this.ringTimer = null;
  }

  private verdict(frame: ServerMessage, decide: () => boolean, verdicts = this.verdicts): boolean {
    let verdict = verdicts.get(frame);
    if (verdict === undefined) {
      verdict = decide();
      verdicts.set(frame, verdict);
    }
    return verdict;
  }

}
