import { describe, expect, jest, test } from '@jest/globals';
import { fireEvent, screen } from '@testing-library/react-native';
import type { Connection } from '@small-talk/protocol';
import { formatWhen } from '../src/i18n/format';
import { formatDuration, HistoryScreen } from '../src/features/history/HistoryScreen';
import { defaultRoutes, fakeServices, renderWith, settle, type Routes } from './fakes';

const connections: Connection[] = [
  {
    id: 'room-2',
    category: 'books',
    peer: { id: 'user-bo', displayName: 'Bo', languages: [] },
    startedAt: new Date().toISOString(),
    endedAt: null,
    endReason: null,
  },
  {
    id: 'room-1',
    category: 'music',
    peer: { id: 'user-cy', displayName: 'Cy', languages: [] },
    startedAt: '2026-05-04T17:40:02.115Z',
    endedAt: '2026-05-04T17:52:47.903Z',
    endReason: 'left',
  },
];

async function renderHistory(routes: Routes) {
  const services = fakeServices({ routes: defaultRoutes(routes) });
  const onBack = jest.fn();
  await renderWith(services, <HistoryScreen onBack={onBack} />);
  await settle();
  return { services, onBack };
}

describe('History', () => {
  test('lists the people met, newest first, with the category and when', async () => {
    const { services } = await renderHistory({ 'GET /api/history': () => [200, { connections }] });
    const rows = screen.getAllByTestId('history-item');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent(/^BoBooksToday, .+ · nowAdd friendReportBlock$/);
    expect(rows[1]).toHaveTextContent(/^CyMusic.+ · 13 minAdd friendReportBlock$/);
    expect(services.http.calls.find((call) => call.path === '/api/history')?.url).toBe('/api/history?limit=100');
  });

  test('says so when there is no one yet', async () => {
    await renderHistory({});
    expect(screen.getByText('No one yet. Pick a category and say hi!')).toBeOnTheScreen();
  });

  test('a failed load is explained, with Retry', async () => {
    let fail = true;
    await renderHistory({
      'GET /api/history': () =>
        fail ? [500, { error: { code: 'internal', message: 'bug' } }] : [200, { connections }],
    });
    expect(screen.getByTestId('history-error')).toBeOnTheScreen();

    fail = false;
    await fireEvent.press(screen.getByText('Retry'));
    await settle();
    expect(screen.getAllByTestId('history-item')).toHaveLength(2);
  });

  test('Back goes back', async () => {
    const { onBack } = await renderHistory({});
    await fireEvent.press(screen.getByTestId('history-back'));
    expect(onBack).toHaveBeenCalled();
  });
});

describe('formatting', () => {
  const now = new Date(2026, 4, 4, 18, 30);
  test('when: today, yesterday, else the date', () => {
    expect(formatWhen(new Date(2026, 4, 4, 9, 5).toISOString(), now)).toMatch(/^Today, /);
    expect(formatWhen(new Date(2026, 4, 3, 23, 59).toISOString(), now)).toMatch(/^Yesterday, /);
    expect(formatWhen(new Date(2026, 3, 20, 12, 0).toISOString(), now)).not.toMatch(/^(Today|Yesterday)/);
  });
  test('duration: seconds, minutes (to the nearest), hours, in the words of the language (format.ts)', () => {
    expect(formatDuration('2026-05-04T18:00:00Z', '2026-05-04T18:00:45Z')).toBe('45 sec');
    expect(formatDuration('2026-05-04T18:00:00Z', '2026-05-04T18:12:10Z')).toBe('12 min');
    expect(formatDuration('2026-05-04T18:00:00Z', '2026-05-04T18:12:40Z')).toBe('13 min');
    expect(formatDuration('2026-05-04T18:00:00Z', '2026-05-04T19:05:00Z')).toBe('1 hr 5 min');
  });
});
