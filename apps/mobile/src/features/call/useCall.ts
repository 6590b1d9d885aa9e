import { useEffect, useState } from 'react';
import { CallEvent, type Call, type CallState, type CallStats, type MediaStreamLike } from '@small-talk/client';
import { POOR_PACKET_LOSS, POOR_RTT_MS, POOR_SAMPLES_IN_A_ROW } from '../../defaults';

export interface CallView {
  state: CallState;
  /** The peer's stream once its first track arrived. */
  remoteStream: MediaStreamLike | null;
  poorNetwork: boolean;
}

/** A Call's state, remote stream and network quality, as React state. */
export function useCall(call: Call | null): CallView {
  const [state, setState] = useState<CallState>(call?.state ?? 'new');
  const [remoteStream, setRemoteStream] = useState<MediaStreamLike | null>(call?.remoteStream ?? null);
  const [poorNetwork, setPoorNetwork] = useState(false);

  useEffect(() => {
    // Catch up: events between createCall() and this effect were not heard.
    setState(call?.state ?? 'new');
    setRemoteStream(call?.remoteStream ?? null);
    setPoorNetwork(false);
    if (!call) return;
    let poorInARow = 0;
    const offs = [
      call.on(CallEvent.State, setState),
      call.on(CallEvent.RemoteStream, setRemoteStream),
      call.on(CallEvent.Stats, (stats) => {
        poorInARow = isPoor(stats) ? poorInARow + 1 : 0;
        setPoorNetwork(poorInARow >= POOR_SAMPLES_IN_A_ROW);
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [call]);

  return { state, remoteStream, poorNetwork };
}

function isPoor(stats: CallStats): boolean {
  return (stats.packetLoss ?? 0) > POOR_PACKET_LOSS || (stats.rttMs ?? 0) > POOR_RTT_MS;
}
