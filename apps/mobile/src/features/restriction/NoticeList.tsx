import { StyleSheet, Text, View } from 'react-native';
import type { Notice, NoticeKind } from '@small-talk/protocol';
import { isolated } from '../../ui/bidi';
import { colors, space } from '../../ui/theme';
import { formatWhen } from './formatWhen';

/** What each kind of notice is called where the user reads it. */
const noticeTitle: Record<NoticeKind, string> = {
  warning: 'Warning',
  suspension: 'Suspension',
  ban: 'Ban',
  restored: 'Restriction lifted',
  appeal_upheld: 'Appeal rejected: the decision stands',
  appeal_overturned: 'Appeal accepted: the decision was reversed',
};

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
  return (
    <View testID={`notice-${notice.id}`} style={styles.row}>
      <Text style={styles.title}>{noticeTitle[notice.kind]}</Text>
      {/* A moderator's words: isolated, so right-to-left text cannot reorder what is around it. */}
      <Text testID={`notice-reason-${notice.id}`} style={styles.reason}>
        {isolated(notice.reason)}
      </Text>
      <Text style={styles.muted}>
        {formatWhen(notice.createdAt)}
        {notice.automated ? ' · set automatically after several reports' : ''}
        {notice.until ? ` · until ${formatWhen(notice.until)}` : ''}
      </Text>
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
