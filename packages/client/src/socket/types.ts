import type { Notice, OwnUser, ServerMessage } from '@small-talk/protocol';
import type { ReconnectPolicy } from './reconnect-policy.js';
import type { CreateWebSocket } from './websocket.js';

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
