import { describe, expect, test } from '@jest/globals';
import { fireEvent, render, screen } from '@testing-library/react-native';
import { App } from '../src/navigation/App';
import {
  ada,
  ADULT_BIRTH_DATE,
  defaultRoutes,
  FakePeerConnection,
  fakeServices,
  forgetDevice,
  settle,
  type TestServices,
} from './fakes';

let services: TestServices;

/** The first-run screen, as a new user fills it in: a date of birth, "I agree", Continue. */
async function acceptRules() {
  await fireEvent.changeText(screen.getByTestId('birth-date-input'), ADULT_BIRTH_DATE);
  await fireEvent.press(screen.getByTestId('rules-agree'));
  await fireEvent.press(screen.getByTestId('consent-submit'));
  await settle();
}

function headerOf(call: { init: RequestInit } | undefined): string | undefined {
  return (call?.init.headers as Record<string, string> | undefined)?.authorization;
}

async function renderApp(s: TestServices) {
  services = s;
  await render(<App services={s} />);
  await settle();
}

describe('App', () => {
  test('a first visit: Welcome, guest, the rules, Categories, Searching, a call, End, back to Categories', async () => {
    await renderApp(fakeServices());
    await fireEvent.changeText(screen.getByTestId('display-name-input'), 'Ada');
    await fireEvent.press(screen.getByTestId('continue-as-guest'));
    await settle();
    await acceptRules();

    // Signed in: the socket opens right away, so it is ready by the time the user starts.
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
    expect(services.server.socket.url).toBe('ws://test/ws');
    await services.server.welcome();

    await fireEvent.press(screen.getByTestId('category-music'));
    await fireEvent.press(screen.getByTestId('start-matching'));
    await settle();
    expect(screen.getByTestId('searching')).toBeOnTheScreen();
    // "Meet anyone after 10 s" is on unless the user turned it off.
    expect(services.server.socket.sentOfType('join')).toEqual([{ type: 'join', categories: ['music'], anyone: true }]);

    await services.server.match();
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Bo');
    await FakePeerConnection.latest.setConnectionState('connected');
    expect(screen.getByTestId('call-status')).toHaveTextContent('connected');

    await fireEvent.press(screen.getByTestId('end-button'));
    expect(screen.getByTestId('start-matching')).toBeEnabled(); // music is still picked
    expect(services.server.socket.sentOfType('leave')).toHaveLength(1);
    expect(services.platform.streams[0]!.stopped).toBe(true);
  });

  test("a widened search's room (no category) stays a call of the search, not a friend's call; Next searches again", async () => {
    forgetDevice();
    await renderApp(fakeServices({ routes: defaultRoutes({ 'GET /api/me': () => [200, { user: ada }] }) }));
    await services.server.welcome();
    await fireEvent.press(screen.getByTestId('category-music'));
    await fireEvent.press(screen.getByTestId('start-matching'));
    await settle();
    await services.server.socket.receive({ type: 'widened' });
    expect(screen.getByTestId('search-widened')).toBeOnTheScreen();

    await services.server.match({ category: null });
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Bo');
    expect(screen.getByText('Anyone')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('leave')).toEqual([]);
    await fireEvent.press(screen.getByTestId('next-button'));
    await settle();
    expect(screen.getByTestId('searching')).toBeOnTheScreen();
    expect(services.server.socket.sentOfType('join')).toEqual([
      { type: 'join', categories: ['music'], anyone: true },
      { type: 'join', categories: ['music'], anyone: true },
    ]);
  });

  test('a returning visitor whose cookie still works goes straight to Categories', async () => {
    await renderApp(fakeServices({ routes: defaultRoutes({ 'GET /api/me': () => [200, { user: ada }] }) }));
    expect(screen.queryByTestId('display-name-input')).not.toBeOnTheScreen();
    expect(screen.getByText('Hi, Ada')).toBeOnTheScreen();
  });

  test('native: the token from sign-in goes to the socket and to HTTP as a Bearer header', async () => {
    await renderApp(fakeServices({ auth: 'bearer' }));
    await fireEvent.changeText(screen.getByTestId('display-name-input'), 'Ada');
    await fireEvent.press(screen.getByTestId('continue-as-guest'));
    await settle();
    await acceptRules();

    expect(services.server.socket.token).toBe('token-ada');
    expect(headerOf(services.http.calls.find((call) => call.path === '/api/me/consent'))).toBe('Bearer token-ada');
    const categoriesCall = services.http.calls.filter((call) => call.path === '/api/categories').pop();
    expect((categoriesCall?.init.headers as Record<string, string>).authorization).toBe('Bearer token-ada');
  });

  test('History opens from Categories and comes back', async () => {
    await renderApp(fakeServices({ routes: defaultRoutes({ 'GET /api/me': () => [200, { user: ada }] }) }));
    await fireEvent.press(screen.getByTestId('open-history'));
    await settle();
    expect(screen.getByText('People you met')).toBeOnTheScreen();
    await fireEvent.press(screen.getByTestId('history-back'));
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
  });

  test('a guest creates an account and stays signed in as the same user', async () => {
    const member = { ...ada, kind: 'member' as const };
    await renderApp(
      fakeServices({
        routes: defaultRoutes({
          'GET /api/me': () => [200, { user: ada }],
          'POST /api/auth/register': () => [201, { user: member, token: 'token-member' }],
        }),
      }),
    );
    await fireEvent.press(screen.getByTestId('create-account'));
    await fireEvent.changeText(screen.getByTestId('email-input'), 'ada@example.com');
    await fireEvent.changeText(screen.getByTestId('password-input'), 'long enough');
    await fireEvent.press(screen.getByTestId('register-submit'));
    await settle();

    // The server mailed a code at once: the app asks for it, and it can be put off.
    expect(screen.getByTestId('verify-code-input')).toBeOnTheScreen();
    await fireEvent.press(screen.getByTestId('verify-back'));
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
    expect(screen.queryByTestId('create-account')).not.toBeOnTheScreen();
    // The web's client stays: the socket follows the upgraded session by itself.
    expect(services.server.sockets).toHaveLength(1);
  });

  test('sign out returns to Welcome and closes the socket', async () => {
    await renderApp(fakeServices({ routes: defaultRoutes({ 'GET /api/me': () => [200, { user: ada }] }) }));
    await fireEvent.press(screen.getByTestId('sign-out'));
    await settle();
    expect(screen.getByTestId('continue-as-guest')).toBeOnTheScreen();
    expect(services.server.socket.closed).toBe(true);
    expect(services.http.calls.some((call) => call.method === 'POST' && call.path === '/api/auth/logout')).toBe(true);
  });

  test('logged out elsewhere (socket closed 4001): back to Welcome, saying why', async () => {
    await renderApp(fakeServices({ routes: defaultRoutes({ 'GET /api/me': () => [200, { user: ada }] }) }));
    await services.server.welcome();
    await services.server.socket.drop(4001);
    expect(screen.getByText('You were signed out. Sign in again to continue.')).toBeOnTheScreen();
  });

  test('another tab took over: a banner offers to use Small Talk here', async () => {
    await renderApp(fakeServices({ routes: defaultRoutes({ 'GET /api/me': () => [200, { user: ada }] }) }));
    await services.server.welcome();
    await services.server.socket.drop(4000);
    expect(screen.getByTestId('socket-banner')).toHaveTextContent(/open in another tab/);

    await fireEvent.press(screen.getByTestId('socket-reconnect'));
    await services.server.welcome();
    expect(screen.queryByTestId('socket-banner')).not.toBeOnTheScreen();
  });
});
