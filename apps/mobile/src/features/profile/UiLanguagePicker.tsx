import { useState } from 'react';
import { Pressable, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import { currentUiLanguage, setUiLanguage } from '../../i18n/i18n';
import { UI_LANGUAGE_NAMES, UI_LANGUAGES, type UiLanguage } from '../../i18n/languages';
import { spaceActivates } from '../../ui/keys';
import { colors, space } from '../../ui/theme';

/**
 * The language of the app's own words on this device (not the languages the user speaks, which
 * matching uses): every screen switches at once, and the device keeps the choice. Each language
 * is named in itself, so someone who can't read the current one still finds theirs.
 */
export function UiLanguagePicker() {
  // Re-renders when the language changes, here or anywhere else.
  const { t } = useTranslation(['profile']);
  // The one just picked shows as checked at once, while its strings load (a moment, on the web).
  const [picked, setPicked] = useState<UiLanguage | null>(null);
  const current = picked ?? currentUiLanguage();
  const pick = (language: UiLanguage) => {
    setPicked(language);
    void setUiLanguage(language).finally(() => setPicked(null));
  };
  return (
    <View
      testID="ui-language"
      accessibilityRole="radiogroup"
      accessibilityLabel={t('profile:uiLanguage.title')}
      style={styles.section}
    >
      <Text style={styles.label} accessibilityRole="header">
        {t('profile:uiLanguage.title')}
      </Text>
      <Text style={styles.hint}>{t('profile:uiLanguage.hint')}</Text>
      {UI_LANGUAGES.map((code) => {
        const checked = code === current;
        return (
          <Pressable
            key={code}
            testID={`ui-language-${code}`}
            accessibilityRole="radio"
            // aria-checked is what react-native-web renders; accessibilityState is the native one.
            aria-checked={checked}
            accessibilityState={{ checked }}
            accessibilityLabel={UI_LANGUAGE_NAMES[code]}
            onPress={() => pick(code)}
            {...spaceActivates(() => pick(code))}
            style={styles.option}
          >
            <View style={[styles.ring, checked && styles.ringOn]}>{checked ? <View style={styles.dot} /> : null}</View>
            <Text style={styles.text}>{UI_LANGUAGE_NAMES[code]}</Text>
          </Pressable>
        );
      })}
    </View>
  );
}

const styles = StyleSheet.create({
  section: { gap: space.s, marginTop: space.l },
  label: { color: colors.text, fontSize: 16, fontWeight: '600' },
  hint: { color: colors.textMuted },
  option: {
    flexDirection: 'row',
    alignItems: 'center',
    gap: space.m,
    minHeight: 44,
    paddingHorizontal: space.m,
    backgroundColor: colors.surface,
    borderRadius: 10,
  },
  ring: {
    width: 22,
    height: 22,
    borderRadius: 11,
    borderWidth: 2,
    borderColor: colors.textMuted,
    alignItems: 'center',
    justifyContent: 'center',
  },
  ringOn: { borderColor: colors.accent },
  dot: { width: 10, height: 10, borderRadius: 5, backgroundColor: colors.accent },
  text: { color: colors.text, fontSize: 16 },
});
