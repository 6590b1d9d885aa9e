import type { MatchedEvent, ServerMessage } from '@small-talk/protocol';

export interface ResumeHooks {
  /** The room came back (`matched` resumed) and goes on. */
  resumed: (message: MatchedEvent) => void;
  /** The room came back, but the app left it while the socket was away: leave it now. */
  leave: (roomId: string) => void;
  /** The room did not come back: the server no longer had it. */
  lost: (roomId: string) => void;
  /** Done waiting, whichever way: a user still queued joins again. */
  done: () => void;
}

/**
 * Getting the room back after a reconnect. The server sends `matched` (resumed) right after
 * `welcome` or not at all; until it comes, frames for the room must wait (a `join` would be
 * `busy`), and a room the app left while the socket was away is left on the server once back.
 */
export class Resume {
  private window: { roomId: string; timer: ReturnType<typeof setTimeout> } | null = null;
  /** A room the app left while the socket was away. */
  private leftAway: string | null = null;

  constructor(
    private readonly waitMs: number,
    private readonly hooks: ResumeHooks,
  ) {}

  /** Waiting for the room: frames for it must wait too. */
  get pending(): boolean {
    return this.window !== null;
  }

  /** The app left `roomId` while the socket could not say so. */
  leftWhileAway(roomId: string): void {
    this.leftAway = roomId;
  }

  /** Whether `roomId` is the room the app left while away (a `matched` for it is not a new room). */
  isLeft(roomId: string): boolean {
    return this.leftAway === roomId;
  }

  /** A new socket's `welcome`: waits for `roomId` (ours, else the one left while away); false when there is none. */
  start(roomId: string | null): boolean {
    this.stop();
    const awaited = roomId ?? this.leftAway;
    if (awaited === null) return false;
    this.window = { roomId: awaited, timer: setTimeout(() => this.giveUp(awaited), this.waitMs) };
    return true;
  }

  /**
   * A frame of Matchmaking's while pending: true when it settled the resume for good. `left` or
   * `peer_left` of the room says it ended while we were away: false, so the caller tells the app
   * how (unless the app had left it anyway). Any other frame first means the room is gone.
   */
  settle(message: ServerMessage): boolean {
    const { roomId } = this.window!;
    if (message.type === 'matched' && message.resumed && message.roomId === roomId) {
      if (this.close(roomId)) this.hooks.leave(roomId);
      else this.hooks.resumed(message);
      this.hooks.done();
      return true;
    }
    if ((message.type === 'peer_left' || message.type === 'left') && message.roomId === roomId) {
      const left = this.close(roomId);
      this.hooks.done();
      return left;
    }
    this.giveUp(roomId);
    return false;
  }

  /** No more waiting (the socket closed for good); with `forget`, the room left while away is forgotten too. */
  stop(forget = false): void {
    if (this.window) clearTimeout(this.window.timer);
    this.window = null;
    if (forget) this.leftAway = null;
  }

  /** No `matched` for the room came (in time, or before another frame): it is over on the server. */
  private giveUp(roomId: string): void {
    if (!this.close(roomId)) this.hooks.lost(roomId);
    this.hooks.done();
  }

  /** Ends the window for `roomId`; true when it was the room the app had left while away. */
  private close(roomId: string): boolean {
    this.stop();
    const left = this.leftAway === roomId;
    if (left) this.leftAway = null;
    return left;
  }
}
