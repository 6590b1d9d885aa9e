/**
 * The server's HTTP API (docs/protocol.md): sign-in, e-mail verification and password reset,
 * the user and its profile, the rules and consent, categories and who is online, history, friends, the STUN/TURN servers for calls, reports, notices and appeals,
 * and the moderators' routes. Bodies
 * are checked with the protocol's schemas, and failures are ApiErrors carrying the protocol's
 * error code, so screens branch on the code rather than on a message.
 */
import {
  AppealDecisionResponse,
  AppealResponse,
  AppealsResponse,
  AuditResponse,
  AuthResponse,
  BannedLoginBody,
  CasesResponse,
  ModActionResponse,
  ModAppealsResponse,
  ModUserResponse,
  NoticesResponse,
  SetRoleResponse,
  BlockResponse,
  BlocksResponse,
  CategoriesResponse,
  ErrorBody,
  EvidenceResponse,
  FriendResponse,
  FriendsResponse,
  HistoryResponse,
  IceResponse,
  MeResponse,
  ReportResponse,
  ReportsResponse,
  RulesResponse,
  SendFriendRequestResponse,
  StatsResponse,
  type Appeal,
  type AppealDecisionRequest,
  type AuditEntry,
  type Block,
  type Category,
  type Connection,
  type ErrorCode,
  type Friend,
  type PushTokenRequest,
  type ModAction,
  type ModActionRequest,
  type ModAppeal,
  type ModCase,
  type Notice,
  type Report,
  type ReportRequest,
  type OwnUser,
  type ProfileRequest,
  type Role,
  type StaffUser,
} from '@small-talk/protocol';
import type { ServerConfig } from './config';
import { i18n } from './i18n/i18n';
import type { english } from './i18n/resources';

/** `network`: no answer at all (offline, server down); `invalid_response`: an answer that isn't protocol v1. */
export type ApiErrorCode = ErrorCode | 'network' | 'invalid_response';

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Login of a banned member with the right password: no session, but a short-lived token that
 * reaches only `/api/me`, `/api/me/notices` and `/api/appeals`, to read why and to appeal.
 */
export class BannedError extends ApiError {
  constructor(
    message: string,
    readonly appealToken: string,
    readonly expiresAt: string,
  ) {
    super('banned', message, 403);
    this.name = 'BannedError';
  }
}

/** A signed-in user and its session token (the web keeps using the cookie instead). */
export interface SignedIn {
  user: OwnUser;
  token: string;
}

export interface ApiOptions extends Pick<ServerConfig, 'httpBase' | 'auth'> {
  /** The platform's fetch by default; tests pass a fake. */
  fetch?: typeof fetch;
}

type Schema<T> = { safeParse(value: unknown): { success: true; data: T } | { success: false } };

export class Api {
  /**
   * The session token, sent as `Authorization: Bearer` on native. Set by each sign-in, cleared
   * by logout. Unused on the web: there the HttpOnly cookie travels by itself.
   */
  token: string | undefined;

  private readonly options: ApiOptions;

  constructor(options: ApiOptions) {
    this.options = options;
  }

  guest(displayName: string): Promise<SignedIn> {
    return this.signIn('/api/auth/guest', { displayName });
  }

  /** Signed in as a guest, this upgrades that guest in place: same id, history kept, new token. */
  register(body: { email: string; password: string; displayName: string }): Promise<SignedIn> {
    return this.signIn('/api/auth/register', body);
  }

  /** A banned member rejects with a BannedError, which carries the token to read the notices and appeal with. */
  login(body: { email: string; password: string }): Promise<SignedIn> {
    return this.signIn('/api/auth/login', body);
  }

  async logout(): Promise<void> {
    try {
      await this.request('POST', '/api/auth/logout', null, undefined);
    } finally {
      // Even if the server could not be told, this device forgets the session.
      this.token = undefined;
    }
  }

  /**
   * The same server reached with a banned member's appeal token (BannedError) instead of the
   * session: sent as `Authorization: Bearer` on every platform, since the web got no cookie.
   */
  withAppealToken(appealToken: string): Api {
    const api = new Api({ ...this.options, auth: 'bearer' });
    api.token = appealToken;
    return api;
  }

  /** Mails the signed-in member a 6-digit code (valid 15 minutes; a new one replaces the old; `rate_limited` after 5 a day). */
  verifyEmailStart(): Promise<void> {
    return this.request('POST', '/api/auth/email/verify-start', null, undefined);
  }

  /** The code from the mail: the user, now `emailVerified`. `invalid_code` when wrong or expired, `rate_limited` once it is dead. */
  async verifyEmail(code: string): Promise<OwnUser> {
    return (await this.request('POST', '/api/auth/email/verify', MeResponse, { code })).user;
  }

  /** Mails a reset link if an account has this address; answers the same either way. */
  resetPasswordStart(email: string): Promise<void> {
    return this.request('POST', '/api/auth/password/reset-start', null, { email });
  }

  /** The token from the mailed link and a new password: signed in, every other session ended. `invalid_token` when bad, used or expired. */
  resetPassword(body: { token: string; password: string }): Promise<SignedIn> {
    return this.signIn('/api/auth/password/reset', body);
  }

  /** Changes the display name, the languages (1..5, in order of preference) or the bio. */
  async updateProfile(body: ProfileRequest): Promise<OwnUser> {
    return (await this.request('PATCH', '/api/me', MeResponse, body)).user;
  }

  /** How many people are online and waiting, across the service; no session needed. */
  stats(): Promise<StatsResponse> {
    return this.request('GET', '/api/stats', StatsResponse, undefined);
  }

  async me(): Promise<OwnUser> {
    return (await this.request('GET', '/api/me', MeResponse, undefined)).user;
  }

  /** The community rules (Markdown) and their version; no session needed. */
  rules(): Promise<RulesResponse> {
    return this.request('GET', '/api/rules', RulesResponse, undefined);
  }

  /**
   * Accepts rules `rulesVersion` with the user's date of birth (`YYYY-MM-DD`). Rejects with
   * `rules_changed` (409: read them again), `underage` (403, for good) or `bad_request`.
   */
  async consent(body: { birthDate: string; rulesVersion: number }): Promise<OwnUser> {
    return (await this.request('POST', '/api/me/consent', MeResponse, body)).user;
  }

  async categories(): Promise<Category[]> {
    return (await this.request('GET', '/api/categories', CategoriesResponse, undefined)).categories;
  }

  async history(limit: number): Promise<Connection[]> {
    return (await this.request('GET', `/api/history?limit=${limit}`, HistoryResponse, undefined)).connections;
  }

  /** STUN/TURN servers for the next call, with TURN credentials of a few minutes' to an hour's life. */
  ice(): Promise<IceResponse> {
    return this.request('GET', '/api/ice', IceResponse, undefined);
  }

  /** Friends with their presence, and the requests both ways. */
  friends(): Promise<FriendsResponse> {
    return this.request('GET', '/api/friends', FriendsResponse, undefined);
  }

  /**
   * Asks `userId` (someone met in a room) to be friends: a new request (201), or a friendship
   * at once (200) when they had asked first.
   */
  sendFriendRequest(userId: string): Promise<SendFriendRequestResponse> {
    return this.request('POST', '/api/friends/requests', SendFriendRequestResponse, { userId });
  }

  async acceptFriendRequest(requestId: string): Promise<Friend> {
    return (
      await this.request(
        'POST',
        `/api/friends/requests/${encodeURIComponent(requestId)}/accept`,
        FriendResponse,
        undefined,
      )
    ).friend;
  }

  declineFriendRequest(requestId: string): Promise<void> {
    return this.request('POST', `/api/friends/requests/${encodeURIComponent(requestId)}/decline`, null, undefined);
  }

  /** Takes back a request this user sent. */
  withdrawFriendRequest(requestId: string): Promise<void> {
    return this.request('DELETE', `/api/friends/requests/${encodeURIComponent(requestId)}`, null, undefined);
  }

  unfriend(userId: string): Promise<void> {
    return this.request('DELETE', `/api/friends/${encodeURIComponent(userId)}`, null, undefined);
  }

  /** Where this device can be woken for a friend's call or request (push/). */
  registerPushToken(body: PushTokenRequest): Promise<void> {
    return this.request('POST', '/api/me/push-tokens', null, body);
  }

  /** Reports someone met (its connection, i.e. history row): the server also blocks them and ends a live room with them. */
  async report(body: ReportRequest): Promise<ReportResponse['report']> {
    return (await this.request('POST', '/api/reports', ReportResponse, body)).report;
  }

  /** A snapshot for one of this user's reports: a JPEG of at most 256 KiB, at most 3, within 10 minutes of the report. */
  async addReportEvidence(reportId: string, jpeg: Blob): Promise<void> {
    await this.request(
      'POST',
      `/api/reports/${encodeURIComponent(reportId)}/evidence`,
      EvidenceResponse,
      new RawBody('image/jpeg', jpeg),
    );
  }

  /** This user's reports and what became of them, newest first. */
  async reports(): Promise<Report[]> {
    return (await this.request('GET', '/api/reports', ReportsResponse, undefined)).reports;
  }

  /** Blocks `userId`: never matched again, no friendship, no calls or requests between the two. */
  async block(userId: string): Promise<Block> {
    return (await this.request('POST', '/api/blocks', BlockResponse, { userId })).block;
  }

  /** The people this user blocked, newest first. */
  async blocks(): Promise<Block[]> {
    return (await this.request('GET', '/api/blocks', BlocksResponse, undefined)).blocks;
  }

  unblock(userId: string): Promise<void> {
    return this.request('DELETE', `/api/blocks/${encodeURIComponent(userId)}`, null, undefined);
  }

  // ---- what the affected user sees ---------------------------------------------

  /** Every statement of reasons about this user (warnings, suspensions, bans, lifts, appeal outcomes), newest first. */
  async notices(): Promise<Notice[]> {
    return (await this.request('GET', '/api/me/notices', NoticesResponse, undefined)).notices;
  }

  /** Appeals the restriction in force; rejects with `already_appealed` or `not_restricted` (409). */
  async appeal(text: string): Promise<Appeal> {
    return (await this.request('POST', '/api/appeals', AppealResponse, { text })).appeal;
  }

  /** This user's own appeals, newest first. */
  async appeals(): Promise<Appeal[]> {
    return (await this.request('GET', '/api/appeals', AppealsResponse, undefined)).appeals;
  }

  // ---- moderators (role moderator or admin) and admins -----------------------------

  /** Admins only: gives `userId` a role. */
  async setRole(userId: string, role: Role): Promise<StaffUser> {
    return (await this.request('PUT', `/api/admin/users/${encodeURIComponent(userId)}/role`, SetRoleResponse, { role }))
      .user;
  }

  /** The queue: open cases by priority, then oldest open report first (closed ones: newest decision first). */
  async cases(query: { status?: 'open' | 'closed'; limit?: number; before?: string } = {}): Promise<ModCase[]> {
    return (await this.request('GET', `/api/mod/cases${queryString(query)}`, CasesResponse, undefined)).cases;
  }

  /** A user's page: its restriction, the reports about it and by it, its last connections and every past decision. */
  caseFile(userId: string): Promise<ModUserResponse> {
    return this.request('GET', `/api/mod/users/${encodeURIComponent(userId)}`, ModUserResponse, undefined);
  }

  /**
   * A report's snapshot as a `data:` URL: an <Image> can't send the session (the bearer token
   * on native), so the bytes come through here. Each view is written to the audit log.
   */
  async evidence(evidenceId: string): Promise<string> {
    const bytes = await this.fetchBytes(`/api/mod/evidence/${encodeURIComponent(evidenceId)}`);
    return `data:image/jpeg;base64,${base64(bytes)}`;
  }

  /** A decision about a user, whose `reason` the user reads; `days` with `suspend` only. */
  async decide(userId: string, body: ModActionRequest): Promise<ModAction> {
    return (await this.request('POST', `/api/mod/users/${encodeURIComponent(userId)}/actions`, ModActionResponse, body))
      .action;
  }

  /** Appeals with the decision each contests: open ones oldest first, closed ones newest first. */
  async modAppeals(status: 'open' | 'closed' = 'open'): Promise<ModAppeal[]> {
    return (await this.request('GET', `/api/mod/appeals${queryString({ status })}`, ModAppealsResponse, undefined))
      .appeals;
  }

  /** Upholds or overturns an appeal; rejects with `conflict_of_interest` for the moderator who made the decision. */
  async decideAppeal(appealId: string, body: AppealDecisionRequest): Promise<ModAppeal> {
    return (
      await this.request('POST', `/api/mod/appeals/${encodeURIComponent(appealId)}`, AppealDecisionResponse, body)
    ).appeal;
  }

  /** The audit log, newest first; `before` an ISO time for the next page. */
  async audit(query: { limit?: number; before?: string } = {}): Promise<AuditEntry[]> {
    return (await this.request('GET', `/api/mod/audit${queryString(query)}`, AuditResponse, undefined)).entries;
  }

  private async signIn(path: string, body: object): Promise<SignedIn> {
    const signedIn = await this.request('POST', path, AuthResponse, body);
    if (this.options.auth === 'bearer') this.token = signedIn.token;
    return signedIn;
  }

  /** `body`: an object sent as JSON, or raw bytes with their type (a report's JPEG). */
  private async request<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    schema: Schema<T> | null,
    body: object | RawBody | undefined,
  ): Promise<T> {
    const response = await this.send(method, path, body, 'application/json');
    const text = await response.text().catch(() => '');
    const json = parseJson(text);
    if (!response.ok) throw failure(response.status, json);
    if (schema === null) return undefined as T;
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new ApiError('invalid_response', `unexpected answer to ${method} ${path}`, response.status);
    return parsed.data;
  }

  /** A GET answered with bytes (a JPEG), not JSON. */
  private async fetchBytes(path: string): Promise<Uint8Array> {
    const response = await this.send('GET', path, undefined, 'image/jpeg');
    if (!response.ok) throw failure(response.status, parseJson(await response.text().catch(() => '')));
    try {
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw new ApiError('network', error instanceof Error ? error.message : String(error), response.status);
    }
  }

  private async send(
    method: string,
    path: string,
    body: object | RawBody | undefined,
    accept: string,
  ): Promise<Response> {
    const raw = body instanceof RawBody ? body : null;
    const headers: Record<string, string> = { accept };
    if (body !== undefined) headers['content-type'] = raw ? raw.contentType : 'application/json';
    if (this.options.auth === 'bearer' && this.token) headers.authorization = `Bearer ${this.token}`;
    const doFetch = this.options.fetch ?? fetch;
    try {
      return await doFetch(`${this.options.httpBase}${path}`, {
        method,
        headers,
        body: raw ? raw.data : body === undefined ? undefined : JSON.stringify(body),
        // Same origin on the web: the cookie goes along (and is set by sign-in answers).
        credentials: this.options.auth === 'cookie' ? 'include' : 'omit',
      });
    } catch (error) {
      throw new ApiError('network', error instanceof Error ? error.message : String(error), null);
    }
  }
}

/** The error an answer that isn't 2xx stands for: a BannedError for a banned member's login. */
function failure(status: number, json: unknown): ApiError {
  const banned = BannedLoginBody.safeParse(json);
  if (banned.success) return new BannedError(banned.data.error.message, banned.data.appealToken, banned.data.expiresAt);
  const parsed = ErrorBody.safeParse(json);
  if (parsed.success) return new ApiError(parsed.data.error.code, parsed.data.error.message, status);
  return new ApiError('invalid_response', `HTTP ${status}`, status);
}

/** `?a=1&b=2` from the fields that are set, or nothing. */
function queryString(query: Record<string, string | number | undefined>): string {
  const pairs = Object.entries(query).flatMap(([key, value]) =>
    value === undefined ? [] : [`${key}=${encodeURIComponent(String(value))}`],
  );
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64, written out because `btoa` and `Buffer` are not on every platform the app runs on. */
export function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    out += BASE64[a >> 2]! + BASE64[((a & 3) << 4) | ((b ?? 0) >> 4)]!;
    out += b === undefined ? '=' : BASE64[((b & 15) << 2) | ((c ?? 0) >> 6)]!;
    out += c === undefined ? '=' : BASE64[c & 63]!;
  }
  return out;
}

/** A body sent as it is, not as JSON (the server takes only `image/jpeg` this way, for report evidence). */
class RawBody {
  constructor(
    readonly contentType: string,
    readonly data: Blob,
  ) {}
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What to tell the user when a request failed, in the app's language: from the error's code
 * (errors namespace), never from the server's English message. A `bad_request` names the field
 * the server refused, when it is one the form has.
 */
export function describeApiError(error: unknown): string {
  const code = error instanceof ApiError ? error.code : 'network';
  if (code === 'bad_request' && error instanceof ApiError) {
    // The server's message starts with the field that failed ("displayName: must contain…").
    const field = /^(\w+):/.exec(error.message)?.[1];
    if (field && i18n.exists(`errors:fields.${field}`)) {
      return i18n.t('errors:bad_request_field', {
        field: i18n.t(`errors:fields.${field as keyof typeof english.errors.fields}`),
      });
    }
  }
  return i18n.t(`errors:${code}`);
}
