/**
 * The user's friends and requests, kept current for every screen: fetched with GET
 * /api/friends whenever the socket (re)opens (events missed while it was away are not
 * replayed) and when the Friends screen opens, with the SDK's live events applied in between.
 * The user's own actions go through here too, so every screen sees their outcome at once.
 */
import { FriendsEvent, SocketEvent, type SmallTalkClient } from '@small-talk/client';
import { ApiError, type Api } from '../../api';
import {
  friendAdded,
  friendRemoved,
  initialFriendsState,
  loaded,
  presenceChanged,
  requestClosed,
  requestDismissed,
  requestOpened,
  type FriendsChange,
  type FriendsState,
} from './friendsState';

/** What sending a request came to: waiting for their answer, or friends already. */
export type SendOutcome = 'requested' | 'friends';

export class FriendsStore {
  private state: FriendsState = initialFriendsState;
  private readonly listeners = new Set<() => void>();
  private fetchGeneration = 0;
  /**
   * Changes made while a fetch is on its way, applied again on top of its answer: the server
   * may have read the list before them.
   */
  private sinceFetch: FriendsChange[] | null = null;

  constructor(
    private readonly api: Api,
    private readonly client: SmallTalkClient,
    /** The signed-in user's id: a request from it is outgoing (sent from another device). */
    private readonly me: string,
  ) {}

  /** Listens to the SDK and loads the list; returns the function that stops it. */
  start(): () => void {
    const friends = this.client.friends;
    const offs = [
      friends.on(FriendsEvent.Request, (request) => this.update(requestOpened(request, this.me, true))),
      friends.on(FriendsEvent.RequestClosed, ({ requestId }) => this.update(requestClosed(requestId))),
      friends.on(FriendsEvent.Added, (friend) => this.update(friendAdded(friend))),
      friends.on(FriendsEvent.Removed, ({ userId }) => this.update(friendRemoved(userId))),
      friends.on(FriendsEvent.Presence, ({ userId, presence }) => this.update(presenceChanged(userId, presence))),
      this.client.socket.on(SocketEvent.State, (state) => {
        if (state === 'open') this.refresh();
      }),
    ];
    if (this.client.socket.state === 'open') this.refresh();
    return () => {
      for (const off of offs) off();
      // An answer still on its way is for a store no one watches.
      this.fetchGeneration += 1;
      this.sinceFetch = null;
    };
  }

  get snapshot(): FriendsState {
    return this.state;
  }

  /** For useSyncExternalStore. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): FriendsState => this.state;

  /** Loads the list again; a failure keeps what is shown and says why. */
  refresh(): void {
    const generation = ++this.fetchGeneration;
    this.sinceFetch = [];
    this.api.friends().then(
      (list) => {
        if (generation !== this.fetchGeneration) return;
        let next = loaded(list)(this.state);
        for (const change of this.sinceFetch ?? []) next = change(next);
        this.sinceFetch = null;
        this.set(next);
      },
      (error: unknown) => {
        if (generation !== this.fetchGeneration) return;
        this.sinceFetch = null;
        this.set({ ...this.state, status: this.state.status === 'ready' ? 'ready' : 'failed', error });
      },
    );
  }

  /**
   * Asks someone met in a room to be friends. Someone who had asked first is a friend at
   * once; one already asked, or already a friend, is not an error to the user.
   * @throws ApiError for the rest (`no_connection`: never met; `network`, …).
   */
  async send(userId: string): Promise<SendOutcome> {
    try {
      const answer = await this.api.sendFriendRequest(userId);
      if ('request' in answer) {
        this.update(requestOpened(answer.request, this.me, false));
        return 'requested';
      }
      this.update(friendAdded(answer.friend));
      return 'friends';
    } catch (error) {
      if (!(error instanceof ApiError) || (error.code !== 'already_requested' && error.code !== 'already_friends'))
        throw error;
      // The list shown is older than the server's: fetch it, so every screen agrees.
      this.refresh();
      return error.code === 'already_friends' ? 'friends' : 'requested';
    }
  }

  /** @throws ApiError; a request that is gone (`not_found`) leaves the list first. */
  async accept(requestId: string): Promise<void> {
    try {
      this.update(friendAdded(await this.api.acceptFriendRequest(requestId)));
    } catch (error) {
      this.forgetIfGone(requestId, error);
      throw error;
    }
  }

  async decline(requestId: string): Promise<void> {
    try {
      await this.api.declineFriendRequest(requestId);
    } catch (error) {
      if (!isGone(error)) throw error;
    }
    this.update(requestClosed(requestId));
  }

  /** Takes back a request this user sent. */
  async withdraw(requestId: string): Promise<void> {
    try {
      await this.api.withdrawFriendRequest(requestId);
    } catch (error) {
      if (!isGone(error)) throw error;
    }
    this.update(requestClosed(requestId));
  }

  async unfriend(userId: string): Promise<void> {
    try {
      await this.api.unfriend(userId);
    } catch (error) {
      if (!isGone(error)) throw error;
    }
    this.update(friendRemoved(userId));
  }

  /** The banner's request is put off; it stays in the Friends list. */
  dismiss(requestId: string): void {
    this.update(requestDismissed(requestId));
  }

  private forgetIfGone(requestId: string, error: unknown): void {
    if (isGone(error)) this.update(requestClosed(requestId));
  }

  private update(change: FriendsChange): void {
    this.sinceFetch?.push(change);
    this.set(change(this.state));
  }

  private set(next: FriendsState): void {
    this.state = next;
    for (const listener of [...this.listeners]) listener();
  }
}

/** Already answered, withdrawn or unfriended elsewhere: the user's wish holds anyway. */
function isGone(error: unknown): boolean {
  return error instanceof ApiError && (error.code === 'not_found' || error.code === 'not_friends');
}
