import { ActivityIndicator, Platform, StyleSheet, Text } from 'react-native';
import { useTranslation } from 'react-i18next';
import type { MediaProblem } from '../../platform/types';
import { Button } from '../../ui/Button';
import { colors } from '../../ui/theme';

/**
 * Before a call can show: the camera and microphone being asked for, or why they can't be had
 * (with Retry), never a blank screen. Shared by Searching and a friend's call.
 */
export function AskingForCamera() {
  const { t } = useTranslation(['call']);
  return (
    <>
      <ActivityIndicator color={colors.accent} size="large" aria-hidden />
      <Text style={styles.title} accessibilityRole="header">
        {t('call:media.starting')}
      </Text>
      <Text style={styles.text}>{Platform.OS === 'web' ? t('call:media.allowWeb') : t('call:media.allowNative')}</Text>
    </>
  );
}

export function CameraProblem({ problem, onRetry }: { problem: MediaProblem; onRetry(): void }) {
  const { t } = useTranslation(['call']);
  return (
    <>
      <Text style={styles.title} accessibilityRole="header">
        {t(problemTitle[problem])}
      </Text>
      <Text testID="media-error" style={styles.text} accessibilityRole="alert">
        {t(problemExplanation(problem))}
      </Text>
      <Button testID="retry-media" title={t('call:media.retry')} onPress={onRetry} />
    </>
  );
}

const problemTitle = {
  denied: 'call:media.title.denied',
  'no-device': 'call:media.title.noDevice',
  'in-use': 'call:media.title.inUse',
  insecure: 'call:media.title.insecure',
  unknown: 'call:media.title.unknown',
} as const satisfies Record<MediaProblem, string>;

function problemExplanation(problem: MediaProblem) {
  switch (problem) {
    case 'denied':
      // Where the permission is given differs: the browser's address bar, or the phone's Settings.
      return Platform.OS === 'web'
        ? ('call:media.explain.deniedWeb' as const)
        : ('call:media.explain.deniedNative' as const);
    case 'no-device':
      return 'call:media.explain.noDevice' as const;
    case 'in-use':
      return 'call:media.explain.inUse' as const;
    case 'insecure':
      return 'call:media.explain.insecure' as const;
    case 'unknown':
      return 'call:media.explain.unknown' as const;
  }
}

const styles = StyleSheet.create({
  title: { color: colors.text, fontSize: 22, fontWeight: '700', textAlign: 'center' },
  text: { color: colors.textMuted, fontSize: 16, textAlign: 'center' },
});
