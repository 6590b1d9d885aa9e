import { CloseCode, type ClientMessage, type OwnUser } from '@small-talk/protocol';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_FIRST_RETRY_JITTER_MS } from '../defaults.js';
import { Emitter } from '../events.js';
import { frameText, parseFrame } from './frames.js';
import { defaultReconnectPolicy, type ReconnectPolicy } from './reconnect-policy.js';
import { createPlatformWebSocket, type CreateWebSocket, type WebSocketLike } from './websocket.js';

import {
  SocketEvent,
  type RetryInfo,
  type SocketCloseReason,
  type SocketEventCallbacks,
  type SocketOptions,
  type SocketState,
  type SocketStateInfo,
} from './types.js';

export * from './types.js';

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
    const text = frameText(message);
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
      if (failure)
        setTimeout(() => {
          throw failure;
        }, 0);
    }, delayMs);
  }

  private onFrame(data: unknown): void {
    const parsed = parseFrame(data);
    if ('problem' in parsed) {
      this.emit(SocketEvent.InvalidFrame, parsed.problem);
      return;
    }
    const { message } = parsed;
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
    // The server is restarting and keeps rooms for the grace: every moment waited eats into it,
    // so at once, but for the jitter that keeps all its clients from returning together.
    const delay =
      code === CloseCode.serviceRestart && this.retryCount === 0
        ? Math.round(Math.random() * DEFAULT_FIRST_RETRY_JITTER_MS)
        : this.policy({ retryCount: this.retryCount, elapsedMs: this.now() - this.outageStartedAt });
    if (delay === null) return this.finish('gave_up', code);
    const retry: RetryInfo =
      code === undefined
        ? { retryCount: this.retryCount, delayMs: delay }
        : { retryCount: this.retryCount, delayMs: delay, code };
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
