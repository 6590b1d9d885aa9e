import type { EndReason, MatchedEvent, ServerMessage } from '@small-talk/protocol';
import { DEFAULT_EARLY_SIGNAL_LIMIT, DEFAULT_OUTBOX_LIMIT, DEFAULT_RESUME_WAIT_MS } from '../defaults.js';
import { SmallTalkError } from '../errors.js';
import { Emitter } from '../events.js';
import { Requests, isAnswer } from '../socket/requests.js';
import { SocketEvent, type Socket } from '../socket/socket.js';
import { Queue } from './queue.js';
import { Resume } from './resume.js';
import { RoomChannel, roomOf } from './room-channel.js';
import {
  MATCHMAKING_FRAMES,
  MatchmakingEvent,
  type JoinOptions,
  type MatchmakingEventCallbacks,
  type MatchmakingOptions,
  type MatchmakingState,
  type Room,
  type RoomSignaling,
} from './types.js';

export * from './types.js';

/**
 * The queue and the room on top of a Socket: join, cancel, next, leave, chat; and, across a
 * dropped socket, the room's resume (or the queue entry joined again, since the server drops it).
 * Each request (`join`, `cancel`, `leave`) carries a ref, and its answer goes to the code that
 * sent it (see Requests): an answer to a request that no longer matters is simply dropped there.
 */
export class Matchmaking extends Emitter<MatchmakingEventCallbacks> {
  private _state: MatchmakingState = 'idle';
  private readonly queue: Queue;
  private readonly resume: Resume;
  private readonly channel: RoomChannel;
  private readonly requests: Requests;
  private readonly acceptsCall: (callId: string) => boolean;
  private readonly unsubscribe: Array<() => void>;

  constructor(
    readonly socket: Socket,
    options: MatchmakingOptions = {},
  ) {
    super();
    this.resume = new Resume(options.resumeWaitMs ?? DEFAULT_RESUME_WAIT_MS, {
      resumed: (message) => {
        const room = roomOf(message);
        this.channel.enter(room, this.channel.rejoined);
        this.emit(MatchmakingEvent.Matched, { ...room, resumed: true, rejoined: false });
        this.channel.flush();
      },
      leave: (roomId) => this.requests.send({ type: 'leave', roomId }),
      lost: (roomId) => this.onRoomEnded(roomId, 'lost'),
      done: () => this._state === 'queued' && this.queue.send(),
    });
    this.acceptsCall = options.acceptsCall ?? (() => true);
    this.channel = new RoomChannel(socket, {
      outboxLimit: options.outboxLimit ?? DEFAULT_OUTBOX_LIMIT,
      earlySignalLimit: options.earlySignalLimit ?? DEFAULT_EARLY_SIGNAL_LIMIT,
      canSend: () => this.canSend(),
      chat: (chat) => this.emit(MatchmakingEvent.Chat, chat),
      typing: (event) => this.emit(MatchmakingEvent.Typing, event),
    });
    this.requests = new Requests(socket, 'm');
    this.queue = new Queue(this.requests, options.now ?? Date.now, {
      queued: (categories) => this._state === 'queued' && this.emit(MatchmakingEvent.Queued, categories),
      refused: (error) => {
        if (this._state === 'queued') this.setState('idle');
        this.emit(MatchmakingEvent.Error, error);
      },
      error: (error) => this.emit(MatchmakingEvent.Error, error),
    });
    this.unsubscribe = [
      socket.on(SocketEvent.Message, (message) => this.onMessage(message)),
      // Closed for good: the server will drop our queue entry and, after the grace, our room.
      // `client`: the app closed the socket on purpose and knows; otherwise tell it the room is gone.
      socket.on(SocketEvent.State, (state, info) => state === 'closed' && this.dropAll(info.reason !== 'client')),
    ];
  }

  get state(): MatchmakingState {
    return this._state;
  }

  /** The categories of the last join(), which next() joins again. */
  get categories(): readonly string[] {
    return this.queue.categories;
  }

  /** Whether the last join() asked to meet anyone after a while; next() asks the same. */
  get anyone(): boolean {
    return this.queue.anyone;
  }

  /** While `queued`: the server widened the search beyond the categories (MatchmakingEvent.Widened). */
  get widened(): boolean {
    return this._state === 'queued' && this.queue.widened;
  }

  /** When the user started waiting (ms since the epoch), while `queued`; kept across a reconnect. */
  get queuedAt(): number | null {
    return this.queue.queuedAt;
  }

  /** How long the user has been waiting, while `queued`. */
  get queuedMs(): number | null {
    return this.queue.waitedMs;
  }

  get room(): Room | null {
    return this.channel.room;
  }

  /** The current room is one the server gave back to this client, new to it (Matched.rejoined). */
  get rejoined(): boolean {
    return this.channel.rejoined;
  }

  /**
   * Queues for a match in `categories` (slugs, best first), with `anyone` to meet anyone after a
   * while (JoinOptions). While queued, replaces the categories. Sent once the socket is open if it isn't yet.
   * @throws SmallTalkError `busy` while in a room (leave() or next() first), `bad_request` for 0 or over 10 categories.
   */
  join(categories: readonly string[], options: JoinOptions = {}): void {
    if (this._state === 'matched')
      throw new SmallTalkError('busy', 'leave the room before joining again, or call next()');
    this.queue.ask(categories, options, this._state !== 'queued');
    this.setState('queued');
    if (this.canSend()) this.queue.send();
  }

  /** Leaves the queue. */
  cancel(): void {
    if (this._state !== 'queued') return;
    this.setState('idle');
    // Off the socket, the server dropped the queue entry already. A match that crosses the
    // cancel on the wire is left at once (onMatched: not queued any more).
    this.queue.cancel(this.canSend());
  }

  /** Leaves the room (`left` at once); the server frees the peer (`peer_left`). */
  leave(): void {
    if (!this.channel.room) return;
    this.leaveRoom();
    this.setState('idle');
  }

  /**
   * Skip to someone new at once: leaves the room (if any) and joins again with the same
   * categories and `anyone`, in one step (the server handles the two frames in order).
   * @throws SmallTalkError `bad_request` if nothing was ever joined.
   */
  next(): void {
    if (this.queue.categories.length === 0) throw new SmallTalkError('bad_request', 'join once before calling next()');
    if (this._state === 'queued') return;
    this.leaveRoom();
    this._state = 'idle'; // join() below announces `queued`; `idle` in between would flash in a UI
    this.join(this.queue.categories, { anyone: this.queue.anyone });
  }

  /**
   * Sends a chat message to the peer. Kept and sent after a resume if the socket is away.
   * @returns false if there is no room or the outbox is full.
   * @throws SmallTalkError `bad_request` for an empty text or one over 1000 characters.
   */
  sendChat(text: string): boolean {
    return this.channel.chat(text);
  }

  /** Tells the peer this user is typing. Not kept across a drop: it would be stale. */
  sendTyping(): void {
    const room = this.channel.room;
    if (room && this.canSend()) this.socket.send({ type: 'typing', roomId: room.roomId });
  }

  /**
   * Signaling bound to a room (the current one by default), for a Call. Signals that
   * arrived before the first onSignal() subscriber are replayed to it, in order.
   * @throws SmallTalkError `not_in_room` when there is no such current room.
   */
  signaling(roomId: string | undefined = this.channel.room?.roomId): RoomSignaling {
    return this.channel.signaling(roomId);
  }

  /** Stops listening to the socket; the socket itself stays as it is. */
  dispose(): void {
    for (const off of this.unsubscribe) off();
    this.requests.dispose();
    this.resume.stop(true);
    this.channel.dispose();
  }

  // ---- socket → state ------------------------------------------------------

  private onMessage(message: ServerMessage): void {
    if (message.type === 'welcome') return this.onWelcome();
    // Answers to requests go to the code that sent them (ours, or another part's).
    if (!MATCHMAKING_FRAMES.has(message.type) || isAnswer(message)) return;
    if (this.resume.pending && this.resume.settle(message)) return;
    switch (message.type) {
      case 'widened':
        // Late for an entry that is over (matched, cancelled): nothing widened.
        if (this._state === 'queued' && this.queue.widen()) this.emit(MatchmakingEvent.Widened);
        return;
      case 'matched':
        return this.onMatched(message);
      case 'signal':
      case 'chat':
      case 'typing':
        return this.channel.receive(message);
      case 'left': // without a ref: the server ended the room for this user (a block, a report)
        return this.onRoomEnded(message.roomId, null);
      case 'peer_left':
        return this.onRoomEnded(message.roomId, message.reason);
      case 'error':
        // Without a ref: a room frame refused, or the rate limit. A room frame that crossed its
        // room's end (`not_in_room` with no room) concerns nothing any more.
        if (message.code === 'not_in_room' && !this.channel.room) return;
        return this.emit(MatchmakingEvent.Error, { code: message.code, message: message.message });
      case 'restricted':
        // Out of the queue and its room (the peer was told `peer_left`); joining again would be refused.
        return this.dropAll(true);
      default: // `queued`, `cancelled`: answers, handled above; friends' and calls' frames: Friends'
        return;
    }
  }

  /** Out of the queue and the room, as the server has it now; RoomLost if `tell` and there was a room. */
  private dropAll(tell: boolean): void {
    this.resume.stop(true);
    this.queue.end();
    const room = this.channel.end();
    if (this._state !== 'idle') this.setState('idle');
    if (room && tell) this.emit(MatchmakingEvent.RoomLost, { roomId: room.roomId });
  }

  /**
   * A new socket is ready. With a room (or one left meanwhile), wait for its `matched` (resumed)
   * first: a `join` now would be `busy`. Only queued, join again (the server dropped the entry).
   * A match made as the socket dropped comes back `matched` (resumed), and the join's `busy` is dropped.
   */
  private onWelcome(): void {
    this.queue.forget();
    if (this.resume.start(this.channel.room?.roomId ?? null)) return;
    if (this._state === 'queued') this.queue.send();
  }

  private onMatched(message: MatchedEvent): void {
    const { roomId } = message;
    if (this.resume.isLeft(roomId) || this.channel.room?.roomId === roomId) return;
    // A queue's room is wanted while queued (not after a cancel it crossed on the wire); a direct
    // call's room (it names its call), whether idle or queued, if this user made or accepted the call.
    const wanted =
      message.callId === undefined ? this._state === 'queued' : !this.channel.room && this.acceptsCall(message.callId);
    if (!message.resumed && !wanted) {
      // Leave it at once, so the peer is freed now rather than after a call that never starts.
      this.requests.send({ type: 'leave', roomId });
      return;
    }
    // The server moved us to another room (only a takeover race can do this): the old one is gone for us.
    const old = this.channel.end();
    if (old) this.emit(MatchmakingEvent.RoomLost, { roomId: old.roomId });
    const room = roomOf(message);
    this.channel.enter(room, message.resumed);
    this.queue.end();
    this.setState('matched');
    this.emit(MatchmakingEvent.Matched, { ...room, resumed: false, rejoined: message.resumed });
  }

  /** The room ended: the server took us out (`left`), the peer went (`peer_left`), or the resume failed (`lost`). */
  private onRoomEnded(roomId: string, reason: EndReason | 'lost' | null): void {
    // A room that is over for us already (we left it, and the app was told `left` then).
    if (this.channel.room?.roomId !== roomId) return;
    this.channel.end();
    this.setState('idle');
    if (reason === null) this.emit(MatchmakingEvent.Left, { roomId });
    else if (reason === 'lost') this.emit(MatchmakingEvent.RoomLost, { roomId });
    else this.emit(MatchmakingEvent.PeerLeft, { roomId, reason });
  }

  /** The socket is open and no resume is pending: frames sent now reach the right room. */
  private canSend(): boolean {
    return this.socket.state === 'open' && !this.resume.pending;
  }

  /** Ends our side of the current room and tells the server (now, or once back if away). */
  private leaveRoom(): void {
    const room = this.channel.end();
    if (!room) return;
    // Off the socket (or waiting for the room back): left on the server once back (see Resume).
    if (this.canSend())
      this.requests.send({ type: 'leave', roomId: room.roomId }, (answer) => this.queue.reportError(answer));
    else this.resume.leftWhileAway(room.roomId);
    this.emit(MatchmakingEvent.Left, { roomId: room.roomId });
  }

  private setState(state: MatchmakingState): void {
    if (this._state === state) return;
    this._state = state;
    this.emit(MatchmakingEvent.State, state);
  }
}
