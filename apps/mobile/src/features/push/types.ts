import type { PushTokenRequest } from '@small-talk/protocol';

/** What registration needs of the API: one call, so tests and screens pass the app's Api. */
export interface PushTokenApi {
  registerPushToken(body: PushTokenRequest): Promise<void>;
}

export type PushRegistration = 'registered' | 'not-allowed' | 'unsupported';
