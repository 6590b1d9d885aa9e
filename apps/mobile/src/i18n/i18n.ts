/**
 * The one i18n layer (i18next + react-i18next): screens call `useTranslation()` and `t('ns:key')`;
 * code outside components (error messages from hooks) uses `i18n.t`. Set up on import, with
 * every language bundled, so the first frame is already in the right language.
 */
// Hermes (the phones' JavaScript engine) lacks Intl.PluralRules, which i18next's plurals need;
// the polyfill installs itself only where it is missing.
import 'intl-pluralrules';
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { getLocales } from 'expo-localization';
import { readStored, writeStored } from '../device/store';
import { isUiLanguage, pickUiLanguage, type UiLanguage } from './languages';
import { NAMESPACES, resources } from './resources';

/** The device's key for the language chosen on Profile (absent: follow the device). */
const STORED_KEY = 'ui-language';

function deviceTags(): string[] {
  try {
    return getLocales().map((locale) => locale.languageTag);
  } catch {
    return [];
  }
}

/** The chosen language if the user picked one on this device, else the device's. */
export function initialUiLanguage(): UiLanguage {
  const stored = readStored(STORED_KEY);
  return isUiLanguage(stored) ? stored : pickUiLanguage(deviceTags());
}

void i18n.use(initReactI18next).init({
  resources,
  lng: initialUiLanguage(),
  fallbackLng: 'en',
  ns: NAMESPACES,
  defaultNS: 'common',
  // React escapes what it renders; escaping here too would show "&amp;" in names.
  interpolation: { escapeValue: false },
  returnNull: false,
  // Resources are bundled: init finishes synchronously, before the first render.
  initAsync: false,
  react: { useSuspense: false },
});
markDocumentLanguage(i18n.language);

/** Switches every screen to `language` at once and keeps the choice on this device. */
export function setUiLanguage(language: UiLanguage): void {
  writeStored(STORED_KEY, language);
  void i18n.changeLanguage(language);
  markDocumentLanguage(language);
}

export function currentUiLanguage(): UiLanguage {
  return isUiLanguage(i18n.language) ? i18n.language : 'en';
}

/** The web page's `lang`, so screen readers pronounce it in that language (and axe's html-has-lang holds). */
function markDocumentLanguage(language: string): void {
  const root = (globalThis as { document?: { documentElement?: { lang: string } } }).document?.documentElement;
  if (root) root.lang = language;
}

export { i18n };
