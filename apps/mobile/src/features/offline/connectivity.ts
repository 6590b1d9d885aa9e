/**
 * Whether the device has a network at all, as the platform tells it. On the web that is
 * `navigator.onLine` and its `online`/`offline` events: false means no network for certain
 * (airplane mode, cable out); true only means "maybe", so a request can still fail and each
 * screen still says so. A native build has no such signal without NetInfo (issue 16's native
 * part): it reports online, and its screens handle failed requests as before.
 */
import { Platform } from 'react-native';

export interface Connectivity {
  isOnline(): boolean;
  /** Calls `listener` whenever the answer may have changed; returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
}

/** The browser's own signal (web only). */
function browserConnectivity(): Connectivity {
  return {
    isOnline: () => navigator.onLine !== false,
    subscribe(listener) {
      window.addEventListener('online', listener);
      window.addEventListener('offline', listener);
      return () => {
        window.removeEventListener('online', listener);
        window.removeEventListener('offline', listener);
      };
    },
  };
}

const alwaysOnline: Connectivity = { isOnline: () => true, subscribe: () => () => {} };

export const deviceConnectivity: Connectivity =
  Platform.OS === 'web' && typeof window !== 'undefined' && typeof navigator !== 'undefined' ? browserConnectivity() : alwaysOnline;
