import { useEffect } from 'react';
import type { OwnUser } from '@small-talk/protocol';
import { deviceLanguageCodes } from '../../device/locales';
import { readStored, writeStored } from '../../device/store';
import { useServices } from '../../services';
import { languagesOfLocales } from './languages';

const offeredKey = (userId: string) => `languagesFromDevice.${userId}`;

/**
 * First run: a user who named no languages gets the device's (expo-localization), so it is
 * matched with people it can talk to without visiting Profile. Once per user on this device: a
 * flag kept here says it was done, and Profile changes them after.
 */
export function useDeviceLanguages(user: OwnUser, onUpdated: (user: OwnUser) => void): void {
  const { api } = useServices();
  const needed = user.languages.length === 0;

  useEffect(() => {
    if (!needed || readStored(offeredKey(user.id)) === true) return;
    const languages = languagesOfLocales(deviceLanguageCodes());
    if (languages.length === 0) return;
    let live = true;
    api.updateProfile({ languages }).then(
      (updated) => {
        writeStored(offeredKey(user.id), true);
        if (live) onUpdated(updated);
      },
      // Offline or refused: tried again on the next run; meanwhile the user is matched with anyone.
      () => {},
    );
    return () => {
      live = false;
    };
  }, [api, user.id, needed, onUpdated]);
}
