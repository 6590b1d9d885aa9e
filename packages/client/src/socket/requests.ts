import type { ClientMessage, ServerMessage } from '@small-talk/protocol';
import { SocketEvent, type Socket } from './socket.js';

/** The frames a part of the SDK sends as requests: each gets a `ref`, and the server's answer echoes it. */
export type Request = Extract<
  ClientMessage,
  { type: 'join' | 'cancel' | 'leave' | 'call' | 'accept_call' | 'decline_call' | 'cancel_call' }
>;

/** The frames that answer a request, carrying its `ref`. */
export type Answer = Extract<ServerMessage, { type: 'queued' | 'cancelled' | 'left' | 'call_ringing' | 'error' }>;

const ANSWERS: ReadonlySet<ServerMessage['type']> = new Set<Answer['type']>([
  'queued',
  'cancelled',
  'left',
  'call_ringing',
  'error',
]);

/** Whether a frame is the answer to some request (of whichever part of the SDK sent it). */
export function isAnswer(message: ServerMessage): message is Answer & { ref: string } {
  return ANSWERS.has(message.type) && (message as Answer).ref !== undefined;
}

/**
 * One part of the SDK's requests on a Socket: each frame sent gets a ref of its own (`prefix`
 * and a count, so parts sharing the socket never collide), and the frame that answers it goes to
 * the callback given with it. Nothing is inferred from order or content.
 *
 * A callback gets null when no answer will come: the socket was not open, or stopped being open
 * before the answer (the server forgets a socket's requests with it). Frames with no answer on
 * success (`accept_call`, `decline_call`, `cancel_call`) only ever get an `error`, or that null.
 */
export class Requests {
  private count = 0;
  private readonly waiting = new Map<string, (answer: Answer | null) => void>();
  private readonly unsubscribe: Array<() => void>;

  constructor(
    private readonly socket: Socket,
    private readonly prefix: string,
  ) {
    this.unsubscribe = [
      socket.on(SocketEvent.Message, (message) => {
        if (!isAnswer(message)) return;
        const settle = this.waiting.get(message.ref);
        if (!settle) return;
        this.waiting.delete(message.ref);
        settle(message);
      }),
      socket.on(SocketEvent.State, (state) => {
        if (state !== 'open') this.forget();
      }),
    ];
  }

  /** Sends `frame` with a new ref; `onAnswer` gets the frame that answers it (see the class). */
  send(frame: Request, onAnswer: (answer: Answer | null) => void = () => {}): void {
    this.count += 1;
    const ref = `${this.prefix}${this.count}`;
    if (!this.socket.send({ ...frame, ref })) return onAnswer(null);
    this.waiting.set(ref, onAnswer);
  }

  dispose(): void {
    for (const off of this.unsubscribe) off();
    this.waiting.clear();
  }

  private forget(): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const settle of waiting) settle(null);
  }
}
