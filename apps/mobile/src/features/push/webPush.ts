import { PushConfigResponse } from '@small-talk/protocol';
import type { PushRegistration, PushTokenApi } from './types';

/**
 * The installed web app's push subscription (Web Push with the server's VAPID key): the browser
 * hands out an endpoint and keys, and the server gets their JSON as this device's token. Its
 * notifications are shown and clicked in the service worker (scripts/sw-push.js).
 *
 * Logout needs nothing here, as on phones: the server drops the session's tokens with it, and
 * whoever signs in next on this browser registers the same subscription as theirs.
 */

/** Where the app's server is: the page's own origin (src/config.ts: the web app's httpBase is ''). */
const CONFIG_PATH = '/api/push/config';

async function webPushKey(fetchConfig: typeof fetch): Promise<string | null> {
  const response = await fetchConfig(CONFIG_PATH, { headers: { accept: 'application/json' } });
  if (!response.ok) return null;
  const parsed = PushConfigResponse.safeParse(await response.json());
  return parsed.success ? parsed.data.webPushKey : null;
}

/** A VAPID public key (base64url, as the server gives it) as the bytes PushManager.subscribe takes. */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(base64url.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function sameKey(current: ArrayBuffer | null | undefined, wanted: Uint8Array): boolean {
  // A browser that does not say which key a subscription was made with: take it as ours.
  if (!current) return true;
  const bytes = new Uint8Array(current);
  return bytes.length === wanted.length && bytes.every((byte, i) => byte === wanted[i]);
}

export function webPushSupported(): boolean {
  return (
    typeof navigator !== 'undefined' &&
    'serviceWorker' in navigator &&
    typeof PushManager !== 'undefined' &&
    typeof Notification !== 'undefined'
  );
}

/**
 * Subscribes this browser and registers the subscription. Asks for permission only when `ask`
 * (the user just added a friend, the same moment phones ask); otherwise it only refreshes a
 * subscription the user already allowed. 'unsupported' when the browser has no push or the
 * server no VAPID key.
 */
export async function registerWebPush(
  api: PushTokenApi,
  { ask }: { ask: boolean },
  fetchConfig: typeof fetch = fetch,
): Promise<PushRegistration> {
  if (!webPushSupported()) return 'unsupported';
  const key = await webPushKey(fetchConfig);
  if (!key) return 'unsupported';
  let permission = Notification.permission;
  if (permission === 'default' && ask) permission = await Notification.requestPermission();
  if (permission !== 'granted') return 'not-allowed';
  const registration = await navigator.serviceWorker.ready;
  const applicationServerKey = keyBytes(key);
  let subscription = await registration.pushManager.getSubscription();
  // Made with another key (the operator replaced the VAPID pair): the server can no longer sign for it.
  if (subscription && !sameKey(subscription.options?.applicationServerKey, applicationServerKey)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
  await api.registerPushToken({ token: JSON.stringify(subscription), platform: 'web' });
  return 'registered';
}

/** What a notification the user opened is about: its `data`, as the server sent it. */
export type OpenedNotification =
  { type: 'incoming_call'; callId: string } | { type: 'friend_request'; requestId: string };

export function openedNotification(data: unknown): OpenedNotification | null {
  const value = data as Record<string, unknown> | null | undefined;
  if (value?.type === 'incoming_call' && typeof value.callId === 'string')
    return { type: 'incoming_call', callId: value.callId };
  if (value?.type === 'friend_request' && typeof value.requestId === 'string')
    return { type: 'friend_request', requestId: value.requestId };
  return null;
}

/** The notification a new window was opened for by the service worker: /?call=<id> or /?request=<id>. */
export function openedFromUrl(search: string): OpenedNotification | null {
  const params = new URLSearchParams(search);
  const callId = params.get('call');
  if (callId) return { type: 'incoming_call', callId };
  const requestId = params.get('request');
  if (requestId) return { type: 'friend_request', requestId };
  return null;
}
