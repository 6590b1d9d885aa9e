import { ActivityIndicator, ScrollView, StyleSheet, Text, View } from 'react-native';
import type { SmallTalkClient } from '@small-talk/client';
import type { Appeal, Notice, Restriction } from '@small-talk/protocol';
import { useTranslation } from 'react-i18next';
import { describeApiError } from '../../api';
import { formatDateTime } from '../../i18n/format';
import { Button } from '../../ui/Button';
import { isolated } from '../../ui/bidi';
import { colors, space } from '../../ui/theme';
import { AppealForm } from './AppealForm';
import { NoticeList } from './NoticeList';
import { useNotices } from './useNotices';

/**
 * Instead of Categories while the user may not meet anyone (suspended or banned): why, and
 * until when, every statement of reasons it was sent, and the appeal form. Underage users see
 * the neutral UnderageScreen instead. `client`: the signed-in user's, whose `notice` frames
 * bring news; a banned member reading with its appeal token has none.
 */
export function RestrictionScreen({
  restriction,
  onSignOut,
  client,
}: {
  restriction: Restriction;
  onSignOut(): void;
  client?: SmallTalkClient;
}) {
  const { t } = useTranslation(['restriction', 'common']);
  const notices = useNotices(client);
  return (
    <ScrollView testID="restriction-screen" style={styles.root} contentContainerStyle={styles.content}>
      <Text style={styles.title} accessibilityRole="header">
        {restriction.kind === 'banned' ? t('restriction:bannedTitle') : t('restriction:suspendedTitle')}
      </Text>
      <Text testID="restriction-reason" style={styles.reason}>
        {isolated(restriction.reason)}
      </Text>
      <Text testID="restriction-until" style={styles.text}>
        {restriction.kind === 'banned'
          ? t('restriction:end.banned')
          : restriction.until === null
            ? t('restriction:end.review')
            : t('restriction:end.until', { when: formatDateTime(restriction.until) })}
      </Text>
      {notices.status === 'loading' && (
        <ActivityIndicator color={colors.accent} accessibilityLabel={t('common:loading')} />
      )}
      {notices.status === 'failed' && (
        <View style={styles.failed}>
          <Text style={styles.error}>{describeApiError(notices.error)}</Text>
          <Button variant="link" title={t('restriction:retry')} onPress={notices.reload} />
        </View>
      )}
      {notices.status === 'ready' && (
        <>
          <NoticeList notices={notices.notices} />
          <AppealPart
            restriction={restriction}
            notices={notices.notices}
            appeals={notices.appeals}
            onFiled={notices.reload}
          />
        </>
      )}
      <Button
        title={t('common:signOut')}
        variant="secondary"
        onPress={onSignOut}
        testID="restriction-sign-out"
        style={styles.signOut}
      />
    </ScrollView>
  );
}

/** The form while the restriction can still be appealed; word of the open appeal once filed. */
function AppealPart({
  restriction,
  notices,
  appeals,
  onFiled,
}: {
  restriction: Restriction;
  notices: Notice[];
  appeals: Appeal[];
  onFiled(): void;
}) {
  const open = appeals.some((appeal) => appeal.status === 'open');
  const appealable = restriction.appealable && notices.some((notice) => notice.appealable);
  if (!open && !appealable) return null;
  return <AppealForm open={open} onFiled={onFiled} />;
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background },
  content: { flexGrow: 1, padding: space.xl, gap: space.m, justifyContent: 'center', maxWidth: 720 },
  title: { color: colors.text, fontSize: 22, fontWeight: '700' },
  reason: { color: colors.text, fontSize: 16, lineHeight: 22 },
  text: { color: colors.textMuted, fontSize: 15, lineHeight: 21 },
  error: { color: colors.danger, flexShrink: 1 },
  failed: { flexDirection: 'row', alignItems: 'center', gap: space.s },
  signOut: { alignSelf: 'flex-start', marginTop: space.m },
});
