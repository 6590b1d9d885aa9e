import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Peer } from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { askForPushOnce } from '../push/pushRegistration';
import { useServices } from '../../services';
import type { SendOutcome } from './friendsStore';
import type { FriendsState } from './friendsState';
import { useFriendsState, useFriendsStore } from './useFriends';

export type AddFriendState = 'idle' | 'sending' | 'requested' | 'friends';

export interface AddFriend {
  state: AddFriendState;
  /** Why the last try failed, in the current language. */
  error: string | null;
  add(): void;
}

/**
 * Asking `peer` to be friends, from a call or the history. Inside a FriendsProvider the state
 * follows the shared list (a request declined later can be sent again; one accepted reads
 * "friends"); on its own, it remembers the answer it got.
 */
export function useAddFriend(peer: Peer): AddFriend {
  const { api } = useServices();
  const store = useFriendsStore();
  const friends = useFriendsState(store);
  const [answer, setAnswer] = useState<{ peerId: string; outcome: SendOutcome } | null>(null);
  const [sending, setSending] = useState(false);
  // The failure itself, put in words at render; useTranslation draws the caller again on a language switch.
  const [failure, setFailure] = useState<{ error: unknown } | null>(null);
  useTranslation();

  const add = useCallback(() => {
    if (sending) return;
    setSending(true);
    setFailure(null);
    const send = store
      ? store.send(peer.id)
      : api.sendFriendRequest(peer.id).then((sent): SendOutcome => ('request' in sent ? 'requested' : 'friends'));
    send.then(
      (outcome) => {
        setSending(false);
        setAnswer({ peerId: peer.id, outcome });
        // The first friend is when notifications start to mean something: ask now, not at launch.
        askForPushOnce(api);
      },
      (error: unknown) => {
        setSending(false);
        setFailure({ error });
      },
    );
  }, [api, store, peer.id, sending]);

  const known = friends ? knownState(friends, peer.id) : answer?.peerId === peer.id ? answer.outcome : null;
  const state: AddFriendState = known ?? (sending ? 'sending' : 'idle');
  return { state, error: state === 'idle' && failure ? describeApiError(failure.error) : null, add };
}

function knownState(state: FriendsState, peerId: string): SendOutcome | null {
  if (state.friends.some((friend) => friend.user.id === peerId)) return 'friends';
  if (state.outgoing.some((request) => request.to.id === peerId)) return 'requested';
  return null;
}
