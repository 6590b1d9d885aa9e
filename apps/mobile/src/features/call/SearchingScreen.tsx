import { ActivityIndicator, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import { formatClock } from '../../i18n/format';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { AskingForCamera, CameraProblem } from './MediaStatus';
import { useElapsed } from './useElapsed';
import type { LocalMedia } from './useLocalMedia';
import type { SearchStop } from './useMatch';

export interface SearchingScreenProps {
  media: LocalMedia;
  /** When the wait began, while queued. */
  queuedAt: number | null;
  /** The search now reaches beyond the categories (the user said `anyone` and waited). */
  widened?: boolean;
  /** The categories searched, as the user knows them (names). */
  categoryNames: readonly string[];
  /** The socket isn't open yet (or again): the join goes out once it is. */
  offline: boolean;
  /** Why the search stopped without a match, if it did. */
  searchStopped: SearchStop | null;
  onCancel(): void;
  onRetryMedia(): void;
  onRetrySearch(): void;
}

/**
 * Between Start and a match: first the camera and microphone (with an explanation and Retry
 * when they can't be had, never a blank screen), then the wait with its elapsed time.
 */
export function SearchingScreen(props: SearchingScreenProps) {
  const { media, onCancel } = props;
  const { t } = useTranslation(['call']);
  return (
    <View testID="searching" style={styles.root}>
      <View style={styles.body}>
        {media.status === 'requesting' && <AskingForCamera />}
        {media.status === 'failed' && <CameraProblem problem={media.problem} onRetry={props.onRetryMedia} />}
        {media.status === 'ready' && <Waiting {...props} />}
      </View>
      <Button testID="cancel-search" variant="secondary" title={t('call:search.cancel')} onPress={onCancel} />
    </View>
  );
}

function Waiting({
  queuedAt,
  widened = false,
  categoryNames,
  offline,
  searchStopped,
  onRetrySearch,
}: SearchingScreenProps) {
  const { t } = useTranslation(['call']);
  const elapsed = useElapsed(queuedAt);
  if (searchStopped) {
    return (
      <>
        <Text style={styles.title} accessibilityRole="header">
          {t('call:search.stopped')}
        </Text>
        <Text testID="search-stopped" style={styles.text} accessibilityRole="alert">
          {t(stopKey[searchStopped])}
        </Text>
        <Button testID="retry-search" title={t('call:search.again')} onPress={onRetrySearch} />
      </>
    );
  }
  return (
    <>
      <ActivityIndicator color={colors.accent} size="large" aria-hidden />
      <Text style={styles.title} accessibilityRole="header">
        {t('call:search.looking')}
      </Text>
      <Text style={styles.text}>{categoryNames.join(' · ')}</Text>
      {widened && (
        <Text testID="search-widened" style={styles.widened} accessibilityLiveRegion="polite">
          {t('call:search.widened')}
        </Text>
      )}
      <Text
        testID="elapsed"
        style={styles.elapsed}
        accessibilityLabel={elapsed === null ? undefined : t('call:search.waitingFor', { count: elapsed })}
      >
        {formatClock(elapsed ?? 0)}
      </Text>
      {offline && <Text style={styles.text}>{t('call:search.connecting')}</Text>}
    </>
  );
}

const stopKey = {
  lost: 'call:search.lost',
  'unknown-category': 'call:search.refusedCategory',
  refused: 'call:search.refused',
  'verification-required': 'call:search.verificationRequired',
} as const satisfies Record<SearchStop, string>;

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.xl, justifyContent: 'space-between' },
  body: { flex: 1, alignItems: 'center', justifyContent: 'center', gap: space.m, maxWidth: 480, alignSelf: 'center' },
  title: { color: colors.text, fontSize: 22, fontWeight: '700', textAlign: 'center' },
  text: { color: colors.textMuted, fontSize: 16, textAlign: 'center' },
  widened: { color: colors.accent, fontSize: 15, textAlign: 'center' },
  elapsed: { color: colors.text, fontSize: 40, fontVariant: ['tabular-nums'], fontWeight: '300' },
});
