import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { act, fireEvent, screen } from '@testing-library/react-native';
import { useState } from 'react';
import type { Category, User } from '@small-talk/protocol';
import { CATEGORIES_REFRESH_MS } from '../src/defaults';
import { CategoriesScreen } from '../src/features/categories/CategoriesScreen';
import { ada, categories, defaultRoutes, fakeServices, renderWith, settle, type TestServices } from './fakes';

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
      expect(screen.getByTestId(`category-${category.slug}`)).toHaveTextContent(`${category.name}${category.waiting} waiting`);
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
    expect(onStart).toHaveBeenCalledWith([categories[2], categories[0]]);
  });

  test('the waiting counts refresh while the screen is shown', async () => {
    jest.useFakeTimers();
    let music = 2;
    const services = fakeServices({
      routes: defaultRoutes({ 'GET /api/categories': () => [200, { categories: [{ slug: 'music', name: 'Music', waiting: music }] }] }),
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
      routes: defaultRoutes({ 'GET /api/categories': () => (fail ? [503, { error: { code: 'unavailable', message: 'down' } }] : [200, { categories }]) }),
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
