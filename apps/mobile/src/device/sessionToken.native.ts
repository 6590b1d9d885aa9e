/**
 * Where a phone keeps its session token between launches: the platform's secure storage
 * (expo-secure-store: the Keychain on iOS, Keystore-encrypted preferences on Android), so a
 * phone stays signed in and no other app, backup or file browser can read the token. It is
 * forgotten on sign-out and when the server ends the session. sessionToken.ts is the browser's.
 */
import * as SecureStore from 'expo-secure-store';

const KEY = 'small-talk.session';

/** Readable after the first unlock since boot, and never restored onto another device. */
const OPTIONS: SecureStore.SecureStoreOptions = { keychainAccessible: SecureStore.AFTER_FIRST_UNLOCK_THIS_DEVICE_ONLY };

/** The token kept from an earlier launch, or undefined (none, or the store can't be read). */
export async function loadSessionToken(): Promise<string | undefined> {
  try {
    return (await SecureStore.getItemAsync(KEY, OPTIONS)) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the session's token for the next launch; undefined forgets it. Best effort: a store that fails leaves the user signed in until the app closes. */
export async function saveSessionToken(token: string | undefined): Promise<void> {
  try {
    if (token) await SecureStore.setItemAsync(KEY, token, OPTIONS);
    else await SecureStore.deleteItemAsync(KEY, OPTIONS);
  } catch {
    // Nothing else to do: the next launch asks to sign in again.
  }
}
