import { ActivityIndicator, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { AuditEntry } from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { formatDateTime } from '../../i18n/format';
import { Button } from '../../ui/Button';
import { isolated } from '../../ui/bidi';
import { colors, space } from '../../ui/theme';
import { useLoaded } from './useLoaded';

/** Who did what to whom, newest first: decisions, appeal decisions, role changes and evidence views. */
export function AuditLog() {
  const { t } = useTranslation(['moderation', 'common']);
  const entries = useLoaded((api) => api.audit({ limit: 100 }), 'latest');
  return (
    <View testID="mod-audit" style={styles.list}>
      <Button
        testID="mod-audit-reload"
        variant="link"
        title={t('moderation:refresh')}
        onPress={entries.reload}
        style={styles.refresh}
      />
      {entries.status === 'loading' && (
        <ActivityIndicator color={colors.accent} accessibilityLabel={t('common:loading')} />
      )}
      {entries.status === 'failed' && <Text style={styles.error}>{describeApiError(entries.error)}</Text>}
      {entries.status === 'ready' && entries.value.length === 0 && (
        <Text style={styles.muted}>{t('moderation:audit.empty')}</Text>
      )}
      {entries.status === 'ready' && entries.value.map((entry) => <AuditRow key={entry.id} entry={entry} />)}
    </View>
  );
}

function AuditRow({ entry }: { entry: AuditEntry }) {
  const { t } = useTranslation(['moderation', 'common']);
  return (
    <View testID={`mod-audit-${entry.id}`} style={styles.row}>
      <Text style={styles.text}>
        {t(`moderation:audit.entry.${entry.action}`, {
          actor: isolated(entry.actor.displayName),
          subject: entry.subjectUserId ?? '—',
        })}
      </Text>
      <Text style={styles.muted}>
        {formatDateTime(entry.at)} · {describeDetail(entry.detail)}
      </Text>
    </View>
  );
}

/** The row's detail as `key: value` pairs (the reason, days, the new role, the evidence id…): the record's own field names and data, not words of the app. */
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
