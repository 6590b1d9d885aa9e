import type { UserStanding } from '../safety/standing.js';
import type {
  ChatEvent,
  ClientMessage,
  QueuedEvent,
  TypingEvent,
  CancelledEvent,
  WidenedEvent,
} from '@small-talk/protocol';
import WebSocket from 'ws';
import type { Rings } from '../rings/service.js';
import { AppError } from '../errors.js';
import type { Fallbacks } from '../matchmaking/fallback.js';
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
  [T in ClientMessage['type']]: (
    socket: ClientSocket,
    message: Extract<ClientMessage, { type: T }>,
    dataText: string,
  ) => void | Promise<void>;
};

function roomOf(socket: ClientSocket, roomId: string): RoomLink {
  const room = socket.room;
  if (room === null || room.roomId !== roomId) throw new AppError('not_in_room', 'you are not in this room');
  return room;
}

export interface HandlerServices {
  matchmaking: Matchmaking;
  rooms: Rooms;
  rings: Rings;
  /**
   * Throws unless the user may meet people now; returns its standing (languages for matching).
   * `kept`: the standing the socket was last allowed with, if nothing changed it since (Safety.mayMeet).
   */
  mayMeet: (userId: string, kept: UserStanding | null) => Promise<UserStanding>;
  /** The waits of joins with `anyone` (timed here, for sockets here). */
  fallbacks: Fallbacks;
}

export function createHandlers(services: HandlerServices): Handlers {
  const { matchmaking, rooms, rings, mayMeet, fallbacks } = services;
  /** Sockets whose close already ends their wait: one listener each, however often they join. */
  const watched = new WeakSet<ClientSocket>();

  /** Widens the search of a user still queued with `ticket` once the wait runs out. */
  function wait(socket: ClientSocket, ticket: number): void {
    if (!watched.has(socket)) {
      watched.add(socket);
      socket.ws.once('close', () => fallbacks.end(socket.userId, socket));
    }
    fallbacks.start(socket.userId, socket, async (current) => {
      // Matched meanwhile (the matched frame set the room), or closing: nothing to widen.
      if (socket.room || socket.ws.readyState !== WebSocket.OPEN) return;
      try {
        const result = await matchmaking.widen(socket.userId, ticket);
        if (result.kind === 'matched') await rooms.start(result.room);
        else if (result.kind === 'widened' && current())
          socket.sendText(JSON.stringify({ type: 'widened' } satisfies WidenedEvent));
      } catch (error) {
        // Shared state unreachable: the user stays queued in its categories, as if it had not asked.
        socket.log.warn({ err: error }, 'could not widen a search');
      }
    });
  }

  return {
    async join(socket, message) {
      if (socket.room) throw new AppError('busy', 'leave your room before joining again');
      // Asked at every join: the database is read again only when the standing changed since
      // the socket's last join (or it has not joined yet).
      const standing = await socket.allowedStanding((kept) => mayMeet(socket.userId, kept));
      const joined = await matchmaking.join(socket.principal.user, standing, message.categories);
      // The entry the old wait was for is gone: a re-join restarts the wait.
      fallbacks.end(socket.userId);
      // `queued` always comes first, so a client sees the same sequence whether or not a match is
      // instant; when it is, the two usually leave in one write (ClientSocket.together).
      await socket.together(() => {
        socket.sendText(
          JSON.stringify({ type: 'queued', categories: joined.categories, ref: message.ref } satisfies QueuedEvent),
        );
        if (joined.room) return rooms.start(joined.room);
        if (message.anyone) wait(socket, joined.ticket);
      });
    },

    async cancel(socket, message) {
      fallbacks.end(socket.userId);
      await matchmaking.cancel(socket.userId);
      socket.sendText(JSON.stringify({ type: 'cancelled', ref: message.ref } satisfies CancelledEvent));
    },

    signal(socket, message, dataText) {
      const room = roomOf(socket, message.roomId);
      // A SignalEvent, built around the data's own text: JSON.parse has validated it and the
      // scan has bounded its depth, so it goes out byte for byte as sent, and nothing about its
      // shape can make this throw (serialising it again could: the stack, on deep values).
      rooms.relay(room, `${socket.signalPrefix(room)}${dataText}}`);
    },

    chat(socket, message) {
      const room = roomOf(socket, message.roomId);
      const text = cleanChatText(message.text);
      if (text.length === 0)
        throw new AppError('bad_request', 'chat text has nothing to show once control characters are removed');
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
      rooms.relay(
        room,
        JSON.stringify({ type: 'typing', roomId: room.roomId, from: socket.userId } satisfies TypingEvent),
      );
    },

    leave(socket, message) {
      return rooms.leave(socket.userId, message.roomId, socket.room, message.ref);
    },

    async call(socket, message) {
      if (socket.room) throw new AppError('busy', 'leave your room before calling');
      const standing = await socket.allowedStanding((kept) => mayMeet(socket.userId, kept));
      return rings.call(socket.principal.user, standing, message.userId, { callId: message.callId, ref: message.ref });
    },

    accept_call(socket, message) {
      return rings.accept(socket.principal.user, message.callId);
    },

    decline_call(socket, message) {
      return rings.decline(socket.principal.user, message.callId);
    },

    cancel_call(socket, message) {
      return rings.cancel(socket.principal.user, message.callId);
    },
  };
}
