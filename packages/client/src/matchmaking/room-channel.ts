import {
  MAX_CHAT_CHARS,
  type ClientMessage,
  type JsonValue,
  type MatchedEvent,
  type ServerMessage,
} from '@small-talk/protocol';
import { SmallTalkError } from '../errors.js';
import type { Socket } from '../socket/socket.js';
import type { ChatReceived, Room, RoomSignaling } from './types.js';

type RoomFrame = Extract<ClientMessage, { type: 'signal' | 'chat' }>;

export interface RoomChannelOptions {
  /** Signal and chat frames kept while the socket is away. */
  outboxLimit: number;
  /** Signals kept until the app's Call subscribes. */
  earlySignalLimit: number;
  /** The socket is open and the room confirmed: frames sent now reach it. */
  canSend: () => boolean;
  /** The peer's chat message and typing, in the current room. */
  chat: (chat: ChatReceived) => void;
  typing: (event: { roomId: string; from: string }) => void;
}

/**
 * The room the user is in, and its frames both ways: signal and chat frames kept in order while
 * the socket is away (the outbox, flushed once the room resumes), and the peer's signals handed
 * to the Call, those that came before it subscribed replayed to it in order.
 */
export class RoomChannel {
  /** The current room, if any. */
  room: Room | null = null;
  /** The current room was given back by the server to this client, new to it (Matched.rejoined). */
  rejoined = false;
  private outbox: RoomFrame[] = [];
  private earlySignals: unknown[] = [];
  private readonly listeners = new Set<{ roomId: string; listener: (data: unknown) => void }>();

  constructor(
    private readonly socket: Socket,
    private readonly options: RoomChannelOptions,
  ) {}

  /** A new current room (Matched.rejoined: `rejoined`). */
  enter(room: Room, rejoined: boolean): void {
    this.room = room;
    this.rejoined = rejoined;
  }

  /** The room is over for us: nothing of it is sent or kept any more. Returns it, if there was one. */
  end(): Room | null {
    const room = this.room;
    this.room = null;
    this.rejoined = false;
    this.outbox = [];
    this.earlySignals = [];
    return room;
  }

  /**
   * A chat message to the peer; kept and sent after a resume if the socket is away.
   * False if there is no room or the outbox is full.
   */
  chat(text: string): boolean {
    if (text.length === 0 || text.length > MAX_CHAT_CHARS) {
      throw new SmallTalkError('bad_request', `a chat message is 1 to ${MAX_CHAT_CHARS} characters`);
    }
    return this.room !== null && this.send({ type: 'chat', roomId: this.room.roomId, text });
  }

  /** Sends now, or keeps for after a resume. False when the outbox is full. */
  send(frame: RoomFrame): boolean {
    if (this.options.canSend() && this.outbox.length === 0) return this.socket.send(frame);
    // Away, or still flushing: keep the order the call negotiates in.
    if (this.outbox.length >= this.options.outboxLimit) return false;
    this.outbox.push(frame);
    return true;
  }

  /** The room resumed: what was kept goes out, in order. */
  flush(): void {
    const frames = this.outbox;
    this.outbox = [];
    for (const frame of frames) {
      if (frame.roomId === this.room?.roomId) this.socket.send(frame);
    }
  }

  /** The peer's frame; those of a room that is over are dropped. */
  receive(message: Extract<ServerMessage, { type: 'signal' | 'chat' | 'typing' }>): void {
    const { roomId } = message;
    if (this.room?.roomId !== roomId) return;
    if (message.type === 'chat')
      return this.options.chat({ roomId, from: message.from, text: message.text, sentAt: message.sentAt });
    if (message.type === 'typing') return this.options.typing({ roomId, from: message.from });
    const { data } = message;
    let delivered = false;
    for (const { roomId: id, listener } of [...this.listeners]) {
      if (id !== roomId) continue;
      delivered = true;
      listener(data);
    }
    if (!delivered && this.earlySignals.length < this.options.earlySignalLimit) this.earlySignals.push(data);
  }

  /** See Matchmaking.signaling(). */
  signaling(roomId: string | undefined): RoomSignaling {
    if (!roomId || this.room?.roomId !== roomId)
      throw new SmallTalkError('not_in_room', 'no current room to signal in');
    return {
      send: (data) => {
        if (this.room?.roomId === roomId) this.send({ type: 'signal', roomId, data: data as JsonValue });
      },
      onSignal: (listener) => {
        const entry = { roomId, listener };
        this.listeners.add(entry);
        if (this.room?.roomId === roomId) {
          const early = this.earlySignals;
          this.earlySignals = [];
          for (const data of early) listener(data);
        }
        return () => {
          this.listeners.delete(entry);
        };
      },
    };
  }

  dispose(): void {
    this.listeners.clear();
  }
}

/** The room a `matched` frame announces. A direct call's room names its call; every other was made by matching. */
export function roomOf(message: MatchedEvent): Room {
  const { roomId, peer, category, initiator, iceTransportPolicy } = message;
  return { roomId, peer, category, direct: message.callId !== undefined, initiator, iceTransportPolicy };
}
