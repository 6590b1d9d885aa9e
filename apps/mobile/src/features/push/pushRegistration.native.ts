import * as Notifications from 'expo-notifications';
import { Platform } from 'react-native';
import { i18n } from '../../i18n/i18n';

import type { PushRegistration, PushTokenApi } from './types';

export type { PushRegistration, PushTokenApi };

/**
 * Registers this phone's Expo push token with the server, so a friend's call or request can
 * wake it. Asks the operating system's permission only when `ask` (the user just added a
 * friend: the moment a notification starts to mean something); otherwise it only refreshes a
 * token the user already allowed. The web app registers its own subscription (webPush.ts).
 */
export async function registerPush(api: PushTokenApi, { ask }: { ask: boolean }): Promise<PushRegistration> {
  if (Platform.OS !== 'ios' && Platform.OS !== 'android') return 'unsupported';
  // Android 13+ shows the permission prompt only once a channel exists; calls need a loud one.
  if (Platform.OS === 'android') {
    await Notifications.setNotificationChannelAsync('default', {
      name: i18n.t('push:channelName'),
      importance: Notifications.AndroidImportance.MAX,
    });
  }
  let permission = await Notifications.getPermissionsAsync();
  if (!permission.granted && ask && permission.canAskAgain) permission = await Notifications.requestPermissionsAsync();
  if (!permission.granted) return 'not-allowed';
  const { data: token } = await Notifications.getExpoPushTokenAsync();
  await api.registerPushToken({ token, platform: Platform.OS });
  return 'registered';
}

let askedThisLaunch = false;

/** After the user's first friend request of this launch: asks once, then never again until the next launch. */
export function askForPushOnce(api: PushTokenApi): void {
  if (askedThisLaunch) return;
  askedThisLaunch = true;
  registerPush(api, { ask: true }).catch(() => {
    // No token (no network, no Play services): calls still ring an open app; the next launch tries again.
  });
}

/** For tests: a fresh launch. */
export function forgetAskedForPush(): void {
  askedThisLaunch = false;
}
