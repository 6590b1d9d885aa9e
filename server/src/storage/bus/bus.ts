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
  /** Close the socket with this code once the frame is sent (a ban: 4003). */
  close?: { code: number; reason: string };
  /**
   * Set on a state of which only the latest matters (a friend's presence, keyed by the friend).
   * While the user is away, a newer one with the same key replaces the held one, and none counts
   * toward the hold limit: a user with many friends coming and going would otherwise fill it and
   * lose its room. They reach the socket after the held frames (see `attach`).
   */
  stateKey?: string;
  /**
   * Only for a socket still in this room (else dropped): a relayed frame may be on its way from
   * the peer's process while the room ends on the receiver's (a socket with no room keeps it a
   * moment instead: it may have overtaken its room's `matched`), and the end of a room told late,
   * by a survivor of the process that ended it, must not end the next room its member is in.
   */
  onlyInRoom?: string;
}

/** A live socket as the bus sees it. */
export interface Inbox {
  /** False when the socket is closing and cannot take it: the bus then holds it as for an absent user. */
  deliver(delivery: Delivery): boolean;
  /** A newer socket of the same user took over: close this one. */
  replace(): void;
}

/** See MessageBus.framesSentAway. */
export interface FramesSentAway {
  link: number;
  redis: number;
}

export interface MessageBus {
  /**
   * Makes `inbox` the user's one socket; an older one (here or on another process) is replaced.
   * The socket gets `greeting` first, then what was held for the user while it was away, in the
   * order sent, then the latest of each held state (`stateKey`), then whatever arrived in the
   * meantime. States come after the frames so that one about a friend the user gained or lost
   * while away (`friend_added`, `friend_removed`, held as frames) applies to the friend list those
   * frames left.
   */
  attach(userId: string, inbox: Inbox, greeting: readonly Delivery[]): Promise<void>;
  /**
   * The socket is gone: deliveries for the user are held from now on. False when a newer socket
   * had already taken over (then nothing changes).
   */
  detach(userId: string, inbox: Inbox): boolean;
  /**
   * Records that a room waits for the user until `deadline` (epoch ms), where every process sees
   * it. False when the user is already back.
   */
  awaitReturn(userId: string, deadline: number): Promise<boolean>;
  /**
   * Ends the user's absence and drops what was held for it: true for exactly one caller, and only
   * while the user is still away (with `due`, only once its deadline has passed).
   */
  claimAbsence(userId: string, due: boolean): Promise<boolean>;
  /** Stops holding for an absent user and drops what was held; nothing when it came back meanwhile. */
  release(userId: string): Promise<void>;
  /** Starts holding for a user with no socket here (a room taken over from a restart). */
  hold(userId: string): void;
  /**
   * Which of `userIds` have a socket on some process, or are away within a room's grace (their
   * phone is reconnecting): the users a friend sees as not offline.
   */
  online(userIds: readonly string[]): Promise<Set<string>>;
  /**
   * How many users have a live socket, on every process (GET /api/stats). In a cluster each
   * process tells its own count with its lease, so it is at most one sweep (SWEEP_MS) old.
   */
  connectedCount(): Promise<number>;
  /** Sends a frame to the user's socket wherever it is, or holds it while the user is away. */
  deliver(userId: string, delivery: Delivery): void;
  /**
   * Sends now what `deliver` keeps for the end of this turn of the event loop (a cluster batches
   * frames for other processes): a shared-state write that records them as sent (a room
   * announced, an end told) must reach Redis after them, or a process killed in between would
   * leave its survivors nothing to redo for frames that never left.
   */
  flush(): void;
  /**
   * How many frames this process has sent to sockets on other processes, by path: on a peer link,
   * or through Redis (a PUBLISH or a script). Always zeros on one process. /metrics shows it: a
   * cluster whose frames go through Redis though links were asked for cannot reach them.
   */
  framesSentAway(): FramesSentAway;
  /** Called once when more deliveries are waiting for an absent user than it may hold. */
  onOverflow(listener: (userId: string) => void): void;
  /**
   * Waits (at most `timeoutMs`) until no user whose socket was here is still away: each came back
   * on some process and took what was held for it, or its absence ended. For draining.
   */
  settle(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}
