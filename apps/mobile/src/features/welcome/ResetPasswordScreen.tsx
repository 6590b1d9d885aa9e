import { useState } from 'react';
import { KeyboardAvoidingView, Platform, ScrollView, StyleSheet, Text, TextInput } from 'react-native';
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
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(token === '' ? 'This link is incomplete. Ask for a new one from "Forgot password?".' : null);
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
      setError(describeApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <KeyboardAvoidingView style={styles.root} behavior={Platform.OS === 'ios' ? 'padding' : undefined}>
      <ScrollView contentContainerStyle={styles.content} keyboardShouldPersistTaps="handled">
        <Text style={styles.title} accessibilityRole="header">
          Choose a new password
        </Text>
        {done ? (
          <>
            <Text testID="reset-done" style={styles.done} accessibilityLiveRegion="polite">
              Your password is changed and you are signed in. Anywhere else you were signed in, you are signed out.
            </Text>
            <Button testID="reset-continue" title="Continue" onPress={onContinue} />
          </>
        ) : (
          <>
            <TextInput
              testID="reset-password-input"
              style={styles.input}
              placeholder={`New password (at least ${MIN_PASSWORD} characters)`}
              placeholderTextColor={colors.textMuted}
              value={password}
              onChangeText={setPassword}
              secureTextEntry
              autoComplete="new-password"
              returnKeyType="go"
              onSubmitEditing={submit}
              accessibilityLabel="New password"
            />
            {error ? (
              <Text testID="reset-error" style={styles.error} accessibilityRole="alert">
                {error}
              </Text>
            ) : null}
            <Button testID="reset-submit" title="Set the new password" onPress={submit} disabled={!canSubmit} busy={busy} />
            <Button testID="reset-cancel" variant="link" title="Back to sign in" onPress={onContinue} />
          </>
        )}
      </ScrollView>
    </KeyboardAvoidingView>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background },
  content: { flexGrow: 1, justifyContent: 'center', padding: space.xl, gap: space.m, maxWidth: 420, width: '100%', alignSelf: 'center' },
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
