/**
 * Whether the app can reach its server as it starts. The installed web app opens from the
 * service worker's cache even with no network, so a page the worker served asks the server (a
 * tiny request that fails at once with no network). A page that came from the network needs no
 * question: it just reached the server. `navigator.onLine` decides nothing: it stays true on a
 * Wi-Fi without internet or a cut the browser doesn't see, and is false on a machine whose only
 * network is loopback, where the server is right there. A native build has no cached start (its
 * screens handle failed requests as before, until NetInfo: issue 16's native part).
 */
import { Platform } from 'react-native';
import { REACHABILITY_TIMEOUT_MS } from '../../defaults';

export interface Connectivity {
  /** true: start the app; false: offline. A plain boolean when the answer is known at once. */
  reachable(): boolean | Promise<boolean>;
  /** Calls `listener` when the answer may have changed (the browser's `online` event); returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
}

/** The server's liveness check: tiny, same origin, never cached, never answered by the worker. */
const PROBE_PATH = '/healthz';

function browserConnectivity(): Connectivity {
  return {
    reachable() {
      if (!navigator.serviceWorker?.controller) return true;
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), REACHABILITY_TIMEOUT_MS);
      return fetch(PROBE_PATH, { cache: 'no-store', signal: abort.signal })
        .then(
          // Any answer, even 503 while a deploy drains, means the network works.
          () => true,
          () => abort.signal.aborted,
        )
        .finally(() => clearTimeout(timer));
    },
    subscribe(listener) {
      window.addEventListener('online', listener);
      return () => window.removeEventListener('online', listener);
    },
  };
}

const nativeConnectivity: Connectivity = { reachable: () => true, subscribe: () => () => {} };

export const deviceConnectivity: Connectivity =
  Platform.OS === 'web' && typeof window !== 'undefined' && typeof navigator !== 'undefined'
    ? browserConnectivity()
    : nativeConnectivity;
