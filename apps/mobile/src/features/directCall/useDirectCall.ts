import { useCallback, useEffect, useState } from 'react';
import { FriendsEvent, type DirectCall, type SmallTalkClient } from '@small-talk/client';
import type { CallEndReason, Peer } from '@small-talk/protocol';
import { CALL_OUTCOME_SHOWN_MS } from '../../defaults';

/** How a call this user made ended before an answer, as the caller is told (`cancelled` is its own hang-up: nothing to tell). */
export type CallOutcomeReason = Exclude<CallEndReason, 'cancelled'>;

export interface CallOutcome {
  peer: Peer;
  reason: CallOutcomeReason;
}

export interface DirectCallView {
  /** The call ringing now, either way; null once it became a room or ended. */
  directCall: DirectCall | null;
  /** How the user's last call ended unanswered; shown for CALL_OUTCOME_SHOWN_MS or until dismissed. */
  outcome: CallOutcome | null;
  dismissOutcome(): void;
}

function isOutcome(reason: CallEndReason): reason is CallOutcomeReason {
  return reason !== 'cancelled';
}

/** The SDK's direct call as React state, with the caller's outcome kept a little while. */
export function useDirectCall(client: SmallTalkClient): DirectCallView {
  const [directCall, setDirectCall] = useState<DirectCall | null>(client.friends.directCall);
  const [outcome, setOutcome] = useState<CallOutcome | null>(null);

  useEffect(() => {
    setDirectCall(client.friends.directCall);
    const offs = [
      client.friends.on(FriendsEvent.DirectCall, (call) => {
        setDirectCall(call);
        if (call) setOutcome(null);
      }),
      client.friends.on(FriendsEvent.CallEnded, ({ peer, reason, direction }) => {
        // `cancelled` is the caller's own hang-up: nothing to tell it.
        if (direction === 'outgoing' && isOutcome(reason)) setOutcome({ peer, reason });
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [client]);

  useEffect(() => {
    if (!outcome) return;
    const timer = setTimeout(() => setOutcome(null), CALL_OUTCOME_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [outcome]);

  const dismissOutcome = useCallback(() => setOutcome(null), []);
  return { directCall, outcome, dismissOutcome };
}
