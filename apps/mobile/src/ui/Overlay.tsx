import type { ReactNode } from 'react';
import { StyleSheet, View } from 'react-native';
import { useFocusOnOpen } from './focus';
import { colors, space } from './theme';

/**
 * A card over whatever screen is showing, dimming it: for what needs an answer wherever the
 * user is (an incoming call, a call being made). Screen readers stay inside it; on the web the
 * keyboard focus moves onto it.
 */
export function Overlay({ testID, children }: { testID: string; children: ReactNode }) {
  const card = useFocusOnOpen();
  return (
    <View style={styles.backdrop} accessibilityViewIsModal>
      <View
        ref={card}
        tabIndex={-1}
        testID={testID}
        style={styles.card}
        accessibilityRole="alert"
        accessibilityLiveRegion="assertive"
      >
        {children}
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  backdrop: {
    position: 'absolute',
    top: 0,
    left: 0,
    right: 0,
    bottom: 0,
    backgroundColor: 'rgba(0,0,0,0.6)',
    alignItems: 'center',
    justifyContent: 'center',
    padding: space.xl,
  },
  card: {
    width: '100%',
    maxWidth: 380,
    padding: space.xl,
    gap: space.m,
    borderRadius: 18,
    backgroundColor: colors.surface,
    borderWidth: 1,
    borderColor: colors.border,
    alignItems: 'center',
  },
});
