/**
 * Push notifications in the web app's service worker. scripts/pwa-assets.mjs copies this file
 * into dist/ and Workbox's generated sw.js loads it with importScripts, so precaching stays
 * Workbox's and this file holds only what Workbox does not do.
 *
 * A push carries what the server's notifier sends (server/src/push/notifier.ts), as JSON:
 *   {"title":"Ada","body":"is calling you","data":{"type":"incoming_call","callId","callerId"}}
 *   {"title":"Ada","body":"wants to be your friend","data":{"type":"friend_request","requestId","fromId"}}
 * The texts come from the server in English: it does not know the device's language.
 *
 * A click brings the user to the app: an open window of it is focused and told which
 * notification was opened (a `notification_opened` message; the app connects its socket, and
 * the server then rings it with `incoming_call`), or a new one opens at /?call=<id> or
 * /?request=<id>, which the app reads the same way (src/features/push/usePushNotifications.ts).
 *
 * Plain script, no imports: a classic worker's importScripts cannot load modules.
 */
/* global self -- the service worker's global scope */

/** What the notification shows for a push's payload: never nothing, since a push the user cannot see is one Chromium replaces with its own "updated in the background". */
function notificationOf(payload) {
  const data = payload && typeof payload.data === 'object' && payload.data !== null ? payload.data : {};
  const call = data.type === 'incoming_call';
  return {
    title: payload && typeof payload.title === 'string' && payload.title ? payload.title : 'Small Talk',
    options: {
      body: payload && typeof payload.body === 'string' ? payload.body : '',
      data,
      // One notification per ring or request: a retried push for the same ring replaces it.
      tag: call ? `call-${data.callId}` : data.type === 'friend_request' ? `request-${data.requestId}` : 'small-talk',
      // A ring stays until the user acts on it, as a phone's ringing screen does.
      requireInteraction: call,
      icon: '/icons/icon-192.png',
    },
  };
}

/** The page a click opens when no window of the app is open. */
function pageFor(data) {
  if (data && data.type === 'incoming_call' && typeof data.callId === 'string')
    return `/?call=${encodeURIComponent(data.callId)}`;
  if (data && data.type === 'friend_request' && typeof data.requestId === 'string')
    return `/?request=${encodeURIComponent(data.requestId)}`;
  return '/';
}

/** Focuses an open window of the app and tells it what was opened, or opens one. */
async function openApp(data) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (open) {
    open.postMessage({ type: 'notification_opened', data });
    // A browser may refuse the focus (it allows it only for a click it saw): the window has the message anyway.
    return open.focus().catch(() => open);
  }
  return self.clients.openWindow(pageFor(data));
}

self.addEventListener('push', (event) => {
  let payload = null;
  try {
    payload = event.data ? event.data.json() : null;
  } catch {
    // Not JSON: still show something, the browser requires it of every push.
  }
  const { title, options } = notificationOf(payload);
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(openApp(event.notification.data || {}));
});
