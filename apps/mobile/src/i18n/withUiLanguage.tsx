import type { ComponentType } from 'react';
import { useTranslation } from 'react-i18next';
import { NAMESPACES } from './resources';

/**
 * The app, once the UI language's strings have loaded: at once for English (bundled), after its
 * chunk for another language (a few milliseconds, from the service worker's cache on the web).
 * Until then nothing is drawn, rather than a screen of English that flips a moment later.
 */
export function withUiLanguage(App: ComponentType): ComponentType {
  return function UiLanguageReady() {
    const { ready } = useTranslation(NAMESPACES);
    return ready ? <App /> : null;
  };
}
