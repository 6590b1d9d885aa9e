import type { Logger } from 'pino';
import { MemoryMessageBus } from '../bus/memory.js';
import { MemoryMatchStore } from '../match/memory.js';
import type { MatchStoreOptions } from '../match/store.js';
import type { SharedState } from './state.js';

export interface MemoryStateOptions {
  match: MatchStoreOptions;
  /** Frames held for a user away within its grace (RESUME_BUFFER_FRAMES). */
  holdLimit: number;
  /** Where the rooms wait between a stop and the next start; null: not kept. */
  roomsFile: string | null;
}

/** One process alone: the queue, the rooms and every socket are here. */
export function memoryState(options: MemoryStateOptions, log: Logger): SharedState {
  const store = new MemoryMatchStore(options.match);
  const bus = new MemoryMessageBus(options.holdLimit);
  const { roomsFile } = options;
  return {
    store,
    bus,
    async start(rooms) {
      if (roomsFile === null) return;
      const restored = store.loadRooms(roomsFile);
      rooms.adopt(restored);
      if (restored.length > 0) log.info({ rooms: restored.length }, 'rooms restored from the last run');
    },
    async ping() {},
    onReconnect() {},
    saveRooms() {
      if (roomsFile === null) return;
      const saved = store.saveRooms(roomsFile);
      if (saved > 0) log.info({ rooms: saved }, 'rooms saved for the next run');
    },
    close: () => bus.close(),
  };
}
