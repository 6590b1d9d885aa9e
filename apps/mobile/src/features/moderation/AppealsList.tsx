import { useState } from 'react';
import { ActivityIndicator, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { ModAppeal, OwnUser } from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { formatDateTime } from '../../i18n/format';
import { useServices } from '../../services';
import { Button } from '../../ui/Button';
import { isolated } from '../../ui/bidi';
import { colors, space } from '../../ui/theme';
import { TextField } from '../../ui/TextField';
import { useLoaded } from './useLoaded';

/** Open appeals, oldest first, each with the decision it contests. */
export function AppealsList({ me }: { me: OwnUser }) {
  const { t } = useTranslation(['moderation', 'common']);
  const appeals = useLoaded((api) => api.modAppeals('open'), 'open');
  return (
    <View testID="mod-appeals" style={styles.list}>
      <Button
        testID="mod-appeals-reload"
        variant="link"
        title={t('moderation:refresh')}
        onPress={appeals.reload}
        style={styles.refresh}
      />
      {appeals.status === 'loading' && (
        <ActivityIndicator color={colors.accent} accessibilityLabel={t('common:loading')} />
      )}
      {appeals.status === 'failed' && <Text style={styles.error}>{describeApiError(appeals.error)}</Text>}
      {appeals.status === 'ready' && appeals.value.length === 0 && (
        <Text style={styles.muted}>{t('moderation:appeals.empty')}</Text>
      )}
      {appeals.status === 'ready' &&
        appeals.value.map((appeal) => <AppealRow key={appeal.id} appeal={appeal} me={me} />)}
    </View>
  );
}

function AppealRow({ appeal, me }: { appeal: ModAppeal; me: OwnUser }) {
  const { t } = useTranslation(['moderation', 'common']);
  const { api } = useServices();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  // The failure itself, put in words at render (in the language of the moment).
  const [failure, setFailure] = useState<{ error: unknown } | null>(null);
  const [decided, setDecided] = useState<ModAppeal | null>(null);
  // The server refuses it too (conflict_of_interest); saying so here spares the moderator a try.
  const ownDecision = appeal.decision?.moderator.id === me.id;

  const decide = async (decision: 'uphold' | 'overturn') => {
    setBusy(true);
    setFailure(null);
    try {
      setDecided(await api.decideAppeal(appeal.id, { decision, reason: reason.trim() }));
    } catch (error) {
      setFailure({ error });
    } finally {
      setBusy(false);
    }
  };

  const { restriction, decision } = appeal;
  const name = appeal.user.displayName;
  const kind = t(`moderation:restriction.${restriction.kind}`);
  return (
    <View testID={`mod-appeal-${appeal.id}`} style={styles.card}>
      <Text style={styles.name}>
        {isolated(name)} ·{' '}
        {restriction.until ? t('moderation:until', { what: kind, date: formatDateTime(restriction.until) }) : kind}
      </Text>
      <Text style={styles.muted}>
        {decision
          ? t('moderation:appeals.decidedBy', {
              moderator: isolated(decision.moderator.displayName),
              date: formatDateTime(decision.createdAt),
              reason: isolated(decision.reason),
            })
          : t('moderation:appeals.automatic', { reason: isolated(restriction.reason) })}
      </Text>
      <Text testID={`mod-appeal-text-${appeal.id}`} style={styles.text}>
        {isolated(appeal.text)}
      </Text>
      <Text style={styles.muted}>{t('moderation:appeals.appealed', { date: formatDateTime(appeal.createdAt) })}</Text>
      {decided ? (
        <Text testID="mod-appeal-decided" style={styles.done}>
          {decided.status === 'overturned' ? t('moderation:appeals.overturned') : t('moderation:appeals.upheld')}
        </Text>
      ) : ownDecision ? (
        <Text style={styles.muted}>{t('moderation:appeals.ownDecision')}</Text>
      ) : (
        <>
          <TextField
            testID="mod-appeal-reason"
            style={styles.reason}
            value={reason}
            onChangeText={setReason}
            multiline
            maxLength={2000}
            placeholder={t('moderation:decision.reasonPlaceholder')}
            accessibilityLabel={t('moderation:decision.reasonLabel')}
          />
          <View style={styles.actions}>
            <Button
              testID="mod-uphold"
              title={t('moderation:appeals.uphold')}
              accessibilityLabel={t('moderation:appeals.upholdLabel', { name })}
              variant="secondary"
              disabled={reason.trim().length === 0}
              busy={busy}
              onPress={() => void decide('uphold')}
            />
            <Button
              testID="mod-overturn"
              title={t('moderation:appeals.overturn')}
              accessibilityLabel={t('moderation:appeals.overturnLabel', { name })}
              disabled={reason.trim().length === 0}
              busy={busy}
              onPress={() => void decide('overturn')}
            />
          </View>
        </>
      )}
      {failure && <Text style={styles.error}>{describeApiError(failure.error)}</Text>}
    </View>
  );
}

const styles = StyleSheet.create({
  list: { gap: space.s },
  refresh: { alignSelf: 'flex-end' },
  card: { backgroundColor: colors.surface, borderRadius: 12, padding: space.m, gap: space.s },
  name: { color: colors.text, fontSize: 16, fontWeight: '600' },
  text: { color: colors.text, fontSize: 15, lineHeight: 21 },
  muted: { color: colors.textMuted, fontSize: 13 },
  reason: {
    minHeight: 64,
    backgroundColor: colors.background,
    borderWidth: 0,
    borderRadius: 8,
    paddingHorizontal: space.s,
    paddingVertical: space.s,
    fontSize: 15,
  },
  actions: { flexDirection: 'row', gap: space.s },
  error: { color: colors.danger },
  done: { color: colors.success },
});
