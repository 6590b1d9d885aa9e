import { useState } from 'react';
import type { SmallTalkClient } from '@small-talk/client';
import type { Peer } from '@small-talk/protocol';
import { IncomingCall } from './IncomingCall';
import { OutgoingCall } from './OutgoingCall';
import { useDirectCall } from './useDirectCall';

export interface DirectCallOverlaysProps {
  client: SmallTalkClient;
  /** The user picked up: the app takes it to the call and answers (the room follows as `matched`). */
  onAccept(peer: Peer): void;
}

/** Calls between friends, over whatever screen is showing: the one ringing here, or the one this user makes. */
export function DirectCallOverlays({ client, onAccept }: DirectCallOverlaysProps) {
  const { directCall, outcome, dismissOutcome } = useDirectCall(client);
  // The SDK keeps an answered call ringing until its room comes; the call screen shows meanwhile.
  const [answered, setAnswered] = useState<string | null>(null);

  if (directCall?.direction === 'incoming') {
    if (directCall.callId !== null && directCall.callId === answered) return null;
    const accept = () => {
      setAnswered(directCall.callId);
      onAccept(directCall.peer);
    };
    return <IncomingCall peer={directCall.peer} onAccept={accept} onDecline={() => client.friends.decline()} />;
  }
  if (directCall?.direction === 'outgoing') {
    const status = directCall.state === 'ringing' ? 'ringing' : 'calling';
    return (
      <OutgoingCall
        peer={directCall.peer}
        status={status}
        onHangUp={() => client.friends.hangUp()}
        onDismiss={dismissOutcome}
      />
    );
  }
  if (outcome) return <OutgoingCall peer={outcome.peer} status={outcome.reason} onDismiss={dismissOutcome} />;
  return null;
}
