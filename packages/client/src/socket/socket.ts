import { CloseCode, MAX_FRAME_BYTES, ServerMessage, type ClientMessage, type Notice, type OwnUser } from '@small-talk/protocol';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../defaults.js';
import { SmallTalkError } from '../errors.js';
import { Emitter } from '../events.js';
import { defaultReconnectPolicy, type ReconnectPolicy } from './reconnect-policy.js';
import { createPlatformWebSocket, type CreateWebSocket, type WebSocketLike } from './websocket.js';

/**
 * - `connecting`: the first socket (or its retries) is on its way; nothing was open yet.
 * - `open`: the server said `welcome`; frames flow.
 * - `reconnecting`: an open socket dropped; retrying on the policy's schedule.
 * - `closed`: not connected and not trying (before connect(), after close(), or for good:
 *   see SocketCloseReason).
 */
export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why a socket is `closed` for good. */
export type SocketCloseReason =
  /** The app called close(). */
  | 'client'
  /** Another socket of the same user took over (close 4000): reconnecting would take it back. */
  | 'replaced'
  /** The session was logged out (close 4001): the token is dead. */
  | 'logged_out'
  /** A moderator banned the user (close 4003): every session is dead; logging in again gets the notice and an appeal, not a socket. */
  | 'banned'
  /** The upgrade was refused with HTTP 401 (seen only where the platform reports it: Node's ws, React Native). */
  | 'unauthorized'
  /** The reconnect policy returned null. */
  | 'gave_up';

export interface SocketStateInfo {
  /** Close code of the WebSocket whose end caused this state, when there was one. */
  code?: number;
  /** Set on `closed`. */
  reason?: SocketCloseReason;
}

export interface RetryInfo {
  /** 0 for the first retry after a drop. */
  retryCount: number;
  delayMs: number;
  /** Close code of the socket that ended, if any. */
  code?: number;
}

export enum SocketEvent {
  /** (state, info) on every change of `state`. */
  State = 'state',
  /** (message) every valid frame from the server, `welcome` included. */
  Message = 'message',
  /** (problem) a frame that failed the protocol's ServerMessage schema was dropped. */
  InvalidFrame = 'invalidFrame',
  /** (retry) the next try is scheduled. */
  RetryScheduled = 'retryScheduled',
  /**
   * (user) the own user as the server last described it: at each `welcome`, and when a
   * `restricted` frame changes its restriction (the app shows why instead of matching).
   */
  User = 'user',
  /**
   * (notice) a statement of reasons about this user (a warning, a suspension, a ban, a lift, an
   * appeal decided), as `GET /api/me/notices` lists it. After `restored` or `appeal_overturned`
   * the app reads `/api/me` again: the user may meet people again.
   */
  Notice = 'notice',
}

export type SocketEventCallbacks = {
  [SocketEvent.State]: (state: SocketState, info: SocketStateInfo) => void;
  [SocketEvent.Message]: (message: ServerMessage) => void;
  [SocketEvent.InvalidFrame]: (problem: string) => void;
  [SocketEvent.RetryScheduled]: (retry: RetryInfo) => void;
  [SocketEvent.User]: (user: OwnUser) => void;
  [SocketEvent.Notice]: (notice: Notice) => void;
};

export interface SocketOptions {
  /** ws:// or wss:// URL of the server's /ws. */
  url: string;
  /**
   * Session token, sent as `Authorization: Bearer` where the platform allows headers (React
   * Native, Node). Browsers can't send headers on a WebSocket: there the st_session cookie
   * set by the auth endpoints authenticates, and the token may be left out.
   */
  token?: string;
  /** Opens the WebSocket; defaults to the platform's global (browsers, React Native). Node passes one built on `ws`. */
  createWebSocket?: CreateWebSocket;
  /** Delay before each retry, or null to give up; see createReconnectPolicy(). */
  reconnectPolicy?: ReconnectPolicy;
  /** A try that hasn't had its `welcome` after this long is abandoned and counts as failed. */
  connectTimeoutMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

type Timer = ReturnType<typeof setTimeout>;

const noop = () => {};

/**
 * The live link to the server: one WebSocket at a time, validated frames in, reconnects
 * with backoff after a drop. It knows nothing of rooms; Matchmaking resumes them on top.
 */
export class Socket extends Emitter<SocketEventCallbacks> {
  private ws: WebSocketLike | null = null;
  private _state: SocketState = 'closed';
  private _user: OwnUser | null = null;
  private retryCount = 0;
  /** When the current outage began, for the policy's elapsedMs. */
  private outageStartedAt = 0;
  private retryTimer: Timer | null = null;
  private connectTimer: Timer | null = null;
  private readonly createWebSocket: CreateWebSocket;
  private readonly policy: ReconnectPolicy;
  private readonly connectTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SocketOptions) {
    super();
    this.createWebSocket = options.createWebSocket ?? createPlatformWebSocket;
    this.policy = options.reconnectPolicy ?? defaultReconnectPolicy;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  get state(): SocketState {
    return this._state;
  }

  /** The signed-in user, from the last `welcome` (and `restricted` frame since). */
  get user(): OwnUser | null {
    return this._user;
  }

  /** Starts connecting. Does nothing unless `closed`; after a close for good, it starts over. */
  connect(): void {
    if (this._state !== 'closed') return;
    this.retryCount = 0;
    this.outageStartedAt = this.now();
    this.setState('connecting', {});
    const failure = this.open();
    if (failure) throw failure;
  }

  /** Closes for good: no reconnect until connect() is called again. */
  close(): void {
    if (this._state === 'closed') return;
    this.finish('client', undefined);
  }

  /**
   * Drops the current socket and tries again at once, e.g. when the app learns the network
   * changed: the old socket may look open for a long time after its path died.
   */
  reconnect(): void {
    if (this._state === 'closed') return;
    this.clearTimers();
    this.discard();
    if (this._state === 'open') {
      this.outageStartedAt = this.now();
      this.setState('reconnecting', {});
    }
    this.retryCount = 0;
    this.retry(0);
  }

  /**
   * Sends a frame if the socket is open; returns false (and sends nothing) otherwise.
   * Queueing across a drop is Matchmaking's job, which knows which frames still make sense.
   */
  send(message: ClientMessage): boolean {
    const text = JSON.stringify(message);
    // A frame over the limit would get the socket closed with 1009 and be retried forever.
    if (text.length * 3 > MAX_FRAME_BYTES && utf8Length(text) > MAX_FRAME_BYTES) {
      throw new SmallTalkError('payload_too_large', `a frame may be at most ${MAX_FRAME_BYTES} bytes`);
    }
    if (this._state !== 'open' || !this.ws) return false;
    this.ws.send(text);
    return true;
  }

  /** Opens a new WebSocket; returns the error if the platform refused to create one (then the socket is `closed`). */
  private open(): Error | undefined {
    let ws: WebSocketLike;
    try {
      ws = this.createWebSocket(this.options.url, this.options.token);
    } catch (error) {
      // Refused outright (a bad URL, no WebSocket on this platform): retrying can't help.
      this.finish('gave_up', undefined);
      return error instanceof Error ? error : new Error(String(error));
    }
    this.ws = ws;
    ws.onopen = noop; // `open` is the server's `welcome`, which also proves the session.
    ws.onmessage = (event: { data?: unknown }) => this.onFrame(event.data);
    ws.onclose = (event: { code?: number }) => this.onSocketEnd(ws, event?.code);
    // An error is always followed by a close on every platform; handling it now also catches
    // a failed upgrade, whose message is the only place a 401 shows (ws, React Native).
    ws.onerror = (event: { message?: unknown; error?: { message?: unknown } }) => {
      const message = String(event?.message ?? event?.error?.message ?? '');
      this.onSocketEnd(ws, undefined, /\b401\b/.test(message));
    };
    this.connectTimer = setTimeout(() => this.onSocketEnd(ws, undefined), this.connectTimeoutMs);
    return undefined;
  }

  private retry(delayMs: number): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      const failure = this.open();
      // Surfaces as an uncaught error: a platform that had a WebSocket a moment ago and now throws is a bug.
      if (failure) setTimeout(() => {
        throw failure;
      }, 0);
    }, delayMs);
  }

  private onFrame(data: unknown): void {
    if (typeof data !== 'string') {
      this.emit(SocketEvent.InvalidFrame, 'binary frame');
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.emit(SocketEvent.InvalidFrame, 'frame is not JSON');
      return;
    }
    const parsed = ServerMessage.safeParse(json);
    if (!parsed.success) {
      // The issue's path and message only: frames carry SDP, which holds IP addresses.
      const issue = parsed.error.issues[0];
      const type = typeof json === 'object' && json !== null && 'type' in json ? String((json as { type: unknown }).type) : '?';
      this.emit(SocketEvent.InvalidFrame, `invalid ${type} frame: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'schema mismatch'}`);
      return;
    }
    const message = parsed.data;
    if (message.type === 'welcome') {
      this.clearTimers();
      this._user = message.user;
      this.retryCount = 0;
      const wasOpen = this._state === 'open';
      this._state = 'open';
      // `welcome` first, so Matchmaking has resumed (or re-joined) before the app's `open`
      // listeners run and perhaps send frames of their own.
      this.emit(SocketEvent.Message, message);
      this.emit(SocketEvent.User, message.user);
      if (!wasOpen) this.emit(SocketEvent.State, 'open', {});
      return;
    }
    this.emit(SocketEvent.Message, message);
    if (message.type === 'restricted' && this._user) {
      this._user = { ...this._user, restriction: message.restriction };
      this.emit(SocketEvent.User, this._user);
    }
    if (message.type === 'notice') this.emit(SocketEvent.Notice, message.notice);
  }

  /** The socket `ws` ended (close, error or connect timeout): close for good or schedule a retry. */
  private onSocketEnd(ws: WebSocketLike, code: number | undefined, unauthorized = false): void {
    if (ws !== this.ws) return; // a socket we already let go of
    this.clearTimers();
    this.discard();
    if (code === CloseCode.replaced) return this.finish('replaced', code);
    if (code === CloseCode.loggedOut) return this.finish('logged_out', code);
    if (code === CloseCode.banned) return this.finish('banned', code);
    if (unauthorized) return this.finish('unauthorized', code);
    if (this._state === 'open') {
      this.outageStartedAt = this.now();
      this.retryCount = 0;
      this.setState('reconnecting', code === undefined ? {} : { code });
    }
    // The server is restarting and keeps rooms for the grace: every moment waited eats into it.
    const delay =
      code === CloseCode.serviceRestart && this.retryCount === 0
        ? 0
        : this.policy({ retryCount: this.retryCount, elapsedMs: this.now() - this.outageStartedAt });
    if (delay === null) return this.finish('gave_up', code);
    const retry: RetryInfo = code === undefined ? { retryCount: this.retryCount, delayMs: delay } : { retryCount: this.retryCount, delayMs: delay, code };
    this.retryCount += 1;
    this.retry(delay);
    this.emit(SocketEvent.RetryScheduled, retry);
  }

  /** Closed for good. */
  private finish(reason: SocketCloseReason, code: number | undefined): void {
    this.clearTimers();
    this.discard();
    const info: SocketStateInfo = code === undefined ? { reason } : { reason, code };
    this.setState('closed', info);
  }

  /** Lets go of the current WebSocket: closes it and ignores whatever it still reports. */
  private discard(): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    // No-ops, not null: the `ws` package emits `error` when a connecting socket is closed,
    // and an EventEmitter `error` without a listener throws.
    ws.onopen = noop;
    ws.onmessage = noop;
    ws.onclose = noop;
    ws.onerror = noop;
    try {
      ws.close(1000);
    } catch {
      // Already closed, or a platform that rejects the code: either way it is gone.
    }
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.retryTimer = null;
    this.connectTimer = null;
  }

  private setState(state: SocketState, info: SocketStateInfo): void {
    this._state = state;
    this.emit(SocketEvent.State, state, info);
  }
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3;
  }
  return bytes;
}
