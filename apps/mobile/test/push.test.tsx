import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { fireEvent, renderHook, screen } from '@testing-library/react-native';
import type { SmallTalkClient } from '@small-talk/client';
import { AddFriendButton } from '../src/features/friends/AddFriendButton';
import { forgetAskedForPush, registerPush } from '../src/features/push/pushRegistration';
import { usePushNotifications } from '../src/features/push/usePushNotifications';
import { keyBytes, openedFromUrl, openedNotification, registerWebPush } from '../src/features/push/webPush';
import { bo, defaultRoutes, fakeServices, friendRequest, ada, renderWith, settle } from './fakes';

/**
 * Push on the phone: the permission is asked only when the user first adds a friend, the token
 * goes to the server, and a tapped call notification brings the socket up (the server then
 * rings it and the incoming-call screen shows). expo-notifications is mocked at its boundary.
 */
type Permission = { granted: boolean; canAskAgain: boolean; status: string };
type Response = { notification: { request: { content: { data: Record<string, unknown> } } } } | null;
const notifications = {
  permission: { granted: false, canAskAgain: true, status: 'undetermined' } as Permission,
  answer: { granted: true, canAskAgain: true, status: 'granted' } as Permission,
  listeners: [] as Array<(response: Response) => void>,
  lastResponse: null as Response,
  requested: 0,
  channels: [] as Array<{ id: string; name: string }>,
};

jest.mock('expo-notifications', () => ({
  AndroidImportance: { MAX: 5 },
  setNotificationChannelAsync: async (id: string, channel: { name: string }) => {
    notifications.channels.push({ id, name: channel.name });
    return null;
  },
  getPermissionsAsync: async () => notifications.permission,
  requestPermissionsAsync: async () => {
    notifications.requested++;
    notifications.permission = notifications.answer;
    return notifications.answer;
  },
  getExpoPushTokenAsync: async () => ({ type: 'expo', data: 'ExponentPushToken[phone-1]' }),
  addNotificationResponseReceivedListener: (listener: (response: Response) => void) => {
    notifications.listeners.push(listener);
    return { remove: () => notifications.listeners.splice(notifications.listeners.indexOf(listener), 1) };
  },
  getLastNotificationResponseAsync: async () => notifications.lastResponse,
}));

const me = { id: ada.id, displayName: ada.displayName };

beforeEach(() => {
  notifications.permission = { granted: false, canAskAgain: true, status: 'undetermined' };
  notifications.answer = { granted: true, canAskAgain: true, status: 'granted' };
  notifications.listeners.length = 0;
  notifications.lastResponse = null;
  notifications.requested = 0;
  notifications.channels.length = 0;
  forgetAskedForPush();
});
afterEach(() => {
  jest.clearAllMocks();
});

function servicesWithPush() {
  return fakeServices({
    routes: defaultRoutes({
      'POST /api/friends/requests': () => [201, { request: friendRequest('req-1', me, bo) }],
      'POST /api/me/push-tokens': () => [201, {}],
    }),
  });
}
const registered = (services: ReturnType<typeof fakeServices>) =>
  services.http.calls
    .filter((c) => c.method === 'POST' && c.path === '/api/me/push-tokens')
    .map((c) => JSON.parse(String(c.init.body)));

describe('asking for notifications', () => {
  test('nothing is asked at launch; the first friend request asks once and registers the token', async () => {
    const services = servicesWithPush();
    expect(await registerPush(services.api, { ask: false })).toBe('not-allowed');
    expect(notifications.requested).toBe(0);
    expect(registered(services)).toEqual([]);

    await renderWith(services, <AddFriendButton peer={bo} />);
    await fireEvent.press(screen.getByTestId('add-friend'));
    await settle();
    await settle();
    expect(screen.getByTestId('add-friend')).toHaveTextContent('request sent');
    expect(notifications.requested).toBe(1);
    expect(registered(services)).toEqual([{ token: 'ExponentPushToken[phone-1]', platform: 'ios' }]);
  });

  test('a user who says no is not registered, and not asked again on the next friend', async () => {
    const services = servicesWithPush();
    notifications.answer = { granted: false, canAskAgain: false, status: 'denied' };
    const first = await renderWith(services, <AddFriendButton peer={bo} />);
    await fireEvent.press(screen.getByTestId('add-friend'));
    await settle();
    await first.unmount();
    await renderWith(services, <AddFriendButton peer={{ ...bo, id: 'user-cy', displayName: 'Cy' }} />);
    await fireEvent.press(screen.getByTestId('add-friend'));
    await settle();
    expect(notifications.requested).toBe(1);
    expect(registered(services)).toEqual([]);
  });
});

describe('a signed-in phone', () => {
  const fakeClient = () => ({ connect: jest.fn() }) as unknown as SmallTalkClient & { connect: jest.Mock };

  test('already allowed: the token is refreshed at sign-in without asking', async () => {
    const services = servicesWithPush();
    notifications.permission = { granted: true, canAskAgain: true, status: 'granted' };
    await renderHook(() => usePushNotifications(services.api, fakeClient()));
    await settle();
    expect(notifications.requested).toBe(0);
    expect(registered(services)).toEqual([{ token: 'ExponentPushToken[phone-1]', platform: 'ios' }]);
  });

  test('a tapped call notification brings the socket up and names the call; a friend request tap goes to Friends instead', async () => {
    const services = servicesWithPush();
    const client = fakeClient();
    const tapped = jest.fn();
    const toFriends = jest.fn();
    await renderHook(() => usePushNotifications(services.api, client, tapped, toFriends));
    await settle();
    expect(notifications.listeners).toHaveLength(1);
    notifications.listeners[0]!({
      notification: { request: { content: { data: { type: 'friend_request', requestId: 'req-1' } } } },
    });
    expect(client.connect).not.toHaveBeenCalled();
    expect(toFriends).toHaveBeenCalledTimes(1);
    notifications.listeners[0]!({
      notification: {
        request: { content: { data: { type: 'incoming_call', callId: 'call-7', callerId: 'user-bo' } } },
      },
    });
    expect(client.connect).toHaveBeenCalledTimes(1);
    expect(tapped).toHaveBeenCalledWith('call-7');
  });

  test('the tap that launched the app counts too', async () => {
    const services = servicesWithPush();
    const client = fakeClient();
    notifications.lastResponse = {
      notification: {
        request: { content: { data: { type: 'incoming_call', callId: 'call-8', callerId: 'user-bo' } } },
      },
    };
    await renderHook(() => usePushNotifications(services.api, client));
    await settle();
    expect(client.connect).toHaveBeenCalledTimes(1);
  });
});

describe('the Android channel', () => {
  test("calls and requests go to a channel named in the user's language", async () => {
    const services = servicesWithPush();
    const { Platform } = jest.requireActual<typeof import('react-native')>('react-native');
    const os = Platform.OS;
    Platform.OS = 'android';
    try {
      notifications.permission = { granted: true, canAskAgain: true, status: 'granted' };
      expect(await registerPush(services.api, { ask: false })).toBe('registered');
    } finally {
      Platform.OS = os;
    }
    expect(notifications.channels).toEqual([{ id: 'default', name: 'Calls and friend requests' }]);
  });
});

/**
 * The installed web app (webPush.ts): the browser's PushManager, Notification and fetch are
 * replaced at the globals the module reads, as a browser would offer them.
 */
describe('web push registration', () => {
  const KEY = 'BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U';
  const globals = globalThis as Record<string, unknown>;
  const saved: Record<string, PropertyDescriptor | undefined> = {};
  let browser: {
    permission: NotificationPermission;
    answer: NotificationPermission;
    asked: number;
    subscription: {
      endpoint: string;
      options: { applicationServerKey: ArrayBuffer | null };
      unsubscribed: boolean;
    } | null;
    subscribed: Array<{ userVisibleOnly: boolean; applicationServerKey: Uint8Array }>;
  };

  function subscriptionOf(key: Uint8Array, endpoint: string) {
    const subscription = {
      endpoint,
      options: { applicationServerKey: key.slice().buffer as ArrayBuffer },
      unsubscribed: false,
      toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh: 'p256dh-key', auth: 'auth-secret' } }),
      unsubscribe: async () => {
        subscription.unsubscribed = true;
        return true;
      },
    };
    return subscription;
  }

  const define = (name: string, value: unknown) => {
    saved[name] = Object.getOwnPropertyDescriptor(globalThis, name);
    Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  };

  beforeEach(() => {
    browser = { permission: 'default', answer: 'granted', asked: 0, subscription: null, subscribed: [] };
    const pushManager = {
      getSubscription: async () => browser.subscription,
      subscribe: async (options: { userVisibleOnly: boolean; applicationServerKey: Uint8Array }) => {
        browser.subscribed.push(options);
        browser.subscription = subscriptionOf(options.applicationServerKey, 'https://push.example.com/send/new');
        return browser.subscription;
      },
    };
    define('PushManager', function PushManager() {});
    define('Notification', {
      get permission() {
        return browser.permission;
      },
      requestPermission: async () => {
        browser.asked++;
        browser.permission = browser.answer;
        return browser.answer;
      },
    });
    define('navigator', {
      ...(globals.navigator as object),
      serviceWorker: { ready: Promise.resolve({ pushManager }) },
    });
  });
  afterEach(() => {
    for (const [name, descriptor] of Object.entries(saved)) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      else delete globals[name];
    }
  });

  const config = (webPushKey: string | null) =>
    (async () => new Response(JSON.stringify({ webPushKey }), { status: 200 })) as unknown as typeof fetch;

  test("the first friend asks once, subscribes with the server's key and registers the subscription's JSON", async () => {
    const services = servicesWithPush();
    expect(await registerWebPush(services.api, { ask: false }, config(KEY))).toBe('not-allowed');
    expect(browser.asked).toBe(0);
    expect(await registerWebPush(services.api, { ask: true }, config(KEY))).toBe('registered');
    expect(browser.asked).toBe(1);
    expect(browser.subscribed).toHaveLength(1);
    expect(browser.subscribed[0]!.userVisibleOnly).toBe(true);
    expect(Array.from(browser.subscribed[0]!.applicationServerKey)).toEqual(Array.from(keyBytes(KEY)));
    expect(browser.subscribed[0]!.applicationServerKey).toHaveLength(65); // an uncompressed P-256 point
    expect(registered(services)).toEqual([
      {
        token: JSON.stringify({
          endpoint: 'https://push.example.com/send/new',
          expirationTime: null,
          keys: { p256dh: 'p256dh-key', auth: 'auth-secret' },
        }),
        platform: 'web',
      },
    ]);
  });

  test('already allowed: the same subscription is registered again without asking; one made with an old key is replaced', async () => {
    const services = servicesWithPush();
    browser.permission = 'granted';
    browser.subscription = subscriptionOf(keyBytes(KEY), 'https://push.example.com/send/kept');
    expect(await registerWebPush(services.api, { ask: false }, config(KEY))).toBe('registered');
    expect(browser.subscribed).toHaveLength(0);
    expect(JSON.parse(registered(services)[0]!.token).endpoint).toBe('https://push.example.com/send/kept');

    const old = subscriptionOf(new Uint8Array(65).fill(4), 'https://push.example.com/send/old-key');
    browser.subscription = old;
    expect(await registerWebPush(services.api, { ask: false }, config(KEY))).toBe('registered');
    expect(old.unsubscribed).toBe(true);
    expect(JSON.parse(registered(services)[1]!.token).endpoint).toBe('https://push.example.com/send/new');
    expect(browser.asked).toBe(0);
  });

  test('a refusal registers nothing; a server without VAPID keys or a browser without push is not asked at all', async () => {
    const services = servicesWithPush();
    browser.answer = 'denied';
    expect(await registerWebPush(services.api, { ask: true }, config(KEY))).toBe('not-allowed');
    browser.permission = 'default';
    expect(await registerWebPush(services.api, { ask: true }, config(null))).toBe('unsupported');
    expect(browser.asked).toBe(1);
    delete globals.PushManager;
    expect(await registerWebPush(services.api, { ask: true }, config(KEY))).toBe('unsupported');
    expect(browser.asked).toBe(1);
    expect(registered(services)).toEqual([]);
  });

  test('what a clicked notification opens: /?call=<id> and /?request=<id>, or the data the worker posts', () => {
    expect(openedFromUrl('?call=ring-1')).toEqual({ type: 'incoming_call', callId: 'ring-1' });
    expect(openedFromUrl('?request=req-2')).toEqual({ type: 'friend_request', requestId: 'req-2' });
    expect(openedFromUrl('?token=reset')).toBeNull();
    expect(openedNotification({ type: 'incoming_call', callId: 'ring-3', callerId: 'user-ada' })).toEqual({
      type: 'incoming_call',
      callId: 'ring-3',
    });
    expect(openedNotification({ type: 'incoming_call' })).toBeNull();
    expect(openedNotification(null)).toBeNull();
  });
});
