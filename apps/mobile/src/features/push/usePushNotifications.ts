import { useEffect } from 'react';
import type { SmallTalkClient } from '@small-talk/client';
import type { PushTokenApi } from './types';
import { openedFromUrl, openedNotification, registerWebPush, type OpenedNotification } from './webPush';

/** The message scripts/sw-push.js posts to an open window when one of its notifications is clicked. */
export const NOTIFICATION_OPENED = 'notification_opened';

/**
 * Push for a signed-in user of the web app: the subscription is refreshed when notifications
 * are already allowed, and a clicked notification (a message from the service worker to this
 * window, or the /?call= or /?request= page it opened) brings the socket up, so the server
 * (which rings a socket that opens while its user is rung) delivers `incoming_call` and the
 * incoming-call screen shows; a friend request's goes to Friends when `onRequestTapped` is given.
 */
export function usePushNotifications(
  api: PushTokenApi,
  client: SmallTalkClient,
  onCallTapped?: (callId: string) => void,
  onRequestTapped?: () => void,
): void {
  useEffect(() => {
    if (typeof window === 'undefined' || typeof navigator === 'undefined') return;
    let live = true;
    registerWebPush(api, { ask: false }).catch(() => {});
    const opened = (notification: OpenedNotification | null) => {
      if (!live || !notification) return;
      if (notification.type === 'friend_request') {
        onRequestTapped?.();
        return;
      }
      try {
        client.connect(); // nothing when it is open or opening already
      } catch {
        // Unreachable server: the socket banner says so, and the ring ends by itself.
      }
      onCallTapped?.(notification.callId);
    };
    // A window the service worker opened for a click: read once, then dropped from the address bar.
    const fromUrl = openedFromUrl(window.location.search);
    if (fromUrl) {
      window.history.replaceState(window.history.state, '', window.location.pathname);
      opened(fromUrl);
    }
    const onMessage = (event: MessageEvent) => {
      const message = event.data as { type?: unknown; data?: unknown } | null;
      if (message?.type === NOTIFICATION_OPENED) opened(openedNotification(message.data));
    };
    const worker = 'serviceWorker' in navigator ? navigator.serviceWorker : null;
    worker?.addEventListener('message', onMessage);
    return () => {
      live = false;
      worker?.removeEventListener('message', onMessage);
    };
  }, [api, client, onCallTapped, onRequestTapped]);
}
