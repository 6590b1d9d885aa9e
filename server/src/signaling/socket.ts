import type { Logger } from 'pino';
import WebSocket, { type RawData } from 'ws';
import { ClientMessage, CloseCode, Ref, type ErrorCode, type ErrorEvent } from '@small-talk/protocol';
import type { Principal } from '../auth/service.js';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Delivery, Inbox, RoomLink } from '../storage/bus/bus.js';
import { describeIssues } from '../validation.js';
import { MAX_FRAME_DEPTH, MAX_FRAME_VALUES, scanFrame, typeIs } from './frame-scan.js';
import type { Handlers } from './handlers.js';
import { FrameRateLimit, type RateLimitOptions } from './rate-limit.js';

/** Bytes queued for one socket before it counts as stalled. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * Frames of every type but these are refused above CONTROL_FRAME_BYTES: only SDP and chat text
 * need room, and the rest (join, leave, call, ...) fit in a few hundred bytes, so a large one is
 * only ever an attempt to make the server parse.
 */
const LARGE_FRAME_TYPES = ['signal', 'chat'] as const;
const CONTROL_FRAME_BYTES = 4 * 1024;

export interface SocketDeps {
  handlers: Handlers;
  metrics: Metrics;
  log: Logger;
  rateLimit: RateLimitOptions;
}

interface Inbound {
  message: ClientMessage;
  dataText: string;
}

/**
 * One user's WebSocket: turns frames into handler calls, one at a time and in order, and
 * receives deliveries from the bus. Its room is cached here so a relayed frame costs no lookup.
 */
export class ClientSocket implements Inbox {
  room: RoomLink | null = null;
  /** Pings sent since the last pong; the heartbeat closes the socket at two. */
  unansweredPings = 0;
  /** Set when a newer socket of the same user took over: this one's close must not touch the room. */
  replaced = false;
  private readonly limit: FrameRateLimit;
  private running = false;
  private readonly backlog: Inbound[] = [];
  private logger: Logger | undefined;

  constructor(
    readonly ws: WebSocket,
    /** Who the socket belongs to; its session changes when a guest upgrades to member. */
    public principal: Principal,
    private readonly deps: SocketDeps,
  ) {
    this.limit = new FrameRateLimit(deps.rateLimit, Date.now());
  }

  get userId(): string {
    return this.principal.user.id;
  }

  /** Created on first use: most sockets never log, and idle memory per socket matters. */
  get log(): Logger {
    return (this.logger ??= this.deps.log.child({ userId: this.userId }));
  }

  deliver(delivery: Delivery): boolean {
    // Closing: the client will never read it. Refuse, so the bus holds it for the user's return.
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    if (delivery.room !== undefined) this.room = delivery.room;
    this.sendText(delivery.text);
    // After the frame: ws sends in order, so the client reads why before the close arrives.
    if (delivery.close) this.ws.close(delivery.close.code, delivery.close.reason);
    return true;
  }

  replace(): void {
    this.replaced = true;
    this.ws.close(CloseCode.replaced, 'another connection of this user took over');
  }

  sendText(text: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // A reader this far behind is gone in all but name; cutting it lets it resume cleanly
    // instead of the server buffering for it without bound.
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.ws.terminate();
      return;
    }
    this.ws.send(text);
  }

  /** `ref`: the frame this error answers, when it named itself (see `Ref`). */
  fail(code: ErrorCode, message: string, ref?: string): void {
    this.deps.metrics.error(code);
    this.sendText(JSON.stringify({ type: 'error', code, message, ref } satisfies ErrorEvent));
  }

  onFrame(data: RawData, isBinary: boolean): void {
    // Frames still arriving while a close handshake runs are ignored, not counted again.
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const bytes = byteLength(data);
    const verdict = this.limit.check(Date.now(), bytes);
    if (verdict !== 'pass') {
      if (verdict === 'warn') this.fail('rate_limited', 'too many frames: slow down, frames are being dropped');
      if (verdict === 'close') {
        this.deps.metrics.error('rate_limited');
        this.ws.close(CloseCode.policyViolation, 'kept flooding after being rate limited');
      }
      return;
    }
    if (isBinary) return this.fail('bad_request', 'frames are JSON text, not binary');
    const text = data.toString();
    // Both refusals come before JSON.parse: what they refuse costs the most to parse.
    const shape = scanFrame(text);
    if (shape === null) return this.fail('bad_request', `frame nests deeper than ${MAX_FRAME_DEPTH} levels`);
    if (shape.structure > MAX_FRAME_VALUES)
      return this.fail('bad_request', `frame holds more than ${MAX_FRAME_VALUES} values`);
    this.limit.chargeStructure(shape.structure);
    if (bytes > CONTROL_FRAME_BYTES && !typeIs(text, shape, LARGE_FRAME_TYPES)) {
      return this.fail('payload_too_large', `only signal and chat frames may exceed ${CONTROL_FRAME_BYTES} bytes`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.fail('bad_request', 'frame is not valid JSON');
    }
    const parsed = ClientMessage.safeParse(json);
    // A frame refused for its shape still says which request failed, if its ref is a good one.
    if (!parsed.success) return this.fail('bad_request', describeIssues(parsed.error), refOf(json));
    const message = parsed.data;
    // Parsed, so valid JSON, on which the scan's span is exact.
    const dataText = message.type === 'signal' ? text.slice(shape.dataStart, shape.dataEnd) : '';
    if (this.running) this.backlog.push({ message, dataText });
    else this.run(message, dataText);
  }

  /**
   * Runs handlers in arrival order. Most finish synchronously (relaying is a map lookup); one
   * that awaits (join, leave, cancel) holds every frame behind it until it is done.
   */
  private run(message: ClientMessage, dataText: string): void {
    for (;;) {
      let pending: void | Promise<void> = undefined;
      try {
        pending = this.deps.handlers[message.type](this, message as never, dataText);
      } catch (error) {
        this.failWith(error, message.ref);
      }
      if (pending) {
        this.running = true;
        const { ref } = message;
        pending
          .catch((error: unknown) => this.failWith(error, ref))
          .finally(() => {
            this.running = false;
            const next = this.backlog.shift();
            if (next) this.run(next.message, next.dataText);
          });
        return;
      }
      const next = this.backlog.shift();
      if (!next) return;
      ({ message, dataText } = next);
    }
  }

  private failWith(error: unknown, ref: string | undefined): void {
    if (error instanceof AppError) return this.fail(error.code, error.message, ref);
    this.log.error({ err: error }, 'frame handler failed');
    this.fail('internal', 'something went wrong on the server', ref);
  }
}

/** The `ref` of a frame that failed the schema, when that field itself is valid. */
function refOf(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || !('ref' in json)) return undefined;
  const ref = Ref.safeParse(json.ref);
  return ref.success ? ref.data : undefined;
}

/** The payload's size as received: ws hands text frames over as one Buffer. */
function byteLength(data: RawData): number {
  if (Buffer.isBuffer(data)) return data.length;
  if (Array.isArray(data)) return data.reduce((sum, chunk) => sum + chunk.length, 0);
  return data.byteLength;
}
