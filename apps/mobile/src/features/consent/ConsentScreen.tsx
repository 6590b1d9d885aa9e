import { useCallback, useEffect, useState } from 'react';
import {
  ActivityIndicator,
  KeyboardAvoidingView,
  Platform,
  Pressable,
  ScrollView,
  StyleSheet,
  Text,
  View,
  type TextInputProps,
} from 'react-native';
import type { OwnUser, RulesResponse } from '@small-talk/protocol';
import { useTranslation } from 'react-i18next';
import { ApiError, describeApiError } from '../../api';
import { currentUiLanguage } from '../../i18n/i18n';
import { useServices } from '../../services';
import { Button } from '../../ui/Button';
import { spaceActivates } from '../../ui/keys';
import { colors, space } from '../../ui/theme';
import { TextField } from '../../ui/TextField';
import { isBirthDate } from './birthDate';
import { RulesText } from './RulesText';

/** The browser's name for a date of birth is `bday` (react-native-web writes the value as the HTML attribute as it is). */
const BIRTH_DATE_AUTOCOMPLETE = (Platform.OS === 'web' ? 'bday' : 'birthdate-full') as TextInputProps['autoComplete'];

export interface ConsentScreenProps {
  /** The server recorded the consent: the user as it now stands. */
  onConsented(user: OwnUser): void;
  /** The server found the user too young (403 underage): for good. */
  onUnderage(): void;
  onSignOut(): void;
  /** The user is here again because the rules changed since it last accepted them. */
  rulesChanged?: boolean;
}

/**
 * The first-run gate: the community rules, a date of birth and "I agree". Continue is enabled
 * only with both; the server checks the age and the rules version (a newer one means reading
 * them again).
 */
export function ConsentScreen({ onConsented, onUnderage, onSignOut, rulesChanged = false }: ConsentScreenProps) {
  const { api } = useServices();
  const { t } = useTranslation(['consent', 'common']);
  const [rules, setRules] = useState<RulesResponse | null>(null);
  // Failures are kept as they came and described at render: a language switch re-words them.
  const [loadFailed, setLoadFailed] = useState<unknown>(null);
  const [birthDate, setBirthDate] = useState('');
  const [agreed, setAgreed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  /** The server's `rules_changed` on Continue: the rules on screen are not the current ones any more. */
  const [refused, setRefused] = useState<unknown>(null);

  const load = useCallback(async () => {
    setLoadFailed(null);
    try {
      setRules(await api.rules());
    } catch (failure) {
      setLoadFailed(failure);
    }
  }, [api]);

  useEffect(() => {
    void load();
  }, [load]);

  const date = birthDate.trim();
  const canSubmit = rules !== null && agreed && isBirthDate(date);

  const submit = async () => {
    if (!canSubmit || busy) return;
    setBusy(true);
    setError(null);
    try {
      onConsented(await api.consent({ birthDate: date, rulesVersion: rules.version }));
      return;
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'underage') return onUnderage();
      if (failure instanceof ApiError && failure.code === 'rules_changed') {
        // Agreeing is to one text: the new one must be read (and agreed to) again.
        setAgreed(false);
        setRefused(failure);
        await load();
      } else {
        setError(failure);
      }
    }
    setBusy(false);
  };

  const notice = refused !== null ? describeApiError(refused) : rulesChanged ? t('consent:rulesChanged') : null;
  // The server refuses a date it can't believe (in the future, too long ago) as a bad request.
  const errorText =
    error === null
      ? null
      : error instanceof ApiError && error.code === 'bad_request'
        ? t('consent:birthDate.invalid')
        : describeApiError(error);

  return (
    <KeyboardAvoidingView style={styles.root} behavior={Platform.OS === 'ios' ? 'padding' : undefined}>
      <Text style={styles.title} accessibilityRole="header">
        {t('consent:title')}
      </Text>
      {notice ? <Text style={styles.notice}>{notice}</Text> : null}
      {/* The rules come from the server, in English only for now: said so in the user's language. */}
      {rules && currentUiLanguage() !== 'en' ? <Text style={styles.hint}>{t('consent:rulesInEnglish')}</Text> : null}
      {/* Focusable, so a keyboard can scroll the rules (they hold no control to Tab to). */}
      <ScrollView
        style={styles.rules}
        contentContainerStyle={styles.rulesContent}
        focusable
        role="region"
        accessibilityLabel={t('consent:rulesLabel')}
      >
        {rules ? (
          <RulesText testID="rules-text" markdown={rules.text} />
        ) : loadFailed !== null ? (
          <View style={styles.center}>
            <Text style={styles.error}>{describeApiError(loadFailed)}</Text>
            <Button title={t('common:tryAgain')} variant="secondary" onPress={() => void load()} testID="rules-retry" />
          </View>
        ) : (
          <ActivityIndicator color={colors.accent} accessibilityLabel={t('common:loading')} />
        )}
      </ScrollView>

      {/* No age named here: a neutral age screen does not hint at the answer that passes. */}
      <TextField
        label={t('consent:birthDate.label')}
        labelID="birth-date-label"
        hint={t('consent:birthDate.hint')}
        testID="birth-date-input"
        style={styles.birthDate}
        placeholder={t('consent:birthDate.placeholder')}
        value={birthDate}
        onChangeText={setBirthDate}
        maxLength={10}
        autoComplete={BIRTH_DATE_AUTOCOMPLETE}
        keyboardType="numbers-and-punctuation"
        accessibilityLabel={t('consent:birthDate.a11yLabel')}
      />

      <Pressable
        testID="rules-agree"
        accessibilityRole="checkbox"
        // aria-checked is what react-native-web renders; accessibilityState is the native one.
        aria-checked={agreed}
        accessibilityState={{ checked: agreed }}
        accessibilityLabel={t('consent:agree.label')}
        onPress={() => setAgreed((value) => !value)}
        {...spaceActivates(() => setAgreed((value) => !value))}
        style={styles.agree}
      >
        <View style={[styles.box, agreed && styles.boxChecked]}>{agreed ? <View style={styles.tick} /> : null}</View>
        <Text style={styles.agreeText}>{t('consent:agree.text')}</Text>
      </Pressable>

      {errorText ? (
        <Text testID="consent-error" style={styles.error} accessibilityLiveRegion="polite">
          {errorText}
        </Text>
      ) : null}
      <Button
        testID="consent-submit"
        title={t('common:continue')}
        onPress={() => void submit()}
        disabled={!canSubmit}
        busy={busy}
      />
      <Button title={t('common:signOut')} variant="link" onPress={onSignOut} testID="consent-sign-out" />
    </KeyboardAvoidingView>
  );
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background, padding: space.l, gap: space.s },
  title: { color: colors.text, fontSize: 24, fontWeight: '700', marginTop: space.m },
  notice: { color: colors.warning },
  rules: { flex: 1, backgroundColor: colors.surface, borderRadius: 12, borderWidth: 1, borderColor: colors.border },
  rulesContent: { padding: space.l },
  center: { alignItems: 'center', gap: space.m },
  // A touch target's height and no more: the rules above take what the screen has left.
  birthDate: { paddingVertical: 0, minHeight: 44 },
  hint: { color: colors.textMuted, fontSize: 13 },
  agree: { flexDirection: 'row', alignItems: 'center', gap: space.m, minHeight: 44 },
  box: {
    width: 24,
    height: 24,
    borderRadius: 6,
    borderWidth: 2,
    borderColor: colors.textMuted,
    alignItems: 'center',
    justifyContent: 'center',
  },
  boxChecked: { backgroundColor: colors.accent, borderColor: colors.accent },
  // A tick drawn, not a glyph: the same in every language, and nothing for a screen reader to read out (the checkbox's state says it).
  tick: {
    width: 7,
    height: 12,
    marginTop: -2,
    borderRightWidth: 2,
    borderBottomWidth: 2,
    borderColor: colors.accentText,
    transform: [{ rotate: '45deg' }],
  },
  agreeText: { color: colors.text, flexShrink: 1 },
  error: { color: colors.danger },
});
