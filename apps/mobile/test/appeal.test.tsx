import { describe, expect, test } from '@jest/globals';
import { fireEvent, render, screen, within } from '@testing-library/react-native';
import type { Notice, OwnUser, Restriction } from '@small-talk/protocol';
import { App } from '../src/navigation/App';
import { ada, defaultRoutes, fakeServices, settle, type Routes, type TestServices } from './fakes';

let services: TestServices;

async function renderApp(routes: Routes) {
  services = fakeServices({ routes: defaultRoutes(routes) });
  await render(<App services={services} />);
  await settle();
}

const ban: Restriction = {
  id: 'r-9',
  kind: 'banned',
  reason: 'Harassment in a call.',
  until: null,
  automated: false,
  appealable: true,
};
const suspension: Restriction = {
  id: 'r-8',
  kind: 'suspended',
  reason: 'Spam.',
  until: '2030-01-02T15:04:00.000Z',
  automated: false,
  appealable: true,
};

const warning: Notice = {
  id: 'notice-1',
  kind: 'warning',
  reason: 'Be kind to people.',
  automated: false,
  until: null,
  createdAt: '2026-05-01T10:00:00.000Z',
  appealable: false,
};
function noticeOf(restriction: Restriction, kind: 'ban' | 'suspension'): Notice {
  return {
    id: 'notice-2',
    kind,
    reason: restriction.reason,
    automated: false,
    until: restriction.until,
    createdAt: '2026-05-03T10:00:00.000Z',
    appealable: true,
  };
}

/** The notices and appeals routes of a restricted user, recording appeals filed. */
function appealRoutes(notices: Notice[], authorization?: string) {
  const appeals: Array<{ text: string; authorization: string | undefined }> = [];
  const filed: Array<{ id: string; status: 'open'; createdAt: string }> = [];
  const routes: Routes = {
    'GET /api/me/notices': () => [200, { notices }],
    'GET /api/appeals': () => [200, { appeals: filed }],
    'POST /api/appeals': ({ body, headers }) => {
      appeals.push({ text: String(body.text), authorization: headers.authorization });
      if (authorization !== undefined && headers.authorization !== authorization)
        return [401, { error: { code: 'unauthenticated', message: 'no' } }];
      const appeal = { id: 'appeal-1', status: 'open' as const, createdAt: '2026-05-03T11:00:00.000Z' };
      filed.push(appeal);
      return [201, { appeal }];
    },
  };
  return { routes, appeals, filed };
}

describe('the restriction screen: notices and the appeal form', () => {
  test('a suspended user reads every notice, newest first with its reason, and files an appeal', async () => {
    const server = appealRoutes([noticeOf(suspension, 'suspension'), warning]);
    await renderApp({ ...server.routes, 'GET /api/me': () => [200, { user: { ...ada, restriction: suspension } }] });

    const notices = within(screen.getByTestId('notices')).getAllByTestId(/^notice-notice-/);
    expect(notices.map((n) => n.props.testID)).toEqual(['notice-notice-2', 'notice-notice-1']);
    expect(screen.getByTestId('notice-reason-notice-2')).toHaveTextContent('\u2068Spam.\u2069');
    expect(screen.getByTestId('notice-notice-1')).toHaveTextContent(/Warning.*Be kind to people\./);

    expect(screen.getByTestId('appeal-submit')).toBeDisabled();
    await fireEvent.changeText(screen.getByTestId('appeal-text'), '  It was a joke between friends.  ');
    await fireEvent.press(screen.getByTestId('appeal-submit'));
    await settle();
    expect(server.appeals.map((a) => a.text)).toEqual(['It was a joke between friends.']);
    expect(screen.getByTestId('appeal-open')).toBeOnTheScreen();
    expect(screen.queryByTestId('appeal-text')).not.toBeOnTheScreen();
  });

  test('an appeal already open: no form, word that it is open', async () => {
    const server = appealRoutes([noticeOf(suspension, 'suspension')]);
    server.filed.push({ id: 'appeal-0', status: 'open', createdAt: '2026-05-03T11:00:00.000Z' });
    await renderApp({ ...server.routes, 'GET /api/me': () => [200, { user: { ...ada, restriction: suspension } }] });
    expect(screen.getByTestId('appeal-open')).toBeOnTheScreen();
    expect(screen.queryByTestId('appeal-text')).not.toBeOnTheScreen();
  });

  test('nothing appealable (an upheld appeal, or a restriction that is not): no form', async () => {
    const server = appealRoutes([{ ...noticeOf(suspension, 'suspension'), appealable: false }]);
    await renderApp({ ...server.routes, 'GET /api/me': () => [200, { user: { ...ada, restriction: suspension } }] });
    expect(screen.getByTestId('notice-notice-2')).toBeOnTheScreen();
    expect(screen.queryByTestId('appeal-text')).not.toBeOnTheScreen();
    expect(screen.queryByTestId('appeal-open')).not.toBeOnTheScreen();
  });

  test('an overturned appeal arrives as a notice frame: the app asks again and the user may match', async () => {
    let user: OwnUser = { ...ada, restriction: suspension };
    const server = appealRoutes([noticeOf(suspension, 'suspension')]);
    await renderApp({ ...server.routes, 'GET /api/me': () => [200, { user }] });
    await services.server.welcome(user);
    expect(screen.getByTestId('restriction-screen')).toBeOnTheScreen();

    user = { ...ada, restriction: null };
    await services.server.socket.receive({
      type: 'notice',
      notice: {
        id: 'notice-3',
        kind: 'appeal_overturned',
        reason: 'We got it wrong.',
        automated: false,
        until: null,
        createdAt: '2026-05-04T10:00:00.000Z',
        appealable: false,
      },
    });
    await settle();
    expect(screen.queryByTestId('restriction-screen')).not.toBeOnTheScreen();
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
  });
});

describe('a banned member', () => {
  const member: OwnUser = { ...ada, kind: 'member', restriction: ban };

  async function signIn() {
    await fireEvent.press(screen.getByTestId('show-sign-in'));
    await fireEvent.changeText(screen.getByTestId('email-input'), 'ada@example.com');
    await fireEvent.changeText(screen.getByTestId('password-input'), 'correct horse battery');
    await fireEvent.press(screen.getByTestId('sign-in-submit'));
    await settle();
  }

  test('signing in gets the appeal token: the ban with its reason, the notices, and an appeal sent with that token', async () => {
    const server = appealRoutes([noticeOf(ban, 'ban')], 'Bearer appeal-token');
    await renderApp({
      ...server.routes,
      // Without the token (the web's cookie is gone): not signed in.
      'GET /api/me': ({ headers }) =>
        headers.authorization === 'Bearer appeal-token'
          ? [200, { user: member }]
          : [401, { error: { code: 'unauthenticated', message: 'no' } }],
      'POST /api/auth/login': () => [
        403,
        {
          error: { code: 'banned', message: 'this account is banned' },
          appealToken: 'appeal-token',
          expiresAt: '2030-01-01T00:00:00.000Z',
        },
      ],
    });
    await signIn();

    expect(screen.getByTestId('restriction-screen')).toHaveTextContent(/Your account is banned/);
    expect(screen.getByTestId('restriction-reason')).toHaveTextContent('\u2068Harassment in a call.\u2069');
    expect(screen.getByTestId('notice-reason-notice-2')).toHaveTextContent('\u2068Harassment in a call.\u2069');
    // No socket for an appeal token: the server would refuse it.
    expect(services.server.sockets).toHaveLength(0);

    await fireEvent.changeText(screen.getByTestId('appeal-text'), 'I was defending myself.');
    await fireEvent.press(screen.getByTestId('appeal-submit'));
    await settle();
    expect(server.appeals).toEqual([{ text: 'I was defending myself.', authorization: 'Bearer appeal-token' }]);
    expect(screen.getByTestId('appeal-open')).toBeOnTheScreen();

    await fireEvent.press(screen.getByTestId('restriction-sign-out'));
    await settle();
    expect(screen.getByTestId('show-sign-in')).toBeOnTheScreen();
  });

  test('a ban while signed in: the socket closes with 4003 and the app signs out, saying why', async () => {
    await renderApp({ 'GET /api/me': () => [200, { user: ada }] });
    await services.server.welcome();
    await services.server.socket.receive({ type: 'restricted', restriction: ban });
    await settle();
    expect(screen.getByTestId('restriction-reason')).toHaveTextContent('\u2068Harassment in a call.\u2069');
    await services.server.socket.drop(4003);
    await settle();
    expect(screen.getByText(/Your account has been banned\. Sign in to read why and to appeal\./)).toBeOnTheScreen();
    // Banned is final: no reconnect.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(services.server.sockets).toHaveLength(1);
  });
});
