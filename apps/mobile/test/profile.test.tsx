/**
 * Profile: the name, the languages two people are matched by (1..5, in order of preference), the
 * bio a stranger reads, and whether the e-mail address is confirmed; and, on first run, the
 * device's languages for a user who named none.
 */
import { beforeEach, describe, expect, jest, test } from '@jest/globals';
import { fireEvent, render, screen } from '@testing-library/react-native';
import { useState } from 'react';
import type { OwnUser } from '@small-talk/protocol';
import { App } from '../src/navigation/App';
import { ProfileScreen } from '../src/features/profile/ProfileScreen';
import { languageName, languagesOfLocales } from '../src/features/profile/languages';
import { ada, defaultRoutes, fakeServices, forgetDevice, renderWith, settle, type Routes } from './fakes';

// What expo-localization says the device speaks, best first.
const mockDevice: { codes: string[] } = { codes: [] };
jest.mock('../src/device/locales', () => ({ deviceLanguageCodes: () => mockDevice.codes }));

beforeEach(() => {
  forgetDevice();
  mockDevice.codes = ['de', 'en'];
});

const member: OwnUser = { ...ada, kind: 'member', emailVerified: false, languages: ['en'], bio: '' };

async function renderProfile(user: OwnUser, routes: Routes = {}) {
  const patches: unknown[] = [];
  const services = fakeServices({
    routes: defaultRoutes({
      'PATCH /api/me': ({ body }) => (patches.push(body), [200, { user: { ...user, ...body } }]),
      ...routes,
    }),
  });
  const props = { onSaved: jest.fn(), onVerify: jest.fn(), onCreateAccount: jest.fn(), onBack: jest.fn() };
  await renderWith(services, <ProfileScreen user={user} {...props} />);
  return { patches, ...props };
}

describe('Profile', () => {
  test('languages: find one by its name, add it after the others, remove one; save sends only what changed', async () => {
    const { patches, onSaved } = await renderProfile(member);
    expect(screen.getByTestId('profile-languages')).toHaveAccessibleName('Languages you speak');
    expect(screen.getByTestId('profile-language-en')).toBeOnTheScreen();
    expect(screen.getByTestId('profile-save')).toBeDisabled();

    await fireEvent.changeText(screen.getByTestId('profile-language-search'), 'deutsch');
    await fireEvent.press(screen.getByTestId('profile-language-add-de'));
    await fireEvent.changeText(screen.getByTestId('profile-language-search'), 'ja');
    await fireEvent.press(screen.getByTestId('profile-language-add-ja'));
    await fireEvent.press(screen.getByTestId('profile-language-en'));
    await fireEvent.changeText(screen.getByTestId('profile-bio'), '  Cellist, mostly Bach  ');
    await fireEvent.press(screen.getByTestId('profile-save'));
    await settle();

    expect(patches).toEqual([{ languages: ['de', 'ja'], bio: 'Cellist, mostly Bach' }]);
    expect(onSaved).toHaveBeenCalledWith({ ...member, languages: ['de', 'ja'], bio: 'Cellist, mostly Bach' });
  });

  test('at most five languages, and at least one: the search goes away at five, save is off at none', async () => {
    await renderProfile({ ...member, languages: ['en', 'de', 'fr', 'es'] });
    await fireEvent.changeText(screen.getByTestId('profile-language-search'), 'it');
    await fireEvent.press(screen.getByTestId('profile-language-add-it'));
    expect(screen.queryByTestId('profile-language-search')).not.toBeOnTheScreen();

    for (const code of ['en', 'de', 'fr', 'es', 'it'])
      await fireEvent.press(screen.getByTestId(`profile-language-${code}`));
    expect(screen.getByText('None yet: pick at least one.')).toBeOnTheScreen();
    expect(screen.getByTestId('profile-save')).toBeDisabled();
  });

  test('the bio is held to 140 characters; the name can be changed; a refusal is explained', async () => {
    const patches: unknown[] = [];
    await renderProfile(member, {
      'PATCH /api/me': ({ body }) => (
        patches.push(body),
        [400, { error: { code: 'reserved_name', message: 'that name is kept for Small Talk' } }]
      ),
    });
    expect(screen.getByTestId('profile-bio').props.maxLength).toBe(140);
    await fireEvent.changeText(screen.getByTestId('profile-name-input'), 'Small Talk');
    await fireEvent.press(screen.getByTestId('profile-save'));
    await settle();
    expect(patches).toEqual([{ displayName: 'Small Talk' }]);
    expect(screen.getByTestId('profile-error')).toHaveTextContent(
      'That name is kept for Small Talk itself. Please pick another.',
    );
  });

  test('saved: said once the server answered', async () => {
    const services = fakeServices();
    function Harness() {
      const [user, setUser] = useState(member);
      return (
        <ProfileScreen user={user} onSaved={setUser} onVerify={() => {}} onCreateAccount={() => {}} onBack={() => {}} />
      );
    }
    await renderWith(services, <Harness />);
    await fireEvent.changeText(screen.getByTestId('profile-name-input'), 'Ada L.');
    await fireEvent.press(screen.getByTestId('profile-save'));
    await settle();
    expect(screen.getByTestId('profile-saved')).toBeOnTheScreen();
    expect(screen.getByTestId('profile-save')).toBeDisabled();
  });

  test('the email address: confirmed, not yet (with the way to confirm it), or a guest (with the way to an account)', async () => {
    const { onVerify } = await renderProfile(member);
    expect(screen.getByTestId('profile-unverified')).toBeOnTheScreen();
    await fireEvent.press(screen.getByTestId('profile-verify'));
    expect(onVerify).toHaveBeenCalled();
    await screen.unmount();

    await renderProfile({ ...member, emailVerified: true });
    expect(screen.getByTestId('profile-verified')).toHaveTextContent(/confirmed/);
    expect(screen.queryByTestId('profile-verify')).not.toBeOnTheScreen();
    await screen.unmount();

    const { onCreateAccount } = await renderProfile(ada);
    await fireEvent.press(screen.getByTestId('profile-create-account'));
    expect(onCreateAccount).toHaveBeenCalled();
  });

  test('from the app: Confirm email asks the server for a code, then the code screen', async () => {
    let starts = 0;
    const services = fakeServices({
      routes: defaultRoutes({
        'GET /api/me': () => [200, { user: member }],
        'POST /api/auth/email/verify-start': () => (starts++, [202, {}]),
      }),
    });
    await render(<App services={services} />);
    await settle();
    await fireEvent.press(screen.getByTestId('profile-tab'));
    await fireEvent.press(screen.getByTestId('profile-verify'));
    await settle();
    expect(starts).toBe(1);
    expect(screen.getByTestId('verify-code-input')).toBeOnTheScreen();
    await fireEvent.press(screen.getByTestId('verify-back'));
    expect(screen.getByTestId('profile-languages')).toBeOnTheScreen();
  });
});

describe("First run: the device's languages", () => {
  async function signIn(user: OwnUser) {
    const patches: unknown[] = [];
    const services = fakeServices({
      routes: defaultRoutes({
        'GET /api/me': () => [200, { user }],
        'PATCH /api/me': ({ body }) => (patches.push(body), [200, { user: { ...user, ...body } }]),
      }),
    });
    const view = await render(<App services={services} />);
    await settle();
    return { patches, view };
  }

  test("a user with none gets the device's, once: the next run leaves them to Profile", async () => {
    const first = await signIn({ ...ada, languages: [] });
    expect(first.patches).toEqual([{ languages: ['de', 'en'] }]);
    await fireEvent.press(screen.getByTestId('profile-tab'));
    expect(screen.getByTestId('profile-language-de')).toBeOnTheScreen();
    await first.view.unmount();

    // Say the server lost them: the device has offered its languages to this user already.
    const second = await signIn({ ...ada, languages: [] });
    expect(second.patches).toEqual([]);
  });

  test('a user who named some keeps them; a device whose locales have no ISO 639-1 code sends nothing', async () => {
    expect((await signIn({ ...ada, languages: ['fr'] })).patches).toEqual([]);
    await screen.unmount();
    forgetDevice();
    mockDevice.codes = ['yue', 'haw'];
    expect((await signIn({ ...ada, id: 'user-other', languages: [] })).patches).toEqual([]);
  });
});

describe('language names and locales', () => {
  test("native names from the table, with the device language's name where the engine has one", () => {
    expect(languageName('de', 'en')).toBe('Deutsch (German)');
    expect(languageName('en', 'en')).toBe('English');
    expect(languageName('ja', 'en')).toBe('日本語 (Japanese)');
  });

  test('locales become codes: lower case, region dropped, each once, at most five, unknown ones left out', () => {
    expect(languagesOfLocales(['de-CH', 'DE', 'en_US', null, 'yue', 'fr', 'it', 'es', 'pt'])).toEqual([
      'de',
      'en',
      'fr',
      'it',
      'es',
    ]);
  });
});
