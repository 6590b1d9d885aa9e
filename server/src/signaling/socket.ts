import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import WebSocket, { type RawData } from 'ws';
import { ClientMessage, CloseCode, Ref, type ErrorCode, type ErrorEvent } from '@small-talk/protocol';
import type { Principal } from '../auth/service.js';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { STANDING_CHANGED, type UserStanding } from '../safety/standing.js';
import type { Delivery, Inbox, RoomLink } from '../storage/bus/bus.js';
import { describeIssues } from '../validation.js';
import { MAX_FRAME_DEPTH, MAX_FRAME_VALUES, scanFrame, typeIs, type FrameShape } from './frame-scan.js';
import { signalFrom } from './signal-frame.js';
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

/**
 * How long a socket with no room keeps frames of a room whose `matched` has not come. Across
 * processes a peer's first offer can overtake its receiver's `matched`: they come from different
 * processes, and a `matched` can wait up to GAP_MS (1 s, storage/bus/redis.ts) behind a frame lost
 * with a killed process. This is well past that, even on a loaded machine; frames of a room that
 * never comes are dropped then.
 */
const EARLY_FRAMES_MS = 5000;
/** At most this many early frames are kept (an offer and its ICE candidates are a few dozen). */
const EARLY_FRAMES_MAX = 256;

/** Frames relayed in `roomId` before this socket's `matched` for it: created on the first, since idle memory per socket matters. */
interface EarlyFrames {
  roomId: string;
  texts: string[];
  timer: NodeJS.Timeout;
}

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
  private readonly whenSettled: Array<() => void> = [];
  private logger: Logger | undefined;
  /** The start of every signal this socket relays in `signalRoom`, built once per room (see signalPrefix). */
  private signalRoom: RoomLink | null = null;
  private signalSender = '';
  private signalHead = '';
  /** The room this socket was in last: a frame of it still on its way from the peer's process is dropped. */
  private endedRoomId: string | undefined;
  private early: EarlyFrames | null = null;
  /** The standing this socket's last join or call was allowed with, until the bus tells of a change (see allowedStanding). */
  private standing: UserStanding | null = null;
  /** How many changes of the user's standing this socket was told of: a read begun before the latest is not kept. */
  private standingNews = 0;

  constructor(
    readonly ws: WebSocket,
    /** Who the socket belongs to; its session changes when a guest upgrades to member. */
    public principal: Principal,
    private readonly deps: SocketDeps,
    /** The connection under `ws`, to send several frames in one write (together). */
    private readonly stream: Pick<Duplex, 'cork' | 'uncork'>,
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

  /**
   * `{"type":"signal","roomId":…,"from":…,"data":` for `room`: the same for every signal of the
   * room, so it is serialised once per room instead of once per frame.
   */
  signalPrefix(room: RoomLink): string {
    if (this.signalRoom !== room || this.signalSender !== this.userId) {
      this.signalRoom = room;
      this.signalSender = this.userId;
      this.signalHead = `{"type":"signal","roomId":${JSON.stringify(room.roomId)},"from":${JSON.stringify(this.userId)},"data":`;
    }
    return this.signalHead;
  }

  /**
   * The user's standing as `allow` returns it, given the one this socket kept (null when none):
   * it throws unless the user may meet people. What it allowed is kept for the next join or call
   * until the bus tells this socket the standing changed (tellStandingChanged), so a user who
   * joins again and again is read from the database once. A read that began before such news
   * still answers this join, but is not kept: it may predate the change.
   */
  async allowedStanding(allow: (kept: UserStanding | null) => Promise<UserStanding>): Promise<UserStanding> {
    const news = this.standingNews;
    const standing = await allow(this.standing);
    if (news === this.standingNews) this.standing = standing;
    return standing;
  }

  deliver(delivery: Delivery): boolean {
    // Closing: the client will never read it. Refuse, so the bus holds it for the user's return.
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    // News for this socket, not a frame for the client.
    if (delivery.stateKey === STANDING_CHANGED) {
      this.standing = null;
      this.standingNews++;
      return true;
    }
    // A `matched` of the socket's own room again (held for a user whose process died while it
    // was queued, it follows the resume's `matched`), or of the room it just left (a repeat told at
    // its end, see Rooms.end, that came after it: opening it again would keep the client in a room
    // nobody has): dropped. One test per relayed frame, which carries no room.
    if (delivery.room && (delivery.room.roomId === this.room?.roomId || delivery.room.roomId === this.endedRoomId))
      return true;
    // One string compare per relayed frame: a frame for another room than the socket's is dropped
    // (its room ended: it was on its way from the peer's process meanwhile), or kept a moment when
    // the socket has no room yet (it may have overtaken its room's `matched`).
    if (delivery.onlyInRoom !== undefined && delivery.onlyInRoom !== this.room?.roomId) {
      if (delivery.room === undefined && this.room === null && delivery.onlyInRoom !== this.endedRoomId)
        this.keepEarly(delivery.onlyInRoom, delivery.text);
      return true;
    }
    if (delivery.room === undefined) this.sendText(delivery.text);
    else this.changeRoom(delivery.room, delivery.text);
    // After the frame: ws sends in order, so the client reads why before the close arrives.
    if (delivery.close) this.ws.close(delivery.close.code, delivery.close.reason);
    return true;
  }

  /**
   * `matched` (a room) or `left`/`peer_left` (null), with `text` the frame. Frames kept for the
   * new room follow its `matched`. A returning socket, which has had no room yet, may also get,
   * held while the user was away, the frames of a room that ended meanwhile and then its end
   * (protocol, order rule 5): those come before the end. Any other kept frames are dropped, and
   * so is the end of another room than the socket's.
   */
  private changeRoom(room: RoomLink | null, text: string): void {
    const early = this.early;
    if (early) {
      clearTimeout(early.timer);
      this.early = null;
    }
    // Room ids are random and long: one named in an end frame is the room it ends.
    if (room === null) {
      if (this.room !== null) {
        // A late second telling of an earlier room's end must not end this one.
        if (!text.includes(this.room.roomId)) return;
        this.endedRoomId = this.room.roomId;
      } else if (early && text.includes(early.roomId)) {
        if (this.endedRoomId === undefined) for (const kept of early.texts) this.sendText(kept);
        this.endedRoomId = early.roomId;
      }
      this.room = null;
      this.sendText(text);
      return;
    }
    this.room = room;
    this.sendText(text);
    if (early?.roomId === room.roomId) for (const kept of early.texts) this.sendText(kept);
  }

  /** Keeps a frame of a room this socket has not got (yet): see EARLY_FRAMES_MS. */
  private keepEarly(roomId: string, text: string): void {
    let early = this.early;
    if (early === null || early.roomId !== roomId) {
      if (early) clearTimeout(early.timer);
      const timer = setTimeout(() => {
        if (this.early?.timer === timer) this.early = null;
      }, EARLY_FRAMES_MS);
      timer.unref();
      this.early = early = { roomId, texts: [], timer };
    }
    if (early.texts.length < EARLY_FRAMES_MAX) early.texts.push(text);
  }

  replace(): void {
    this.replaced = true;
    this.ws.close(CloseCode.replaced, 'another connection of this user took over');
  }

  /**
   * Runs `send`, and what it sends this socket until it settles leaves in one write (one system
   * call) instead of one each: a join matched at once answers `queued` and `matched` together.
   * At the latest at the end of this turn of the event loop: a send that waits on the database
   * longer (a room's history row on a slow or locked PostgreSQL, with Redis) never holds back
   * what it has already sent. Without Redis the row is written behind `matched` (History.started).
   * A send with nothing to wait for (a join that was queued) holds the connection to the end of
   * the turn: in a burst of joins, the one that matches this user often comes later in the same
   * turn, and its `matched` then leaves with `queued`.
   */
  together(send: () => Promise<void> | void): Promise<void> {
    const stream = this.stream;
    stream.cork();
    let pending: Promise<void> | void;
    try {
      pending = send();
    } catch (error) {
      stream.uncork();
      throw error;
    }
    let corked = true;
    const uncork = () => {
      if (!corked) return;
      corked = false;
      clearImmediate(atTurnEnd);
      stream.uncork();
    };
    // Scheduled after send(), so after the history write it may have scheduled (History.started).
    const atTurnEnd = setImmediate(uncork);
    return pending ? pending.finally(uncork) : Promise.resolve();
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
    const shape = scanFrame(text, MAX_FRAME_DEPTH, scanned);
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
    let message: ClientMessage | null = signalFrom(json);
    if (message === null) {
      const parsed = ClientMessage.safeParse(json);
      // A frame refused for its shape still says which request failed, if its ref is a good one.
      if (!parsed.success) return this.fail('bad_request', describeIssues(parsed.error), refOf(json));
      message = parsed.data;
    }
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
            if (!this.running) for (const resolve of this.whenSettled.splice(0)) resolve();
          });
        return;
      }
      const next = this.backlog.shift();
      if (!next) return;
      ({ message, dataText } = next);
    }
  }

  /**
   * Settles once every frame received so far has been handled. A socket that closes while its
   * `join` is still in Redis must be let go after it: otherwise the join queues or matches the
   * user after the close was handled, and that queue entry or room is never ended.
   */
  settled(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.whenSettled.push(resolve));
  }

  private failWith(error: unknown, ref: string | undefined): void {
    if (error instanceof AppError) return this.fail(error.code, error.message, ref);
    this.log.error({ err: error }, 'frame handler failed');
    this.fail('internal', 'something went wrong on the server', ref);
  }
}

/** Every frame's shape, read before the next frame is scanned (frames are handled one at a time). */
const scanned: FrameShape = { typeStart: -1, typeEnd: -1, dataStart: -1, dataEnd: -1, structure: 0 };

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
