import { ActivityIndicator, StyleSheet, Text, View } from 'react-native';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { AskingForCamera, CameraProblem } from './MediaStatus';
import { formatElapsed, useElapsed } from './useElapsed';
import type { LocalMedia } from './useLocalMedia';

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
  searchStopped: string | null;
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
  return (
    <View testID="searching" style={styles.root}>
      <View style={styles.body}>
        {media.status === 'requesting' && <AskingForCamera />}
        {media.status === 'failed' && <CameraProblem problem={media.problem} onRetry={props.onRetryMedia} />}
        {media.status === 'ready' && <Waiting {...props} />}
      </View>
      <Button testID="cancel-search" variant="secondary" title="Cancel" onPress={onCancel} />
    </View>
  );
}

function Waiting({ queuedAt, widened = false, categoryNames, offline, searchStopped, onRetrySearch }: SearchingScreenProps) {
  const elapsed = useElapsed(queuedAt);
  if (searchStopped) {
    return (
      <>
        <Text style={styles.title}>The search stopped</Text>
        <Text testID="search-stopped" style={styles.text} accessibilityRole="alert">
          {searchStopped}
        </Text>
        <Button testID="retry-search" title="Search again" onPress={onRetrySearch} />
      </>
    );
  }
  return (
    <>
      <ActivityIndicator color={colors.accent} size="large" />
      <Text style={styles.title}>Looking for someone…</Text>
      <Text style={styles.text}>{categoryNames.join(' · ')}</Text>
      {widened && (
        <Text testID="search-widened" style={styles.widened} accessibilityLiveRegion="polite">
          Looking beyond your categories now: anyone who speaks your language.
        </Text>
      )}
      <Text testID="elapsed" style={styles.elapsed} accessibilityLabel={elapsed === null ? undefined : `waiting for ${elapsed} seconds`}>
        {formatElapsed(elapsed ?? 0)}
      </Text>
      {offline && <Text style={styles.text}>Connecting to Small Talk…</Text>}
    </>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.xl, justifyContent: 'space-between' },
  body: { flex: 1, alignItems: 'center', justifyContent: 'center', gap: space.m, maxWidth: 480, alignSelf: 'center' },
  title: { color: colors.text, fontSize: 22, fontWeight: '700', textAlign: 'center' },
  text: { color: colors.textMuted, fontSize: 16, textAlign: 'center' },
  widened: { color: colors.accent, fontSize: 15, textAlign: 'center' },
  elapsed: { color: colors.text, fontSize: 40, fontVariant: ['tabular-nums'], fontWeight: '300' },
});
