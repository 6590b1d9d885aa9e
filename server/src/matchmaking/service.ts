import type { User } from '@small-talk/protocol';
import type { UserStanding } from '../safety/standing.js';
import type { Categories } from '../categories/service.js';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { MatchStore, Room, WidenResult } from '../storage/match/store.js';

/** Joining and leaving the queue, with the rules a client can break: known categories, not while in a room. */
export class Matchmaking {
  constructor(
    private readonly store: MatchStore,
    private readonly categories: Categories,
    private readonly metrics: Metrics,
    /** Makes sure the store knows whom the user must never be matched with (safety/blocks). */
    private readonly keepApart: (userId: string) => Promise<void> = async () => {},
  ) {}

  /**
   * Queues the user, or matches it at once: then the new room is returned. Its languages and bio
   * come from the standing the join was allowed with, so joining reads the database once.
   */
  async join(
    user: User,
    profile: Pick<UserStanding, 'languages' | 'bio'>,
    requested: readonly string[],
  ): Promise<{ categories: string[]; room: Room } | { categories: string[]; room: null; ticket: number }> {
    const categories = [...new Set(requested)];
    const unknown = categories.find((slug) => !this.categories.has(slug));
    if (unknown !== undefined) throw new AppError('unknown_category', `no category "${unknown}"`);
    await this.keepApart(user.id);
    const result = await this.store.join(
      { id: user.id, displayName: user.displayName, languages: profile.languages, bio: profile.bio },
      categories,
    );
    switch (result.kind) {
      case 'busy':
        throw new AppError('busy', 'leave your room before joining again');
      case 'queued':
        return { categories, room: null, ticket: result.ticket };
      case 'matched':
        this.metrics.matchWait.observe(result.waitedMs / 1000);
        return { categories, room: result.room };
    }
  }

  /** The user waited long enough with `anyone`: its search widens (MatchStore.widen). */
  async widen(userId: string, ticket: number): Promise<WidenResult> {
    const result = await this.store.widen(userId, ticket);
    if (result.kind === 'matched') this.metrics.matchWait.observe(result.waitedMs / 1000);
    return result;
  }

  cancel(userId: string): Promise<boolean> {
    return this.store.cancel(userId);
  }
}
