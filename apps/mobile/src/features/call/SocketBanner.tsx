import type { SmallTalkClient } from '@small-talk/client';
import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { useSocketState } from './useSocketState';

/**
 * Shown when the socket closed for good and won't come back by itself: another tab or device
 * took over (reconnecting on our own would take it back, forever), or the retries gave up.
 */
export function SocketBanner({ client }: { client: SmallTalkClient }) {
  const { t } = useTranslation(['call']);
  const { state, info } = useSocketState(client);
  if (state !== 'closed' || (info.reason !== 'replaced' && info.reason !== 'gave_up')) return null;
  const replaced = info.reason === 'replaced';
  return (
    <View testID="socket-banner" style={styles.banner} accessibilityRole="alert">
      <Text style={styles.text}>{replaced ? t('call:socket.replaced') : t('call:socket.unreachable')}</Text>
      <Button
        testID="socket-reconnect"
        variant="secondary"
        title={replaced ? t('call:socket.useHere') : t('call:socket.tryAgain')}
        onPress={() => client.connect()}
      />
    </View>
  );
}

const styles = StyleSheet.create({
  banner: {
    flexDirection: 'row',
    alignItems: 'center',
    justifyContent: 'space-between',
    gap: space.m,
    padding: space.m,
    backgroundColor: colors.surfaceRaised,
    borderBottomColor: colors.warning,
    borderBottomWidth: 2,
  },
  text: { color: colors.text, flexShrink: 1 },
});
