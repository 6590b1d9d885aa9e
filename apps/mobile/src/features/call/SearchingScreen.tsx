import { ActivityIndicator, Platform, StyleSheet, Text, View } from 'react-native';
import type { MediaProblem } from '../../platform/types';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { formatElapsed, useElapsed } from './useElapsed';
import type { LocalMedia } from './useMatch';

export interface SearchingScreenProps {
  media: LocalMedia;
  /** When the wait began, while queued. */
  queuedAt: number | null;
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

function AskingForCamera() {
  return (
    <>
      <ActivityIndicator color={colors.accent} size="large" />
      <Text style={styles.title}>Starting your camera…</Text>
      <Text style={styles.text}>
        {Platform.OS === 'web' ? 'If your browser asks, allow the camera and microphone.' : 'If asked, allow the camera and microphone.'}
      </Text>
    </>
  );
}

function CameraProblem({ problem, onRetry }: { problem: MediaProblem; onRetry(): void }) {
  return (
    <>
      <Text style={styles.title} accessibilityRole="header">
        {problemTitle[problem]}
      </Text>
      <Text testID="media-error" style={styles.text} accessibilityRole="alert">
        {problemExplanation(problem)}
      </Text>
      <Button testID="retry-media" title="Retry" onPress={onRetry} />
    </>
  );
}

function Waiting({ queuedAt, categoryNames, offline, searchStopped, onRetrySearch }: SearchingScreenProps) {
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
      <Text testID="elapsed" style={styles.elapsed} accessibilityLabel={elapsed === null ? undefined : `waiting for ${elapsed} seconds`}>
        {formatElapsed(elapsed ?? 0)}
      </Text>
      {offline && <Text style={styles.text}>Connecting to Small Talk…</Text>}
    </>
  );
}

const problemTitle: Record<MediaProblem, string> = {
  denied: 'Camera and microphone are blocked',
  'no-device': 'No camera or microphone found',
  'in-use': 'Your camera is busy',
  insecure: 'This page cannot use a camera',
  unknown: "Your camera didn't start",
};

function problemExplanation(problem: MediaProblem): string {
  switch (problem) {
    case 'denied':
      return Platform.OS === 'web'
        ? "Small Talk needs your camera and microphone for a video call. Allow them for this site (the camera icon in the address bar), then press Retry."
        : 'Small Talk needs your camera and microphone for a video call. Allow them for Small Talk in Settings, then press Retry.';
    case 'no-device':
      return 'A video call needs a camera and a microphone. Connect them (or close what hides them), then press Retry.';
    case 'in-use':
      return 'Another app is using your camera or microphone. Close it, then press Retry.';
    case 'insecure':
      return 'Browsers only give a camera to secure pages. Open Small Talk over https (or on localhost).';
    case 'unknown':
      return 'Something went wrong starting your camera or microphone. Press Retry to try again.';
  }
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.xl, justifyContent: 'space-between' },
  body: { flex: 1, alignItems: 'center', justifyContent: 'center', gap: space.m, maxWidth: 480, alignSelf: 'center' },
  title: { color: colors.text, fontSize: 22, fontWeight: '700', textAlign: 'center' },
  text: { color: colors.textMuted, fontSize: 16, textAlign: 'center' },
  elapsed: { color: colors.text, fontSize: 40, fontVariant: ['tabular-nums'], fontWeight: '300' },
});
