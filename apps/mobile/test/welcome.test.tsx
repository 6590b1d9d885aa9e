import { describe, expect, jest, test } from '@jest/globals';
import { fireEvent, render, screen } from '@testing-library/react-native';
import { ApiError } from '../src/api';
import { WelcomeScreen, type WelcomeScreenProps } from '../src/features/welcome/WelcomeScreen';

function props(overrides: Partial<WelcomeScreenProps> = {}) {
  return {
    onGuest: jest.fn(async (_name: string) => {}),
    onSignIn: jest.fn(async (_form: { email: string; password: string }) => {}),
    onRegister: jest.fn(async (_form: { email: string; password: string; displayName: string }) => {}),
    ...overrides,
  };
}

describe('Welcome', () => {
  test('continue as guest takes a name first, and sends it trimmed', async () => {
    const p = props();
    await render(<WelcomeScreen {...p} />);
    expect(screen.getByTestId('continue-as-guest')).toBeDisabled();

    await fireEvent.changeText(screen.getByTestId('display-name-input'), '   ');
    expect(screen.getByTestId('continue-as-guest')).toBeDisabled();

    await fireEvent.changeText(screen.getByTestId('display-name-input'), '  Ada ');
    await fireEvent.press(screen.getByTestId('continue-as-guest'));
    expect(p.onGuest).toHaveBeenCalledWith('Ada');
  });

  test('a failure is explained and the form can be sent again', async () => {
    const p = props({
      onGuest: jest.fn(async () => {
        throw new ApiError('rate_limited', 'too many requests', 429);
      }),
    });
    await render(<WelcomeScreen {...p} />);
    await fireEvent.changeText(screen.getByTestId('display-name-input'), 'Ada');
    await fireEvent.press(screen.getByTestId('continue-as-guest'));

    expect(screen.getByTestId('welcome-error')).toHaveTextContent(
      'Too many tries from here. Wait a minute and try again.',
    );
    expect(screen.getByTestId('continue-as-guest')).toBeEnabled();
  });

  test('a name that passes for the service (reserved_name) is explained as such, and the rule behind a refused name is shown', async () => {
    const refusals = [
      new ApiError('reserved_name', 'this display name is reserved: it reads as "admin"', 400),
      new ApiError('bad_request', 'displayName: must contain at least one letter or digit', 400),
    ];
    const p = props({
      onGuest: jest.fn(async () => {
        const refusal = refusals.shift();
        if (!refusal) throw new Error('pressed more often than the test expects');
        throw refusal;
      }),
    });
    await render(<WelcomeScreen {...p} />);
    await fireEvent.changeText(screen.getByTestId('display-name-input'), 'Adm1n');
    await fireEvent.press(screen.getByTestId('continue-as-guest'));
    expect(screen.getByTestId('welcome-error')).toHaveTextContent(
      'That name is kept for Small Talk itself. Please pick another.',
    );
    await fireEvent.changeText(screen.getByTestId('display-name-input'), '!!!');
    await fireEvent.press(screen.getByTestId('continue-as-guest'));
    expect(screen.getByTestId('welcome-error')).toHaveTextContent('Please check the form: display name.');
  });

  test('the server being unreachable is said plainly', async () => {
    const p = props({
      onGuest: jest.fn(async () => {
        throw new ApiError('network', 'Failed to fetch', null);
      }),
    });
    await render(<WelcomeScreen {...p} />);
    await fireEvent.changeText(screen.getByTestId('display-name-input'), 'Ada');
    await fireEvent(screen.getByTestId('display-name-input'), 'submitEditing');
    expect(screen.getByTestId('welcome-error')).toHaveTextContent(/Can't reach Small Talk/);
  });

  test('sign in with email and password; a wrong password is explained', async () => {
    const p = props({
      onSignIn: jest.fn(async () => {
        throw new ApiError('invalid_credentials', 'wrong email or password', 401);
      }),
    });
    await render(<WelcomeScreen {...p} />);
    await fireEvent.press(screen.getByTestId('show-sign-in'));
    expect(screen.queryByTestId('display-name-input')).not.toBeOnTheScreen();

    await fireEvent.changeText(screen.getByTestId('email-input'), ' ada@example.com ');
    await fireEvent.changeText(screen.getByTestId('password-input'), 'correct horse');
    await fireEvent.press(screen.getByTestId('sign-in-submit'));

    expect(p.onSignIn).toHaveBeenCalledWith({ email: 'ada@example.com', password: 'correct horse' });
    expect(screen.getByTestId('welcome-error')).toHaveTextContent('Wrong email or password.');
  });

  test('create account needs a name, an email and a password of 8 characters', async () => {
    const p = props();
    await render(<WelcomeScreen {...p} />);
    await fireEvent.press(screen.getByTestId('show-register'));

    await fireEvent.changeText(screen.getByTestId('display-name-input'), 'Ada');
    await fireEvent.changeText(screen.getByTestId('email-input'), 'ada@example.com');
    await fireEvent.changeText(screen.getByTestId('password-input'), 'short');
    expect(screen.getByTestId('register-submit')).toBeDisabled();

    await fireEvent.changeText(screen.getByTestId('password-input'), 'long enough');
    await fireEvent.press(screen.getByTestId('register-submit'));
    expect(p.onRegister).toHaveBeenCalledWith({
      email: 'ada@example.com',
      password: 'long enough',
      displayName: 'Ada',
    });
  });

  test('a guest creating an account keeps its name and can go back', async () => {
    const onBack = jest.fn();
    await render(<WelcomeScreen {...props()} upgrade={{ displayName: 'Ada', onBack }} />);
    expect(screen.getByText('Create your account')).toBeOnTheScreen();
    expect(screen.getByTestId('display-name-input')).toHaveDisplayValue('Ada');
    expect(screen.queryByTestId('continue-as-guest')).not.toBeOnTheScreen();

    await fireEvent.press(screen.getByTestId('welcome-back'));
    expect(onBack).toHaveBeenCalled();
  });

  test('says why the user is back here', async () => {
    await render(<WelcomeScreen {...props()} notice="You were signed out. Sign in again to continue." />);
    expect(screen.getByText('You were signed out. Sign in again to continue.')).toBeOnTheScreen();
  });
});
