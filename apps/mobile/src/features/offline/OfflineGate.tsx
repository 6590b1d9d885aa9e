import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ActivityIndicator, StyleSheet } from 'react-native';
import { useTranslation } from 'react-i18next';
import { colors } from '../../ui/theme';
import { deviceConnectivity, type Connectivity } from './connectivity';
import { OfflineScreen } from './OfflineScreen';

type GateState = 'checking' | 'offline' | 'started';

/**
 * Starts the app only once its server is reachable: opened offline (the installed web app, from
 * the service worker's cache), it shows OfflineScreen until the network is back or Try again
 * finds it. Once started the app stays mounted whatever the network does: a blip mid-call is the
 * socket's to ride out (SocketBanner, resume), and unmounting would end the call.
 */
export function OfflineGate({
  children,
  connectivity = deviceConnectivity,
}: {
  children: ReactNode;
  connectivity?: Connectivity;
}) {
  // Asked once as the app mounts; most starts know the answer at once and never show a spinner.
  const { t } = useTranslation(['common']);
  const first = useRef<boolean | Promise<boolean> | null>(null);
  if (first.current === null) first.current = connectivity.reachable();
  const [state, setState] = useState<GateState>(() =>
    first.current === true ? 'started' : first.current === false ? 'offline' : 'checking',
  );
  const [retried, setRetried] = useState(false);
  const [pending, setPending] = useState<Promise<boolean> | null>(() =>
    typeof first.current === 'object' ? first.current : null,
  );

  useEffect(() => {
    if (!pending) return;
    let live = true;
    void pending.then((reachable) => {
      if (!live) return;
      setPending(null);
      setState(reachable ? 'started' : 'offline');
    });
    return () => {
      live = false;
    };
  }, [pending]);

  const check = useCallback(() => {
    const answer = connectivity.reachable();
    if (typeof answer === 'boolean') setState(answer ? 'started' : 'offline');
    else setPending(answer);
  }, [connectivity]);

  // Back online by itself: the browser says so, and the gate asks again.
  useEffect(() => (state === 'offline' ? connectivity.subscribe(check) : undefined), [state, connectivity, check]);

  if (state === 'started') return children;
  if (state === 'checking' && !retried)
    return <ActivityIndicator style={styles.checking} color={colors.accent} accessibilityLabel={t('common:loading')} />;
  const retry = () => {
    setRetried(true);
    check();
  };
  return <OfflineScreen onRetry={retry} checking={pending !== null} stillOffline={retried && pending === null} />;
}

const styles = StyleSheet.create({
  checking: { flex: 1 },
});
