/**
 * The languages the app's own words come in (not the languages a user speaks, which matching
 * uses: see features/profile). The device's language picks one on first run; Profile's
 * `ui-language` switch overrides it on this device.
 */
export const UI_LANGUAGES = ['en', 'es', 'de', 'fr', 'pt-BR'] as const;
export type UiLanguage = (typeof UI_LANGUAGES)[number];

/** Each language's name in itself, for the switch: a user who cannot read the current language still finds theirs. */
export const UI_LANGUAGE_NAMES: Record<UiLanguage, string> = {
  en: 'English',
  es: 'Español',
  de: 'Deutsch',
  fr: 'Français',
  'pt-BR': 'Português (Brasil)',
};

export function isUiLanguage(value: unknown): value is UiLanguage {
  return typeof value === 'string' && (UI_LANGUAGES as readonly string[]).includes(value);
}

/**
 * The first of the device's locales (BCP 47 tags, preferred first) the app speaks: an exact tag
 * (`pt-BR`), else its language (`es-MX` → `es`, `pt-PT` → `pt-BR`, the one Portuguese there is);
 * English when none fits.
 */
export function pickUiLanguage(deviceTags: readonly string[]): UiLanguage {
  for (const tag of deviceTags) {
    if (isUiLanguage(tag)) return tag;
    const language = tag.split(/[-_]/)[0]?.toLowerCase();
    const match = UI_LANGUAGES.find((candidate) => candidate.split('-')[0] === language);
    if (match) return match;
  }
  return 'en';
}
