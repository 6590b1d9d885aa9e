import { describe, expect, test } from '@jest/globals';
import { fireEvent, render, screen } from '@testing-library/react-native';
import type { OwnUser, Restriction } from '@small-talk/protocol';
import { App } from '../src/navigation/App';
import { parseMarkdown } from '../src/features/consent/markdown';
import { formatDateTime } from '../src/i18n/format';
import {
  ada,
  ADULT_BIRTH_DATE,
  defaultRoutes,
  FakePeerConnection,
  fakeServices,
  rules,
  settle,
  type Routes,
  type TestServices,
} from './fakes';

let services: TestServices;

async function renderApp(routes: Routes = {}) {
  services = fakeServices({ routes: defaultRoutes(routes) });
  await render(<App services={services} />);
  await settle();
}

/** A returning user: its cookie still works, and the server describes it as `user`. */
function returning(user: OwnUser): Routes {
  return { 'GET /api/me': () => [200, { user }] };
}

async function signInAsGuest() {
  await fireEvent.changeText(screen.getByTestId('display-name-input'), 'Ada');
  await fireEvent.press(screen.getByTestId('continue-as-guest'));
  await settle();
}

function consentBodies() {
  return services.http.calls
    .filter((call) => call.path === '/api/me/consent')
    .map((call) => JSON.parse(String(call.init.body)));
}

const suspension: Restriction = {
  id: 'r-1',
  kind: 'suspended',
  reason: 'Several people reported you within a day.',
  until: '2030-01-02T15:04:00.000Z',
  automated: true,
  appealable: true,
};

describe('the first-run screen (the age and rules gate)', () => {
  test('a new guest reads the rules as text, and Continue is enabled only with a date of birth and "I agree"', async () => {
    await renderApp();
    await signInAsGuest();

    expect(screen.queryByTestId('start-matching')).not.toBeOnTheScreen();
    const text = screen.getByTestId('rules-text');
    expect(text).toHaveTextContent(/Small Talk community rules/);
    expect(text).toHaveTextContent(/Adults only\. You must be 18 or older\./);
    // Markdown is shown as readable text, not its marks.
    expect(text).not.toHaveTextContent(/\*\*|#/);

    const submit = screen.getByTestId('consent-submit');
    expect(submit).toBeDisabled();
    await fireEvent.changeText(screen.getByTestId('birth-date-input'), ADULT_BIRTH_DATE);
    expect(submit).toBeDisabled();
    await fireEvent.press(screen.getByTestId('rules-agree'));
    expect(screen.getByTestId('rules-agree')).toBeChecked();
    expect(submit).toBeEnabled();
    // Not a day that exists: still disabled.
    await fireEvent.changeText(screen.getByTestId('birth-date-input'), '1990-02-30');
    expect(submit).toBeDisabled();
    await fireEvent.changeText(screen.getByTestId('birth-date-input'), ADULT_BIRTH_DATE);

    await fireEvent.press(submit);
    await settle();
    expect(consentBodies()).toEqual([{ birthDate: ADULT_BIRTH_DATE, rulesVersion: 1 }]);
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
  });

  test('a welcome written before the consent, arriving after it, does not ask for the rules again', async () => {
    await renderApp();
    await signInAsGuest();
    await fireEvent.changeText(screen.getByTestId('birth-date-input'), ADULT_BIRTH_DATE);
    await fireEvent.press(screen.getByTestId('rules-agree'));
    await fireEvent.press(screen.getByTestId('consent-submit'));
    await settle();
    await services.server.welcome({ ...ada, consent: null });
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
    expect(screen.queryByTestId('rules-text')).not.toBeOnTheScreen();
  });

  test('too young: the neutral underage screen, with nothing to try again', async () => {
    await renderApp();
    await signInAsGuest();
    await fireEvent.changeText(screen.getByTestId('birth-date-input'), '2016-05-01');
    await fireEvent.press(screen.getByTestId('rules-agree'));
    await fireEvent.press(screen.getByTestId('consent-submit'));
    await settle();

    expect(screen.getByTestId('underage-screen')).toBeOnTheScreen();
    expect(screen.queryByTestId('birth-date-input')).not.toBeOnTheScreen();
    expect(screen.queryByTestId('consent-submit')).not.toBeOnTheScreen();
    expect(screen.queryByRole('button')).not.toBeOnTheScreen();
  });

  test('a user the server knows as underage sees the underage screen at start', async () => {
    await renderApp(
      returning({
        ...ada,
        consent: null,
        restriction: {
          id: 'r-u',
          kind: 'underage',
          reason: 'too young',
          until: null,
          automated: true,
          appealable: false,
        },
      }),
    );
    expect(screen.getByTestId('underage-screen')).toBeOnTheScreen();
    expect(screen.queryByTestId('rules-text')).not.toBeOnTheScreen();
    expect(screen.queryByTestId('start-matching')).not.toBeOnTheScreen();
  });

  test('the rules changed while they were read (409): the new ones are shown, "I agree" must be given again, then Continue sends the new version', async () => {
    let version = 1;
    await renderApp({
      'GET /api/rules': () => [
        200,
        { ...rules, version, text: version === 1 ? rules.text : '# New rules\n\nBe kind.' },
      ],
      'POST /api/me/consent': ({ body }) => {
        if (body.rulesVersion !== version)
          return [409, { error: { code: 'rules_changed', message: 'read them again' } }];
        return [200, { user: { ...ada, consent: { rulesVersion: version, at: '2026-05-04T18:00:00.000Z' } } }];
      },
    });
    await signInAsGuest();
    await fireEvent.changeText(screen.getByTestId('birth-date-input'), ADULT_BIRTH_DATE);
    await fireEvent.press(screen.getByTestId('rules-agree'));
    version = 2;
    await fireEvent.press(screen.getByTestId('consent-submit'));
    await settle();

    expect(screen.getByTestId('rules-text')).toHaveTextContent(/New rules/);
    expect(screen.getByText(/rules have just changed/)).toBeOnTheScreen();
    expect(screen.getByTestId('rules-agree')).not.toBeChecked();
    expect(screen.getByTestId('consent-submit')).toBeDisabled();

    await fireEvent.press(screen.getByTestId('rules-agree'));
    await fireEvent.press(screen.getByTestId('consent-submit'));
    await settle();
    expect(consentBodies().map((body) => body.rulesVersion)).toEqual([1, 2]);
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
  });

  test('a date the server refuses (400) says so and keeps the form', async () => {
    await renderApp({
      'POST /api/me/consent': () => [400, { error: { code: 'bad_request', message: 'birthDate: in the future' } }],
    });
    await signInAsGuest();
    await fireEvent.changeText(screen.getByTestId('birth-date-input'), '2999-01-01');
    await fireEvent.press(screen.getByTestId('rules-agree'));
    await fireEvent.press(screen.getByTestId('consent-submit'));
    await settle();
    expect(screen.getByTestId('consent-error')).toHaveTextContent(/real date of birth/);
    expect(screen.getByTestId('consent-submit')).toBeEnabled();
  });

  test('a returning user who accepted an older version of the rules is asked again', async () => {
    await renderApp({ ...returning(ada), 'GET /api/rules': () => [200, { ...rules, version: 2 }] });
    expect(screen.getByTestId('rules-text')).toBeOnTheScreen();
    expect(screen.getByText(/rules have changed/)).toBeOnTheScreen();
    expect(screen.queryByTestId('start-matching')).not.toBeOnTheScreen();
  });

  test('a returning user who accepted the current rules goes straight to Categories', async () => {
    await renderApp(returning(ada));
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
    expect(screen.queryByTestId('rules-text')).not.toBeOnTheScreen();
  });

  test('a join refused with consent_required sends the user back to the rules', async () => {
    await renderApp(returning(ada));
    await services.server.welcome();
    await fireEvent.press(screen.getByTestId('category-music'));
    await fireEvent.press(screen.getByTestId('start-matching'));
    await settle();
    expect(services.server.socket.sentOfType('join')).toHaveLength(1);

    await services.server.socket.receive({
      type: 'error',
      code: 'consent_required',
      message: 'accept the current rules first',
    });
    await settle();
    expect(screen.getByTestId('rules-text')).toBeOnTheScreen();
    expect(screen.queryByTestId('searching')).not.toBeOnTheScreen();
    // Accepting again leads back to Categories.
    await fireEvent.changeText(screen.getByTestId('birth-date-input'), ADULT_BIRTH_DATE);
    await fireEvent.press(screen.getByTestId('rules-agree'));
    await fireEvent.press(screen.getByTestId('consent-submit'));
    await settle();
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
  });
});

describe('the restriction screen', () => {
  test('a suspended user sees why and until when, instead of Categories', async () => {
    await renderApp(returning({ ...ada, restriction: suspension }));
    expect(screen.getByTestId('restriction-screen')).toBeOnTheScreen();
    expect(screen.getByTestId('restriction-reason')).toHaveTextContent(
      '\u2068Several people reported you within a day.\u2069',
    );
    // The end in the app's language and the device's time zone (i18n-accounts.test reads it in German).
    expect(screen.getByTestId('restriction-until')).toHaveTextContent(`Until ${formatDateTime(suspension.until!)}.`);
    expect(screen.getByTestId('restriction-until')).toHaveTextContent(/2030/);
    expect(screen.queryByTestId('start-matching')).not.toBeOnTheScreen();
  });

  test('suspended pending review (no end) says so', async () => {
    await renderApp(returning({ ...ada, restriction: { ...suspension, until: null } }));
    expect(screen.getByTestId('restriction-until')).toHaveTextContent(/until a moderator has reviewed it/i);
  });

  test('banned says so, with the reason', async () => {
    await renderApp(
      returning({
        ...ada,
        restriction: { ...suspension, kind: 'banned', until: null, appealable: false, reason: 'Nudity on camera.' },
      }),
    );
    expect(screen.getByTestId('restriction-screen')).toHaveTextContent(/banned/);
    expect(screen.getByTestId('restriction-reason')).toHaveTextContent('\u2068Nudity on camera.\u2069');
  });

  test('a restricted frame mid-call: the call ends at once and the restriction screen shows', async () => {
    await renderApp(returning(ada));
    await services.server.welcome();
    await fireEvent.press(screen.getByTestId('category-music'));
    await fireEvent.press(screen.getByTestId('start-matching'));
    await settle();
    await services.server.match();
    const pc = FakePeerConnection.latest;
    await pc.setConnectionState('connected');
    expect(screen.getByTestId('peer-name')).toHaveTextContent('Bo');

    await services.server.socket.receive({ type: 'restricted', restriction: suspension });
    await settle();
    expect(screen.getByTestId('restriction-screen')).toBeOnTheScreen();
    expect(screen.getByTestId('restriction-reason')).toHaveTextContent(`\u2068${suspension.reason}\u2069`);
    expect(screen.queryByTestId('peer-name')).not.toBeOnTheScreen();
    expect(pc.closed).toBe(true);
    expect(services.platform.streams.every((stream) => stream.stopped)).toBe(true);
  });

  test('a join refused with restricted asks the server why and shows it', async () => {
    let user: OwnUser = ada;
    await renderApp({ 'GET /api/me': () => [200, { user }] });
    await services.server.welcome();
    await fireEvent.press(screen.getByTestId('category-music'));
    await fireEvent.press(screen.getByTestId('start-matching'));
    await settle();
    user = { ...ada, restriction: suspension };
    await services.server.socket.receive({ type: 'error', code: 'restricted', message: 'you may not meet anyone now' });
    await settle();
    expect(screen.getByTestId('restriction-screen')).toBeOnTheScreen();
  });

  test('a welcome that carries a restriction (it came while the user was away) shows it', async () => {
    await renderApp(returning(ada));
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
    await services.server.welcome({ ...ada, restriction: suspension });
    expect(screen.getByTestId('restriction-screen')).toBeOnTheScreen();
  });
});

describe('the rules Markdown', () => {
  test('headings, numbered and bullet items (with their continuation lines), paragraphs; marks and links become words', () => {
    const blocks = parseMarkdown(
      '# Rules\n\nBe **kind** and _fair_.\nAlways.\n\n1. **Adults only.** You must be 18\n   or older.\n- Write to [us](mailto:help@example.com) or <https://example.com>\n\n## Reporting\n\nPress `Report`.',
    );
    expect(blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Rules' },
      { kind: 'paragraph', text: 'Be kind and fair. Always.' },
      { kind: 'item', marker: '1.', text: 'Adults only. You must be 18 or older.' },
      { kind: 'item', marker: '•', text: 'Write to us (help@example.com) or https://example.com' },
      { kind: 'heading', level: 2, text: 'Reporting' },
      { kind: 'paragraph', text: 'Press Report.' },
    ]);
  });
});
