/**
 * Registers the service worker of the web build (/sw.js, written by scripts/pwa-assets.mjs
 * after `expo export`): it keeps the app shell so the installed app opens offline. Web only,
 * production builds only: `expo start` serves no sw.js, and a worker caching a development
 * bundle would serve stale code on the next reload. Registered after `load`, so its precaching
 * never competes with the first screen's own requests.
 */
import { Platform } from 'react-native';

export const SERVICE_WORKER_URL = '/sw.js';

export function registerServiceWorker(): void {
  if (Platform.OS !== 'web' || __DEV__ || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
  const register = () => {
    navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: '/' }).catch(() => {
      // No worker (a private window, a browser that refuses it): the app works as a plain page.
    });
  };
  if (document.readyState === 'complete') register();
  else window.addEventListener('load', register, { once: true });
}
