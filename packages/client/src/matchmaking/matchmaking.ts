import {
  MAX_CHAT_CHARS,
  MAX_JOIN_CATEGORIES,
  type ClientMessage,
  type ErrorCode,
  type IceTransportPolicy,
  type JsonValue,
  type MatchedPeer,
  type PeerLeftReason,
  type ServerMessage,
} from '@small-talk/protocol';
import { DEFAULT_EARLY_SIGNAL_LIMIT, DEFAULT_OUTBOX_LIMIT, DEFAULT_RESUME_WAIT_MS } from '../defaults.js';
import { SmallTalkError } from '../errors.js';
import { Emitter } from '../events.js';
import { isFriendsFrame, type Friends } from '../friends/friends.js';
import { SocketEvent, type Socket, type SocketState, type SocketStateInfo } from '../socket/socket.js';

export type MatchmakingState = 'idle' | 'queued' | 'matched';

/** The room the user is in: the peer, the shared category, and who sends the first offer. */
export interface Room {
  roomId: string;
  /** The peer as the server introduced it: name, languages, and bio (empty when none). */
  peer: MatchedPeer;
  /**
   * The category both share; null for a room made by a direct call (Friends), or by a search
   * that widened (`anyone`) to someone in none of the user's categories.
   */
  category: string | null;
  /**
   * True for a room made by a direct call between friends; false for one made by matching,
   * a widened search's included (whose category is null too).
   */
  direct: boolean;
  /** This side sends the first offer; in a Call it is the impolite side (polite = !initiator). */
  initiator: boolean;
  /**
   * The room's ICE policy, decided by the server: `relay` (TURN only, neither side learns the
   * other's address) for strangers when the server has TURN, `all` for friends' direct calls.
   * createCall() gives it to the Call.
   */
  iceTransportPolicy: IceTransportPolicy;
}

export interface Matched extends Room {
  /**
   * True when this client already had the room and it continues after a reconnect: keep
   * the Call. False for a room new to this client (a fresh match, or one taken over from
   * another socket of the same user): start a Call.
   */
  resumed: boolean;
  /**
   * A room this user was in before this client knew it: the server gave it back (`resumed`
   * on the wire) to a page reloaded mid-call, or to a tab that took over from another. It is
   * new here (`resumed` false: start a Call, whose createCall() asks the peer to start afresh
   * too), and the app shows its call screen rather than where it was.
   */
  rejoined: boolean;
}

export interface ChatReceived {
  roomId: string;
  from: string;
  text: string;
  sentAt: string;
}

export enum MatchmakingEvent {
  /** (state) every change of `state`. */
  State = 'state',
  /** (categories) the server confirmed the queue entry. */
  Queued = 'queued',
  /**
   * (matched) a room began, or continues after a reconnect (`resumed`). A direct call that was
   * answered (Friends) is a room too, with `category: null`, whether the user was idle or queued.
   */
  Matched = 'matched',
  /** ({roomId, reason}) the peer left or its grace ran out; the room is over. */
  PeerLeft = 'peerLeft',
  /** ({roomId}) this user left the room: emitted at once by leave() and next(), before the server confirms. */
  Left = 'left',
  /**
   * ({roomId}) back after a drop, the server no longer had the room: its grace ran out while
   * this client was away (the peer was told `peer_left`), or a restarted server lost it. The
   * peer-to-peer media may still flow, but nothing more can be signalled: the app decides
   * whether to keep the Call while its media lasts. Also when the server restricted this user
   * (a `restricted` frame): then the room is over and joining again is refused.
   */
  RoomLost = 'roomLost',
  /**
   * () the search widened: queued with `anyone` and unmatched for the server's FALLBACK_AFTER_MS,
   * the user may now meet anyone else whose search widened and who shares a language, in any
   * category (such a room has `category: null`). Once per queue entry; `widened` says it since.
   */
  Widened = 'widened',
  /** ({code, message}) an `error` frame meant for the app (see handleError for the ones absorbed). */
  Error = 'error',
  /** (chat) the peer's chat message. */
  Chat = 'chat',
  /** ({roomId, from}) the peer is typing. */
  Typing = 'typing',
}

export type MatchmakingEventCallbacks = {
  [MatchmakingEvent.State]: (state: MatchmakingState) => void;
  [MatchmakingEvent.Queued]: (categories: string[]) => void;
  [MatchmakingEvent.Matched]: (matched: Matched) => void;
  [MatchmakingEvent.PeerLeft]: (event: { roomId: string; reason: PeerLeftReason }) => void;
  [MatchmakingEvent.Left]: (event: { roomId: string }) => void;
  [MatchmakingEvent.RoomLost]: (event: { roomId: string }) => void;
  [MatchmakingEvent.Widened]: () => void;
  [MatchmakingEvent.Error]: (error: { code: ErrorCode; message: string }) => void;
  [MatchmakingEvent.Chat]: (chat: ChatReceived) => void;
  [MatchmakingEvent.Typing]: (event: { roomId: string; from: string }) => void;
};

/**
 * Signaling for one room, as a Call consumes it: `send` relays data to the peer, `onSignal`
 * gets the peer's data in the order sent. Bound to the room: once the room is over, sends
 * are dropped and nothing more arrives.
 */
export interface RoomSignaling {
  send(data: unknown): void;
  onSignal(listener: (data: unknown) => void): () => void;
}

export interface JoinOptions {
  /**
   * After the server's FALLBACK_AFTER_MS (10 s by default) without a match, meet anyone else
   * who said so and shares a language, whatever the categories. Default false, as in protocol v1.
   */
  anyone?: boolean;
}

export interface MatchmakingOptions {
  /** How long to wait for `matched` (resumed) after a reconnect's `welcome`. */
  resumeWaitMs?: number;
  /** Signal and chat frames kept while the socket is away. */
  outboxLimit?: number;
  /** Signals kept until the app's Call subscribes. */
  earlySignalLimit?: number;
  /**
   * The Friends on the same socket. Its direct calls answer with `error` frames the server sends
   * without saying which frame they answer; with it, those are Friends' to report, not ours, and a
   * room the user hung up on as its friend accepted is left at once. SmallTalkClient passes it.
   */
  friends?: Friends;
  /** Clock, for tests. */
  now?: () => number;
}

type RoomFrame = Extract<ClientMessage, { type: 'signal' | 'chat' }>;
type Timer = ReturnType<typeof setTimeout>;

/**
 * The queue and the room on top of a Socket: join, cancel, next, leave, chat; and, across a
 * dropped socket, the room's resume (or the queue entry re-joined, since the server drops it).
 */
export class Matchmaking extends Emitter<MatchmakingEventCallbacks> {
  private _state: MatchmakingState = 'idle';
  private _categories: string[] = [];
  private _anyone = false;
  /**
   * The server said `widened` for the current queue entry (or the one cancel() just ended, whose
   * widened match may cross the cancel on the wire).
   */
  private _widened = false;
  private _queuedAt: number | null = null;
  private _room: Room | null = null;
  /** The current room was given back by the server to this client, new to it (Matched.rejoined). */
  private _rejoined = false;
  /**
   * After a reconnect's `welcome`, the room we expect `matched` (resumed) for. `abandoned`:
   * the app left it while the socket was away, so it is left for real once back.
   */
  private resume: { roomId: string; abandoned: boolean; timer: Timer } | null = null;
  /** A room the app left while the socket was away; left on the server once back. */
  private abandonedRoomId: string | null = null;
  /** Rooms we sent `leave` for, until the server confirms (`left`, or `peer_left` if the peer's leave crossed ours). */
  private readonly leaving = new Set<string>();
  /** A `join` sent on our own after a reconnect: a `busy` answer is the race described in onWelcome. */
  private autoJoinPending = false;
  /** A `join` sent and not yet answered by `queued` (or an error). */
  private joinInFlight = false;
  /** cancel() sent and not yet answered: a `matched` in between is a room the user no longer wants. */
  private cancelInFlight = false;
  private outbox: RoomFrame[] = [];
  private earlySignals: unknown[] = [];
  private readonly signalListeners = new Set<{ roomId: string; listener: (data: unknown) => void }>();
  private readonly resumeWaitMs: number;
  private readonly outboxLimit: number;
  private readonly earlySignalLimit: number;
  private readonly now: () => number;
  private readonly friends: Friends | undefined;
  private readonly unsubscribe: Array<() => void>;

  constructor(
    readonly socket: Socket,
    options: MatchmakingOptions = {},
  ) {
    super();
    this.resumeWaitMs = options.resumeWaitMs ?? DEFAULT_RESUME_WAIT_MS;
    this.outboxLimit = options.outboxLimit ?? DEFAULT_OUTBOX_LIMIT;
    this.earlySignalLimit = options.earlySignalLimit ?? DEFAULT_EARLY_SIGNAL_LIMIT;
    this.now = options.now ?? Date.now;
    this.friends = options.friends;
    this.unsubscribe = [
      socket.on(SocketEvent.Message, (message) => this.onMessage(message)),
      socket.on(SocketEvent.State, (state, info) => this.onSocketState(state, info)),
    ];
  }

  get state(): MatchmakingState {
    return this._state;
  }

  /** The categories of the last join(), which next() joins again. */
  get categories(): readonly string[] {
    return this._categories;
  }

  /** Whether the last join() asked to meet anyone after a while; next() asks the same. */
  get anyone(): boolean {
    return this._anyone;
  }

  /** While `queued`: the server widened the search beyond the categories (MatchmakingEvent.Widened). */
  get widened(): boolean {
    return this._state === 'queued' && this._widened;
  }

  /** When the user started waiting (ms since the epoch), while `queued`; kept across a reconnect. */
  get queuedAt(): number | null {
    return this._queuedAt;
  }

  /** How long the user has been waiting, while `queued`. */
  get queuedMs(): number | null {
    return this._queuedAt === null ? null : this.now() - this._queuedAt;
  }

  get room(): Room | null {
    return this._room;
  }

  /** The current room is one the server gave back to this client, new to it (Matched.rejoined). */
  get rejoined(): boolean {
    return this._room !== null && this._rejoined;
  }

  /**
   * Queues for a match in `categories` (slugs, best first), with `anyone` to meet anyone after a
   * while (JoinOptions). While queued, replaces the categories. Sent once the socket is open if it isn't yet.
   * @throws SmallTalkError `busy` while in a room (leave() or next() first), `bad_request` for 0 or over 10 categories.
   */
  join(categories: readonly string[], options: JoinOptions = {}): void {
    if (this._state === 'matched') throw new SmallTalkError('busy', 'leave the room before joining again, or call next()');
    if (categories.length === 0 || categories.length > MAX_JOIN_CATEGORIES) {
      throw new SmallTalkError('bad_request', `join takes 1 to ${MAX_JOIN_CATEGORIES} categories`);
    }
    this._categories = [...categories];
    this._anyone = options.anyone ?? false;
    this.cancelInFlight = false;
    if (this._state !== 'queued') {
      this._queuedAt = this.now();
      this._widened = false;
      this.setState('queued');
    }
    if (this.canSend()) this.sendJoin(false);
  }

  /** Leaves the queue. */
  cancel(): void {
    if (this._state !== 'queued') return;
    this._queuedAt = null;
    this.setState('idle');
    // Off the socket, the server dropped the queue entry already.
    if (this.canSend()) {
      this.cancelInFlight = true;
      this.socket.send({ type: 'cancel' });
    }
  }

  /** Leaves the room (`left` at once); the server frees the peer (`peer_left`). */
  leave(): void {
    if (!this._room) return;
    this.leaveRoom();
    this.setState('idle');
  }

  /**
   * Skip to someone new at once: leaves the room (if any) and joins again with the same
   * categories and `anyone`, in one step (the server handles the two frames in order).
   * @throws SmallTalkError `bad_request` if nothing was ever joined.
   */
  next(): void {
    if (this._categories.length === 0) throw new SmallTalkError('bad_request', 'join once before calling next()');
    if (this._state === 'queued') return;
    if (this._room) this.leaveRoom();
    this._state = 'idle'; // join() below announces `queued`; `idle` in between would flash in a UI
    this.join(this._categories, { anyone: this._anyone });
  }

  /**
   * Sends a chat message to the peer. Kept and sent after a resume if the socket is away.
   * @returns false if there is no room or the outbox is full.
   */
  sendChat(text: string): boolean {
    if (text.length === 0 || text.length > MAX_CHAT_CHARS) {
      throw new SmallTalkError('bad_request', `a chat message is 1 to ${MAX_CHAT_CHARS} characters`);
    }
    if (!this._room) return false;
    return this.sendInRoom({ type: 'chat', roomId: this._room.roomId, text });
  }

  /** Tells the peer this user is typing. Not kept across a drop: it would be stale. */
  sendTyping(): void {
    if (this._room && this.canSend()) this.socket.send({ type: 'typing', roomId: this._room.roomId });
  }

  /**
   * Signaling bound to a room (the current one by default), for a Call. Signals that
   * arrived before the first onSignal() subscriber are replayed to it, in order.
   * @throws SmallTalkError `not_in_room` when there is no such current room.
   */
  signaling(roomId: string | undefined = this._room?.roomId): RoomSignaling {
    if (!roomId || this._room?.roomId !== roomId) throw new SmallTalkError('not_in_room', 'no current room to signal in');
    return {
      send: (data) => {
        if (this._room?.roomId === roomId) this.sendInRoom({ type: 'signal', roomId, data: data as JsonValue });
      },
      onSignal: (listener) => {
        const entry = { roomId, listener };
        this.signalListeners.add(entry);
        if (this._room?.roomId === roomId) {
          const early = this.earlySignals;
          this.earlySignals = [];
          for (const data of early) listener(data);
        }
        return () => {
          this.signalListeners.delete(entry);
        };
      },
    };
  }

  /** Stops listening to the socket; the socket itself stays as it is. */
  dispose(): void {
    for (const off of this.unsubscribe) off();
    this.clearResume();
    this.signalListeners.clear();
  }

  // ---- socket → state ------------------------------------------------------

  private onSocketState(state: SocketState, info: SocketStateInfo): void {
    if (state !== 'closed') return;
    // Closed for good: the server will drop our queue entry and, after the grace, our room.
    this.clearResume();
    this.autoJoinPending = false;
    this.joinInFlight = false;
    this.cancelInFlight = false;
    this.abandonedRoomId = null;
    this.leaving.clear();
    const room = this._room;
    this.endRoom();
    this._queuedAt = null;
    if (this._state !== 'idle') this.setState('idle');
    // `client`: the app closed the socket on purpose and knows; otherwise tell it the room is gone.
    if (room && info.reason !== 'client') this.emit(MatchmakingEvent.RoomLost, { roomId: room.roomId });
  }

  private onMessage(message: ServerMessage): void {
    if (message.type === 'welcome') return this.onWelcome();
    // Friends' frames, and errors answering a direct call, say nothing about the queue or the
    // room: they must not close a resume window either.
    if (isFriendsFrame(message) || (message.type === 'error' && this.friends?.ownsError(message))) return;
    if (this.resume) {
      const { roomId, abandoned } = this.resume;
      if (message.type === 'matched' && message.resumed && message.roomId === roomId) {
        this.clearResume();
        if (abandoned) {
          // The app left this room while we were away: leave it for real, then queue if asked.
          this.abandonedRoomId = null;
          this.leaving.add(roomId);
          this.socket.send({ type: 'leave', roomId });
          if (this._state === 'queued') this.sendJoin(true);
          return;
        }
        const room = roomOf(message, this._room?.direct ?? message.category === null);
        this._room = room;
        this.emit(MatchmakingEvent.Matched, { ...room, resumed: true, rejoined: false });
        this.flushOutbox();
        return;
      }
      if ((message.type === 'peer_left' || message.type === 'left') && message.roomId === roomId) {
        // The room ended while we were away and the server kept that news for us.
        this.clearResume();
        if (abandoned) {
          this.abandonedRoomId = null;
          if (this._state === 'queued') this.sendJoin(true);
          return;
        }
        // Falls through: onRoomEnded tells the app why it ended.
      } else {
        // Anything else first: the server had no room for us (it sends `matched` right after `welcome`).
        this.resumeWindowClosed();
      }
    }
    switch (message.type) {
      case 'queued':
        this.joinInFlight = false;
        this.autoJoinPending = false;
        if (this._state === 'queued') this.emit(MatchmakingEvent.Queued, message.categories);
        return;
      case 'cancelled':
        this.cancelInFlight = false;
        return;
      case 'widened':
        // Late for an entry that is over (matched, or cancelled and confirmed): nothing widened.
        if (this._state !== 'queued' && !this.cancelInFlight) return;
        if (this._widened) return;
        this._widened = true;
        if (this._state === 'queued') this.emit(MatchmakingEvent.Widened);
        return;
      case 'matched':
        return this.onMatched(message);
      case 'signal': {
        if (this._room?.roomId !== message.roomId) return; // a room that is over
        let delivered = false;
        for (const { roomId, listener } of [...this.signalListeners]) {
          if (roomId !== message.roomId) continue;
          delivered = true;
          listener(message.data);
        }
        if (!delivered && this.earlySignals.length < this.earlySignalLimit) this.earlySignals.push(message.data);
        return;
      }
      case 'chat':
        if (this._room?.roomId === message.roomId) {
          this.emit(MatchmakingEvent.Chat, { roomId: message.roomId, from: message.from, text: message.text, sentAt: message.sentAt });
        }
        return;
      case 'typing':
        if (this._room?.roomId === message.roomId) this.emit(MatchmakingEvent.Typing, { roomId: message.roomId, from: message.from });
        return;
      case 'left':
        return this.onRoomEnded(message.roomId, null);
      case 'peer_left':
        return this.onRoomEnded(message.roomId, message.reason);
      case 'error':
        return this.onError(message.code, message.message);
      case 'restricted':
        return this.onRestricted();
    }
  }

  /**
   * The server restricted this user: it took the user out of the queue and ended its room (the
   * peer was told `peer_left`). The room is gone for us too; joining again would be refused.
   */
  private onRestricted(): void {
    this.autoJoinPending = false;
    this.joinInFlight = false;
    const room = this._room;
    this.endRoom();
    this._queuedAt = null;
    if (this._state !== 'idle') this.setState('idle');
    if (room) this.emit(MatchmakingEvent.RoomLost, { roomId: room.roomId });
  }

  /**
   * A new socket is ready. With a room (or one the app left meanwhile), wait for the server's
   * `matched` (resumed) before anything else: a `join` sent now would be `busy`. Only queued,
   * join again at once (the server dropped the entry when the socket closed). In the rare case
   * that a match was made just as the socket dropped, the server answers this `join` with
   * `matched` (resumed) then `busy`: onMatched takes the room and onError absorbs the `busy`.
   */
  private onWelcome(): void {
    this.clearResume();
    this.joinInFlight = false;
    this.cancelInFlight = false;
    const roomId = this._room?.roomId ?? this.abandonedRoomId;
    if (roomId) {
      const abandoned = !this._room;
      this.resume = { roomId, abandoned, timer: setTimeout(() => this.resumeWindowClosed(), this.resumeWaitMs) };
      return;
    }
    if (this._state === 'queued') this.sendJoin(true);
  }

  /** No `matched` for the room came back: it is over on the server. */
  private resumeWindowClosed(): void {
    const resume = this.resume;
    if (!resume) return;
    this.clearResume();
    if (resume.abandoned) {
      this.abandonedRoomId = null;
    } else if (this._room?.roomId === resume.roomId) {
      this.endRoom();
      this.setState('idle');
      this.emit(MatchmakingEvent.RoomLost, { roomId: resume.roomId });
    }
    if (this._state === 'queued') this.sendJoin(true);
  }

  private onMatched(message: Extract<ServerMessage, { type: 'matched' }>): void {
    const { roomId } = message;
    if (this.leaving.has(roomId) || this.abandonedRoomId === roomId || this._room?.roomId === roomId) return;
    if (!message.resumed && !this.wantsNewRoom(message)) {
      // Leave it at once, so the peer is freed now rather than after a call that never starts.
      this.leaving.add(roomId);
      this.socket.send({ type: 'leave', roomId });
      return;
    }
    if (this._room) {
      // The server moved us to another room (only a takeover race can do this): the old one is gone for us.
      const old = this._room.roomId;
      this.endRoom();
      this.emit(MatchmakingEvent.RoomLost, { roomId: old });
    }
    const room = roomOf(message, message.category === null && !this.fromWidenedSearch(message));
    this._room = room;
    this._rejoined = message.resumed;
    this._queuedAt = null;
    this.joinInFlight = false;
    this.setState('matched');
    this.emit(MatchmakingEvent.Matched, { ...room, resumed: false, rejoined: message.resumed });
  }

  /**
   * A match is wanted while queued, unless cancel() crossed it on the wire. A room without a
   * category is an answered direct call: wanted whether the user is idle or queued (the server
   * took it out of the queue), unless this user hung up as the friend accepted (Friends knows).
   */
  private wantsNewRoom(message: Extract<ServerMessage, { type: 'matched' }>): boolean {
    if (message.category === null && !this.fromWidenedSearch(message)) return !this._room && !this.friends?.refusesRoom(message);
    return this._state === 'queued' && !this.cancelInFlight;
  }

  /**
   * A room without a category made by the queue: this user's search asked for `anyone` (or the
   * cancelled one had, the match crossing the cancel), and no direct call with that peer was
   * ringing. Not only once `widened` came: a search that widens and finds someone widened
   * already is matched at once, with no `widened` frame first.
   */
  private fromWidenedSearch(message: Extract<ServerMessage, { type: 'matched' }>): boolean {
    if (message.category !== null || message.resumed || !(this._widened || this._anyone)) return false;
    if (this._state !== 'queued' && !this.cancelInFlight) return false;
    return !this.friends?.expectsRoom(message);
  }

  private onRoomEnded(roomId: string, reason: PeerLeftReason | null): void {
    // Our leave confirmed, or the peer's that crossed it: the app was told `left` already.
    if (this.leaving.delete(roomId)) return;
    if (this._room?.roomId !== roomId) return;
    this.endRoom();
    this.setState('idle');
    if (reason === null) this.emit(MatchmakingEvent.Left, { roomId });
    else this.emit(MatchmakingEvent.PeerLeft, { roomId, reason });
  }

  /**
   * Errors the SDK caused itself and has handled are absorbed: `busy` after its own re-join
   * (see onWelcome), and `not_in_room` once our room is over (a candidate or our leave
   * crossed the peer's leave). The rest reach the app; a refused join also ends `queued`.
   * Errors answering a direct call are Friends' (onMessage).
   */
  private onError(code: ErrorCode, message: string): void {
    if (code === 'busy' && this.autoJoinPending) {
      this.autoJoinPending = false;
      this.joinInFlight = false;
      return;
    }
    if (code === 'not_in_room' && !this._room) return;
    if (this.joinInFlight && JOIN_REFUSALS.has(code)) {
      this.joinInFlight = false;
      if (this._state === 'queued') {
        this._queuedAt = null;
        this.setState('idle');
      }
    }
    this.emit(MatchmakingEvent.Error, { code, message });
  }

  // ---- helpers --------------------------------------------------------------

  /** The socket is open and no resume is pending: frames sent now reach the right room. */
  private canSend(): boolean {
    return this.socket.state === 'open' && !this.resume;
  }

  private sendJoin(auto: boolean): void {
    this.joinInFlight = true;
    this.autoJoinPending = auto;
    // `anyone` only when asked: a join without it is protocol v1's, byte for byte.
    this.socket.send(this._anyone ? { type: 'join', categories: this._categories, anyone: true } : { type: 'join', categories: this._categories });
  }

  /** Ends our side of the current room and tells the server (now, or once back if away). */
  private leaveRoom(): void {
    const room = this._room;
    if (!room) return;
    this.endRoom();
    if (this.canSend()) {
      this.leaving.add(room.roomId);
      this.socket.send({ type: 'leave', roomId: room.roomId });
    } else if (this.resume?.roomId === room.roomId) {
      // Away: leave on the server once back (onMessage, resume branch).
      this.resume.abandoned = true;
    } else {
      this.abandonedRoomId = room.roomId;
    }
    this.emit(MatchmakingEvent.Left, { roomId: room.roomId });
  }

  private sendInRoom(frame: RoomFrame): boolean {
    if (this.canSend() && this.outbox.length === 0) return this.socket.send(frame);
    // Away, or still flushing: keep the order the call negotiates in.
    if (this.outbox.length >= this.outboxLimit) return false;
    this.outbox.push(frame);
    return true;
  }

  private flushOutbox(): void {
    const frames = this.outbox;
    this.outbox = [];
    for (const frame of frames) {
      if (frame.roomId === this._room?.roomId) this.socket.send(frame);
    }
  }

  private endRoom(): void {
    this._room = null;
    this._rejoined = false;
    this.outbox = [];
    this.earlySignals = [];
  }

  private clearResume(): void {
    if (this.resume) clearTimeout(this.resume.timer);
    this.resume = null;
  }

  private setState(state: MatchmakingState): void {
    if (this._state === state) return;
    this._state = state;
    this.emit(MatchmakingEvent.State, state);
  }
}

/**
 * Errors that refuse a `join`: the user is not queued. `consent_required` and `restricted` come
 * from the age and rules gate (accept the current rules first; or the user may not meet anyone),
 * `verification_required` from an operator who admits only verified e-mail addresses.
 */
const JOIN_REFUSALS: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['unknown_category', 'bad_request', 'busy', 'consent_required', 'restricted', 'verification_required']);

function roomOf(message: Extract<ServerMessage, { type: 'matched' }>, direct: boolean): Room {
  const { roomId, peer, category, initiator, iceTransportPolicy } = message;
  return { roomId, peer, category, direct, initiator, iceTransportPolicy };
}
