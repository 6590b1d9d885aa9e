/**
 * Puts one user's incoming frames back in each sender's order (see redis.ts, "Order").
 *
 * Every frame a process sends to a user carries `seq` (from that process's one counter) and
 * `prev`, the seq of the frame it sent the same user before (0: none it remembers). A frame
 * passes once its `prev` has passed; one that comes first waits, and after `gapMs` passes anyway
 * (a resync): its predecessor is taken for lost, and if it turns up later it is dropped, never
 * shown out of order. Frames from different senders have no order between them, as before.
 */

/** Where a frame stands in its sender's stream to the user; `sender` '' is a frame outside any stream. */
export interface Sequenced {
  sender: string;
  seq: number;
  prev: number;
}

export class InOrder<T extends Sequenced> {
  /** Per sender: the seq of the latest frame passed (or known passed elsewhere: see `seen`). */
  private readonly passed = new Map<string, number>();
  /** Per sender: frames waiting for their predecessor, by seq, each with when it started waiting. */
  private readonly waiting = new Map<string, Array<{ frame: T; since: number }>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pass: (frame: T) => void,
    private readonly gapMs: number,
    /**
     * A frame that must not wait for a gap before it (a room's `matched`). Frames of other
     * senders are never held behind one that waits, so a `matched` held for a gap could be
     * overtaken by that room's end from the peer's process, and the user would hear of the room
     * only from its end. Such a frame passes at once, after whatever of its sender's waits
     * before it; a predecessor that turns up later is dropped, as after a gap.
     */
    private readonly startsOver: (frame: T) => boolean = () => false,
  ) {}

  /** The sender's frames up to `seq` reached the user already (through a previous socket or the held list). */
  seen(sender: string, seq: number): void {
    if (sender === '') return;
    if (seq > (this.passed.get(sender) ?? 0)) this.passed.set(sender, seq);
  }

  offer(frame: T): void {
    if (frame.sender === '') return this.pass(frame);
    const passed = this.passed.get(frame.sender);
    if (passed !== undefined && frame.seq <= passed) return; // came after its resync: showing it now would reorder
    if (this.ready(frame, passed)) {
      this.passOne(frame);
      return this.flush(frame.sender, false);
    }
    let queue = this.waiting.get(frame.sender);
    if (!queue) this.waiting.set(frame.sender, (queue = []));
    let i = queue.length;
    while (i > 0 && queue[i - 1]!.frame.seq > frame.seq) i--;
    queue.splice(i, 0, { frame, since: Date.now() });
    if (this.startsOver(frame)) {
      this.flush(frame.sender, false, frame.seq);
      if (!this.waiting.has(frame.sender)) return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => this.expire(), this.gapMs);
      this.timer.unref();
    }
  }

  /** The latest seq passed from `sender`, if any. */
  passedOf(sender: string): number | undefined {
    return this.passed.get(sender);
  }

  /** Per sender, the latest seq passed: what the next owner of the user needs (the handoff). */
  lasts(): Array<[string, number]> {
    return [...this.passed];
  }

  /** Stops waiting and gives what still waits, in each sender's order (to hold it for the next socket). */
  takeWaiting(): T[] {
    clearTimeout(this.timer);
    this.timer = undefined;
    const frames = [...this.waiting.values()].flatMap((queue) => queue.map((w) => w.frame));
    this.waiting.clear();
    return frames;
  }

  private ready(frame: T, passed: number | undefined): boolean {
    return frame.prev === 0 || (passed !== undefined && frame.prev <= passed);
  }

  private passOne(frame: T): void {
    this.passed.set(frame.sender, frame.seq);
    this.pass(frame);
  }

  /**
   * Passes the sender's waiting frames that are now next; with `force`, also those that waited the
   * whole gap; and, whatever they wait for, those up to seq `through`.
   */
  private flush(sender: string, force: boolean, through = 0): void {
    const queue = this.waiting.get(sender);
    if (!queue) return;
    const now = Date.now();
    while (queue.length > 0) {
      const head = queue[0]!;
      const passed = this.passed.get(sender);
      if (passed !== undefined && head.frame.seq <= passed) {
        queue.shift();
        continue;
      }
      if (!this.ready(head.frame, passed) && !(force && now - head.since >= this.gapMs) && head.frame.seq > through)
        break;
      queue.shift();
      this.passOne(head.frame);
    }
    if (queue.length === 0) this.waiting.delete(sender);
  }

  private expire(): void {
    this.timer = undefined;
    for (const sender of [...this.waiting.keys()]) this.flush(sender, true);
    let oldest = Infinity;
    for (const queue of this.waiting.values()) oldest = Math.min(oldest, queue[0]!.since);
    if (oldest === Infinity) return;
    this.timer = setTimeout(() => this.expire(), Math.max(1, oldest + this.gapMs - Date.now()));
    this.timer.unref();
  }
}
