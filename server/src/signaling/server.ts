import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { Logger } from 'pino';
import WebSocket, { WebSocketServer, type RawData, type ServerOptions } from 'ws';
import { CloseCode, MAX_FRAME_BYTES, type ErrorCode, type OwnUser, type User } from '@small-talk/protocol';
import { tokenFrom } from '../auth/credentials.js';
import type { Auth, Principal } from '../auth/service.js';
import { errorBody, httpStatus } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Rooms } from '../rooms/service.js';
import type { Handlers } from './handlers.js';
import { ClientSocket } from './socket.js';

export interface SignalingOptions {
  auth: Auth;
  rooms: Rooms;
  handlers: Handlers;
  metrics: Metrics;
  log: Logger;
  allowedOrigins: readonly string[];
  /** The client's address, as HTTP routes see it (through TRUST_PROXY's proxies): what maxSocketsPerAddress counts. */
  addressOf(request: IncomingMessage): string;
  maxSocketsPerAddress: number;
  heartbeatMs: number;
  rateLimit: { perSecond: number; bytesPerSecond: number; floodCloseMs: number };
  /** The user as its owner sees it, for `welcome`. */
  ownUser: (user: User) => Promise<OwnUser>;
}

export interface Signaling {
  /** Closes every socket with `code`; their rooms wait out the grace, so users can resume elsewhere. */
  closeAll(code: number, reason: string): Promise<void>;
}

/** The WebSocket edge at /ws: upgrade checks (origin, auth, per-address cap), then one ClientSocket per user. */
export function attachSignaling(server: Server, options: SignalingOptions): Signaling {
  const { auth, rooms, metrics, log } = options;
  // No per-message deflate: frames are small and compressing each costs more CPU than it saves.
  // closeTimeout: a client that sends its close frame and vanishes is gone after 1 s, not ws's
  // default 30 s, so its grace starts on time. (ws ≥ 8.19 has it; @types/ws 8.18 does not list it.)
  const wssOptions: ServerOptions & { closeTimeout: number } = {
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    clientTracking: false,
    perMessageDeflate: false,
    closeTimeout: 1000,
  };
  const wss = new WebSocketServer(wssOptions);
  const sockets = new Set<ClientSocket>();
  const perAddress = new Map<string, number>();
  let accepting = true;

  const reject = (socket: Duplex, code: ErrorCode, message: string) => {
    const status = httpStatus[code];
    const body = JSON.stringify(errorBody(code, message));
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    metrics.error(code);
  };

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', destroyOnError);
    void upgrade(request, socket, head).catch((error: unknown) => {
      log.error({ err: error }, 'websocket upgrade failed');
      if (!socket.destroyed) reject(socket, 'internal', 'could not open the connection');
    });
  });

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = request.url?.split('?', 1)[0];
    if (path !== '/ws') return reject(socket, 'not_found', 'WebSocket endpoint is /ws');
    if (!accepting) return reject(socket, 'unavailable', 'this process is shutting down; reconnect');
    if (!originAllowed(request, options.allowedOrigins)) return reject(socket, 'forbidden', 'origin not allowed');
    const address = options.addressOf(request);
    if ((perAddress.get(address) ?? 0) >= options.maxSocketsPerAddress) {
      return reject(socket, 'rate_limited', 'too many open connections from this address');
    }
    // The slot is taken before the session lookup awaits, so upgrades arriving together cannot
    // all pass the check while each waits for the database. Until ws owns the connection, the
    // slot is given back when the TCP socket closes, whichever way the upgrade failed.
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    const releaseUnopened = () => releaseSlot(address);
    socket.once('close', releaseUnopened);
    const token = tokenFrom(request.headers);
    const principal = token ? await auth.authenticate(token) : null;
    if (!principal) return reject(socket, 'unauthenticated', 'sign in first: no valid session');
    // A banned member's appeal session reads notices and appeals over HTTP; it never meets anyone.
    if (principal.scope === 'appeal')
      return reject(socket, 'unauthenticated', 'this session can only read your notices and appeal');
    // Read before the upgrade completes, so the socket's first frames never wait on it.
    const me = await options.ownUser(principal.user);
    if (socket.destroyed) return;
    wss.handleUpgrade(request, socket, head, (ws) => {
      // ws owns the connection now, and its close gives the slot back (accept). Left attached,
      // this listener would keep the whole upgrade (the welcome's user among it) alive as long
      // as the socket: about 0.6 KB a socket.
      socket.off('close', releaseUnopened);
      accept(ws, principal, me, address, socket);
    });
  }

  function releaseSlot(address: string): void {
    const left = (perAddress.get(address) ?? 1) - 1;
    if (left > 0) perAddress.set(address, left);
    else perAddress.delete(address);
  }

  function accept(ws: WebSocket, principal: Principal, me: OwnUser, address: string, stream: Duplex): void {
    const client = new ClientSocket(ws, principal, options, stream);
    sockets.add(client);
    (ws as SocketOfClient).client = client;
    metrics.socketsOpen.inc();
    // Listeners shared by every socket (they find their client by `this`): three closures fewer a socket.
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('error', onError);
    closeAtExpiry(client);
    ws.on('close', () => {
      sockets.delete(client);
      metrics.socketsOpen.dec();
      releaseSlot(address);
      if (!client.replaced)
        void rooms
          .disconnected(client.userId, client, client.settled())
          .catch((error: unknown) => log.error({ err: error }, 'disconnect handling failed'));
    });
    void rooms.connected(me, client).catch((error: unknown) => {
      log.error({ err: error }, 'connect handling failed');
      ws.close(CloseCode.internalError, 'server error');
    });
  }

  auth.onSessionEnded((tokenHash, replacement, close) => {
    for (const client of sockets) {
      if (client.principal.tokenHash !== tokenHash) continue;
      if (replacement) {
        client.principal = { ...client.principal, ...replacement };
        closeAtExpiry(client);
      } else if (close) client.ws.close(close.code, close.reason);
      else client.ws.close(CloseCode.loggedOut, 'logged out');
    }
  });

  /**
   * A session's end is its socket's end: at `expiresAt` the socket closes with 4001, as on a
   * logout, not at the next heartbeat or request. One timer for all sockets, armed for the
   * soonest expiry (a timer per socket cost ~0.25 KB each); when it fires, every socket whose
   * session has ended closes and the timer is armed for the next. A guest's upgrade gives its
   * socket a new session: the next firing reads it. setTimeout holds at most ~24.8 days and
   * sessions last 30, so a longer wait is taken in steps.
   */
  let expiryTimer: NodeJS.Timeout | undefined;
  let expiryAt = Infinity;

  function closeAtExpiry(client: ClientSocket): void {
    const at = client.principal.expiresAt;
    if (at <= Date.now()) client.ws.close(CloseCode.loggedOut, 'session expired');
    else if (at < expiryAt) armExpiry(at);
  }

  function armExpiry(at: number): void {
    clearTimeout(expiryTimer);
    expiryAt = at;
    expiryTimer = setTimeout(closeExpired, Math.min(at - Date.now(), MAX_TIMER_MS));
    expiryTimer.unref();
  }

  function closeExpired(): void {
    expiryAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const client of sockets) {
      // Already closing (its close event is yet to come): must not count as the next expiry.
      if (client.ws.readyState !== WebSocket.OPEN) continue;
      const at = client.principal.expiresAt;
      if (at <= now) client.ws.close(CloseCode.loggedOut, 'session expired');
      else next = Math.min(next, at);
    }
    if (next < Infinity) armExpiry(next);
  }

  // One timer for all sockets: two pings without a pong and the socket is gone (its grace starts).
  // The sweep yields to I/O every HEARTBEAT_SLICE sockets: a ping is a write, and 20,000 of them
  // in one go held every request and frame for seconds on a busy machine.
  let sweeping = false;
  const heartbeat = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    void sweep().finally(() => (sweeping = false));
  }, options.heartbeatMs);
  heartbeat.unref();

  async function sweep(): Promise<void> {
    let done = 0;
    // A Set's iterator survives changes: sockets closed meanwhile are skipped, new ones visited.
    for (const client of sockets) {
      if (client.unansweredPings >= 2) client.ws.terminate();
      else {
        client.unansweredPings += 1;
        client.ws.ping();
      }
      if (++done % HEARTBEAT_SLICE === 0) await yieldToIo();
    }
  }

  return {
    async closeAll(code, reason) {
      accepting = false;
      clearInterval(heartbeat);
      clearTimeout(expiryTimer);
      const closed = [...sockets].map(
        (client) =>
          new Promise<void>((resolve) => {
            client.ws.once('close', () => resolve());
            client.ws.close(code, reason);
          }),
      );
      await Promise.all(closed);
    },
  };
}

/**
 * A WebSocket that carries its client, for the listeners all sockets share. A property read is
 * what each frame pays to find its client; a WeakMap lookup (hashing the socket) cost more, and
 * its entry more memory than one field on an object every socket already has.
 */
interface SocketOfClient extends WebSocket {
  client: ClientSocket;
}

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as SocketOfClient).client.onFrame(data, isBinary);
}

function onPong(this: WebSocket): void {
  (this as SocketOfClient).client.unansweredPings = 0;
}

function onError(this: WebSocket, error: Error): void {
  (this as SocketOfClient).client.log.debug({ err: error }, 'socket error');
}

/** A connection that fails before ws owns it is dropped; a shared function, not a closure per upgrade. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Sockets pinged between two looks at I/O: a few ms of writes. */
export const HEARTBEAT_SLICE = 500;

/** The longest delay setTimeout honours (2^31 − 1 ms); beyond it Node fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Browsers always send Origin; other clients (apps, tests) may not, and cannot be tricked
 * into riding a user's cookie, so no Origin is allowed. A page's own origin is judged by the
 * Host header, with either scheme, since a TLS proxy in front changes the scheme we see.
 */
function originAllowed(request: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const host = request.headers.host;
  if (host && (origin === `http://${host}` || origin === `https://${host}`)) return true;
  return allowed.includes(origin);
}
