import { ActivityIndicator, StyleSheet, Text, View } from 'react-native';
import type { AuditEntry } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { isolated } from '../../ui/bidi';
import { colors, space } from '../../ui/theme';
import { formatWhen } from '../restriction/formatWhen';
import { useLoaded } from './useLoaded';
import { auditWords } from './words';

/** Who did what to whom, newest first: decisions, appeal decisions, role changes and evidence views. */
export function AuditLog() {
  const entries = useLoaded((api) => api.audit({ limit: 100 }), 'latest');
  return (
    <View testID="mod-audit" style={styles.list}>
      <Button testID="mod-audit-reload" variant="link" title="Refresh" onPress={entries.reload} style={styles.refresh} />
      {entries.status === 'loading' && <ActivityIndicator color={colors.accent} />}
      {entries.status === 'failed' && <Text style={styles.error}>{entries.error}</Text>}
      {entries.status === 'ready' && entries.value.length === 0 && <Text style={styles.muted}>Nothing yet.</Text>}
      {entries.status === 'ready' && entries.value.map((entry) => <AuditRow key={entry.id} entry={entry} />)}
    </View>
  );
}

function AuditRow({ entry }: { entry: AuditEntry }) {
  return (
    <View testID={`mod-audit-${entry.id}`} style={styles.row}>
      <Text style={styles.text}>
        {isolated(entry.actor.displayName)} {auditWords[entry.action]} {entry.subjectUserId ?? '—'}
      </Text>
      <Text style={styles.muted}>
        {formatWhen(entry.at)} · {describeDetail(entry.detail)}
      </Text>
    </View>
  );
}

/** The row's detail as `key: value` pairs (the reason, days, the new role, the evidence id…). */
function describeDetail(detail: AuditEntry['detail']): string {
  return Object.entries(detail)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? isolated(value) : JSON.stringify(value)}`)
    .join(' · ');
}

const styles = StyleSheet.create({
  list: { gap: space.s },
  refresh: { alignSelf: 'flex-end' },
  row: { backgroundColor: colors.surface, borderRadius: 12, padding: space.m, gap: space.xs },
  text: { color: colors.text, fontSize: 15 },
  muted: { color: colors.textMuted, fontSize: 13 },
  error: { color: colors.danger },
});
