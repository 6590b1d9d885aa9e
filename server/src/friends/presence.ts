import type { Logger } from 'pino';
import type { Presence as PresenceState, PresenceEvent } from '@small-talk/protocol';
import type { MessageBus } from '../storage/bus/bus.js';
import type { MatchStore } from '../storage/match/store.js';
import type { Friendships } from './friendships.js';

/**
 * Where users are (online, in a call, offline) and telling their friends when it changes. The
 * truth is read where it lives (the bus knows sockets, the match store rooms), never copied, so
 * every process answers the same. Changes arrive in bursts (a thousand matches at once), so they
 * are gathered for one turn of the event loop and their friends looked up in one query.
 */
export class Presence {
  private pending = new Set<string>();
  private scheduled = false;
  private listener: (userId: string, presence: PresenceState) => void = () => {};

  constructor(
    private readonly bus: MessageBus,
    private readonly store: MatchStore,
    private readonly friendships: Friendships,
    private readonly log: Logger,
  ) {}

  async of(userIds: readonly string[]): Promise<Map<string, PresenceState>> {
    const online = await this.bus.online(userIds);
    const rooms = await Promise.all([...online].map(async (id) => [id, await this.store.roomOf(id)] as const));
    const inRoom = new Set(rooms.filter(([, room]) => room !== null).map(([id]) => id));
    return new Map(userIds.map((id) => [id, inRoom.has(id) ? 'in_call' : online.has(id) ? 'online' : 'offline']));
  }

  /**
   * Told each new presence of a user who has friends (only friends can ring each other, so only
   * they can have a direct call to end when they go offline or into a room).
   */
  onChange(listener: (userId: string, presence: PresenceState) => void): void {
    this.listener = listener;
  }

  /** The users' presence may have changed: their friends are told what it is now. */
  changed(userIds: readonly string[]): void {
    for (const id of userIds) this.pending.add(id);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const users = [...this.pending];
      this.pending = new Set();
      this.announce(users).catch((error: unknown) =>
        this.log.warn({ err: error }, 'could not tell friends about presence'),
      );
    });
  }

  private async announce(userIds: readonly string[]): Promise<void> {
    const friendsOf = await this.friendships.friendIdsOf(userIds);
    if (friendsOf.size === 0) return;
    const [presence, audience] = await Promise.all([
      this.of([...friendsOf.keys()]),
      this.bus.online([...new Set([...friendsOf.values()].flat())]),
    ]);
    for (const [userId, friends] of friendsOf) {
      this.listener(userId, presence.get(userId)!);
      const text = JSON.stringify({
        type: 'presence',
        userId,
        presence: presence.get(userId)!,
      } satisfies PresenceEvent);
      // Only a friend's latest presence matters: held for a friend who is away, it replaces the
      // one before and never fills the resume buffer (the bus's `stateKey`).
      const delivery = { text, stateKey: `presence:${userId}` };
      for (const friend of friends) if (audience.has(friend)) this.bus.deliver(friend, delivery);
    }
  }
}
