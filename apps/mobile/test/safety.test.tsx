import { describe, expect, jest, test } from '@jest/globals';
import { fireEvent, render, screen } from '@testing-library/react-native';
import type { Block, Report } from '@small-talk/protocol';
import { App } from '../src/navigation/App';
import { CategoriesScreen } from '../src/features/categories/CategoriesScreen';
import { SafetyScreen } from '../src/features/safety/SafetyScreen';
import { ada, defaultRoutes, fakeServices, renderWith, settle, type Routes } from './fakes';

const reports: Report[] = [
  {
    id: 'report-2',
    userId: 'user-cy',
    connectionId: 'room-2',
    reason: 'harassment',
    status: 'open',
    createdAt: new Date().toISOString(),
    decidedAt: null,
  },
  {
    id: 'report-1',
    userId: 'user-bo',
    connectionId: 'room-1',
    reason: 'spam',
    status: 'dismissed',
    createdAt: '2026-05-04T17:40:02.115Z',
    decidedAt: '2026-05-05T09:00:00.000Z',
  },
];
const blocks: Block[] = [
  { user: { id: 'user-cy', displayName: 'Cy', languages: [] }, createdAt: new Date().toISOString() },
  { user: { id: 'user-bo', displayName: 'Bo', languages: [] }, createdAt: '2026-05-04T17:41:00.000Z' },
];
const rules = {
  version: 3,
  minAge: 18,
  text: '# Rules\n\nNo nudity. Nobody under 18.',
  contactEmail: 'safety@example.org',
};

async function renderSafety(overrides: Routes = {}) {
  const unblocked: string[] = [];
  const services = fakeServices({
    routes: defaultRoutes({
      'GET /api/reports': () => [200, { reports }],
      'GET /api/blocks': () => [200, { blocks }],
      'GET /api/rules': () => [200, rules],
      'DELETE /api/blocks/user-bo': () => {
        unblocked.push('user-bo');
        return [204];
      },
      ...overrides,
    }),
  });
  const onBack = jest.fn();
  await renderWith(services, <SafetyScreen onBack={onBack} />);
  await settle();
  return { services, unblocked, onBack };
}

describe('Safety', () => {
  test('lists my reports with their status, newest first', async () => {
    await renderSafety();
    expect(screen.getByTestId('my-report-report-2')).toHaveTextContent(
      /^Harassment or bullying.+Open: a moderator will look at it$/,
    );
    expect(screen.getByTestId('my-report-report-1')).toHaveTextContent(
      /^Spam or scam.+Closed: no rule was found broken$/,
    );
  });

  test('lists the people I blocked, and Unblock takes one off', async () => {
    const { unblocked } = await renderSafety();
    expect(screen.getByTestId('blocked-user-cy')).toHaveTextContent(/^CyUnblockBlocked \S/);
    expect(screen.getByTestId('blocked-user-bo')).toHaveTextContent(/^BoUnblock/);

    await fireEvent.press(screen.getByTestId('unblock-user-bo'));
    await settle();
    expect(unblocked).toEqual(['user-bo']);
    expect(screen.queryByTestId('blocked-user-bo')).not.toBeOnTheScreen();
    expect(screen.getByTestId('blocked-user-cy')).toBeOnTheScreen();
  });

  test('a failed unblock is said and the row stays', async () => {
    await renderSafety({
      'DELETE /api/blocks/user-bo': () => [404, { error: { code: 'not_found', message: 'no such block' } }],
    });
    await fireEvent.press(screen.getByTestId('unblock-user-bo'));
    await settle();
    // not_found, in the errors namespace's words.
    expect(screen.getByTestId('blocked-user-bo')).toHaveTextContent(/That is not there any more\./);
  });

  test("shows the rules and the operator's contact address", async () => {
    await renderSafety();
    expect(screen.getByTestId('safety-rules')).toHaveTextContent(/# Rules\s+No nudity\. Nobody under 18\./);
    expect(screen.getByTestId('safety-contact')).toHaveTextContent(/safety@example\.org/);
  });

  test('no contact address set: says so', async () => {
    await renderSafety({ 'GET /api/rules': () => [200, { ...rules, contactEmail: null }] });
    expect(screen.queryByTestId('safety-contact')).not.toBeOnTheScreen();
    expect(screen.getByText('This server has not published a contact address.')).toBeOnTheScreen();
  });

  test('empty lists say so', async () => {
    await renderSafety({
      'GET /api/reports': () => [200, { reports: [] }],
      'GET /api/blocks': () => [200, { blocks: [] }],
    });
    expect(screen.getByText('You have not reported anyone.')).toBeOnTheScreen();
    expect(screen.getByText(/^Nobody\. Block someone/)).toBeOnTheScreen();
  });

  test('a part that fails to load offers Retry; the others show', async () => {
    let fail = true;
    await renderSafety({
      'GET /api/reports': () => (fail ? [500, { error: { code: 'internal', message: 'bug' } }] : [200, { reports }]),
    });
    expect(screen.queryByTestId('my-report-report-2')).not.toBeOnTheScreen();
    expect(screen.getByTestId('blocked-user-bo')).toBeOnTheScreen();
    expect(screen.getByTestId('safety-rules')).toBeOnTheScreen();
    fail = false;
    await fireEvent.press(screen.getByText('Retry'));
    await settle();
    expect(screen.getByTestId('my-report-report-2')).toBeOnTheScreen();
  });

  test('Back goes back', async () => {
    const { onBack } = await renderSafety();
    await fireEvent.press(screen.getByTestId('safety-back'));
    expect(onBack).toHaveBeenCalled();
  });

  test('the Safety tab in the header opens it', async () => {
    const onSafety = jest.fn();
    await renderWith(
      fakeServices(),
      <CategoriesScreen
        user={ada}
        selected={[]}
        onSelectedChange={() => {}}
        onStart={() => {}}
        onHistory={() => {}}
        onProfile={() => {}}
        onFriends={() => {}}
        onSafety={onSafety}
        onSignOut={() => {}}
        onCreateAccount={() => {}}
      />,
    );
    await settle();
    await fireEvent.press(screen.getByTestId('safety-tab'));
    expect(onSafety).toHaveBeenCalled();
  });

  test("in the app: the header's Safety tab opens Safety, and Back returns to Categories", async () => {
    const services = fakeServices({
      routes: defaultRoutes({
        'GET /api/me': () => [200, { user: ada }],
        'GET /api/reports': () => [200, { reports }],
        'GET /api/blocks': () => [200, { blocks }],
        'GET /api/rules': () => [200, { ...rules, version: 1 }],
      }),
    });
    await render(<App services={services} />);
    await settle();
    await fireEvent.press(screen.getByTestId('safety-tab'));
    await settle();
    expect(screen.getByTestId('my-report-report-2')).toBeOnTheScreen();
    expect(screen.getByTestId('blocked-user-bo')).toBeOnTheScreen();
    await fireEvent.press(screen.getByTestId('safety-back'));
    expect(screen.getByTestId('start-matching')).toBeOnTheScreen();
  });
});
