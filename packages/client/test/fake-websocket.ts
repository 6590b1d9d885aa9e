import type { ClientMessage } from '@small-talk/protocol';
import type { WebSocketLike } from '../src/index.js';

/**
 * A WebSocket whose far end is the test: it records what the SDK sends and lets the test
 * open, feed, drop or fail it. Like a real socket it does nothing on its own.
 */
export class FakeWebSocket implements WebSocketLike {
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  readonly sent: ClientMessage[] = [];
  /** The code the SDK closed it with, once it did. */
  closedWith: number | undefined;

  constructor(
    readonly url: string,
    readonly token: string | undefined,
  ) {}

  send(data: string): void {
    if (this.closedWith !== undefined) throw new Error('send on a closed socket');
    this.sent.push(JSON.parse(data) as ClientMessage);
  }

  close(code?: number): void {
    this.closedWith = code ?? 1005;
  }

  // ---- the server's side ----

  /** Opens it and sends `welcome`, as the server does on a good upgrade. */
  accept(user = { id: 'u1', displayName: 'Ada', kind: 'guest' as const }): void {
    this.onopen?.({});
    this.receive({ type: 'welcome', user });
  }

  receive(frame: unknown): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  /** The connection ends with `code` (1006: dropped without a close frame). */
  drop(code = 1006): void {
    this.onclose?.({ code, reason: '' });
  }

  /** The platform reports an error (a refused upgrade, a reset connection). */
  fail(message = ''): void {
    this.onerror?.({ message });
    this.onclose?.({ code: 1006, reason: '' });
  }

  sentOfType<T extends ClientMessage['type']>(type: T): Extract<ClientMessage, { type: T }>[] {
    return this.sent.filter((m): m is Extract<ClientMessage, { type: T }> => m.type === type);
  }

  /** What the SDK sent, without the refs it names its requests by (answer() echoes those). */
  get bare(): Array<Omit<ClientMessage, 'ref'>> {
    return this.sent.map(({ ref: _ref, ...frame }) => frame);
  }

  /** The last frame of `type` the SDK sent. */
  lastSent<T extends ClientMessage['type']>(type: T): Extract<ClientMessage, { type: T }> {
    const frame = this.sentOfType(type).at(-1);
    if (!frame) throw new Error(`no ${type} frame was sent`);
    return frame;
  }

  /** Answers the SDK's last `to` frame as the server does: `frame`, echoing that frame's ref. */
  answer(to: ClientMessage['type'], frame: Record<string, unknown>): void {
    this.receive({ ...frame, ref: this.lastSent(to).ref });
  }
}

/** A createWebSocket that hands out FakeWebSockets and keeps them, newest last. */
export class FakeServer {
  readonly sockets: FakeWebSocket[] = [];
  private waiters: Array<(ws: FakeWebSocket) => void> = [];

  readonly createWebSocket = (url: string, token: string | undefined): WebSocketLike => {
    const ws = new FakeWebSocket(url, token);
    this.sockets.push(ws);
    for (const waiter of this.waiters.splice(0)) waiter(ws);
    return ws;
  };

  get last(): FakeWebSocket {
    const ws = this.sockets.at(-1);
    if (!ws) throw new Error('no socket yet');
    return ws;
  }

  /** The next socket the SDK opens (or the one it opened already, if `after` sockets exist). */
  nextSocket(after = this.sockets.length, timeoutMs = 2000): Promise<FakeWebSocket> {
    const existing = this.sockets[after];
    if (existing) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no new socket was opened')), timeoutMs);
      this.waiters.push((ws) => {
        clearTimeout(timer);
        resolve(ws);
      });
    });
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
