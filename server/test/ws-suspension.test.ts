import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { RestrictedEvent } from '@small-talk/protocol';
import {
  api,
  closeAndSettle,
  sample,
  scrape,
  startServer,
  user,
  waitingCounts,
  type Client,
  type TestServer,
  restrict,
} from './harness.js';

/**
 * Automatic suspension: open reports from AUTO_SUSPEND_REPORTERS (3) distinct reporters within
 * AUTO_SUSPEND_WINDOW_H suspend the reported user at once; its socket is told and stays open.
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

type Person = Awaited<ReturnType<typeof user>>;

async function person(name: string): Promise<Person> {
  const p = await user(server, name);
  opened.push(p.socket);
  return p;
}

/** `a` and `b` are matched in `category` (nobody else waits there); returns the room. */
async function meet(a: Person, b: Person, category: string): Promise<string> {
  a.socket.send({ type: 'join', categories: [category] });
  await a.socket.next('queued');
  b.socket.send({ type: 'join', categories: [category] });
  await b.socket.next('queued');
  const matched = await a.socket.next('matched');
  assert.equal(matched.peer.id, b.auth.user.id);
  await b.socket.next('matched');
  return matched.roomId;
}

/** `a` and `b` meet and `a` leaves: a connection `a` may report. */
async function metAndLeft(a: Person, b: Person, category: string): Promise<string> {
  const roomId = await meet(a, b, category);
  a.socket.send({ type: 'leave', roomId });
  await a.socket.next('left');
  await b.socket.next('peer_left');
  return roomId;
}

async function reportOf(reporter: Person, reported: Person, connectionId: string) {
  const response = await api(server.url, 'POST', '/api/reports', {
    token: reporter.auth.token,
    body: { userId: reported.auth.user.id, connectionId, reason: 'harassment' },
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
}

async function restrictionOf(p: Person) {
  return (await api(server.url, 'GET', '/api/me', { token: p.auth.token })).body.user.restriction;
}

/** Three reporters who each met `target` once; their rooms are ended. */
async function reportersOf(target: Person, names: string[]) {
  const out: Array<{ reporter: Person; roomId: string }> = [];
  for (const name of names) {
    const reporter = await person(name);
    out.push({ reporter, roomId: await metAndLeft(reporter, target, 'books') });
  }
  return out;
}

describe('automatic suspension', () => {
  test('the third distinct reporter suspends at once: restricted frame, out of the live room, socket open, join refused', async () => {
    const target = await person('Troll');
    const [r1, r2, r3] = await reportersOf(target, ['R1', 'R2', 'R3']);
    const suspensionsBefore = sample(await scrape(server), 'smalltalk_auto_suspensions_total');
    await reportOf(r1!.reporter, target, r1!.roomId);
    await reportOf(r2!.reporter, target, r2!.roomId);
    assert.equal(await restrictionOf(target), null, 'two reporters do not suspend');

    // Now in a live room with someone else, who did nothing.
    const peer = await person('Peer');
    const roomId = await meet(peer, target, 'sports');
    await target.socket.nothingWithin(100);
    await reportOf(r3!.reporter, target, r3!.roomId);

    // It leaves its room (`left`, as if it had left) and is told why.
    const frames = [await target.socket.next(), await target.socket.next()];
    assert.deepEqual(frames.map((frame) => frame.type).sort(), ['left', 'restricted']);
    assert.deepEqual(
      frames.find((frame) => frame.type === 'left'),
      { type: 'left', roomId },
    );
    const restricted = RestrictedEvent.parse(frames.find((frame) => frame.type === 'restricted'));
    assert.equal(restricted.restriction.kind, 'suspended');
    assert.equal(restricted.restriction.automated, true);
    assert.equal(restricted.restriction.appealable, true);
    assert.equal(restricted.restriction.until, null);
    assert.ok(restricted.restriction.reason.length > 0);
    assert.deepEqual(await peer.socket.next('peer_left'), { type: 'peer_left', roomId, reason: 'left' });
    // Its room is gone from the server's side too (history ended, the restriction stands).
    const history = await api(server.url, 'GET', '/api/history', { token: peer.auth.token });
    assert.notEqual(history.body.connections[0].endedAt, null);
    assert.deepEqual(await restrictionOf(target), restricted.restriction);
    assert.equal(sample(await scrape(server), 'smalltalk_auto_suspensions_total'), suspensionsBefore + 1);

    // The socket stays open; join is refused with `restricted`, and nobody is queued.
    assert.equal(target.socket.closeCode, undefined);
    target.socket.send({ type: 'join', categories: ['sports'] });
    assert.equal((await target.socket.next('error')).code, 'restricted');
    assert.equal((await waitingCounts(server)).sports, 0);
  });

  test('a queued user who is suspended leaves the queue', async () => {
    const target = await person('Troll');
    const reporters = await reportersOf(target, ['R1', 'R2', 'R3']);
    target.socket.send({ type: 'join', categories: ['art'] });
    await target.socket.next('queued');
    assert.equal((await waitingCounts(server)).art, 1);
    for (const { reporter, roomId } of reporters) await reportOf(reporter, target, roomId);
    await target.socket.next('restricted');
    assert.equal((await waitingCounts(server)).art, 0);
    // Someone joining now is not matched with it.
    const other = await person('Other');
    other.socket.send({ type: 'join', categories: ['art'] });
    await other.socket.next('queued');
    await other.socket.nothingWithin(200);
  });

  test('reports landing together suspend once: one restriction, one restricted frame', async () => {
    const target = await person('Troll');
    const reporters = await reportersOf(target, ['R1', 'R2', 'R3', 'R4', 'R5']);
    await reportOf(reporters[0]!.reporter, target, reporters[0]!.roomId);
    await reportOf(reporters[1]!.reporter, target, reporters[1]!.roomId);
    await Promise.all(reporters.slice(2).map(({ reporter, roomId }) => reportOf(reporter, target, roomId)));
    await target.socket.next('restricted');
    // The statement of reasons follows it (moderation): once, as the restriction is.
    assert.equal((await target.socket.next('notice')).notice.kind, 'suspension');
    await target.socket.nothingWithin(300);
    const rows = await server.server.db.kysely
      .selectFrom('restrictions')
      .select('id')
      .where('user_id', '=', target.auth.user.id)
      .execute();
    assert.equal(rows.length, 1);
  });

  test('reports by restricted users do not count', async () => {
    const target = await person('Victim');
    const [r1, r2, r3, r4] = await reportersOf(target, ['R1', 'R2', 'R3', 'R4']);
    // R3 is itself suspended: its report is stored, and it blocks, but it does not count.
    await restrict(server, r3!.reporter.auth.user.id);
    await reportOf(r1!.reporter, target, r1!.roomId);
    await reportOf(r2!.reporter, target, r2!.roomId);
    await reportOf(r3!.reporter, target, r3!.roomId);
    await target.socket.nothingWithin(200);
    assert.equal(await restrictionOf(target), null);
    // A third reporter in good standing does.
    await reportOf(r4!.reporter, target, r4!.roomId);
    assert.equal((await target.socket.next('restricted')).restriction.kind, 'suspended');
  });

  test('only distinct reporters count, and only open reports within AUTO_SUSPEND_WINDOW_H', async () => {
    const target = await person('Someone');
    const [r1, r2] = await reportersOf(target, ['R1', 'R2']);
    // R1 reports twice (a second connection): still one reporter. The two never match again
    // (no rematch), so the second row is written as an older connection would have been.
    await reportOf(r1!.reporter, target, r1!.roomId);
    await server.server.db.kysely
      .insertInto('reports')
      .values({
        id: crypto.randomUUID(),
        reporter_id: r1!.reporter.auth.user.id,
        reported_id: target.auth.user.id,
        connection_id: crypto.randomUUID(),
        reason: 'spam',
        note: '',
        status: 'open',
        created_at: new Date().toISOString(),
        decided_at: null,
      })
      .execute();
    await reportOf(r2!.reporter, target, r2!.roomId);
    // An old report (25 hours) and a dismissed one do not count either.
    const db = server.server.db.kysely;
    const [r3, r4] = await reportersOf(target, ['R3', 'R4']);
    await db
      .insertInto('reports')
      .values([
        {
          id: crypto.randomUUID(),
          reporter_id: r3!.reporter.auth.user.id,
          reported_id: target.auth.user.id,
          connection_id: r3!.roomId,
          reason: 'spam',
          note: '',
          status: 'open',
          created_at: new Date(Date.now() - 25 * 3600_000).toISOString(),
          decided_at: null,
        },
        {
          id: crypto.randomUUID(),
          reporter_id: r4!.reporter.auth.user.id,
          reported_id: target.auth.user.id,
          connection_id: r4!.roomId,
          reason: 'spam',
          note: '',
          status: 'dismissed',
          created_at: new Date().toISOString(),
          decided_at: new Date().toISOString(),
        },
      ])
      .execute();
    const [r5] = await reportersOf(target, ['R5']);
    await db
      .updateTable('reports')
      .set({ status: 'dismissed' })
      .where('reporter_id', '=', r2!.reporter.auth.user.id)
      .execute();
    await reportOf(r5!.reporter, target, r5!.roomId);
    await target.socket.nothingWithin(200);
    assert.equal(await restrictionOf(target), null, 'R1 (twice) and R5 are two reporters');
  });
});
