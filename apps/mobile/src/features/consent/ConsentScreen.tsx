import { useCallback, useEffect, useState } from 'react';
import { ActivityIndicator, KeyboardAvoidingView, Platform, Pressable, ScrollView, StyleSheet, Text, TextInput, View } from 'react-native';
import type { OwnUser, RulesResponse } from '@small-talk/protocol';
import { ApiError, describeApiError } from '../../api';
import { useServices } from '../../services';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { isBirthDate } from './birthDate';
import { RulesText } from './RulesText';

export interface ConsentScreenProps {
  /** The server recorded the consent: the user as it now stands. */
  onConsented(user: OwnUser): void;
  /** The server found the user too young (403 underage): for good. */
  onUnderage(): void;
  onSignOut(): void;
  /** Why the user is here again (the rules changed since it last accepted them). */
  notice?: string;
}

/**
 * The first-run gate: the community rules, a date of birth and "I agree". Continue is enabled
 * only with both; the server checks the age and the rules version (a newer one means reading
 * them again).
 */
export function ConsentScreen({ onConsented, onUnderage, onSignOut, notice: initialNotice }: ConsentScreenProps) {
  const { api } = useServices();
  const [rules, setRules] = useState<RulesResponse | null>(null);
  const [loadFailed, setLoadFailed] = useState<string | null>(null);
  const [birthDate, setBirthDate] = useState('');
  const [agreed, setAgreed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState(initialNotice);

  const load = useCallback(async () => {
    setLoadFailed(null);
    try {
      setRules(await api.rules());
    } catch (failure) {
      setLoadFailed(describeApiError(failure));
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
        setNotice(describeApiError(failure));
        await load();
      } else {
        setError(failure instanceof ApiError && failure.code === 'bad_request' ? 'Please enter your real date of birth.' : describeApiError(failure));
      }
    }
    setBusy(false);
  };

  return (
    <KeyboardAvoidingView style={styles.root} behavior={Platform.OS === 'ios' ? 'padding' : undefined}>
      <Text style={styles.title} accessibilityRole="header">
        Before you meet anyone
      </Text>
      {notice ? <Text style={styles.notice}>{notice}</Text> : null}
      <ScrollView style={styles.rules} contentContainerStyle={styles.rulesContent}>
        {rules ? (
          <RulesText testID="rules-text" markdown={rules.text} />
        ) : loadFailed ? (
          <View style={styles.center}>
            <Text style={styles.error}>{loadFailed}</Text>
            <Button title="Try again" variant="secondary" onPress={() => void load()} testID="rules-retry" />
          </View>
        ) : (
          <ActivityIndicator color={colors.accent} />
        )}
      </ScrollView>

      {/* No age named here: a neutral age screen does not hint at the answer that passes. */}
      <Text style={styles.label} nativeID="birth-date-label">
        Your date of birth
      </Text>
      <TextInput
        testID="birth-date-input"
        style={styles.input}
        placeholder="YYYY-MM-DD"
        placeholderTextColor={colors.textMuted}
        value={birthDate}
        onChangeText={setBirthDate}
        maxLength={10}
        autoComplete="birthdate-full"
        keyboardType="numbers-and-punctuation"
        accessibilityLabel="Your date of birth, as year-month-day"
        accessibilityLabelledBy="birth-date-label"
      />
      <Text style={styles.hint}>Year-month-day, for example 1990-04-21. We keep only the year.</Text>

      <Pressable
        testID="rules-agree"
        accessibilityRole="checkbox"
        accessibilityState={{ checked: agreed }}
        accessibilityLabel="I agree to the rules"
        onPress={() => setAgreed((value) => !value)}
        style={styles.agree}
      >
        <View style={[styles.box, agreed && styles.boxChecked]}>{agreed ? <Text style={styles.tick}>✓</Text> : null}</View>
        <Text style={styles.agreeText}>I have read the rules and I agree to them</Text>
      </Pressable>

      {error ? (
        <Text testID="consent-error" style={styles.error} accessibilityLiveRegion="polite">
          {error}
        </Text>
      ) : null}
      <Button testID="consent-submit" title="Continue" onPress={() => void submit()} disabled={!canSubmit} busy={busy} />
      <Button title="Sign out" variant="link" onPress={onSignOut} testID="consent-sign-out" />
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
  label: { color: colors.text, marginTop: space.s },
  input: {
    backgroundColor: colors.surface,
    color: colors.text,
    borderColor: colors.border,
    borderWidth: 1,
    borderRadius: 10,
    paddingHorizontal: space.m,
    minHeight: 44,
    fontSize: 16,
  },
  hint: { color: colors.textMuted, fontSize: 13 },
  agree: { flexDirection: 'row', alignItems: 'center', gap: space.m, minHeight: 44 },
  box: { width: 24, height: 24, borderRadius: 6, borderWidth: 2, borderColor: colors.textMuted, alignItems: 'center', justifyContent: 'center' },
  boxChecked: { backgroundColor: colors.accent, borderColor: colors.accent },
  tick: { color: colors.accentText, fontWeight: '700' },
  agreeText: { color: colors.text, flexShrink: 1 },
  error: { color: colors.danger },
});
