import type { Peer, ServerMessage } from '@small-talk/protocol';
import { DEFAULT_RING_TIMEOUT_MS } from '../defaults.js';
import { SmallTalkError } from '../errors.js';
import { Emitter } from '../events.js';
import { Requests } from '../socket/requests.js';
import { SocketEvent, type Socket, type SocketState, type SocketStateInfo } from '../socket/socket.js';
import { Ringing } from './ringing.js';
import { FriendsEvent, type DirectCall, type FriendsEventCallbacks, type FriendsOptions } from './types.js';

export * from './types.js';

/**
 * Friends on top of a Socket: live friend requests, presence, and direct calls (ring a friend,
 * answer a friend's ring; see Ringing). The lists themselves come over HTTP (`GET /api/friends`),
 * which is the app's. An answered call becomes a room like a matched one: Matchmaking gets its
 * `matched` (with `category: null` and the call's `callId`) and the app starts its Call there.
 */
export class Friends extends Emitter<FriendsEventCallbacks> {
  private readonly ringing: Ringing;
  private readonly requests: Requests;
  private readonly unsubscribe: Array<() => void>;

  constructor(
    readonly socket: Socket,
    options: FriendsOptions = {},
  ) {
    super();
    this.requests = new Requests(socket, 'f');
    this.ringing = new Ringing({
      requests: this.requests,
      isOpen: () => socket.state === 'open',
      ringTimeoutMs: options.ringTimeoutMs ?? DEFAULT_RING_TIMEOUT_MS,
      changed: (call, ended) => {
        this.emit(FriendsEvent.DirectCall, call);
        if (ended) this.emit(FriendsEvent.CallEnded, ended);
      },
      failed: (error) => this.emit(FriendsEvent.Error, error),
    });
    this.unsubscribe = [
      socket.on(SocketEvent.Message, (message) => this.onMessage(message)),
      socket.on(SocketEvent.State, (state, info) => this.onSocketState(state, info)),
    ];
  }

  /** The direct call that rings, either way; null when there is none. */
  get directCall(): DirectCall | null {
    return this.ringing.directCall;
  }

  /**
   * Rings a friend: `calling`, then `ringing` once the server confirms, or CallEnded at once
   * (`busy`, `offline`), or Error (`not_friends`, `busy`: this user is in a room). Sent once the
   * socket is open if it isn't yet. When the friend accepts, Matchmaking announces the room.
   * @throws SmallTalkError `busy` while a direct call rings, either way (hangUp() or decline() first).
   */
  call(peer: Peer): void {
    if (this.ringing.directCall)
      throw new SmallTalkError('busy', 'a direct call is ringing already: hang up or answer it first');
    this.ringing.call(peer);
  }

  /** Picks up the incoming call: both get `matched` (category null). Does nothing without an incoming call. */
  accept(): void {
    this.ringing.accept();
  }

  /** Turns down the incoming call: CallEnded (`declined`) at once. Does nothing without one, or once accepted. */
  decline(): void {
    this.ringing.decline();
  }

  /** Hangs up the outgoing call before an answer: CallEnded (`cancelled`) at once. Does nothing without one. */
  hangUp(): void {
    this.ringing.hangUp();
  }

  /**
   * Whether the room of the direct call `callId` (`matched.callId`) is wanted: the call this user
   * made or accepted, not one it hung up as the friend accepted (the two frames crossing on the
   * wire). SmallTalkClient gives it to Matchmaking, which leaves an unwanted room at once.
   */
  acceptsCall(callId: string): boolean {
    return this.ringing.acceptsCall(callId);
  }

  /** Stops listening to the socket; the socket itself stays as it is. */
  dispose(): void {
    for (const off of this.unsubscribe) off();
    this.requests.dispose();
    this.ringing.dispose();
  }

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
      case 'incoming_call':
        return this.ringing.incoming(message.callId, message.peer);
      case 'call_ended':
        return this.ringing.ended(message.callId, message.reason);
      case 'matched':
        return this.ringing.matched(message);
      default:
        // The queue's and the room's frames are Matchmaking's, on the same socket.
        return;
    }
  }

  private onSocketState(state: SocketState, info: SocketStateInfo): void {
    if (state === 'open') return this.ringing.opened();
    if (state === 'connecting') return;
    this.ringing.lost(state === 'closed', info.reason === 'client');
  }
}
