import { useState, type ReactNode } from 'react';
import { ActivityIndicator, ScrollView, StyleSheet, Text, View } from 'react-native';
import type { Block, Report, ReportStatus } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { formatWhen } from '../history/HistoryScreen';
import { reasonLabel } from '../report/reasons';
import { ShieldSettingRow } from '../shield/ShieldSettingRow';
import { useSafety, type Part } from './useSafety';

/** What a report's status means to the person who sent it. */
const statusText: Record<ReportStatus, string> = {
  open: 'Open: a moderator will look at it',
  actioned: 'Actioned: a moderator took action',
  dismissed: 'Closed: no rule was found broken',
};

/** The user's side of safety: the shield, its reports and what became of them, who it blocked, the rules, and whom to write to. */
export function SafetyScreen({ onBack }: { onBack(): void }) {
  const safety = useSafety();
  return (
    <View testID="safety" style={styles.root}>
      <View style={styles.header}>
        <Button testID="safety-back" variant="link" title="‹ Back" onPress={onBack} />
        <Text style={styles.title} accessibilityRole="header">
          Safety
        </Text>
      </View>
      <ScrollView contentContainerStyle={styles.content}>
        <View style={styles.section}>
          <Text style={styles.heading} accessibilityRole="header">
            Shield
          </Text>
          <ShieldSettingRow />
        </View>

        <Section title="Your reports" part={safety.reports} onRetry={safety.reload}>
          {(reports) => (reports.length === 0 ? <Text style={styles.empty}>You have not reported anyone.</Text> : reports.map((report) => <ReportRow key={report.id} report={report} />))}
        </Section>

        <Section title="People you blocked" part={safety.blocks} onRetry={safety.reload}>
          {(blocks) =>
            blocks.length === 0 ? (
              <Text style={styles.empty}>Nobody. Block someone from a call or from History, and you won&apos;t meet again.</Text>
            ) : (
              blocks.map((block) => <BlockedRow key={block.user.id} block={block} unblock={safety.unblock} />)
            )
          }
        </Section>

        <Section title="The rules" part={safety.rules} onRetry={safety.reload}>
          {(rules) => (
            <>
              <Text testID="safety-rules" style={styles.rules}>
                {rules.text}
              </Text>
              <Text style={styles.heading}>Contact</Text>
              {rules.contactEmail ? (
                <Text testID="safety-contact" style={styles.text} selectable>
                  Write to {rules.contactEmail} about anything on Small Talk that worries you, or about a report.
                </Text>
              ) : (
                <Text style={styles.empty}>This server has not published a contact address.</Text>
              )}
            </>
          )}
        </Section>
      </ScrollView>
    </View>
  );
}

function Section<T>({ title, part, onRetry, children }: { title: string; part: Part<T>; onRetry(): void; children(value: T): ReactNode }) {
  return (
    <View style={styles.section}>
      <Text style={styles.heading} accessibilityRole="header">
        {title}
      </Text>
      {part.status === 'loading' && <ActivityIndicator color={colors.accent} />}
      {part.status === 'failed' && (
        <View style={styles.failed}>
          <Text style={styles.error}>{part.error}</Text>
          <Button variant="link" title="Retry" onPress={onRetry} />
        </View>
      )}
      {part.status === 'ready' && children(part.value)}
    </View>
  );
}

function ReportRow({ report }: { report: Report }) {
  return (
    <View testID={`my-report-${report.id}`} style={styles.row}>
      <View style={styles.rowMain}>
        <Text style={styles.text}>{reasonLabel(report.reason)}</Text>
        <Text style={styles.muted}>{formatWhen(report.createdAt)}</Text>
      </View>
      <Text testID={`my-report-status-${report.id}`} style={[styles.status, report.status === 'open' ? styles.statusOpen : styles.muted]}>
        {statusText[report.status]}
      </Text>
    </View>
  );
}

function BlockedRow({ block, unblock }: { block: Block; unblock(userId: string): Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { user } = block;
  const press = () => {
    setBusy(true);
    setError(null);
    // On success the row goes away with the list; only a failure stays to be said.
    unblock(user.id).catch((failure: Error) => {
      setBusy(false);
      setError(failure.message);
    });
  };
  return (
    <View testID={`blocked-${user.id}`} style={styles.row}>
      <View style={styles.rowMain}>
        <Text style={styles.text}>{user.displayName}</Text>
        <Button testID={`unblock-${user.id}`} variant="link" title="Unblock" accessibilityLabel={`Unblock ${user.displayName}`} busy={busy} onPress={press} />
      </View>
      <Text style={styles.muted}>Blocked {formatWhen(block.createdAt)}</Text>
      {error && <Text style={styles.error}>{error}</Text>}
    </View>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.l },
  header: { flexDirection: 'row', alignItems: 'center', gap: space.s },
  title: { color: colors.text, fontSize: 22, fontWeight: '700' },
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
