/** The i18n layer itself: which language a device gets, and switching it (features test their own strings). */
import { afterEach, expect, test } from '@jest/globals';
import { act, render, screen } from '@testing-library/react-native';
import { Text } from 'react-native';
import { useTranslation } from 'react-i18next';
import { ApiError, describeApiError } from '../src/api';
import { readStored } from '../src/device/store';
import { i18n, setUiLanguage } from '../src/i18n/i18n';
import { pickUiLanguage } from '../src/i18n/languages';

afterEach(async () => {
  await act(() => i18n.changeLanguage('en'));
});

test("the device's first locale the app speaks picks the language, English when none fits", () => {
  expect(pickUiLanguage(['de-CH', 'en-US'])).toBe('de');
  expect(pickUiLanguage(['pt-PT'])).toBe('pt-BR');
  expect(pickUiLanguage(['ja-JP', 'fr-CA'])).toBe('fr');
  expect(pickUiLanguage(['es-419'])).toBe('es');
  expect(pickUiLanguage(['ja-JP'])).toBe('en');
  expect(pickUiLanguage([])).toBe('en');
});

function Probe() {
  const { t } = useTranslation(['errors']);
  return <Text testID="probe">{t('errors:busy')}</Text>;
}

test('switching the language re-renders what is on screen, and the choice is kept on the device', async () => {
  await render(<Probe />);
  expect(screen.getByTestId('probe')).toHaveTextContent('You are in a call already.');
  await act(() => setUiLanguage('de'));
  expect(screen.getByTestId('probe')).toHaveTextContent('Du bist schon in einem Anruf.');
  expect(readStored('ui-language')).toBe('de');
  await act(() => setUiLanguage('pt-BR'));
  expect(screen.getByTestId('probe')).toHaveTextContent('Você já está em uma chamada.');
});

test("an error is told from its code in the user's language, never with the server's English", async () => {
  await act(() => i18n.changeLanguage('fr'));
  expect(describeApiError(new ApiError('invalid_credentials', 'invalid email or password', 401))).toBe(
    'E-mail ou mot de passe incorrect.',
  );
  expect(
    describeApiError(new ApiError('bad_request', 'displayName: must contain at least one letter or digit', 400)),
  ).toBe('Veuillez vérifier le formulaire : nom affiché.');
  expect(describeApiError(new ApiError('bad_request', 'something odd', 400))).toBe('Veuillez vérifier le formulaire.');
  expect(describeApiError(new TypeError('Failed to fetch'))).toBe(
    'Impossible de joindre Small Talk. Vérifiez votre connexion et réessayez.',
  );
});
