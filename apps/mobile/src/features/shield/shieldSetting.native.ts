/**
 * Where the phones keep the shield setting: a small file in the app's document directory,
 * which stays until the app is uninstalled and is never sent anywhere. shieldSetting.ts is
 * the browser's. Read synchronously (a few bytes, once per app run), so the first frame of a
 * call is already shown (or not) as the user chose.
 */
import { File, Paths } from 'expo-file-system';

const FILE_NAME = 'shield-setting.json';

/** The stored choice, or null when the user never chose or the file can't be read. */
export function readShieldOn(): boolean | null {
  try {
    const file = new File(Paths.document, FILE_NAME);
    if (!file.exists) return null;
    const { on } = JSON.parse(file.textSync()) as { on?: unknown };
    return typeof on === 'boolean' ? on : null;
  } catch {
    return null;
  }
}

/** Throws when the file can't be written. */
export function writeShieldOn(on: boolean): void {
  const file = new File(Paths.document, FILE_NAME);
  if (!file.exists) file.create();
  file.write(JSON.stringify({ on }));
}
