import { useState } from 'react';
import { ActivityIndicator, StyleSheet, Text, TextInput, View } from 'react-native';
import type { ModAppeal, OwnUser } from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { useServices } from '../../services';
import { Button } from '../../ui/Button';
import { isolated } from '../../ui/bidi';
import { colors, space } from '../../ui/theme';
import { formatWhen } from '../restriction/formatWhen';
import { useLoaded } from './useLoaded';

/** Open appeals, oldest first, each with the decision it contests. */
export function AppealsList({ me }: { me: OwnUser }) {
  const appeals = useLoaded((api) => api.modAppeals('open'), 'open');
  return (
    <View testID="mod-appeals" style={styles.list}>
      <Button testID="mod-appeals-reload" variant="link" title="Refresh" onPress={appeals.reload} style={styles.refresh} />
      {appeals.status === 'loading' && <ActivityIndicator color={colors.accent} />}
      {appeals.status === 'failed' && <Text style={styles.error}>{appeals.error}</Text>}
      {appeals.status === 'ready' && appeals.value.length === 0 && <Text style={styles.muted}>No open appeals.</Text>}
      {appeals.status === 'ready' && appeals.value.map((appeal) => <AppealRow key={appeal.id} appeal={appeal} me={me} />)}
    </View>
  );
}

function AppealRow({ appeal, me }: { appeal: ModAppeal; me: OwnUser }) {
  const { api } = useServices();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [decided, setDecided] = useState<ModAppeal | null>(null);
  // The server refuses it too (conflict_of_interest); saying so here spares the moderator a try.
  const ownDecision = appeal.decision?.moderator.id === me.id;

  const decide = async (decision: 'uphold' | 'overturn') => {
    setBusy(true);
    setError(null);
    try {
      setDecided(await api.decideAppeal(appeal.id, { decision, reason: reason.trim() }));
    } catch (failure) {
      setError(describeApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  const { restriction, decision } = appeal;
  return (
    <View testID={`mod-appeal-${appeal.id}`} style={styles.card}>
      <Text style={styles.name}>
        {isolated(appeal.user.displayName)} · {restriction.kind}
        {restriction.until ? ` until ${formatWhen(restriction.until)}` : ''}
      </Text>
      <Text style={styles.muted}>
        {decision ? `Decided by ${isolated(decision.moderator.displayName)}, ${formatWhen(decision.createdAt)}: ` : 'Set automatically: '}
        {isolated(decision?.reason ?? restriction.reason)}
      </Text>
      <Text testID={`mod-appeal-text-${appeal.id}`} style={styles.text}>
        {isolated(appeal.text)}
      </Text>
      <Text style={styles.muted}>Appealed {formatWhen(appeal.createdAt)}</Text>
      {decided ? (
        <Text testID="mod-appeal-decided" style={styles.done}>
          {decided.status === 'overturned' ? 'Overturned: the restriction is lifted.' : 'Upheld: the restriction stays.'}
        </Text>
      ) : ownDecision ? (
        <Text style={styles.muted}>You made this decision: another moderator decides its appeal.</Text>
      ) : (
        <>
          <TextInput
            testID="mod-appeal-reason"
            style={styles.reason}
            value={reason}
            onChangeText={setReason}
            multiline
            maxLength={2000}
            placeholder="The reason the user will read"
            placeholderTextColor={colors.textMuted}
            accessibilityLabel="Reason the user will read"
          />
          <View style={styles.actions}>
            <Button testID="mod-uphold" title="Uphold" variant="secondary" disabled={reason.trim().length === 0} busy={busy} onPress={() => void decide('uphold')} />
            <Button testID="mod-overturn" title="Overturn" disabled={reason.trim().length === 0} busy={busy} onPress={() => void decide('overturn')} />
          </View>
        </>
      )}
      {error && <Text style={styles.error}>{error}</Text>}
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
  reason: { minHeight: 64, color: colors.text, backgroundColor: colors.background, borderRadius: 8, padding: space.s, fontSize: 15, textAlignVertical: 'top' },
  actions: { flexDirection: 'row', gap: space.s },
  error: { color: colors.danger },
  done: { color: colors.success },
});
