import { useState, type ReactNode } from 'react';
import { ActivityIndicator, ScrollView, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { Block, Report } from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { formatDateTime } from '../../i18n/format';
import { Button } from '../../ui/Button';
import { ScreenHeader } from '../../ui/ScreenHeader';
import { colors, space } from '../../ui/theme';
import { reasonKey } from '../report/reasons';
import { ShieldSettingRow } from '../shield/ShieldSettingRow';
import { useSafety, type Part } from './useSafety';

/** The user's side of safety: the shield, its reports and what became of them, who it blocked, the rules, and whom to write to. */
export function SafetyScreen({ onBack }: { onBack(): void }) {
  const { t } = useTranslation(['safety', 'common']);
  const safety = useSafety();
  return (
    <View testID="safety" style={styles.root}>
      <ScreenHeader
        title={t('safety:title')}
        back={
          <Button
            testID="safety-back"
            variant="link"
            title={t('safety:back')}
            accessibilityLabel={t('safety:backLabel')}
            onPress={onBack}
          />
        }
      />
      <ScrollView contentContainerStyle={styles.content}>
        <View style={styles.section}>
          <Text style={styles.heading} accessibilityRole="header">
            {t('safety:shield')}
          </Text>
          <ShieldSettingRow />
        </View>

        <Section title={t('safety:reports.title')} part={safety.reports} onRetry={safety.reload}>
          {(reports) =>
            reports.length === 0 ? (
              <Text style={styles.empty}>{t('safety:reports.empty')}</Text>
            ) : (
              reports.map((report) => <ReportRow key={report.id} report={report} />)
            )
          }
        </Section>

        <Section title={t('safety:blocks.title')} part={safety.blocks} onRetry={safety.reload}>
          {(blocks) =>
            blocks.length === 0 ? (
              <Text style={styles.empty}>{t('safety:blocks.empty')}</Text>
            ) : (
              blocks.map((block) => <BlockedRow key={block.user.id} block={block} unblock={safety.unblock} />)
            )
          }
        </Section>

        <Section title={t('safety:rules.title')} part={safety.rules} onRetry={safety.reload}>
          {(rules) => (
            <>
              <Text testID="safety-rules" style={styles.rules}>
                {rules.text}
              </Text>
              <Text style={styles.heading} accessibilityRole="header">
                {t('safety:rules.contact')}
              </Text>
              {rules.contactEmail ? (
                <Text testID="safety-contact" style={styles.text} selectable>
                  {t('safety:rules.writeTo', { email: rules.contactEmail })}
                </Text>
              ) : (
                <Text style={styles.empty}>{t('safety:rules.noContact')}</Text>
              )}
            </>
          )}
        </Section>
      </ScrollView>
    </View>
  );
}

function Section<T>({
  title,
  part,
  onRetry,
  children,
}: {
  title: string;
  part: Part<T>;
  onRetry(): void;
  children(value: T): ReactNode;
}) {
  const { t } = useTranslation(['safety', 'common']);
  return (
    <View style={styles.section}>
      <Text style={styles.heading} accessibilityRole="header">
        {title}
      </Text>
      {part.status === 'loading' && (
        <ActivityIndicator color={colors.accent} accessibilityLabel={t('common:loading')} />
      )}
      {part.status === 'failed' && (
        <View style={styles.failed}>
          <Text style={styles.error}>{describeApiError(part.error)}</Text>
          <Button variant="link" title={t('safety:retry')} onPress={onRetry} />
        </View>
      )}
      {part.status === 'ready' && children(part.value)}
    </View>
  );
}

function ReportRow({ report }: { report: Report }) {
  const { t } = useTranslation(['safety', 'report', 'common']);
  return (
    <View testID={`my-report-${report.id}`} style={styles.row}>
      <View style={styles.rowMain}>
        <Text style={styles.text}>{t(reasonKey(report.reason))}</Text>
        <Text style={styles.muted}>{formatDateTime(report.createdAt)}</Text>
      </View>
      <Text
        testID={`my-report-status-${report.id}`}
        style={[styles.status, report.status === 'open' ? styles.statusOpen : styles.muted]}
      >
        {t(`safety:status.${report.status}`)}
      </Text>
    </View>
  );
}

function BlockedRow({ block, unblock }: { block: Block; unblock(userId: string): Promise<void> }) {
  const { t } = useTranslation(['safety', 'common']);
  const [busy, setBusy] = useState(false);
  // The failure itself, put in words at render (in the language of the moment).
  const [failure, setFailure] = useState<{ error: unknown } | null>(null);
  const { user } = block;
  const press = () => {
    setBusy(true);
    setFailure(null);
    // On success the row goes away with the list; only a failure stays to be said.
    unblock(user.id).catch((error: unknown) => {
      setBusy(false);
      setFailure({ error });
    });
  };
  return (
    <View testID={`blocked-${user.id}`} style={styles.row}>
      <View style={styles.rowMain}>
        <Text style={styles.text}>{user.displayName}</Text>
        <Button
          testID={`unblock-${user.id}`}
          variant="link"
          title={t('safety:blocks.unblock')}
          accessibilityLabel={t('safety:blocks.unblockLabel', { name: user.displayName })}
          busy={busy}
          onPress={press}
        />
      </View>
      <Text style={styles.muted}>{t('safety:blocks.since', { date: formatDateTime(block.createdAt) })}</Text>
      {failure && <Text style={styles.error}>{describeApiError(failure.error)}</Text>}
    </View>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.l },
  content: { paddingVertical: space.m, gap: space.xl, maxWidth: 720 },
  section: { gap: space.s },
  heading: { color: colors.text, fontSize: 18, fontWeight: '700' },
  text: { color: colors.text, fontSize: 16 },
  muted: { color: colors.textMuted, fontSize: 13 },
  empty: { color: colors.textMuted },
  error: { color: colors.danger, flexShrink: 1 },
  failed: { flexDirection: 'row', alignItems: 'center', gap: space.s },
  rules: { color: colors.text, fontSize: 15, lineHeight: 22 },
  row: { backgroundColor: colors.surface, borderRadius: 12, padding: space.m, gap: space.xs },
  rowMain: { flexDirection: 'row', justifyContent: 'space-between', alignItems: 'center', gap: space.s },
  status: { fontSize: 14 },
  statusOpen: { color: colors.warning },
});
