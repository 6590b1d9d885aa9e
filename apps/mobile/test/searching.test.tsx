import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { act, fireEvent, screen } from '@testing-library/react-native';
import type { SmallTalkClient } from '@small-talk/client';
import { MatchFlow } from '../src/features/call/MatchFlow';
import type { MediaProblem } from '../src/platform/types';
import { categories, fakeServices, renderWith, settle, type TestServices } from './fakes';

const music = categories[0]!;
const books = categories[1]!;

let services: TestServices;
let client: SmallTalkClient;

async function renderSearch(onEnd = jest.fn()) {
  const utils = await renderWith(services, <MatchFlow client={client} categories={[music, books]} onEnd={onEnd} />);
  await settle();
  return { ...utils, onEnd };
}

beforeEach(async () => {
  services = fakeServices();
  client = services.createClient(undefined);
  client.connect();
  await services.server.welcome();
});

afterEach(() => {
  client.close();
  jest.useRealTimers();
});

describe('Searching', () => {
  test('asks for the camera first, then queues in the picked categories, most wanted first', async () => {
    let grant!: () => void;
    const getUserMedia = services.platform.getUserMedia;
    services.platform.getUserMedia = () => new Promise((resolve) => (grant = () => resolve(getUserMedia())));
    await renderWith(services, <MatchFlow client={client} categories={[music, books]} onEnd={jest.fn()} />);

    expect(screen.getByTestId('searching')).toBeOnTheScreen();
    expect(screen.getByText('Starting your camera…')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('join')).toHaveLength(0);

    await act(async () => grant());
    await settle();
    expect(services.server.socket.sentOfType('join')).toEqual([{ type: 'join', categories: ['music', 'books'] }]);
    expect(screen.getByText('Looking for someone…')).toBeOnTheScreen();
    expect(screen.getByText('Music · Books')).toBeOnTheScreen();
  });

  test('shows the time spent waiting, ticking every second', async () => {
    // The SDK reads its clock when made: a client made under fake timers queues in fake time.
    client.close();
    jest.useFakeTimers({ now: new Date('2026-05-04T18:00:00Z') });
    client = services.createClient(undefined);
    client.connect();
    await services.server.welcome();
    await renderSearch();
    expect(screen.getByTestId('elapsed')).toHaveTextContent('0:00');
    await act(async () => jest.advanceTimersByTime(7_000));
    expect(screen.getByTestId('elapsed')).toHaveTextContent('0:07');
    await act(async () => jest.advanceTimersByTime(60_000));
    expect(screen.getByTestId('elapsed')).toHaveTextContent('1:07');
  });

  test('cancel goes back, leaves the queue and turns the camera off', async () => {
    const { onEnd, unmount } = await renderSearch();
    await fireEvent.press(screen.getByTestId('cancel-search'));
    expect(onEnd).toHaveBeenCalledTimes(1);

    await unmount(); // the app navigates away
    expect(services.server.socket.sentOfType('cancel')).toHaveLength(1);
    expect(services.platform.streams[0]!.stopped).toBe(true);
  });

  test('permission denied: explains what to do, and Retry asks again', async () => {
    services.platform.failNext('denied');
    await renderSearch();

    expect(screen.getByText('Camera and microphone are blocked')).toBeOnTheScreen();
    expect(screen.getByTestId('media-error')).toHaveTextContent(/needs your camera and microphone/);
    expect(screen.getByTestId('cancel-search')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('join')).toHaveLength(0);

    await fireEvent.press(screen.getByTestId('retry-media'));
    await settle();
    expect(screen.getByText('Looking for someone…')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('join')).toHaveLength(1);
  });

  const problems: Array<[MediaProblem, string]> = [
    ['no-device', 'No camera or microphone found'],
    ['in-use', 'Your camera is busy'],
    ['insecure', 'This page cannot use a camera'],
    ['unknown', "Your camera didn't start"],
  ];
  test.each(problems)('%s gets its own explanation, never a blank screen', async (problem, title) => {
    services.platform.failNext(problem);
    await renderSearch();
    expect(screen.getByText(title)).toBeOnTheScreen();
    expect(screen.getByTestId('media-error')).toBeOnTheScreen();
    expect(screen.getByTestId('retry-media')).toBeOnTheScreen();
  });

  test('says it is connecting while the socket is down; the join goes out once it is back', async () => {
    await renderSearch();
    await services.server.socket.drop();
    expect(screen.getByText('Connecting to Small Talk…')).toBeOnTheScreen();

    await services.server.welcomeBack();
    expect(screen.queryByText('Connecting to Small Talk…')).not.toBeOnTheScreen();
    expect(services.server.socket.sentOfType('join')).toEqual([{ type: 'join', categories: ['music', 'books'] }]);
  });

  test('when the search stops (another tab took over), says so and searches again on request', async () => {
    await renderSearch();
    await services.server.socket.drop(4000);
    expect(screen.getByTestId('search-stopped')).toBeOnTheScreen();

    await fireEvent.press(screen.getByTestId('retry-search'));
    await services.server.welcome(); // connect() opened a new socket at once
    expect(screen.getByText('Looking for someone…')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('join')).toHaveLength(1);
  });

  test("a refused join is explained in the app's words, never the server's (English, for developers)", async () => {
    await renderSearch();
    await services.server.socket.receive({
      type: 'error',
      code: 'unknown_category',
      message: 'no such category: books',
    });
    expect(screen.getByTestId('search-stopped')).toHaveTextContent(
      'The search was refused: one of your categories does not exist any more. Go back and pick again.',
    );
    expect(screen.queryByText(/no such category/)).not.toBeOnTheScreen();
  });
});

describe('Searching beyond the categories (anyone)', () => {
  test('the join asks for anyone; when the server widens the search the screen says so, and the room it brings is a call here', async () => {
    await renderWith(services, <MatchFlow client={client} categories={[music]} anyone onEnd={jest.fn()} />);
    await settle();
    expect(services.server.socket.sentOfType('join')).toEqual([{ type: 'join', categories: ['music'], anyone: true }]);
    expect(screen.queryByTestId('search-widened')).not.toBeOnTheScreen();

    await services.server.socket.receive({ type: 'widened' });
    expect(screen.getByTestId('search-widened')).toHaveTextContent(
      'Looking beyond your categories now: anyone who speaks your language.',
    );

    // A widened match has no category, like a friend's call, but it is this search's.
    await services.server.match({ category: null });
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Bo');
    expect(screen.getByText('Anyone')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('leave')).toEqual([]);
  });

  test('without anyone the join is as before, and verification_required stops the search and leads to confirming the email', async () => {
    const onVerificationRequired = jest.fn();
    await renderWith(
      services,
      <MatchFlow
        client={client}
        categories={[music]}
        onVerificationRequired={onVerificationRequired}
        onEnd={jest.fn()}
      />,
    );
    await settle();
    expect(services.server.socket.sentOfType('join')).toEqual([{ type: 'join', categories: ['music'] }]);
    await services.server.socket.receive({
      type: 'error',
      code: 'verification_required',
      message: 'confirm your e-mail address first',
    });
    expect(screen.getByTestId('search-stopped')).toHaveTextContent('Please confirm your email address first.');
    expect(onVerificationRequired).toHaveBeenCalledTimes(1);
  });
});
