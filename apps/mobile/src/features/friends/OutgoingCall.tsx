import { ActivityIndicator, StyleSheet, Text } from 'react-native';
import type { Peer } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { Overlay } from '../../ui/Overlay';
import { colors } from '../../ui/theme';
import type { CallOutcomeText } from './useDirectCall';

/** What `direct-call-status` says: exactly these words (tests outside this repository read them). */
export type DirectCallStatus = 'calling…' | 'ringing…' | CallOutcomeText;

export interface OutgoingCallProps {
  peer: Peer;
  status: DirectCallStatus;
  /** Set while the call can still be answered; else the outcome shows, with OK. */
  onHangUp?(): void;
  onDismiss(): void;
}

/** The caller's view of a call to a friend: calling, ringing, then how it ended if unanswered. */
export function OutgoingCall({ peer, status, onHangUp, onDismiss }: OutgoingCallProps) {
  return (
    <Overlay testID="outgoing-call">
      <Text style={styles.kicker}>Calling</Text>
      <Text style={styles.name} numberOfLines={1}>
        {peer.displayName}
      </Text>
      {onHangUp && <ActivityIndicator color={colors.accent} />}
      <Text testID="direct-call-status" style={[styles.status, !onHangUp && styles.outcome]}>
        {status}
      </Text>
      {onHangUp ? (
        <Button testID="hang-up" variant="danger" title="Hang up" accessibilityLabel={`Stop calling ${peer.displayName}`} onPress={onHangUp} />
      ) : (
        <Button testID="dismiss-call" variant="secondary" title="OK" onPress={onDismiss} />
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
