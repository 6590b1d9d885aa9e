/**
 * Small choices kept on this device and never sent anywhere: one JSON file in the app's document
 * directory, which stays until the app is uninstalled. store.ts is the browser's. Reads are
 * synchronous (a few bytes), so a screen shows the stored choice on its first frame.
 */
import { File, Paths } from 'expo-file-system';

const FILE_NAME = 'device-settings.json';

function readAll(): Record<string, unknown> {
  try {
    const file = new File(Paths.document, FILE_NAME);
    if (!file.exists) return {};
    const parsed: unknown = JSON.parse(file.textSync());
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The stored value, or undefined when none was stored or the file can't be read. */
export function readStored(key: string): unknown {
  return readAll()[key];
}

/** Best effort: a device that refuses to store it keeps the choice until the app closes, through the caller's state. */
export function writeStored(key: string, value: unknown): void {
  try {
    const file = new File(Paths.document, FILE_NAME);
    const all = readAll();
    all[key] = value;
    if (!file.exists) file.create();
    file.write(JSON.stringify(all));
  } catch {
    // Disk full or the directory is gone: nothing else to do.
  }
}
