import type { UiLanguage } from './languages';
import type { LanguageStrings } from './resources';
import es from './locales/es';
import de from './locales/de';
import fr from './locales/fr';
import ptBR from './locales/pt-BR';

/** Phones: the bundle is on the device already, so every language is in it (the web splits them: loaders.ts). */
export const LOADERS: Record<Exclude<UiLanguage, 'en'>, () => Promise<{ default: LanguageStrings }>> = {
  es: async () => ({ default: es }),
  de: async () => ({ default: de }),
  fr: async () => ({ default: fr }),
  'pt-BR': async () => ({ default: ptBR }),
};
