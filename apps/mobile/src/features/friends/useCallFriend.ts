import { useCallback, useEffect, useState } from 'react';
import { FriendsEvent, SmallTalkError, type SmallTalkClient } from '@small-talk/client';
import type { ErrorCode, Peer } from '@small-talk/protocol';

/** Rings a friend through the SDK; a call that could not even start says why. */
export function useCallFriend(client: SmallTalkClient): { call(peer: Peer): void; error: string | null } {
  const [error, setError] = useState<string | null>(null);

  useEffect(() => client.friends.on(FriendsEvent.Error, ({ code }) => setError(describeCallError(code))), [client]);

  const call = useCallback(
    (peer: Peer) => {
      setError(null);
      try {
        client.friends.call(peer);
      } catch (failure) {
        setError(describeCallError(failure instanceof SmallTalkError ? failure.code : null));
      }
    },
    [client],
  );

  return { call, error };
}

function describeCallError(code: ErrorCode | string | null): string {
  switch (code) {
    case 'not_friends':
      return 'You can only call your friends.';
    case 'busy':
      return 'Finish the call you are in first.';
    case 'rate_limited':
      return 'Too many calls at once. Wait a moment and try again.';
    case 'verification_required':
      return 'Please confirm your email address first (Profile).';
    default:
      return "Couldn't start the call. Try again in a moment.";
  }
}
