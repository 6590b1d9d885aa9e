import type { MessageBus } from '../storage/bus/bus.js';
import type { Signaling } from './server.js';

export interface DrainOptions {
  /** SHUTDOWN_GRACE_MS: the whole drain takes at most this long. */
  shutdownGraceMs: number;
  /** RESUME_GRACE_MS: no user is waited for longer than its grace to come back. */
  resumeGraceMs: number;
}

export interface Drain {
  /** True once draining began: /healthz turns 503, so load balancers stop sending users here. */
  readonly draining: boolean;
  /** Every socket is closed with 1012 (rooms keep their grace), then the users get time to come back elsewhere. */
  drain(): Promise<void>;
}

export function drainOf(signaling: Signaling, bus: MessageBus, options: DrainOptions): Drain {
  let draining = false;
  return {
    get draining() {
      return draining;
    },
    async drain() {
      draining = true;
      const started = Date.now();
      await Promise.race([
        signaling.closeAll(1012, 'server restarting: reconnect'),
        new Promise((resolve) => setTimeout(resolve, options.shutdownGraceMs).unref()),
      ]);
      // In a cluster the users just closed reconnect to other processes: stay until each has taken
      // over what we held for it (or its grace ended), so calls continue with no frame lost.
      const left = options.shutdownGraceMs - (Date.now() - started);
      await bus.settle(Math.min(Math.max(left, 0), options.resumeGraceMs));
    },
  };
}
