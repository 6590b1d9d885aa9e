import { z } from 'zod';

/**
 * Push notifications: a device registers where it can be woken (an Expo push token on phones, a
 * Web Push subscription in the installed web app), and the server wakes it for a friend's call
 * or friend request when it has no live socket.
 */

export const PushPlatform = z.enum(['ios', 'android', 'web']);
export type PushPlatform = z.infer<typeof PushPlatform>;

/**
 * `POST /api/me/push-tokens` → 201 `{}`. `token`: the Expo push token (`ExponentPushToken[…]`) on
 * ios/android; on web, the JSON text of the browser's PushSubscription (`JSON.stringify(sub)`).
 * Registering a token again moves it to this user and session (a phone changes hands).
 */
export const PushTokenRequest = z.object({
  token: z.string().min(1).max(4096),
  platform: PushPlatform,
});
export type PushTokenRequest = z.infer<typeof PushTokenRequest>;

/** `GET /api/push/config`: the VAPID public key web push subscribes with, null when web push is off. */
export const PushConfigResponse = z.object({
  webPushKey: z.string().nullable(),
});
export type PushConfigResponse = z.infer<typeof PushConfigResponse>;

/** What a push carries in `data`, for the app to act on a tap: no message content, only ids. */
export const PushData = z.discriminatedUnion('type', [
  z.object({ type: z.literal('incoming_call'), callId: z.string(), callerId: z.string() }),
  z.object({ type: z.literal('friend_request'), requestId: z.string(), fromId: z.string() }),
]);
export type PushData = z.infer<typeof PushData>;
