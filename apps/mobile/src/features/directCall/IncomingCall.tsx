import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { Peer } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { Overlay } from '../../ui/Overlay';
import { colors, space } from '../../ui/theme';

/** A friend is calling: over any screen, until answered or the ringing stops. */
export function IncomingCall({ peer, onAccept, onDecline }: { peer: Peer; onAccept(): void; onDecline(): void }) {
  const { t } = useTranslation(['friends']);
  const name = peer.displayName;
  return (
    <Overlay testID="incoming-call">
      <Text style={styles.kicker}>{t('friends:incoming.kicker')}</Text>
      <Text testID="incoming-call-peer" style={styles.name} numberOfLines={1}>
        {name}
      </Text>
      <Text style={styles.text}>{t('friends:incoming.text')}</Text>
      <View style={styles.actions}>
        <Button
          testID="decline-call"
          variant="danger"
          title={t('friends:incoming.decline')}
          accessibilityLabel={t('friends:incoming.declineLabel', { name })}
          onPress={onDecline}
          style={styles.action}
        />
        <Button
          testID="accept-call"
          title={t('friends:incoming.accept')}
          accessibilityLabel={t('friends:incoming.acceptLabel', { name })}
          onPress={onAccept}
          style={styles.action}
        />
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
