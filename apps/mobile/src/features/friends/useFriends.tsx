/**
 * One FriendsStore per signed-in client, shared with every screen below it (the Friends
 * screen, the badge, the request banner, the add-friend buttons).
 */
import { createContext, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import type { SmallTalkClient } from '@small-talk/client';
import { useServices } from '../../services';
import { FriendsStore } from './friendsStore';
import type { FriendsState } from './friendsState';

const FriendsContext = createContext<FriendsStore | null>(null);

export function FriendsProvider({
  client,
  userId,
  children,
}: {
  client: SmallTalkClient;
  userId: string;
  children: ReactNode;
}) {
  const { api } = useServices();
  const store = useMemo(() => new FriendsStore(api, client, userId), [api, client, userId]);
  useEffect(() => store.start(), [store]);
  return <FriendsContext.Provider value={store}>{children}</FriendsContext.Provider>;
}

/** The store, or null outside a FriendsProvider (a screen rendered on its own, as in tests). */
export function useFriendsStore(): FriendsStore | null {
  return useContext(FriendsContext);
}

/** The store and its state, inside a FriendsProvider. */
export function useFriends(): { store: FriendsStore; state: FriendsState } {
  const store = useFriendsStore();
  if (!store) throw new Error('useFriends() outside <FriendsProvider>');
  return { store, state: useFriendsState(store) };
}

/** The store's state as React state; null without a store. */
export function useFriendsState(store: FriendsStore): FriendsState;
export function useFriendsState(store: FriendsStore | null): FriendsState | null;
export function useFriendsState(store: FriendsStore | null): FriendsState | null {
  return useSyncExternalStore(store?.subscribe ?? noSubscribe, store?.getSnapshot ?? noSnapshot);
}

const noSubscribe = () => () => {};
const noSnapshot = () => null;
