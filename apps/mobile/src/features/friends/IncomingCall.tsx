import { StyleSheet, Text, View } from 'react-native';
import type { Peer } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { Overlay } from '../../ui/Overlay';
import { colors, space } from '../../ui/theme';

/** A friend is calling: over any screen, until answered or the ringing stops. */
export function IncomingCall({ peer, onAccept, onDecline }: { peer: Peer; onAccept(): void; onDecline(): void }) {
  return (
    <Overlay testID="incoming-call">
      <Text style={styles.kicker}>Incoming call</Text>
      <Text testID="incoming-call-peer" style={styles.name} numberOfLines={1}>
        {peer.displayName}
      </Text>
      <Text style={styles.text}>wants to talk with you</Text>
      <View style={styles.actions}>
        <Button testID="decline-call" variant="danger" title="Decline" accessibilityLabel={`Decline the call from ${peer.displayName}`} onPress={onDecline} style={styles.action} />
        <Button testID="accept-call" title="Accept" accessibilityLabel={`Accept the call from ${peer.displayName}`} onPress={onAccept} style={styles.action} />
      </View>
    </Overlay>
  );
}

const styles = StyleSheet.create({
  kicker: { color: colors.textMuted, fontSize: 14, textTransform: 'uppercase', letterSpacing: 1 },
  name: { color: colors.text, fontSize: 26, fontWeight: '700' },
  text: { color: colors.textMuted, fontSize: 16 },
  actions: { flexDirection: 'row', gap: space.m, marginTop: space.m },
  action: { flex: 1 },
});
