import { useState } from 'react';
import { StyleSheet, Text } from 'react-native';
import { useTranslation } from 'react-i18next';
import { describeApiError } from '../../api';
import { Button } from '../../ui/Button';
import { FormScreen } from '../../ui/FormScreen';
import { colors } from '../../ui/theme';
import { TextField } from '../../ui/TextField';

export interface ResetPasswordScreenProps {
  /** From the mailed link; '' when the link arrived without one. */
  token: string;
  /** Sets the new password; resolves signed in (every other session of the account has ended), rejects with an ApiError. */
  onReset(form: { token: string; password: string }): Promise<void>;
  /** On into the app, signed in; or, without a usable link, to sign-in (where "Forgot password?" sends a new one). */
  onContinue(): void;
}

/** Same limits as the server (protocol: password 8–128). */
const MIN_PASSWORD = 8;

/** The page a password-reset mail links to: a new password, then on into the app signed in. */
export function ResetPasswordScreen({ token, onReset, onContinue }: ResetPasswordScreenProps) {
  const { t } = useTranslation(['welcome', 'common']);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  // A failed request's error, described at render (a language switch re-words it).
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);

  const canSubmit = token !== '' && password.length >= MIN_PASSWORD && !busy;
  const submit = async () => {
    if (!canSubmit) return;
    setBusy(true);
    setError(null);
    try {
      await onReset({ token, password });
      setDone(true);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <FormScreen title={t('welcome:reset.title')}>
      {done ? (
        <>
          <Text testID="reset-done" style={styles.done} accessibilityLiveRegion="polite">
            {t('welcome:reset.done')}
          </Text>
          <Button testID="reset-continue" title={t('common:continue')} onPress={onContinue} />
        </>
      ) : (
        <>
          <TextField
            testID="reset-password-input"
            placeholder={t('welcome:reset.placeholder', { min: MIN_PASSWORD })}
            value={password}
            onChangeText={setPassword}
            secureTextEntry
            autoComplete="new-password"
            returnKeyType="go"
            onSubmitEditing={() => void submit()}
            accessibilityLabel={t('welcome:reset.label')}
          />
          {error !== null || token === '' ? (
            <Text testID="reset-error" style={styles.error} accessibilityRole="alert">
              {error !== null ? describeApiError(error) : t('welcome:reset.incomplete')}
            </Text>
          ) : null}
          <Button
            testID="reset-submit"
            title={t('welcome:reset.submit')}
            onPress={() => void submit()}
            disabled={!canSubmit}
            busy={busy}
          />
          <Button testID="reset-cancel" variant="link" title={t('welcome:reset.back')} onPress={onContinue} />
        </>
      )}
    </FormScreen>
  );
}

const styles = StyleSheet.create({
  done: { color: colors.success, fontSize: 16, textAlign: 'center' },
  error: { color: colors.danger, textAlign: 'center' },
});
