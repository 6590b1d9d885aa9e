import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';

/**
 * What the installed app shows when it is opened with no network: the service worker gave it
 * the app itself, but nobody can be met without the server. Says so plainly, with a way to try
 * again (it also moves on by itself when the network comes back).
 */
export function OfflineScreen({
  onRetry,
  checking,
  stillOffline,
}: {
  onRetry: () => void;
  checking: boolean;
  stillOffline: boolean;
}) {
  const { t } = useTranslation(['offline', 'common']);
  return (
    <View testID="offline-screen" style={styles.root}>
      <Text style={styles.title} accessibilityRole="header">
        {t('offline:title')}
      </Text>
      <Text style={styles.text}>{t('offline:text')}</Text>
      {stillOffline && !checking && (
        <Text testID="offline-still" style={styles.text} accessibilityLiveRegion="polite">
          {t('offline:still')}
        </Text>
      )}
      <Button
        testID="offline-retry"
        title={t('common:tryAgain')}
        onPress={onRetry}
        busy={checking}
        style={styles.button}
      />
    </View>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.xl, gap: space.m, justifyContent: 'center' },
  title: { color: colors.text, fontSize: 22, fontWeight: '700' },
  text: { color: colors.textMuted, fontSize: 16, lineHeight: 22 },
  button: { alignSelf: 'flex-start', marginTop: space.s },
});
