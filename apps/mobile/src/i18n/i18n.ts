/**
 * The one i18n layer (i18next + react-i18next): screens call `useTranslation()` and `t('ns:key')`;
 * code outside components (error messages from hooks) uses `i18n.t`. Set up on import: English
 * at once, another language as soon as its chunk has loaded (Root waits for it, so the first
 * screen a user sees is already in their language).
 */
import './pluralRules';
import i18n from 'i18next';
import resourcesToBackend from 'i18next-resources-to-backend';
import { initReactI18next } from 'react-i18next';
import { deviceLocaleTags } from '../device/locales';
import { readStored, writeStored } from '../device/store';
import { isUiLanguage, pickUiLanguage, type UiLanguage } from './languages';
import { LOADERS } from './loaders';
import { english, NAMESPACES, type LanguageStrings, type Namespace } from './resources';

/** The device's key for the language chosen on Profile (absent: follow the device). */
const STORED_KEY = 'ui-language';

/** The chosen language if the user picked one on this device, else the device's. */
export function initialUiLanguage(): UiLanguage {
  const stored = readStored(STORED_KEY);
  return isUiLanguage(stored) ? stored : pickUiLanguage(deviceLocaleTags());
}

/** Each language's chunk, fetched once for all its namespaces. */
const chunks = new Map<UiLanguage, Promise<LanguageStrings>>();

/** A language's namespace, from its chunk (English is bundled and never asked for). */
async function load(language: string, namespace: string): Promise<object | undefined> {
  if (!isUiLanguage(language) || language === 'en') return undefined;
  // init() asks while the bundle is still being evaluated, before Metro's loader of lazy chunks
  // is installed (the app's first import is this module): ask once evaluation is over.
  await Promise.resolve();
  let chunk = chunks.get(language);
  if (!chunk) {
    chunk = LOADERS[language]().then((module) => module.default);
    chunks.set(language, chunk);
    // A failed fetch (offline, no cache) may succeed on the next switch.
    chunk.catch(() => chunks.delete(language));
  }
  return (await chunk)[namespace as Namespace];
}

void i18n
  .use(resourcesToBackend(load))
  .use(initReactI18next)
  .init({
    resources: { en: english },
    // Languages not in `resources` come from the backend above.
    partialBundledLanguages: true,
    lng: initialUiLanguage(),
    fallbackLng: 'en',
    ns: NAMESPACES,
    defaultNS: 'common',
    // React escapes what it renders; escaping here too would show "&amp;" in names.
    interpolation: { escapeValue: false },
    returnNull: false,
    // English is bundled: with it, init is done before the first render.
    initAsync: false,
    react: { useSuspense: false },
  });
markDocumentLanguage(i18n.language);

/** Switches every screen to `language` at once and keeps the choice on this device. */
export async function setUiLanguage(language: UiLanguage): Promise<void> {
  writeStored(STORED_KEY, language);
  // Resolves once the language's strings have loaded and every screen has switched.
  await i18n.changeLanguage(language);
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
