import { useState } from 'react';
import { KeyboardAvoidingView, Platform, ScrollView, StyleSheet, Text, TextInput } from 'react-native';
import { useTranslation } from 'react-i18next';
import { describeApiError } from '../../api';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';

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
    <KeyboardAvoidingView style={styles.root} behavior={Platform.OS === 'ios' ? 'padding' : undefined}>
      <ScrollView contentContainerStyle={styles.content} keyboardShouldPersistTaps="handled">
        <Text style={styles.title} accessibilityRole="header">
          {t('welcome:reset.title')}
        </Text>
        {done ? (
          <>
            <Text testID="reset-done" style={styles.done} accessibilityLiveRegion="polite">
              {t('welcome:reset.done')}
            </Text>
            <Button testID="reset-continue" title={t('common:continue')} onPress={onContinue} />
          </>
        ) : (
          <>
            <TextInput
              testID="reset-password-input"
              style={styles.input}
              placeholder={t('welcome:reset.placeholder', { min: MIN_PASSWORD })}
              placeholderTextColor={colors.textMuted}
              value={password}
              onChangeText={setPassword}
              secureTextEntry
              autoComplete="new-password"
              returnKeyType="go"
              onSubmitEditing={submit}
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
              onPress={submit}
              disabled={!canSubmit}
              busy={busy}
            />
            <Button testID="reset-cancel" variant="link" title={t('welcome:reset.back')} onPress={onContinue} />
          </>
        )}
      </ScrollView>
    </KeyboardAvoidingView>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background },
  content: {
    flexGrow: 1,
    justifyContent: 'center',
    padding: space.xl,
    gap: space.m,
    maxWidth: 420,
    width: '100%',
    alignSelf: 'center',
  },
  title: { color: colors.text, fontSize: 28, fontWeight: '700', textAlign: 'center' },
  done: { color: colors.success, fontSize: 16, textAlign: 'center' },
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
  error: { color: colors.danger, textAlign: 'center' },
});
