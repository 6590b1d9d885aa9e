/**
 * The server's HTTP API (docs/protocol.md): sign-in, the user, categories, history, friends
 * and the STUN/TURN servers for calls. Bodies
 * are checked with the protocol's schemas, and failures are ApiErrors carrying the protocol's
 * error code, so screens branch on the code rather than on a message.
 */
import {
  AuthResponse,
  CategoriesResponse,
  ErrorBody,
  FriendResponse,
  FriendsResponse,
  HistoryResponse,
  IceResponse,
  MeResponse,
  SendFriendRequestResponse,
  type Category,
  type Connection,
  type ErrorCode,
  type Friend,
  type User,
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
  user: User;
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

  async me(): Promise<User> {
    return (await this.request('GET', '/api/me', MeResponse, undefined)).user;
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

  private async signIn(path: string, body: object): Promise<SignedIn> {
    const signedIn = await this.request('POST', path, AuthResponse, body);
    if (this.options.auth === 'bearer') this.token = signedIn.token;
    return signedIn;
  }

  private async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, schema: Schema<T> | null, body: object | undefined): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.auth === 'bearer' && this.token) headers.authorization = `Bearer ${this.token}`;
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(`${this.options.httpBase}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
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
    case 'bad_request':
      // The server's message names the field that failed (e.g. "password: Too small…").
      return error instanceof ApiError ? `Please check the form: ${error.message}` : 'Please check the form.';
    default:
      return 'Something went wrong on our side. Try again in a moment.';
  }
}
