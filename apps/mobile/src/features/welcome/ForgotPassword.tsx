import { useState } from 'react';
import { StyleSheet, Text, TextInput } from 'react-native';
import { useTranslation } from 'react-i18next';
import { describeApiError } from '../../api';
import { useServices } from '../../services';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';

/**
 * "Forgot password?": the address, then word that a link is on its way. The words are the same
 * whether or not an account uses the address (so is the server's answer): nobody learns here who
 * has an account.
 */
export function ForgotPassword({ initialEmail = '' }: { initialEmail?: string }) {
  const { api } = useServices();
  const { t } = useTranslation(['welcome', 'common']);
  const [email, setEmail] = useState(initialEmail);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);

  const address = email.trim();
  const submit = async () => {
    if (address === '' || busy) return;
    setBusy(true);
    setError(null);
    try {
      await api.resetPasswordStart(address);
      setSentTo(address);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  if (sentTo !== null) {
    return (
      <Text testID="forgot-sent" style={styles.sent} accessibilityLiveRegion="polite">
        {t('welcome:forgot.sent', { email: sentTo })}
      </Text>
    );
  }
  return (
    <>
      <Text style={styles.text}>{t('welcome:forgot.intro')}</Text>
      <TextInput
        testID="forgot-email-input"
        style={styles.input}
        placeholder={t('common:email')}
        placeholderTextColor={colors.textMuted}
        value={email}
        onChangeText={setEmail}
        autoCapitalize="none"
        autoComplete="email"
        keyboardType="email-address"
        returnKeyType="send"
        onSubmitEditing={submit}
        accessibilityLabel={t('common:email')}
      />
      {error !== null ? (
        <Text testID="forgot-error" style={styles.error} accessibilityRole="alert">
          {describeApiError(error)}
        </Text>
      ) : null}
      <Button
        testID="forgot-submit"
        title={t('welcome:forgot.submit')}
        onPress={submit}
        disabled={address === ''}
        busy={busy}
      />
    </>
  );
}

const styles = StyleSheet.create({
  text: { color: colors.textMuted, fontSize: 16, textAlign: 'center' },
  sent: { color: colors.text, fontSize: 16, textAlign: 'center', lineHeight: 22 },
  input: {
    backgroundColor: colors.surface,
    color: colors.text,
    borderColor: colors.border,
    borderWidth: 1,
    borderRadius: 10,
    paddingHorizontal: space.m,
    paddingVertical: space.m,
    fontSize: 16,
  },
  error: { color: colors.danger },
});
