import type { UiLanguage } from './languages';
import type { LanguageStrings } from './resources';

/**
 * The web: each language but English is a chunk of its own, fetched when chosen (the service
 * worker precaches it with the app, so it loads offline too). Phones: loaders.native.ts.
 */
export const LOADERS: Record<Exclude<UiLanguage, 'en'>, () => Promise<{ default: LanguageStrings }>> = {
  es: () => import('./locales/es'),
  de: () => import('./locales/de'),
  fr: () => import('./locales/fr'),
  'pt-BR': () => import('./locales/pt-BR'),
};
