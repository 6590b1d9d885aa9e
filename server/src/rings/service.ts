import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type {
  CallEndReason,
  CallEndedEvent,
  CallRingingEvent,
  IncomingCallEvent,
  Peer,
  Presence,
  User,
} from '@small-talk/protocol';
import { AppError } from '../errors.js';
import type { Friends } from '../friends/service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Push } from '../push/notifier.js';
import type { Rooms } from '../rooms/service.js';
import type { UserStanding } from '../safety/standing.js';
import type { MessageBus } from '../storage/bus/bus.js';
import type { MatchStore, Member, Ring, RingSide } from '../storage/match/store.js';

export interface RingsOptions {
  /** How long a call rings before it ends as `no_answer`. */
  ringTimeoutMs: number;
}

/** A ring's shared record outlives its timeout by this much, in case the process timing it dies. */
const RING_RECORD_SLACK_MS = 5000;

/**
 * Direct calls between friends: the caller rings, the callee answers, and an answered call
 * becomes a room like any matched one (no category, the caller makes the offer). The ring
 * itself lives in the match store, so caller and callee may be on different processes and
 * exactly one of accept, decline, cancel, timeout or a side going away ends it.
 */
export class Rings {
  /** Rings started here, timed here. */
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: MatchStore,
    private readonly bus: MessageBus,
    private readonly friends: Friends,
    private readonly rooms: Rooms,
    private readonly metrics: Metrics,
    private readonly options: RingsOptions,
    private readonly log: Logger,
    /** Wakes a callee with no socket open; without it such a call ends `offline` at once. */
    private readonly push: Push | null = null,
  ) {}

  /**
   * `profile`: the caller's languages and bio, from the standing the call was allowed with.
   * `request.callId`: the ring's id if the caller chose one; `request.ref`: the call frame's, echoed on `call_ringing`.
   */
  async call(
    caller: User,
    profile: Pick<UserStanding, 'languages' | 'bio'>,
    calleeId: string,
    request: { callId?: string | undefined; ref?: string | undefined } = {},
  ): Promise<void> {
    if (calleeId === caller.id) throw new AppError('bad_request', 'you cannot call yourself');
    await this.friends.refuseIfBlocked(caller.id, calleeId);
    const friendship = await this.friends.friend(caller, calleeId);
    if (!friendship) throw new AppError('not_friends', 'you can only call your friends');
    // With its bio: an answered call's `matched` shows it like any room's, from the store alone.
    const callee = await this.friends.profile(calleeId);
    if (!callee) throw new AppError('not_found', 'no such user');
    const ring: Ring = {
      id: request.callId ?? randomUUID(),
      caller: { id: caller.id, displayName: caller.displayName, languages: profile.languages, bio: profile.bio },
      callee,
    };
    // A callee with no socket open rings only when a push can wake one of its devices.
    const online = (await this.bus.online([calleeId])).has(calleeId);
    if (!online && !(await this.push?.canWake(calleeId))) return this.tell(ring, 'caller', 'offline');
    const result = await this.store.ring(ring, this.options.ringTimeoutMs + RING_RECORD_SLACK_MS);
    if (result === 'taken')
      throw new AppError('bad_request', 'that callId is in use by another call: choose a new one');
    if (result === 'caller_busy') throw new AppError('busy', 'you are in a call already');
    if (result === 'busy') return this.tell(ring, 'caller', 'busy');
    const timer = setTimeout(
      () =>
        void this.end(ring.id, 'no_answer').catch((error: unknown) =>
          this.log.warn({ err: error }, 'could not end an unanswered call'),
        ),
      this.options.ringTimeoutMs,
    );
    timer.unref();
    this.timers.set(ring.id, timer);
    this.bus.deliver(ring.caller.id, {
      text: JSON.stringify({
        type: 'call_ringing',
        callId: ring.id,
        peer: peer(ring.callee),
        ref: request.ref,
      } satisfies CallRingingEvent),
    });
    this.bus.deliver(ring.callee.id, incomingCall(ring));
    // In the background: the ring never waits on the push service, and a retry after the ring
    // ended (answered, cancelled, timed out) is dropped.
    if (!online)
      this.push?.ring(
        ring,
        this.options.ringTimeoutMs,
        async () => (await this.store.ringOf(ring.callee.id))?.id === ring.id,
      );
    this.log.info({ callId: ring.id, pushed: !online }, 'ringing');
  }

  /** The callee picks up: a room for the two, unless one of them got into another meanwhile. */
  async accept(user: User, callId: string): Promise<void> {
    const ring = await this.take(callId, { userId: user.id, side: 'callee' });
    // Unfriended while it rang: nobody is called by someone who is no longer a friend.
    if (!(await this.friends.friend(user, ring.caller.id))) return this.tell(ring, 'both', 'cancelled');
    const room = await this.store.pair(ring.caller, ring.callee, ring.id);
    if (!room) return this.tell(ring, 'both', 'busy');
    this.metrics.directCall('answered');
    await this.rooms.start(room);
  }

  async decline(user: User, callId: string): Promise<void> {
    const ring = await this.take(callId, { userId: user.id, side: 'callee' });
    this.tell(ring, 'caller', 'declined');
  }

  /** The caller hangs up before an answer. */
  async cancel(user: User, callId: string): Promise<void> {
    const ring = await this.take(callId, { userId: user.id, side: 'caller' });
    this.tell(ring, 'callee', 'cancelled');
  }

  /**
   * A user's presence changed: one who went offline or into a room (matched while its phone
   * rang) can no longer answer or be answered.
   */
  async presenceChanged(userId: string, presence: Presence): Promise<void> {
    const ring = await this.store.ringOf(userId);
    if (presence === 'online') {
      // A socket opened while its user is rung (a device woken by the push, or a reconnect): it
      // is told of the ring, wherever the ring started, and may answer.
      if (ring?.callee.id === userId) this.bus.deliver(userId, incomingCall(ring));
      return;
    }
    if (!ring || !(await this.store.takeRing(ring.id))) return;
    this.clearTimer(ring.id);
    const callerLeft = ring.caller.id === userId;
    if (presence === 'in_call') this.tell(ring, callerLeft ? 'callee' : 'both', callerLeft ? 'cancelled' : 'busy');
    else this.tell(ring, callerLeft ? 'callee' : 'caller', callerLeft ? 'cancelled' : 'offline');
  }

  /** Stops the ring timers of this process, for shutdown; the rings' records expire by themselves. */
  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private async end(callId: string, reason: CallEndReason): Promise<void> {
    this.timers.delete(callId);
    const ring = await this.store.takeRing(callId);
    if (ring) this.tell(ring, 'both', reason);
  }

  /** Ends the ring for the side allowed to, or `not_found` when it is not ringing for it. */
  private async take(callId: string, by: RingSide): Promise<Ring> {
    const ring = await this.store.takeRing(callId, by);
    if (!ring) throw new AppError('not_found', 'that call is not ringing');
    this.clearTimer(callId);
    return ring;
  }

  private clearTimer(callId: string): void {
    const timer = this.timers.get(callId);
    if (timer) clearTimeout(timer);
    this.timers.delete(callId);
  }

  private tell(ring: Ring, who: 'caller' | 'callee' | 'both', reason: CallEndReason): void {
    this.metrics.directCall(reason);
    const to = (user: Member, other: Member) =>
      this.bus.deliver(user.id, {
        text: JSON.stringify({
          type: 'call_ended',
          callId: ring.id,
          peer: peer(other),
          reason,
        } satisfies CallEndedEvent),
      });
    if (who !== 'callee') to(ring.caller, ring.callee);
    if (who !== 'caller') to(ring.callee, ring.caller);
  }
}

function incomingCall(ring: Ring): { text: string } {
  return {
    text: JSON.stringify({
      type: 'incoming_call',
      callId: ring.id,
      peer: peer(ring.caller),
    } satisfies IncomingCallEvent),
  };
}

/** A ring's side as the other sees it in call frames: the bio waits for the room. */
function peer(member: Member): Peer {
  return { id: member.id, displayName: member.displayName, languages: member.languages };
}
