import { useState, type ReactNode } from 'react';
import { Pressable, ScrollView, StyleSheet, Text, TextInput, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { Peer, ReportReason } from '@small-talk/protocol';
import { Button } from '../../ui/Button';
import { useFocusOnOpen } from '../../ui/focus';
import { spaceActivates } from '../../ui/keys';
import { colors, space } from '../../ui/theme';
import { reasonKey, REPORT_REASONS } from './reasons';
import { useReport } from './useReport';

/** The server's limit on a report's note. */
const NOTE_MAX = 1000;

export interface ReportSheetProps {
  peer: Peer;
  /** The connection (history row; the room's id) the report is about. */
  connectionId: string;
  /** Frames taken when the sheet opened (in a call, on the web); null offers no snapshot (history, phones). */
  snapshots: Promise<Blob[]> | null;
  /** Picked already when the sheet opens (Report on the shield's overlay: `nudity`); the user can change it. */
  reason?: ReportReason | null;
  /** The user pressed Submit: in a call, the call ends now, before the server answers. */
  onSubmit?(): void;
  /** Cancel, before anything was sent. */
  onCancel(): void;
  /** Done, once the report is sent. */
  onDone(): void;
  /** What comes after the confirmation besides Done: in a call, "Meet someone new". */
  next?: { title: string; onPress(): void };
}

/**
 * Report a person: a reason, an optional note and, in a call on the web, a snapshot of what
 * the user saw. Then the confirmation: the person is blocked, and what happens next.
 */
export function ReportSheet({
  peer,
  connectionId,
  snapshots,
  reason: preselected = null,
  onSubmit,
  onCancel,
  onDone,
  next,
}: ReportSheetProps) {
  const { t } = useTranslation(['report']);
  const name = peer.displayName;
  const { state, submit } = useReport(peer, connectionId);
  const [reason, setReason] = useState<ReportReason | null>(preselected);
  const [note, setNote] = useState('');
  const [attach, setAttach] = useState(snapshots !== null);

  if (state.status === 'done') {
    return (
      <Sheet key="report-done" testID="report-done" title={t('report:done.title')}>
        <Text style={styles.text}>{t('report:done.text', { name })}</Text>
        {state.snapshotsSent > 0 && <Text style={styles.muted}>{t('report:done.snapshotSent')}</Text>}
        {state.snapshotsFailed && <Text style={styles.muted}>{t('report:done.snapshotFailed')}</Text>}
        <View style={styles.actions}>
          {next && <Button testID="report-next" title={next.title} onPress={next.onPress} />}
          <Button
            testID="report-close"
            variant={next ? 'secondary' : 'primary'}
            title={t('report:done.close')}
            onPress={onDone}
          />
        </View>
      </Sheet>
    );
  }

  const sending = state.status === 'sending';
  const send = () => {
    if (!reason) return;
    onSubmit?.();
    submit({ reason, note, snapshots: attach ? snapshots : null });
  };

  return (
    <Sheet key="report-sheet" testID="report-sheet" title={t('report:sheet.title', { name })}>
      <Text style={styles.muted}>{t('report:sheet.intro')}</Text>
      <View accessibilityRole="radiogroup" accessibilityLabel={t('report:sheet.reasonsLabel')} style={styles.reasons}>
        {REPORT_REASONS.map((value) => (
          <Choice
            key={value}
            testID={`report-reason-${value}`}
            role="radio"
            checked={reason === value}
            label={t(reasonKey(value))}
            onPress={() => setReason(value)}
          />
        ))}
      </View>
      <TextInput
        testID="report-note"
        value={note}
        onChangeText={setNote}
        maxLength={NOTE_MAX}
        multiline
        placeholder={t('report:sheet.notePlaceholder')}
        placeholderTextColor={colors.textMuted}
        accessibilityLabel={t('report:sheet.noteLabel')}
        style={styles.note}
      />
      {snapshots !== null && (
        <Choice
          testID="report-attach"
          role="checkbox"
          checked={attach}
          label={t('report:sheet.attach')}
          hint={t('report:sheet.attachHint')}
          onPress={() => setAttach((on) => !on)}
        />
      )}
      {state.status === 'editing' && state.error && (
        <Text testID="report-error" style={styles.error} accessibilityRole="alert">
          {state.error}
        </Text>
      )}
      <View style={styles.actions}>
        <Button
          testID="report-cancel"
          variant="secondary"
          title={t('report:sheet.cancel')}
          onPress={onCancel}
          disabled={sending}
        />
        <Button
          testID="report-submit"
          variant="danger"
          title={t('report:sheet.submit')}
          accessibilityLabel={t('report:sheet.submitLabel', { name })}
          onPress={send}
          disabled={!reason}
          busy={sending}
        />
      </View>
    </Sheet>
  );
}

function Sheet({ testID, title, children }: { testID: string; title: string; children: ReactNode }) {
  // The keyboard focus comes onto the sheet as it opens (web), and back to Report as it closes.
  const card = useFocusOnOpen();
  return (
    <View style={styles.backdrop} accessibilityViewIsModal>
      <View ref={card} tabIndex={-1} testID={testID} style={styles.card}>
        <ScrollView contentContainerStyle={styles.content}>
          <Text style={styles.title} accessibilityRole="header">
            {title}
          </Text>
          {children}
        </ScrollView>
      </View>
    </View>
  );
}

function Choice({
  testID,
  role,
  checked,
  label,
  hint,
  onPress,
}: {
  testID: string;
  role: 'radio' | 'checkbox';
  checked: boolean;
  label: string;
  hint?: string;
  onPress(): void;
}) {
  return (
    <Pressable
      testID={testID}
      role={role}
      // aria-checked is what react-native-web renders (and what tests outside read); accessibilityState is the native one.
      aria-checked={checked}
      accessibilityState={{ checked }}
      // The name is the label alone; the line under it is the hint.
      accessibilityLabel={label}
      accessibilityHint={hint}
      onPress={onPress}
      {...spaceActivates(onPress)}
      style={[styles.choice, checked && styles.choiceOn]}
    >
      <View style={[styles.mark, role === 'radio' && styles.markRound, checked && styles.markOn]} />
      <View style={styles.choiceText}>
        <Text style={styles.text}>{label}</Text>
        {hint && <Text style={styles.muted}>{hint}</Text>}
      </View>
    </Pressable>
  );
}

const styles = StyleSheet.create({
  backdrop: {
    position: 'absolute',
    top: 0,
    left: 0,
    right: 0,
    bottom: 0,
    backgroundColor: 'rgba(0,0,0,0.7)',
    alignItems: 'center',
    justifyContent: 'center',
    padding: space.l,
  },
  card: {
    width: '100%',
    maxWidth: 440,
    maxHeight: '100%',
    borderRadius: 18,
    backgroundColor: colors.surface,
    borderWidth: 1,
    borderColor: colors.border,
  },
  content: { padding: space.xl, gap: space.m },
  title: { color: colors.text, fontSize: 20, fontWeight: '700' },
  text: { color: colors.text, fontSize: 16 },
  muted: { color: colors.textMuted, fontSize: 14 },
  error: { color: colors.danger },
  reasons: { gap: space.xs },
  choice: {
    flexDirection: 'row',
    alignItems: 'center',
    gap: space.m,
    padding: space.s,
    borderRadius: 10,
    borderWidth: 1,
    borderColor: colors.border,
  },
  choiceOn: { borderColor: colors.accent, backgroundColor: colors.surfaceRaised },
  choiceText: { flexShrink: 1, gap: 2 },
  mark: { width: 18, height: 18, borderRadius: 4, borderWidth: 2, borderColor: colors.textMuted },
  markRound: { borderRadius: 9 },
  markOn: { borderColor: colors.accent, backgroundColor: colors.accent },
  note: {
    minHeight: 72,
    color: colors.text,
    backgroundColor: colors.background,
    borderRadius: 10,
    borderWidth: 1,
    borderColor: colors.border,
    padding: space.m,
    textAlignVertical: 'top',
  },
  actions: { flexDirection: 'row', flexWrap: 'wrap', justifyContent: 'flex-end', gap: space.s },
});
