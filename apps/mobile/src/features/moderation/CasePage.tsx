import type { ReactNode } from 'react';
import { ActivityIndicator, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { ModAction, ModConnection, ModUserResponse, ReportAgainst, ReportMade } from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { formatDateTime, formatDuration } from '../../i18n/format';
import { Button } from '../../ui/Button';
import { isolated } from '../../ui/bidi';
import { colors, space } from '../../ui/theme';
import { categoryName } from '../categories/categoryName';
import { reasonKey } from '../report/reasons';
import { DecisionForm } from './DecisionForm';
import { EvidenceThumbnail } from './EvidenceThumbnail';
import { useLoaded } from './useLoaded';

type T = TFunction<['moderation', 'report']>;

/** One reported user: what was reported, with notes and snapshots, what it reported, whom it met, what was decided before, and the decision. */
export function CasePage({ userId, onBack }: { userId: string; onBack(): void }) {
  const { t } = useTranslation(['moderation', 'common']);
  const file = useLoaded((api) => api.caseFile(userId), userId);
  return (
    <View testID="mod-case" style={styles.page}>
      <Button
        testID="mod-case-back"
        variant="link"
        title={t('moderation:case.back')}
        accessibilityLabel={t('moderation:case.backLabel')}
        onPress={onBack}
        style={styles.back}
      />
      {file.status === 'loading' && (
        <ActivityIndicator color={colors.accent} accessibilityLabel={t('common:loading')} />
      )}
      {file.status === 'failed' && <Text style={styles.error}>{describeApiError(file.error)}</Text>}
      {file.status === 'ready' && <CaseFile file={file.value} onDecided={file.reload} />}
    </View>
  );
}

function CaseFile({ file, onDecided }: { file: ModUserResponse; onDecided(): void }) {
  const { t } = useTranslation(['moderation', 'report', 'common']);
  const { user, restriction } = file;
  const since = { date: formatDateTime(user.createdAt) };
  let standing: string | null = null;
  if (restriction) {
    const kind = restriction.automated
      ? t(`moderation:restrictionAuto.${restriction.kind}`)
      : t(`moderation:restriction.${restriction.kind}`);
    const what = restriction.until
      ? t('moderation:until', { what: kind, date: formatDateTime(restriction.until) })
      : kind;
    standing = t('moderation:case.restriction', { what, reason: isolated(restriction.reason) });
  }
  return (
    <>
      <Text testID="mod-case-user" style={styles.title} accessibilityRole="header">
        {isolated(user.displayName)}
      </Text>
      <Text style={styles.muted}>
        {user.kind === 'member' ? t('moderation:case.memberSince', since) : t('moderation:case.guestSince', since)} ·{' '}
        {t('moderation:case.strikes', { count: file.strikes })}
        {user.role !== 'user' ? ` · ${t(`moderation:role.${user.role}`)}` : ''}
      </Text>
      <Text testID="mod-case-restriction" style={restriction ? styles.warning : styles.muted}>
        {standing ?? t('moderation:case.notRestricted')}
      </Text>

      <Section
        title={t('moderation:case.reportsAbout')}
        empty={t('moderation:case.none')}
        items={file.reports}
        row={(report) => <ReportCard key={report.id} report={report} />}
      />
      <DecisionForm userId={user.id} displayName={user.displayName} onDecided={onDecided} />
      <Section
        title={t('moderation:case.pastDecisions')}
        empty={t('moderation:case.noneYet')}
        items={file.actions}
        row={(action) => <DecisionRow key={action.id} action={action} />}
      />
      <Section
        title={t('moderation:case.reportsMade')}
        empty={t('moderation:case.none')}
        items={file.reportsMade}
        row={(report) => <ReportMadeRow key={report.id} report={report} />}
      />
      <Section
        title={t('moderation:case.connections')}
        empty={t('moderation:case.none')}
        items={file.connections}
        row={(connection) => <ConnectionRow key={connection.id} connection={connection} />}
      />
    </>
  );
}

function Section<T>({
  title,
  empty,
  items,
  row,
}: {
  title: string;
  empty: string;
  items: T[];
  row(item: T): ReactNode;
}) {
  return (
    <View style={styles.section}>
      <Text style={styles.heading} accessibilityRole="header">
        {title}
      </Text>
      {items.length === 0 ? <Text style={styles.muted}>{empty}</Text> : items.map(row)}
    </View>
  );
}

function ReportCard({ report }: { report: ReportAgainst }) {
  const { t } = useTranslation(['moderation', 'report', 'common']);
  const { connection } = report;
  const span = connection ? describeSpan(t, connection) : null;
  return (
    <View testID={`mod-report-${report.id}`} style={styles.card}>
      <Text style={styles.text}>
        {t('moderation:case.report', {
          reason: t(reasonKey(report.reason)),
          reporter: isolated(report.reporter.displayName),
          status: t(`moderation:reportStatus.${report.status}`),
        })}
      </Text>
      <Text style={styles.muted}>
        {formatDateTime(report.createdAt)}
        {connection && span
          ? ` · ${connection.category ? t('moderation:case.inCategory', { category: categoryName(connection.category), span }) : t('moderation:case.inDirectCall', { span })}`
          : ''}
      </Text>
      {report.note ? (
        <Text testID={`mod-report-note-${report.id}`} style={styles.note}>
          {isolated(report.note)}
        </Text>
      ) : null}
      {report.evidence.length > 0 && (
        <View style={styles.evidence}>
          {report.evidence.map((id) => (
            <EvidenceThumbnail key={id} evidenceId={id} />
          ))}
        </View>
      )}
    </View>
  );
}

function DecisionRow({ action }: { action: ModAction }) {
  const { t } = useTranslation(['moderation', 'common']);
  const kind = t(`moderation:action.${action.action}`);
  return (
    <View testID={`mod-past-${action.id}`} style={styles.card}>
      <Text style={styles.text}>
        {t('moderation:case.decision', {
          action: action.until ? t('moderation:until', { what: kind, date: formatDateTime(action.until) }) : kind,
          moderator: isolated(action.moderator.displayName),
          date: formatDateTime(action.createdAt),
        })}
      </Text>
      <Text style={styles.note}>{isolated(action.reason)}</Text>
    </View>
  );
}

function ReportMadeRow({ report }: { report: ReportMade }) {
  const { t } = useTranslation(['moderation', 'report', 'common']);
  return (
    <Text style={styles.muted}>
      {t('moderation:case.reportMade', {
        date: formatDateTime(report.createdAt),
        reason: t(reasonKey(report.reason)),
        name: isolated(report.user.displayName),
        status: t(`moderation:reportStatus.${report.status}`),
      })}
    </Text>
  );
}

function ConnectionRow({ connection }: { connection: ModConnection }) {
  const { t } = useTranslation(['moderation', 'report', 'common']);
  return (
    <Text style={styles.muted}>
      {t('moderation:case.connection', {
        name: isolated(connection.peer.displayName),
        category: connection.category ? categoryName(connection.category) : t('moderation:case.directCall'),
        span: describeSpan(t, connection),
      })}
    </Text>
  );
}

function describeSpan(t: T, connection: ModConnection): string {
  if (connection.endedAt === null) return t('moderation:case.spanOpen', { date: formatDateTime(connection.startedAt) });
  const seconds = (Date.parse(connection.endedAt) - Date.parse(connection.startedAt)) / 1000;
  return t('moderation:case.spanClosed', {
    date: formatDateTime(connection.startedAt),
    duration: formatDuration(seconds),
  });
}

const styles = StyleSheet.create({
  page: { gap: space.m },
  back: { alignSelf: 'flex-start' },
  title: { color: colors.text, fontSize: 22, fontWeight: '700' },
  section: { gap: space.s },
  heading: { color: colors.text, fontSize: 18, fontWeight: '700' },
  card: { backgroundColor: colors.surface, borderRadius: 12, padding: space.m, gap: space.xs },
  evidence: { flexDirection: 'row', flexWrap: 'wrap', gap: space.s },
  text: { color: colors.text, fontSize: 15 },
  note: { color: colors.text, fontSize: 15, fontStyle: 'italic' },
  muted: { color: colors.textMuted, fontSize: 13 },
  warning: { color: colors.warning, fontSize: 14 },
  error: { color: colors.danger },
});
