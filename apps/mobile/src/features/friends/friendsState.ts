/**
 * The user's friends and requests as one value, and the changes that apply to it: from
 * GET /api/friends, from live events, and from the user's own actions. Each change is
 * idempotent (an event and the answer to the user's own request may both report the same
 * friendship), so a change can be applied again on top of a fresher list.
 */
import type { Friend, FriendRequest, FriendsResponse, Presence } from '@small-talk/protocol';

export interface FriendsState {
  /** `loading` until the first list arrives; `failed` if it could not be had (see `error`). */
  status: 'loading' | 'ready' | 'failed';
  /** Why the last fetch failed (an ApiError, or what fetch threw), null when it did not: put in words at render, in the language of the moment. */
  error: unknown;
  friends: Friend[];
  incoming: FriendRequest[];
  outgoing: FriendRequest[];
  /** Ids of incoming requests that arrived live, oldest first: the banner shows the newest still open. */
  live: string[];
}

export type FriendsChange = (state: FriendsState) => FriendsState;

export const initialFriendsState: FriendsState = {
  status: 'loading',
  error: null,
  friends: [],
  incoming: [],
  outgoing: [],
  live: [],
};

/** A fresh list from the server; requests that arrived live and are still open stay live. */
export function loaded(list: FriendsResponse): FriendsChange {
  return (state) => {
    const open = new Set(list.incoming.map((request) => request.id));
    return {
      status: 'ready',
      error: null,
      friends: list.friends,
      incoming: list.incoming,
      outgoing: list.outgoing,
      live: state.live.filter((id) => open.has(id)),
    };
  };
}

/** A request to or from `me` (sent from another of this user's devices, it is outgoing). */
export function requestOpened(request: FriendRequest, me: string, live: boolean): FriendsChange {
  return (state) => {
    if (request.from.id === me)
      return { ...state, outgoing: upsert(state.outgoing, request, (r) => r.id === request.id, 'first') };
    return {
      ...state,
      incoming: upsert(state.incoming, request, (r) => r.id === request.id, 'first'),
      live: live && !state.live.includes(request.id) ? [...state.live, request.id] : state.live,
    };
  };
}

/** Declined, withdrawn or answered: gone from both lists. */
export function requestClosed(requestId: string): FriendsChange {
  return (state) => ({
    ...state,
    incoming: state.incoming.filter((request) => request.id !== requestId),
    outgoing: state.outgoing.filter((request) => request.id !== requestId),
    live: state.live.filter((id) => id !== requestId),
  });
}

/** A friendship began: the requests between the two are answered. */
export function friendAdded(friend: Friend): FriendsChange {
  return (state) => {
    const id = friend.user.id;
    const between = (request: FriendRequest) => request.from.id === id || request.to.id === id;
    const closed = new Set([...state.incoming, ...state.outgoing].filter(between).map((request) => request.id));
    return {
      ...state,
      friends: upsert(state.friends, friend, (f) => f.user.id === id, 'last'),
      incoming: state.incoming.filter((request) => !between(request)),
      outgoing: state.outgoing.filter((request) => !between(request)),
      live: state.live.filter((requestId) => !closed.has(requestId)),
    };
  };
}

export function friendRemoved(userId: string): FriendsChange {
  return (state) => ({ ...state, friends: state.friends.filter((friend) => friend.user.id !== userId) });
}

export function presenceChanged(userId: string, presence: Presence): FriendsChange {
  return (state) => ({
    ...state,
    friends: state.friends.map((friend) => (friend.user.id === userId ? { ...friend, presence } : friend)),
  });
}

/** The banner's request was put off: it stays in the list. */
export function requestDismissed(requestId: string): FriendsChange {
  return (state) => ({ ...state, live: state.live.filter((id) => id !== requestId) });
}

/** The request the banner shows: the newest live one still open. */
export function bannerRequest(state: FriendsState): FriendRequest | null {
  for (let i = state.live.length - 1; i >= 0; i--) {
    const request = state.incoming.find((r) => r.id === state.live[i]);
    if (request) return request;
  }
  return null;
}

/** Replaces the item `same` finds, in place, or adds it (requests are listed newest first). */
function upsert<T>(list: T[], item: T, same: (existing: T) => boolean, where: 'first' | 'last'): T[] {
  const index = list.findIndex(same);
  if (index === -1) return where === 'first' ? [item, ...list] : [...list, item];
  return list.map((existing, i) => (i === index ? item : existing));
}
