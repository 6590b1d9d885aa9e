import { useMemo, useState } from 'react';
import { KeyboardAvoidingView, Platform, Pressable, ScrollView, StyleSheet, Text, View } from 'react-native';
import { useTranslation } from 'react-i18next';
import {
  MAX_BIO_CHARACTERS,
  MAX_DISPLAY_NAME_CHARACTERS,
  type OwnUser,
  type ProfileRequest,
} from '@small-talk/protocol';
import { describeApiError } from '../../api';
import { useServices } from '../../services';
import { Button } from '../../ui/Button';
import { colors, space } from '../../ui/theme';
import { TextField } from '../../ui/TextField';
import { LANGUAGE_CODES, MAX_LANGUAGES, languageName, type LanguageCode } from './languages';
import { UiLanguagePicker } from './UiLanguagePicker';

export interface ProfileScreenProps {
  user: OwnUser;
  /** The server's answer to a save: the user as it stands now. */
  onSaved(user: OwnUser): void;
  /** A member whose e-mail address is not verified yet: to the code screen (a code is sent first). */
  onVerify(): void;
  /** Guests have no e-mail address: an account gets one. */
  onCreateAccount(): void;
  onBack(): void;
}

/** Matches shown under the language search: enough to pick from, short enough to read. */
const SEARCH_RESULTS = 8;

/**
 * What others see of the user and what it is matched by: its name, the languages it speaks (1..5,
 * in order of preference: two people are matched only when they share one), a short bio shown to
 * the people it meets; and whether its e-mail address is verified.
 */
export function ProfileScreen({ user, onSaved, onVerify, onCreateAccount, onBack }: ProfileScreenProps) {
  const { api } = useServices();
  // Re-renders on a language switch: the words, and the languages' names (languageName reads the UI language).
  const { t } = useTranslation(['profile', 'common']);
  const [displayName, setDisplayName] = useState(user.displayName);
  const [languages, setLanguages] = useState<LanguageCode[]>(user.languages);
  const [bio, setBio] = useState(user.bio);
  const [search, setSearch] = useState('');
  const [busy, setBusy] = useState(false);
  // The failure itself, described at render: a language switch re-words it.
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);

  const changes = useMemo(() => {
    const body: ProfileRequest = {};
    if (displayName.trim() !== user.displayName) body.displayName = displayName.trim();
    if (languages.join() !== user.languages.join() && languages.length > 0) body.languages = languages;
    if (bio.trim() !== user.bio) body.bio = bio.trim();
    return body;
  }, [displayName, languages, bio, user]);
  const changed = Object.keys(changes).length > 0;
  const canSave = changed && displayName.trim().length > 0 && languages.length > 0 && !busy;

  const results = useMemo(() => findLanguages(search, languages), [search, languages]);

  const edit =
    <T,>(set: (value: T) => void) =>
    (value: T) => {
      set(value);
      setSaved(false);
    };
  const add = (code: LanguageCode) => {
    if (languages.length >= MAX_LANGUAGES) return;
    edit(setLanguages)([...languages, code]);
    setSearch('');
  };
  const remove = (code: LanguageCode) => edit(setLanguages)(languages.filter((c) => c !== code));

  const save = async () => {
    if (!canSave) return;
    setBusy(true);
    setError(null);
    try {
      onSaved(await api.updateProfile(changes));
      setSaved(true);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <KeyboardAvoidingView style={styles.root} behavior={Platform.OS === 'ios' ? 'padding' : undefined}>
      <View style={styles.header}>
        <Button testID="profile-back" variant="link" title={t('common:back')} onPress={onBack} />
        <Text style={styles.title} accessibilityRole="header">
          {t('profile:title')}
        </Text>
      </View>
      <ScrollView contentContainerStyle={styles.content} keyboardShouldPersistTaps="handled">
        <EmailStatus user={user} onVerify={onVerify} onCreateAccount={onCreateAccount} />

        <TextField
          label={t('profile:name')}
          testID="profile-name-input"
          value={displayName}
          onChangeText={edit(setDisplayName)}
          maxLength={MAX_DISPLAY_NAME_CHARACTERS}
          autoCapitalize="words"
          accessibilityLabel={t('common:yourName')}
        />

        <View testID="profile-languages" style={styles.section} accessibilityLabel={t('profile:languages.title')}>
          {/* Sections are headings, so a screen reader can jump between them. */}
          <Text style={styles.label} accessibilityRole="header">
            {t('profile:languages.title')}
          </Text>
          <Text style={styles.hint}>{t('profile:languages.hint', { max: MAX_LANGUAGES })}</Text>
          <View style={styles.chips}>
            {languages.map((code, index) => (
              <Pressable
                key={code}
                testID={`profile-language-${code}`}
                accessibilityRole="button"
                accessibilityLabel={t('profile:languages.remove', {
                  language: languageName(code),
                  position: index + 1,
                })}
                onPress={() => remove(code)}
                style={styles.chip}
              >
                <Text style={styles.chipText}>{t('profile:languages.chip', { language: languageName(code) })}</Text>
              </Pressable>
            ))}
            {languages.length === 0 && <Text style={styles.hint}>{t('profile:languages.none')}</Text>}
          </View>
          {languages.length < MAX_LANGUAGES && (
            <>
              <TextField
                testID="profile-language-search"
                placeholder={t('profile:languages.search')}
                value={search}
                onChangeText={setSearch}
                autoCapitalize="none"
                autoCorrect={false}
                accessibilityLabel={t('profile:languages.searchLabel')}
              />
              {results.map((code) => (
                <Pressable
                  key={code}
                  testID={`profile-language-add-${code}`}
                  accessibilityRole="button"
                  accessibilityLabel={t('profile:languages.add', { language: languageName(code) })}
                  onPress={() => add(code)}
                  style={styles.result}
                >
                  <Text style={styles.resultText}>{languageName(code)}</Text>
                </Pressable>
              ))}
            </>
          )}
        </View>

        <TextField
          label={t('profile:bio.title')}
          testID="profile-bio"
          style={styles.bio}
          placeholder={t('profile:bio.placeholder')}
          value={bio}
          onChangeText={edit(setBio)}
          maxLength={MAX_BIO_CHARACTERS}
          multiline
          accessibilityLabel={t('profile:bio.label')}
        />
        <Text
          style={styles.counter}
          accessibilityLabel={t('profile:bio.counterLabel', { length: bio.length, max: MAX_BIO_CHARACTERS })}
        >
          {t('profile:bio.counter', { length: bio.length, max: MAX_BIO_CHARACTERS })}
        </Text>

        {error !== null ? (
          <Text testID="profile-error" style={styles.error} accessibilityRole="alert">
            {describeApiError(error)}
          </Text>
        ) : null}
        {saved && !changed ? (
          <Text testID="profile-saved" style={styles.saved} accessibilityLiveRegion="polite">
            {t('profile:saved')}
          </Text>
        ) : null}
        <Button
          testID="profile-save"
          title={t('profile:save')}
          onPress={() => void save()}
          disabled={!canSave}
          busy={busy}
        />

        {/* The device's choice, not the profile's: applied at once, nothing to save. */}
        <UiLanguagePicker />
      </ScrollView>
    </KeyboardAvoidingView>
  );
}

function EmailStatus({
  user,
  onVerify,
  onCreateAccount,
}: Pick<ProfileScreenProps, 'user' | 'onVerify' | 'onCreateAccount'>) {
  const { t } = useTranslation(['profile', 'common']);
  if (user.kind === 'guest') {
    return (
      <View style={styles.status}>
        <Text style={styles.hint}>{t('profile:guest')}</Text>
        <Button
          testID="profile-create-account"
          variant="link"
          title={t('common:createAccount')}
          onPress={onCreateAccount}
        />
      </View>
    );
  }
  if (user.emailVerified) {
    return (
      <Text testID="profile-verified" style={styles.verified}>
        {t('profile:verified')}
      </Text>
    );
  }
  return (
    <View style={styles.status}>
      <Text testID="profile-unverified" style={styles.hint}>
        {t('profile:unverified')}
      </Text>
      <Button testID="profile-verify" variant="link" title={t('profile:verify')} onPress={onVerify} />
    </View>
  );
}

/** Languages not chosen yet whose code or name contains `query`, in list order; none for an empty query. */
function findLanguages(query: string, chosen: readonly LanguageCode[]): LanguageCode[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [];
  const found: LanguageCode[] = [];
  for (const code of LANGUAGE_CODES) {
    if (chosen.includes(code)) continue;
    if (code === q || languageName(code).toLowerCase().includes(q)) found.push(code);
    if (found.length === SEARCH_RESULTS) break;
  }
  // The exact code first: "de" finds German before "Swiss German"-like names.
  return found.sort((a, b) => Number(b === q) - Number(a === q));
}

const styles = StyleSheet.create({
  root: { flex: 1, backgroundColor: colors.background },
  header: { flexDirection: 'row', alignItems: 'center', gap: space.s, padding: space.l, paddingBottom: 0 },
  title: { color: colors.text, fontSize: 24, fontWeight: '700' },
  content: { padding: space.l, gap: space.s, maxWidth: 560, width: '100%', alignSelf: 'center' },
  section: { gap: space.s, marginTop: space.m },
  label: { color: colors.text, fontSize: 16, fontWeight: '600', marginTop: space.s },
  hint: { color: colors.textMuted, flexShrink: 1 },
  status: { flexDirection: 'row', alignItems: 'center', flexWrap: 'wrap', gap: space.s },
  verified: { color: colors.success },
  bio: { minHeight: 72 },
  counter: { color: colors.textMuted, fontSize: 12, alignSelf: 'flex-end' },
  chips: { flexDirection: 'row', flexWrap: 'wrap', gap: space.s },
  chip: {
    backgroundColor: colors.surfaceRaised,
    borderColor: colors.accent,
    borderWidth: 1,
    borderRadius: 16,
    paddingHorizontal: space.m,
    paddingVertical: space.xs,
  },
  chipText: { color: colors.text },
  result: { paddingVertical: space.s, paddingHorizontal: space.m, backgroundColor: colors.surface, borderRadius: 8 },
  resultText: { color: colors.text },
  error: { color: colors.danger },
  saved: { color: colors.success },
});
