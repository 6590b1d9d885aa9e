import type { Logger } from 'pino';
import type { PeerAddress } from '../bus/peers.js';
import { RedisMessageBus } from '../bus/redis.js';
import { RedisMatchStore } from '../match/redis.js';
import type { MatchStoreOptions } from '../match/store.js';
import { connectRedis } from '../redis.js';
import type { SharedState } from './state.js';

export interface RedisStateOptions {
  /** REDIS_URL */
  url: string;
  /** REDIS_PREFIX: every key and channel starts with it. */
  prefix: string;
  /** PEER_ADDRESS: where this process takes frames straight from the others; null: through Redis only. */
  peers: PeerAddress | null;
  match: MatchStoreOptions;
  /** Frames held for a user away within its grace (RESUME_BUFFER_FRAMES). */
  holdLimit: number;
  graceMs: number;
}

/** A cluster: every process on one Redis shares the queue, the rooms and frame delivery. */
export async function redisState(options: RedisStateOptions, log: Logger): Promise<SharedState> {
  const redis = await connectRedis(options.url, options.prefix, log);
  const bus = new RedisMessageBus(redis, {
    holdLimit: options.holdLimit,
    graceMs: options.graceMs,
    peers: options.peers,
    log,
  });
  const store = new RedisMatchStore(redis.commands, redis.prefix, bus.processId, options.match);
  return {
    store,
    bus,
    async start(rooms) {
      // A process died: its queue entries go, and its users in rooms get the grace to come back.
      bus.onProcessLost(async (processId, userIds, lastAliveAt) => {
        const dropped = await store.dropQueuedOf(processId);
        const untold = await store.untoldOf(processId);
        const unannounced = await store.unannouncedOf(processId);
        log.info(
          { processId, dropped, untold: untold.length, unannounced: unannounced.length, users: userIds.length },
          'reclaimed a lost process',
        );
        // First: a room it ended but did not announce is over, whatever its members' graces say.
        await rooms.tellUntold(untold);
        // Then a room it made but did not announce begins, before any of its members' graces ends it.
        await rooms.announceLate(unannounced);
        await rooms.lost(userIds, lastAliveAt);
      });
      bus.onAbsenceDue((userId) => rooms.expire(userId));
      await bus.start();
    },
    ping: () => redis.ping(),
    onReconnect(listener) {
      redis.commands.on('ready', listener);
    },
    saveRooms() {},
    async close() {
      await bus.close();
      await redis.close();
    },
  };
}
