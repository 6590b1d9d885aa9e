import { z } from 'zod';
import { CategorySlug, DisplayName, EndReason, IceTransportPolicy, Id, IsoTimestamp, OwnUser, Peer } from './common.js';
import { Friend, FriendRequest } from './friends.js';

/** The session cookie set by every auth endpoint that signs a user in. */
export const SESSION_COOKIE = 'st_session';
/**
 * The session cookie's name when the server is reached over https (PUBLIC_URL is https, or
 * COOKIE_SECURE=true): `Secure`, and with the `__Host-` prefix a browser accepts it only from
 * this exact host over https, so no sibling subdomain or http page can plant or overwrite it.
 */
export const SECURE_SESSION_COOKIE = '__Host-st_session';

export const GuestRequest = z.object({
  displayName: DisplayName,
});
export type GuestRequest = z.infer<typeof GuestRequest>;

export const Email = z.string().trim().toLowerCase().pipe(z.email().max(254));
export const Password = z.string().min(8).max(128);

export const RegisterRequest = z.object({
  email: Email,
  password: Password,
  displayName: DisplayName,
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const LoginRequest = z.object({
  email: Email,
  // Not held to the registration rules: a wrong password is `invalid_credentials`, never `bad_request`.
  password: z.string().min(1).max(1024),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

/** Answer of guest (201), register (201) and login (200). */
export const AuthResponse = z.object({
  user: OwnUser,
  token: z.string(),
});
export type AuthResponse = z.infer<typeof AuthResponse>;

export const MeResponse = z.object({
  user: OwnUser,
});
export type MeResponse = z.infer<typeof MeResponse>;

// ---- safety ----------------------------------------------------------------

/** `GET /api/rules`: the community rules every user accepts before meeting anyone. */
export const RulesResponse = z.object({
  /** Raised by the operator whenever the text changes; consent is to one version. */
  version: z.number().int().positive(),
  /** Nobody younger may use the service (`MIN_AGE`). */
  minAge: z.number().int().positive(),
  /** Markdown. */
  text: z.string(),
  /** The operator's contact address (`CONTACT_EMAIL`), shown in the app; null when none is set. */
  contactEmail: z.string().nullable().default(null),
});
export type RulesResponse = z.infer<typeof RulesResponse>;

/** `POST /api/me/consent`: the user's date of birth and the rules version it read. Only the year is kept. */
export const ConsentRequest = z.object({
  birthDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD'),
  rulesVersion: z.number().int().positive(),
});
export type ConsentRequest = z.infer<typeof ConsentRequest>;

/** What a report is about: the rule the reported user broke. */
export const ReportReason = z.enum([
  'nudity',
  'sexual',
  'minor',
  'harassment',
  'hate',
  'violence',
  'self_harm',
  'spam',
  'illegal',
  'other',
]);
export type ReportReason = z.infer<typeof ReportReason>;

/** `open` until a moderator decides: `actioned` (the reported user was restricted) or `dismissed`. */
export const ReportStatus = z.enum(['open', 'actioned', 'dismissed']);
export type ReportStatus = z.infer<typeof ReportStatus>;

/** `POST /api/reports`: the user and the connection (a history row with them) the report is about. */
export const ReportRequest = z.object({
  userId: Id,
  connectionId: Id,
  reason: ReportReason,
  note: z.string().max(1000).optional(),
});
export type ReportRequest = z.infer<typeof ReportRequest>;

/** A report as its reporter sees it. */
export const Report = z.object({
  id: Id,
  userId: Id,
  connectionId: Id,
  reason: ReportReason,
  status: ReportStatus,
  createdAt: IsoTimestamp,
  /** When a moderator decided; null while open. */
  decidedAt: IsoTimestamp.nullable().default(null),
});
export type Report = z.infer<typeof Report>;

/** `POST /api/reports` answers 201 with the new report (open, not decided yet). */
export const ReportResponse = z.object({
  report: Report.omit({ decidedAt: true }),
});
export type ReportResponse = z.infer<typeof ReportResponse>;

/** `GET /api/reports`: the reporter's own reports, newest first. */
export const ReportsResponse = z.object({
  reports: z.array(Report),
});
export type ReportsResponse = z.infer<typeof ReportsResponse>;

/** `POST /api/reports/:id/evidence` (a JPEG body) answers 201 with the stored image's id and size. */
export const EvidenceResponse = z.object({
  evidence: z.object({ id: Id, bytes: z.number().int().positive() }),
});
export type EvidenceResponse = z.infer<typeof EvidenceResponse>;

/** Evidence images: a JPEG of at most this many bytes, at most this many per report, within this long of the report. */
export const EVIDENCE_MAX_BYTES = 256 * 1024;
export const EVIDENCE_PER_REPORT = 3;
export const EVIDENCE_WINDOW_MS = 10 * 60 * 1000;

export const Category = z.object({
  slug: CategorySlug,
  name: z.string(),
  /** Users queued in this category now; a user queued in several counts in each. */
  waiting: z.number().int().nonnegative(),
});
export type Category = z.infer<typeof Category>;

export const CategoriesResponse = z.object({
  categories: z.array(Category),
});
export type CategoriesResponse = z.infer<typeof CategoriesResponse>;

/** One room the user was in: a row of history, kept after the room ends. */
export const Connection = z.object({
  id: Id,
  category: CategorySlug.nullable(),
  peer: Peer,
  startedAt: IsoTimestamp,
  endedAt: IsoTimestamp.nullable(),
  endReason: EndReason.nullable(),
});
export type Connection = z.infer<typeof Connection>;

export const HistoryQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const HistoryResponse = z.object({
  connections: z.array(Connection),
});
export type HistoryResponse = z.infer<typeof HistoryResponse>;

export { Id };

/** One STUN or TURN server, in the shape RTCPeerConnection's `iceServers` takes. */
export const IceServer = z.object({
  /** `stun:`, `stuns:`, `turn:` or `turns:` URLs of one server, as the operator configured them. */
  urls: z.array(z.string().min(1)).min(1),
  /** TURN only: `<unix expiry>:<user id>` (the TURN REST API convention coturn's `use-auth-secret` checks). */
  username: z.string().optional(),
  /** TURN only: base64(HMAC-SHA1(shared secret, username)). */
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

/** `GET /api/ice`: the STUN/TURN servers for the user's next call, with short-lived TURN credentials. */
export const IceResponse = z.object({
  /** Empty when the server has none configured: host candidates only (same network, or loopback). */
  iceServers: z.array(IceServer),
  iceTransportPolicy: IceTransportPolicy,
  /** Seconds the answer (its TURN credentials) stays valid from when it was issued; fetch again before then. */
  ttl: z.number().int().positive(),
});
export type IceResponse = z.infer<typeof IceResponse>;

// ---- friends ---------------------------------------------------------------

/** `GET /api/friends`: friends (by name) with their presence, and requests both ways (newest first). */
export const FriendsResponse = z.object({
  friends: z.array(Friend),
  /** Requests others sent this user: accept or decline. */
  incoming: z.array(FriendRequest),
  /** Requests this user sent that are still unanswered. */
  outgoing: z.array(FriendRequest),
});
export type FriendsResponse = z.infer<typeof FriendsResponse>;

/** `POST /api/friends/requests`: ask someone from the user's history to be friends. */
export const SendFriendRequest = z.object({
  userId: Id,
});
export type SendFriendRequest = z.infer<typeof SendFriendRequest>;

/** Path of `/api/friends/requests/:id/...`. */
export const FriendRequestParams = z.object({ id: Id });
/** Path of `DELETE /api/friends/:userId`. */
export const FriendParams = z.object({ userId: Id });

/** 201 for a new request. */
export const FriendRequestResponse = z.object({
  request: FriendRequest,
});
export type FriendRequestResponse = z.infer<typeof FriendRequestResponse>;

/** Accepting a request (200); and sending one to someone who had already asked you (200: friends at once). */
export const FriendResponse = z.object({
  friend: Friend,
});
export type FriendResponse = z.infer<typeof FriendResponse>;

/** What `POST /api/friends/requests` answers: a new request (201), or a friendship when they had asked first (200). */
export const SendFriendRequestResponse = z.union([FriendRequestResponse, FriendResponse]);
export type SendFriendRequestResponse = z.infer<typeof SendFriendRequestResponse>;

/** A user the session's user blocked: the two are never matched again and cannot reach each other. */
export const Block = z.object({
  user: Peer,
  createdAt: IsoTimestamp,
});
export type Block = z.infer<typeof Block>;

/** `POST /api/blocks`. */
export const BlockRequest = z.object({
  userId: Id,
});
export type BlockRequest = z.infer<typeof BlockRequest>;

/** Path of `DELETE /api/blocks/:userId`. */
export const BlockParams = z.object({ userId: Id });

/** `POST /api/blocks`: 201 for a new block, 200 with the same block when it was there already. */
export const BlockResponse = z.object({
  block: Block,
});
export type BlockResponse = z.infer<typeof BlockResponse>;

/** `GET /api/blocks`: newest first. */
export const BlocksResponse = z.object({
  blocks: z.array(Block),
});
export type BlocksResponse = z.infer<typeof BlocksResponse>;
