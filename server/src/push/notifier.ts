import type { Logger } from 'pino';
import type { FriendRequest } from '@small-talk/protocol';
import type { Ring } from '../storage/match/store.js';
import { RetryableError, type ExpoMessage, type ExpoSender, type SendOutcome } from './expo.js';
import type { PushToken, PushTokens } from './tokens.js';
import type { WebPushSender } from './web.js';

export interface PushOptions {
  enabled: boolean;
  /** Waits before the 2nd, 3rd, … attempt after a network error, 429 or 5xx; then it gives up. */
  retryDelaysMs?: readonly number[];
  /** How long after sending Expo's receipts are fetched (config PUSH_RECEIPT_DELAY_MS). */
  receiptDelayMs?: number;
}

const DEFAULT_RETRY_DELAYS_MS = [1000, 2000, 4000];
/** Expo's advice: APNs and FCM have answered within 15 minutes. */
const DEFAULT_RECEIPT_DELAY_MS = 15 * 60 * 1000;

/** A ticket whose receipt is still to be fetched: which token it went to, and from when on to ask. */
interface PendingReceipt {
  id: string;
  token: string;
  due: number;
}
/** A friend request is worth waking someone for within a day; after that the app's list shows it anyway. */
const REQUEST_TTL_S = 24 * 60 * 60;

interface Notification {
  title: string;
  body: string;
  data: Record<string, string>;
  ttlS: number;
}

/**
 * Wakes a user's devices when a friend calls or asks and no socket of theirs is open. Sending
 * happens in the background: a ring never waits for the push service, and a retry checks first
 * that what it announces is still true (a cancelled ring sends nothing more). Tokens are personal
 * data: they are never logged.
 */
export class Push {
  private readonly retryDelaysMs: readonly number[];
  private readonly receiptDelayMs: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  /**
   * In memory only: receipts pending when the process stops are dropped. What they would have
   * said comes back anyway: the next push to a dead token gets DeviceNotRegistered in its ticket
   * or in its own receipt.
   */
  private pendingReceipts: PendingReceipt[] = [];
  private receiptTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly tokens: PushTokens,
    private readonly expo: ExpoSender,
    /** Null without VAPID keys: web tokens are then skipped. */
    private readonly web: WebPushSender | null,
    private readonly options: PushOptions,
    private readonly log: Logger,
  ) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.receiptDelayMs = options.receiptDelayMs ?? DEFAULT_RECEIPT_DELAY_MS;
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** True when a push could reach one of the user's devices: a call to them should ring. */
  async canWake(userId: string): Promise<boolean> {
    if (!this.options.enabled) return false;
    return (await this.reachable(userId)).length > 0;
  }

  /** Wakes the callee for `ring`; `ringing` says whether it still rings (checked before each retry). */
  ring(ring: Ring, ttlMs: number, ringing: () => Promise<boolean>): void {
    const notification: Notification = {
      title: ring.caller.displayName,
      body: 'is calling you',
      data: { type: 'incoming_call', callId: ring.id, callerId: ring.caller.id },
      ttlS: Math.max(1, Math.ceil(ttlMs / 1000)),
    };
    this.start(ring.callee.id, notification, ringing, { callId: ring.id });
  }

  /** Wakes the asked one for a friend request. */
  friendRequest(request: FriendRequest): void {
    const notification: Notification = {
      title: request.from.displayName,
      body: 'wants to be your friend',
      data: { type: 'friend_request', requestId: request.id, fromId: request.from.id },
      ttlS: REQUEST_TTL_S,
    };
    this.start(request.to.id, notification, async () => true, { requestId: request.id });
  }

  /** Drops every retry and receipt still waiting (shutdown). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.receiptTimer) clearTimeout(this.receiptTimer);
    this.receiptTimer = null;
    this.pendingReceipts = [];
  }

  private start(
    userId: string,
    notification: Notification,
    stillTrue: () => Promise<boolean>,
    ids: Record<string, string>,
  ): void {
    if (!this.options.enabled) return;
    void this.deliver(userId, notification, stillTrue, 0, new Set()).catch((error: unknown) =>
      this.log.warn({ err: error, ...ids }, 'push failed'),
    );
  }

  private async deliver(
    userId: string,
    notification: Notification,
    stillTrue: () => Promise<boolean>,
    attempt: number,
    reached: Set<string>,
  ): Promise<void> {
    if (this.stopped) return;
    if (attempt > 0 && !(await stillTrue())) return;
    const tokens = (await this.reachable(userId)).filter((t) => !reached.has(t.token));
    if (tokens.length === 0) return;
    const expoTokens = tokens.filter((t) => t.platform !== 'web').map((t) => t.token);
    const webTokens = tokens.filter((t) => t.platform === 'web').map((t) => t.token);
    const retry: boolean[] = [];
    const outcomes = new Map<string, SendOutcome>();
    if (expoTokens.length > 0) {
      const messages = expoTokens.map((to): ExpoMessage => ({
        to,
        title: notification.title,
        body: notification.body,
        data: notification.data,
        sound: 'default',
        priority: 'high',
        ttl: notification.ttlS,
      }));
      try {
        const tickets = await this.expo.send(messages);
        tickets.forEach((ticket, i) => outcomes.set(expoTokens[i]!, ticket.outcome));
        this.awaitReceipts(
          tickets.flatMap((ticket, i) => (ticket.receiptId ? [{ id: ticket.receiptId, token: expoTokens[i]! }] : [])),
        );
      } catch (error) {
        if (!(error instanceof RetryableError)) throw error;
        retry.push(true);
        this.log.warn(
          { attempt: attempt + 1, reason: error.message, type: notification.data.type },
          'push service failed; retrying later',
        );
      }
    }
    for (const token of this.web ? webTokens : []) {
      try {
        outcomes.set(
          token,
          await this.web!.send(
            token,
            { title: notification.title, body: notification.body, data: notification.data },
            notification.ttlS,
          ),
        );
      } catch (error) {
        if (!(error instanceof RetryableError)) throw error;
        retry.push(true);
      }
    }
    const gone = [...outcomes].filter(([, outcome]) => outcome === 'unregistered').map(([token]) => token);
    await this.tokens.forget(gone);
    await this.tokens.used([...outcomes].filter(([, outcome]) => outcome === 'ok').map(([token]) => token));
    if (gone.length > 0) this.log.info({ tokens: gone.length }, 'forgot push tokens the service no longer delivers to');
    if (retry.length === 0) return;
    const delay = this.retryDelaysMs[attempt];
    if (delay === undefined) {
      this.log.warn({ attempts: attempt + 1, type: notification.data.type }, 'push gave up');
      return;
    }
    // Only what failed goes again: the devices already answered for are not woken twice.
    for (const token of outcomes.keys()) reached.add(token);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.deliver(userId, notification, stillTrue, attempt + 1, reached).catch((error: unknown) =>
        this.log.warn({ err: error }, 'push failed'),
      );
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  /** Fetches these tickets' receipts once the delay has passed; pushes close together share one fetch. */
  private awaitReceipts(tickets: Array<{ id: string; token: string }>): void {
    if (tickets.length === 0 || this.stopped) return;
    const due = Date.now() + this.receiptDelayMs;
    for (const ticket of tickets) this.pendingReceipts.push({ ...ticket, due });
    if (!this.receiptTimer) this.scheduleReceipts();
  }

  private scheduleReceipts(): void {
    const next = this.pendingReceipts[0];
    if (!next || this.stopped) return;
    this.receiptTimer = setTimeout(
      () => {
        this.receiptTimer = null;
        void this.checkReceipts()
          .catch((error: unknown) => this.log.warn({ err: error }, 'push receipts failed'))
          .finally(() => this.scheduleReceipts());
      },
      Math.max(0, next.due - Date.now()),
    );
    this.receiptTimer.unref();
  }

  /** Deletes the tokens whose receipts say DeviceNotRegistered. A receipt Expo fails to give is not asked for again. */
  private async checkReceipts(): Promise<void> {
    // Pending receipts are in order of `due`: every push waits the same delay.
    const now = Date.now();
    const dueCount = this.pendingReceipts.findIndex((r) => r.due > now);
    const due = this.pendingReceipts.splice(0, dueCount === -1 ? this.pendingReceipts.length : dueCount);
    if (due.length === 0) return;
    let receipts: Map<string, SendOutcome>;
    try {
      receipts = await this.expo.receipts(due.map((r) => r.id));
    } catch (error) {
      if (!(error instanceof RetryableError)) throw error;
      this.log.warn({ receipts: due.length, reason: error.message }, 'push receipts unavailable; dropped');
      return;
    }
    const gone = due.filter((r) => receipts.get(r.id) === 'unregistered').map((r) => r.token);
    await this.tokens.forget(gone);
    if (gone.length > 0)
      this.log.info({ tokens: gone.length }, 'forgot push tokens their receipts say no longer reach a device');
  }

  /** The user's tokens a push can go to: web ones only with VAPID keys. */
  private async reachable(userId: string): Promise<PushToken[]> {
    return (await this.tokens.of(userId)).filter((t) => t.platform !== 'web' || this.web !== null);
  }
}
