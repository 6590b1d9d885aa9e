/**
 * Issue 16, native essentials: the session kept in the secure store, safe areas, the screen kept
 * awake and the call's audio while in a call, network changes, the camera let go in the
 * background, and a page reloaded mid-call coming back into its call. The libraries run on their
 * own jest mocks (test/setup.ts; jest-expo mocks the Expo modules' native sides).
 */
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { act, fireEvent, render, renderHook, screen } from '@testing-library/react-native';
import { AppState, type AppStateStatus } from 'react-native';
import { NativeModulesProxy } from 'expo-modules-core';
import NetInfo, { type NetInfoState } from '@react-native-community/netinfo';
import InCallManager from 'react-native-incall-manager';
import { mediaDevices } from 'react-native-webrtc';
import * as SafeArea from 'react-native-safe-area-context';
import type { Call } from '@small-talk/client';
import { App } from '../src/navigation/App';
import { useBackgroundCamera } from '../src/features/call/useBackgroundCamera';
import { onNetworkChange } from '../src/platform/network.native';
import { platform as nativePlatform } from '../src/platform/webrtc.native';
import type { LocalStream, LocalTrack } from '../src/platform/types';
import {
  ada,
  ADULT_BIRTH_DATE,
  defaultRoutes,
  FakePeerConnection,
  fakeServices,
  settle,
  type TestServices,
} from './fakes';

// ---- the secure store, as the library's native mock under a small in-memory keychain -------------

// The native modules as jest-expo mocks them: each requireNativeModule() wraps these same functions.
type NativeMock = Record<string, jest.Mock<(...args: never[]) => unknown>>;
const natives = NativeModulesProxy as unknown as Record<string, NativeMock>;
const secureStore = natives.ExpoSecureStore!;
const keychain = new Map<string, string>();
beforeEach(() => {
  keychain.clear();
  secureStore.getValueWithKeyAsync!.mockImplementation(async (key: string) => keychain.get(key) ?? null);
  secureStore.setValueWithKeyAsync!.mockImplementation(async (value: string, key: string) => {
    keychain.set(key, value);
  });
  secureStore.deleteValueWithKeyAsync!.mockImplementation(async (key: string) => {
    keychain.delete(key);
  });
});
afterEach(() => {
  jest.clearAllMocks();
});

const keepAwake = natives.ExpoKeepAwake!;

let services: TestServices;
async function launch(s: TestServices) {
  services = s;
  await render(<App services={s} />);
  // The kept token is read first (the secure store answers asynchronously), then GET /api/me.
  for (let i = 0; i < 4; i++) await settle();
}

/** The server as a phone reaches it: GET /api/me answers only the token it handed out. */
function phoneServices(validToken = 'token-ada') {
  return fakeServices({
    auth: 'bearer',
    routes: defaultRoutes({
      'GET /api/me': ({ headers }) =>
        headers.authorization === `Bearer ${validToken}`
          ? [200, { user: ada }]
          : [401, { error: { code: 'unauthenticated', message: 'sign in first: no valid session' } }],
    }),
  });
}

describe('native: the session in the secure store', () => {
  test('signed in as a guest, the phone keeps the token; the next launch goes straight to Categories with it, and sign-out forgets it', async () => {
    await launch(phoneServices());
    await fireEvent.changeText(screen.getByTestId('display-name-input'), 'Ada');
    await fireEvent.press(screen.getByTestId('continue-as-guest'));
    await settle();
    await fireEvent.changeText(screen.getByTestId('birth-date-input'), ADULT_BIRTH_DATE);
    await fireEvent.press(screen.getByTestId('rules-agree'));
    await fireEvent.press(screen.getByTestId('consent-submit'));
    await settle();
    expect([...keychain.values()]).toEqual(['token-ada']);
    // Readable after the first unlock, never restored onto another device.
    expect(secureStore.setValueWithKeyAsync!.mock.calls[0]![2]).toMatchObject({ keychainAccessible: 1 });
    await screen.unmount();

    // The app is launched again: a new process, a new Api without a token.
    await launch(phoneServices());
    expect(screen.queryByTestId('display-name-input')).not.toBeOnTheScreen();
    expect(screen.getByText('Hi, Ada')).toBeOnTheScreen();
    expect(services.server.socket.token).toBe('token-ada');

    await fireEvent.press(screen.getByTestId('sign-out'));
    await settle();
    expect(screen.getByTestId('display-name-input')).toBeOnTheScreen();
    expect(keychain.size).toBe(0);
  });

  test('a kept token the server no longer accepts: Welcome, and the token is forgotten', async () => {
    keychain.set('small-talk.session', 'token-old');
    await launch(phoneServices('token-ada'));
    expect(screen.getByTestId('display-name-input')).toBeOnTheScreen();
    expect(services.http.calls.find((call) => call.path === '/api/me')?.init.headers).toMatchObject({
      authorization: 'Bearer token-old',
    });
    expect(keychain.size).toBe(0);
  });

  test('the web keeps nothing in the store: its session is the HttpOnly cookie', async () => {
    await launch(fakeServices({ routes: defaultRoutes({ 'GET /api/me': () => [200, { user: ada }] }) }));
    expect(screen.getByText('Hi, Ada')).toBeOnTheScreen();
    // The same code runs under jest's iOS flavour; only a bearer session is ever written.
    expect(secureStore.setValueWithKeyAsync).not.toHaveBeenCalled();
  });
});

describe('native: safe areas', () => {
  test('every screen sits inside the device safe area (status bar, notch, home indicator)', async () => {
    const insets = { top: 47, bottom: 34, left: 0, right: 0 };
    jest.mocked(SafeArea.useSafeAreaInsets).mockReturnValue(insets);
    await launch(fakeServices());
    expect(screen.getByTestId('display-name-input')).toBeOnTheScreen();
    expect(screen.getByTestId('safe-area')).toHaveStyle({
      paddingTop: 47,
      paddingBottom: 34,
      paddingLeft: 0,
      paddingRight: 0,
    });
  });
});

describe('native: in a call', () => {
  async function inCall() {
    await launch(fakeServices({ routes: defaultRoutes({ 'GET /api/me': () => [200, { user: ada }] }) }));
    await services.server.welcome();
    await fireEvent.press(screen.getByTestId('category-music'));
    await fireEvent.press(screen.getByTestId('start-matching'));
    await settle();
    await services.server.match();
    await settle();
  }

  test("the screen stays awake and the audio is a video call's (speaker, headsets and Bluetooth when connected) only while the call is live", async () => {
    await launch(fakeServices({ routes: defaultRoutes({ 'GET /api/me': () => [200, { user: ada }] }) }));
    await services.server.welcome();
    await fireEvent.press(screen.getByTestId('category-music'));
    await fireEvent.press(screen.getByTestId('start-matching'));
    await settle();
    // Searching: nothing yet.
    expect(keepAwake.activate).not.toHaveBeenCalled();
    expect(InCallManager.start).not.toHaveBeenCalled();

    await services.server.match();
    await settle();
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Bo');
    expect(keepAwake.activate).toHaveBeenCalledTimes(1);
    expect(InCallManager.start).toHaveBeenCalledWith({ media: 'video', auto: true });
    expect(InCallManager.stop).not.toHaveBeenCalled();

    // The peer leaves: the room is over, the screen may sleep, the audio session is released.
    await services.server.socket.receive({ type: 'peer_left', roomId: 'room-1', reason: 'left' });
    await settle();
    expect(keepAwake.deactivate).toHaveBeenCalledTimes(1);
    expect(keepAwake.deactivate!.mock.calls[0]![0]).toBe(keepAwake.activate!.mock.calls[0]![0]);
    expect(InCallManager.stop).toHaveBeenCalledTimes(1);
  });

  test('End releases them too', async () => {
    await inCall();
    expect(InCallManager.start).toHaveBeenCalledTimes(1);
    await fireEvent.press(screen.getByTestId('end-button'));
    await settle();
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
    expect(InCallManager.stop).toHaveBeenCalledTimes(1);
    expect(keepAwake.deactivate).toHaveBeenCalledTimes(1);
  });
});

describe('native: network changes', () => {
  function netState(type: string, isConnected: boolean): NetInfoState {
    return { type, isConnected, isInternetReachable: isConnected, details: null } as unknown as NetInfoState;
  }

  test('Wi-Fi to cellular (and a network coming back) calls at once; the first state, and going down, do not', () => {
    const listener = jest.fn();
    const unsubscribe = jest.fn();
    jest.mocked(NetInfo.addEventListener).mockReturnValueOnce(unsubscribe);
    const off = onNetworkChange(listener);
    const emit = jest.mocked(NetInfo.addEventListener).mock.calls.at(-1)![0];

    emit(netState('wifi', true)); // the state at subscription
    expect(listener).not.toHaveBeenCalled();
    emit(netState('wifi', true));
    expect(listener).not.toHaveBeenCalled();
    emit(netState('cellular', true));
    expect(listener).toHaveBeenCalledTimes(1);
    emit(netState('none', false));
    expect(listener).toHaveBeenCalledTimes(1);
    emit(netState('cellular', true));
    expect(listener).toHaveBeenCalledTimes(2);

    off();
    expect(unsubscribe).toHaveBeenCalled();
  });

  test("the phones' platform uses it, so a call restarts ICE and the socket reconnects on a switch (useRoomCall)", () => {
    expect(nativePlatform.onNetworkChange).toBe(onNetworkChange);
  });

  test('in a call, a network change restarts ICE at once and reconnects the socket', async () => {
    const s = fakeServices({ routes: defaultRoutes({ 'GET /api/me': () => [200, { user: ada }] }) });
    let changed: (() => void) | null = null;
    s.platform.onNetworkChange = (listener) => {
      changed = listener;
      return () => (changed = null);
    };
    await launch(s);
    await services.server.welcome();
    await fireEvent.press(screen.getByTestId('category-music'));
    await fireEvent.press(screen.getByTestId('start-matching'));
    await settle();
    await services.server.match();
    await settle();
    const pc = FakePeerConnection.latest;
    const restartIce = jest.spyOn(pc, 'restartIce');
    const sockets = services.server.sockets.length;
    expect(changed).not.toBeNull();
    await act(async () => changed!());
    await settle();
    expect(restartIce).toHaveBeenCalledTimes(1);
    expect(services.server.sockets.length).toBe(sockets + 1);
  });
});

describe('native: the camera in the background', () => {
  class Track implements LocalTrack {
    stopped = false;
    constructor(
      readonly id: string,
      readonly kind: string,
      public enabled = true,
    ) {}
    stop() {
      this.stopped = true;
    }
  }

  function setup(enabled = true) {
    const audio = new Track('mic', 'audio');
    const video = new Track('cam-1', 'video', enabled);
    let tracks: Track[] = [audio, video];
    const stream = {
      id: 'local',
      getTracks: () => [...tracks],
      getAudioTracks: () => tracks.filter((t) => t.kind === 'audio'),
      getVideoTracks: () => tracks.filter((t) => t.kind === 'video'),
      removeTrack: (track: Track) => (tracks = tracks.filter((t) => t !== track)),
      addTrack: (track: Track) => tracks.push(track),
    } as unknown as LocalStream;
    const sender = {
      track: video as Track | null,
      replaceTrack: jest.fn(async (track: unknown) => void (sender.track = track as Track | null)),
    };
    const call = { peerConnection: { getSenders: () => [sender] } } as unknown as Call;
    let change: ((state: AppStateStatus) => void) | null = null;
    const remove = jest.fn();
    jest.spyOn(AppState, 'addEventListener').mockImplementation((_type, listener) => {
      change = listener as (state: AppStateStatus) => void;
      return { remove };
    });
    const fresh = new Track('cam-2', 'video');
    jest.mocked(mediaDevices.getUserMedia).mockResolvedValue({ getVideoTracks: () => [fresh] } as never);
    const to = (state: AppStateStatus) => act(async () => change!(state));
    return {
      stream,
      video,
      fresh,
      sender,
      to,
      remove,
      mount: () => renderHook(() => useBackgroundCamera(stream, call)),
    };
  }

  test('going to the background lets the camera go (track stopped, nothing sent); coming back opens it into the same sender', async () => {
    const { stream, video, fresh, sender, to, mount, remove } = setup();
    const hook = await mount();
    await to('background');
    expect(video.stopped).toBe(true);
    expect(sender.replaceTrack).toHaveBeenLastCalledWith(null);
    expect(stream.getVideoTracks()).toEqual([]);
    expect(stream.getAudioTracks()).toHaveLength(1);

    await to('active');
    expect(mediaDevices.getUserMedia).toHaveBeenCalledWith({ video: expect.objectContaining({ facingMode: 'user' }) });
    expect(sender.replaceTrack).toHaveBeenLastCalledWith(fresh);
    expect(stream.getVideoTracks()).toEqual([fresh]);
    expect(fresh.enabled).toBe(true);

    await hook.unmount();
    expect(remove).toHaveBeenCalled();
  });

  test('a camera the user turned off stays off when the app comes back; an inactive blip (a notification) changes nothing', async () => {
    const { video, fresh, to, mount } = setup(false);
    await mount();
    await to('inactive');
    expect(video.stopped).toBe(false);
    await to('background');
    await to('active');
    expect(fresh.enabled).toBe(false);
  });
});

describe('a page reloaded mid-call', () => {
  test('the room the server gives back after welcome shows its call screen, not Categories; its call asks the peer to start afresh; Next searches its category', async () => {
    await launch(fakeServices({ routes: defaultRoutes({ 'GET /api/me': () => [200, { user: ada }] }) }));
    await services.server.welcome();
    await services.server.match({ resumed: true, initiator: false });
    await settle();
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Bo');
    expect(screen.queryByTestId('start-matching')).not.toBeOnTheScreen();
    // Nothing was searched for, nor left: the room goes on.
    expect(services.server.socket.sentOfType('join')).toEqual([]);
    expect(services.server.socket.sentOfType('leave')).toEqual([]);
    const signals = services.server.socket.sentOfType('signal');
    expect(signals[0]).toMatchObject({ roomId: 'room-1', data: { reset: expect.any(String) } });

    await fireEvent.press(screen.getByTestId('next-button'));
    await settle();
    expect(screen.getByTestId('searching')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('leave')).toEqual([{ type: 'leave', roomId: 'room-1' }]);
    expect(services.server.socket.sentOfType('join')).toEqual([{ type: 'join', categories: ['music'] }]);
  });

  test('a room given back while the user is on Categories (the server was slow) takes the user to it', async () => {
    await launch(fakeServices({ routes: defaultRoutes({ 'GET /api/me': () => [200, { user: ada }] }) }));
    await services.server.welcome();
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
    await services.server.match({ resumed: true });
    await settle();
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Bo');
  });
});
