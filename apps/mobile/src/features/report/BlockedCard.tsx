import { StyleSheet, Text, View } from 'react-native';
import type { Peer } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { Overlay } from '../../ui/Overlay';
import { colors, space } from '../../ui/theme';
import type { BlockState } from './useBlock';

/** After Block in a call: the call is over; says whether the block took, and offers what comes next. */
export function BlockedCard({ peer, state, onRetry, next, onClose }: { peer: Peer; state: BlockState; onRetry(): void; next: { title: string; onPress(): void }; onClose(): void }) {
  const failed = state.status === 'failed';
  return (
    <Overlay testID="block-done">
      <Text style={styles.title}>{failed ? `${peer.displayName} is not blocked yet` : state.status === 'blocked' ? `${peer.displayName} is blocked` : 'Blocking…'}</Text>
      <Text style={styles.text}>
        {failed ? state.error : `You won't be matched with ${peer.displayName} again, and they can't reach you. You can undo this under Safety.`}
      </Text>
      <View style={styles.actions}>
        {failed && <Button testID="block-retry" title="Try again" onPress={onRetry} />}
        <Button testID="block-next" title={next.title} onPress={next.onPress} />
        <Button testID="block-close" variant="secondary" title="Done" onPress={onClose} />
      </View>
    </Overlay>
  );
}

const styles = StyleSheet.create({
  title: { color: colors.text, fontSize: 20, fontWeight: '700', textAlign: 'center' },
  text: { color: colors.textMuted, textAlign: 'center' },
  actions: { flexDirection: 'row', flexWrap: 'wrap', justifyContent: 'center', gap: space.s },
});
