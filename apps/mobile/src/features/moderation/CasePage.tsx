import type { ReactNode } from 'react';
import { ActivityIndicator, StyleSheet, Text, View } from 'react-native';
import type { ModAction, ModConnection, ModUserResponse, ReportAgainst, ReportMade } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { isolated } from '../../ui/bidi';
import { colors, space } from '../../ui/theme';
import { reasonLabel } from '../report/reasons';
import { formatWhen } from '../restriction/formatWhen';
import { DecisionForm } from './DecisionForm';
import { EvidenceThumbnail } from './EvidenceThumbnail';
import { useLoaded } from './useLoaded';

/** One reported user: what was reported, with notes and snapshots, what it reported, whom it met, what was decided before, and the decision. */
export function CasePage({ userId, onBack }: { userId: string; onBack(): void }) {
  const file = useLoaded((api) => api.caseFile(userId), userId);
  return (
    <View testID="mod-case" style={styles.page}>
      <Button testID="mod-case-back" variant="link" title="‹ Queue" onPress={onBack} style={styles.back} />
      {file.status === 'loading' && <ActivityIndicator color={colors.accent} />}
      {file.status === 'failed' && <Text style={styles.error}>{file.error}</Text>}
      {file.status === 'ready' && <CaseFile file={file.value} onDecided={file.reload} />}
    </View>
  );
}

function CaseFile({ file, onDecided }: { file: ModUserResponse; onDecided(): void }) {
  const { user, restriction } = file;
  return (
    <>
      <Text testID="mod-case-user" style={styles.title} accessibilityRole="header">
        {isolated(user.displayName)}
      </Text>
      <Text style={styles.muted}>
        {user.kind === 'member' ? 'Member' : 'Guest'} since {formatWhen(user.createdAt)} · {file.strikes} {file.strikes === 1 ? 'strike' : 'strikes'}
        {user.role !== 'user' ? ` · ${user.role}` : ''}
      </Text>
      <Text testID="mod-case-restriction" style={restriction ? styles.warning : styles.muted}>
        {restriction
          ? `${restriction.automated ? 'Automatically ' : ''}${restriction.kind}${restriction.until ? ` until ${formatWhen(restriction.until)}` : ''}: ${isolated(restriction.reason)}`
          : 'Not restricted'}
      </Text>

      <Section title="Reports about this user" empty="None." items={file.reports} row={(report) => <ReportCard key={report.id} report={report} />} />
      <DecisionForm userId={user.id} displayName={user.displayName} onDecided={onDecided} />
      <Section title="Past decisions" empty="None yet." items={file.actions} row={(action) => <DecisionRow key={action.id} action={action} />} />
      <Section title="Reports this user made" empty="None." items={file.reportsMade} row={(report) => <ReportMadeRow key={report.id} report={report} />} />
      <Section title="Recent connections" empty="None." items={file.connections} row={(connection) => <ConnectionRow key={connection.id} connection={connection} />} />
    </>
  );
}

function Section<T>({ title, empty, items, row }: { title: string; empty: string; items: T[]; row(item: T): ReactNode }) {
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
  return (
    <View testID={`mod-report-${report.id}`} style={styles.card}>
      <Text style={styles.text}>
        {reasonLabel(report.reason)} · by {isolated(report.reporter.displayName)} · {report.status}
      </Text>
      <Text style={styles.muted}>
        {formatWhen(report.createdAt)}
        {report.connection ? ` · in ${report.connection.category ?? 'a direct call'}, ${describeSpan(report.connection)}` : ''}
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
  return (
    <View testID={`mod-past-${action.id}`} style={styles.card}>
      <Text style={styles.text}>
        {action.action}
        {action.until ? ` until ${formatWhen(action.until)}` : ''} · by {isolated(action.moderator.displayName)} · {formatWhen(action.createdAt)}
      </Text>
      <Text style={styles.note}>{isolated(action.reason)}</Text>
    </View>
  );
}

function ReportMadeRow({ report }: { report: ReportMade }) {
  return (
    <Text style={styles.muted}>
      {formatWhen(report.createdAt)} · {reasonLabel(report.reason)} about {isolated(report.user.displayName)} · {report.status}
    </Text>
  );
}

function ConnectionRow({ connection }: { connection: ModConnection }) {
  return (
    <Text style={styles.muted}>
      {isolated(connection.peer.displayName)} · {connection.category ?? 'direct call'} · {describeSpan(connection)}
    </Text>
  );
}

function describeSpan(connection: ModConnection): string {
  if (connection.endedAt === null) return `from ${formatWhen(connection.startedAt)}`;
  const minutes = Math.max(0, Math.round((Date.parse(connection.endedAt) - Date.parse(connection.startedAt)) / 60_000));
  return `${formatWhen(connection.startedAt)}, ${minutes} min`;
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
