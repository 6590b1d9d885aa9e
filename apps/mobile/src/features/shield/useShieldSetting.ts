import { useCallback, useSyncExternalStore } from 'react';
import { readShieldOn, writeShieldOn } from './shieldSetting';

/**
 * The shield setting (Safety screen): one copy for the whole app, so a call sees what the
 * Safety screen set. On by default: a user who never chose is protected.
 */
export interface ShieldSetting {
  on: boolean;
  set(on: boolean): void;
}

/** null: not read yet in this app run. */
let current: boolean | null = null;
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function snapshot(): boolean {
  current ??= readShieldOn() ?? true;
  return current;
}

/** The setting as it stands now, for code outside React (e.g. whether to load the model early). */
export function shieldOn(): boolean {
  return snapshot();
}

export function useShieldSetting(): ShieldSetting {
  const on = useSyncExternalStore(subscribe, snapshot, snapshot);
  const set = useCallback((next: boolean) => {
    current = next;
    for (const listener of listeners) listener();
    try {
      writeShieldOn(next);
    } catch {
      // The device refused to store it: the choice still holds until the app closes.
    }
  }, []);
  return { on, set };
}

/** Tests start each case as a fresh app run: the stored choice is read again. */
export function forgetShieldSetting(): void {
  current = null;
}
