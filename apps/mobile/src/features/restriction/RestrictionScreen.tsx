import { StyleSheet, Text, View } from 'react-native';
import type { Restriction } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';

/**
 * Instead of Categories while the user may not meet anyone (suspended or banned): why, and
 * until when. Underage users see the neutral UnderageScreen instead.
 */
export function RestrictionScreen({ restriction, onSignOut }: { restriction: Restriction; onSignOut(): void }) {
  return (
    <View testID="restriction-screen" style={styles.root}>
      <Text style={styles.title} accessibilityRole="header">
        {restriction.kind === 'banned' ? 'Your account is banned' : 'Your account is suspended'}
      </Text>
      <Text testID="restriction-reason" style={styles.reason}>
        {restriction.reason}
      </Text>
      <Text testID="restriction-until" style={styles.text}>
        {describeEnd(restriction)}
      </Text>
      {restriction.appealable ? <Text style={styles.text}>A moderator will review this. You can't meet anyone until then.</Text> : null}
      <Button title="Sign out" variant="secondary" onPress={onSignOut} testID="restriction-sign-out" style={styles.signOut} />
    </View>
  );
}

function describeEnd(restriction: Restriction): string {
  if (restriction.kind === 'banned') return 'You can no longer meet people on Small Talk.';
  if (restriction.until === null) return 'Until a moderator has reviewed it.';
  return `Until ${formatWhen(restriction.until)}.`;
}

/** Local date and time, e.g. "12 May 2026, 14:30", read the same way on every platform. */
export function formatWhen(iso: string): string {
  const date = new Date(iso);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getDate()} ${months[date.getMonth()]} ${date.getFullYear()}, ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.xl, gap: space.m, justifyContent: 'center' },
  title: { color: colors.text, fontSize: 22, fontWeight: '700' },
  reason: { color: colors.text, fontSize: 16, lineHeight: 22 },
  text: { color: colors.textMuted, fontSize: 15, lineHeight: 21 },
  signOut: { alignSelf: 'flex-start', marginTop: space.m },
});
