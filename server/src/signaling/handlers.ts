import type { UserStanding } from '../safety/standing.js';
import type { ChatEvent, ClientMessage, QueuedEvent, TypingEvent, CancelledEvent } from '@small-talk/protocol';
import type { Calls } from '../calls/service.js';
import { AppError } from '../errors.js';
import type { Matchmaking } from '../matchmaking/service.js';
import type { Rooms } from '../rooms/service.js';
import type { RoomLink } from '../storage/bus/bus.js';
import { cleanChatText } from './chat-text.js';
import type { ClientSocket } from './socket.js';

/**
 * One handler per client frame type; a missing one does not compile. `dataText` is the frame's
 * top-level `data` value exactly as the sender wrote it (empty when there is none): `signal`
 * relays that text instead of serialising the parsed value again.
 */
export type Handlers = {
  [T in ClientMessage['type']]: (socket: ClientSocket, message: Extract<ClientMessage, { type: T }>, dataText: string) => void | Promise<void>;
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
  /** Throws unless the user may meet people now; returns its standing (languages for matching). */
  mayMeet: (userId: string) => Promise<UserStanding>;
}

export function createHandlers(services: HandlerServices): Handlers {
  const { matchmaking, rooms, calls, mayMeet } = services;
  return {
    async join(socket, message) {
      if (socket.room) throw new AppError('busy', 'leave your room before joining again');
      // Asked at every join, not once per socket: a new rules version applies from the next join.
      const standing = await mayMeet(socket.userId);
      const { categories, room } = await matchmaking.join(socket.principal.user, standing, message.categories);
      // `queued` always comes first, so a client sees the same sequence whether or not a match is instant.
      socket.sendText(JSON.stringify({ type: 'queued', categories } satisfies QueuedEvent));
      if (room) await rooms.start(room);
    },

    async cancel(socket) {
      await matchmaking.cancel(socket.userId);
      socket.sendText(JSON.stringify({ type: 'cancelled' } satisfies CancelledEvent));
    },

    signal(socket, message, dataText) {
      const room = roomOf(socket, message.roomId);
      // A SignalEvent, built around the data's own text: JSON.parse has validated it and the
      // scan has bounded its depth, so it goes out byte for byte as sent, and nothing about its
      // shape can make this throw (serialising it again could: the stack, on deep values).
      rooms.relay(room, `{"type":"signal","roomId":${JSON.stringify(room.roomId)},"from":${JSON.stringify(socket.userId)},"data":${dataText}}`);
    },

    chat(socket, message) {
      const room = roomOf(socket, message.roomId);
      const text = cleanChatText(message.text);
      if (text.length === 0) throw new AppError('bad_request', 'chat text has nothing to show once control characters are removed');
      const event: ChatEvent = {
        type: 'chat',
        roomId: room.roomId,
        from: socket.userId,
        text,
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
      const standing = await mayMeet(socket.userId);
      return calls.call(socket.principal.user, standing, message.userId);
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
