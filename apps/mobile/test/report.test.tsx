import { afterEach, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { fireEvent, screen } from '@testing-library/react-native';
import type { SmallTalkClient } from '@small-talk/client';
import { ReportRequest, type Connection } from '@small-talk/protocol';
import { MatchFlow } from '../src/features/call/MatchFlow';
import { HistoryScreen } from '../src/features/history/HistoryScreen';
import { ReportSheet } from '../src/features/report/ReportSheet';
import {
  bo,
  categories,
  defaultRoutes,
  FakePeerConnection,
  fakeServices,
  renderWith,
  settle,
  type Routes,
  type TestServices,
} from './fakes';

const music = categories[0]!;
const reasons = [
  'nudity',
  'sexual',
  'minor',
  'harassment',
  'hate',
  'violence',
  'self_harm',
  'spam',
  'illegal',
  'other',
];

/** The server's side of reports and blocks, recording what it was sent. */
function safetyRoutes(answers: { report?: [number, unknown] } = {}) {
  const reports: ReportRequest[] = [];
  const blocks: string[] = [];
  const evidence: Array<{ reportId: string; contentType: string }> = [];
  const routes: Routes = {
    'POST /api/reports': ({ body }) => {
      // As the server reads it: a report it would refuse fails the test here.
      reports.push(ReportRequest.parse(body));
      if (answers.report) return answers.report;
      return [
        201,
        {
          report: {
            id: 'report-1',
            userId: body.userId,
            connectionId: body.connectionId,
            reason: body.reason,
            status: 'open',
            createdAt: new Date().toISOString(),
          },
        },
      ];
    },
    'POST /api/reports/report-1/evidence': ({ headers }) => {
      evidence.push({ reportId: 'report-1', contentType: headers['content-type']! });
      return [201, { evidence: { id: `evidence-${evidence.length}`, bytes: 1234 } }];
    },
    'POST /api/blocks': ({ body }) => {
      blocks.push(String(body.userId));
      return [201, { block: { user: { id: body.userId, displayName: 'Bo' }, createdAt: new Date().toISOString() } }];
    },
  };
  return { routes, reports, blocks, evidence };
}

function jpeg(bytes: number): Blob {
  return new Blob([new Uint8Array(bytes).fill(0xff)], { type: 'image/jpeg' });
}

describe('Report and Block in a call', () => {
  let services: TestServices;
  let client: SmallTalkClient;
  let server: ReturnType<typeof safetyRoutes>;

  beforeEach(async () => {
    FakePeerConnection.instances = [];
    server = safetyRoutes();
    services = fakeServices({ routes: defaultRoutes(server.routes) });
    client = services.createClient(undefined);
    client.connect();
    await services.server.welcome();
  });

  afterEach(() => client.close());

  async function renderCall() {
    const onEnd = jest.fn();
    await renderWith(services, <MatchFlow client={client} categories={[music]} onEnd={onEnd} />);
    await settle();
    await services.server.match({ roomId: 'room-7' });
    return { onEnd };
  }

  test('Report opens a sheet with every reason and a note; Submit reports this room, ends the call and confirms the block', async () => {
    await renderCall();
    await fireEvent.press(screen.getByTestId('report-button'));

    for (const reason of reasons) expect(screen.getByTestId(`report-reason-${reason}`)).toBeOnTheScreen();
    // No reason picked yet: nothing to send.
    expect(screen.getByTestId('report-submit')).toBeDisabled();
    // Phones (and jest's iOS) have no snapshot to offer.
    expect(screen.queryByTestId('report-attach')).not.toBeOnTheScreen();
    // The call goes on while the user picks.
    expect(services.server.socket.sentOfType('leave')).toHaveLength(0);

    await fireEvent.press(screen.getByTestId('report-reason-harassment'));
    expect(screen.getByTestId('report-reason-harassment')).toBeChecked();
    await fireEvent.changeText(screen.getByTestId('report-note'), '  kept insulting me  ');
    await fireEvent.press(screen.getByTestId('report-submit'));
    await settle();

    expect(server.reports).toEqual([
      { userId: bo.id, connectionId: 'room-7', reason: 'harassment', note: 'kept insulting me' },
    ]);
    expect(services.server.socket.sentOfType('leave')).toEqual([{ type: 'leave', roomId: 'room-7' }]);
    expect(FakePeerConnection.latest.closed).toBe(true);
    // The chat beside the call (wide screens) is over too.
    expect(screen.getByTestId('chat-input')).not.toBeEnabled();
    expect(server.evidence).toEqual([]);
    expect(screen.getByTestId('report-done')).toHaveTextContent(/Bo is blocked: you won't be matched again/);
    expect(screen.getByTestId('report-done')).toHaveTextContent(/moderator/);
  });

  test('after the confirmation, Meet someone new queues again and Done goes back', async () => {
    const { onEnd } = await renderCall();
    await fireEvent.press(screen.getByTestId('report-button'));
    await fireEvent.press(screen.getByTestId('report-reason-spam'));
    await fireEvent.press(screen.getByTestId('report-submit'));
    await settle();

    const joins = services.server.socket.sentOfType('join').length;
    await fireEvent.press(screen.getByTestId('report-next'));
    expect(services.server.socket.sentOfType('join')).toHaveLength(joins + 1);
    expect(screen.queryByTestId('report-done')).not.toBeOnTheScreen();
    expect(onEnd).not.toHaveBeenCalled();
  });

  test('Cancel closes the sheet and the call goes on', async () => {
    await renderCall();
    await fireEvent.press(screen.getByTestId('report-button'));
    await fireEvent.press(screen.getByTestId('report-reason-other'));
    await fireEvent.press(screen.getByTestId('report-cancel'));
    expect(screen.queryByTestId('report-sheet')).not.toBeOnTheScreen();
    expect(server.reports).toEqual([]);
    expect(services.server.socket.sentOfType('leave')).toHaveLength(0);
    expect(FakePeerConnection.latest.closed).toBe(false);
  });

  test('a refused report is explained and the sheet stays', async () => {
    server = safetyRoutes({ report: [409, { error: { code: 'already_reported', message: 'reported already' } }] });
    services = fakeServices({ routes: defaultRoutes(server.routes) });
    client.close();
    client = services.createClient(undefined);
    client.connect();
    await services.server.welcome();
    await renderCall();
    await fireEvent.press(screen.getByTestId('report-button'));
    await fireEvent.press(screen.getByTestId('report-reason-hate'));
    await fireEvent.press(screen.getByTestId('report-submit'));
    await settle();
    expect(screen.getByTestId('report-error')).toHaveTextContent('You have reported this call already.');
    expect(screen.queryByTestId('report-done')).not.toBeOnTheScreen();
    expect(screen.getByTestId('report-submit')).toBeEnabled();
  });

  test('Block ends the call and blocks without a report', async () => {
    const { onEnd } = await renderCall();
    await fireEvent.press(screen.getByTestId('block-button'));
    await settle();
    expect(server.blocks).toEqual([bo.id]);
    expect(server.reports).toEqual([]);
    expect(services.server.socket.sentOfType('leave')).toEqual([{ type: 'leave', roomId: 'room-7' }]);
    expect(screen.getByTestId('block-done')).toHaveTextContent(/Bo is blocked/);
    await fireEvent.press(screen.getByTestId('block-close'));
    expect(onEnd).toHaveBeenCalled();
  });
});

describe('the report sheet with snapshots (the web)', () => {
  test('"Attach a snapshot" is on: each frame is sent as image/jpeg evidence after the report', async () => {
    const server = safetyRoutes();
    const services = fakeServices({ routes: defaultRoutes(server.routes) });
    const frames = [jpeg(2000), jpeg(1500), jpeg(1800)];
    await renderWith(
      services,
      <ReportSheet
        peer={bo}
        connectionId="room-7"
        snapshots={Promise.resolve(frames)}
        onCancel={() => {}}
        onDone={() => {}}
      />,
    );
    expect(screen.getByTestId('report-attach')).toBeChecked();

    await fireEvent.press(screen.getByTestId('report-reason-nudity'));
    await fireEvent.press(screen.getByTestId('report-submit'));
    await settle();
    await settle();

    expect(server.reports).toEqual([{ userId: bo.id, connectionId: 'room-7', reason: 'nudity' }]);
    expect(server.evidence).toEqual(frames.map(() => ({ reportId: 'report-1', contentType: 'image/jpeg' })));
    const bodies = services.http.calls
      .filter((call) => call.path === '/api/reports/report-1/evidence')
      .map((call) => call.init.body);
    expect(bodies).toEqual(frames);
    // The report went first: evidence needs its id.
    expect(services.http.calls.map((call) => call.path)).toEqual([
      '/api/reports',
      ...frames.map(() => '/api/reports/report-1/evidence'),
    ]);
    expect(screen.getByTestId('report-done')).toHaveTextContent(/snapshot was sent/);
  });

  test('with "Attach a snapshot" off, nothing but the report leaves the device', async () => {
    const server = safetyRoutes();
    const services = fakeServices({ routes: defaultRoutes(server.routes) });
    await renderWith(
      services,
      <ReportSheet
        peer={bo}
        connectionId="room-7"
        snapshots={Promise.resolve([jpeg(2000)])}
        onCancel={() => {}}
        onDone={() => {}}
      />,
    );
    await fireEvent.press(screen.getByTestId('report-attach'));
    expect(screen.getByTestId('report-attach')).not.toBeChecked();
    await fireEvent.press(screen.getByTestId('report-reason-violence'));
    await fireEvent.press(screen.getByTestId('report-submit'));
    await settle();
    expect(server.reports).toHaveLength(1);
    expect(server.evidence).toEqual([]);
    expect(screen.getByTestId('report-done')).toBeOnTheScreen();
  });
});

describe('Report and Block from History', () => {
  const connections: Connection[] = [
    { id: 'room-2', category: 'books', peer: bo, startedAt: new Date().toISOString(), endedAt: null, endReason: null },
    {
      id: 'room-1',
      category: 'music',
      peer: bo,
      startedAt: '2026-05-04T17:40:02.115Z',
      endedAt: '2026-05-04T17:52:47.903Z',
      endReason: 'left',
    },
    {
      id: 'room-0',
      category: 'music',
      peer: { id: 'user-cy', displayName: 'Cy', languages: [] },
      startedAt: '2026-05-04T17:00:02.115Z',
      endedAt: '2026-05-04T17:12:47.903Z',
      endReason: 'left',
    },
  ];

  async function renderHistory() {
    const server = safetyRoutes();
    const services = fakeServices({
      routes: defaultRoutes({ ...server.routes, 'GET /api/history': () => [200, { connections }] }),
    });
    await renderWith(services, <HistoryScreen onBack={() => {}} />);
    await settle();
    return server;
  }

  test('Report opens the same sheet, without a snapshot, about that row; Done marks the person blocked', async () => {
    const server = await renderHistory();
    await fireEvent.press(screen.getAllByTestId('history-report')[1]!);
    expect(screen.getByTestId('report-sheet')).toHaveTextContent(/Report Bo/);
    expect(screen.queryByTestId('report-attach')).not.toBeOnTheScreen();
    await fireEvent.press(screen.getByTestId('report-reason-minor'));
    await fireEvent.press(screen.getByTestId('report-submit'));
    await settle();
    expect(server.reports).toEqual([{ userId: bo.id, connectionId: 'room-1', reason: 'minor' }]);
    expect(server.evidence).toEqual([]);
    await fireEvent.press(screen.getByTestId('report-close'));
    expect(screen.queryByTestId('report-done')).not.toBeOnTheScreen();
    const blockButtons = screen.getAllByTestId('history-block');
    expect(blockButtons.map((button) => button.props.accessibilityState?.disabled)).toEqual([true, true, false]);
    expect(blockButtons[0]).toHaveTextContent('Blocked');
  });

  test('Block blocks that person: every row with them says Blocked', async () => {
    const server = await renderHistory();
    await fireEvent.press(screen.getAllByTestId('history-block')[2]!);
    await settle();
    expect(server.blocks).toEqual(['user-cy']);
    expect(server.reports).toEqual([]);
    const titles = screen
      .getAllByTestId('history-block')
      .map((button) => (button.props.accessibilityState?.disabled ? 'disabled' : 'enabled'));
    expect(titles).toEqual(['enabled', 'enabled', 'disabled']);
    expect(screen.getAllByTestId('history-block')[2]).toHaveTextContent('Blocked');
  });
});
