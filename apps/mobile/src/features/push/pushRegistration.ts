import type { PushRegistration, PushTokenApi } from './types';

export type { PushRegistration, PushTokenApi };

/**
 * The web app does not register for push yet: web push needs the service worker's push handler
 * (see docs/protocol.md, "Push tokens"). This file keeps expo-notifications out of the web
 * bundle; phones use pushRegistration.native.ts.
 */
export async function registerPush(_api: PushTokenApi, _options: { ask: boolean }): Promise<PushRegistration> {
  return 'unsupported';
}

export function askForPushOnce(_api: PushTokenApi): void {}

export function forgetAskedForPush(): void {}
