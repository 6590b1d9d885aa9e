export type Verdict =
  /** Within the limit: handle the frame. */
  | 'pass'
  /** Over the limit: drop the frame silently (an error was sent less than a second ago). */
  | 'drop'
  /** Over the limit: drop the frame and tell the client, at most once a second. */
  | 'warn'
  /** Still flooding long after being told: close the socket (1008). */
  | 'close';

/**
 * A token bucket per socket, with the flood rule on top: a streak of drops ends after a second
 * without one, and a streak that lasts `floodCloseMs` closes the socket. Written here rather
 * than taken from a library because it runs on every frame and must allocate nothing.
 */
export class FrameRateLimit {
  private tokens: number;
  private refilledAt: number;
  private streakStartedAt = -1;
  private lastDropAt = -Infinity;
  private lastWarnedAt = -Infinity;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly floodCloseMs: number,
    now: number,
  ) {
    this.tokens = burst;
    this.refilledAt = now;
  }

  check(now: number): Verdict {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.perSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
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
}
