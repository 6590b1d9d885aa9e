/**
 * Where a phone keeps its session token between launches. In a browser nothing is kept here:
 * the session is the HttpOnly cookie the server set, which scripts can't read (and shouldn't).
 * sessionToken.native.ts is the phones' (the platform's secure storage).
 */

/** The token kept from an earlier launch; never one in a browser. */
export async function loadSessionToken(): Promise<string | undefined> {
  return undefined;
}

/** Keeps the session's token for the next launch (undefined forgets it); nothing in a browser. */
export async function saveSessionToken(_token: string | undefined): Promise<void> {}
