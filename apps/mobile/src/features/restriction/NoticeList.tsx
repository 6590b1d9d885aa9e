import { StyleSheet, Text, View } from 'react-native';
import type { Notice } from '@small-talk/protocol';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../../i18n/format';
import { isolated } from '../../ui/bidi';
import { colors, space } from '../../ui/theme';

/** The statements of reasons, newest first, as the server lists them. */
export function NoticeList({ notices }: { notices: Notice[] }) {
  if (notices.length === 0) return null;
  return (
    <View testID="notices" style={styles.list}>
      {notices.map((notice) => (
        <NoticeRow key={notice.id} notice={notice} />
      ))}
    </View>
  );
}

function NoticeRow({ notice }: { notice: Notice }) {
  const { t } = useTranslation(['restriction']);
  const when = [
    formatDateTime(notice.createdAt),
    notice.automated ? t('restriction:notice.automated') : null,
    notice.until ? t('restriction:notice.until', { when: formatDateTime(notice.until) }) : null,
  ].filter((part) => part !== null);
  return (
    <View testID={`notice-${notice.id}`} style={styles.row}>
      {/* Each kind of notice has its own key: restriction:notice.<kind>. */}
      <Text style={styles.title}>{t(`restriction:notice.${notice.kind}`)}</Text>
      {/* A moderator's words: isolated, so right-to-left text cannot reorder what is around it. */}
      <Text testID={`notice-reason-${notice.id}`} style={styles.reason}>
        {isolated(notice.reason)}
      </Text>
      <Text style={styles.muted}>{when.join(' · ')}</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  list: { gap: space.s },
  row: { backgroundColor: colors.surface, borderRadius: 12, padding: space.m, gap: space.xs },
  title: { color: colors.text, fontSize: 16, fontWeight: '600' },
  reason: { color: colors.text, fontSize: 15, lineHeight: 21 },
  muted: { color: colors.textMuted, fontSize: 13 },
});
