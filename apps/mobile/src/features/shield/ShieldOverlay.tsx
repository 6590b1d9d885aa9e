import { useEffect, useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import { SHIELD_CHECKING_PATIENCE_MS } from '../../defaults';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import type { Shield } from './useShield';

export interface ShieldOverlayProps {
  shield: Shield;
  peerName: string;
  /** Report, with `nudity` already picked. */
  onReport(): void;
  onNext(): void;
  /** Next's words for screen readers: "Next person", or back to friends in a friend's call. */
  nextLabel: string;
}

/**
 * Over the peer's hidden video: while the first check runs, a quiet word; once the shield hid
 * it (or nothing can check it, or the first check is slow in coming), the choice: Reveal for
 * this call, Report, or Next. The peer's name stays in the top bar above it. Mount one per
 * call (keyed by room), so the wait is counted from each call's start.
 */
export function ShieldOverlay({ shield, peerName, onReport, onNext, nextLabel }: ShieldOverlayProps) {
  const slow = useSlowCheck(shield.state === 'checking');
  if (shield.state === 'checking' && !slow) {
    return (
      <View style={[styles.center, styles.passThrough]}>
        <Text style={styles.checking}>Checking the video…</Text>
      </View>
    );
  }
  if (!shield.hidden) return null;
  const why = shield.problem ?? (shield.state === 'checking' ? `Still checking ${peerName}'s video on this device…` : `The shield hid ${peerName}'s video: it may show nudity.`);
  return (
    <View style={[styles.center, styles.cardOnly]}>
      <View testID="shield-overlay" style={styles.card} accessibilityRole="alert">
        <Text style={styles.title}>Video hidden</Text>
        <Text style={styles.text}>{why}</Text>
        <View style={styles.actions}>
          <Button testID="shield-reveal" variant="secondary" title="Reveal" accessibilityLabel={`Show ${peerName}'s video for this call`} onPress={shield.reveal} />
          <Button testID="shield-report" variant="danger" title="Report" accessibilityLabel={`Report ${peerName} for nudity`} onPress={onReport} />
          <Button testID="shield-next" title="Next" accessibilityLabel={nextLabel} onPress={onNext} />
        </View>
      </View>
    </View>
  );
}

/** True once `checking` has lasted SHIELD_CHECKING_PATIENCE_MS. */
function useSlowCheck(checking: boolean): boolean {
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    if (!checking) return;
    const timer = setTimeout(() => setSlow(true), SHIELD_CHECKING_PATIENCE_MS);
    return () => clearTimeout(timer);
  }, [checking]);
  return slow;
}

/** `shield-state` as a small badge beside the call's status: the word is exactly the state. */
export function ShieldBadge({ shield }: { shield: Shield }) {
  return (
    <View style={styles.badge} accessibilityLabel={`Shield: ${shield.state}`}>
      <Text style={styles.badgeLabel}>Shield</Text>
      <Text testID="shield-state" style={styles.badgeState}>
        {shield.state}
      </Text>
    </View>
  );
}

const styles = StyleSheet.create({
  center: { position: 'absolute', top: 0, left: 0, right: 0, bottom: 0, alignItems: 'center', justifyContent: 'center', padding: space.xl },
  // The call's controls stay usable around the word and the card.
  passThrough: { pointerEvents: 'none' },
  cardOnly: { pointerEvents: 'box-none' },
  checking: { color: colors.textMuted, fontSize: 16 },
  card: {
    width: '100%',
    maxWidth: 380,
    padding: space.xl,
    gap: space.m,
    borderRadius: 18,
    backgroundColor: 'rgba(20,22,28,0.92)',
    borderWidth: 1,
    borderColor: colors.border,
    alignItems: 'center',
  },
  title: { color: colors.text, fontSize: 20, fontWeight: '700' },
  text: { color: colors.textMuted, fontSize: 15, textAlign: 'center' },
  actions: { flexDirection: 'row', flexWrap: 'wrap', justifyContent: 'center', gap: space.s },
  badge: { flexDirection: 'row', alignItems: 'center', gap: space.xs, paddingHorizontal: space.s, paddingVertical: space.xs, borderRadius: 12, backgroundColor: 'rgba(0,0,0,0.45)' },
  badgeLabel: { color: '#ccc', fontSize: 12 },
  badgeState: { color: '#fff', fontSize: 13, fontWeight: '600' },
});
