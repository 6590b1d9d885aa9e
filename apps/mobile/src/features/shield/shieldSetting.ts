/**
 * Where the browser keeps the shield setting: this origin's localStorage, on this device only
 * (never sent to the server: whether someone filters nudity is nobody else's business).
 * shieldSetting.native.ts is the phones'. Both read synchronously, so the first frame of a
 * call is already shown (or not) as the user chose.
 */
const KEY = 'small-talk.shield';

/** The stored choice, or null when the user never chose (or storage is blocked, e.g. some private modes). */
export function readShieldOn(): boolean | null {
  try {
    const value = globalThis.localStorage?.getItem(KEY);
    return value === 'on' ? true : value === 'off' ? false : null;
  } catch {
    return null;
  }
}

/** Throws when the browser refuses to store it. */
export function writeShieldOn(on: boolean): void {
  globalThis.localStorage?.setItem(KEY, on ? 'on' : 'off');
}
