import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { AuditResponse, CasesResponse, ModUserResponse, type ReportReason } from '@small-talk/protocol';
import { api, member, sleep, sample, scrape, startServer, user, type Client, type TestServer } from './harness.js';
import { makeRole } from './moderation.js';

/**
 * What moderators read: the case queue (priority and order), closed cases, a user's page, evidence
 * images (each view audited, never cached), the audit log's pages, and the backlog on /metrics.
 * Reports are made the real way (two users meet, one reports), and so are decisions.
 */

let opened: Client[] = [];
const servers: TestServer[] = [];

async function fresh(env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startServer(env);
  servers.push(server);
  return server;
}

after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

type Person = Awaited<ReturnType<typeof user>>;

async function person(server: TestServer, name: string): Promise<Person> {
  const p = await user(server, name);
  opened.push(p.socket);
  return p;
}

/** One person per name, in the order given. */
async function people<const Names extends readonly string[]>(
  server: TestServer,
  names: Names,
): Promise<{ [K in keyof Names]: Person }> {
  return (await Promise.all(names.map((name) => person(server, name)))) as { [K in keyof Names]: Person };
}

/** `a` and `b` are matched and `a` leaves: a connection of both, ready to be reported. */
async function meet(a: Person, b: Person): Promise<string> {
  a.socket.send({ type: 'join', categories: ['music'] });
  await a.socket.next('queued');
  b.socket.send({ type: 'join', categories: ['music'] });
  await b.socket.next('queued');
  const matched = await a.socket.next('matched');
  await b.socket.next('matched');
  a.socket.send({ type: 'leave', roomId: matched.roomId });
  await a.socket.next('left');
  await b.socket.next('peer_left');
  return matched.roomId;
}

/** `reporter` meets `reported` and reports it; the report as filed. */
async function reportAfterMeeting(
  server: TestServer,
  reporter: Person,
  reported: Person,
  reason: ReportReason,
  note?: string,
) {
  const connectionId = await meet(reporter, reported);
  const response = await api(server.url, 'POST', '/api/reports', {
    token: reporter.auth.token,
    body: { userId: reported.auth.user.id, connectionId, reason, ...(note && { note }) },
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.report as { id: string; createdAt: string; connectionId: string };
}

/** A moderator's decision about `userId` settling `reportIds`; the action as answered. */
async function decide(
  server: TestServer,
  token: string,
  userId: string,
  body: { action: string; reportIds: string[]; days?: number; reason?: string },
) {
  const response = await api(server.url, 'POST', `/api/mod/users/${userId}/actions`, {
    token,
    body: { reason: 'decided in a test', ...body },
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.action as { id: string; createdAt: string };
}

async function moderator(server: TestServer, role: 'moderator' | 'admin' = 'moderator') {
  const staff = await member(server.url, { displayName: role === 'admin' ? 'Root' : 'Mo' });
  await makeRole(server, staff.email, role);
  return staff;
}

async function cases(server: TestServer, token: string, query = '') {
  const response = await api(server.url, 'GET', `/api/mod/cases${query}`, { token });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return CasesResponse.parse(response.body).cases;
}

/** A JPEG as far as anyone can tell from its bytes: the SOI marker and an APP0 marker, then filler. */
function jpeg(bytes: number, fill = 0x20): Buffer {
  const image = Buffer.alloc(bytes, fill);
  image.set([0xff, 0xd8, 0xff, 0xe0]);
  return image;
}

async function attach(server: TestServer, reportId: string, token: string, image: Buffer): Promise<string> {
  const response = await fetch(`${server.url}/api/reports/${reportId}/evidence`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${token}` },
    body: image,
  });
  const body = (await response.json()) as { evidence: { id: string } };
  assert.equal(response.status, 201, JSON.stringify(body));
  return body.evidence.id;
}

afterEach(async () => {
  await Promise.all(opened.map((c) => (c.closeCode === undefined ? c.close() : c.closed)));
  opened = [];
});

describe('who may read', () => {
  let server: TestServer;
  before(async () => {
    server = await fresh();
  });

  for (const route of [
    '/api/mod/cases',
    '/api/mod/cases?status=closed',
    `/api/mod/users/${randomUUID()}`,
    `/api/mod/evidence/${randomUUID()}`,
    '/api/mod/audit',
  ]) {
    test(`GET ${route}: 401 with no session, 403 for a plain user, through for moderators and admins`, async () => {
      const none = await api(server.url, 'GET', route);
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, 'unauthenticated');
      const plain = await member(server.url);
      const refused = await api(server.url, 'GET', route, { token: plain.token });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'forbidden');
      for (const role of ['moderator', 'admin'] as const) {
        const staff = await moderator(server, role);
        const through = await api(server.url, 'GET', route, { token: staff.token });
        // Past the guard: the answer, or 404 for the made-up user and evidence ids.
        assert.ok([200, 404].includes(through.status), `${role}: ${through.status} ${JSON.stringify(through.body)}`);
        if (through.status === 404) assert.equal(through.body.error.code, 'not_found');
      }
    });
  }

  test('bad query values are 400 bad_request', async () => {
    const staff = await moderator(server);
    for (const query of ['?status=pending', '?limit=0', '?limit=101', '?before=yesterday']) {
      const response = await api(server.url, 'GET', `/api/mod/cases${query}`, { token: staff.token });
      assert.equal(response.status, 400, query);
      assert.equal(response.body.error.code, 'bad_request');
    }
    const audit = await api(server.url, 'GET', '/api/mod/audit?limit=201', { token: staff.token });
    assert.equal(audit.status, 400);
  });
});

describe('GET /api/mod/cases', () => {
  test('urgent, then high (2+ reporters or automatically suspended), then normal; oldest open report first within each; `before` and `limit`; the backlog on /metrics', async () => {
    const server = await fresh();
    const staff = await moderator(server);
    const [spammed, autoSuspended, twice, minor, other] = await people(server, [
      'Normal',
      'Auto',
      'Twice',
      'Minor',
      'Later',
    ] as const);
    const [r1, r2, r3, r4, r5, r6, r7, r8] = await people(server, [
      'R1',
      'R2',
      'R3',
      'R4',
      'R5',
      'R6',
      'R7',
      'R8',
    ] as const);

    const metricsBefore = await scrape(server);
    assert.equal(sample(metricsBefore, 'smalltalk_reports_open'), 0);
    assert.equal(sample(metricsBefore, 'smalltalk_oldest_open_report_age_seconds'), 0);

    // In this order: the normal case's report is the oldest of all, the urgent one among the newest.
    const first = await reportAfterMeeting(server, r1, spammed, 'spam');
    // Three distinct reporters suspend automatically; two of the three are then decided, so what
    // keeps it high is the suspension, not its reporters.
    const auto1 = await reportAfterMeeting(server, r2, autoSuspended, 'harassment');
    const auto2 = await reportAfterMeeting(server, r3, autoSuspended, 'harassment');
    const auto3 = await reportAfterMeeting(server, r4, autoSuspended, 'hate');
    const twice1 = await reportAfterMeeting(server, r5, twice, 'harassment');
    await reportAfterMeeting(server, r6, twice, 'violence');
    await reportAfterMeeting(server, r7, minor, 'minor');
    await reportAfterMeeting(server, r8, other, 'other');
    // A warning settles them and leaves the suspension in force (a dismissal would lift it).
    await decide(server, staff.token, autoSuspended.auth.user.id, { action: 'warn', reportIds: [auto1.id, auto2.id] });

    const queue = await cases(server, staff.token);
    assert.deepEqual(
      queue.map((c) => [c.user.displayName, c.priority]),
      [
        ['Minor', 'urgent'],
        ['Auto', 'high'],
        ['Twice', 'high'],
        ['Normal', 'normal'],
        ['Later', 'normal'],
      ],
    );
    const byName = new Map(queue.map((c) => [c.user.displayName, c]));
    const auto = byName.get('Auto')!;
    assert.equal(auto.userId, autoSuspended.auth.user.id);
    assert.deepEqual([auto.openReports, auto.reporters, auto.reasons], [1, 1, { hate: 1 }]);
    assert.equal(auto.oldestOpenAt, auto3.createdAt);
    assert.equal(auto.restriction?.kind, 'suspended');
    assert.equal(auto.restriction?.automated, true);
    const two = byName.get('Twice')!;
    assert.deepEqual(
      [two.openReports, two.reporters, two.reasons, two.restriction],
      [2, 2, { harassment: 1, violence: 1 }, null],
    );
    assert.equal(two.oldestOpenAt, twice1.createdAt);
    const normal = byName.get('Normal')!;
    assert.deepEqual(normal.user, {
      id: spammed.auth.user.id,
      displayName: 'Normal',
      kind: 'guest',
      createdAt: normal.user.createdAt,
    });
    assert.deepEqual(
      [normal.openReports, normal.reporters, normal.reasons, normal.oldestOpenAt],
      [1, 1, { spam: 1 }, first.createdAt],
    );
    assert.deepEqual(byName.get('Minor')!.reasons, { minor: 1 });

    // `before`: only the cases waiting since before it (here: before Twice's first report).
    const waiting = await cases(server, staff.token, `?before=${encodeURIComponent(twice1.createdAt)}`);
    assert.deepEqual(
      waiting.map((c) => c.user.displayName),
      ['Auto', 'Normal'],
    );
    const page = await cases(server, staff.token, '?limit=2');
    assert.deepEqual(
      page.map((c) => c.user.displayName),
      ['Minor', 'Auto'],
    );

    // Six open reports; the oldest is the first one filed.
    const text = await scrape(server);
    assert.equal(sample(text, 'smalltalk_reports_open'), 6);
    const age = sample(text, 'smalltalk_oldest_open_report_age_seconds');
    const least = (Date.now() - Date.parse(first.createdAt)) / 1000;
    assert.ok(age > 0 && age <= least + 1, `age ${age}, at most ${least}`);

    // The oldest is decided: the next oldest is what the age measures, and one fewer is open.
    await decide(server, staff.token, spammed.auth.user.id, { action: 'dismiss', reportIds: [first.id] });
    const later = await scrape(server);
    assert.equal(sample(later, 'smalltalk_reports_open'), 5);
    assert.ok(
      sample(later, 'smalltalk_oldest_open_report_age_seconds') <=
        (Date.now() - Date.parse(auto3.createdAt)) / 1000 + 1,
    );
    assert.deepEqual(
      (await cases(server, staff.token)).map((c) => c.user.displayName),
      ['Minor', 'Auto', 'Twice', 'Later'],
    );
  });

  test('`illegal` is urgent too, whatever else the case holds', async () => {
    const server = await fresh();
    const staff = await moderator(server);
    const [target, r1] = await people(server, ['Target', 'R1'] as const);
    await reportAfterMeeting(server, r1, target, 'illegal');
    assert.deepEqual(
      (await cases(server, staff.token)).map((c) => [c.userId, c.priority, c.reasons]),
      [[target.auth.user.id, 'urgent', { illegal: 1 }]],
    );
  });

  test('closed cases: users with no open report left, latest decision first, `before` pages them; never in the open queue', async () => {
    const server = await fresh();
    const staff = await moderator(server);
    const [a, b, c, r1, r2, r3, r4] = await people(server, ['A', 'B', 'C', 'R1', 'R2', 'R3', 'R4'] as const);
    const ra = await reportAfterMeeting(server, r1, a, 'spam');
    const rb = await reportAfterMeeting(server, r2, b, 'hate');
    const rc1 = await reportAfterMeeting(server, r3, c, 'spam');
    await reportAfterMeeting(server, r4, c, 'spam');
    await decide(server, staff.token, a.auth.user.id, { action: 'dismiss', reportIds: [ra.id] });
    await sleep(5);
    const between = new Date().toISOString();
    await sleep(5);
    await decide(server, staff.token, b.auth.user.id, { action: 'warn', reportIds: [rb.id] });
    // C keeps one open report: its case is still open.
    await decide(server, staff.token, c.auth.user.id, { action: 'dismiss', reportIds: [rc1.id] });

    const closed = await cases(server, staff.token, '?status=closed');
    assert.deepEqual(
      closed.map((x) => x.user.displayName),
      ['B', 'A'],
    );
    assert.deepEqual(closed[0], {
      userId: b.auth.user.id,
      user: closed[0]!.user,
      openReports: 0,
      reporters: 0,
      reasons: {},
      priority: 'normal',
      oldestOpenAt: null,
      restriction: null,
    });
    const older = await cases(server, staff.token, `?status=closed&before=${encodeURIComponent(between)}`);
    assert.deepEqual(
      older.map((x) => x.user.displayName),
      ['A'],
    );
    assert.deepEqual(
      (await cases(server, staff.token)).map((x) => x.user.displayName),
      ['C'],
    );
  });
});

describe('GET /api/mod/users/:id', () => {
  test('the user, its restriction, reports against it with reporter, connection and evidence, the reports it made, its connections, its decisions and strikes', async () => {
    const server = await fresh();
    const staff = await moderator(server);
    const [target, accuser, other, victim] = await people(server, ['Target', 'Accuser', 'Other', 'Victim'] as const);
    const against = await reportAfterMeeting(server, accuser, target, 'harassment', 'kept insulting me');
    const image1 = jpeg(2000, 0x41);
    const image2 = jpeg(3000, 0x42);
    const evidence1 = await attach(server, against.id, accuser.auth.token, image1);
    const evidence2 = await attach(server, against.id, accuser.auth.token, image2);
    // A second report, about a connection whose history row is gone since.
    const gone = await reportAfterMeeting(server, other, target, 'spam');
    await server.server.db.kysely.deleteFrom('connections').where('id', '=', gone.connectionId).execute();
    // The target reports someone too: moderators see the button pressed at others.
    const made = await reportAfterMeeting(server, target, victim, 'other', 'looked at me funny');
    // Two moderators decide: a warning (a strike) on one report, then a suspension on the other.
    const max = await member(server.url, { displayName: 'Max' });
    await makeRole(server, max.email, 'moderator');
    const warned = await decide(server, staff.token, target.auth.user.id, {
      action: 'warn',
      reportIds: [gone.id],
      reason: 'mind your words',
    });
    const suspended = await decide(server, max.token, target.auth.user.id, {
      action: 'suspend',
      days: 7,
      reportIds: [against.id],
      reason: 'you were told',
    });

    const response = await api(server.url, 'GET', `/api/mod/users/${target.auth.user.id}`, { token: staff.token });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const page = ModUserResponse.parse(response.body);
    assert.deepEqual(page.user, {
      id: target.auth.user.id,
      displayName: 'Target',
      kind: 'guest',
      createdAt: page.user.createdAt,
      role: 'user',
    });
    assert.equal(page.restriction?.kind, 'suspended');
    assert.equal(page.restriction?.automated, false);
    assert.equal(page.strikes, 1);

    assert.deepEqual(
      page.reports.map((r) => r.id),
      [gone.id, against.id],
      'newest first',
    );
    const [goneReport, report] = page.reports as [
      ModUserResponse['reports'][number],
      ModUserResponse['reports'][number],
    ];
    assert.deepEqual(report, {
      id: against.id,
      reporter: { id: accuser.auth.user.id, displayName: 'Accuser' },
      reason: 'harassment',
      note: 'kept insulting me',
      connection: {
        id: against.connectionId,
        peer: { id: accuser.auth.user.id, displayName: 'Accuser' },
        category: 'music',
        startedAt: report.connection!.startedAt,
        endedAt: report.connection!.endedAt,
      },
      evidence: [evidence1, evidence2],
      status: 'actioned',
      createdAt: against.createdAt,
      decidedAt: suspended.createdAt,
    });
    assert.ok(report.connection!.endedAt !== null && report.connection!.startedAt <= report.connection!.endedAt);
    assert.equal(goneReport.connection, null, 'the history row is gone; the report stays');
    assert.deepEqual(
      [goneReport.evidence, goneReport.status, goneReport.decidedAt],
      [[], 'actioned', warned.createdAt],
    );

    assert.deepEqual(page.reportsMade, [
      {
        id: made.id,
        user: { id: victim.auth.user.id, displayName: 'Victim' },
        reason: 'other',
        note: 'looked at me funny',
        status: 'open',
        createdAt: made.createdAt,
      },
    ]);
    // Its connections, newest first: with Victim, Other (the row above is gone) and Accuser.
    assert.deepEqual(
      page.connections.map((c) => c.peer.displayName),
      ['Victim', 'Accuser'],
    );
    assert.deepEqual(Object.keys(page.connections[0]!).sort(), ['category', 'endedAt', 'id', 'peer', 'startedAt']);
    assert.deepEqual(
      page.actions.map((a) => [a.id, a.action, a.moderator.displayName, a.reason, a.createdAt]),
      [
        [suspended.id, 'suspend', 'Max', 'you were told', suspended.createdAt],
        [warned.id, 'warn', 'Mo', 'mind your words', warned.createdAt],
      ],
    );
    assert.equal(page.actions[0]!.until, page.restriction!.until);

    const unknown = await api(server.url, 'GET', `/api/mod/users/${randomUUID()}`, { token: staff.token });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
  });

  test('the last 50 connections only', async () => {
    const server = await fresh();
    const staff = await moderator(server);
    const target = await person(server, 'Busy');
    const db = server.server.db.kysely;
    const peer = await person(server, 'Peer');
    const start = Date.now() - 60 * 60_000;
    await db
      .insertInto('connections')
      .values(
        Array.from({ length: 60 }, (_, i) => ({
          id: randomUUID(),
          user_a: target.auth.user.id,
          user_b: peer.auth.user.id,
          category: 'music',
          started_at: new Date(start + i * 1000).toISOString(),
          ended_at: new Date(start + i * 1000 + 500).toISOString(),
          end_reason: 'left' as const,
        })),
      )
      .execute();
    const page = ModUserResponse.parse(
      (await api(server.url, 'GET', `/api/mod/users/${target.auth.user.id}`, { token: staff.token })).body,
    );
    assert.equal(page.connections.length, 50);
    assert.equal(page.connections[0]!.startedAt, new Date(start + 59 * 1000).toISOString());
    assert.equal(page.connections[49]!.startedAt, new Date(start + 10 * 1000).toISOString());
  });
});

describe('GET /api/mod/evidence/:id and the audit log', () => {
  test('the JPEG as uploaded, never cached; each view is one audit row naming the evidence and its report', async () => {
    const server = await fresh();
    const staff = await moderator(server);
    const [target, accuser] = await people(server, ['Target', 'Accuser'] as const);
    const report = await reportAfterMeeting(server, accuser, target, 'nudity');
    const image = jpeg(5000, 0x55);
    const evidenceId = await attach(server, report.id, accuser.auth.token, image);

    for (let view = 0; view < 2; view++) {
      const response = await fetch(`${server.url}/api/mod/evidence/${evidenceId}`, {
        headers: { authorization: `Bearer ${staff.token}` },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'image/jpeg');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), image);
    }
    const audit = AuditResponse.parse((await api(server.url, 'GET', '/api/mod/audit', { token: staff.token })).body);
    const views = audit.entries.filter((e) => e.action === 'view_evidence');
    assert.equal(views.length, 2);
    for (const entry of views) {
      assert.deepEqual(entry.actor, { id: staff.user.id, displayName: 'Mo' });
      assert.equal(entry.subjectUserId, target.auth.user.id);
      assert.deepEqual(entry.detail, { evidenceId, reportId: report.id });
    }

    // The reporter itself cannot read it back, nor anyone but staff; none of that is audited.
    const reporterTry = await api(server.url, 'GET', `/api/mod/evidence/${evidenceId}`, { token: accuser.auth.token });
    assert.equal(reporterTry.status, 403);
    const missing = await api(server.url, 'GET', `/api/mod/evidence/${randomUUID()}`, { token: staff.token });
    assert.equal(missing.status, 404);
    const again = AuditResponse.parse((await api(server.url, 'GET', '/api/mod/audit', { token: staff.token })).body);
    assert.equal(again.entries.filter((e) => e.action === 'view_evidence').length, 2);
  });

  test('the audit log: newest first, `limit` and `before` page through every row once', async () => {
    const server = await fresh();
    const staff = await moderator(server, 'admin');
    const [target, accuser] = await people(server, ['Target', 'Accuser'] as const);
    const report = await reportAfterMeeting(server, accuser, target, 'spam');
    const evidenceId = await attach(server, report.id, accuser.auth.token, jpeg(1000));
    for (let view = 0; view < 5; view++) {
      const response = await api(server.url, 'GET', `/api/mod/evidence/${evidenceId}`, { token: staff.token });
      assert.equal(response.status, 200);
      // Distinct times, so `before` (a time) pages them exactly.
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const all = AuditResponse.parse(
      (await api(server.url, 'GET', '/api/mod/audit?limit=200', { token: staff.token })).body,
    ).entries;
    // Five views, and the role change that made the admin.
    assert.deepEqual(
      all.map((e) => e.action),
      ['view_evidence', 'view_evidence', 'view_evidence', 'view_evidence', 'view_evidence', 'set_role'],
    );
    const times = all.map((e) => e.at);
    assert.deepEqual(times, [...times].sort().reverse());

    const pages: string[][] = [];
    let query = '?limit=2';
    for (;;) {
      const entries = AuditResponse.parse(
        (await api(server.url, 'GET', `/api/mod/audit${query}`, { token: staff.token })).body,
      ).entries;
      if (entries.length === 0) break;
      pages.push(entries.map((e) => e.id));
      query = `?limit=2&before=${encodeURIComponent(entries.at(-1)!.at)}`;
    }
    assert.deepEqual(
      pages.map((p) => p.length),
      [2, 2, 2],
    );
    assert.deepEqual(
      pages.flat(),
      all.map((e) => e.id),
    );
  });
});
