import { z } from 'zod';
import { CategorySlug, Id, JsonData, Peer, User } from './common.js';
import { ErrorCode } from './errors.js';

/** Frames larger than this close the socket with 1009. */
export const MAX_FRAME_BYTES = 64 * 1024;
export const MAX_JOIN_CATEGORIES = 10;
export const MAX_CHAT_CHARS = 1000;

// ---- client → server -------------------------------------------------------

export const JoinMessage = z.object({
  type: z.literal('join'),
  categories: z.array(CategorySlug).min(1).max(MAX_JOIN_CATEGORIES),
});
export const CancelMessage = z.object({
  type: z.literal('cancel'),
});
export const SignalMessage = z.object({
  type: z.literal('signal'),
  roomId: Id,
  /** Relayed unchanged: SDP offers/answers, ICE candidates, anything the two peers agree on. */
  data: JsonData,
});
export const ChatMessage = z.object({
  type: z.literal('chat'),
  roomId: Id,
  text: z.string().min(1).max(MAX_CHAT_CHARS),
});
export const TypingMessage = z.object({
  type: z.literal('typing'),
  roomId: Id,
});
export const LeaveMessage = z.object({
  type: z.literal('leave'),
  roomId: Id,
});

export const ClientMessage = z.discriminatedUnion('type', [
  JoinMessage,
  CancelMessage,
  SignalMessage,
  ChatMessage,
  TypingMessage,
  LeaveMessage,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type ClientMessageType = ClientMessage['type'];

// ---- server → client -------------------------------------------------------

export const WelcomeEvent = z.object({
  type: z.literal('welcome'),
  user: User,
});
export const QueuedEvent = z.object({
  type: z.literal('queued'),
  categories: z.array(CategorySlug),
});
export const CancelledEvent = z.object({
  type: z.literal('cancelled'),
});
export const MatchedEvent = z.object({
  type: z.literal('matched'),
  roomId: Id,
  peer: Peer,
  /** The category both share; null for rooms that were not made by matching. */
  category: CategorySlug.nullable(),
  /** Exactly one member of a room is the initiator: it sends the first offer. */
  initiator: z.boolean(),
  /** True when the user came back to a room it was already in (resume or takeover). */
  resumed: z.boolean(),
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
  roomId: Id,
});
export const PeerLeftReason = z.enum(['left', 'disconnected']);
export type PeerLeftReason = z.infer<typeof PeerLeftReason>;
export const PeerLeftEvent = z.object({
  type: z.literal('peer_left'),
  roomId: Id,
  reason: PeerLeftReason,
});
export const ErrorEvent = z.object({
  type: z.literal('error'),
  code: ErrorCode,
  message: z.string(),
});

export const ServerMessage = z.discriminatedUnion('type', [
  WelcomeEvent,
  QueuedEvent,
  CancelledEvent,
  MatchedEvent,
  SignalEvent,
  ChatEvent,
  TypingEvent,
  LeftEvent,
  PeerLeftEvent,
  ErrorEvent,
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
export type SignalEvent = z.infer<typeof SignalEvent>;
export type ChatEvent = z.infer<typeof ChatEvent>;
export type TypingEvent = z.infer<typeof TypingEvent>;
export type LeftEvent = z.infer<typeof LeftEvent>;
export type PeerLeftEvent = z.infer<typeof PeerLeftEvent>;
export type ErrorEvent = z.infer<typeof ErrorEvent>;
