import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CDPSession, Page } from 'playwright-core';
import webPush from 'web-push';
import { sleep, user, type Client } from '../harness.js';
import { eventually, textMatches, UI_TIMEOUT_MS } from './browser.js';
import { browserSuiteSkip, useBrowserSuite } from './suite.js';
import {
  browserSubscription,
  fakePushManager,
  startPushReceiver,
  type BrowserSubscription,
  type PushReceiver,
} from './webpush.js';

/**
 * Web push end to end (issue 16): the installed web app subscribes with the server's VAPID key
 * and registers the subscription; a friend's call to it with no socket open sends exactly one
 * encrypted push with the caller's name and the ring's id; that push, delivered to the app's
 * service worker, shows a notification; and a click on it brings the user to the incoming call.
 *
 * Headless Chromium reaches no push service here, so the page's PushManager hands out a
 * subscription whose endpoint is a local HTTPS receiver (webpush.ts) and whose keys are real, so
 * the test decrypts what arrives. The push is then given to the service worker with DevTools'
 * ServiceWorker.deliverPushMessage, as the push service would. Chromium allows
 * clients.openWindow() and focus() only for a click it saw itself, which a test cannot make:
 * the click is dispatched inside the worker (a synthetic notificationclick), with the page open
 * (the worker tells it which notification was opened) and with none (the worker's
 * clients.openWindow stood in for, to read the page it opens), and that page is then opened.
 */

const skip = browserSuiteSkip();

const RING_MS = 30_000;
/**
 * How long the worker is given to show a pushed notification before a page first reads the list.
 * In headless Chromium a `getNotifications()` that starts while the worker's `showNotification()`
 * is still running can leave that notification out of every later list too: polling at once
 * failed 2 runs in 11 (and CI twice); pausing first (100 ms, or a round trip into the worker) 0 in
 * 35, and this pause 0 in 15. The app never reads the list; only this test does.
 */
const SHOW_MS = 300;
const TEST_TIMEOUT_MS = 180_000;

type Shown = { title: string; body: string; tag: string; requireInteraction: boolean; data: Record<string, string> };

describe('web push in Chromium, end to end', { skip }, () => {
  let receiver: PushReceiver;
  let subscription: BrowserSubscription;
  const vapid = webPush.generateVAPIDKeys();
  const sockets: Client[] = [];

  // Before the suite's server, whose environment names the receiver's certificate.
  before(async () => {
    receiver = await startPushReceiver();
    subscription = browserSubscription(`${receiver.url}/push/bo-laptop`);
  });
  const e2e = useBrowserSuite({
    server: () => ({
      env: {
        RING_TIMEOUT_MS: String(RING_MS),
        PUSH_ENABLED: 'true',
        VAPID_PUBLIC_KEY: vapid.publicKey,
        VAPID_PRIVATE_KEY: vapid.privateKey,
        VAPID_SUBJECT: 'mailto:ops@chat.example',
        // The receiver's self-signed certificate, trusted by this server process only.
        NODE_EXTRA_CA_CERTS: receiver.certFile,
      },
    }),
  });
  after(async () => {
    await Promise.all(sockets.map((s) => (s.closeCode === undefined ? s.close() : s.closed)));
    await receiver?.close();
  });

  const shownIn = (page: Page) =>
    page.evaluate(async () => {
      const registration = await (
        globalThis as unknown as {
          navigator: { serviceWorker: { ready: Promise<{ getNotifications(): Promise<Shown[]> }> } };
        }
      ).navigator.serviceWorker.ready;
      return (await registration.getNotifications()).map((n) => ({
        title: n.title,
        body: n.body,
        tag: n.tag,
        requireInteraction: n.requireInteraction,
        data: n.data,
      }));
    });

  /**
   * In the worker: a notificationclick on its first notification, as the user's click would
   * dispatch it. With `noWindow`, the worker's clients are stood in for by none open, and the
   * pages it would open are returned. Runs in the worker: no closures.
   */
  async function clickFirstNotification({ noWindow }: { noWindow: boolean }): Promise<string[]> {
    type Extendable = Event & { waitUntil(promise: Promise<unknown>): void };
    const scope = globalThis as unknown as {
      registration: { getNotifications(): Promise<unknown[]> };
      NotificationEvent: new (type: string, init: { notification: unknown }) => Extendable;
      dispatchEvent(event: Event): boolean;
    };
    const opened: string[] = [];
    // The worker's own `clients` (a global's attributes sit on the global itself), put back after.
    const real = Object.getOwnPropertyDescriptor(scope, 'clients');
    if (noWindow)
      Object.defineProperty(scope, 'clients', {
        configurable: true,
        value: { matchAll: async () => [], openWindow: async (url: string) => void opened.push(url) },
      });
    try {
      const [notification] = await scope.registration.getNotifications();
      const event = new scope.NotificationEvent('notificationclick', { notification });
      let done: Promise<unknown> = Promise.resolve();
      // A synthetic event may not extend its own lifetime: its promise is awaited here instead.
      Object.defineProperty(event, 'waitUntil', { value: (promise: Promise<unknown>) => (done = promise) });
      scope.dispatchEvent(event);
      await done;
    } finally {
      if (noWindow && real) Object.defineProperty(scope, 'clients', real);
      else if (noWindow) delete (scope as { clients?: unknown }).clients;
    }
    return opened;
  }

  /** The app's service worker registration, as DevTools names it. */
  async function registrationId(cdp: CDPSession): Promise<string> {
    const registrations = new Map<string, string>();
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: updated }) => {
      for (const r of updated) if (!r.isDeleted) registrations.set(r.scopeURL, r.registrationId);
    });
    await cdp.send('ServiceWorker.enable');
    return eventually(
      'the service worker registration',
      () => registrations.get(`${e2e.server.url}/`),
      (id) => id,
    );
  }

  test(
    "subscribe, be woken by a friend's call, see the notification, click it into the incoming call",
    { timeout: TEST_TIMEOUT_MS },
    async (t) => {
      const endpoint = { url: e2e.server.url, wsUrl: `${e2e.server.url.replace(/^http/, 'ws')}/ws` };
      const bo = await e2e.guest('Bo');
      try {
        // Bo allows notifications; the app, signed in, subscribes and registers at its next start.
        await bo.context.grantPermissions(['notifications'], { origin: e2e.server.url });
        await bo.context.addInitScript(fakePushManager, { endpoint: subscription.endpoint, keys: subscription.keys });
        const registered = bo.page.waitForResponse(
          (r) => r.url() === `${e2e.server.url}/api/me/push-tokens` && r.request().method() === 'POST',
          { timeout: UI_TIMEOUT_MS },
        );
        await bo.page.reload();
        await bo.visible('start-matching');
        const response = await registered;
        assert.equal(response.status(), 201);
        const token = JSON.parse(String(JSON.parse(response.request().postData() ?? '{}').token)) as {
          endpoint: string;
          keys: object;
        };
        assert.deepEqual(JSON.parse(response.request().postData()!).platform, 'web');
        assert.equal(token.endpoint, subscription.endpoint);
        assert.deepEqual(token.keys, subscription.keys);
        assert.equal(
          await bo.page.evaluate(() => (globalThis as unknown as { subscribeCalls: number }).subscribeCalls),
          1,
          "subscribed once, with the server's key",
        );
        const boId = await bo.page.evaluate(
          async () => ((await (await fetch('/api/me')).json()) as { user: { id: string } }).user.id,
        );

        // Ada (a phone, here a socket) meets Bo, and they become friends.
        const ada = await user(endpoint, 'Ada');
        sockets.push(ada.socket);
        ada.socket.send({ type: 'join', categories: ['music'] });
        await ada.socket.next('queued');
        await bo.search('music');
        const matched = await ada.socket.next('matched', UI_TIMEOUT_MS);
        ada.socket.send({ type: 'leave', roomId: matched.roomId });
        await ada.socket.next('left');
        const asked = await fetch(`${e2e.server.url}/api/friends/requests`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ada.auth.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ userId: boId }),
        });
        assert.equal(asked.status, 201);
        await (await bo.visible('accept-friend')).click();
        await ada.socket.next('friend_added', UI_TIMEOUT_MS);

        // Bo closes the app: no socket of his is open. Ada calls him.
        await bo.page.close();
        await eventually(
          'Bo offline',
          () =>
            ada.socket.next('presence').then((p) => (p.userId === boId && p.presence === 'offline' ? true : undefined)),
          (offline) => offline,
        );
        ada.socket.send({ type: 'call', userId: boId });
        const ringing = await ada.socket.next('call_ringing');
        await eventually(
          'the web push',
          () => receiver.received.length >= 1,
          (arrived) => arrived || undefined,
        );
        await sleep(1000); // a second push would have arrived by now
        assert.equal(receiver.received.length, 1, 'exactly one push');
        const [push] = receiver.received;
        assert.equal(push!.path, '/push/bo-laptop');
        assert.equal(push!.headers['content-encoding'], 'aes128gcm');
        assert.equal(push!.headers.urgency, 'high');
        assert.equal(push!.headers.ttl, String(RING_MS / 1000));
        const payload = subscription.decrypt(push!.body);
        assert.deepEqual(JSON.parse(payload), {
          title: 'Ada',
          body: 'is calling you',
          data: { type: 'incoming_call', callId: ringing.callId, callerId: ada.auth.user.id },
        });

        // The push service hands it to Bo's browser: the service worker shows it, once per ring.
        const page = await bo.context.newPage();
        await page.goto('/healthz'); // the app's origin, without starting the app (its socket)
        const cdp = await bo.context.newCDPSession(page);
        const id = await registrationId(cdp);
        await cdp.send('ServiceWorker.deliverPushMessage', {
          origin: e2e.server.url,
          registrationId: id,
          data: payload,
        });
        await sleep(SHOW_MS);
        const [shown] = await eventually(
          'the notification',
          () => shownIn(page),
          (list) => (list.length > 0 ? list : undefined),
        );
        assert.deepEqual(shown, {
          title: 'Ada',
          body: 'is calling you',
          tag: `call-${ringing.callId}`,
          requireInteraction: true,
          data: { type: 'incoming_call', callId: ringing.callId, callerId: ada.auth.user.id },
        });
        await cdp.send('ServiceWorker.deliverPushMessage', {
          origin: e2e.server.url,
          registrationId: id,
          data: payload,
        });
        await sleep(500);
        assert.equal((await shownIn(page)).length, 1, 'the same ring again replaces its notification');

        // The click, with no window of the app open: the worker opens /?call=<id>.
        const [worker] = bo.context.serviceWorkers();
        assert.ok(worker, "the app's service worker");
        // tsx (esbuild keepNames) wraps named functions in `__name(...)`, which a worker does not have.
        await worker.evaluate('globalThis.__name ??= (fn) => fn');
        const openedUrl = await worker.evaluate(clickFirstNotification, { noWindow: true });
        assert.deepEqual(openedUrl, [`/?call=${encodeURIComponent(ringing.callId)}`]);
        assert.deepEqual(await shownIn(page), [], 'the clicked notification is gone');

        // That page: the app starts, its socket opens while Bo is rung, and the incoming call shows.
        await page.goto(openedUrl[0]!);
        const incoming = page.getByTestId('incoming-call').first();
        await incoming.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
        await textMatches(incoming, /Ada/);
        assert.equal(new URL(page.url()).search, '', 'the address bar no longer names the call');

        // A window of the app already open: a click tells it which notification was opened.
        await cdp.send('ServiceWorker.deliverPushMessage', {
          origin: e2e.server.url,
          registrationId: id,
          data: payload,
        });
        await sleep(SHOW_MS);
        await eventually(
          'the notification again',
          () => shownIn(page),
          (list) => (list.length > 0 ? list : undefined),
        );
        assert.deepEqual(await worker.evaluate(clickFirstNotification, { noWindow: false }), [], 'no second window');
        const messages = await eventually(
          "the worker's message",
          () => page.evaluate(() => (globalThis as unknown as { swMessages: unknown[] }).swMessages),
          (list) => (list.length > 0 ? list : undefined),
        );
        assert.deepEqual(messages, [
          {
            type: 'notification_opened',
            data: { type: 'incoming_call', callId: ringing.callId, callerId: ada.auth.user.id },
          },
        ]);
        await incoming.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });

        // Bo answers: the call Ada made while he was away.
        await page.getByTestId('decline-call').first().click({ timeout: UI_TIMEOUT_MS });
        assert.equal((await ada.socket.next('call_ended', UI_TIMEOUT_MS)).reason, 'declined');
        assert.equal(receiver.received.length, 1, 'nothing more was pushed');
        t.diagnostic(`push payload: ${payload}`);
      } catch (error) {
        (error as Error).message += `\n${await bo.report()}\n--- server:\n${e2e.server.tail().slice(-10).join('\n')}`;
        throw error;
      }
    },
  );
});
