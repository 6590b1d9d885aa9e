import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { FriendsEvent, SmallTalkError, type SmallTalkClient } from '@small-talk/client';
import type { ErrorCode, Peer } from '@small-talk/protocol';

/** The codes a call that could not start has its own words for; any other reads `other`. */
const CALL_ERRORS = ['not_friends', 'busy', 'rate_limited', 'verification_required'] as const;
type CallError = (typeof CALL_ERRORS)[number] | 'other';

function callError(code: ErrorCode | string | null): CallError {
  return (CALL_ERRORS as readonly (string | null)[]).includes(code) ? (code as CallError) : 'other';
}

/** Rings a friend through the SDK; a call that could not even start says why (in the language shown now). */
export function useCallFriend(client: SmallTalkClient): { call(peer: Peer): void; error: string | null } {
  const { t } = useTranslation(['friends']);
  const [error, setError] = useState<CallError | null>(null);

  useEffect(() => client.friends.on(FriendsEvent.Error, ({ code }) => setError(callError(code))), [client]);

  const call = useCallback(
    (peer: Peer) => {
      setError(null);
      try {
        client.friends.call(peer);
      } catch (failure) {
        setError(callError(failure instanceof SmallTalkError ? failure.code : null));
      }
    },
    [client],
  );

  return { call, error: error === null ? null : t(`friends:callError.${error}`) };
}
