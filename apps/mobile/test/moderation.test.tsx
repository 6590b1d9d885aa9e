import { describe, expect, test } from '@jest/globals';
import { fireEvent, render, screen, within } from '@testing-library/react-native';
import type { ModAction, ModAppeal, ModCase, ModUserResponse, OwnUser } from '@small-talk/protocol';
import { App } from '../src/navigation/App';
import { ModerationScreen } from '../src/features/moderation/ModerationScreen';
import {
  ada,
  defaultRoutes,
  fakeServices,
  renderWith,
  settle,
  type RequestBody,
  type Routes,
  type TestServices,
} from './fakes';

const moe: OwnUser = { ...ada, id: 'user-moe', displayName: 'Moe', kind: 'member', role: 'moderator' };
const bo = { id: 'user-bo', displayName: 'Bo', kind: 'member' as const, createdAt: '2026-05-01T10:00:00.000Z' };
const cy = { id: 'user-cy', displayName: 'Cy', kind: 'guest' as const, createdAt: '2026-05-02T10:00:00.000Z' };
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();

const cases: ModCase[] = [
  {
    userId: bo.id,
    user: bo,
    openReports: 3,
    reporters: 2,
    reasons: { minor: 1, harassment: 2 },
    priority: 'urgent',
    oldestOpenAt: hoursAgo(30),
    restriction: null,
  },
  {
    userId: cy.id,
    user: cy,
    openReports: 1,
    reporters: 1,
    reasons: { spam: 1 },
    priority: 'normal',
    oldestOpenAt: hoursAgo(2),
    restriction: null,
  },
];

const pastWarning: ModAction = {
  id: 'action-1',
  action: 'warn',
  moderator: { id: 'user-zed', displayName: 'Zed' },
  reason: 'Be kind.',
  until: null,
  createdAt: hoursAgo(200),
};

function caseFileOfBo(): ModUserResponse {
  return {
    user: { ...bo, role: 'user' },
    restriction: null,
    strikes: 1,
    reports: [
      {
        id: 'report-1',
        reporter: { id: 'user-ada', displayName: 'Ada' },
        reason: 'harassment',
        note: 'kept insulting me',
        connection: {
          id: 'conn-1',
          peer: { id: 'user-ada', displayName: 'Ada' },
          category: 'music',
          startedAt: hoursAgo(31),
          endedAt: hoursAgo(30.9),
        },
        evidence: ['evidence-1'],
        status: 'open',
        createdAt: hoursAgo(30),
        decidedAt: null,
      },
    ],
    reportsMade: [],
    connections: [
      {
        id: 'conn-1',
        peer: { id: 'user-ada', displayName: 'Ada' },
        category: 'music',
        startedAt: hoursAgo(31),
        endedAt: hoursAgo(30.9),
      },
    ],
    actions: [pastWarning],
  };
}

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]);

/** The server's moderation routes, recording decisions. */
function moderationRoutes() {
  const decisions: Array<{ userId: string; body: RequestBody }> = [];
  const appealDecisions: Array<{ id: string; body: RequestBody }> = [];
  let evidenceViews = 0;
  const appeal: ModAppeal = {
    id: 'appeal-1',
    status: 'open',
    text: 'I did nothing wrong.',
    createdAt: hoursAgo(1),
    user: { id: bo.id, displayName: bo.displayName },
    restriction: { id: 'r-1', kind: 'banned', reason: 'Harassment.', until: null, automated: false, appealable: true },
    decision: { ...pastWarning, id: 'action-2', action: 'ban', reason: 'Harassment.' },
    decidedBy: null,
    decisionReason: null,
    decidedAt: null,
  };
  const routes: Routes = {
    'GET /api/me': () => [200, { user: moe }],
    'GET /api/mod/cases': () => [200, { cases }],
    'GET /api/mod/users/user-bo': () => [200, caseFileOfBo()],
    'GET /api/mod/evidence/evidence-1': () => {
      evidenceViews += 1;
      return [200, JPEG];
    },
    'POST /api/mod/users/user-bo/actions': ({ body }) => {
      decisions.push({ userId: bo.id, body });
      return [
        201,
        {
          action: {
            id: 'action-9',
            action: body.action,
            moderator: { id: moe.id, displayName: 'Moe' },
            reason: body.reason,
            until: null,
            createdAt: new Date().toISOString(),
          },
        },
      ];
    },
    'GET /api/mod/appeals': () => [200, { appeals: [appeal] }],
    'POST /api/mod/appeals/appeal-1': ({ body }) => {
      appealDecisions.push({ id: 'appeal-1', body });
      return [
        200,
        {
          appeal: {
            ...appeal,
            status: body.decision === 'overturn' ? 'overturned' : 'upheld',
            decidedBy: { id: moe.id, displayName: 'Moe' },
            decisionReason: body.reason,
            decidedAt: new Date().toISOString(),
          },
        },
      ];
    },
    'GET /api/mod/audit': () => [
      200,
      {
        entries: [
          {
            id: 'audit-1',
            at: hoursAgo(1),
            actor: { id: moe.id, displayName: 'Moe' },
            action: 'view_evidence',
            subjectUserId: bo.id,
            detail: { evidenceId: 'evidence-1' },
          },
        ],
      },
    ],
  };
  return { routes, decisions, appealDecisions, evidenceViews: () => evidenceViews, appeal };
}

let services: TestServices;

async function renderConsole(routes: Routes, me: OwnUser = moe) {
  services = fakeServices({ routes: defaultRoutes(routes) });
  await renderWith(services, <ModerationScreen me={me} onBack={() => {}} />);
  await settle();
}

describe('the Moderation tab', () => {
  for (const role of ['moderator', 'admin'] as const) {
    test(`shown to a ${role}, and opens the queue`, async () => {
      const server = moderationRoutes();
      services = fakeServices({
        routes: defaultRoutes({ ...server.routes, 'GET /api/me': () => [200, { user: { ...moe, role } }] }),
      });
      await render(<App services={services} />);
      await settle();
      await fireEvent.press(screen.getByTestId('moderation-tab'));
      await settle();
      expect(screen.getByTestId('mod-queue')).toBeOnTheScreen();
    });
  }

  test('not shown to a user', async () => {
    services = fakeServices({ routes: defaultRoutes({ 'GET /api/me': () => [200, { user: ada }] }) });
    await render(<App services={services} />);
    await settle();
    expect(screen.getByTestId('safety-tab')).toBeOnTheScreen();
    expect(screen.queryByTestId('moderation-tab')).not.toBeOnTheScreen();
  });
});

describe('the console', () => {
  test("the queue: one row per case in the server's order, with priority, reasons and age", async () => {
    await renderConsole(moderationRoutes().routes);
    const rows = within(screen.getByTestId('mod-queue')).getAllByTestId(/^mod-case-user-/);
    expect(rows.map((row) => row.props.testID)).toEqual(['mod-case-user-bo', 'mod-case-user-cy']);
    expect(screen.getByTestId('mod-case-user-bo')).toHaveTextContent(/Urgent/);
    expect(screen.getByTestId('mod-case-user-bo')).toHaveTextContent(/Harassment or bullying ×2, Looks under 18/);
    expect(screen.getByTestId('mod-case-user-bo')).toHaveTextContent(/waiting 30 h/);
    expect(screen.getByTestId('mod-case-user-cy')).toHaveTextContent(/Normal.*Cy.*waiting 2 h.*Spam or scam/);
  });

  test("the console's parts are tabs, the one shown selected", async () => {
    await renderConsole(moderationRoutes().routes);
    expect(screen.getByRole('tab', { name: 'Queue', selected: true })).toBeOnTheScreen();
    await fireEvent.press(screen.getByRole('tab', { name: 'Appeals', selected: false }));
    await settle();
    expect(screen.getByRole('tab', { name: 'Appeals', selected: true })).toBeOnTheScreen();
    expect(screen.getByRole('tab', { name: 'Queue', selected: false })).toBeOnTheScreen();
    expect(screen.getByTestId('mod-appeals')).toBeOnTheScreen();
  });

  test('a case: reports with their notes, evidence hidden until pressed, connections and past decisions', async () => {
    const server = moderationRoutes();
    await renderConsole(server.routes);
    await fireEvent.press(screen.getByTestId('mod-case-user-bo'));
    await settle();
    const page = screen.getByTestId('mod-case');
    expect(page).toHaveTextContent(/kept insulting me/);
    expect(page).toHaveTextContent(/Harassment or bullying · by \u2068Ada\u2069 · open/);
    expect(page).toHaveTextContent(/Be kind\./);
    expect(page).toHaveTextContent(/1 strike/);

    // Fetched with the session, shown as a data: URL, blurred and grey.
    const image = screen.getByTestId('mod-evidence-image-evidence-1');
    expect(image.props.source).toEqual({ uri: 'data:image/jpeg;base64,/9j/4AAQ' });
    expect(image.props.blurRadius).toBeGreaterThan(0);
    expect(image).toHaveStyle({ filter: 'grayscale(1)' });
    const request = services.http.calls.find((call) => call.path === '/api/mod/evidence/evidence-1');
    expect(request?.init.credentials).toBe('include');

    await fireEvent.press(screen.getByTestId('mod-evidence-evidence-1'));
    const shown = screen.getByTestId('mod-evidence-image-evidence-1');
    expect(shown.props.blurRadius).toBe(0);
    expect(shown).not.toHaveStyle({ filter: 'grayscale(1)' });
    expect(server.evidenceViews()).toBe(1);
  });

  test('a decision needs a reason, and is sent only after the confirmation step', async () => {
    const server = moderationRoutes();
    await renderConsole(server.routes);
    await fireEvent.press(screen.getByTestId('mod-case-user-bo'));
    await settle();

    expect(screen.getByTestId('mod-action-ban')).toBeDisabled();
    await fireEvent.changeText(screen.getByTestId('mod-reason'), 'Harassment in a call.');
    await fireEvent.press(screen.getByTestId('mod-action-ban'));
    expect(screen.getByTestId('mod-confirm-step')).toHaveTextContent(
      /Ban \u2068Bo\u2069\? They will read: “\u2068Harassment in a call\.\u2069”/,
    );
    expect(server.decisions).toHaveLength(0);

    // Cancel sends nothing.
    await fireEvent.press(screen.getByTestId('mod-cancel'));
    expect(screen.queryByTestId('mod-confirm-step')).not.toBeOnTheScreen();
    expect(server.decisions).toHaveLength(0);

    // A suspension carries its days.
    await fireEvent.changeText(screen.getByTestId('mod-days'), '3');
    await fireEvent.press(screen.getByTestId('mod-action-suspend'));
    expect(screen.getByTestId('mod-confirm-step')).toHaveTextContent(/for 3 days/);
    await fireEvent.press(screen.getByTestId('mod-confirm'));
    await settle();
    expect(server.decisions).toEqual([
      { userId: 'user-bo', body: { action: 'suspend', reason: 'Harassment in a call.', days: 3 } },
    ]);
    expect(screen.getByTestId('mod-decided')).toHaveTextContent(/suspend/);
  });

  test('a refused decision says why and keeps the step open', async () => {
    const server = moderationRoutes();
    await renderConsole({
      ...server.routes,
      'POST /api/mod/users/user-bo/actions': () => [
        403,
        { error: { code: 'conflict_of_interest', message: 'not about yourself' } },
      ],
    });
    await fireEvent.press(screen.getByTestId('mod-case-user-bo'));
    await settle();
    await fireEvent.changeText(screen.getByTestId('mod-reason'), 'Spam.');
    await fireEvent.press(screen.getByTestId('mod-action-warn'));
    await fireEvent.press(screen.getByTestId('mod-confirm'));
    await settle();
    expect(screen.getByTestId('mod-decision-error')).toHaveTextContent(/Someone else has to decide this/);
    expect(screen.getByTestId('mod-confirm-step')).toBeOnTheScreen();
  });

  test('appeals: the contested decision and the appeal, overturned with a reason', async () => {
    const server = moderationRoutes();
    await renderConsole(server.routes);
    await fireEvent.press(screen.getByTestId('mod-tab-appeals'));
    await settle();
    const row = within(screen.getByTestId('mod-appeals')).getByTestId('mod-appeal-appeal-1');
    expect(row).toHaveTextContent(/Decided by \u2068Zed\u2069.*Harassment\./);
    expect(row).toHaveTextContent(/I did nothing wrong\./);
    expect(within(row).getByTestId('mod-overturn')).toBeDisabled();
    await fireEvent.changeText(within(row).getByTestId('mod-appeal-reason'), 'The snapshot shows nothing wrong.');
    await fireEvent.press(within(row).getByTestId('mod-overturn'));
    await settle();
    expect(server.appealDecisions).toEqual([
      { id: 'appeal-1', body: { decision: 'overturn', reason: 'The snapshot shows nothing wrong.' } },
    ]);
    expect(screen.getByTestId('mod-appeal-decided')).toHaveTextContent(/Overturned/);
  });

  test('the moderator whose decision is appealed is told another decides it', async () => {
    const server = moderationRoutes();
    await renderConsole(server.routes, { ...moe, id: 'user-zed' });
    await fireEvent.press(screen.getByTestId('mod-tab-appeals'));
    await settle();
    expect(screen.getByTestId('mod-appeal-appeal-1')).toHaveTextContent(/another moderator decides/);
    expect(screen.queryByTestId('mod-overturn')).not.toBeOnTheScreen();
  });

  test('the audit log lists who did what', async () => {
    await renderConsole(moderationRoutes().routes);
    await fireEvent.press(screen.getByTestId('mod-tab-audit'));
    await settle();
    expect(within(screen.getByTestId('mod-audit')).getByTestId('mod-audit-audit-1')).toHaveTextContent(
      /\u2068Moe\u2069 viewed evidence about user-bo/,
    );
  });
});
