import { ActivityIndicator, Pressable, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { ModCase, ReportReason } from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { Button } from '../../ui/Button';
import { isolated } from '../../ui/bidi';
import { colors, space } from '../../ui/theme';
import { reasonKey } from '../report/reasons';
import { useLoaded } from './useLoaded';
import { ageOf } from './words';

/** The open cases, most urgent first, then the longest waiting: the order to work them in. */
export function CaseQueue({ onOpen }: { onOpen(userId: string): void }) {
  const { t } = useTranslation(['moderation', 'common']);
  const cases = useLoaded((api) => api.cases({ status: 'open' }), 'open');
  return (
    <View testID="mod-queue" style={styles.list}>
      <Button
        testID="mod-queue-reload"
        variant="link"
        title={t('moderation:refresh')}
        onPress={cases.reload}
        style={styles.refresh}
      />
      {cases.status === 'loading' && (
        <ActivityIndicator color={colors.accent} accessibilityLabel={t('common:loading')} />
      )}
      {cases.status === 'failed' && <Text style={styles.error}>{describeApiError(cases.error)}</Text>}
      {cases.status === 'ready' && cases.value.length === 0 && (
        <Text style={styles.muted}>{t('moderation:queue.empty')}</Text>
      )}
      {cases.status === 'ready' && cases.value.map((item) => <CaseRow key={item.userId} item={item} onOpen={onOpen} />)}
    </View>
  );
}

function CaseRow({ item, onOpen }: { item: ModCase; onOpen(userId: string): void }) {
  const { t } = useTranslation(['moderation', 'report', 'common']);
  const age = item.oldestOpenAt ? ageOf(item.oldestOpenAt) : null;
  const { restriction } = item;
  return (
    <Pressable
      testID={`mod-case-${item.userId}`}
      accessibilityRole="button"
      onPress={() => onOpen(item.userId)}
      style={styles.row}
    >
      <View style={styles.rowMain}>
        <Text testID={`mod-case-priority-${item.userId}`} style={[styles.priority, styles[item.priority]]}>
          {t(`moderation:priority.${item.priority}`)}
        </Text>
        <Text style={styles.name} numberOfLines={1}>
          {isolated(item.user.displayName)}
        </Text>
        {age && (
          <Text style={styles.muted}>
            {t('moderation:queue.waiting', { age: t(`moderation:age.${age.unit}`, { n: age.n }) })}
          </Text>
        )}
      </View>
      <Text style={styles.muted}>
        {describeReasons(t, item.reasons)} ·{' '}
        {t('moderation:queue.reports', { count: item.openReports, reporters: item.reporters })}
        {restriction
          ? ` · ${restriction.automated ? t(`moderation:restrictionAutoShort.${restriction.kind}`) : t(`moderation:restriction.${restriction.kind}`)}`
          : ''}
      </Text>
    </Pressable>
  );
}

/** "Harassment or bullying ×2, Spam or scam". */
function describeReasons(t: TFunction<['moderation', 'report']>, reasons: ModCase['reasons']): string {
  return (Object.entries(reasons) as Array<[ReportReason, number]>)
    .sort(([, a], [, b]) => b - a)
    .map(([reason, count]) =>
      count > 1 ? t('moderation:queue.reasonTimes', { reason: t(reasonKey(reason)), count }) : t(reasonKey(reason)),
    )
    .join(', ');
}

const styles = StyleSheet.create({
  list: { gap: space.s },
  refresh: { alignSelf: 'flex-end' },
  row: { backgroundColor: colors.surface, borderRadius: 12, padding: space.m, gap: space.xs },
  rowMain: { flexDirection: 'row', alignItems: 'center', gap: space.s },
  name: { color: colors.text, fontSize: 16, fontWeight: '600', flexShrink: 1 },
  priority: {
    fontSize: 13,
    fontWeight: '700',
    paddingHorizontal: space.s,
    paddingVertical: 2,
    borderRadius: 8,
    overflow: 'hidden',
  },
  urgent: { backgroundColor: colors.danger, color: colors.accentText },
  high: { backgroundColor: colors.warning, color: colors.background },
  normal: { backgroundColor: colors.surfaceRaised, color: colors.text },
  muted: { color: colors.textMuted, fontSize: 13 },
  error: { color: colors.danger },
});
