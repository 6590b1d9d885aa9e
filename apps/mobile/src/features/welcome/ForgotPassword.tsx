import { useState } from 'react';
import { StyleSheet, Text } from 'react-native';
import { useTranslation } from 'react-i18next';
import { describeApiError } from '../../api';
import { useServices } from '../../services';
import { Button } from '../../ui/Button';
import { colors } from '../../ui/theme';
import { EmailField } from './EmailField';

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
      <EmailField
        testID="forgot-email-input"
        value={email}
        onChangeText={setEmail}
        returnKeyType="send"
        onSubmitEditing={() => void submit()}
      />
      {error !== null ? (
        <Text testID="forgot-error" style={styles.error} accessibilityRole="alert">
          {describeApiError(error)}
        </Text>
      ) : null}
      <Button
        testID="forgot-submit"
        title={t('welcome:forgot.submit')}
        onPress={() => void submit()}
        disabled={address === ''}
        busy={busy}
      />
    </>
  );
}

const styles = StyleSheet.create({
  text: { color: colors.textMuted, fontSize: 16, textAlign: 'center' },
  sent: { color: colors.text, fontSize: 16, textAlign: 'center', lineHeight: 22 },
  error: { color: colors.danger },
});
