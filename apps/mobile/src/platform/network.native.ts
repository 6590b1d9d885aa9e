/**
 * Network changes on a phone (@react-native-community/netinfo): a switch of network type
 * (Wi-Fi to cellular and back) or a network that came back means the old socket and ICE path
 * are dead even if they don't know it yet, so the listener runs at once rather than after the
 * old path times out. The browser's is the `online` event (webrtc.tsx).
 */
import NetInfo, { type NetInfoState } from '@react-native-community/netinfo';

/** What identifies the path the phone is on: its type, and whether it is connected at all. */
function pathOf(state: NetInfoState): string {
  return `${state.type}:${state.isConnected === false ? 'down' : 'up'}`;
}

export function onNetworkChange(listener: () => void): () => void {
  let current: string | null = null;
  return NetInfo.addEventListener((state) => {
    const path = pathOf(state);
    // The first event is the state at subscription: nothing changed yet.
    const changed = current !== null && path !== current;
    current = path;
    // Going down is not a change to act on: there is nothing to reconnect over until it is back.
    if (changed && state.isConnected !== false) listener();
  });
}
