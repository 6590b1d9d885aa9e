import { z } from 'zod';

/**
 * Every error code a client can branch on. HTTP errors carry one in
 * `{"error":{"code","message"}}`; WebSocket errors in an `error` frame.
 */
export const ErrorCode = z.enum([
  // WebSocket and HTTP
  'bad_request',
  'rate_limited',
  // WebSocket frames
  'unknown_category',
  'busy',
  'not_in_room',
  // friends (WebSocket and HTTP)
  'not_friends',
  'no_connection',
  'already_friends',
  'already_requested',
  'request_declined_recently',
  // safety (WebSocket and HTTP): join, call and friend requests before consent or while restricted
  'consent_required',
  'restricted',
  // blocks (WebSocket and HTTP): a friend request or call between two users one of whom blocked the other
  'not_allowed',
  // HTTP
  'unauthenticated',
  'invalid_credentials',
  'email_taken',
  'reserved_name',
  'forbidden_origin',
  'forbidden',
  'not_found',
  'payload_too_large',
  'unsupported_media_type',
  'unavailable',
  'internal',
  // safety (HTTP)
  'rules_changed',
  'underage',
  // reports (HTTP)
  'already_reported',
  'too_large',
  'too_many',
  // moderation (HTTP)
  'banned',
  'already_appealed',
  'not_restricted',
  'conflict_of_interest',
  'already_decided',
  // accounts (HTTP; verification_required also on join and call)
  'verification_required',
  'invalid_code',
  'invalid_token',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** WebSocket close codes beyond RFC 6455's, and the standard ones the server uses. */
export const CloseCode = {
  /** Policy violation: the socket kept flooding after being told it was rate limited. */
  policyViolation: 1008,
  /** A frame larger than the 64 KiB limit. */
  messageTooBig: 1009,
  /** The server failed to set up the socket; reconnecting may work. */
  internalError: 1011,
  /** The server is restarting (graceful drain); reconnect, the room is kept for the grace. */
  serviceRestart: 1012,
  /** Another socket of the same user took over. Do not reconnect automatically. */
  replaced: 4000,
  /** The session was logged out or expired. Do not reconnect with the same token. */
  loggedOut: 4001,
  /** A moderator banned the user: every session ended. Do not reconnect; log in to read the notice and appeal. */
  banned: 4003,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
