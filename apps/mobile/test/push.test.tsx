import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { fireEvent, renderHook, screen } from '@testing-library/react-native';
import type { SmallTalkClient } from '@small-talk/client';
import { AddFriendButton } from '../src/features/friends/AddFriendButton';
import { forgetAskedForPush, registerPush } from '../src/features/push/pushRegistration';
import { usePushNotifications } from '../src/features/push/usePushNotifications';
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
};

jest.mock('expo-notifications', () => ({
  AndroidImportance: { MAX: 5 },
  setNotificationChannelAsync: async () => null,
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
  services.http.calls.filter((c) => c.method === 'POST' && c.path === '/api/me/push-tokens').map((c) => JSON.parse(String(c.init.body)));

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

  test('a tapped call notification brings the socket up and names the call; a friend request tap does not', async () => {
    const services = servicesWithPush();
    const client = fakeClient();
    const tapped = jest.fn();
    await renderHook(() => usePushNotifications(services.api, client, tapped));
    await settle();
    expect(notifications.listeners).toHaveLength(1);
    notifications.listeners[0]!({ notification: { request: { content: { data: { type: 'friend_request', requestId: 'req-1' } } } } });
    expect(client.connect).not.toHaveBeenCalled();
    notifications.listeners[0]!({ notification: { request: { content: { data: { type: 'incoming_call', callId: 'call-7', callerId: 'user-bo' } } } } });
    expect(client.connect).toHaveBeenCalledTimes(1);
    expect(tapped).toHaveBeenCalledWith('call-7');
  });

  test('the tap that launched the app counts too', async () => {
    const services = servicesWithPush();
    const client = fakeClient();
    notifications.lastResponse = { notification: { request: { content: { data: { type: 'incoming_call', callId: 'call-8', callerId: 'user-bo' } } } } };
    await renderHook(() => usePushNotifications(services.api, client));
    await settle();
    expect(client.connect).toHaveBeenCalledTimes(1);
  });
});
