import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import { describeApiError } from '../../api';
import { Button } from '../../ui/Button';
import { FormScreen } from '../../ui/FormScreen';
import { colors, space } from '../../ui/theme';
import { TextField } from '../../ui/TextField';
import { EmailField } from './EmailField';
import { ForgotPassword } from './ForgotPassword';

export type WelcomeMode = 'guest' | 'sign-in' | 'register' | 'forgot';

export interface WelcomeScreenProps {
  onGuest(displayName: string): Promise<void>;
  onSignIn(form: { email: string; password: string }): Promise<void>;
  onRegister(form: { email: string; password: string; displayName: string }): Promise<void>;
  mode?: WelcomeMode;
  /** Why the user is here again (the session ended), shown above the form. */
  notice?: string;
  /** Set when a signed-in guest came to create an account: the form upgrades it and can be left. */
  upgrade?: { displayName: string; onBack(): void };
}

/** Same limits as the server (protocol: displayName 1–32 after trimming, password 8–128). */
const MAX_NAME = 32;
const MIN_PASSWORD = 8;

export function WelcomeScreen({
  onGuest,
  onSignIn,
  onRegister,
  mode: initialMode = 'guest',
  notice,
  upgrade,
}: WelcomeScreenProps) {
  const { t } = useTranslation(['welcome', 'common']);
  const [mode, setMode] = useState<WelcomeMode>(upgrade ? 'register' : initialMode);
  const [displayName, setDisplayName] = useState(upgrade?.displayName ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  // The failure itself, described at render: a language switch re-words it.
  const [error, setError] = useState<unknown>(null);

  const name = displayName.trim();
  const canSubmit =
    mode === 'guest'
      ? name.length > 0
      : mode === 'sign-in'
        ? email.trim() !== '' && password !== ''
        : name.length > 0 && email.trim() !== '' && password.length >= MIN_PASSWORD;

  const submit = async () => {
    if (!canSubmit || busy || mode === 'forgot') return;
    setBusy(true);
    setError(null);
    try {
      if (mode === 'guest') await onGuest(name);
      else if (mode === 'sign-in') await onSignIn({ email: email.trim(), password });
      else await onRegister({ email: email.trim(), password, displayName: name });
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
    // On success this screen goes away; no state to reset.
  };

  const switchTo = (next: WelcomeMode) => {
    setMode(next);
    setError(null);
  };

  return (
    <FormScreen
      title={upgrade ? t('welcome:upgradeTitle') : mode === 'forgot' ? t('welcome:forgotTitle') : t('common:appName')}
      large
    >
      <Text style={styles.subtitle}>{upgrade ? t('welcome:upgradeTagline') : t('welcome:tagline')}</Text>
      {notice ? <Text style={styles.notice}>{notice}</Text> : null}

      {mode === 'forgot' && <ForgotPassword initialEmail={email.trim()} />}

      {(mode === 'guest' || mode === 'register') && (
        <TextField
          testID="display-name-input"
          placeholder={t('common:yourName')}
          value={displayName}
          onChangeText={setDisplayName}
          maxLength={MAX_NAME}
          autoCapitalize="words"
          autoComplete="nickname"
          returnKeyType={mode === 'guest' ? 'go' : 'next'}
          onSubmitEditing={mode === 'guest' ? () => void submit() : undefined}
          accessibilityLabel={t('common:yourName')}
        />
      )}
      {(mode === 'sign-in' || mode === 'register') && (
        <>
          <EmailField testID="email-input" value={email} onChangeText={setEmail} />
          <TextField
            testID="password-input"
            placeholder={
              mode === 'register' ? t('welcome:newPasswordPlaceholder', { min: MIN_PASSWORD }) : t('welcome:password')
            }
            value={password}
            onChangeText={setPassword}
            secureTextEntry
            autoComplete={mode === 'register' ? 'new-password' : 'current-password'}
            returnKeyType="go"
            onSubmitEditing={() => void submit()}
            accessibilityLabel={t('welcome:password')}
          />
        </>
      )}

      {error !== null ? (
        <Text testID="welcome-error" style={styles.error} accessibilityRole="alert">
          {describeApiError(error)}
        </Text>
      ) : null}

      {mode === 'guest' && (
        <Button
          testID="continue-as-guest"
          title={t('welcome:continueAsGuest')}
          onPress={() => void submit()}
          disabled={!canSubmit}
          busy={busy}
        />
      )}
      {mode === 'sign-in' && (
        <Button
          testID="sign-in-submit"
          title={t('common:signIn')}
          onPress={() => void submit()}
          disabled={!canSubmit}
          busy={busy}
        />
      )}
      {mode === 'sign-in' && (
        <Button
          testID="forgot-password"
          variant="link"
          title={t('welcome:forgotLink')}
          onPress={() => switchTo('forgot')}
        />
      )}
      {mode === 'register' && (
        <Button
          testID="register-submit"
          title={t('common:createAccount')}
          onPress={() => void submit()}
          disabled={!canSubmit}
          busy={busy}
        />
      )}

      <View style={styles.links}>
        {upgrade ? (
          <Button testID="welcome-back" variant="link" title={t('common:notNow')} onPress={upgrade.onBack} />
        ) : (
          <>
            {mode !== 'guest' && (
              <Button
                testID="show-guest"
                variant="link"
                title={t('welcome:continueAsGuest')}
                onPress={() => switchTo('guest')}
              />
            )}
            {mode !== 'sign-in' && (
              <Button
                testID="show-sign-in"
                variant="link"
                title={t('common:signIn')}
                onPress={() => switchTo('sign-in')}
              />
            )}
            {mode !== 'register' && (
              <Button
                testID="show-register"
                variant="link"
                title={t('common:createAccount')}
                onPress={() => switchTo('register')}
              />
            )}
          </>
        )}
      </View>
    </FormScreen>
  );
}

const styles = StyleSheet.create({
  subtitle: { color: colors.textMuted, fontSize: 16, textAlign: 'center', marginBottom: space.m },
  notice: { color: colors.warning, textAlign: 'center' },
  error: { color: colors.danger },
  links: { flexDirection: 'row', justifyContent: 'center', flexWrap: 'wrap', marginTop: space.s },
});
