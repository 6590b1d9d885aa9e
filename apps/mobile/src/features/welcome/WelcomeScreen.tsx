import { useState } from 'react';
import { KeyboardAvoidingView, Platform, ScrollView, StyleSheet, Text, TextInput, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import { describeApiError } from '../../api';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
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
    <KeyboardAvoidingView style={styles.root} behavior={Platform.OS === 'ios' ? 'padding' : undefined}>
      <ScrollView contentContainerStyle={styles.content} keyboardShouldPersistTaps="handled">
        <Text style={styles.title} accessibilityRole="header">
          {upgrade ? t('welcome:upgradeTitle') : mode === 'forgot' ? t('welcome:forgotTitle') : t('common:appName')}
        </Text>
        <Text style={styles.subtitle}>{upgrade ? t('welcome:upgradeTagline') : t('welcome:tagline')}</Text>
        {notice ? <Text style={styles.notice}>{notice}</Text> : null}

        {mode === 'forgot' && <ForgotPassword initialEmail={email.trim()} />}

        {(mode === 'guest' || mode === 'register') && (
          <TextInput
            testID="display-name-input"
            style={styles.input}
            placeholder={t('common:yourName')}
            placeholderTextColor={colors.textMuted}
            value={displayName}
            onChangeText={setDisplayName}
            maxLength={MAX_NAME}
            autoCapitalize="words"
            autoComplete="nickname"
            returnKeyType={mode === 'guest' ? 'go' : 'next'}
            onSubmitEditing={mode === 'guest' ? submit : undefined}
            accessibilityLabel={t('common:yourName')}
          />
        )}
        {(mode === 'sign-in' || mode === 'register') && (
          <>
            <TextInput
              testID="email-input"
              style={styles.input}
              placeholder={t('common:email')}
              placeholderTextColor={colors.textMuted}
              value={email}
              onChangeText={setEmail}
              autoCapitalize="none"
              autoComplete="email"
              keyboardType="email-address"
              accessibilityLabel={t('common:email')}
            />
            <TextInput
              testID="password-input"
              style={styles.input}
              placeholder={
                mode === 'register' ? t('welcome:newPasswordPlaceholder', { min: MIN_PASSWORD }) : t('welcome:password')
              }
              placeholderTextColor={colors.textMuted}
              value={password}
              onChangeText={setPassword}
              secureTextEntry
              autoComplete={mode === 'register' ? 'new-password' : 'current-password'}
              returnKeyType="go"
              onSubmitEditing={submit}
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
            onPress={submit}
            disabled={!canSubmit}
            busy={busy}
          />
        )}
        {mode === 'sign-in' && (
          <Button
            testID="sign-in-submit"
            title={t('common:signIn')}
            onPress={submit}
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
            onPress={submit}
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
  title: { color: colors.text, fontSize: 34, fontWeight: '700', textAlign: 'center' },
  subtitle: { color: colors.textMuted, fontSize: 16, textAlign: 'center', marginBottom: space.m },
  notice: { color: colors.warning, textAlign: 'center' },
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
  links: { flexDirection: 'row', justifyContent: 'center', flexWrap: 'wrap', marginTop: space.s },
});
