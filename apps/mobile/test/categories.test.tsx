import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { act, fireEvent, screen } from '@testing-library/react-native';
import { useState } from 'react';
import type { Category, User } from '@small-talk/protocol';
import { CATEGORIES_REFRESH_MS, ONLINE_REFRESH_MS } from '../src/defaults';
import { CategoriesScreen } from '../src/features/categories/CategoriesScreen';
import {
  ada,
  categories,
  defaultRoutes,
  fakeServices,
  forgetDevice,
  renderWith,
  settle,
  type TestServices,
} from './fakes';

afterEach(() => {
  jest.useRealTimers();
});

/** The screen with its selection held as the app holds it. */
function Harness({ user = ada, onStart }: { user?: User; onStart(picked: Category[]): void }) {
  const [selected, setSelected] = useState<string[]>([]);
  return (
    <CategoriesScreen
      user={user}
      selected={selected}
      onSelectedChange={setSelected}
      onStart={onStart}
      onHistory={() => {}}
      onProfile={() => {}}
      onSafety={() => {}}
      onFriends={() => {}}
      onSignOut={() => {}}
      onCreateAccount={() => {}}
    />
  );
}

async function renderCategories(services: TestServices, user?: User) {
  const onStart = jest.fn();
  await renderWith(services, <Harness user={user} onStart={onStart} />);
  await settle();
  return onStart;
}

describe('Categories', () => {
  test('one tile per category, with how many are waiting', async () => {
    await renderCategories(fakeServices());
    for (const category of categories) {
      expect(screen.getByTestId(`category-${category.slug}`)).toHaveTextContent(
        `${category.name}${category.waiting} waiting`,
      );
    }
  });

  test('start is disabled until a category is picked; picks toggle and keep their order', async () => {
    const onStart = await renderCategories(fakeServices());
    expect(screen.getByTestId('start-matching')).toBeDisabled();

    await fireEvent.press(screen.getByTestId('category-travel'));
    await fireEvent.press(screen.getByTestId('category-music'));
    await fireEvent.press(screen.getByTestId('category-books'));
    await fireEvent.press(screen.getByTestId('category-books')); // changed their mind
    expect(screen.getByTestId('category-travel')).toBeChecked();
    expect(screen.getByTestId('category-books')).not.toBeChecked();
    expect(screen.getByTestId('start-matching')).toBeEnabled();

    await fireEvent.press(screen.getByTestId('start-matching'));
    expect(onStart).toHaveBeenCalledWith([categories[2], categories[0]], { anyone: true });
  });

  test('the waiting counts refresh while the screen is shown', async () => {
    jest.useFakeTimers();
    let music = 2;
    const services = fakeServices({
      routes: defaultRoutes({
        'GET /api/categories': () => [200, { categories: [{ slug: 'music', name: 'Music', waiting: music }] }],
      }),
    });
    await renderCategories(services);
    expect(screen.getByTestId('waiting-music')).toHaveTextContent('2 waiting');

    music = 5;
    await act(async () => jest.advanceTimersByTime(CATEGORIES_REFRESH_MS));
    await settle();
    expect(screen.getByTestId('waiting-music')).toHaveTextContent('5 waiting');
  });

  test('a failed load is explained, with Retry', async () => {
    let fail = true;
    const services = fakeServices({
      routes: defaultRoutes({
        'GET /api/categories': () =>
          fail ? [503, { error: { code: 'unavailable', message: 'down' } }] : [200, { categories }],
      }),
    });
    await renderCategories(services);
    expect(screen.getByTestId('categories-error')).toBeOnTheScreen();
    expect(screen.getByTestId('start-matching')).toBeDisabled();

    fail = false;
    await fireEvent.press(screen.getByText('Retry'));
    await settle();
    expect(screen.queryByTestId('categories-error')).not.toBeOnTheScreen();
    expect(screen.getByTestId('category-music')).toBeOnTheScreen();
  });

  test('guests are offered an account; members are not', async () => {
    await renderCategories(fakeServices());
    expect(screen.getByTestId('create-account')).toBeOnTheScreen();
    await screen.unmount();

    await renderCategories(fakeServices(), { ...ada, kind: 'member' });
    expect(screen.queryByTestId('create-account')).not.toBeOnTheScreen();
    expect(screen.getByTestId('open-history')).toBeOnTheScreen();
  });
});

describe('Categories: meet anyone, who is online', () => {
  beforeEach(() => forgetDevice());

  test('"Meet anyone after 10 s" is on by default, goes with Start, and is kept on the device', async () => {
    const onStart = await renderCategories(fakeServices());
    const toggle = screen.getByTestId('anyone-toggle');
    expect(toggle).toBeChecked();
    expect(toggle).toHaveAccessibleName('Meet anyone after 10 s');

    await fireEvent.press(toggle);
    expect(screen.getByTestId('anyone-toggle')).not.toBeChecked();
    await fireEvent.press(screen.getByTestId('category-music'));
    await fireEvent.press(screen.getByTestId('start-matching'));
    expect(onStart).toHaveBeenCalledWith([categories[0]], { anyone: false });
    await screen.unmount();

    // The next run of the app reads the choice back.
    await renderCategories(fakeServices());
    expect(screen.getByTestId('anyone-toggle')).not.toBeChecked();
  });

  test('"N online" from GET /api/stats, refreshed while the screen shows', async () => {
    jest.useFakeTimers();
    let online = 7;
    const services = fakeServices({ routes: defaultRoutes({ 'GET /api/stats': () => [200, { online, waiting: 1 }] }) });
    await renderCategories(services);
    expect(screen.getByTestId('online-count')).toHaveTextContent('7 online');

    online = 12;
    await act(async () => jest.advanceTimersByTime(ONLINE_REFRESH_MS));
    await settle();
    expect(screen.getByTestId('online-count')).toHaveTextContent('12 online');
  });

  test('the Profile tab opens Profile', async () => {
    const onProfile = jest.fn();
    await renderWith(
      fakeServices(),
      <CategoriesScreen
        user={ada}
        selected={[]}
        onSelectedChange={() => {}}
        onStart={() => {}}
        onHistory={() => {}}
        onProfile={onProfile}
        onFriends={() => {}}
        onSafety={() => {}}
        onSignOut={() => {}}
        onCreateAccount={() => {}}
      />,
    );
    await settle();
    await fireEvent.press(screen.getByTestId('profile-tab'));
    expect(onProfile).toHaveBeenCalled();
  });
});
