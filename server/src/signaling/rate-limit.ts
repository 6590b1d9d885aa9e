export type Verdict =
  /** Within the limit: handle the frame. */
  | 'pass'
  /** Over the limit: drop the frame silently (an error was sent less than a second ago). */
  | 'drop'
  /** Over the limit: drop the frame and tell the client, at most once a second. */
  | 'warn'
  /** Still flooding long after being told: close the socket (1008). */
  | 'close';

export interface RateLimitOptions {
  /** Sustained frames per second; bursts up to twice this. */
  perSecond: number;
  /** Sustained bytes per second; bursts up to twice this. */
  bytesPerSecond: number;
  /** A streak of drops this long closes the socket. */
  floodCloseMs: number;
}

/** Tokens that come back at `perSecond`, up to `burst`. */
class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.refilledAt = now;
  }

  refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.perSecond) / 1000);
    this.refilledAt = now;
  }

  /**
   * A cost above the burst counts as the burst: with a byte budget set lower than the frame
   * size limit, the largest frame must still pass when the bucket is full, or it never would.
   */
  has(cost: number): boolean {
    return this.tokens >= Math.min(cost, this.burst);
  }

  take(cost: number): void {
    this.tokens -= Math.min(cost, this.burst);
  }

  /** A cost known only after the frame passed: the balance may go below zero, a debt later frames wait out. */
  owe(cost: number): void {
    this.tokens -= cost;
  }
}

/**
 * Two token buckets per socket, frames and bytes, with the flood rule on top: a frame passes
 * only when both have room, and a drop for either reason is the same drop (one streak, one
 * `rate_limited` a second). A streak of drops ends after a second without one, and a streak
 * that lasts `floodCloseMs` closes the socket. Bytes count because a frame's cost to the server
 * (scanning, parsing, relaying) grows with its size: 50 frames of 64 KiB a second would be
 * 3 MiB/s of parsing from one socket. Written here rather than taken from a library because it
 * runs on every frame and must allocate nothing.
 */
export class FrameRateLimit {
  private readonly frames: TokenBucket;
  private readonly bytes: TokenBucket;
  private readonly floodCloseMs: number;
  private streakStartedAt = -1;
  private lastDropAt = -Infinity;
  private lastWarnedAt = -Infinity;

  constructor(options: RateLimitOptions, now: number) {
    this.frames = new TokenBucket(options.perSecond, options.perSecond * 2, now);
    this.bytes = new TokenBucket(options.bytesPerSecond, options.bytesPerSecond * 2, now);
    this.floodCloseMs = options.floodCloseMs;
  }

  /** `byteLength` is the frame's payload as received. */
  check(now: number, byteLength: number): Verdict {
    this.frames.refill(now);
    this.bytes.refill(now);
    if (this.frames.has(1) && this.bytes.has(byteLength)) {
      this.frames.take(1);
      this.bytes.take(byteLength);
      return 'pass';
    }
    if (now - this.lastDropAt > 1000) this.streakStartedAt = now;
    this.lastDropAt = now;
    if (now - this.streakStartedAt >= this.floodCloseMs) return 'close';
    if (now - this.lastWarnedAt >= 1000) {
      this.lastWarnedAt = now;
      return 'warn';
    }
    return 'drop';
  }

  /** Charges a passed frame's structure (see FrameShape.structure), at STRUCTURE_BYTES each. */
  chargeStructure(structure: number): void {
    this.bytes.owe(structure * STRUCTURE_BYTES);
  }
}

/**
 * What one bracket, comma or colon costs from the byte budget. JSON.parse spends about fifty
 * times as long per structural character as per character of a string; 16 keeps real signals
 * (an SDP offer has a few dozen) at their size, while 64 KiB of nested empty arrays costs over
 * 700 KB, three seconds of the default budget, so such frames come rarely enough that nobody
 * else's frame waits behind their parsing.
 */
export const STRUCTURE_BYTES = 16;
