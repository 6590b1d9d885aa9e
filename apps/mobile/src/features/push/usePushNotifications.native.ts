import { useEffect } from 'react';
import * as Notifications from 'expo-notifications';
import { Platform } from 'react-native';
import type { SmallTalkClient } from '@small-talk/client';
import { registerPush } from './pushRegistration';
import type { PushTokenApi } from './types';

/**
 * Push for a signed-in user: the token is refreshed when notifications are already allowed, and
 * a tapped call notification brings the socket up, so the server (which tells a socket that
 * opens while its user is rung) delivers `incoming_call` and the incoming-call screen shows; a
 * tapped friend request goes to Friends when `onRequestTapped` is given.
 */
export function usePushNotifications(
  api: PushTokenApi,
  client: SmallTalkClient,
  onCallTapped?: (callId: string) => void,
  onRequestTapped?: () => void,
): void {
  useEffect(() => {
    if (Platform.OS !== 'ios' && Platform.OS !== 'android') return;
    let live = true;
    registerPush(api, { ask: false }).catch(() => {});
    const opened = (response: Notifications.NotificationResponse | null) => {
      const data = response?.notification.request.content.data as Record<string, unknown> | undefined;
      if (!live) return;
      if (data?.type === 'friend_request') {
        onRequestTapped?.();
        return;
      }
      if (data?.type !== 'incoming_call' || typeof data.callId !== 'string') return;
      try {
        client.connect(); // nothing when it is open or opening already
      } catch {
        // Unreachable server: the socket banner says so, and the ring ends by itself.
      }
      onCallTapped?.(data.callId);
    };
    const subscription = Notifications.addNotificationResponseReceivedListener(opened);
    // The tap that launched the app happened before this listener existed.
    Notifications.getLastNotificationResponseAsync().then(opened, () => {});
    return () => {
      live = false;
      subscription.remove();
    };
  }, [api, client, onCallTapped, onRequestTapped]);
}
