import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import type { OwnUser } from '@small-talk/protocol';
import { useTranslation } from 'react-i18next';
import { describeApiError } from '../../api';
import { useServices } from '../../services';
import { Button } from '../../ui/Button';
import { FormScreen } from '../../ui/FormScreen';
import { colors } from '../../ui/theme';
import { TextField } from '../../ui/TextField';

export interface VerifyEmailScreenProps {
  user: OwnUser;
  /**
   * A code is on its way already (the server mails one on registering, and Profile asks for one
   * before coming here): the screen offers "Send a new code" rather than sending one itself, so a
   * visit never spends one of the day's five.
   */
  codeSent: boolean;
  /** Why the user is here: `verification_required` when the server admits only confirmed addresses. */
  reason?: 'verification_required';
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
export function VerifyEmailScreen({
  user,
  codeSent,
  reason,
  onVerified,
  onCreateAccount,
  onBack,
}: VerifyEmailScreenProps) {
  const { api } = useServices();
  const { t } = useTranslation(['verification', 'common']);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState<'verify' | 'resend' | null>(null);
  // The failure itself, described at render: a language switch re-words it.
  const [error, setError] = useState<unknown>(null);
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
      setError(failure);
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
      setError(failure);
    } finally {
      setBusy(null);
    }
  };

  return (
    <FormScreen title={t('verification:title')}>
      {reason ? (
        <Text testID="verify-reason" style={styles.notice}>
          {t('verification:required')}
        </Text>
      ) : null}

      {user.kind === 'guest' ? (
        <>
          <Text style={styles.text}>{t('verification:guest')}</Text>
          <Button testID="verify-create-account" title={t('common:createAccount')} onPress={onCreateAccount} />
        </>
      ) : user.emailVerified ? (
        <Text testID="verify-done" style={styles.done}>
          {t('verification:done')}
        </Text>
      ) : (
        <>
          <Text style={styles.text}>{sent ? t('verification:codeSent') : t('verification:codeToSend')}</Text>
          {sent && (
            <>
              <TextField
                testID="verify-code-input"
                style={styles.code}
                placeholder={t('verification:codePlaceholder')}
                value={code}
                onChangeText={setCode}
                keyboardType="number-pad"
                autoComplete="one-time-code"
                textContentType="oneTimeCode"
                maxLength={12}
                returnKeyType="go"
                onSubmitEditing={() => void submit()}
                accessibilityLabel={t('verification:codeLabel')}
              />
              <Button
                testID="verify-submit"
                title={t('verification:confirm')}
                onPress={() => void submit()}
                disabled={!canSubmit}
                busy={busy === 'verify'}
              />
            </>
          )}
          {resent && (
            <Text testID="verify-sent" style={styles.text} accessibilityLiveRegion="polite">
              {t('verification:resent')}
            </Text>
          )}
          <Button
            testID="verify-resend"
            variant={sent ? 'link' : 'primary'}
            title={sent ? t('verification:resend') : t('verification:send')}
            onPress={() => void resend()}
            busy={busy === 'resend'}
            disabled={busy === 'verify'}
          />
        </>
      )}

      {error !== null ? (
        <Text testID="verify-error" style={styles.error} accessibilityRole="alert">
          {describeApiError(error)}
        </Text>
      ) : null}

      <View style={styles.links}>
        <Button
          testID="verify-back"
          variant="link"
          title={user.emailVerified ? t('common:continue') : t('common:notNow')}
          onPress={onBack}
        />
      </View>
    </FormScreen>
  );
}

const styles = StyleSheet.create({
  text: { color: colors.textMuted, fontSize: 16, textAlign: 'center' },
  notice: { color: colors.warning, textAlign: 'center' },
  done: { color: colors.success, fontSize: 16, textAlign: 'center' },
  code: { fontSize: 22, letterSpacing: 6, textAlign: 'center' },
  error: { color: colors.danger, textAlign: 'center' },
  links: { flexDirection: 'row', justifyContent: 'center' },
});
