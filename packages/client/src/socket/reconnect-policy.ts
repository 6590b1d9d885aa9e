import { DEFAULT_FIRST_RETRY_JITTER_MS, DEFAULT_RECONNECT_DELAYS_MS, DEFAULT_RECONNECT_JITTER } from '../defaults.js';

export interface ReconnectContext {
  /** Failed tries since the drop: 0 when asking for the first retry. */
  retryCount: number;
  /** Time since the socket dropped. */
  elapsedMs: number;
}

/** Milliseconds to wait before the next try, or null to give up (the socket becomes `closed`). */
export type ReconnectPolicy = (context: ReconnectContext) => number | null;

export interface ReconnectPolicyOptions {
  /** Base delay per retry; past the end the policy gives up. */
  delaysMs?: readonly number[];
  /** Up to this fraction of a delay is added at random. */
  jitter?: number;
  /** A delay of 0 (a fraction of which is nothing) gets up to this many ms at random instead. */
  firstRetryJitterMs?: number;
  /** Source of randomness in [0, 1); tests pin it. */
  random?: () => number;
}

/**
 * Exponential backoff with jitter: the base delay for this retry from the schedule, plus up
 * to `jitter` of it at random. The first retry's base is 0 (a blip is usually over at once): it
 * gets up to `firstRetryJitterMs` instead, so clients that dropped together do not all return
 * in the same millisecond (see DEFAULT_FIRST_RETRY_JITTER_MS).
 */
export function createReconnectPolicy(options: ReconnectPolicyOptions = {}): ReconnectPolicy {
  const delays = options.delaysMs ?? DEFAULT_RECONNECT_DELAYS_MS;
  const jitter = options.jitter ?? DEFAULT_RECONNECT_JITTER;
  const firstRetryJitterMs = options.firstRetryJitterMs ?? DEFAULT_FIRST_RETRY_JITTER_MS;
  const random = options.random ?? Math.random;
  return ({ retryCount }) => {
    const base = delays[retryCount];
    if (base === undefined) return null;
    return Math.round(base === 0 ? firstRetryJitterMs * random() : base + base * jitter * random());
  };
}

export const defaultReconnectPolicy: ReconnectPolicy = createReconnectPolicy();
