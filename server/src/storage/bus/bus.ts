/**
 * Delivers frames to a user's one socket, wherever it is connected, and holds them while the
 * user is away within its grace. `memory.ts` serves one process; a Redis implementation
 * reaches sockets on other processes.
 */

/** The room a socket is in, as that socket sees it: kept on the socket so relaying needs no lookup. */
export interface RoomLink {
  roomId: string;
  peerId: string;
}

export interface Delivery {
  /** The frame, serialized once by the sender. */
  text: string;
  /** A new room for the receiving socket (matched), null when its room ended, absent otherwise. */
  room?: RoomLink | null;
}

/** A live socket as the bus sees it. */
export interface Inbox {
  /** False when the socket is closing and cannot take it: the bus then holds it as for an absent user. */
  deliver(delivery: Delivery): boolean;
  /** A newer socket of the same user took over: close this one. */
  replace(): void;
}

export interface MessageBus {
  /**
   * Makes `inbox` the user's one socket; an older one (here or elsewhere) is replaced.
   * Returns, in order, what was held for the user while it was away.
   */
  attach(userId: string, inbox: Inbox): Delivery[];
  /** The socket is gone. With `hold`, deliveries for the user are kept until `release`. */
  detach(userId: string, inbox: Inbox, hold: boolean): void;
  /** Starts holding deliveries for a user with no socket here (a room taken over from a restart). */
  hold(userId: string): void;
  /** Stops holding for an absent user and drops what was held. */
  release(userId: string): void;
  isAttached(userId: string): boolean;
  deliver(userId: string, delivery: Delivery): void;
  /** Called once when more deliveries are waiting for an absent user than it may hold. */
  onOverflow(listener: (userId: string) => void): void;
}
