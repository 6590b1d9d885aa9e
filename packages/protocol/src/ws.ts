import { z } from 'zod';
import { CategorySlug, EndReason, IceTransportPolicy, Id, JsonData, OwnUser, Peer, Restriction } from './common.js';
import { Notice } from './moderation.js';
import { ErrorCode } from './errors.js';
import { CallEndReason, Friend, FriendRequest, Presence } from './friends.js';

/** Frames larger than this close the socket with 1009. */
export const MAX_FRAME_BYTES = 64 * 1024;
export const MAX_JOIN_CATEGORIES = 10;
export const MAX_CHAT_CHARS = 1000;

// ---- client → server -------------------------------------------------------

/**
 * A client's name for one of its frames, echoed on the server's direct answer to it (`queued`,
 * `cancelled`, `left`, `call_ringing`, `error`), so a client with several requests on the wire
 * knows which one each answer is for. Optional: a frame without it is answered without it, as
 * in protocol v1.
 */
export const Ref = z.string().min(1).max(64);

export const JoinMessage = z.object({
  type: z.literal('join'),
  ref: Ref.optional(),
  categories: z.array(CategorySlug).min(1).max(MAX_JOIN_CATEGORIES),
  /**
   * After FALLBACK_AFTER_MS without a match, meet anyone else who said so and shares a language,
   * whatever their categories (`widened` says when). Absent: false, as in protocol v1.
   */
  anyone: z.boolean().optional(),
});
export const CancelMessage = z.object({
  type: z.literal('cancel'),
  ref: Ref.optional(),
});
export const SignalMessage = z.object({
  type: z.literal('signal'),
  ref: Ref.optional(),
  roomId: Id,
  /** Relayed unchanged: SDP offers/answers, ICE candidates, anything the two peers agree on. */
  data: JsonData,
});
export const ChatMessage = z.object({
  type: z.literal('chat'),
  ref: Ref.optional(),
  roomId: Id,
  text: z.string().min(1).max(MAX_CHAT_CHARS),
});
export const TypingMessage = z.object({
  type: z.literal('typing'),
  ref: Ref.optional(),
  roomId: Id,
});
export const LeaveMessage = z.object({
  type: z.literal('leave'),
  ref: Ref.optional(),
  roomId: Id,
});

/** Rings a friend who is online: answered by `call_ringing`, or `call_ended` at once (busy, offline). */
export const CallMessage = z.object({
  type: z.literal('call'),
  ref: Ref.optional(),
  userId: Id,
  /**
   * The ring's id, chosen by the caller so that every frame about the call (`call_ringing`,
   * `call_ended`, the room's `matched`) names it from the start; refused with `bad_request`
   * while another ring has it. Absent: the server picks one, as in protocol v1.
   */
  callId: Id.optional(),
});
/** The callee picks up: both get `matched` for a room without a category. */
export const AcceptCallMessage = z.object({
  type: z.literal('accept_call'),
  ref: Ref.optional(),
  callId: Id,
});
export const DeclineCallMessage = z.object({
  type: z.literal('decline_call'),
  ref: Ref.optional(),
  callId: Id,
});
/** The caller hangs up before an answer. */
export const CancelCallMessage = z.object({
  type: z.literal('cancel_call'),
  ref: Ref.optional(),
  callId: Id,
});

export const ClientMessage = z.discriminatedUnion('type', [
  JoinMessage,
  CancelMessage,
  SignalMessage,
  ChatMessage,
  TypingMessage,
  LeaveMessage,
  CallMessage,
  AcceptCallMessage,
  DeclineCallMessage,
  CancelCallMessage,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

// ---- server → client -------------------------------------------------------

export const WelcomeEvent = z.object({
  type: z.literal('welcome'),
  user: OwnUser,
});
export const QueuedEvent = z.object({
  type: z.literal('queued'),
  /** The `ref` of the frame this answers, when it had one. */
  ref: Ref.optional(),
  categories: z.array(CategorySlug),
});
export const CancelledEvent = z.object({
  type: z.literal('cancelled'),
  /** The `ref` of the frame this answers, when it had one. */
  ref: Ref.optional(),
});
/** The peer of a new room: also its bio, what a stranger reads before saying hello. */
export const MatchedPeer = Peer.extend({
  bio: z.string().default(''),
});
export type MatchedPeer = z.infer<typeof MatchedPeer>;

/**
 * The user, queued with `anyone`, waited FALLBACK_AFTER_MS without a match: from now on it may
 * also meet anyone else whose search widened and who shares a language, in any category.
 */
export const WidenedEvent = z.object({
  type: z.literal('widened'),
});

export const MatchedEvent = z.object({
  type: z.literal('matched'),
  roomId: Id,
  peer: MatchedPeer,
  /** The category both share; null for rooms not made by matching in a category (direct calls, widened searches). */
  category: CategorySlug.nullable(),
  /** Exactly one member of a room is the initiator: it sends the first offer. */
  initiator: z.boolean(),
  /** True when the user came back to a room it was already in (resume or takeover). */
  resumed: z.boolean(),
  /**
   * The ICE policy for this call, ICE restarts included: `relay` (media only through TURN, so
   * neither side learns the other's IP address) for strangers when TURN is configured, `all`
   * for friends' direct calls and when there is no TURN.
   */
  iceTransportPolicy: IceTransportPolicy,
  /** The direct call this room was made by (the ring's id); absent for rooms made by matching. */
  callId: Id.optional(),
});
export const SignalEvent = z.object({
  type: z.literal('signal'),
  roomId: Id,
  from: Id,
  data: JsonData,
});
export const ChatEvent = z.object({
  type: z.literal('chat'),
  roomId: Id,
  from: Id,
  text: z.string(),
  sentAt: z.iso.datetime({ offset: true }),
});
export const TypingEvent = z.object({
  type: z.literal('typing'),
  roomId: Id,
  from: Id,
});
export const LeftEvent = z.object({
  type: z.literal('left'),
  /** The `ref` of the frame this answers, when it had one. */
  ref: Ref.optional(),
  roomId: Id,
});
export const PeerLeftEvent = z.object({
  type: z.literal('peer_left'),
  roomId: Id,
  reason: EndReason,
});
export const ErrorEvent = z.object({
  type: z.literal('error'),
  /** The `ref` of the frame this answers, when it had one. */
  ref: Ref.optional(),
  code: ErrorCode,
  message: z.string(),
});

// ---- friends and direct calls ----------------------------------------------

/** Someone sent this user a friend request. */
export const FriendRequestEvent = z.object({
  type: z.literal('friend_request'),
  request: FriendRequest,
});
/** A request this user sent was declined, or one it received was withdrawn. */
export const FriendRequestClosedEvent = z.object({
  type: z.literal('friend_request_closed'),
  requestId: Id,
  reason: z.enum(['declined', 'cancelled']),
});
/** A request was accepted (to both sides): `friend` is the other user. */
export const FriendAddedEvent = z.object({
  type: z.literal('friend_added'),
  friend: Friend,
});
/** The friendship with `userId` ended (to both sides). */
export const FriendRemovedEvent = z.object({
  type: z.literal('friend_removed'),
  userId: Id,
});
/** A friend's presence changed. */
export const PresenceEvent = z.object({
  type: z.literal('presence'),
  userId: Id,
  presence: Presence,
});
/** To the caller: the friend's app is ringing. */
export const CallRingingEvent = z.object({
  type: z.literal('call_ringing'),
  /** The `ref` of the frame this answers, when it had one. */
  ref: Ref.optional(),
  callId: Id,
  peer: Peer,
});
/** To the callee: a friend is calling; answer with `accept_call` or `decline_call` within 30 s. */
export const IncomingCallEvent = z.object({
  type: z.literal('incoming_call'),
  callId: Id,
  peer: Peer,
});
/** The direct call ended before it became a room; `peer` is the other side. */
export const CallEndedEvent = z.object({
  type: z.literal('call_ended'),
  callId: Id,
  peer: Peer,
  reason: CallEndReason,
});

/**
 * The user was restricted (an automatic suspension): it left the queue and its room, and may not
 * join or call until the restriction ends. The socket stays open so the app can explain why.
 */
export const RestrictedEvent = z.object({
  type: z.literal('restricted'),
  restriction: Restriction,
});

/**
 * A new statement of reasons about the user (a warning, a suspension or ban, a restriction
 * lifted, an appeal decided), as `GET /api/me/notices` lists it. `restricted` comes first when
 * the notice restricts; after `restored` or `appeal_overturned` the user may meet people again.
 */
export const NoticeEvent = z.object({
  type: z.literal('notice'),
  notice: Notice,
});

export const ServerMessage = z.discriminatedUnion('type', [
  WelcomeEvent,
  QueuedEvent,
  CancelledEvent,
  WidenedEvent,
  MatchedEvent,
  SignalEvent,
  ChatEvent,
  TypingEvent,
  LeftEvent,
  PeerLeftEvent,
  ErrorEvent,
  FriendRequestEvent,
  FriendRequestClosedEvent,
  FriendAddedEvent,
  FriendRemovedEvent,
  PresenceEvent,
  CallRingingEvent,
  IncomingCallEvent,
  CallEndedEvent,
  RestrictedEvent,
  NoticeEvent,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ServerMessageType = ServerMessage['type'];

export type JoinMessage = z.infer<typeof JoinMessage>;
export type CancelMessage = z.infer<typeof CancelMessage>;
export type SignalMessage = z.infer<typeof SignalMessage>;
export type ChatMessage = z.infer<typeof ChatMessage>;
export type TypingMessage = z.infer<typeof TypingMessage>;
export type LeaveMessage = z.infer<typeof LeaveMessage>;
export type WelcomeEvent = z.infer<typeof WelcomeEvent>;
export type QueuedEvent = z.infer<typeof QueuedEvent>;
export type CancelledEvent = z.infer<typeof CancelledEvent>;
export type MatchedEvent = z.infer<typeof MatchedEvent>;
export type WidenedEvent = z.infer<typeof WidenedEvent>;
export type SignalEvent = z.infer<typeof SignalEvent>;
export type ChatEvent = z.infer<typeof ChatEvent>;
export type TypingEvent = z.infer<typeof TypingEvent>;
export type LeftEvent = z.infer<typeof LeftEvent>;
export type PeerLeftEvent = z.infer<typeof PeerLeftEvent>;
export type ErrorEvent = z.infer<typeof ErrorEvent>;
export type CallMessage = z.infer<typeof CallMessage>;
export type AcceptCallMessage = z.infer<typeof AcceptCallMessage>;
export type DeclineCallMessage = z.infer<typeof DeclineCallMessage>;
export type CancelCallMessage = z.infer<typeof CancelCallMessage>;
export type FriendRequestEvent = z.infer<typeof FriendRequestEvent>;
export type FriendRequestClosedEvent = z.infer<typeof FriendRequestClosedEvent>;
export type FriendAddedEvent = z.infer<typeof FriendAddedEvent>;
export type FriendRemovedEvent = z.infer<typeof FriendRemovedEvent>;
export type PresenceEvent = z.infer<typeof PresenceEvent>;
export type CallRingingEvent = z.infer<typeof CallRingingEvent>;
export type IncomingCallEvent = z.infer<typeof IncomingCallEvent>;
export type CallEndedEvent = z.infer<typeof CallEndedEvent>;
export type RestrictedEvent = z.infer<typeof RestrictedEvent>;
export type NoticeEvent = z.infer<typeof NoticeEvent>;
