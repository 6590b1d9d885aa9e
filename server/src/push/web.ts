import webPush from 'web-push';
import { RetryableError, type SendOutcome } from './expo.js';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  /** mailto: or https: contact the push services may reach the operator at. */
  subject: string;
}

export interface WebNotification {
  title: string;
  body: string;
  data: Record<string, string>;
}

/** Web Push (RFC 8030, VAPID) to the installed web app: the token is the JSON of its PushSubscription. */
export class WebPushSender {
  constructor(private readonly keys: VapidKeys) {}

  async send(subscriptionJson: string, notification: WebNotification, ttlS: number): Promise<SendOutcome> {
    let subscription: webPush.PushSubscription;
    try {
      subscription = JSON.parse(subscriptionJson) as webPush.PushSubscription;
    } catch {
      return 'unregistered';
    }
    try {
      await webPush.sendNotification(subscription, JSON.stringify(notification), {
        TTL: ttlS,
        urgency: 'high',
        vapidDetails: { subject: this.keys.subject, publicKey: this.keys.publicKey, privateKey: this.keys.privateKey },
        timeout: 10_000,
      });
      return 'ok';
    } catch (error) {
      if (error instanceof webPush.WebPushError) {
        const status = error.statusCode;
        // 404 and 410: the browser dropped the subscription (unsubscribed, app removed).
        if (status === 404 || status === 410) return 'unregistered';
        if (status === 429 || status >= 500) throw new RetryableError(`web push service answered ${status}`);
        return 'failed';
      }
      // A network error (it has a code: ECONNREFUSED, ETIMEDOUT…) may heal; a subscription the
      // library cannot encrypt for (keys of the wrong length) never will.
      if (typeof (error as { code?: unknown }).code === 'string')
        throw new RetryableError('web push service unreachable');
      return 'unregistered';
    }
  }
}

/** A web token must be a subscription a push service can be reached with. */
export function isWebSubscription(token: string): boolean {
  try {
    const value = JSON.parse(token) as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } };
    return (
      typeof value.endpoint === 'string' &&
      /^https:\/\//.test(value.endpoint) &&
      typeof value.keys?.p256dh === 'string' &&
      typeof value.keys.auth === 'string'
    );
  } catch {
    return false;
  }
}
