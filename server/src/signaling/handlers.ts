import type { ChatEvent, ClientMessage, QueuedEvent, SignalEvent, TypingEvent, CancelledEvent } from '@small-talk/protocol';
import type { Calls } from '../calls/service.js';
import { AppError } from '../errors.js';
import type { Matchmaking } from '../matchmaking/service.js';
import type { Rooms } from '../rooms/service.js';
import type { RoomLink } from '../storage/bus/bus.js';
import type { ClientSocket } from './socket.js';

/** One handler per client frame type; a missing one does not compile. */
export type Handlers = {
  [T in ClientMessage['type']]: (socket: ClientSocket, message: Extract<ClientMessage, { type: T }>) => void | Promise<void>;
};

function roomOf(socket: ClientSocket, roomId: string): RoomLink {
  const room = socket.room;
  if (room === null || room.roomId !== roomId) throw new AppError('not_in_room', 'you are not in this room');
  return room;
}

export interface HandlerServices {
  matchmaking: Matchmaking;
  rooms: Rooms;
  calls: Calls;
  /** Throws `consent_required` or `restricted` when the user may not meet people now (safety/). */
  mayMeet: (userId: string) => Promise<void>;
}

export function createHandlers(services: HandlerServices): Handlers {
  const { matchmaking, rooms, calls, mayMeet } = services;
  return {
    async join(socket, message) {
      if (socket.room) throw new AppError('busy', 'leave your room before joining again');
      // Asked at every join, not once per socket: a new rules version applies from the next join.
      await mayMeet(socket.userId);
      const { categories, room } = await matchmaking.join(socket.principal.user, message.categories);
      // `queued` always comes first, so a client sees the same sequence whether or not a match is instant.
      socket.sendText(JSON.stringify({ type: 'queued', categories } satisfies QueuedEvent));
      if (room) await rooms.start(room);
    },

    async cancel(socket) {
      await matchmaking.cancel(socket.userId);
      socket.sendText(JSON.stringify({ type: 'cancelled' } satisfies CancelledEvent));
    },

    signal(socket, message) {
      const room = roomOf(socket, message.roomId);
      const event: SignalEvent = { type: 'signal', roomId: room.roomId, from: socket.userId, data: message.data };
      rooms.relay(room, JSON.stringify(event));
    },

    chat(socket, message) {
      const room = roomOf(socket, message.roomId);
      const event: ChatEvent = {
        type: 'chat',
        roomId: room.roomId,
        from: socket.userId,
        text: message.text,
        sentAt: new Date().toISOString(),
      };
      rooms.relay(room, JSON.stringify(event));
    },

    typing(socket, message) {
      const room = roomOf(socket, message.roomId);
      rooms.relay(room, JSON.stringify({ type: 'typing', roomId: room.roomId, from: socket.userId } satisfies TypingEvent));
    },

    leave(socket, message) {
      return rooms.leave(socket.userId, message.roomId, socket.room);
    },

    async call(socket, message) {
      if (socket.room) throw new AppError('busy', 'leave your room before calling');
      await mayMeet(socket.userId);
      return calls.call(socket.principal.user, message.userId);
    },

    accept_call(socket, message) {
      return calls.accept(socket.principal.user, message.callId);
    },

    decline_call(socket, message) {
      return calls.decline(socket.principal.user, message.callId);
    },

    cancel_call(socket, message) {
      return calls.cancel(socket.principal.user, message.callId);
    },
  };
}
