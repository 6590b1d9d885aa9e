import { useEffect, useState, type ComponentType } from 'react';
import { i18n } from './i18n';
import { NAMESPACES } from './resources';

/** Whether every namespace of the current language is in memory (English always is: it is bundled). */
function loaded(): boolean {
  const language = i18n.language;
  return language === 'en' || NAMESPACES.every((namespace) => i18n.hasResourceBundle(language, namespace));
}

/**
 * The app, once the UI language's strings have loaded: at once for English (bundled), after its
 * chunk for another language (a few milliseconds, from the service worker's cache on the web).
 * Until then nothing is drawn, rather than a screen of English that a moment later should turn
 * German but would not: react-i18next counts a namespace as ready when the English fallback has
 * it, so screens drawn before the chunk arrives would keep their English until the next switch.
 * A chunk that fails to load leaves the app in English.
 */
export function withUiLanguage(App: ComponentType): ComponentType {
  return function UiLanguageReady() {
    const [ready, setReady] = useState(loaded);
    useEffect(() => {
      if (ready) return;
      let live = true;
      void i18n.loadLanguages(i18n.language).finally(() => {
        if (live) setReady(true);
      });
      return () => {
        live = false;
      };
    }, [ready]);
    return ready ? <App /> : null;
  };
}
