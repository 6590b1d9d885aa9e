import { useState } from 'react';
import { KeyboardAvoidingView, Platform, ScrollView, StyleSheet, Text, TextInput, View } from 'react-native';
import type { OwnUser } from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { useServices } from '../../services';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';

export interface VerifyEmailScreenProps {
  user: OwnUser;
  /**
   * A code is on its way already (the server mails one on registering, and Profile asks for one
   * before coming here): the screen offers "Send a new code" rather than sending one itself, so a
   * visit never spends one of the day's five.
   */
  codeSent: boolean;
  /** Why the user is here, when the server sent it (it admits only confirmed addresses). */
  reason?: string;
  /** The server's answer to the right code: the user, now verified. */
  onVerified(user: OwnUser): void;
  /** Guests have no e-mail address to confirm: an account gets one. */
  onCreateAccount(): void;
  /** Not now: back where the user came from. */
  onBack(): void;
}

/** The six digits of a code, without the spaces or dashes a mail client may copy along. */
const CODE_LENGTH = 6;

/**
 * Confirming the e-mail address with the code mailed to it: the field and Confirm, a new code
 * on request, and for a guest the way to create an account (which mails a code at once).
 */
export function VerifyEmailScreen({ user, codeSent, reason, onVerified, onCreateAccount, onBack }: VerifyEmailScreenProps) {
  const { api } = useServices();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState<'verify' | 'resend' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState(codeSent);
  const [resent, setResent] = useState(false);

  const digits = code.replace(/\D/g, '');
  const canSubmit = digits.length === CODE_LENGTH && busy === null;

  const submit = async () => {
    if (!canSubmit) return;
    setBusy('verify');
    setError(null);
    try {
      onVerified(await api.verifyEmail(digits));
    } catch (failure) {
      setError(describeApiError(failure));
      setBusy(null);
    }
  };

  const resend = async () => {
    if (busy !== null) return;
    setBusy('resend');
    setError(null);
    try {
      await api.verifyEmailStart();
      setSent(true);
      setResent(true);
      setCode('');
    } catch (failure) {
      setError(describeApiError(failure));
    } finally {
      setBusy(null);
    }
  };

  return (
    <KeyboardAvoidingView style={styles.root} behavior={Platform.OS === 'ios' ? 'padding' : undefined}>
      <ScrollView contentContainerStyle={styles.content} keyboardShouldPersistTaps="handled">
        <Text style={styles.title} accessibilityRole="header">
          Confirm your email
        </Text>
        {reason ? (
          <Text testID="verify-reason" style={styles.notice}>
            {reason}
          </Text>
        ) : null}

        {user.kind === 'guest' ? (
          <>
            <Text style={styles.text}>Guests have no email address to confirm. Create an account: we email you a code at once.</Text>
            <Button testID="verify-create-account" title="Create account" onPress={onCreateAccount} />
          </>
        ) : user.emailVerified ? (
          <Text testID="verify-done" style={styles.done}>
            ✓ Your email address is confirmed.
          </Text>
        ) : (
          <>
            <Text style={styles.text}>
              {sent ? 'We emailed you a 6-digit code. It works for 15 minutes.' : 'We email you a 6-digit code. It works for 15 minutes.'}
            </Text>
            {sent && (
              <>
                <TextInput
                  testID="verify-code-input"
                  style={styles.input}
                  placeholder="123456"
                  placeholderTextColor={colors.textMuted}
                  value={code}
                  onChangeText={setCode}
                  keyboardType="number-pad"
                  autoComplete="one-time-code"
                  textContentType="oneTimeCode"
                  maxLength={12}
                  returnKeyType="go"
                  onSubmitEditing={submit}
                  accessibilityLabel="The 6-digit code from the email"
                />
                <Button testID="verify-submit" title="Confirm" onPress={submit} disabled={!canSubmit} busy={busy === 'verify'} />
              </>
            )}
            {resent && (
              <Text testID="verify-sent" style={styles.text} accessibilityLiveRegion="polite">
                A new code is on its way. The one before it no longer works.
              </Text>
            )}
            <Button
              testID="verify-resend"
              variant={sent ? 'link' : 'primary'}
              title={sent ? 'Send a new code' : 'Send the code'}
              onPress={resend}
              busy={busy === 'resend'}
              disabled={busy === 'verify'}
            />
          </>
        )}

        {error ? (
          <Text testID="verify-error" style={styles.error} accessibilityRole="alert">
            {error}
          </Text>
        ) : null}

        <View style={styles.links}>
          <Button testID="verify-back" variant="link" title={user.emailVerified ? 'Continue' : 'Not now'} onPress={onBack} />
        </View>
      </ScrollView>
    </KeyboardAvoidingView>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background },
  content: { flexGrow: 1, justifyContent: 'center', padding: space.xl, gap: space.m, maxWidth: 420, width: '100%', alignSelf: 'center' },
  title: { color: colors.text, fontSize: 28, fontWeight: '700', textAlign: 'center' },
  text: { color: colors.textMuted, fontSize: 16, textAlign: 'center' },
  notice: { color: colors.warning, textAlign: 'center' },
  done: { color: colors.success, fontSize: 16, textAlign: 'center' },
  input: {
    backgroundColor: colors.surface,
    color: colors.text,
    borderColor: colors.border,
    borderWidth: 1,
    borderRadius: 10,
    paddingHorizontal: space.m,
    paddingVertical: space.m,
    fontSize: 22,
    letterSpacing: 6,
    textAlign: 'center',
  },
  error: { color: colors.danger, textAlign: 'center' },
  links: { flexDirection: 'row', justifyContent: 'center' },
});
