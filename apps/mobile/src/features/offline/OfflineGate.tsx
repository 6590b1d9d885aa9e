import { useEffect, useState, type ReactNode } from 'react';
import { deviceConnectivity, type Connectivity } from './connectivity';
import { OfflineScreen } from './OfflineScreen';

/**
 * Starts the app only once there is a network: opened offline (the installed web app, from the
 * service worker's cache), it shows OfflineScreen until the network is back or Try again finds
 * it. Once started the app stays mounted whatever the network does: a blip mid-call is the
 * socket's to ride out (SocketBanner, resume), and unmounting would end the call.
 */
export function OfflineGate({ children, connectivity = deviceConnectivity }: { children: ReactNode; connectivity?: Connectivity }) {
  const [started, setStarted] = useState(() => connectivity.isOnline());
  const [stillOffline, setStillOffline] = useState(false);

  useEffect(() => {
    if (started) return;
    const check = () => connectivity.isOnline() && setStarted(true);
    const unsubscribe = connectivity.subscribe(check);
    check();
    return unsubscribe;
  }, [started, connectivity]);

  if (started) return children;
  const retry = () => {
    if (connectivity.isOnline()) setStarted(true);
    else setStillOffline(true);
  };
  return <OfflineScreen onRetry={retry} stillOffline={stillOffline} />;
}
