import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  APPEAL_TOKEN_TTL_MS,
  AppealDecisionResponse,
  AppealResponse,
  BannedLoginBody,
  ModActionResponse,
  ModAppealsResponse,
  NoticesResponse,
  SetRoleResponse,
  type AuthResponse,
} from '@small-talk/protocol';
import {
  api,
  closeAndSettle,
  connect,
  guest,
  member,
  refusedUpgrade,
  sample,
  scrape,
  startServer,
  type Client,
  type TestServer,
} from './harness.js';
import { makeRole } from './moderation.js';

/**
 * The write side of moderation over HTTP: roles, moderators' decisions and what each does to the
 * reports (as their reporter sees them), the restriction, the notices and the sessions; a banned
 * member's limited session; appeals and who may answer them.
 */

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

let opened: Client[] = [];
afterEach(async () => {
  await closeAndSettle(server, opened);
  opened = [];
});

type Person = { auth: AuthResponse & { email: string; password: string }; socket: Client };

/** A member with an open socket. */
async function person(displayName: string): Promise<Person> {
  const auth = await member(server.url, { displayName });
  const socket = await connect(server, auth.token);
  await socket.next('welcome');
  opened.push(socket);
  return { auth, socket };
}

/** A member given `role` (as `npm run admin -- set-role` does); its token. */
async function staff(role: 'moderator' | 'admin', displayName = 'Mod'): Promise<{ token: string; id: string }> {
  const auth = await member(server.url, { displayName });
  await makeRole(server, auth.email, role);
  return { token: auth.token, id: auth.user.id };
}

/** `a` and `b` meet in a room and `a` leaves it: the connection id. */
async function meet(a: Person, b: Person, category = 'music'): Promise<string> {
  a.socket.send({ type: 'join', categories: [category] });
  await a.socket.next('queued');
  b.socket.send({ type: 'join', categories: [category] });
  const matched = await a.socket.next('matched');
  await b.socket.next('matched');
  a.socket.send({ type: 'leave', roomId: matched.roomId });
  await a.socket.next('left');
  await b.socket.next('peer_left');
  return matched.roomId;
}

/** `reporter` meets `reported` and reports it: the report's id. */
async function reported(reporter: Person, target: Person, reason = 'harassment'): Promise<string> {
  const connectionId = await meet(reporter, target);
  const response = await api(server.url, 'POST', '/api/reports', {
    token: reporter.auth.token,
    body: { userId: target.auth.user.id, connectionId, reason },
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body.report.id;
}

function act(token: string, userId: string, body: unknown) {
  return api(server.url, 'POST', `/api/mod/users/${userId}/actions`, { token, body });
}

async function decided(token: string, userId: string, body: Record<string, unknown>) {
  const response = await act(token, userId, body);
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return ModActionResponse.parse(response.body).action;
}

async function reportStatus(reporter: Person, reportId: string): Promise<{ status: string; decidedAt: string | null }> {
  const response = await api(server.url, 'GET', '/api/reports', { token: reporter.auth.token });
  assert.equal(response.status, 200);
  return response.body.reports.find((r: { id: string }) => r.id === reportId);
}

async function notices(token: string) {
  const response = await api(server.url, 'GET', '/api/me/notices', { token });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return NoticesResponse.parse(response.body).notices;
}

async function restrictionOf(token: string) {
  const me = await api(server.url, 'GET', '/api/me', { token });
  assert.equal(me.status, 200);
  return me.body.user.restriction;
}

describe('roles', () => {
  test('each route answers 401 without a session and 403 to a role too small', async () => {
    const plain = await member(server.url);
    const mod = await staff('moderator');
    const id = randomUUID();
    const routes: Array<[string, string, unknown, string[]]> = [
      ['PUT', `/api/admin/users/${id}/role`, { role: 'moderator' }, [plain.token, mod.token]],
      ['POST', `/api/mod/users/${id}/actions`, { action: 'warn', reason: 'x' }, [plain.token]],
      ['GET', '/api/mod/appeals', undefined, [plain.token]],
      ['POST', `/api/mod/appeals/${id}`, { decision: 'uphold', reason: 'x' }, [plain.token]],
    ];
    for (const [method, route, body, tooSmall] of routes) {
      const none = await api(server.url, method, route, { body });
      assert.equal(none.status, 401, `${method} ${route}`);
      assert.equal(none.body.error.code, 'unauthenticated');
      for (const token of tooSmall) {
        const refused = await api(server.url, method, route, { body, token });
        assert.equal(refused.status, 403, `${method} ${route}`);
        assert.equal(refused.body.error.code, 'forbidden');
      }
    }
    for (const [method, route] of [
      ['GET', '/api/me/notices'],
      ['GET', '/api/appeals'],
      ['POST', '/api/appeals'],
    ] as const) {
      const none = await api(server.url, method, route, method === 'POST' ? { body: { text: 'x' } } : {});
      assert.equal(none.status, 401, `${method} ${route}`);
    }
  });

  test('an admin sets a role: 200 with the user, /api/me shows it, the new moderator may act at once, the audit log has it', async () => {
    const admin = await staff('admin', 'Root');
    const target = await member(server.url, { displayName: 'Tess' });
    assert.equal(target.user.role, 'user');
    const before = await api(server.url, 'GET', '/api/mod/appeals', { token: target.token });
    assert.equal(before.status, 403);

    const response = await api(server.url, 'PUT', `/api/admin/users/${target.user.id}/role`, {
      token: admin.token,
      body: { role: 'moderator' },
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const { user } = SetRoleResponse.parse(response.body);
    assert.deepEqual(
      { id: user.id, role: user.role, kind: user.kind, displayName: user.displayName },
      { id: target.user.id, role: 'moderator', kind: 'member', displayName: 'Tess' },
    );

    const me = await api(server.url, 'GET', '/api/me', { token: target.token });
    assert.equal(me.body.user.role, 'moderator');
    assert.equal((await api(server.url, 'GET', '/api/mod/appeals', { token: target.token })).status, 200);
    // Still not an admin.
    assert.equal(
      (
        await api(server.url, 'PUT', `/api/admin/users/${admin.id}/role`, {
          token: target.token,
          body: { role: 'user' },
        })
      ).status,
      403,
    );

    const audit = await api(server.url, 'GET', '/api/mod/audit', { token: admin.token });
    const entry = audit.body.entries.find(
      (e: { action: string; subjectUserId: string }) => e.action === 'set_role' && e.subjectUserId === target.user.id,
    );
    assert.ok(entry, JSON.stringify(audit.body));
    assert.deepEqual(entry.actor, { id: admin.id, displayName: 'Root' });
    assert.deepEqual(entry.detail, { from: 'user', to: 'moderator' });

    // Taken back: it counts at the next request.
    await api(server.url, 'PUT', `/api/admin/users/${target.user.id}/role`, {
      token: admin.token,
      body: { role: 'user' },
    });
    assert.equal((await api(server.url, 'GET', '/api/mod/appeals', { token: target.token })).status, 403);
  });

  test('set-role refuses an unknown user (404), a guest (400) and a role that is not one (400)', async () => {
    const admin = await staff('admin');
    const unknown = await api(server.url, 'PUT', `/api/admin/users/${randomUUID()}/role`, {
      token: admin.token,
      body: { role: 'admin' },
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
    const visitor = await guest(server.url, 'Gus');
    const refused = await api(server.url, 'PUT', `/api/admin/users/${visitor.user.id}/role`, {
      token: admin.token,
      body: { role: 'moderator' },
    });
    assert.equal(refused.status, 400);
    const plain = await member(server.url);
    const bad = await api(server.url, 'PUT', `/api/admin/users/${plain.user.id}/role`, {
      token: admin.token,
      body: { role: 'god' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'bad_request');
  });
});

describe('decisions', () => {
  test('who and what: yourself 403 conflict_of_interest, nobody 404, a report not open about the user 404, days only with suspend', async () => {
    const mod = await staff('moderator');
    const self = await act(mod.token, mod.id, { action: 'warn', reason: 'no' });
    assert.equal(self.status, 403);
    assert.equal(self.body.error.code, 'conflict_of_interest');
    const nobody = await act(mod.token, randomUUID(), { action: 'warn', reason: 'no' });
    assert.equal(nobody.status, 404);

    const ada = await person('Ada');
    const bo = await person('Bo');
    const cy = await person('Cy');
    const aboutBo = await reported(ada, bo);
    const aboutCy = await reported(ada, cy);
    const wrong = await act(mod.token, bo.auth.user.id, { action: 'warn', reason: 'x', reportIds: [aboutBo, aboutCy] });
    assert.equal(wrong.status, 404);
    assert.equal(wrong.body.error.code, 'not_found');
    assert.equal((await reportStatus(ada, aboutBo)).status, 'open', 'a refused decision changes nothing');

    for (const body of [
      { action: 'suspend', reason: 'x' },
      { action: 'warn', reason: 'x', days: 3 },
      { action: 'suspend', reason: 'x', days: 0 },
      { action: 'suspend', reason: 'x', days: 366 },
      { action: 'warn', reason: '' },
      { action: 'warn', reason: 'x'.repeat(2001) },
      { action: 'delete', reason: 'x' },
    ]) {
      const response = await act(mod.token, bo.auth.user.id, body);
      assert.equal(response.status, 400, JSON.stringify(body));
    }
  });

  test('warn: 201 with the action; the reports become actioned for their reporter; a warning notice, not appealable; no restriction', async () => {
    const mod = await staff('moderator', 'Mia');
    const ada = await person('Ada');
    const bo = await person('Bo');
    const reportId = await reported(ada, bo);
    const before = sample(await scrape(server), 'smalltalk_moderation_decisions_total', { action: 'warn' });
    const action = await decided(mod.token, bo.auth.user.id, { action: 'warn', reason: 'Be kind.' });
    assert.equal(action.action, 'warn');
    assert.deepEqual(action.moderator, { id: mod.id, displayName: 'Mia' });
    assert.equal(action.reason, 'Be kind.');
    assert.equal(action.until, null);

    const seen = await reportStatus(ada, reportId);
    assert.equal(seen.status, 'actioned');
    assert.ok(seen.decidedAt);
    const [notice] = await notices(bo.auth.token);
    assert.equal(notice?.kind, 'warning');
    assert.equal(notice?.reason, 'Be kind.');
    assert.equal(notice?.appealable, false);
    assert.equal(notice?.automated, false);
    assert.equal(await restrictionOf(bo.auth.token), null);
    assert.equal(sample(await scrape(server), 'smalltalk_moderation_decisions_total', { action: 'warn' }), before + 1);
    const audit = await api(server.url, 'GET', '/api/mod/audit', { token: mod.token });
    const entry = audit.body.entries.find(
      (e: { action: string; subjectUserId: string }) => e.action === 'warn' && e.subjectUserId === bo.auth.user.id,
    );
    assert.deepEqual(entry?.actor, { id: mod.id, displayName: 'Mia' });
    assert.deepEqual(entry?.detail, { actionId: action.id, reportIds: [reportId] });
    // Bo's sessions go on.
    assert.equal((await api(server.url, 'GET', '/api/history', { token: bo.auth.token })).status, 200);
  });

  test('reportIds settles those reports only', async () => {
    const mod = await staff('moderator');
    const ada = await person('Ada');
    const cy = await person('Cy');
    const bo = await person('Bo');
    const first = await reported(ada, bo);
    const second = await reported(cy, bo);
    await decided(mod.token, bo.auth.user.id, { action: 'dismiss', reason: 'Not a breach.', reportIds: [first] });
    assert.equal((await reportStatus(ada, first)).status, 'dismissed');
    assert.equal((await reportStatus(cy, second)).status, 'open');
  });

  test('suspend: a restriction until now + days, appealable; reports actioned; a suspension notice; joining is refused', async () => {
    const mod = await staff('moderator');
    const ada = await person('Ada');
    const bo = await person('Bo');
    const reportId = await reported(ada, bo);
    const action = await decided(mod.token, bo.auth.user.id, { action: 'suspend', reason: 'Insults.', days: 3 });
    assert.ok(Math.abs(Date.parse(action.until!) - (Date.now() + 3 * 86_400_000)) < 60_000);
    assert.equal((await reportStatus(ada, reportId)).status, 'actioned');
    const restriction = await restrictionOf(bo.auth.token);
    assert.equal(restriction.kind, 'suspended');
    assert.equal(restriction.automated, false);
    assert.equal(restriction.appealable, true);
    assert.equal(restriction.until, action.until);
    const [notice] = await notices(bo.auth.token);
    assert.equal(notice?.kind, 'suspension');
    assert.equal(notice?.until, action.until);
    assert.equal(notice?.appealable, true);
    bo.socket.send({ type: 'join', categories: ['music'] });
    const refused = await bo.socket.next('error');
    assert.equal(refused.code, 'restricted');
  });

  test('ban: every session ends at once (401), login answers 403 banned with an appeal token that reaches only its routes', async () => {
    const mod = await staff('moderator');
    const ada = await person('Ada');
    const bo = await person('Bo');
    const reportId = await reported(ada, bo);
    const other = await api(server.url, 'POST', '/api/auth/login', {
      body: { email: bo.auth.email, password: bo.auth.password },
    });
    assert.equal(other.status, 200);

    await decided(mod.token, bo.auth.user.id, { action: 'ban', reason: 'Threats.' });
    assert.equal((await reportStatus(ada, reportId)).status, 'actioned');
    for (const token of [bo.auth.token, other.body.token]) {
      const me = await api(server.url, 'GET', '/api/me', { token });
      assert.equal(me.status, 401);
      assert.equal(await refusedUpgrade(server, { authorization: `Bearer ${token}` }), 401);
    }

    const wrong = await api(server.url, 'POST', '/api/auth/login', {
      body: { email: bo.auth.email, password: 'not the password' },
    });
    assert.equal(wrong.status, 401, 'a wrong password learns nothing of the ban');
    const login = await api(server.url, 'POST', '/api/auth/login', {
      body: { email: bo.auth.email, password: bo.auth.password },
    });
    assert.equal(login.status, 403);
    const body = BannedLoginBody.parse(login.body);
    assert.equal(body.error.code, 'banned');
    assert.ok(Math.abs(Date.parse(body.expiresAt) - (Date.now() + APPEAL_TOKEN_TTL_MS)) < 60_000);
    assert.deepEqual(login.headers.getSetCookie(), [], 'no cookie: the appeal token is no sign-in');
    const token = body.appealToken;

    const me = await api(server.url, 'GET', '/api/me', { token });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.restriction.kind, 'banned');
    assert.equal(me.body.user.restriction.reason, 'Threats.');
    const [notice] = await notices(token);
    assert.equal(notice?.kind, 'ban');
    assert.equal(notice?.appealable, true);
    assert.equal((await api(server.url, 'GET', '/api/appeals', { token })).status, 200);
    for (const [method, route] of [
      ['GET', '/api/history'],
      ['GET', '/api/reports'],
      ['GET', '/api/friends'],
      ['GET', '/api/blocks'],
      ['POST', '/api/auth/logout'],
      ['GET', '/api/mod/appeals'],
    ] as const) {
      const refused = await api(server.url, method, route, { token });
      assert.equal(refused.status, 403, `${method} ${route}`);
      assert.equal(refused.body.error.code, 'banned', `${method} ${route}`);
    }
    assert.equal(await refusedUpgrade(server, { authorization: `Bearer ${token}` }), 401);

    const appealed = await api(server.url, 'POST', '/api/appeals', {
      token,
      body: { text: 'It was a joke between friends.' },
    });
    assert.equal(appealed.status, 201, JSON.stringify(appealed.body));
  });

  test('restore lifts a restriction (notice restored); with none it is 409 not_restricted', async () => {
    const mod = await staff('moderator');
    const bo = await person('Bo');
    const none = await act(mod.token, bo.auth.user.id, { action: 'restore', reason: 'x' });
    assert.equal(none.status, 409);
    assert.equal(none.body.error.code, 'not_restricted');
    await decided(mod.token, bo.auth.user.id, { action: 'suspend', reason: 'Spam.', days: 1 });
    assert.equal((await restrictionOf(bo.auth.token)).kind, 'suspended');
    await decided(mod.token, bo.auth.user.id, { action: 'restore', reason: 'Our mistake.' });
    assert.equal(await restrictionOf(bo.auth.token), null);
    const [restored, suspension] = await notices(bo.auth.token);
    assert.equal(restored?.kind, 'restored');
    assert.equal(restored?.reason, 'Our mistake.');
    assert.equal(suspension?.kind, 'suspension');
    assert.equal(suspension?.appealable, false, 'a lifted restriction is no longer appealable');
  });

  test('a suspension replaces the one before; a ban replaces a suspension', async () => {
    const mod = await staff('moderator');
    const bo = await person('Bo');
    await decided(mod.token, bo.auth.user.id, { action: 'suspend', reason: 'One.', days: 1 });
    await decided(mod.token, bo.auth.user.id, { action: 'suspend', reason: 'Two.', days: 7 });
    const restriction = await restrictionOf(bo.auth.token);
    assert.equal(restriction.reason, 'Two.');
    const [two, one] = await notices(bo.auth.token);
    assert.equal(two?.appealable, true);
    assert.equal(one?.appealable, false);
    await decided(mod.token, bo.auth.user.id, { action: 'restore', reason: 'Lifted.' });
    assert.equal(await restrictionOf(bo.auth.token), null, 'restore lifts every restriction, not just the newest');
  });
});

describe('automatic suspension and dismiss', () => {
  test('three reporters suspend automatically with a notice; dismiss lifts it and dismisses the reports', async () => {
    const mod = await staff('moderator');
    const bo = await person('Bo');
    const reporters = [await person('Ada'), await person('Cy'), await person('Di')];
    const reportIds: string[] = [];
    for (const reporter of reporters) reportIds.push(await reported(reporter, bo));
    const restriction = await restrictionOf(bo.auth.token);
    assert.equal(restriction.automated, true);
    const [automatic] = await notices(bo.auth.token);
    assert.equal(automatic?.kind, 'suspension');
    assert.equal(automatic?.automated, true);
    assert.equal(automatic?.appealable, true);

    await decided(mod.token, bo.auth.user.id, { action: 'dismiss', reason: 'The reports do not hold.' });
    assert.equal(await restrictionOf(bo.auth.token), null);
    for (const [i, reporter] of reporters.entries())
      assert.equal((await reportStatus(reporter, reportIds[i]!)).status, 'dismissed');
    const [restored] = await notices(bo.auth.token);
    assert.equal(restored?.kind, 'restored');
  });

  test("dismiss leaves a moderator's suspension alone", async () => {
    const mod = await staff('moderator');
    const ada = await person('Ada');
    const bo = await person('Bo');
    await reported(ada, bo);
    await decided(mod.token, bo.auth.user.id, { action: 'suspend', reason: 'x', days: 2 });
    await decided(mod.token, bo.auth.user.id, { action: 'dismiss', reason: 'y' });
    assert.equal((await restrictionOf(bo.auth.token)).kind, 'suspended');
  });
});

describe('appeals', () => {
  async function appeal(token: string, text = 'I did nothing wrong.') {
    return api(server.url, 'POST', '/api/appeals', { token, body: { text } });
  }

  test('not restricted 409 not_restricted; underage 403 forbidden; bad text 400', async () => {
    const plain = await member(server.url);
    const none = await appeal(plain.token);
    assert.equal(none.status, 409);
    assert.equal(none.body.error.code, 'not_restricted');

    const young = await guest(server.url, 'Kid', { consent: false });
    const rules = await api(server.url, 'GET', '/api/rules');
    const refused = await api(server.url, 'POST', '/api/me/consent', {
      token: young.token,
      body: { birthDate: `${new Date().getUTCFullYear() - 10}-01-01`, rulesVersion: rules.body.version },
    });
    assert.equal(refused.status, 403);
    const underage = await appeal(young.token);
    assert.equal(underage.status, 403);
    assert.equal(underage.body.error.code, 'forbidden');

    for (const text of ['', ' ', 'x'.repeat(2001)]) assert.equal((await appeal(plain.token, text)).status, 400);
  });

  test('one appeal per restriction; the deciding moderator cannot answer it; another upholds; decided twice 409', async () => {
    const judge = await staff('moderator', 'Judge');
    const second = await staff('moderator', 'Second');
    const bo = await person('Bo');
    const action = await decided(judge.token, bo.auth.user.id, { action: 'suspend', reason: 'Spam.', days: 5 });

    const filed = await appeal(bo.auth.token, 'Not spam: a link to my band.');
    assert.equal(filed.status, 201, JSON.stringify(filed.body));
    const { appeal: mine } = AppealResponse.parse(filed.body);
    assert.equal(mine.status, 'open');
    const again = await appeal(bo.auth.token);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'already_appealed');
    const [notice] = await notices(bo.auth.token);
    assert.equal(notice?.appealable, false, 'appealed already');
    const own = await api(server.url, 'GET', '/api/appeals', { token: bo.auth.token });
    assert.deepEqual(own.body.appeals, [mine]);

    const listed = await api(server.url, 'GET', '/api/mod/appeals?status=open', { token: second.token });
    assert.equal(listed.status, 200);
    const entry = ModAppealsResponse.parse(listed.body).appeals.find((a) => a.id === mine.id);
    assert.ok(entry);
    assert.equal(entry.text, 'Not spam: a link to my band.');
    assert.deepEqual(entry.user, { id: bo.auth.user.id, displayName: 'Bo' });
    assert.equal(entry.restriction.kind, 'suspended');
    assert.deepEqual(entry.decision, action);
    assert.equal(entry.decidedBy, null);

    const conflicted = await api(server.url, 'POST', `/api/mod/appeals/${mine.id}`, {
      token: judge.token,
      body: { decision: 'overturn', reason: 'Fine.' },
    });
    assert.equal(conflicted.status, 403);
    assert.equal(conflicted.body.error.code, 'conflict_of_interest');
    const before = sample(await scrape(server), 'smalltalk_appeal_decisions_total', { outcome: 'upheld' });
    const upheld = await api(server.url, 'POST', `/api/mod/appeals/${mine.id}`, {
      token: second.token,
      body: { decision: 'uphold', reason: 'Three links in a minute is spam.' },
    });
    assert.equal(upheld.status, 200, JSON.stringify(upheld.body));
    const decidedAppeal = AppealDecisionResponse.parse(upheld.body).appeal;
    assert.equal(decidedAppeal.status, 'upheld');
    assert.deepEqual(decidedAppeal.decidedBy, { id: second.id, displayName: 'Second' });
    assert.equal(decidedAppeal.decisionReason, 'Three links in a minute is spam.');
    assert.equal(sample(await scrape(server), 'smalltalk_appeal_decisions_total', { outcome: 'upheld' }), before + 1);

    const twice = await api(server.url, 'POST', `/api/mod/appeals/${mine.id}`, {
      token: second.token,
      body: { decision: 'overturn', reason: 'Changed my mind.' },
    });
    assert.equal(twice.status, 409);
    assert.equal(twice.body.error.code, 'already_decided');
    assert.equal((await restrictionOf(bo.auth.token)).kind, 'suspended');
    const [upheldNotice] = await notices(bo.auth.token);
    assert.equal(upheldNotice?.kind, 'appeal_upheld');
    assert.equal(upheldNotice?.reason, 'Three links in a minute is spam.');
    assert.equal(
      (await appeal(bo.auth.token)).body.error.code,
      'already_appealed',
      'one appeal per restriction, whatever its outcome',
    );
    const open = await api(server.url, 'GET', '/api/mod/appeals?status=open', { token: second.token });
    assert.ok(!open.body.appeals.some((a: { id: string }) => a.id === mine.id));
    const closed = await api(server.url, 'GET', '/api/mod/appeals?status=closed', { token: second.token });
    assert.ok(closed.body.appeals.some((a: { id: string }) => a.id === mine.id));
    const unknown = await api(server.url, 'POST', `/api/mod/appeals/${randomUUID()}`, {
      token: second.token,
      body: { decision: 'uphold', reason: 'x' },
    });
    assert.equal(unknown.status, 404);
  });

  test("overturn lifts the restriction (notice appeal_overturned) and the user can match again; an automatic suspension is anyone's to decide", async () => {
    const mod = await staff('moderator');
    const bo = await person('Bo');
    const reporters = [await person('Ada'), await person('Cy'), await person('Di')];
    for (const reporter of reporters) await reported(reporter, bo);
    assert.equal((await restrictionOf(bo.auth.token)).automated, true);
    const filed = await appeal(bo.auth.token);
    assert.equal(filed.status, 201);
    const listed = await api(server.url, 'GET', '/api/mod/appeals', { token: mod.token });
    const entry = listed.body.appeals.find((a: { id: string }) => a.id === filed.body.appeal.id);
    assert.equal(entry.decision, null, 'a rule made it, not a moderator');

    const overturned = await api(server.url, 'POST', `/api/mod/appeals/${filed.body.appeal.id}`, {
      token: mod.token,
      body: { decision: 'overturn', reason: 'The reports were a pile-on.' },
    });
    assert.equal(overturned.status, 200, JSON.stringify(overturned.body));
    assert.equal(overturned.body.appeal.status, 'overturned');
    assert.equal(await restrictionOf(bo.auth.token), null);
    const [notice] = await notices(bo.auth.token);
    assert.equal(notice?.kind, 'appeal_overturned');
    assert.equal(notice?.appealable, false);

    const eve = await person('Eve');
    const roomId = await meet(bo, eve);
    assert.ok(roomId);
  });

  test('an overturned ban lets the member log in again', async () => {
    const judge = await staff('moderator');
    const second = await staff('moderator');
    const bo = await person('Bo');
    await decided(judge.token, bo.auth.user.id, { action: 'ban', reason: 'Threats.' });
    const login = await api(server.url, 'POST', '/api/auth/login', {
      body: { email: bo.auth.email, password: bo.auth.password },
    });
    const filed = await appeal(login.body.appealToken);
    assert.equal(filed.status, 201);
    const overturned = await api(server.url, 'POST', `/api/mod/appeals/${filed.body.appeal.id}`, {
      token: second.token,
      body: { decision: 'overturn', reason: 'Misread.' },
    });
    assert.equal(overturned.status, 200);
    const [notice] = await notices(login.body.appealToken);
    assert.equal(notice?.kind, 'appeal_overturned');
    const back = await api(server.url, 'POST', '/api/auth/login', {
      body: { email: bo.auth.email, password: bo.auth.password },
    });
    assert.equal(back.status, 200);
    assert.equal(back.body.user.restriction, null);
  });
});
