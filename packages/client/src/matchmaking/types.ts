import type { EndReason, ErrorCode, IceTransportPolicy, MatchedPeer, ServerMessage } from '@small-talk/protocol';

/** The frames that concern the queue or the room: any of them after `welcome` but `matched` means the room did not come back. */
export const MATCHMAKING_FRAMES: ReadonlySet<ServerMessage['type']> = new Set<ServerMessage['type']>([
  'queued',
  'cancelled',
  'widened',
  'matched',
  'signal',
  'chat',
  'typing',
  'left',
  'peer_left',
  'error',
  'restricted',
]);

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
   * True for a room made by a direct call between friends (`callId` names the call); false for
   * one made by matching, a widened search's included (whose category is null too).
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
  [MatchmakingEvent.PeerLeft]: (event: { roomId: string; reason: EndReason }) => void;
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
   * Whether a room made by the direct call `callId` (`matched.callId`) is wanted: the call this
   * user made or accepted, not one it hung up on as the friend accepted. Without it, every
   * direct call's room is taken while not in a room. SmallTalkClient passes Friends'.
   */
  acceptsCall?: (callId: string) => boolean;
  /** Clock, for tests. */
  now?: () => number;
}
