import { getLocales } from 'expo-localization';

/** The device's locales as BCP 47 tags, the user's preference first (`de-CH`, `en-US`). */
export function deviceLocaleTags(): string[] {
  try {
    return getLocales().map((locale) => locale.languageTag);
  } catch {
    // A platform without the native module (an old build): no locales to go by.
    return [];
  }
}

/** The language part of each of the device's locales, the user's preference first (`de-CH`, `en-US` → `de`, `en`). */
export function deviceLanguageCodes(): string[] {
  try {
    return getLocales().flatMap((locale) => (locale.languageCode ? [locale.languageCode] : []));
  } catch {
    // A platform without the native module (an old build): no languages to offer.
    return [];
  }
}
