import { useCallback, useEffect, useState } from 'react';
import { ActivityIndicator, FlatList, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { Connection } from '@small-talk/protocol';
import { formatDuration as durationInWords, formatWhen } from '../../i18n/format';
import { Button } from '../../ui/Button';
import { ScreenHeader } from '../../ui/ScreenHeader';
import { colors, space } from '../../ui/theme';
import { categoryName } from '../categories/categoryName';
import { AddFriendButton } from '../friends/AddFriendButton';
import { ReportSheet } from '../report/ReportSheet';
import { useBlock } from '../report/useBlock';
import { useHistory } from './useHistory';

export function HistoryScreen({ onBack }: { onBack(): void }) {
  const { t } = useTranslation(['history', 'categories', 'common']);
  const { history, reload } = useHistory();
  // The row whose Report sheet is open, and who was blocked from here (by Block or by a report).
  const [reporting, setReporting] = useState<Connection | null>(null);
  const [blocked, setBlocked] = useState<ReadonlySet<string>>(new Set());
  const markBlocked = useCallback(
    (userId: string) => setBlocked((users) => (users.has(userId) ? users : new Set(users).add(userId))),
    [],
  );
  return (
    <View testID="history" style={styles.root}>
      <ScreenHeader
        title={t('history:title')}
        back={
          <Button
            testID="history-back"
            variant="link"
            title={t('history:back')}
            accessibilityLabel={t('history:backLabel')}
            onPress={onBack}
          />
        }
      />
      {history.status === 'loading' && (
        <ActivityIndicator color={colors.accent} style={styles.loading} accessibilityLabel={t('common:loading')} />
      )}
      {history.status === 'failed' && (
        <View style={styles.center}>
          <Text testID="history-error" style={styles.error}>
            {history.error}
          </Text>
          <Button title={t('history:retry')} onPress={reload} />
        </View>
      )}
      {history.status === 'ready' && (
        <FlatList
          data={history.connections}
          keyExtractor={(connection) => connection.id}
          contentContainerStyle={styles.list}
          ListEmptyComponent={<Text style={styles.empty}>{t('history:empty')}</Text>}
          renderItem={({ item }) => (
            <HistoryRow
              connection={item}
              categoryName={
                item.category ? categoryName(item.category, history.categoryNames.get(item.category)) : null
              }
              blocked={blocked.has(item.peer.id)}
              onReport={() => setReporting(item)}
              onBlocked={() => markBlocked(item.peer.id)}
            />
          )}
        />
      )}
      {reporting && (
        <ReportSheet
          key={reporting.id}
          peer={reporting.peer}
          connectionId={reporting.id}
          snapshots={null}
          onCancel={() => setReporting(null)}
          onDone={() => {
            markBlocked(reporting.peer.id);
            setReporting(null);
          }}
        />
      )}
    </View>
  );
}

interface HistoryRowProps {
  connection: Connection;
  categoryName: string | null;
  /** Blocked from this screen (the server's block list is under Safety). */
  blocked: boolean;
  onReport(): void;
  onBlocked(): void;
}

function HistoryRow({ connection, categoryName, blocked, onReport, onBlocked }: HistoryRowProps) {
  const { t } = useTranslation(['history', 'common']);
  const { peer } = connection;
  const blocker = useBlock(peer.id);
  const justBlocked = blocker.state.status === 'blocked';
  // Every row with this person says Blocked, not only this one.
  useEffect(() => {
    if (justBlocked) onBlocked();
  }, [justBlocked, onBlocked]);
  const isBlocked = blocked || justBlocked;
  return (
    <View testID="history-item" style={styles.row}>
      <View style={styles.rowMain}>
        <Text style={styles.peer}>{connection.peer.displayName}</Text>
        {categoryName && <Text style={styles.category}>{categoryName}</Text>}
      </View>
      <View style={styles.rowFoot}>
        <Text style={styles.when}>
          {formatWhen(connection.startedAt)}
          {' · '}
          {connection.endedAt ? formatDuration(connection.startedAt, connection.endedAt) : t('history:now')}
        </Text>
        <AddFriendButton peer={connection.peer} style={styles.addFriend} />
      </View>
      <View style={styles.rowActions}>
        <Button
          testID="history-report"
          variant="link"
          title={t('history:report')}
          accessibilityLabel={t('history:reportLabel', { name: peer.displayName })}
          onPress={onReport}
        />
        <Button
          testID="history-block"
          variant="link"
          title={
            isBlocked
              ? t('history:blocked')
              : blocker.state.status === 'failed'
                ? t('history:blockRetry')
                : t('history:block')
          }
          accessibilityLabel={
            isBlocked
              ? t('history:blockedLabel', { name: peer.displayName })
              : t('history:blockLabel', { name: peer.displayName })
          }
          busy={blocker.state.status === 'sending'}
          disabled={isBlocked}
          onPress={blocker.block}
        />
      </View>
    </View>
  );
}

/**
 * How long a conversation lasted, in words of the app's language ("45 sec", "13 min", "1 hr 5 min"):
 * to the nearest minute from a minute on, since a row is read at a glance.
 */
export function formatDuration(startIso: string, endIso: string): string {
  const seconds = Math.max(0, Math.round((Date.parse(endIso) - Date.parse(startIso)) / 1000));
  return durationInWords(seconds < 60 ? seconds : Math.round(seconds / 60) * 60);
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.l },
  loading: { marginTop: space.xl },
  center: { alignItems: 'center', gap: space.m, marginTop: space.xl },
  error: { color: colors.danger, textAlign: 'center' },
  list: { paddingVertical: space.m, gap: space.s },
  empty: { color: colors.textMuted, textAlign: 'center', marginTop: space.xl },
  row: { backgroundColor: colors.surface, borderRadius: 12, padding: space.m, gap: space.xs },
  rowMain: { flexDirection: 'row', justifyContent: 'space-between', alignItems: 'baseline' },
  peer: { color: colors.text, fontSize: 17, fontWeight: '600' },
  category: { color: colors.accent, fontSize: 14 },
  rowFoot: { flexDirection: 'row', justifyContent: 'space-between', alignItems: 'center', gap: space.s },
  when: { color: colors.textMuted, fontSize: 13, flexShrink: 1 },
  addFriend: { minHeight: 36, paddingHorizontal: space.m },
  rowActions: { flexDirection: 'row', justifyContent: 'flex-end', gap: space.s },
});
