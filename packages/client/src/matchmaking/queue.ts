import { MAX_JOIN_CATEGORIES, type ErrorCode } from '@small-talk/protocol';
import { SmallTalkError } from '../errors.js';
import type { Answer, Requests } from '../socket/requests.js';
import type { JoinOptions } from './types.js';

export interface QueueEvents {
  /** The server confirmed the current join (`queued`). */
  queued: (categories: string[]) => void;
  /** The server refused the current join: the user is not queued. */
  refused: (error: { code: ErrorCode; message: string }) => void;
  /** An error answering a cancel or a leave (see Queue.reportError). */
  error: (error: { code: ErrorCode; message: string }) => void;
}

/**
 * The user's wait in the queue: what it asked for (categories, `anyone`), since when, whether the
 * search widened, and the `join` whose answer still matters. Sending `join` again (a re-join after
 * a reconnect, new categories) makes the earlier one's answer moot; so does a room, or a cancel.
 */
export class Queue {
  categories: string[] = [];
  anyone = false;
  /** The server said `widened` for the current queue entry. */
  widened = false;
  /** When the user started waiting (ms since the epoch); null when not waiting. */
  queuedAt: number | null = null;
  private pendingJoin: object | null = null;

  /** How long the user has been waiting; null when not waiting. */
  get waitedMs(): number | null {
    return this.queuedAt === null ? null : this.now() - this.queuedAt;
  }

  constructor(
    private readonly requests: Requests,
    private readonly now: () => number,
    private readonly events: QueueEvents,
  ) {}

  /**
   * Takes the categories and options of a join(); `fresh` when the user was not queued (the
   * wait starts now). @throws SmallTalkError `bad_request` for 0 or over 10 categories.
   */
  ask(categories: readonly string[], options: JoinOptions, fresh: boolean): void {
    if (categories.length === 0 || categories.length > MAX_JOIN_CATEGORIES) {
      throw new SmallTalkError('bad_request', `join takes 1 to ${MAX_JOIN_CATEGORIES} categories`);
    }
    this.categories = [...categories];
    this.anyone = options.anyone ?? false;
    if (fresh) {
      this.queuedAt = this.now();
      this.widened = false;
    }
  }

  /** Sends `join` for what was asked; only its answer, while still the current join's, counts. */
  send(): void {
    const join = {};
    this.pendingJoin = join;
    // `anyone` only when asked: a join without it is protocol v1's but for the ref.
    const frame = this.anyone
      ? { type: 'join' as const, categories: this.categories, anyone: true }
      : { type: 'join' as const, categories: this.categories };
    this.requests.send(frame, (answer) => {
      if (this.pendingJoin !== join || !answer) return;
      this.pendingJoin = null;
      if (answer.type === 'queued') this.events.queued(answer.categories);
      else if (answer.type === 'error') {
        // Refused (a category, the age and rules gate, a restriction, ...): the user is not queued.
        this.queuedAt = null;
        this.events.refused({ code: answer.code, message: answer.message });
      }
    });
  }

  /** Leaves the queue; `send`: the server still has the entry (the socket is open). */
  cancel(send: boolean): void {
    this.end();
    if (send) this.requests.send({ type: 'cancel' }, (answer) => this.reportError(answer));
  }

  /** The search widened (a `widened` frame): true the first time for this wait. */
  widen(): boolean {
    if (this.widened) return false;
    this.widened = true;
    return true;
  }

  /** The wait is over (a room, a restriction, the socket closed for good): nothing of it matters. */
  end(): void {
    this.queuedAt = null;
    this.forget();
  }

  /** The current join's answer no longer matters (a room made it moot, or a new socket started over). */
  forget(): void {
    this.pendingJoin = null;
  }

  /**
   * An error answering a request whose success needs nothing more (cancel, leave): the app hears
   * it, but for `not_in_room`, which says the room we left was over already (the peer's leave crossed ours).
   */
  reportError(answer: Answer | null): void {
    if (answer?.type === 'error' && answer.code !== 'not_in_room')
      this.events.error({ code: answer.code, message: answer.message });
  }
}
