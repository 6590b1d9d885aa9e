import type { CallEndReason, ErrorCode, MatchedEvent, Peer } from '@small-talk/protocol';
import type { Requests } from '../socket/requests.js';
import type { DirectCall, DirectCallEnded } from './types.js';

export interface RingingOptions {
  requests: Requests;
  /** The socket is open: a `call` sent now reaches the server. */
  isOpen: () => boolean;
  /** How long a call may ring with no word from the server. */
  ringTimeoutMs: number;
  /** Every change of the direct call; then, when it ended without a room, why. */
  changed: (call: DirectCall | null, ended: DirectCallEnded | null) => void;
  /** An error answering the current call's `call` or `accept_call`: the call is over. */
  failed: (error: { code: ErrorCode; message: string }) => void;
}

/** The direct call, with what the server does not tell the app: the id of an outgoing call before it rings, and whether its frame went out. */
interface Ring {
  call: DirectCall;
  /** The ring's id on the server: chosen here for an outgoing call, given for an incoming one. */
  id: string;
  /** Outgoing: the `call` frame went out. Incoming: `accept_call` went out. */
  sent: boolean;
}

/**
 * Direct calls that ring, either way. An outgoing call names its ring (`callId`), so every frame
 * about it says whether it is about this call: `call_ringing` and errors by the `call` frame's
 * ref, `call_ended` and the room's `matched` by the id. A call hung up is forgotten at once:
 * whatever still comes for its id concerns nothing here.
 */
export class Ringing {
  private ring: Ring | null = null;
  /** The call whose room this user wants (the one it made, or accepted); see Friends.acceptsCall. */
  private wantedRoom: string | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: RingingOptions) {}

  get directCall(): DirectCall | null {
    return this.ring?.call ?? null;
  }

  acceptsCall(callId: string): boolean {
    return callId === this.wantedRoom;
  }

  call(peer: Peer): void {
    this.start({ call: { callId: null, direction: 'outgoing', peer, state: 'calling' }, id: newCallId(), sent: false });
    this.sendCall();
  }

  accept(): void {
    const ring = this.ring;
    if (ring?.call.direction !== 'incoming' || ring.sent) return;
    ring.sent = true;
    this.wantedRoom = ring.id;
    this.options.requests.send({ type: 'accept_call', callId: ring.id }, (answer) => {
      // Too late (`not_found`: the ring ended as our answer crossed the wire), or refused.
      if (answer?.type !== 'error' || this.ring !== ring) return;
      this.end(null);
      this.options.failed({ code: answer.code, message: answer.message });
    });
  }

  decline(): void {
    const ring = this.ring;
    if (ring?.call.direction !== 'incoming' || ring.sent) return;
    this.options.requests.send({ type: 'decline_call', callId: ring.id });
    this.end({ reason: 'declined' });
  }

  hangUp(): void {
    const ring = this.ring;
    if (ring?.call.direction !== 'outgoing') return;
    this.cancel(ring);
    this.end({ reason: 'cancelled' });
  }

  /** The socket is open: an outgoing call made while it was not goes out now. */
  opened(): void {
    this.sendCall();
  }

  /**
   * The socket stopped being open: the server ended the ring with it (the friend is told
   * `cancelled` if this user called, the caller `offline` if this user was called). An outgoing
   * call whose frame never went out waits for the socket instead, as a join does.
   */
  lost(forGood: boolean, byApp: boolean): void {
    const ring = this.ring;
    if (!ring) return;
    if (!forGood && ring.call.direction === 'outgoing' && !ring.sent) return;
    // `byApp`: the app closed the socket on purpose and knows.
    if (byApp) return this.end(null);
    this.end({ reason: ring.call.direction === 'outgoing' ? 'cancelled' : 'offline' });
  }

  incoming(callId: string, peer: Peer): void {
    const current = this.ring;
    if (current?.id === callId) return;
    // One ring per user on the server: with a ring for us there, our own outgoing one is over
    // (or its `call` will be refused as `busy`, an answer to a call that is no longer current).
    // The incoming call takes its place without a CallEnded: often the two friends called each
    // other at the same moment.
    if (current?.call.direction === 'outgoing') this.cancel(current);
    this.start({ call: { callId, direction: 'incoming', peer, state: 'ringing' }, id: callId, sent: false });
  }

  ended(callId: string, reason: CallEndReason): void {
    if (this.ring?.id === callId) this.end({ reason, callId });
  }

  /**
   * A room began. If it is this call's, the call became it; any other (the queue's, or a call's
   * that was hung up) made the server end our ring, since a user in a room is not rung: the
   * friend is told, and the call clears without a CallEnded.
   */
  matched(frame: MatchedEvent): void {
    const ring = this.ring;
    if (!ring || frame.resumed) return;
    if (frame.callId !== ring.id) {
      if (ring.call.direction === 'outgoing') this.cancel(ring);
      else if (!ring.sent) this.options.requests.send({ type: 'decline_call', callId: ring.id });
    }
    this.end(null);
  }

  dispose(): void {
    this.clearTimer();
  }

  // ---- helpers ----------------------------------------------------------------

  private start(ring: Ring): void {
    this.ring = ring;
    this.wantedRoom = ring.call.direction === 'outgoing' ? ring.id : null;
    this.armTimer();
    this.options.changed(ring.call, null);
  }

  /** Sends the outgoing call's `call` frame, unless it went out already or the socket is not open. */
  private sendCall(): void {
    const ring = this.ring;
    if (ring?.call.direction !== 'outgoing' || ring.sent || !this.options.isOpen()) return;
    ring.sent = true;
    this.options.requests.send({ type: 'call', userId: ring.call.peer.id, callId: ring.id }, (answer) => {
      if (this.ring !== ring || !answer) return; // hung up, replaced, or the socket went: see lost()
      if (answer.type === 'call_ringing') {
        ring.call = { ...ring.call, callId: ring.id, state: 'ringing' };
        this.armTimer(); // the server's own ring time starts now
        this.options.changed(ring.call, null);
      } else if (answer.type === 'error') {
        this.end(null);
        this.options.failed({ code: answer.code, message: answer.message });
      }
    });
  }

  /**
   * Tells the server this user no longer wants its outgoing call. The server handles a socket's
   * frames in order, so a `cancel_call` right behind the `call` ends the ring that call made (or
   * is refused `not_found` when it made none: nothing to do then).
   */
  private cancel(ring: Ring): void {
    if (this.wantedRoom === ring.id) this.wantedRoom = null;
    if (ring.sent) this.options.requests.send({ type: 'cancel_call', callId: ring.id });
  }

  /** Clears the direct call: changed(null), with why unless `ended` is null. */
  private end(ended: { reason: CallEndReason; callId?: string } | null): void {
    const ring = this.ring;
    if (!ring) return;
    this.ring = null;
    this.clearTimer();
    const { call } = ring;
    this.options.changed(
      null,
      ended
        ? { callId: ended.callId ?? call.callId, peer: call.peer, reason: ended.reason, direction: call.direction }
        : null,
    );
  }

  /** No word from the server: its ring ended there (its process went away) or `call_ended` was lost. */
  private timedOut(): void {
    this.timer = null;
    const ring = this.ring;
    if (!ring) return;
    if (ring.call.direction === 'outgoing') this.cancel(ring);
    this.end({ reason: 'no_answer' });
  }

  private armTimer(): void {
    this.clearTimer();
    this.timer = setTimeout(() => this.timedOut(), this.options.ringTimeoutMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * A ring's id, chosen by the caller: random enough that two callers never pick the same (the
 * server refuses an id in use). crypto.randomUUID where the platform has it (browsers, Node);
 * React Native's Hermes has no `crypto`, and Math.random's 128 bits do there.
 */
function newCallId(): string {
  const uuid = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto?.randomUUID?.();
  if (uuid) return uuid;
  let id = '';
  for (let i = 0; i < 4; i++)
    id += Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return id;
}
