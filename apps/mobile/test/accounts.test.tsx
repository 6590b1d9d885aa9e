/**
 * Accounts people can trust: "Forgot password?" on sign-in, the page a reset mail links to, and
 * confirming the e-mail address with a mailed code (after registering, and when the server
 * admits only confirmed addresses).
 */
import { beforeEach, describe, expect, jest, test } from '@jest/globals';
import { fireEvent, render, screen } from '@testing-library/react-native';
import type { OwnUser } from '@small-talk/protocol';
import { App } from '../src/navigation/App';
import { VerifyEmailScreen } from '../src/features/verification/VerifyEmailScreen';
import { WelcomeScreen } from '../src/features/welcome/WelcomeScreen';
import {
  ada,
  defaultRoutes,
  fakeServices,
  forgetDevice,
  renderWith,
  settle,
  type Routes,
  type TestServices,
} from './fakes';

// The reset page is the web's (/reset?token=…); jest runs the phones' code, so the link is given here.
const mockResetLink: { token: string | null } = { token: null };
const mockLeftResetPage = jest.fn();
jest.mock('../src/navigation/resetLink', () => ({
  resetTokenFromUrl: () => mockResetLink.token,
  leaveResetPage: () => mockLeftResetPage(),
}));

const member: OwnUser = { ...ada, kind: 'member', emailVerified: false };
const invalid = (code: string, message: string, status = 400) =>
  [status, { error: { code, message } }] as [number, unknown];

beforeEach(() => {
  mockResetLink.token = null;
  mockLeftResetPage.mockClear();
  forgetDevice();
});

async function renderApp(services: TestServices) {
  await render(<App services={services} />);
  await settle();
}

describe('Forgot password', () => {
  async function askForLink(routes: Routes, email: string) {
    const services = fakeServices({ routes: defaultRoutes(routes) });
    await renderWith(
      services,
      <WelcomeScreen
        onGuest={jest.fn<() => Promise<void>>()}
        onSignIn={jest.fn<() => Promise<void>>()}
        onRegister={jest.fn<() => Promise<void>>()}
        mode="sign-in"
      />,
    );
    await fireEvent.press(screen.getByTestId('forgot-password'));
    await fireEvent.changeText(screen.getByTestId('forgot-email-input'), email);
    await fireEvent.press(screen.getByTestId('forgot-submit'));
    await settle();
    return services;
  }

  test('sign-in offers it; the address goes to reset-start and the answer never says whether an account exists', async () => {
    const asked: string[] = [];
    const routes: Routes = {
      'POST /api/auth/password/reset-start': ({ body }) => (asked.push(String(body.email)), [202, {}]),
    };
    await askForLink(routes, ' ada@example.com ');
    const known = screen.getByTestId('forgot-sent').props.children as unknown;
    expect(screen.getByTestId('forgot-sent')).toHaveTextContent(
      /If an account uses ada@example.com, we have emailed it a link/,
    );
    await screen.unmount();

    await askForLink(routes, 'nobody@example.com');
    expect(asked).toEqual(['ada@example.com', 'nobody@example.com']);
    // The same words, but for the address the user typed.
    expect(JSON.stringify(screen.getByTestId('forgot-sent').props.children)).toBe(
      JSON.stringify(known).replace('ada@example.com', 'nobody@example.com'),
    );
  });

  test('a failure to reach the server is said, and the form stays', async () => {
    await askForLink(
      { 'POST /api/auth/password/reset-start': () => invalid('rate_limited', 'slow down', 429) },
      'ada@example.com',
    );
    expect(screen.getByTestId('forgot-error')).toHaveTextContent(/Too many tries/);
    expect(screen.queryByTestId('forgot-sent')).not.toBeOnTheScreen();
    expect(screen.getByTestId('forgot-email-input')).toBeOnTheScreen();
  });
});

describe('The reset page (/reset?token=…)', () => {
  test('a new password signs the user in; Continue goes on into the app and off the spent link', async () => {
    mockResetLink.token = 'tok-1';
    const bodies: unknown[] = [];
    const services = fakeServices({
      routes: defaultRoutes({
        'POST /api/auth/password/reset': ({ body }) => (
          bodies.push(body),
          [200, { user: { ...member, emailVerified: true }, token: 'token-new' }]
        ),
        'GET /api/me': () => [200, { user: member }],
      }),
    });
    await renderApp(services);
    // No socket on the reset page: the reset ends the old session's, which must not sign out the new one.
    expect(services.server.sockets).toHaveLength(0);
    expect(screen.getByTestId('reset-submit')).toBeDisabled();

    await fireEvent.changeText(screen.getByTestId('reset-password-input'), 'a new long one');
    await fireEvent.press(screen.getByTestId('reset-submit'));
    await settle();
    expect(bodies).toEqual([{ token: 'tok-1', password: 'a new long one' }]);
    expect(screen.getByTestId('reset-done')).toHaveTextContent(/signed in/);

    await fireEvent.press(screen.getByTestId('reset-continue'));
    await settle();
    expect(mockLeftResetPage).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
    expect(services.server.sockets).toHaveLength(1);
  });

  test('a bad, used or expired link is said clearly, and sign-in is a press away', async () => {
    mockResetLink.token = 'tok-used';
    await renderApp(
      fakeServices({
        routes: defaultRoutes({
          'POST /api/auth/password/reset': () => invalid('invalid_token', 'invalid or expired token'),
        }),
      }),
    );
    await fireEvent.changeText(screen.getByTestId('reset-password-input'), 'a new long one');
    await fireEvent.press(screen.getByTestId('reset-submit'));
    await settle();
    expect(screen.getByTestId('reset-error')).toHaveTextContent(
      'This reset link is wrong, used or expired. Ask for a new one.',
    );
    expect(screen.queryByTestId('reset-done')).not.toBeOnTheScreen();

    await fireEvent.press(screen.getByTestId('reset-cancel'));
    await settle();
    expect(screen.getByTestId('continue-as-guest')).toBeOnTheScreen();
  });

  test('a link without its token says so at once', async () => {
    mockResetLink.token = '';
    await renderApp(fakeServices());
    expect(screen.getByTestId('reset-error')).toHaveTextContent(/This link is incomplete/);
    expect(screen.getByTestId('reset-submit')).toBeDisabled();
  });
});

describe('Confirming the email address', () => {
  function verifyRoutes(extra: Routes = {}) {
    const codes: string[] = [];
    let starts = 0;
    const routes = defaultRoutes({
      'POST /api/auth/email/verify': ({ body }) => (
        codes.push(String(body.code)),
        body.code === '424242'
          ? [200, { user: { ...member, emailVerified: true } }]
          : invalid('invalid_code', 'wrong or expired code')
      ),
      'POST /api/auth/email/verify-start': () => (starts++, [202, {}]),
      ...extra,
    });
    return { routes, codes, starts: () => starts };
  }

  test('wrong code: said, and the field stays; a new code on request; the right one confirms', async () => {
    const { routes, codes, starts } = verifyRoutes();
    const onVerified = jest.fn();
    await renderWith(
      fakeServices({ routes }),
      <VerifyEmailScreen
        user={member}
        codeSent
        onVerified={onVerified}
        onCreateAccount={jest.fn()}
        onBack={jest.fn()}
      />,
    );
    expect(screen.getByTestId('verify-submit')).toBeDisabled();

    await fireEvent.changeText(screen.getByTestId('verify-code-input'), '111111');
    await fireEvent.press(screen.getByTestId('verify-submit'));
    await settle();
    expect(screen.getByTestId('verify-error')).toHaveTextContent(/That code is wrong or has expired/);
    expect(onVerified).not.toHaveBeenCalled();

    await fireEvent.press(screen.getByTestId('verify-resend'));
    await settle();
    expect(starts()).toBe(1);
    expect(screen.getByTestId('verify-sent')).toBeOnTheScreen();
    expect(screen.queryByTestId('verify-error')).not.toBeOnTheScreen();

    // As copied from a mail: spaces and all.
    await fireEvent.changeText(screen.getByTestId('verify-code-input'), '424 242');
    await fireEvent.press(screen.getByTestId('verify-submit'));
    await settle();
    expect(codes).toEqual(['111111', '424242']);
    expect(onVerified).toHaveBeenCalledWith({ ...member, emailVerified: true });
  });

  test('too many codes today: the resend says so', async () => {
    const { routes } = verifyRoutes({
      'POST /api/auth/email/verify-start': () => invalid('rate_limited', 'at most 5 a day', 429),
    });
    await renderWith(
      fakeServices({ routes }),
      <VerifyEmailScreen
        user={member}
        codeSent={false}
        onVerified={jest.fn()}
        onCreateAccount={jest.fn()}
        onBack={jest.fn()}
      />,
    );
    // No code asked for yet: the screen offers to send one instead of a field.
    expect(screen.queryByTestId('verify-code-input')).not.toBeOnTheScreen();
    await fireEvent.press(screen.getByTestId('verify-resend'));
    await settle();
    expect(screen.getByTestId('verify-error')).toHaveTextContent(/Too many tries/);
  });

  test('a guest is led to create an account', async () => {
    const onCreateAccount = jest.fn();
    await renderWith(
      fakeServices(),
      <VerifyEmailScreen
        user={ada}
        codeSent={false}
        onVerified={jest.fn()}
        onCreateAccount={onCreateAccount}
        onBack={jest.fn()}
      />,
    );
    expect(screen.queryByTestId('verify-code-input')).not.toBeOnTheScreen();
    await fireEvent.press(screen.getByTestId('verify-create-account'));
    expect(onCreateAccount).toHaveBeenCalled();
  });

  test('after registering the app asks for the code; the right one shows confirmed in Profile', async () => {
    const { routes } = verifyRoutes({
      'POST /api/auth/register': () => [201, { user: { ...member, consent: null }, token: 'token-member' }],
      'POST /api/me/consent': () => [200, { user: member }],
    });
    await renderApp(fakeServices({ routes }));
    await fireEvent.press(screen.getByTestId('show-register'));
    await fireEvent.changeText(screen.getByTestId('display-name-input'), 'Ada');
    await fireEvent.changeText(screen.getByTestId('email-input'), 'ada@example.com');
    await fireEvent.changeText(screen.getByTestId('password-input'), 'long enough');
    await fireEvent.press(screen.getByTestId('register-submit'));
    await settle();
    // The rules first, as for everyone.
    await fireEvent.changeText(screen.getByTestId('birth-date-input'), '1990-04-21');
    await fireEvent.press(screen.getByTestId('rules-agree'));
    await fireEvent.press(screen.getByTestId('consent-submit'));
    await settle();

    await fireEvent.changeText(screen.getByTestId('verify-code-input'), '424242');
    await fireEvent.press(screen.getByTestId('verify-submit'));
    await settle();
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
    await fireEvent.press(screen.getByTestId('profile-tab'));
    expect(screen.getByTestId('profile-verified')).toBeOnTheScreen();
  });

  test('verification_required on join leads a member to the code (sent on request) and back to Categories once confirmed', async () => {
    const { routes, starts } = verifyRoutes({ 'GET /api/me': () => [200, { user: member }] });
    const services = fakeServices({ routes });
    await renderApp(services);
    await services.server.welcome(member);
    await fireEvent.press(screen.getByTestId('category-music'));
    await fireEvent.press(screen.getByTestId('start-matching'));
    await settle();
    await services.server.socket.receive({
      type: 'error',
      code: 'verification_required',
      message: 'confirm your e-mail address first',
    });
    await settle();

    expect(screen.getByTestId('verify-reason')).toHaveTextContent(/confirm an email address before meeting people/);
    await fireEvent.press(screen.getByTestId('verify-resend'));
    await settle();
    expect(starts()).toBe(1);
    await fireEvent.changeText(screen.getByTestId('verify-code-input'), '424242');
    await fireEvent.press(screen.getByTestId('verify-submit'));
    await settle();
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
  });
});
