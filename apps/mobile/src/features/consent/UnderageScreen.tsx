import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import { colors, space } from '../../ui/theme';

/**
 * Shown once the server found the user under the minimum age, and at every start after. A
 * neutral age screen: it says why, and offers no way to try another date.
 */
export function UnderageScreen() {
  const { t } = useTranslation(['consent']);
  return (
    <View testID="underage-screen" style={styles.root}>
      <Text style={styles.title} accessibilityRole="header">
        {t('consent:underage.title')}
      </Text>
      <Text style={styles.text}>{t('consent:underage.text')}</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.xl, gap: space.m, justifyContent: 'center' },
  title: { color: colors.text, fontSize: 22, fontWeight: '700' },
  text: { color: colors.textMuted, fontSize: 16, lineHeight: 22 },
});
