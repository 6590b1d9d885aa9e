import { ActivityIndicator, Platform, StyleSheet, Text } from 'react-native';
import type { MediaProblem } from '../../platform/types';
import { Button } from '../../ui/Button';
import { colors } from '../../ui/theme';

/**
 * Before a call can show: the camera and microphone being asked for, or why they can't be had
 * (with Retry), never a blank screen. Shared by Searching and a friend's call.
 */
export function AskingForCamera() {
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

export function CameraProblem({ problem, onRetry }: { problem: MediaProblem; onRetry(): void }) {
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
  title: { color: colors.text, fontSize: 22, fontWeight: '700', textAlign: 'center' },
  text: { color: colors.textMuted, fontSize: 16, textAlign: 'center' },
});
