import type { StatsResponse } from '@small-talk/protocol';
import type { MessageBus } from '../storage/bus/bus.js';
import type { MatchStore } from '../storage/match/store.js';

/**
 * How long one process answers from its last reading. The bus's live counts are at most one
 * sweep (500 ms) old in a cluster, so an answer is at most a second stale; and a page polled by
 * every open app costs the shared store at most two reads a second per process.
 */
export const STATS_CACHE_MS = 500;

/** Who is around, cluster-wide: users with a live socket, and users waiting to be matched. */
export class Stats {
  private last: { at: number; stats: Promise<StatsResponse> } | null = null;

  constructor(
    private readonly bus: MessageBus,
    private readonly store: MatchStore,
    private readonly cacheMs = STATS_CACHE_MS,
  ) {}

  current(now = Date.now()): Promise<StatsResponse> {
    // Requests at the same moment share one reading (the promise), not one each.
    if (this.last && now - this.last.at < this.cacheMs) return this.last.stats;
    const stats = Promise.all([this.bus.connectedCount(), this.store.counts()]).then(([online, counts]) => ({
      online,
      waiting: counts.queued,
    }));
    const reading = { at: now, stats };
    this.last = reading;
    // A failed reading is not kept: the next request tries again.
    stats.catch(() => {
      if (this.last === reading) this.last = null;
    });
    return stats;
  }
}
