import { ActivityIndicator, StyleSheet, Text } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { Peer } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { Overlay } from '../../ui/Overlay';
import { colors } from '../../ui/theme';
import type { CallOutcomeReason } from './useDirectCall';

/**
 * Where the call stands: calling, ringing, or how it ended unanswered. `direct-call-status`
 * says it in English in exactly the words "calling…", "ringing…", "declined", "busy",
 * "no answer", "offline" (tests outside this repository read them).
 */
export type DirectCallStatus = 'calling' | 'ringing' | CallOutcomeReason;

export interface OutgoingCallProps {
  peer: Peer;
  status: DirectCallStatus;
  /** Set while the call can still be answered; else the outcome shows, with OK. */
  onHangUp?(): void;
  onDismiss(): void;
}

/** The caller's view of a call to a friend: calling, ringing, then how it ended if unanswered. */
export function OutgoingCall({ peer, status, onHangUp, onDismiss }: OutgoingCallProps) {
  const { t } = useTranslation(['friends']);
  const name = peer.displayName;
  return (
    <Overlay testID="outgoing-call">
      <Text style={styles.kicker}>{t('friends:outgoing.kicker')}</Text>
      <Text style={styles.name} numberOfLines={1}>
        {name}
      </Text>
      {onHangUp && <ActivityIndicator color={colors.accent} aria-hidden />}
      <Text testID="direct-call-status" style={[styles.status, !onHangUp && styles.outcome]}>
        {t(`friends:status.${status}`)}
      </Text>
      {onHangUp ? (
        <Button
          testID="hang-up"
          variant="danger"
          title={t('friends:outgoing.hangUp')}
          accessibilityLabel={t('friends:outgoing.hangUpLabel', { name })}
          onPress={onHangUp}
        />
      ) : (
        <Button testID="dismiss-call" variant="secondary" title={t('friends:outgoing.ok')} onPress={onDismiss} />
      )}
    </Overlay>
  );
}

const styles = StyleSheet.create({
  kicker: { color: colors.textMuted, fontSize: 14, textTransform: 'uppercase', letterSpacing: 1 },
  name: { color: colors.text, fontSize: 26, fontWeight: '700' },
  status: { color: colors.textMuted, fontSize: 18 },
  outcome: { color: colors.warning, fontWeight: '600' },
});
