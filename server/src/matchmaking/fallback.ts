/**
 * The waits of `join.anyone`: one timer per user queued from a socket on this process. When it
 * runs out the search widens (see MatchStore.widen). A re-join restarts the wait; a cancel, a
 * match or the socket's close ends it. Only the process holding the socket times it, so a user
 * is widened once, wherever it is.
 */
export class Fallbacks {
  private readonly waits = new Map<string, { owner: object; timer: NodeJS.Timeout | null }>();

  constructor(private readonly afterMs: number) {}

  /**
   * After the delay, `widen` runs; its `current()` says whether this wait is still the user's
   * (not ended or restarted while the store answered), so a late answer is not shown.
   */
  start(userId: string, owner: object, widen: (current: () => boolean) => Promise<void>): void {
    this.end(userId);
    const wait = { owner, timer: null as NodeJS.Timeout | null };
    wait.timer = setTimeout(() => {
      wait.timer = null;
      void widen(() => this.waits.get(userId) === wait).finally(() => {
        if (this.waits.get(userId) === wait) this.waits.delete(userId);
      });
    }, this.afterMs);
    wait.timer.unref();
    this.waits.set(userId, wait);
  }

  /** Ends the user's wait; with `owner`, only the wait that owner started (a newer socket's stays). */
  end(userId: string, owner?: object): void {
    const wait = this.waits.get(userId);
    if (!wait || (owner !== undefined && wait.owner !== owner)) return;
    if (wait.timer) clearTimeout(wait.timer);
    this.waits.delete(userId);
  }

  /** How many users wait here (tests and shutdown). */
  get size(): number {
    return this.waits.size;
  }

  stop(): void {
    for (const wait of this.waits.values()) if (wait.timer) clearTimeout(wait.timer);
    this.waits.clear();
  }
}
