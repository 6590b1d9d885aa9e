import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import { ApiError, describeApiError } from '../../api';
import { useServices } from '../../services';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { TextField } from '../../ui/TextField';

/** The most an appeal may say (the server's limit). */
const MAX_APPEAL_LENGTH = 2000;

/**
 * Why the decision was wrong, in the user's words: filed once per restriction, and read by a
 * moderator other than the one who decided. `open`: an appeal is already waiting.
 */
export function AppealForm({ open, onFiled }: { open: boolean; onFiled(): void }) {
  const { api } = useServices();
  const { t } = useTranslation(['restriction']);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  // The failure itself, described at render: a language switch re-words it.
  const [error, setError] = useState<unknown>(null);
  const [filed, setFiled] = useState(false);

  if (open || filed) {
    return (
      <Text testID="appeal-open" style={styles.open}>
        {t('restriction:appeal.open')}
      </Text>
    );
  }

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.appeal(text.trim());
      setFiled(true);
      onFiled();
    } catch (failure) {
      // Filed from another device meanwhile: it is open all the same.
      if (failure instanceof ApiError && failure.code === 'already_appealed') {
        setFiled(true);
        onFiled();
      } else setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <View style={styles.form}>
      <Text style={styles.heading} accessibilityRole="header">
        {t('restriction:appeal.title')}
      </Text>
      <Text style={styles.muted}>{t('restriction:appeal.intro')}</Text>
      <TextField
        testID="appeal-text"
        style={styles.input}
        value={text}
        onChangeText={setText}
        multiline
        maxLength={MAX_APPEAL_LENGTH}
        placeholder={t('restriction:appeal.placeholder')}
        accessibilityLabel={t('restriction:appeal.label')}
      />
      {error !== null && (
        <Text style={styles.error} accessibilityRole="alert">
          {describeApiError(error)}
        </Text>
      )}
      <Button
        testID="appeal-submit"
        title={t('restriction:appeal.submit')}
        onPress={() => void submit()}
        disabled={text.trim().length === 0}
        busy={busy}
        style={styles.submit}
      />
    </View>
  );
}

const styles = StyleSheet.create({
  form: { gap: space.s },
  heading: { color: colors.text, fontSize: 18, fontWeight: '700' },
  muted: { color: colors.textMuted, fontSize: 14 },
  input: { minHeight: 96, borderWidth: 0, borderRadius: 12, fontSize: 15 },
  error: { color: colors.danger },
  submit: { alignSelf: 'flex-start' },
  open: { color: colors.warning, fontSize: 15, lineHeight: 21 },
});
