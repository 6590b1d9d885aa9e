/**
 * The social and trust-and-safety screens speak German when the app does: Safety's lists, the
 * report sheet's reasons, a friend's incoming and outgoing call, the moderators' decision (with
 * its plural). A string left in English, or a plural form missing, fails here.
 */
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { act, fireEvent, render, screen } from '@testing-library/react-native';
import type { Block, ModCase, OwnUser, Report } from '@small-talk/protocol';
import { i18n } from '../src/i18n/i18n';
import { IncomingCall } from '../src/features/directCall/IncomingCall';
import { OutgoingCall } from '../src/features/directCall/OutgoingCall';
import { DecisionForm } from '../src/features/moderation/DecisionForm';
import { ModerationScreen } from '../src/features/moderation/ModerationScreen';
import { ReportSheet } from '../src/features/report/ReportSheet';
import { SafetyScreen } from '../src/features/safety/SafetyScreen';
import { ada, bo, defaultRoutes, fakeServices, renderWith, settle } from './fakes';

async function speak(language: string) {
  await act(async () => {
    await i18n.changeLanguage(language);
  });
}

afterEach(async () => {
  await speak('en');
});

describe('in German', () => {
  test('Safety lists my reports and blocks in German, with German dates', async () => {
    const reports: Report[] = [
      {
        id: 'report-1',
        userId: 'user-bo',
        connectionId: 'room-1',
        reason: 'harassment',
        status: 'open',
        createdAt: '2026-05-04T12:40:00.000Z',
        decidedAt: null,
      },
    ];
    const blocks: Block[] = [
      { user: { id: 'user-bo', displayName: 'Bo', languages: [] }, createdAt: '2026-05-04T12:41:00.000Z' },
    ];
    const services = fakeServices({
      routes: defaultRoutes({
        'GET /api/reports': () => [200, { reports }],
        'GET /api/blocks': () => [200, { blocks }],
        'GET /api/rules': () => [200, { version: 3, minAge: 18, text: '# Rules', contactEmail: null }],
      }),
    });
    await speak('de');
    await renderWith(services, <SafetyScreen onBack={jest.fn()} />);
    await settle();

    expect(screen.getByRole('header', { name: 'Sicherheit' })).toBeOnTheScreen();
    expect(screen.getByText('Deine Meldungen')).toBeOnTheScreen();
    expect(screen.getByTestId('my-report-report-1')).toHaveTextContent(/^Belästigung oder Mobbing4\. Mai/);
    expect(screen.getByTestId('my-report-status-report-1')).toHaveTextContent(
      'Offen: Die Moderation sieht sie sich an',
    );
    expect(screen.getByTestId('blocked-user-bo')).toHaveTextContent(/Blockiert am 4\. Mai/);
    expect(screen.getByTestId('unblock-user-bo')).toHaveAccessibleName('Bo entsperren');
    expect(screen.getByText('Dieser Server hat keine Kontaktadresse veröffentlicht.')).toBeOnTheScreen();
  });

  test('the report sheet offers its reasons in German, as radio buttons', async () => {
    await speak('de');
    await renderWith(
      fakeServices(),
      <ReportSheet peer={bo} connectionId="room-1" snapshots={null} onCancel={jest.fn()} onDone={jest.fn()} />,
    );

    expect(screen.getByTestId('report-sheet')).toHaveTextContent(/^Bo melden/);
    const minor = screen.getByRole('radio', { name: 'Wirkt jünger als 18' });
    expect(minor).not.toBeChecked();
    await fireEvent.press(minor);
    expect(screen.getByRole('radio', { name: 'Wirkt jünger als 18' })).toBeChecked();
    expect(screen.getByLabelText('Notiz für die Moderation, optional')).toBeOnTheScreen();
    expect(screen.getByTestId('report-submit')).toHaveAccessibleName('Meldung über Bo senden');
  });

  test("a friend's call rings in German, and the caller's side says where it stands", async () => {
    await speak('de');
    await render(<IncomingCall peer={bo} onAccept={jest.fn()} onDecline={jest.fn()} />);
    expect(screen.getByTestId('incoming-call')).toHaveTextContent(/^Eingehender AnrufBomöchte mit dir reden/);
    expect(screen.getByTestId('accept-call')).toHaveAccessibleName('Anruf von Bo annehmen');
    expect(screen.getByTestId('decline-call')).toHaveAccessibleName('Anruf von Bo ablehnen');

    await render(<OutgoingCall peer={bo} status="no_answer" onDismiss={jest.fn()} />);
    expect(screen.getByTestId('direct-call-status')).toHaveTextContent(/^keine Antwort$/);
  });

  test("a moderator's suspension is confirmed in German, with the days' plural", async () => {
    await speak('de');
    await renderWith(fakeServices(), <DecisionForm userId="user-bo" displayName="Bo" onDecided={jest.fn()} />);
    await fireEvent.changeText(screen.getByLabelText('Begründung, die die Person liest'), 'Belästigung.');
    await fireEvent.changeText(screen.getByLabelText('Tage der Sperre'), '1');
    await fireEvent.press(screen.getByTestId('mod-action-suspend'));
    expect(screen.getByTestId('mod-confirm-step')).toHaveTextContent(
      /\u2068Bo\u2069 für 1 Tag sperren\? Die Person liest: „\u2068Belästigung\.\u2069“/,
    );

    await fireEvent.changeText(screen.getByLabelText('Tage der Sperre'), '3');
    expect(screen.getByTestId('mod-confirm-step')).toHaveTextContent(/für 3 Tage sperren\?/);
    expect(screen.getByTestId('mod-confirm')).toHaveTextContent('Bestätigen: Sperren');
  });

  test("the moderators' queue: tabs, priority, reasons, the wait and the counts in German", async () => {
    const me: OwnUser = { ...ada, id: 'user-moe', displayName: 'Moe', kind: 'member', role: 'moderator' };
    const queued: ModCase = {
      userId: 'user-bo',
      user: { id: 'user-bo', displayName: 'Bo', kind: 'member', createdAt: '2026-05-01T10:00:00.000Z' },
      openReports: 3,
      reporters: 2,
      reasons: { minor: 1, harassment: 2 },
      priority: 'urgent',
      oldestOpenAt: new Date(Date.now() - 30 * 3_600_000).toISOString(),
      restriction: {
        id: 'r-1',
        kind: 'suspended',
        reason: 'Under review.',
        until: null,
        automated: true,
        appealable: true,
      },
    };
    const services = fakeServices({
      routes: defaultRoutes({ 'GET /api/mod/cases': () => [200, { cases: [queued] }] }),
    });
    await speak('de');
    await renderWith(services, <ModerationScreen me={me} onBack={jest.fn()} />);
    await settle();

    expect(screen.getByRole('tab', { name: 'Warteschlange', selected: true })).toBeOnTheScreen();
    expect(screen.getByRole('tab', { name: 'Einsprüche', selected: false })).toBeOnTheScreen();
    expect(screen.getByTestId('mod-case-user-bo')).toHaveTextContent(
      /^Dringend\u2068Bo\u2069wartet seit 30 Std\.Belästigung oder Mobbing ×2, Wirkt jünger als 18 · 3 Meldungen von 2 · auto: gesperrt$/,
    );
  });
});
