/**
 * The account side of the app in another language: Profile's "App language" switch (every
 * screen at once, kept on the device), and Welcome, the rules gate, the restriction screen and
 * the offline screen read in German. English is what the other suites read.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { act, fireEvent, render, screen } from '@testing-library/react-native';
import type { Notice, OwnUser, Restriction } from '@small-talk/protocol';
import { App } from '../src/navigation/App';
import { readStored } from '../src/device/store';
import { OfflineScreen } from '../src/features/offline/OfflineScreen';
import { ProfileScreen } from '../src/features/profile/ProfileScreen';
import { i18n, initialUiLanguage } from '../src/i18n/i18n';
import { ada, defaultRoutes, fakeServices, forgetDevice, renderWith, settle, type Routes } from './fakes';

beforeEach(() => forgetDevice());

afterEach(async () => {
  await act(() => i18n.changeLanguage('en'));
  forgetDevice();
});

const member: OwnUser = { ...ada, kind: 'member', emailVerified: true, languages: ['en', 'ja'], bio: '' };

async function renderProfile(user: OwnUser = member) {
  const noop = () => {};
  await renderWith(
    fakeServices(),
    <ProfileScreen user={user} onSaved={noop} onVerify={noop} onCreateAccount={noop} onBack={noop} />,
  );
}

async function renderApp(routes: Routes = {}) {
  await render(<App services={fakeServices({ routes: defaultRoutes(routes) })} />);
  await settle();
}

describe('App language (Profile)', () => {
  test('one radio per language, each named in itself, the current one checked', async () => {
    await renderProfile();
    expect(screen.getByTestId('ui-language')).toHaveAccessibleName('App language');
    const names = { en: 'English', es: 'Español', de: 'Deutsch', fr: 'Français', 'pt-BR': 'Português (Brasil)' };
    for (const [code, name] of Object.entries(names)) {
      const option = screen.getByTestId(`ui-language-${code}`);
      expect(option).toHaveAccessibleName(name);
      expect(option.props.accessibilityRole).toBe('radio');
      expect(option.props.accessibilityState).toEqual({ checked: code === 'en' });
    }
  });

  test('picking Deutsch: Profile is German at once, the languages spoken are named in German, and the device keeps the choice', async () => {
    await renderProfile();
    expect(screen.getByText('Languages you speak')).toBeOnTheScreen();

    await fireEvent.press(screen.getByTestId('ui-language-de'));

    expect(screen.getByText('Profil')).toBeOnTheScreen();
    expect(screen.getByText('Sprachen, die du sprichst')).toBeOnTheScreen();
    expect(screen.getByTestId('profile-save')).toHaveTextContent('Speichern');
    expect(screen.getByTestId('ui-language')).toHaveAccessibleName('Sprache der App');
    expect(screen.getByTestId('ui-language-de').props.accessibilityState).toEqual({ checked: true });
    expect(screen.getByTestId('ui-language-en').props.accessibilityState).toEqual({ checked: false });
    // The names of the languages the user speaks follow the app's language, not the device's.
    expect(screen.getByTestId('profile-language-ja')).toHaveTextContent('日本語 (Japanisch) ✕');
    expect(screen.queryByText(/Languages you speak/)).not.toBeOnTheScreen();

    expect(readStored('ui-language')).toBe('de');
    // The next start reads it back before the first frame.
    expect(initialUiLanguage()).toBe('de');
  });

  test('every screen switches: from Profile to Português, back to Categories and the rest follow', async () => {
    await renderApp({ 'GET /api/me': () => [200, { user: member }] });
    await fireEvent.press(screen.getByTestId('profile-tab'));
    await fireEvent.press(screen.getByTestId('ui-language-pt-BR'));
    expect(screen.getByText('Idiomas que você fala')).toBeOnTheScreen();
    expect(screen.getByTestId('profile-back')).toHaveTextContent('Voltar');
    expect(readStored('ui-language')).toBe('pt-BR');
  });
});

describe('in German', () => {
  beforeEach(async () => {
    await act(() => i18n.changeLanguage('de'));
  });

  test('Welcome: the fields, their names and the buttons', async () => {
    await renderApp();
    expect(screen.getByTestId('display-name-input')).toHaveAccessibleName('Dein Name');
    expect(screen.getByTestId('continue-as-guest')).toHaveTextContent('Als Gast weiter');
    await fireEvent.press(screen.getByTestId('show-sign-in'));
    expect(screen.getByTestId('password-input')).toHaveAccessibleName('Passwort');
    expect(screen.getByTestId('forgot-password')).toHaveTextContent('Passwort vergessen?');
  });

  test('a refusal is worded in German too', async () => {
    await renderApp({ 'POST /api/auth/guest': () => [429, { error: { code: 'rate_limited', message: 'slow down' } }] });
    await fireEvent.changeText(screen.getByTestId('display-name-input'), 'Ada');
    await fireEvent.press(screen.getByTestId('continue-as-guest'));
    await settle();
    expect(screen.getByTestId('welcome-error')).toHaveTextContent(
      'Zu viele Versuche von hier. Warte eine Minute und versuche es erneut.',
    );
  });

  test('the rules gate: its own words in German, the rules as the server wrote them (English), and a note saying so', async () => {
    await renderApp({ 'GET /api/me': () => [200, { user: { ...ada, consent: null } }] });
    expect(screen.getByText('Bevor du jemanden triffst')).toBeOnTheScreen();
    expect(screen.getByText('Die Regeln sind auf Englisch verfasst.')).toBeOnTheScreen();
    expect(screen.getByTestId('rules-text')).toHaveTextContent(/Adults only\. You must be 18 or older\./);
    expect(screen.getByTestId('birth-date-input')).toHaveAccessibleName('Dein Geburtsdatum');
    expect(screen.getByTestId('rules-agree')).toHaveAccessibleName('Ich stimme den Regeln zu');
    expect(screen.getByTestId('consent-submit')).toHaveTextContent('Weiter');
  });

  test('the restriction screen: why, until when (a German date), and the notices', async () => {
    const suspension: Restriction = {
      id: 'r-1',
      kind: 'suspended',
      reason: 'Spam.',
      until: '2030-01-02T15:04:00.000Z',
      automated: true,
      appealable: true,
    };
    const notice: Notice = {
      id: 'notice-1',
      kind: 'suspension',
      reason: 'Spam.',
      automated: true,
      until: suspension.until,
      createdAt: '2026-05-03T10:00:00.000Z',
      appealable: true,
    };
    await renderApp({
      'GET /api/me': () => [200, { user: { ...ada, restriction: suspension } }],
      'GET /api/me/notices': () => [200, { notices: [notice] }],
    });
    expect(screen.getByText('Dein Konto ist vorübergehend gesperrt')).toBeOnTheScreen();
    expect(screen.getByTestId('restriction-until')).toHaveTextContent(/^Bis \d{1,2}\. Jan\. 2030, \d\d:\d\d\.$/);
    expect(screen.getByTestId('notice-notice-1')).toHaveTextContent(
      /Vorübergehende Sperre.*automatisch nach mehreren Meldungen verhängt · bis \d{1,2}\. Jan\. 2030/,
    );
    expect(screen.getByTestId('appeal-text')).toHaveAccessibleName('Dein Einspruch');
    expect(screen.getByTestId('appeal-submit')).toHaveTextContent('Einspruch senden');
    expect(screen.getByTestId('restriction-sign-out')).toHaveTextContent('Abmelden');
  });

  test('offline', async () => {
    await render(<OfflineScreen onRetry={() => {}} checking={false} stillOffline />);
    expect(screen.getByTestId('offline-screen')).toHaveTextContent(/Du bist offline/);
    expect(screen.getByTestId('offline-still')).toHaveTextContent('Immer noch keine Verbindung.');
    expect(screen.getByTestId('offline-retry')).toHaveTextContent('Noch einmal versuchen');
  });
});
