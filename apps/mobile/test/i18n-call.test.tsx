/**
 * The matching and call side in German: what a German speaker sees and hears from Categories to
 * the Call and History, so a string that slips back to a literal (English) fails here. English
 * is what the other suites read.
 */
import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { act, screen } from '@testing-library/react-native';
import type { SmallTalkClient } from '@small-talk/client';
import type { Connection } from '@small-talk/protocol';
import { MatchFlow } from '../src/features/call/MatchFlow';
import { CategoriesScreen } from '../src/features/categories/CategoriesScreen';
import { HistoryScreen } from '../src/features/history/HistoryScreen';
import { i18n } from '../src/i18n/i18n';
import {
  ada,
  categories,
  defaultRoutes,
  FakePeerConnection,
  fakeServices,
  renderWith,
  settle,
  type TestServices,
} from './fakes';

const music = categories[0]!;
const books = categories[1]!;

let services: TestServices;
let client: SmallTalkClient;

beforeEach(async () => {
  await act(() => i18n.changeLanguage('de'));
  FakePeerConnection.instances = [];
  services = fakeServices({
    routes: defaultRoutes({
      // `chess` is a category the app has no name for: the server's name shows.
      'GET /api/categories': () => [200, { categories: [...categories, { slug: 'chess', name: 'Chess', waiting: 1 }] }],
    }),
  });
  client = services.createClient(undefined);
  client.connect();
  await services.server.welcome();
});

afterEach(async () => {
  client.close();
  jest.useRealTimers();
  await act(() => i18n.changeLanguage('en'));
});

describe('in German', () => {
  test('Categories: the title, each known category by its German name, an unknown one by the server’s, waiting counts as plurals', async () => {
    await renderWith(
      services,
      <CategoriesScreen
        user={ada}
        selected={[]}
        onSelectedChange={() => {}}
        onStart={() => {}}
        onHistory={() => {}}
        onProfile={() => {}}
        onFriends={() => {}}
        onSafety={() => {}}
        onSignOut={() => {}}
        onCreateAccount={() => {}}
      />,
    );
    await settle();

    expect(screen.getByText('Worüber möchtest du reden?')).toBeOnTheScreen();
    expect(screen.getByText('Hallo, Ada')).toBeOnTheScreen();
    expect(screen.getByTestId('category-music')).toHaveTextContent('Musik2 warten');
    expect(screen.getByTestId('category-travel')).toHaveTextContent('Reisen1 wartet');
    expect(screen.getByTestId('category-chess')).toHaveTextContent('Chess1 wartet');
    expect(screen.getByTestId('category-music')).toHaveAccessibleName('Musik, 2 warten');
    expect(screen.getByTestId('anyone-toggle')).toHaveAccessibleName('Nach 10 s beliebige Leute treffen');
    expect(screen.getByTestId('start-matching')).toHaveTextContent('Wähle eine Kategorie');
  });

  test('Searching, then the Call: status, controls, chat and the peer leaving, all in German', async () => {
    await renderWith(services, <MatchFlow client={client} categories={[music, books]} onEnd={jest.fn()} />);
    await settle();
    expect(screen.getByText('Suche jemanden…')).toBeOnTheScreen();
    expect(screen.getByText('Musik · Bücher')).toBeOnTheScreen();
    expect(screen.getByTestId('cancel-search')).toHaveTextContent('Abbrechen');

    await services.server.match();
    expect(screen.getByText('Verbinde mit Bo…')).toBeOnTheScreen();
    expect(screen.getByText('Musik')).toBeOnTheScreen();
    expect(screen.getByTestId('call-status')).toHaveTextContent('verbindet');
    expect(screen.getByTestId('toggle-mic')).toHaveTextContent('Stumm');
    expect(screen.getByTestId('toggle-mic')).toHaveAccessibleName('Mikrofon stummschalten');
    expect(screen.getByTestId('end-button')).toHaveAccessibleName('Beenden und zurück');
    expect(screen.getByTestId('chat-input')).toHaveAccessibleName('Nachricht');
    expect(screen.getByText('Sag Hallo zu \u2068Bo\u2069.')).toBeOnTheScreen();

    await FakePeerConnection.latest.receiveStream();
    // Phones can't check the video yet (useShield.native.ts): the overlay says so, in German.
    expect(screen.getByTestId('shield-overlay')).toHaveTextContent(
      /Video verborgen.*Diese App kann es auf deinem Handy noch nicht prüfen/,
    );
    expect(screen.getByTestId('shield-state')).toHaveTextContent('unscharf');

    await services.server.socket.receive({ type: 'peer_left', roomId: 'room-1', reason: 'left' });
    expect(screen.getByTestId('call-status')).toHaveTextContent('Gegenüber ist gegangen');
    expect(screen.getByText('Bo hat den Anruf verlassen')).toBeOnTheScreen();
    expect(screen.getByTestId('next-button')).toHaveAccessibleName('Nächste Person');
  });

  test('the waiting time is said in German, and a widened match is “Beliebig”', async () => {
    // The SDK reads its clock when made: a client made under fake timers queues in fake time.
    client.close();
    jest.useFakeTimers({ now: new Date('2026-05-04T18:00:00Z') });
    client = services.createClient(undefined);
    client.connect();
    await services.server.welcome();
    await renderWith(services, <MatchFlow client={client} categories={[music]} anyone onEnd={jest.fn()} />);
    await settle();
    await act(async () => jest.advanceTimersByTime(1_000));
    expect(screen.getByTestId('elapsed')).toHaveTextContent('0:01');
    expect(screen.getByTestId('elapsed')).toHaveAccessibleName('wartet seit 1 Sekunde');

    await services.server.socket.receive({ type: 'widened' });
    expect(screen.getByTestId('search-widened')).toHaveTextContent(
      'Jetzt auch über deine Kategorien hinaus: alle, die deine Sprache sprechen.',
    );
    await services.server.match({ category: null });
    expect(screen.getByText('Beliebig')).toBeOnTheScreen();
  });

  test('a refused search is explained in German, without the server’s English', async () => {
    await renderWith(services, <MatchFlow client={client} categories={[music]} onEnd={jest.fn()} />);
    await settle();
    await services.server.socket.receive({
      type: 'error',
      code: 'unknown_category',
      message: 'no such category: music',
    });
    expect(
      screen.getByText(
        'Die Suche wurde abgelehnt: Eine deiner Kategorien gibt es nicht mehr. Geh zurück und wähle neu.',
      ),
    ).toBeOnTheScreen();
    expect(screen.getByTestId('retry-search')).toHaveTextContent('Noch einmal suchen');
    expect(screen.queryByText(/no such category/)).not.toBeOnTheScreen();
  });

  test('a blocked camera is explained in German', async () => {
    services.platform.failNext('denied');
    await renderWith(services, <MatchFlow client={client} categories={[music]} onEnd={jest.fn()} />);
    await settle();
    expect(screen.getByText('Kamera und Mikrofon sind blockiert')).toBeOnTheScreen();
    expect(screen.getByTestId('media-error')).toHaveTextContent(/Small Talk braucht deine Kamera und dein Mikrofon/);
    expect(screen.getByTestId('retry-media')).toHaveTextContent('Erneut versuchen');
  });

  test('History: German title, category names, “Heute”, and durations in German units', async () => {
    const now = new Date();
    const startedAt = new Date(now.getFullYear(), now.getMonth(), now.getDate(), 0, 1).toISOString();
    const endedAt = new Date(Date.parse(startedAt) + 13 * 60_000).toISOString();
    const connections: Connection[] = [
      {
        id: 'room-1',
        category: 'books',
        peer: { id: 'user-cy', displayName: 'Cy', languages: [] },
        startedAt,
        endedAt,
        endReason: 'left',
      },
      {
        id: 'room-2',
        category: 'chess',
        peer: { id: 'user-bo', displayName: 'Bo', languages: [] },
        startedAt,
        endedAt: null,
        endReason: null,
      },
    ];
    services = fakeServices({
      routes: defaultRoutes({
        'GET /api/history': () => [200, { connections }],
        'GET /api/categories': () => [
          200,
          { categories: [...categories, { slug: 'chess', name: 'Chess', waiting: 0 }] },
        ],
      }),
    });
    await renderWith(services, <HistoryScreen onBack={() => {}} />);
    await settle();

    expect(screen.getByText('Menschen, die du getroffen hast')).toBeOnTheScreen();
    const rows = screen.getAllByTestId('history-item');
    expect(rows[0]).toHaveTextContent(/^CyBücherHeute, 0:01 · 13 Min\..*Melden.*Blockieren$/);
    expect(rows[1]).toHaveTextContent(/^BoChessHeute, 0:01 · jetzt/);
    expect(screen.getAllByTestId('history-report')[0]).toHaveAccessibleName('Cy melden');
  });
});
