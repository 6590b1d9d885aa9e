import path from 'node:path';
import type { Logger } from 'pino';
import type { MessageBus } from '../bus/bus.js';
import type { PeerAddress } from '../bus/peers.js';
import type { MatchStore, Room, UntoldEnding } from '../match/store.js';
import { memoryState } from './memory.js';
import { redisState } from './redis.js';

/**
 * What the shared state tells the rooms (Rooms, passed in: storage imports no service). Rooms
 * outlive a process, so their users come back to whichever process has them now.
 */
export interface RoomKeeper {
  /** Rooms that outlived a restart: both members are away, and each gets the grace to come back. */
  adopt(rooms: readonly Room[]): void;
  /** Users whose socket was on a process that died (last alive at `since`): as if each socket had closed then. */
  lost(userIds: readonly string[], since: number): Promise<void>;
  /** The grace of a user whose process is gone has run out. */
  expire(userId: string): Promise<void>;
  /** Rooms a process ended but died before telling their members: tell them now. */
  tellUntold(endings: readonly UntoldEnding[]): Promise<void>;
  /** Rooms a process made but died before announcing (`matched`): announce them now. */
  announceLate(rooms: readonly Room[]): Promise<void>;
}

/**
 * The state every server process must agree on: the queue and rooms (`store`) and frame delivery
 * (`bus`). With REDIS_URL they are shared by every process on that Redis (redis.ts); without,
 * they live in this process alone (memory.ts).
 */
export interface SharedState {
  readonly store: MatchStore;
  readonly bus: MessageBus;
  /**
   * Hands the rooms their part, once they exist: one process alone gives back the rooms its last
   * run saved; a cluster starts watching for processes that die and absences nobody ended.
   */
  start(rooms: RoomKeeper): Promise<void>;
  /** Throws when the state is unreachable (/healthz). */
  ping(): Promise<void>;
  /** `listener` runs each time the connection to Redis comes back after an outage (in memory: never). */
  onReconnect(listener: () => void): void;
  /**
   * Once the rooms have stopped: one process alone keeps its rooms in a file, so a restart on the
   * same port gives them back (in Redis they are kept anyway, and any process picks them up).
   */
  saveRooms(): void;
  close(): Promise<void>;
}

/** The settings it needs, named as in config.ts (storage reads no config of its own). */
export interface SharedStateConfig {
  REDIS_URL?: string | undefined;
  REDIS_PREFIX: string;
  PEER_ADDRESS: string;
  REMATCH_COOLDOWN_S: number;
  RESUME_BUFFER_FRAMES: number;
  RESUME_GRACE_MS: number;
  dataDir: string;
  PORT: number;
}

/** PEER_ADDRESS (`off` or host:port, checked by config.ts) as where to listen, or null for none. */
function peerAddress(setting: string): PeerAddress | null {
  if (setting === 'off') return null;
  const colon = setting.lastIndexOf(':');
  return { host: setting.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(setting.slice(colon + 1)) };
}

/** Redis when REDIS_URL is set, else this process's memory. */
export async function openSharedState(config: SharedStateConfig, log: Logger): Promise<SharedState> {
  const matchOptions = { rematchCooldownMs: config.REMATCH_COOLDOWN_S * 1000 };
  if (config.REDIS_URL) {
    return redisState(
      {
        url: config.REDIS_URL,
        prefix: config.REDIS_PREFIX,
        peers: peerAddress(config.PEER_ADDRESS),
        match: matchOptions,
        holdLimit: config.RESUME_BUFFER_FRAMES,
        graceMs: config.RESUME_GRACE_MS,
      },
      log,
    );
  }
  return memoryState(
    {
      match: matchOptions,
      holdLimit: config.RESUME_BUFFER_FRAMES,
      // By port, so two processes in one checkout keep theirs apart. PORT=0 (a port picked at
      // random, as the tests do) comes back on another port: nothing to keep.
      roomsFile: config.PORT === 0 ? null : path.join(config.dataDir, `rooms-${config.PORT}.json`),
    },
    log,
  );
}
