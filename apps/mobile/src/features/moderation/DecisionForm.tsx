import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { ModActionKind } from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { useServices } from '../../services';
import { Button } from '../../ui/Button';
import { isolated } from '../../ui/bidi';
import { colors, space } from '../../ui/theme';
import { TextField } from '../../ui/TextField';

const ACTIONS: ModActionKind[] = ['dismiss', 'warn', 'suspend', 'ban', 'restore'];
const MAX_REASON_LENGTH = 2000;

/**
 * A decision about one user: the statement of reasons it will read, the days of a suspension,
 * the action, and a second press to confirm, since a ban ends every session at once.
 */
export function DecisionForm({
  userId,
  displayName,
  onDecided,
}: {
  userId: string;
  displayName: string;
  onDecided(): void;
}) {
  const { t } = useTranslation(['moderation']);
  const { api } = useServices();
  const [reason, setReason] = useState('');
  const [days, setDays] = useState('7');
  const [pending, setPending] = useState<ModActionKind | null>(null);
  const [busy, setBusy] = useState(false);
  // The failure itself, put in words at render (in the language of the moment).
  const [failure, setFailure] = useState<{ error: unknown } | null>(null);
  const [done, setDone] = useState<ModActionKind | null>(null);

  const dayCount = Number.parseInt(days, 10);
  const daysValid = Number.isInteger(dayCount) && dayCount >= 1 && dayCount <= 365;
  const canAct = (action: ModActionKind) => reason.trim().length > 0 && (action !== 'suspend' || daysValid);

  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    setFailure(null);
    try {
      await api.decide(userId, {
        action: pending,
        reason: reason.trim(),
        ...(pending === 'suspend' ? { days: dayCount } : {}),
      });
      setDone(pending);
      setPending(null);
      setReason('');
      onDecided();
    } catch (error) {
      setFailure({ error });
    } finally {
      setBusy(false);
    }
  };

  return (
    <View testID="mod-decision" style={styles.form}>
      <Text style={styles.heading} accessibilityRole="header">
        {t('moderation:decision.heading')}
      </Text>
      <TextField
        testID="mod-reason"
        style={styles.reason}
        value={reason}
        onChangeText={(text) => {
          setReason(text);
          setDone(null);
        }}
        multiline
        maxLength={MAX_REASON_LENGTH}
        placeholder={t('moderation:decision.reasonPlaceholder')}
        accessibilityLabel={t('moderation:decision.reasonLabel')}
      />
      <View style={styles.daysRow}>
        <Text style={styles.muted}>{t('moderation:decision.suspendFor')}</Text>
        <TextField
          testID="mod-days"
          style={styles.days}
          value={days}
          onChangeText={setDays}
          keyboardType="number-pad"
          maxLength={3}
          accessibilityLabel={t('moderation:decision.daysLabel')}
        />
        <Text style={styles.muted}>{t('moderation:decision.days', { count: daysValid ? dayCount : 0 })}</Text>
      </View>
      <View style={styles.actions}>
        {ACTIONS.map((action) => (
          <Button
            key={action}
            testID={`mod-action-${action}`}
            title={t(`moderation:decision.button.${action}`)}
            variant={action === 'ban' || action === 'suspend' ? 'danger' : 'secondary'}
            selected={pending === action}
            disabled={!canAct(action) || busy}
            onPress={() => {
              setPending(action);
              setFailure(null);
            }}
          />
        ))}
      </View>
      {pending && (
        <View testID="mod-confirm-step" style={styles.confirmStep}>
          <Text style={styles.text}>
            {pending === 'suspend'
              ? t('moderation:decision.confirm.suspend', {
                  name: isolated(displayName),
                  reason: isolated(reason.trim()),
                  count: dayCount,
                })
              : t(`moderation:decision.confirm.${pending}`, {
                  name: isolated(displayName),
                  reason: isolated(reason.trim()),
                })}
          </Text>
          <View style={styles.actions}>
            <Button
              testID="mod-confirm"
              title={t('moderation:decision.confirmButton', { action: t(`moderation:decision.button.${pending}`) })}
              variant="danger"
              busy={busy}
              onPress={() => void confirm()}
            />
            <Button
              testID="mod-cancel"
              title={t('moderation:decision.cancel')}
              variant="secondary"
              disabled={busy}
              onPress={() => setPending(null)}
            />
          </View>
        </View>
      )}
      {failure && (
        <Text testID="mod-decision-error" style={styles.error}>
          {describeApiError(failure.error)}
        </Text>
      )}
      {done && (
        <Text testID="mod-decided" style={styles.done}>
          {t(`moderation:decision.done.${done}`)}
        </Text>
      )}
    </View>
  );
}

const styles = StyleSheet.create({
  form: { gap: space.s },
  heading: { color: colors.text, fontSize: 18, fontWeight: '700' },
  reason: { minHeight: 80, borderWidth: 0, borderRadius: 12, fontSize: 15 },
  daysRow: { flexDirection: 'row', alignItems: 'center', gap: space.s },
  days: {
    width: 64,
    borderWidth: 0,
    borderRadius: 8,
    paddingHorizontal: space.s,
    paddingVertical: space.s,
    fontSize: 15,
  },
  actions: { flexDirection: 'row', flexWrap: 'wrap', gap: space.s },
  confirmStep: { backgroundColor: colors.surfaceRaised, borderRadius: 12, padding: space.m, gap: space.s },
  text: { color: colors.text, fontSize: 15, lineHeight: 21 },
  muted: { color: colors.textMuted, fontSize: 14 },
  error: { color: colors.danger },
  done: { color: colors.success },
});
