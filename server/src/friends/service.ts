import type {
  Friend,
  FriendAddedEvent,
  FriendRemovedEvent,
  FriendRequest,
  FriendRequestClosedEvent,
  FriendRequestEvent,
  FriendsResponse,
  MatchedPeer,
  User,
} from '@small-talk/protocol';
import { AppError } from '../errors.js';
import type { MessageBus } from '../storage/bus/bus.js';
import { otherOf, type Friendship, type Friendships } from './friendships.js';
import type { Presence } from './presence.js';

/** How long a declined asker must wait before asking the same person again. */
export const DECLINE_BLOCKS_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The rules of friendship: ask only someone you were in a room with, one row per pair, only the
 * asked one accepts or declines. Each change is told live to the other side's socket, wherever
 * it is; the HTTP answer tells the side that acted.
 */
export class Friends {
  constructor(
    private readonly friendships: Friendships,
    private readonly presence: Presence,
    private readonly bus: MessageBus,
    /** True when either of the two blocked the other (safety/blocks). */
    private readonly blocked: (a: string, b: string) => Promise<boolean> = async () => false,
    /** Told a request whose asked one has no socket open (push/notifier wakes a device). */
    private readonly askedOffline: (request: FriendRequest) => void = () => {},
  ) {}

  async list(user: User): Promise<FriendsResponse> {
    const rows = await this.friendships.of(user.id);
    const accepted = rows.filter((row) => row.status === 'accepted');
    const presence = await this.presence.of(accepted.map((row) => otherOf(row, user.id).id));
    const friends = accepted
      .map((row): Friend => {
        const other = otherOf(row, user.id);
        return { user: other, presence: presence.get(other.id)!, since: row.acceptedAt ?? row.createdAt };
      })
      .sort((x, y) => x.user.displayName.localeCompare(y.user.displayName));
    const pending = rows.filter((row) => row.status === 'pending');
    return {
      friends,
      incoming: pending.filter((row) => row.requestedBy !== user.id).map(toRequest),
      outgoing: pending.filter((row) => row.requestedBy === user.id).map(toRequest),
    };
  }

  /**
   * Asks `toId`. When they had already asked this user, that request is accepted instead: the
   * two want the same thing.
   */
  async request(user: User, toId: string): Promise<{ request: FriendRequest } | { friend: Friend }> {
    if (toId === user.id) throw new AppError('bad_request', 'you cannot befriend yourself');
    await this.refuseIfBlocked(user.id, toId);
    const existing = await this.friendships.between(user.id, toId);
    if (existing) return this.answerExisting(user, existing);
    const [to, from] = await Promise.all([this.friendships.user(toId), this.friendships.user(user.id)]);
    if (!to || !from) throw new AppError('not_found', 'no such user');
    if (!(await this.friendships.haveMet(user.id, toId))) {
      throw new AppError('no_connection', 'you can only add someone you have been in a call with');
    }
    // Asking again and again after a no is pestering. Only the one who was declined waits: the
    // one who declined may still change their mind and ask.
    const declined = await this.friendships.declinedSince(user.id, toId, new Date(Date.now() - DECLINE_BLOCKS_MS));
    if (declined) {
      const until = new Date(new Date(declined).getTime() + DECLINE_BLOCKS_MS).toISOString();
      throw new AppError('request_declined_recently', `they declined your request; you may ask again after ${until}`);
    }
    const written = await this.friendships.request(from, to);
    if (!written) {
      // The other side's request (or a twin of ours) landed first: answer as if it had been there.
      const raced = await this.friendships.between(user.id, toId);
      if (!raced) throw new AppError('unavailable', 'the request could not be saved; try again');
      return this.answerExisting(user, raced);
    }
    const request = toRequest(written);
    this.tell(toId, { type: 'friend_request', request } satisfies FriendRequestEvent);
    if (!(await this.bus.online([toId])).has(toId)) this.askedOffline(request);
    return { request };
  }

  async accept(user: User, requestId: string): Promise<Friend> {
    const row = await this.incoming(user, requestId);
    if (!(await this.friendships.accept(row.id))) throw new AppError('not_found', 'no such request');
    return this.befriended(user, row);
  }

  async decline(user: User, requestId: string): Promise<void> {
    const row = await this.incoming(user, requestId);
    if (!(await this.friendships.decline(row, user.id))) throw new AppError('not_found', 'no such request');
    this.tell(row.requestedBy, {
      type: 'friend_request_closed',
      requestId: row.id,
      reason: 'declined',
    } satisfies FriendRequestClosedEvent);
  }

  /** The asker takes its request back. */
  async withdraw(user: User, requestId: string): Promise<void> {
    const row = await this.friendships.byId(requestId);
    if (!row || row.status !== 'pending' || row.requestedBy !== user.id)
      throw new AppError('not_found', 'no such request');
    if (!(await this.friendships.remove(row.id, 'pending'))) throw new AppError('not_found', 'no such request');
    this.tell(otherOf(row, user.id).id, {
      type: 'friend_request_closed',
      requestId: row.id,
      reason: 'cancelled',
    } satisfies FriendRequestClosedEvent);
  }

  async unfriend(user: User, friendId: string): Promise<void> {
    const row = await this.friendships.between(user.id, friendId);
    if (!row || row.status !== 'accepted' || !(await this.friendships.remove(row.id, 'accepted'))) {
      throw new AppError('not_found', 'you are not friends');
    }
    const text = JSON.stringify({ type: 'friend_removed', userId: friendId } satisfies FriendRemovedEvent);
    this.bus.deliver(user.id, { text });
    this.bus.deliver(friendId, {
      text: JSON.stringify({ type: 'friend_removed', userId: user.id } satisfies FriendRemovedEvent),
    });
  }

  /**
   * `not_allowed` when either of the two blocked the other: the same answer whoever blocked, so
   * nobody can probe who blocked them.
   */
  async refuseIfBlocked(userId: string, otherId: string): Promise<void> {
    if (await this.blocked(userId, otherId)) throw new AppError('not_allowed', 'you cannot reach this user');
  }

  /**
   * A block between the two: a friendship ends (`friend_removed` to both) and a pending request
   * is deleted (`friend_request_closed`, `cancelled`, to both), on whichever process they are.
   */
  async sever(userId: string, otherId: string): Promise<void> {
    const row = await this.friendships.between(userId, otherId);
    if (!row || !(await this.friendships.remove(row.id, row.status))) return;
    if (row.status === 'accepted') {
      this.bus.deliver(userId, {
        text: JSON.stringify({ type: 'friend_removed', userId: otherId } satisfies FriendRemovedEvent),
      });
      this.bus.deliver(otherId, {
        text: JSON.stringify({ type: 'friend_removed', userId } satisfies FriendRemovedEvent),
      });
      return;
    }
    for (const id of [userId, otherId])
      this.tell(id, {
        type: 'friend_request_closed',
        requestId: row.id,
        reason: 'cancelled',
      } satisfies FriendRequestClosedEvent);
  }

  /** The user as a peer in a room sees it, bio included; null when there is no such user. */
  profile(userId: string): Promise<MatchedPeer | null> {
    return this.friendships.profile(userId);
  }

  /** The friend `userId` as `user` may call them; null when they are not friends. */
  async friend(user: User, userId: string): Promise<Friendship | null> {
    const row = await this.friendships.between(user.id, userId);
    return row?.status === 'accepted' ? row : null;
  }

  private async answerExisting(user: User, row: Friendship): Promise<{ friend: Friend }> {
    if (row.status === 'accepted') throw new AppError('already_friends', 'you are friends already');
    if (row.requestedBy === user.id) throw new AppError('already_requested', 'you asked already; wait for an answer');
    if (!(await this.friendships.accept(row.id))) throw new AppError('already_friends', 'you are friends already');
    return { friend: await this.befriended(user, row) };
  }

  /** A request `user` may answer. */
  private async incoming(user: User, requestId: string): Promise<Friendship> {
    const row = await this.friendships.byId(requestId);
    const forUser =
      row && row.status === 'pending' && row.requestedBy !== user.id && (row.a.id === user.id || row.b.id === user.id);
    if (!forUser) throw new AppError('not_found', 'no such request');
    return row;
  }

  /** Both are told, each with the other as the new friend; the HTTP answer is the one for `user`. */
  private async befriended(user: User, row: Friendship): Promise<Friend> {
    const other = otherOf(row, user.id);
    const since = new Date().toISOString();
    const presence = await this.presence.of([user.id, other.id]);
    const forMe: Friend = { user: other, presence: presence.get(other.id)!, since };
    const forOther: Friend = { user: otherOf(row, other.id), presence: presence.get(user.id)!, since };
    this.tell(user.id, { type: 'friend_added', friend: forMe } satisfies FriendAddedEvent);
    this.tell(other.id, { type: 'friend_added', friend: forOther } satisfies FriendAddedEvent);
    return forMe;
  }

  private tell(userId: string, event: FriendRequestEvent | FriendRequestClosedEvent | FriendAddedEvent): void {
    this.bus.deliver(userId, { text: JSON.stringify(event) });
  }
}

function toRequest(row: Friendship): FriendRequest {
  const from = row.a.id === row.requestedBy ? row.a : row.b;
  const to = row.a.id === row.requestedBy ? row.b : row.a;
  return { id: row.id, from, to, createdAt: row.createdAt };
}
