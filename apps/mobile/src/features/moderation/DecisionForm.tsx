import { useState } from 'react';
import { StyleSheet, Text, TextInput, View } from 'react-native';
import type { ModActionKind } from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { useServices } from '../../services';
import { Button } from '../../ui/Button';
import { isolated } from '../../ui/bidi';
import { colors, space } from '../../ui/theme';
import { actionWords } from './words';

const ACTIONS: ModActionKind[] = ['dismiss', 'warn', 'suspend', 'ban', 'restore'];
const MAX_REASON_LENGTH = 2000;

/**
 * A decision about one user: the statement of reasons it will read, the days of a suspension,
 * the action, and a second press to confirm, since a ban ends every session at once.
 */
export function DecisionForm({ userId, displayName, onDecided }: { userId: string; displayName: string; onDecided(): void }) {
  const { api } = useServices();
  const [reason, setReason] = useState('');
  const [days, setDays] = useState('7');
  const [pending, setPending] = useState<ModActionKind | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const dayCount = Number.parseInt(days, 10);
  const daysValid = Number.isInteger(dayCount) && dayCount >= 1 && dayCount <= 365;
  const canAct = (action: ModActionKind) => reason.trim().length > 0 && (action !== 'suspend' || daysValid);

  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    setError(null);
    try {
      await api.decide(userId, { action: pending, reason: reason.trim(), ...(pending === 'suspend' ? { days: dayCount } : {}) });
      setDone(`Done: ${actionWords[pending].button.toLowerCase()}.`);
      setPending(null);
      setReason('');
      onDecided();
    } catch (failure) {
      setError(describeApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <View testID="mod-decision" style={styles.form}>
      <Text style={styles.heading} accessibilityRole="header">
        Decision
      </Text>
      <TextInput
        testID="mod-reason"
        style={styles.reason}
        value={reason}
        onChangeText={(text) => {
          setReason(text);
          setDone(null);
        }}
        multiline
        maxLength={MAX_REASON_LENGTH}
        placeholder="The reason the user will read"
        placeholderTextColor={colors.textMuted}
        accessibilityLabel="Reason the user will read"
      />
      <View style={styles.daysRow}>
        <Text style={styles.muted}>Suspend for</Text>
        <TextInput testID="mod-days" style={styles.days} value={days} onChangeText={setDays} keyboardType="number-pad" maxLength={3} accessibilityLabel="Days of suspension" />
        <Text style={styles.muted}>days</Text>
      </View>
      <View style={styles.actions}>
        {ACTIONS.map((action) => (
          <Button
            key={action}
            testID={`mod-action-${action}`}
            title={actionWords[action].button}
            variant={action === 'ban' || action === 'suspend' ? 'danger' : 'secondary'}
            selected={pending === action}
            disabled={!canAct(action) || busy}
            onPress={() => {
              setPending(action);
              setError(null);
            }}
          />
        ))}
      </View>
      {pending && (
        <View testID="mod-confirm-step" style={styles.confirmStep}>
          <Text style={styles.text}>
            {actionWords[pending].confirm} {isolated(displayName)}
            {pending === 'suspend' ? ` for ${dayCount} ${dayCount === 1 ? 'day' : 'days'}` : ''}? They will read: “{isolated(reason.trim())}”
          </Text>
          <View style={styles.actions}>
            <Button testID="mod-confirm" title={`Confirm: ${actionWords[pending].button}`} variant="danger" busy={busy} onPress={() => void confirm()} />
            <Button testID="mod-cancel" title="Cancel" variant="secondary" disabled={busy} onPress={() => setPending(null)} />
          </View>
        </View>
      )}
      {error && (
        <Text testID="mod-decision-error" style={styles.error}>
          {error}
        </Text>
      )}
      {done && (
        <Text testID="mod-decided" style={styles.done}>
          {done}
        </Text>
      )}
    </View>
  );
}

const styles = StyleSheet.create({
  form: { gap: space.s },
  heading: { color: colors.text, fontSize: 18, fontWeight: '700' },
  reason: { minHeight: 80, color: colors.text, backgroundColor: colors.surface, borderRadius: 12, padding: space.m, fontSize: 15, textAlignVertical: 'top' },
  daysRow: { flexDirection: 'row', alignItems: 'center', gap: space.s },
  days: { width: 64, color: colors.text, backgroundColor: colors.surface, borderRadius: 8, padding: space.s, fontSize: 15 },
  actions: { flexDirection: 'row', flexWrap: 'wrap', gap: space.s },
  confirmStep: { backgroundColor: colors.surfaceRaised, borderRadius: 12, padding: space.m, gap: space.s },
  text: { color: colors.text, fontSize: 15, lineHeight: 21 },
  muted: { color: colors.textMuted, fontSize: 14 },
  error: { color: colors.danger },
  done: { color: colors.success },
});
