import { useCallback, useEffect, useRef } from 'react';
import { FriendsEvent, MatchmakingEvent, type SmallTalkClient } from '@small-talk/client';
import type { Peer } from '@small-talk/protocol';

export interface DirectCallRoute {
  /** The incoming-call overlay's Accept: to the call screen at once, and the answer sent (the room follows). */
  accept(peer: Peer): void;
  /**
   * The user leaves a friend's call screen. A call answered whose room has not come yet can't
   * be taken back on the wire: its room is left as soon as it comes, instead of pulling the
   * user back in.
   */
  leave(): void;
}

/**
 * Takes the user to a friend's call from wherever it is: on answering, and for the caller when
 * the room begins (`matched` with no category). `toCall` shows the call screen (navigation
 * knows the routes; this knows when); it must keep its identity across renders.
 */
export function useDirectCallRoute(client: SmallTalkClient, toCall: (peer: Peer) => void): DirectCallRoute {
  /** The call the user answered here, until its room comes. */
  const answered = useRef<string | null>(null);
  /** The friend whose answered call the user left before its room came. */
  const unwanted = useRef<string | null>(null);

  useEffect(() => {
    const offs = [
      client.matchmaking.on(MatchmakingEvent.Matched, (matched) => {
        // A resumed room is one the user is in already (its screen is showing).
        if (!matched.direct || matched.resumed) return;
        if (unwanted.current === matched.peer.id) {
          unwanted.current = null;
          client.matchmaking.leave();
          return;
        }
        toCall(matched.peer);
      }),
      // A new ring, or the old one over without a room: nothing left to refuse.
      client.friends.on(FriendsEvent.DirectCall, (call) => {
        if (call) unwanted.current = null;
      }),
      client.friends.on(FriendsEvent.CallEnded, () => {
        unwanted.current = null;
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [client, toCall]);

  const accept = useCallback(
    (peer: Peer) => {
      // The screen shown now goes first: a search unmounted is cancelled, and the call screen
      // is ready when the room comes.
      toCall(peer);
      answered.current = client.friends.directCall?.callId ?? null;
      unwanted.current = null;
      client.friends.accept();
    },
    [client, toCall],
  );

  const leave = useCallback(() => {
    const pending = client.friends.directCall;
    // Only the answered one: another ring (unanswered) goes on over whatever screen comes next.
    if (pending?.direction === 'incoming' && pending.callId !== null && pending.callId === answered.current)
      unwanted.current = pending.peer.id;
  }, [client]);

  return { accept, leave };
}
