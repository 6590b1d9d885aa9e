import { describe, expect, test } from '@jest/globals';
import { act, fireEvent, render, screen } from '@testing-library/react-native';
import { Text } from 'react-native';
import { App } from '../src/navigation/App';
import type { Connectivity } from '../src/features/offline/connectivity';
import { OfflineGate } from '../src/features/offline/OfflineGate';
import { fakeServices, settle } from './fakes';

/**
 * A device whose answers the test gives: `answer` is what the next question returns (a boolean,
 * or a promise the test settles), and `comeOnline()` is the browser's `online` event.
 */
function fakeConnectivity(answer: boolean | 'ask') {
  const listeners = new Set<() => void>();
  const asked: Array<(reachable: boolean) => void> = [];
  const device = {
    answer,
    questions: 0,
    reachable(): boolean | Promise<boolean> {
      device.questions++;
      if (device.answer !== 'ask') return device.answer;
      return new Promise<boolean>((resolve) => asked.push(resolve));
    },
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Settles the oldest open question. */
    async reply(reachable: boolean) {
      await act(async () => asked.shift()!(reachable));
      await settle();
    },
    async comeOnline() {
      await act(async () => listeners.forEach((listener) => listener()));
      await settle();
    },
    listening: () => listeners.size,
  };
  return device satisfies Connectivity;
}

const theApp = <Text testID="the-app">the app</Text>;

describe('offline (the installed web app opened without a network)', () => {
  test('reachable at once: the app starts, no offline screen and no spinner', async () => {
    const device = fakeConnectivity(true);
    await render(<OfflineGate connectivity={device}>{theApp}</OfflineGate>);
    expect(screen.getByTestId('the-app')).toBeOnTheScreen();
    expect(screen.queryByTestId('offline-screen')).not.toBeOnTheScreen();
    expect(device.questions).toBe(1);
  });

  test('offline: "You\'re offline" with Try again, which says when it is still offline and starts the app once the server answers', async () => {
    const device = fakeConnectivity(false);
    await render(<OfflineGate connectivity={device}>{theApp}</OfflineGate>);
    expect(screen.getByTestId('offline-screen')).toHaveTextContent(/You're offline/);
    expect(
      screen.getByText('Small Talk needs the internet to meet people. Check your connection, then try again.'),
    ).toBeOnTheScreen();
    expect(screen.queryByTestId('the-app')).not.toBeOnTheScreen();
    expect(screen.queryByTestId('offline-still')).not.toBeOnTheScreen();

    // Try again while the network is still gone: the screen says so, the app stays unmounted.
    await fireEvent.press(screen.getByTestId('offline-retry'));
    expect(screen.getByTestId('offline-still')).toHaveTextContent('Still no connection.');
    expect(screen.queryByTestId('the-app')).not.toBeOnTheScreen();

    // Try again once the server answers (asked over the network: the button waits meanwhile).
    device.answer = 'ask';
    await fireEvent.press(screen.getByTestId('offline-retry'));
    expect(screen.getByTestId('offline-retry')).toBeDisabled();
    expect(screen.queryByTestId('offline-still')).not.toBeOnTheScreen();
    await device.reply(true);
    expect(screen.getByTestId('the-app')).toBeOnTheScreen();
    expect(screen.queryByTestId('offline-screen')).not.toBeOnTheScreen();
  });

  test('a page the service worker served asks the server first: a spinner meanwhile, then the offline screen when the question fails', async () => {
    const device = fakeConnectivity('ask');
    await render(<OfflineGate connectivity={device}>{theApp}</OfflineGate>);
    expect(screen.queryByTestId('the-app')).not.toBeOnTheScreen();
    expect(screen.queryByTestId('offline-screen')).not.toBeOnTheScreen();
    await device.reply(false);
    expect(screen.getByTestId('offline-screen')).toBeOnTheScreen();
  });

  test("the network coming back (the browser's online event) starts the app without a tap", async () => {
    const device = fakeConnectivity(false);
    await render(<OfflineGate connectivity={device}>{theApp}</OfflineGate>);
    expect(device.listening()).toBe(1);
    device.answer = true;
    await device.comeOnline();
    expect(screen.getByTestId('the-app')).toBeOnTheScreen();
    // Started for good: the gate no longer listens, so a later blip cannot unmount a call.
    expect(device.listening()).toBe(0);
  });

  test('the whole app on a phone (no service worker, nothing cached) starts as before: Welcome', async () => {
    await render(<App services={fakeServices()} />);
    await settle();
    expect(screen.getByTestId('display-name-input')).toBeOnTheScreen();
    expect(screen.queryByTestId('offline-screen')).not.toBeOnTheScreen();
  });
});
