import type { Logger } from 'pino';
import type {
  EndReason,
  IceTransportPolicy,
  MatchedEvent,
  OwnUser,
  PeerLeftEvent,
  LeftEvent,
  WelcomeEvent,
} from '@small-talk/protocol';
import { AppError } from '../errors.js';
import type { History } from '../history/service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Delivery, Inbox, MessageBus, RoomLink } from '../storage/bus/bus.js';
import { peerOf, type MatchStore, type Room, type UntoldEnding } from '../storage/match/store.js';

export interface RoomsOptions {
  graceMs: number;
  /** ICE policy per kind of room (see `matched.iceTransportPolicy`): strangers' matches and friends' direct calls. */
  icePolicy: { strangers: IceTransportPolicy; friends: IceTransportPolicy };
}

/** When shared state (Redis) is unreachable at the end of a grace, try again this much later. */
const RETRY_MS = 1000;

/**
 * A room's life: it starts with a match, relays frames between its two members, survives a
 * member's dropped socket for the grace (holding frames for it), and ends on leave or when
 * the grace runs out. Every end is written to history.
 */
export class Rooms {
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  /** Set on shutdown: a disconnect still being handled must not start a timer after stop(). */
  private stopped = false;
  private presenceListener: (userIds: readonly string[]) => void = () => {};
  /** Rooms announced and ends told in this turn of the event loop, recorded as such once its frames have left (see recordSent). */
  private sentRooms: { announced: string[]; told: string[] } = { announced: [], told: [] };
  private recordingSent: NodeJS.Immediate | null = null;

  constructor(
    private readonly store: MatchStore,
    private readonly bus: MessageBus,
    private readonly history: History,
    private readonly metrics: Metrics,
    private readonly options: RoomsOptions,
    private readonly log: Logger,
  ) {
    // Too much is waiting for an absent member: end the room now rather than buffer without bound.
    bus.onOverflow((userId) => void this.expireGrace(userId, false));
  }

  /** Told the users whose presence may have changed: a socket came or went, a room began or ended. */
  onPresenceChange(listener: (userIds: readonly string[]) => void): void {
    this.presenceListener = listener;
  }

  /** A socket of `user` is ready: it gets `welcome`, its room back if it has one, then what was held. */
  async connected(user: OwnUser, inbox: Inbox): Promise<void> {
    this.clearGrace(user.id);
    // A newer socket starts over in the queue: the old socket's entry is dropped.
    await this.store.cancel(user.id);
    const room = await this.store.roomOf(user.id);
    const greeting: Delivery[] = [{ text: JSON.stringify({ type: 'welcome', user } satisfies WelcomeEvent) }];
    if (room) greeting.push(this.matchedFor(room, user.id, true));
    await this.bus.attach(user.id, inbox, greeting);
    this.presenceListener([user.id]);
  }

  /**
   * A socket closed for any reason but takeover: out of the queue at once; a room waits for the
   * grace. `settled`: the socket's frames still being handled (a join in flight) are done.
   */
  async disconnected(userId: string, inbox: Inbox, settled: Promise<void> = Promise.resolve()): Promise<void> {
    // Hold before the first await, so no frame for the user is lost while we look up its room.
    if (!this.bus.detach(userId, inbox)) return; // a newer socket took over
    // Look only once its last join or leave is done: a join still running would queue or match
    // the user after we looked, and nothing would ever end that entry or room.
    await settled;
    let room: Room | null | undefined;
    try {
      await this.store.cancel(userId);
      room = await this.store.roomOf(userId);
    } catch (error) {
      // Shared state unreachable: assume a room, so that the grace decides later, not now.
      this.log.warn({ err: error, userId }, 'could not look up the room of a closed socket');
    }
    if (room === null) {
      await this.bus.release(userId);
      this.presenceListener([userId]);
      return;
    }
    await this.startGrace(userId);
  }

  /** Rooms that outlived a restart: both members are away, and each gets the grace to come back. */
  adopt(rooms: readonly Room[]): void {
    for (const room of rooms) {
      for (const member of room.members) {
        this.bus.hold(member.id);
        void this.startGrace(member.id);
      }
    }
  }

  /**
   * Users whose socket was on a process that died: as if each socket had closed when the process
   * was last alive (`since`). Those in a room get the rest of the grace to come back on any
   * process, counted from then and not from when a survivor noticed (a lease later): a peer
   * waits the grace for a user who is gone, not the grace plus the time to notice it. The others
   * are let go.
   */
  async lost(userIds: readonly string[], since = Date.now()): Promise<void> {
    for (const userId of userIds) {
      const room = await this.store.roomOf(userId);
      if (room) await this.startGrace(userId, since);
      else await this.bus.release(userId);
    }
    this.presenceListener(userIds);
  }

  /** The grace of a user whose process is gone has run out: end it here. */
  expire(userId: string): Promise<void> {
    return this.expireGrace(userId, true);
  }

  /** A new room (a match, or an answered direct call): recorded (History.started says when), then both members are told. */
  async start(room: Room): Promise<void> {
    await this.history.started(room);
    // Direct calls between friends are counted by Rings, not as matches.
    if (room.category !== null || room.widened) this.metrics.matches.inc();
    if (room.widened) this.metrics.widenedMatches.inc();
    for (const member of room.members) this.bus.deliver(member.id, this.matchedFor(room, member.id, false));
    // Announced: if this process dies now, no survivor announces it again (see announceLate).
    this.recordSent('announced', room.id);
    this.presenceListener(room.members.map((member) => member.id));
    this.log.info({ roomId: room.id, category: room.category, widened: room.widened === true }, 'matched');
  }

  /**
   * Rooms a dead process made but was killed before it sent their `matched`: a member would wait
   * as if still queued while the store has it in a room, and hear of that room only from its end.
   * Each is recorded (if it was not) and announced now, before the dead process's users' graces
   * start (lost), so a peer hears `matched` before any `peer_left`. A member whose socket died
   * with the process has it held, and its resume's `matched` comes first: its socket drops the
   * repeat.
   */
  async announceLate(rooms: readonly Room[]): Promise<void> {
    for (const room of rooms) {
      await this.start(room);
      this.log.info({ roomId: room.id }, 'room made by a lost process, announced late');
    }
  }

  /**
   * Sends a serialized frame to the sender's peer. The caller checked the sender is in the room;
   * the peer's socket checks it still is (the room may have ended on the peer's process meanwhile).
   */
  relay(link: RoomLink, text: string): void {
    this.bus.deliver(link.peerId, { text, onlyInRoom: link.roomId });
    this.metrics.framesRelayed.inc();
  }

  /** `link` is the room as the leaving socket knows it; `ref` the leave frame's, echoed on `left`. */
  async leave(userId: string, roomId: string, link: RoomLink | null, ref?: string): Promise<void> {
    const room = await this.store.roomOf(userId);
    if (room && room.id === roomId) {
      await this.end(room.id, 'left', userId, ref);
      return;
    }
    // The socket is in a room the store does not know: Redis lost its data while the call went
    // on. The history row decides (it ends once), so a room that ended normally while this
    // leave was on its way is still `not_in_room`.
    if (link?.roomId === roomId && (await this.history.ended(roomId, 'left')) === 'ended') {
      this.notifyEnd(roomId, 'left', userId, link.peerId, ref);
      return;
    }
    throw new AppError('not_in_room', 'you are not in this room');
  }

  /** Cancels pending grace timers, for shutdown. Rooms and absences stay in the store for other processes. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
  }

  private async expireGrace(userId: string, due: boolean): Promise<void> {
    this.clearGrace(userId);
    let claimed: boolean;
    try {
      // Exactly one process wins, and only while the user is still away.
      claimed = await this.bus.claimAbsence(userId, due);
    } catch (error) {
      this.log.warn({ err: error, userId }, 'could not end an absence; retrying');
      this.setTimer(userId, RETRY_MS, due);
      return;
    }
    if (claimed) await this.endAbsentRoom(userId);
  }

  /**
   * Ends the user's live room as if it had left (a block or a report): `userId` gets `left`, the
   * peer `peer_left` with reason `left`, on whichever process their sockets are. With `onlyWith`,
   * only a room with that peer. True when this call ended a room.
   */
  async endRoomOf(userId: string, onlyWith?: string): Promise<boolean> {
    const room = await this.store.roomOf(userId);
    if (!room || (onlyWith !== undefined && peerOf(room, userId).id !== onlyWith)) return false;
    return this.end(room.id, 'left', userId);
  }

  /** The absence is ours to end: end the user's room, retrying while shared state is unreachable. */
  private async endAbsentRoom(userId: string, attempt = 0): Promise<void> {
    try {
      const room = await this.store.roomOf(userId);
      if (room) await this.end(room.id, 'disconnected', userId);
    } catch (error) {
      if (attempt >= 60 || this.stopped) {
        this.log.error({ err: error, userId }, 'gave up ending the room of a user who did not come back');
        return;
      }
      setTimeout(() => void this.endAbsentRoom(userId, attempt + 1), RETRY_MS).unref();
    }
  }

  /** True when this call ended the room (and told both). `ref`: the leave frame's, for `left`. */
  private async end(roomId: string, reason: EndReason, byUserId: string, ref?: string): Promise<boolean> {
    const ended = await this.store.end(roomId, { reason, by: byUserId });
    if (!ended) return false; // someone else ended it first
    const { room } = ended;
    if (ended.unannounced) await this.announceBeforeEnd(room, reason, byUserId);
    // History first: a client that reads it on `left` or `peer_left` sees the room ended.
    const recorded = await this.history.ended(roomId, reason).catch((error: unknown) => {
      this.log.error({ err: error, roomId }, 'could not record room end');
      return 'missing' as const;
    });
    // Already ended: a leave that found the room gone from the store (see leave) ended it and told both.
    if (recorded !== 'already') this.notifyEnd(roomId, reason, byUserId, peerOf(room, byUserId).id, ref);
    // Told (by us or by that leave): if this process dies now, no survivor tells them again (see tellUntold).
    this.recordSent('told', roomId);
    return recorded !== 'already';
  }

  /**
   * A room whose maker died before sending `matched`, ended (a member resumed it on another
   * process, then left or was let go) before a survivor announced it (announceLate): its members
   * hear `matched` first, then its end, never the end of a room they did not know. The peer of
   * the ender always; the ender only when it gets `left` (it sent leave, or a block or report
   * ended the room): one whose grace ran out gets no end, and a `matched` alone would leave its
   * next socket in the room. A socket already in the room drops the repeat.
   */
  private async announceBeforeEnd(room: Room, reason: EndReason, byUserId: string): Promise<void> {
    await this.history.started(room).catch((error: unknown) => {
      this.log.error({ err: error, roomId: room.id }, 'could not record a room announced at its end');
    });
    for (const member of room.members) {
      if (member.id !== byUserId || reason === 'left')
        this.bus.deliver(member.id, this.matchedFor(room, member.id, false));
    }
    this.log.info({ roomId: room.id, reason }, 'room made by a lost process, announced at its end');
  }

  /**
   * Records in shared state that a room's `matched` or end went out, for all of this turn's rooms
   * at once and after this turn's frames: the bus sends those first, on the connection the store
   * writes on, so Redis never says announced or told while the frames are still in this process.
   */
  private recordSent(what: 'announced' | 'told', roomId: string): void {
    this.sentRooms[what].push(roomId);
    this.recordingSent ??= setImmediate(() => {
      this.recordingSent = null;
      const { announced, told } = this.sentRooms;
      this.sentRooms = { announced: [], told: [] };
      this.bus.flush();
      if (announced.length > 0)
        this.store
          .announced(announced)
          .catch((error: unknown) =>
            this.log.warn({ err: error, rooms: announced.length }, 'could not mark rooms announced'),
          );
      if (told.length > 0)
        this.store
          .told(told)
          .catch((error: unknown) => this.log.warn({ err: error, rooms: told.length }, 'could not mark rooms told'));
    });
  }

  /**
   * Rooms a dead process ended (a leave, a block, a grace run out) but was killed before it told
   * their members, between ending the room in the store and sending `peer_left`: the peer's call
   * would otherwise hang on a room nobody has. The history row ends if it had not (it ends once),
   * and the peer is told, but only while its socket is still in that room: it may have left it
   * meanwhile and be in another. The ender needs nothing: its socket died with the process, and
   * its next one is welcomed without the room.
   */
  async tellUntold(endings: readonly UntoldEnding[]): Promise<void> {
    for (const { room, reason, by } of endings) {
      await this.history.ended(room.id, reason).catch((error: unknown) => {
        this.log.error({ err: error, roomId: room.id }, 'could not record room end');
      });
      const peerId = peerOf(room, by).id;
      this.bus.deliver(peerId, {
        text: JSON.stringify({ type: 'peer_left', roomId: room.id, reason } satisfies PeerLeftEvent),
        room: null,
        onlyInRoom: room.id,
      });
      this.presenceListener([by, peerId]);
      this.log.info({ roomId: room.id, reason }, 'room ended by a lost process, told late');
    }
  }

  private notifyEnd(roomId: string, reason: EndReason, byUserId: string, peerId: string, ref?: string): void {
    if (reason === 'left') {
      this.bus.deliver(byUserId, {
        text: JSON.stringify({ type: 'left', roomId, ref } satisfies LeftEvent),
        room: null,
      });
    }
    this.bus.deliver(peerId, {
      text: JSON.stringify({ type: 'peer_left', roomId, reason } satisfies PeerLeftEvent),
      room: null,
    });
    this.presenceListener([byUserId, peerId]);
    this.log.info({ roomId, reason }, 'room ended');
  }

  private async startGrace(userId: string, since = Date.now()): Promise<void> {
    const deadline = since + this.options.graceMs;
    try {
      if (!(await this.bus.awaitReturn(userId, deadline))) return; // already back
    } catch (error) {
      // Unrecorded, the absence can only be ended from here: the local timer still runs.
      this.log.warn({ err: error, userId }, 'could not record an absence');
    }
    this.setTimer(userId, Math.max(0, deadline - Date.now()), true);
  }

  private setTimer(userId: string, ms: number, due: boolean): void {
    this.clearGrace(userId);
    if (this.stopped) return;
    this.graceTimers.set(
      userId,
      setTimeout(() => void this.expireGrace(userId, due), ms),
    );
  }

  private clearGrace(userId: string): void {
    const timer = this.graceTimers.get(userId);
    if (timer) {
      clearTimeout(timer);
      this.graceTimers.delete(userId);
    }
  }

  /** A room from matching (it has a category, or two searches widened) is between strangers; any other is a friends' direct call. */
  private matchedFor(room: Room, userId: string, resumed: boolean): Delivery {
    const peer = peerOf(room, userId);
    const event: MatchedEvent = {
      type: 'matched',
      roomId: room.id,
      peer: { id: peer.id, displayName: peer.displayName, languages: peer.languages, bio: peer.bio },
      category: room.category,
      initiator: room.initiatorId === userId,
      resumed,
      iceTransportPolicy:
        room.category === null && !room.widened ? this.options.icePolicy.friends : this.options.icePolicy.strangers,
      callId: room.callId,
    };
    return { text: JSON.stringify(event), room: { roomId: room.id, peerId: peer.id } };
  }
}
