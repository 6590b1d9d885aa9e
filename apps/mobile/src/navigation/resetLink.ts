/**
 * The link a password-reset mail carries, `PUBLIC_URL/reset?token=…`, opens the web app (the
 * server serves it at /reset). Phones have no such page: the mail's link opens the browser.
 */
import { Platform } from 'react-native';

/** The page is the reset page: its token ('' when the link lost it); null on any other page and on phones. */
export function resetTokenFromUrl(): string | null {
  if (Platform.OS !== 'web' || typeof window === 'undefined') return null;
  const { pathname, search } = window.location;
  if (pathname.replace(/\/+$/, '') !== '/reset') return null;
  return new URLSearchParams(search).get('token') ?? '';
}

/** Done with the reset page: the address bar shows the app's, and a reload does not open the spent link again. */
export function leaveResetPage(): void {
  if (Platform.OS !== 'web' || typeof window === 'undefined') return;
  window.history.replaceState(null, '', '/');
}
