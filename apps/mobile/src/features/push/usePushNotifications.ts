import type { SmallTalkClient } from '@small-talk/client';
import type { PushTokenApi } from './types';

/** Phones only (usePushNotifications.native.ts): the web app has no push yet, and no expo-notifications in its bundle. */
export function usePushNotifications(_api: PushTokenApi, _client: SmallTalkClient, _onCallTapped?: (callId: string) => void): void {}
