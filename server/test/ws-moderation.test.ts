import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { CloseCode, NoticeEvent, RestrictedEvent, type AuthResponse } from '@small-talk/protocol';
import {
  api,
  closeAndSettle,
  connect,
  member,
  startServer,
  waitingCounts,
  type Client,
  type TestServer,
} from './harness.js';
import { makeRole } from './moderation.js';

/**
 * What a moderator's decision does to live sockets: suspend and ban end the room (the peer gets
 * `peer_left`), the user reads `restricted` then `notice`, a ban closes the socket with 4003;
 * every other notice arrives live too.
 */

let server: TestServer;
let moderator: string;
before(async () => {
  server = await startServer();
  const mod = await member(server.url, { displayName: 'Mod' });
  await makeRole(server, mod.email, 'moderator');
  moderator = mod.token;
});
after(() => server.close());

let opened: Client[] = [];
afterEach(async () => {
  await closeAndSettle(server, opened);
  opened = [];
});

type Person = { auth: AuthResponse; socket: Client };

async function person(displayName: string): Promise<Person> {
  const auth = await member(server.url, { displayName });
  const socket = await connect(server, auth.token);
  await socket.next('welcome');
  opened.push(socket);
  return { auth, socket };
}

/** Ada and Bo in a live room. */
async function inRoom(): Promise<{ ada: Person; bo: Person; roomId: string }> {
  const ada = await person('Ada');
  const bo = await person('Bo');
  ada.socket.send({ type: 'join', categories: ['music'] });
  await ada.socket.next('queued');
  bo.socket.send({ type: 'join', categories: ['music'] });
  const matched = await ada.socket.next('matched');
  await bo.socket.next('matched');
  return { ada, bo, roomId: matched.roomId };
}

async function decide(userId: string, body: Record<string, unknown>): Promise<void> {
  const response = await api(server.url, 'POST', `/api/mod/users/${userId}/actions`, { token: moderator, body });
  assert.equal(response.status, 201, JSON.stringify(response.body));
}

/** The frames after the room ended, in order, up to and including the notice. */
async function framesUntilNotice(client: Client): Promise<string[]> {
  const types: string[] = [];
  for (;;) {
    const frame = await client.next();
    types.push(frame.type);
    if (frame.type === 'notice') return types;
  }
}

describe('suspend and ban end the room', () => {
  test('suspend: the peer gets peer_left; the user gets left, restricted, then the notice, and its socket stays open', async () => {
    const { ada, bo, roomId } = await inRoom();
    await decide(bo.auth.user.id, { action: 'suspend', reason: 'Insults.', days: 2 });
    assert.deepEqual(await ada.socket.next('peer_left'), { type: 'peer_left', roomId, reason: 'left' });
    const frames: Array<{ type: string }> = [];
    for (;;) {
      const frame = await bo.socket.next();
      frames.push(frame);
      if (frame.type === 'notice') break;
    }
    assert.deepEqual(
      frames.map((f) => f.type),
      ['left', 'restricted', 'notice'],
    );
    const restricted = RestrictedEvent.parse(frames[1]);
    assert.equal(restricted.restriction.kind, 'suspended');
    assert.equal(restricted.restriction.reason, 'Insults.');
    const { notice } = NoticeEvent.parse(frames[2]);
    assert.equal(notice.kind, 'suspension');
    assert.equal(notice.reason, 'Insults.');
    assert.equal(notice.appealable, true);
    await bo.socket.nothingWithin(200);
    assert.equal(bo.socket.closeCode, undefined);
    // And it cannot queue again.
    bo.socket.send({ type: 'join', categories: ['music'] });
    assert.equal((await bo.socket.next('error')).code, 'restricted');
  });

  test('ban: the peer gets peer_left; the user gets restricted and the notice, then the socket closes with 4003', async () => {
    const { ada, bo, roomId } = await inRoom();
    await decide(bo.auth.user.id, { action: 'ban', reason: 'Threats.' });
    assert.deepEqual(await ada.socket.next('peer_left'), { type: 'peer_left', roomId, reason: 'left' });
    const code = await bo.socket.closed;
    assert.equal(code, CloseCode.banned);
    const types = bo.socket.frames.map((f) => f.type);
    assert.deepEqual(types, ['left', 'restricted', 'notice']);
    const { notice } = NoticeEvent.parse(bo.socket.frames[2]);
    assert.equal(notice.kind, 'ban');
    assert.equal(notice.until, null);
  });

  test('a suspended user waiting in the queue leaves it', async () => {
    const bo = await person('Bo');
    bo.socket.send({ type: 'join', categories: ['books'] });
    await bo.socket.next('queued');
    await decide(bo.auth.user.id, { action: 'suspend', reason: 'Spam.', days: 1 });
    assert.deepEqual(await framesUntilNotice(bo.socket), ['restricted', 'notice']);
    const counts = await waitingCounts(server);
    assert.equal(counts.books ?? 0, 0);
  });
});

describe('notices live', () => {
  test('warn, restore: each notice arrives as a frame, without restricted, and the socket stays open', async () => {
    const bo = await person('Bo');
    await decide(bo.auth.user.id, { action: 'warn', reason: 'Be kind.' });
    const warning = await bo.socket.next();
    assert.equal(warning.type, 'notice');
    assert.equal(NoticeEvent.parse(warning).notice.kind, 'warning');

    await decide(bo.auth.user.id, { action: 'suspend', reason: 'Again.', days: 1 });
    assert.deepEqual(await framesUntilNotice(bo.socket), ['restricted', 'notice']);
    await decide(bo.auth.user.id, { action: 'restore', reason: 'Served.' });
    const restored = await bo.socket.next();
    assert.equal(restored.type, 'notice');
    assert.equal(NoticeEvent.parse(restored).notice.kind, 'restored');
    await bo.socket.nothingWithin(200);
    // And it may meet people again.
    bo.socket.send({ type: 'join', categories: ['music'] });
    await bo.socket.next('queued');
  });

  test('an appeal decision arrives as a notice', async () => {
    const second = await member(server.url, { displayName: 'Second' });
    await makeRole(server, second.email, 'moderator');
    const bo = await person('Bo');
    await decide(bo.auth.user.id, { action: 'suspend', reason: 'Spam.', days: 1 });
    await framesUntilNotice(bo.socket);
    const filed = await api(server.url, 'POST', '/api/appeals', { token: bo.auth.token, body: { text: 'Please.' } });
    assert.equal(filed.status, 201);
    await api(server.url, 'POST', `/api/mod/appeals/${filed.body.appeal.id}`, {
      token: second.token,
      body: { decision: 'overturn', reason: 'Fair.' },
    });
    const frame = await bo.socket.next();
    assert.equal(frame.type, 'notice');
    assert.equal(NoticeEvent.parse(frame).notice.kind, 'appeal_overturned');
  });

  test('automatic suspension: restricted, then an automated suspension notice', async () => {
    const bo = await person('Bo');
    for (const name of ['Ada', 'Cy', 'Di']) {
      const reporter = await person(name);
      reporter.socket.send({ type: 'join', categories: ['music'] });
      await reporter.socket.next('queued');
      bo.socket.send({ type: 'join', categories: ['music'] });
      const matched = await reporter.socket.next('matched');
      await bo.socket.next('matched');
      const response = await api(server.url, 'POST', '/api/reports', {
        token: reporter.auth.token,
        body: { userId: bo.auth.user.id, connectionId: matched.roomId, reason: 'spam' },
      });
      assert.equal(response.status, 201);
      await bo.socket.next('peer_left');
    }
    const restricted = await bo.socket.next();
    assert.equal(restricted.type, 'restricted');
    const frame = await bo.socket.next();
    const { notice } = NoticeEvent.parse(frame);
    assert.equal(notice.kind, 'suspension');
    assert.equal(notice.automated, true);
    assert.equal(notice.appealable, true);
  });
});
