import { useState } from 'react';
import { ActivityIndicator, Image, Pressable, StyleSheet, Text, type ImageStyle } from 'react-native';
import { useTranslation } from 'react-i18next';
import { describeApiError } from '../../api';
import { colors, space } from '../../ui/theme';
import { useLoaded } from './useLoaded';

/**
 * A report's snapshot, blurred and grey until the moderator presses it: what people report can
 * be hard to look at, so seeing it is a choice made each time. The bytes come through the API
 * with the session (an <Image> can't send it); the server writes each fetch to the audit log.
 */
export function EvidenceThumbnail({ evidenceId }: { evidenceId: string }) {
  const { t } = useTranslation(['moderation', 'common']);
  const image = useLoaded((api) => api.evidence(evidenceId), evidenceId);
  const [revealed, setRevealed] = useState(false);
  return (
    <Pressable
      testID={`mod-evidence-${evidenceId}`}
      accessibilityRole="button"
      accessibilityLabel={revealed ? t('moderation:evidence.shown') : t('moderation:evidence.hidden')}
      accessibilityState={{ expanded: revealed }}
      onPress={() => setRevealed(true)}
      style={styles.frame}
    >
      {image.status === 'loading' && (
        <ActivityIndicator color={colors.accent} accessibilityLabel={t('common:loading')} />
      )}
      {image.status === 'failed' && <Text style={styles.error}>{describeApiError(image.error)}</Text>}
      {image.status === 'ready' && (
        <Image
          testID={`mod-evidence-image-${evidenceId}`}
          source={{ uri: image.value }}
          // blurRadius works everywhere; the grey filter on the web and Android (iOS keeps the colour, blurred).
          blurRadius={revealed ? 0 : HIDDEN_BLUR}
          style={[styles.image, !revealed && grey]}
          resizeMode="contain"
        />
      )}
      {!revealed && image.status === 'ready' && <Text style={styles.hint}>{t('moderation:evidence.pressToShow')}</Text>}
    </Pressable>
  );
}

/** Enough to hide what a snapshot shows, not that there is one. */
const HIDDEN_BLUR = 16;
/** ImageStyle's type lacks `filter`, which react-native-web's Image applies along with the blur. */
const grey = { filter: 'grayscale(1)' } as ImageStyle;

const styles = StyleSheet.create({
  frame: {
    width: 160,
    height: 120,
    borderRadius: 8,
    overflow: 'hidden',
    backgroundColor: colors.surfaceRaised,
    alignItems: 'center',
    justifyContent: 'center',
  },
  image: { width: 160, height: 120 },
  hint: { position: 'absolute', color: colors.text, fontSize: 13, fontWeight: '600', padding: space.xs },
  error: { color: colors.danger, fontSize: 12, padding: space.xs },
});
