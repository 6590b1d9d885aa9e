import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { Peer } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { Overlay } from '../../ui/Overlay';
import { colors, space } from '../../ui/theme';
import type { BlockState } from './useBlock';

/** After Block in a call: the call is over; says whether the block took, and offers what comes next. */
export function BlockedCard({
  peer,
  state,
  onRetry,
  next,
  onClose,
}: {
  peer: Peer;
  state: BlockState;
  onRetry(): void;
  next: { title: string; onPress(): void };
  onClose(): void;
}) {
  const { t } = useTranslation(['report']);
  const name = peer.displayName;
  const failed = state.status === 'failed';
  return (
    <Overlay testID="block-done">
      <Text style={styles.title} accessibilityRole="header">
        {failed
          ? t('report:block.notBlocked', { name })
          : state.status === 'blocked'
            ? t('report:block.blocked', { name })
            : t('report:block.blocking')}
      </Text>
      <Text style={styles.text}>{failed ? state.error : t('report:block.text', { name })}</Text>
      <View style={styles.actions}>
        {failed && <Button testID="block-retry" title={t('report:block.retry')} onPress={onRetry} />}
        <Button testID="block-next" title={next.title} onPress={next.onPress} />
        <Button testID="block-close" variant="secondary" title={t('report:block.close')} onPress={onClose} />
      </View>
    </Overlay>
  );
}

const styles = StyleSheet.create({
  title: { color: colors.text, fontSize: 20, fontWeight: '700', textAlign: 'center' },
  text: { color: colors.textMuted, textAlign: 'center' },
  actions: { flexDirection: 'row', flexWrap: 'wrap', justifyContent: 'center', gap: space.s },
});
