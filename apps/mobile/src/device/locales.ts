import { getLocales } from 'expo-localization';

/** The language part of each of the device's locales, the user's preference first (`de-CH`, `en-US` → `de`, `en`). */
export function deviceLanguageCodes(): string[] {
  try {
    return getLocales().flatMap((locale) => (locale.languageCode ? [locale.languageCode] : []));
  } catch {
    // A platform without the native module (an old build): no languages to offer.
    return [];
  }
}
