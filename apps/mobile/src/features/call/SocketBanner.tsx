import type { SmallTalkClient } from '@small-talk/client';
import { StyleSheet, Text, View } from 'react-native';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { useSocketState } from './useSocketState';

/**
 * Shown when the socket closed for good and won't come back by itself: another tab or device
 * took over (reconnecting on our own would take it back, forever), or the retries gave up.
 */
export function SocketBanner({ client }: { client: SmallTalkClient }) {
  const { state, info } = useSocketState(client);
  if (state !== 'closed' || (info.reason !== 'replaced' && info.reason !== 'gave_up')) return null;
  const replaced = info.reason === 'replaced';
  return (
    <View testID="socket-banner" style={styles.banner} accessibilityRole="alert">
      <Text style={styles.text}>{replaced ? 'Small Talk is open in another tab or device.' : "Can't reach Small Talk."}</Text>
      <Button testID="socket-reconnect" variant="secondary" title={replaced ? 'Use here' : 'Try again'} onPress={() => client.connect()} />
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
