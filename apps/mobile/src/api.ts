/**
 * The server's HTTP API (docs/protocol.md): sign-in, the user, the rules and consent,
 * categories, history, friends and the STUN/TURN servers for calls. Bodies
 * are checked with the protocol's schemas, and failures are ApiErrors carrying the protocol's
 * error code, so screens branch on the code rather than on a message.
 */
import {
  AuthResponse,
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
  type Block,
  type Category,
  type Connection,
  type ErrorCode,
  type Friend,
  type Report,
  type ReportRequest,
  type OwnUser,
} from '@small-talk/protocol';
import type { ServerConfig } from './config';

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
    return (await this.request('POST', `/api/friends/requests/${encodeURIComponent(requestId)}/accept`, FriendResponse, undefined)).friend;
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

  /** Reports someone met (its connection, i.e. history row): the server also blocks them and ends a live room with them. */
  async report(body: ReportRequest): Promise<ReportResponse['report']> {
    return (await this.request('POST', '/api/reports', ReportResponse, body)).report;
  }

  /** A snapshot for one of this user's reports: a JPEG of at most 256 KiB, at most 3, within 10 minutes of the report. */
  async addReportEvidence(reportId: string, jpeg: Blob): Promise<void> {
    await this.request('POST', `/api/reports/${encodeURIComponent(reportId)}/evidence`, EvidenceResponse, new RawBody('image/jpeg', jpeg));
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

  private async signIn(path: string, body: object): Promise<SignedIn> {
    const signedIn = await this.request('POST', path, AuthResponse, body);
    if (this.options.auth === 'bearer') this.token = signedIn.token;
    return signedIn;
  }

  /** `body`: an object sent as JSON, or raw bytes with their type (a report's JPEG). */
  private async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, schema: Schema<T> | null, body: object | RawBody | undefined): Promise<T> {
    const raw = body instanceof RawBody ? body : null;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = raw ? raw.contentType : 'application/json';
    if (this.options.auth === 'bearer' && this.token) headers.authorization = `Bearer ${this.token}`;
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(`${this.options.httpBase}${path}`, {
        method,
        headers,
        body: raw ? raw.data : body === undefined ? undefined : JSON.stringify(body),
        // Same origin on the web: the cookie goes along (and is set by sign-in answers).
        credentials: this.options.auth === 'cookie' ? 'include' : 'omit',
      });
    } catch (error) {
      throw new ApiError('network', error instanceof Error ? error.message : String(error), null);
    }
    const text = await response.text().catch(() => '');
    const json = parseJson(text);
    if (!response.ok) {
      const parsed = ErrorBody.safeParse(json);
      if (parsed.success) throw new ApiError(parsed.data.error.code, parsed.data.error.message, response.status);
      throw new ApiError('invalid_response', `HTTP ${response.status}`, response.status);
    }
    if (schema === null) return undefined as T;
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ApiError('invalid_response', `unexpected answer to ${method} ${path}`, response.status);
    return parsed.data;
  }
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

/** What to tell the user when a request failed. */
export function describeApiError(error: unknown): string {
  const code = error instanceof ApiError ? error.code : 'network';
  switch (code) {
    case 'network':
      return "Can't reach Small Talk. Check your connection and try again.";
    case 'invalid_credentials':
      return 'Wrong email or password.';
    case 'email_taken':
      return 'An account with this email already exists. Sign in instead?';
    case 'reserved_name':
      return 'That name is kept for Small Talk itself. Please pick another.';
    case 'rate_limited':
      return 'Too many tries from here. Wait a minute and try again.';
    case 'unauthenticated':
      return 'Your session has ended. Sign in again.';
    case 'no_connection':
      return 'You can add people you have met in a call.';
    case 'already_friends':
      return 'You are friends already.';
    case 'already_requested':
      return 'You have asked already.';
    case 'rules_changed':
      return 'The rules have just changed. Please read them again.';
    case 'consent_required':
      return 'Please accept the rules first.';
    case 'restricted':
      return "Your account can't do that right now.";
    case 'bad_request':
      // The server's message names the field that failed (e.g. "password: Too small…").
      return error instanceof ApiError ? `Please check the form: ${error.message}` : 'Please check the form.';
    default:
      return 'Something went wrong on our side. Try again in a moment.';
  }
}
