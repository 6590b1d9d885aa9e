import { useEffect, useState } from 'react';
import type { TFunction } from 'i18next';
import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import { SHIELD_CHECKING_PATIENCE_MS } from '../../defaults';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import type { Shield, ShieldProblem } from './useShield';

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
  const { t } = useTranslation(['shield']);
  const slow = useSlowCheck(shield.state === 'checking');
  if (shield.state === 'checking' && !slow) {
    return (
      <View style={[styles.center, styles.passThrough]}>
        <Text style={styles.checking}>{t('shield:checking')}</Text>
      </View>
    );
  }
  if (!shield.hidden) return null;
  const why = shield.problem
    ? describeProblem(t, shield.problem)
    : shield.state === 'checking'
      ? t('shield:stillChecking', { name: peerName })
      : t('shield:mayShowNudity', { name: peerName });
  return (
    <View style={[styles.center, styles.cardOnly]}>
      <View testID="shield-overlay" style={styles.card} accessibilityRole="alert">
        <Text style={styles.title}>{t('shield:hidden')}</Text>
        <Text style={styles.text}>{why}</Text>
        <View style={styles.actions}>
          <Button
            testID="shield-reveal"
            variant="secondary"
            title={t('shield:reveal')}
            accessibilityLabel={t('shield:revealLabel', { name: peerName })}
            onPress={shield.reveal}
          />
          <Button
            testID="shield-report"
            variant="danger"
            title={t('shield:report')}
            accessibilityLabel={t('shield:reportLabel', { name: peerName })}
            onPress={onReport}
          />
          <Button testID="shield-next" title={t('shield:next')} accessibilityLabel={nextLabel} onPress={onNext} />
        </View>
      </View>
    </View>
  );
}

function describeProblem(t: TFunction<['shield']>, problem: ShieldProblem): string {
  switch (problem.kind) {
    case 'load-failed':
      return t('shield:problem.loadFailed', { detail: problem.detail });
    case 'check-failed':
      return t('shield:problem.checkFailed', { detail: problem.detail });
    case 'no-classifier':
      return t('shield:problem.noClassifier');
  }
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

/** `shield-state` as a small badge beside the call's status: in English the word is exactly the state (browser tests read it). */
export function ShieldBadge({ shield }: { shield: Shield }) {
  const { t } = useTranslation(['shield']);
  const state = t(`shield:state.${shield.state}`);
  return (
    <View style={styles.badge} accessibilityLabel={t('shield:badgeLabel', { state })}>
      <Text style={styles.badgeLabel}>{t('shield:badge')}</Text>
      <Text testID="shield-state" style={styles.badgeState}>
        {state}
      </Text>
    </View>
  );
}

const styles = StyleSheet.create({
  center: {
    position: 'absolute',
    top: 0,
    left: 0,
    right: 0,
    bottom: 0,
    alignItems: 'center',
    justifyContent: 'center',
    padding: space.xl,
  },
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
  badge: {
    flexDirection: 'row',
    alignItems: 'center',
    gap: space.xs,
    paddingHorizontal: space.s,
    paddingVertical: space.xs,
    borderRadius: 12,
    backgroundColor: 'rgba(0,0,0,0.45)',
  },
  badgeLabel: { color: '#ccc', fontSize: 12 },
  badgeState: { color: '#fff', fontSize: 13, fontWeight: '600' },
});
