import type { Logger } from 'pino';
import type { EndReason, MatchedEvent, PeerLeftEvent, User, LeftEvent, WelcomeEvent } from '@small-talk/protocol';
import { AppError } from '../errors.js';
import type { History } from '../history/service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Delivery, Inbox, MessageBus, RoomLink } from '../storage/bus/bus.js';
import { peerOf, type MatchStore, type Room } from '../storage/match/store.js';

export interface RoomsOptions {
  graceMs: number;
}

/**
 * A room's life: it starts with a match, relays frames between its two members, survives a
 * member's dropped socket for the grace (holding frames for it), and ends on leave or when
 * the grace runs out. Every end is written to history.
 */
export class Rooms {
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: MatchStore,
    private readonly bus: MessageBus,
    private readonly history: History,
    private readonly metrics: Metrics,
    private readonly options: RoomsOptions,
    private readonly log: Logger,
  ) {
    // Too much is waiting for an absent member: end the room now rather than buffer without bound.
    bus.onOverflow((userId) => void this.expireGrace(userId));
  }

  /** A socket of `user` is ready: it gets `welcome`, its room back if it has one, then what was held. */
  async connected(user: User, inbox: Inbox): Promise<void> {
    this.clearGrace(user.id);
    // A newer socket starts over in the queue: the old socket's entry is dropped.
    await this.store.cancel(user.id);
    const room = await this.store.roomOf(user.id);
    const held = this.bus.attach(user.id, inbox);
    inbox.deliver({ text: JSON.stringify({ type: 'welcome', user } satisfies WelcomeEvent) });
    if (room) inbox.deliver(matchedFor(room, user.id, true));
    for (const delivery of held) inbox.deliver(delivery);
  }

  /** A socket closed for any reason but takeover: out of the queue at once; a room waits for the grace. */
  async disconnected(userId: string, inbox: Inbox): Promise<void> {
    // Hold before the first await, so no frame for the user is lost while we look up its room.
    this.bus.detach(userId, inbox, true);
    await this.store.cancel(userId);
    const room = await this.store.roomOf(userId);
    if (this.bus.isAttached(userId)) return; // already back on a new socket
    if (!room) {
      this.bus.release(userId);
      return;
    }
    this.startGrace(userId);
  }

  /** Rooms that outlived a restart: both members are away, and each gets the grace to come back. */
  adopt(rooms: readonly Room[]): void {
    for (const room of rooms) {
      for (const member of room.members) {
        this.bus.hold(member.id);
        this.startGrace(member.id);
      }
    }
  }

  /** A new room from a match: recorded, then both members are told. */
  async start(room: Room): Promise<void> {
    await this.history.started(room);
    this.metrics.matches.inc();
    for (const member of room.members) this.bus.deliver(member.id, matchedFor(room, member.id, false));
    this.log.info({ roomId: room.id, category: room.category }, 'matched');
  }

  /** Sends a serialized frame to the sender's peer. The caller checked the sender is in the room. */
  relay(link: RoomLink, text: string): void {
    this.bus.deliver(link.peerId, { text });
    this.metrics.framesRelayed.inc();
  }

  async leave(userId: string, roomId: string): Promise<void> {
    const room = await this.store.roomOf(userId);
    if (!room || room.id !== roomId) throw new AppError('not_in_room', 'you are not in this room');
    await this.end(room.id, 'left', userId);
  }

  /** Cancels pending grace timers, for shutdown. Rooms stay in the store for other processes. */
  stop(): void {
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
  }

  private async expireGrace(userId: string): Promise<void> {
    this.clearGrace(userId);
    if (this.bus.isAttached(userId)) return;
    this.bus.release(userId);
    const room = await this.store.roomOf(userId);
    if (room) await this.end(room.id, 'disconnected', userId);
  }

  private async end(roomId: string, reason: EndReason, byUserId: string): Promise<void> {
    const room = await this.store.end(roomId);
    if (!room) return; // someone else ended it first
    // History first: a client that reads it on `left` or `peer_left` sees the room ended.
    await this.history.ended(roomId, reason).catch((error: unknown) => this.log.error({ err: error, roomId }, 'could not record room end'));
    const peer = peerOf(room, byUserId);
    if (reason === 'left') {
      this.bus.deliver(byUserId, { text: JSON.stringify({ type: 'left', roomId } satisfies LeftEvent), room: null });
    }
    this.bus.deliver(peer.id, {
      text: JSON.stringify({ type: 'peer_left', roomId, reason } satisfies PeerLeftEvent),
      room: null,
    });
    this.log.info({ roomId, reason }, 'room ended');
  }

  private startGrace(userId: string): void {
    this.clearGrace(userId);
    this.graceTimers.set(
      userId,
      setTimeout(() => void this.expireGrace(userId), this.options.graceMs),
    );
  }

  private clearGrace(userId: string): void {
    const timer = this.graceTimers.get(userId);
    if (timer) {
      clearTimeout(timer);
      this.graceTimers.delete(userId);
    }
  }
}

function matchedFor(room: Room, userId: string, resumed: boolean): Delivery {
  const peer = peerOf(room, userId);
  const event: MatchedEvent = {
    type: 'matched',
    roomId: room.id,
    peer: { id: peer.id, displayName: peer.displayName },
    category: room.category,
    initiator: room.initiatorId === userId,
    resumed,
  };
  return { text: JSON.stringify(event), room: { roomId: room.id, peerId: peer.id } };
}
