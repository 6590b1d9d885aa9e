import { DEFAULT_RECONNECT_DELAYS_MS, DEFAULT_RECONNECT_JITTER } from '../defaults.js';

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
  /** Source of randomness in [0, 1); tests pin it. */
  random?: () => number;
}

/**
 * Exponential backoff with jitter: the base delay for this retry from the schedule, plus up
 * to `jitter` of it at random. The first retry's base is 0 (a blip is usually over at once)
 * and gets no jitter, since there is nothing to spread.
 */
export function createReconnectPolicy(options: ReconnectPolicyOptions = {}): ReconnectPolicy {
  const delays = options.delaysMs ?? DEFAULT_RECONNECT_DELAYS_MS;
  const jitter = options.jitter ?? DEFAULT_RECONNECT_JITTER;
  const random = options.random ?? Math.random;
  return ({ retryCount }) => {
    const base = delays[retryCount];
    if (base === undefined) return null;
    return Math.round(base + base * jitter * random());
  };
}

export const defaultReconnectPolicy: ReconnectPolicy = createReconnectPolicy();
