import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { EvidenceResponse, ReportResponse, ReportsResponse, RulesResponse } from '@small-talk/protocol';
import { sweep } from '../src/storage/sweep.js';
import {
  acquaintances,
  api,
  closeAndSettle,
  pair,
  sample,
  scrape,
  startServer,
  type Client,
  type TestServer,
} from './harness.js';

/**
 * Reports over HTTP: who may report what, what a report does at once (a block, the end of the
 * call), evidence images with their limits, and the reporter's own list.
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

/** Ada and Bo, who were in a room (`roomId`) and left it. */
async function met() {
  const p = await acquaintances(server);
  opened.push(p.a.socket, p.b.socket);
  return p;
}

function report(token: string, body: unknown) {
  return api(server.url, 'POST', '/api/reports', { token, body });
}

/** A JPEG as far as anyone can tell from its bytes: the SOI marker and an APP0 marker, then filler. */
function jpeg(bytes: number): Buffer {
  const image = Buffer.alloc(bytes, 0x20);
  image.set([0xff, 0xd8, 0xff, 0xe0]);
  return image;
}

async function upload(reportId: string, token: string, body: Buffer, type = 'image/jpeg') {
  const response = await fetch(`${server.url}/api/reports/${reportId}/evidence`, {
    method: 'POST',
    headers: { 'content-type': type, authorization: `Bearer ${token}` },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

describe('POST /api/reports', () => {
  test('201 with the open report; the reporter has blocked the reported user, who learns nothing', async () => {
    const { a, b, roomId } = await met();
    const before = sample(await scrape(server), 'smalltalk_reports_total', { reason: 'harassment' });
    const response = await report(a.auth.token, {
      userId: b.auth.user.id,
      connectionId: roomId,
      reason: 'harassment',
      note: 'kept insulting me',
    });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const { report: filed } = ReportResponse.parse(response.body);
    assert.deepEqual(Object.keys(response.body.report).sort(), [
      'connectionId',
      'createdAt',
      'id',
      'reason',
      'status',
      'userId',
    ]);
    assert.equal(filed.userId, b.auth.user.id);
    assert.equal(filed.connectionId, roomId);
    assert.equal(filed.reason, 'harassment');
    assert.equal(filed.status, 'open');
    assert.ok(Math.abs(Date.parse(filed.createdAt) - Date.now()) < 10_000);

    const blocks = await api(server.url, 'GET', '/api/blocks', { token: a.auth.token });
    assert.deepEqual(
      blocks.body.blocks.map((block: { user: { id: string } }) => block.user.id),
      [b.auth.user.id],
    );
    await b.socket.nothingWithin(200);
    assert.equal(sample(await scrape(server), 'smalltalk_reports_total', { reason: 'harassment' }), before + 1);
  });

  test('a report from inside a live room ends it: the reporter gets left, the other peer_left with reason left', async () => {
    const p = await pair(server, 'movies');
    opened.push(p.a.socket, p.b.socket);
    const response = await report(p.a.auth.token, {
      userId: p.b.auth.user.id,
      connectionId: p.roomId,
      reason: 'nudity',
    });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal((await p.a.socket.next('left')).roomId, p.roomId);
    const gone = await p.b.socket.next('peer_left');
    assert.deepEqual(gone, { type: 'peer_left', roomId: p.roomId, reason: 'left' });
    const history = await api(server.url, 'GET', '/api/history', { token: p.b.auth.token });
    assert.equal(history.body.connections[0].id, p.roomId);
    assert.equal(history.body.connections[0].endReason, 'left');
  });

  test('the reason must be one of the list and the note at most 1,000 characters', async () => {
    const { a, b, roomId } = await met();
    const base = { userId: b.auth.user.id, connectionId: roomId };
    for (const body of [
      { ...base, reason: 'rude' },
      { ...base },
      { ...base, reason: 'spam', note: 'x'.repeat(1001) },
      { ...base, reason: 'spam', note: 7 },
      { connectionId: roomId, reason: 'spam' },
    ]) {
      const response = await report(a.auth.token, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.code, 'bad_request');
    }
    const longest = await report(a.auth.token, { ...base, reason: 'other', note: 'x'.repeat(1000) });
    assert.equal(longest.status, 201);
  });

  test('every reason of the contract is accepted', async () => {
    for (const reason of [
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
    ]) {
      const { a, b, roomId } = await met();
      const response = await report(a.auth.token, { userId: b.auth.user.id, connectionId: roomId, reason });
      assert.equal(response.status, 201, reason);
      assert.equal(response.body.report.reason, reason);
    }
  });

  test('reporting yourself is 400 bad_request', async () => {
    const { a, roomId } = await met();
    const response = await report(a.auth.token, { userId: a.auth.user.id, connectionId: roomId, reason: 'spam' });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.code, 'bad_request');
  });

  test("the connection must be the reporter's own with that user, within REPORT_WINDOW_DAYS: else 404 not_found", async () => {
    const first = await met();
    const second = await met();
    const cases = [
      // no such connection
      { token: first.a.auth.token, body: { userId: first.b.auth.user.id, connectionId: randomUUID(), reason: 'spam' } },
      // a connection of someone else's
      {
        token: first.a.auth.token,
        body: { userId: second.b.auth.user.id, connectionId: second.roomId, reason: 'spam' },
      },
      // the reporter's connection, but with another user
      {
        token: first.a.auth.token,
        body: { userId: second.a.auth.user.id, connectionId: first.roomId, reason: 'spam' },
      },
    ];
    for (const { token, body } of cases) {
      const response = await report(token, body);
      assert.equal(response.status, 404, JSON.stringify(body));
      assert.equal(response.body.error.code, 'not_found');
    }
    // Started 31 days ago: too old. Started 29 days ago: still reportable.
    const db = server.server.db.kysely;
    const day = 24 * 60 * 60 * 1000;
    await db
      .updateTable('connections')
      .set({ started_at: new Date(Date.now() - 31 * day).toISOString() })
      .where('id', '=', first.roomId)
      .execute();
    const old = await report(first.a.auth.token, {
      userId: first.b.auth.user.id,
      connectionId: first.roomId,
      reason: 'spam',
    });
    assert.equal(old.status, 404);
    assert.equal(old.body.error.code, 'not_found');
    await db
      .updateTable('connections')
      .set({ started_at: new Date(Date.now() - 29 * day).toISOString() })
      .where('id', '=', first.roomId)
      .execute();
    const recent = await report(first.a.auth.token, {
      userId: first.b.auth.user.id,
      connectionId: first.roomId,
      reason: 'spam',
    });
    assert.equal(recent.status, 201);
  });

  test('the same reporter reporting the same connection again is 409 already_reported; the other side may report it too', async () => {
    const { a, b, roomId } = await met();
    assert.equal(
      (await report(a.auth.token, { userId: b.auth.user.id, connectionId: roomId, reason: 'spam' })).status,
      201,
    );
    const again = await report(a.auth.token, { userId: b.auth.user.id, connectionId: roomId, reason: 'hate' });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'already_reported');
    const back = await report(b.auth.token, { userId: a.auth.user.id, connectionId: roomId, reason: 'hate' });
    assert.equal(back.status, 201);
  });

  test('more than REPORTS_PER_DAY (20) reports in 24 hours is 429 rate_limited', async () => {
    const { a, b, roomId } = await met();
    const db = server.server.db.kysely;
    // Nineteen earlier today and one from 25 hours ago, which no longer counts.
    const hour = 60 * 60 * 1000;
    const rows = Array.from({ length: 20 }, (_, i) => ({
      id: randomUUID(),
      reporter_id: a.auth.user.id,
      reported_id: b.auth.user.id,
      connection_id: randomUUID(),
      reason: 'spam' as const,
      note: '',
      status: 'open' as const,
      created_at: new Date(Date.now() - (i === 0 ? 25 * hour : hour)).toISOString(),
      decided_at: null,
    }));
    await db.insertInto('reports').values(rows).execute();
    const twentieth = await report(a.auth.token, { userId: b.auth.user.id, connectionId: roomId, reason: 'spam' });
    assert.equal(twentieth.status, 201, JSON.stringify(twentieth.body));
    const other = await met();
    const limited = await report(a.auth.token, {
      userId: other.b.auth.user.id,
      connectionId: other.roomId,
      reason: 'spam',
    });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'rate_limited');
    const own = await report(other.a.auth.token, {
      userId: other.b.auth.user.id,
      connectionId: other.roomId,
      reason: 'spam',
    });
    assert.equal(own.status, 201, 'the limit is per reporter');
  });

  test('without a session: 401', async () => {
    const response = await api(server.url, 'POST', '/api/reports', {
      body: { userId: 'x', connectionId: 'y', reason: 'spam' },
    });
    assert.equal(response.status, 401);
    assert.equal((await api(server.url, 'GET', '/api/reports')).status, 401);
  });
});

describe('GET /api/reports', () => {
  test("the reporter's own reports, newest first, with their status and decidedAt", async () => {
    const first = await met();
    const second = await met();
    const reporter = first.a;
    // Ada met Bo in `first`; she meets another in a room of her own too.
    const older = await report(reporter.auth.token, {
      userId: first.b.auth.user.id,
      connectionId: first.roomId,
      reason: 'spam',
    });
    const notMine = await report(second.a.auth.token, {
      userId: second.b.auth.user.id,
      connectionId: second.roomId,
      reason: 'hate',
    });
    assert.equal(notMine.status, 201);
    const newer = await report(first.b.auth.token, {
      userId: reporter.auth.user.id,
      connectionId: first.roomId,
      reason: 'violence',
    });
    assert.equal(newer.status, 201);

    const mine = await api(server.url, 'GET', '/api/reports', { token: reporter.auth.token });
    assert.equal(mine.status, 200);
    const { reports } = ReportsResponse.parse(mine.body);
    assert.deepEqual(
      reports.map((r) => r.id),
      [older.body.report.id],
    );
    assert.deepEqual(mine.body.reports[0], { ...older.body.report, decidedAt: null });

    // A moderator's decision (next issue) shows: dismissed, and when.
    const decidedAt = new Date().toISOString();
    await server.server.db.kysely
      .updateTable('reports')
      .set({ status: 'dismissed', decided_at: decidedAt })
      .where('id', '=', older.body.report.id)
      .execute();
    const third = await met();
    const latest = await report(third.a.auth.token, {
      userId: third.b.auth.user.id,
      connectionId: third.roomId,
      reason: 'spam',
    });
    const hers = await api(server.url, 'GET', '/api/reports', { token: first.b.auth.token });
    assert.deepEqual(
      hers.body.reports.map((r: { id: string }) => r.id),
      [newer.body.report.id],
    );
    const after = await api(server.url, 'GET', '/api/reports', { token: reporter.auth.token });
    assert.equal(after.body.reports[0].status, 'dismissed');
    assert.equal(after.body.reports[0].decidedAt, decidedAt);
    assert.equal(latest.status, 201);

    // Newest first, for one reporter with several.
    const again = await acquaintancesOf(third.a);
    const second2 = await report(third.a.auth.token, {
      userId: again.other,
      connectionId: again.roomId,
      reason: 'other',
    });
    const list = await api(server.url, 'GET', '/api/reports', { token: third.a.auth.token });
    assert.deepEqual(
      list.body.reports.map((r: { id: string }) => r.id),
      [second2.body.report.id, latest.body.report.id],
    );
  });
});

/** `person` meets someone new in a room and leaves it. */
async function acquaintancesOf(person: { auth: { token: string; user: { id: string } }; socket: Client }) {
  const other = await met();
  // Ada of `other` is a stranger to `person`: meet her in a category nobody else waits in.
  person.socket.send({ type: 'join', categories: ['travel'] });
  await person.socket.next('queued');
  other.a.socket.send({ type: 'join', categories: ['travel'] });
  await other.a.socket.next('queued');
  const matched = await person.socket.next('matched');
  await other.a.socket.next('matched');
  person.socket.send({ type: 'leave', roomId: matched.roomId });
  await person.socket.next('left');
  await other.a.socket.next('peer_left');
  return { other: other.a.auth.user.id, roomId: matched.roomId };
}

describe('POST /api/reports/:id/evidence', () => {
  async function filed() {
    const p = await met();
    const response = await report(p.a.auth.token, {
      userId: p.b.auth.user.id,
      connectionId: p.roomId,
      reason: 'nudity',
    });
    assert.equal(response.status, 201);
    return { ...p, reportId: response.body.report.id as string };
  }

  test('a JPEG is stored in the database: 201 {evidence:{id,bytes}}', async () => {
    const { a, reportId } = await filed();
    const image = jpeg(40_000);
    const response = await upload(reportId, a.auth.token, image);
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const { evidence } = EvidenceResponse.parse(response.body);
    assert.equal(evidence.bytes, 40_000);
    const row = await server.server.db.kysely
      .selectFrom('report_evidence')
      .selectAll()
      .where('id', '=', evidence.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.report_id, reportId);
    assert.ok(Buffer.from(row.image).equals(image), 'the bytes as sent');
  });

  test('at most 256 KiB: exactly that is stored, one byte more is 413 too_large', async () => {
    const { a, reportId } = await filed();
    const ok = await upload(reportId, a.auth.token, jpeg(256 * 1024));
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.evidence.bytes, 256 * 1024);
    for (const size of [256 * 1024 + 1, 2 * 1024 * 1024]) {
      const big = await upload(reportId, a.auth.token, jpeg(size));
      assert.equal(big.status, 413, `${size} bytes`);
      assert.equal(big.body.error.code, 'too_large');
    }
  });

  test('not a JPEG by its bytes is 415 unsupported_media_type, whatever the header says; another type is 415 too', async () => {
    const { a, reportId } = await filed();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    for (const body of [png, Buffer.from('{"image":"no"}'), Buffer.from([0xff, 0xd8])]) {
      const response = await upload(reportId, a.auth.token, body);
      assert.equal(response.status, 415);
      assert.equal(response.body.error.code, 'unsupported_media_type');
    }
    const typed = await upload(reportId, a.auth.token, jpeg(100), 'image/png');
    assert.equal(typed.status, 415);
    assert.equal(typed.body.error.code, 'unsupported_media_type');
    const none = await server.server.db.kysely
      .selectFrom('report_evidence')
      .select('id')
      .where('report_id', '=', reportId)
      .execute();
    assert.equal(none.length, 0);
  });

  test('at most 3 per report: the fourth is 409 too_many', async () => {
    const { a, reportId } = await filed();
    for (let i = 0; i < 3; i++) assert.equal((await upload(reportId, a.auth.token, jpeg(1000 + i))).status, 201);
    const fourth = await upload(reportId, a.auth.token, jpeg(1000));
    assert.equal(fourth.status, 409);
    assert.equal(fourth.body.error.code, 'too_many');
  });

  test("someone else's report, an unknown one, and one older than 10 minutes are 404 not_found", async () => {
    const { b, a, reportId } = await filed();
    const theirs = await upload(reportId, b.auth.token, jpeg(1000));
    assert.equal(theirs.status, 404);
    assert.equal(theirs.body.error.code, 'not_found');
    const unknown = await upload(randomUUID(), a.auth.token, jpeg(1000));
    assert.equal(unknown.status, 404);

    const db = server.server.db.kysely;
    await db
      .updateTable('reports')
      .set({ created_at: new Date(Date.now() - 9 * 60 * 1000).toISOString() })
      .where('id', '=', reportId)
      .execute();
    assert.equal((await upload(reportId, a.auth.token, jpeg(1000))).status, 201, 'nine minutes on: still in time');
    await db
      .updateTable('reports')
      .set({ created_at: new Date(Date.now() - 11 * 60 * 1000).toISOString() })
      .where('id', '=', reportId)
      .execute();
    const late = await upload(reportId, a.auth.token, jpeg(1000));
    assert.equal(late.status, 404);
    assert.equal(late.body.error.code, 'not_found');
    // Too late wins over too large: nothing is read for a report nobody may attach to.
    assert.equal((await upload(reportId, a.auth.token, jpeg(300 * 1024))).status, 404);
  });

  test('without a session: 401', async () => {
    const { reportId } = await filed();
    const response = await fetch(`${server.url}/api/reports/${reportId}/evidence`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: jpeg(100),
    });
    assert.equal(response.status, 401);
  });
});

describe('what is kept', () => {
  test('stale guests are swept with their reports (by them and about them) and the evidence, without a dangling row', async () => {
    const { a, b, roomId } = await met();
    const filed = await report(a.auth.token, { userId: b.auth.user.id, connectionId: roomId, reason: 'spam' });
    const back = await report(b.auth.token, { userId: a.auth.user.id, connectionId: roomId, reason: 'spam' });
    assert.equal((await upload(filed.body.report.id, a.auth.token, jpeg(500))).status, 201);
    // Both sign out, and their call is 31 days old: nothing can bring either back.
    for (const token of [a.auth.token, b.auth.token])
      assert.equal((await api(server.url, 'POST', '/api/auth/logout', { token })).status, 204);
    const db = server.server.db.kysely;
    await db
      .updateTable('connections')
      .set({ started_at: new Date(Date.now() - 31 * 86_400_000).toISOString() })
      .where('id', '=', roomId)
      .execute();
    const result = await sweep(db, new Date());
    assert.ok(result.guests >= 2, JSON.stringify(result));
    const left = await db
      .selectFrom('reports')
      .select('id')
      .where('id', 'in', [filed.body.report.id, back.body.report.id])
      .execute();
    assert.deepEqual(left, []);
    const evidence = await db
      .selectFrom('report_evidence')
      .select('id')
      .where('report_id', '=', filed.body.report.id)
      .execute();
    assert.deepEqual(evidence, []);
  });
});

describe('GET /api/rules contactEmail', () => {
  test('null without CONTACT_EMAIL; the operator address with it', async () => {
    const rules = RulesResponse.parse((await api(server.url, 'GET', '/api/rules')).body);
    assert.equal(rules.contactEmail, null);
    assert.ok('contactEmail' in (await api(server.url, 'GET', '/api/rules')).body);
    const other = await startServer({ CONTACT_EMAIL: 'safety@chat.example' });
    try {
      const response = await api(other.url, 'GET', '/api/rules');
      assert.equal(response.body.contactEmail, 'safety@chat.example');
    } finally {
      await other.close();
    }
  });
});
