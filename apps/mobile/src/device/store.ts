/**
 * Small choices kept on this device and never sent anywhere (whether to meet anyone after a
 * while, whether the device's languages were offered to an account yet): this origin's
 * localStorage in a browser. store.native.ts is the phones'. Reads are synchronous, so a screen
 * shows the stored choice on its first frame.
 */
const PREFIX = 'small-talk.';

/** The stored value, or undefined when none was stored (or storage is blocked, e.g. some private modes). */
export function readStored(key: string): unknown {
  try {
    const text = globalThis.localStorage?.getItem(PREFIX + key);
    return text == null ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Best effort: a device that refuses to store it keeps the choice until the app closes, through the caller's state. */
export function writeStored(key: string, value: unknown): void {
  try {
    globalThis.localStorage?.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // Storage full or blocked: nothing else to do.
  }
}
