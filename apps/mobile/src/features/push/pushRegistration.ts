import type { PushRegistration, PushTokenApi } from './types';
import { registerWebPush } from './webPush';

export type { PushRegistration, PushTokenApi };

/**
 * The web app's push: a Web Push subscription of its service worker (webPush.ts). This file
 * keeps expo-notifications out of the web bundle; phones use pushRegistration.native.ts.
 */
export function registerPush(api: PushTokenApi, options: { ask: boolean }): Promise<PushRegistration> {
  return registerWebPush(api, options);
}

let askedThisLaunch = false;

/** After the user's first friend request of this page load: asks once, as phones do. */
export function askForPushOnce(api: PushTokenApi): void {
  if (askedThisLaunch) return;
  askedThisLaunch = true;
  registerWebPush(api, { ask: true }).catch(() => {
    // No subscription (the push service unreachable, a browser without one): calls still ring an open app.
  });
}

/** For tests: a fresh page load. */
export function forgetAskedForPush(): void {
  askedThisLaunch = false;
}
