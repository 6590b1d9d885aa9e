import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { closeAndSettle, pair, startServer, user, waitingCounts, type Client, type TestServer } from './harness.js';

/**
 * Every error code a frame can earn (bad_request, unknown_category, busy, not_in_room; rate_limited
 * is in ws-limits), its frame shape, and that the socket stays open and keeps working after it.
 */

let server: TestServer;
before(async () => {
  server = await startServer({
    // Some tests send dozens of bad frames from one socket; keep them clear of the rate limit,
    // which ws-limits tests on its own.
    WS_RATE_LIMIT: '1000',
  });
});
after(() => server.close());

let opened: Client[] = [];
afterEach(async () => {
  await closeAndSettle(server, opened);
  opened = [];
});

async function person(displayName: string): Promise<Client> {
  const { socket } = await user(server, displayName);
  opened.push(socket);
  return socket;
}

async function room(category = 'music') {
  const p = await pair(server, category);
  opened.push(p.a.socket, p.b.socket);
  return p;
}

/** The next frame is exactly {type:'error', code, message} with a message for humans. */
async function expectError(client: Client, code: string, what: string): Promise<void> {
  const frame = await client.next();
  assert.equal(frame.type, 'error', `${what}: got ${JSON.stringify(frame)}`);
  if (frame.type !== 'error') return;
  assert.deepEqual(frame, { type: 'error', code, message: frame.message }, what);
  assert.equal(typeof frame.message, 'string');
  assert.ok(frame.message.length > 0, `${what}: the message says what went wrong`);
}

/** Still open and still served: a cancel gets its answer. */
async function expectOpen(client: Client, what: string): Promise<void> {
  client.send({ type: 'cancel' });
  assert.deepEqual(await client.next(), { type: 'cancelled' }, `${what}: socket still served`);
  assert.equal(client.closeCode, undefined, `${what}: socket still open`);
}

describe('bad_request', () => {
  test('invalid JSON → bad_request, socket stays open', async () => {
    const socket = await person('Ada');
    for (const text of ['{', 'not json', '', '{"type":"join",}', "{'type':'cancel'}", '{"type":"cancel"} trailing']) {
      socket.send(text);
      await expectError(socket, 'bad_request', JSON.stringify(text));
      await expectOpen(socket, JSON.stringify(text));
    }
  });

  test('a binary frame → bad_request (even with valid JSON inside), socket stays open', async () => {
    const socket = await person('Ada');
    socket.ws.send(Buffer.from(JSON.stringify({ type: 'cancel' })), { binary: true });
    await expectError(socket, 'bad_request', 'binary JSON');
    await expectOpen(socket, 'binary JSON');
    socket.ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
    await expectError(socket, 'bad_request', 'binary bytes');
    await expectOpen(socket, 'binary bytes');
  });

  test('JSON that is not an object with a known type → bad_request, socket stays open', async () => {
    const socket = await person('Ada');
    for (const text of [
      '42',
      'null',
      'true',
      '"cancel"',
      '[]',
      '[{"type":"cancel"}]',
      '{}',
      '{"type":"hello"}',
      '{"type":5}',
      '{"type":null}',
      '{"categories":["music"]}',
    ]) {
      socket.send(text);
      await expectError(socket, 'bad_request', text);
      await expectOpen(socket, text);
    }
  });

  test('frames failing the schema → bad_request, socket stays open', async () => {
    const socket = await person('Ada');
    const bad: unknown[] = [
      { type: 'join' },
      { type: 'join', categories: 'music' },
      { type: 'join', categories: [1] },
      { type: 'join', categories: ['Music'] },
      { type: 'join', categories: ['rock & roll'] },
      { type: 'join', categories: [''] },
      { type: 'join', categories: Array.from({ length: 11 }, () => 'music') },
      { type: 'signal', data: {} },
      { type: 'signal', roomId: 'r' },
      { type: 'signal', roomId: '', data: {} },
      { type: 'signal', roomId: 'r'.repeat(65), data: {} },
      { type: 'signal', roomId: 7, data: {} },
      { type: 'chat', roomId: 'r' },
      { type: 'chat', roomId: 'r', text: '' },
      { type: 'chat', roomId: 'r', text: 'x'.repeat(1001) },
      { type: 'chat', roomId: 'r', text: 42 },
      { type: 'typing' },
      { type: 'leave' },
      { type: 'leave', roomId: null },
    ];
    for (const frame of bad) {
      socket.send(frame);
      await expectError(socket, 'bad_request', JSON.stringify(frame).slice(0, 80));
    }
    await expectOpen(socket, 'after schema failures');
  });

  test('join with an empty category list → bad_request, and the user is not queued', async () => {
    const socket = await person('Ada');
    socket.send({ type: 'join', categories: [] });
    await expectError(socket, 'bad_request', 'empty categories');
    assert.ok(Object.values(await waitingCounts(server)).every((n) => n === 0));
    // A valid join still works after it.
    socket.send({ type: 'join', categories: ['music'] });
    assert.deepEqual(await socket.next(), { type: 'queued', categories: ['music'] });
  });

  test('a bad frame in a room does not reach the peer or end the room', async () => {
    const { a, b, roomId } = await room();
    a.socket.send('{oops');
    await expectError(a.socket, 'bad_request', 'invalid JSON in a room');
    a.socket.send({ type: 'chat', roomId, text: '' });
    await expectError(a.socket, 'bad_request', 'empty chat');
    await b.socket.nothingWithin(100);
    a.socket.send({ type: 'signal', roomId, data: 'still here' });
    assert.equal((await b.socket.next()).type, 'signal');
  });
});

describe('unknown_category', () => {
  test('join with an unknown slug → unknown_category, not queued anywhere, socket stays open', async () => {
    const socket = await person('Ada');
    socket.send({ type: 'join', categories: ['music', 'knitting'] });
    await expectError(socket, 'unknown_category', 'knitting');
    assert.ok(
      Object.values(await waitingCounts(server)).every((n) => n === 0),
      'not queued in music either',
    );
    await expectOpen(socket, 'unknown_category');
    socket.send({ type: 'join', categories: ['knitting'] });
    await expectError(socket, 'unknown_category', 'knitting alone');
    socket.send({ type: 'join', categories: ['music'] });
    assert.deepEqual(await socket.next(), { type: 'queued', categories: ['music'] });
  });
});

describe('busy', () => {
  test('join while in a room → busy; the room carries on, socket stays open', async () => {
    const { a, b, roomId } = await room();
    for (const categories of [['music'], ['books', 'tech']]) {
      a.socket.send({ type: 'join', categories });
      await expectError(a.socket, 'busy', `join ${categories.join(',')}`);
    }
    b.socket.send({ type: 'join', categories: ['music'] });
    await expectError(b.socket, 'busy', 'peer joins');
    assert.ok(
      Object.values(await waitingCounts(server)).every((n) => n === 0),
      'nobody queued by a busy join',
    );
    a.socket.send({ type: 'signal', roomId, data: 'room intact' });
    assert.deepEqual((await b.socket.next('signal')).data, 'room intact');
    await expectOpen(a.socket, 'busy');
  });
});

describe('not_in_room', () => {
  test('signal, chat, typing, leave outside any room → not_in_room, socket stays open', async () => {
    const socket = await person('Ada');
    for (const frame of [
      { type: 'signal', roomId: 'no-such-room', data: {} },
      { type: 'chat', roomId: 'no-such-room', text: 'hello?' },
      { type: 'typing', roomId: 'no-such-room' },
      { type: 'leave', roomId: 'no-such-room' },
    ]) {
      socket.send(frame);
      await expectError(socket, 'not_in_room', frame.type);
      await expectOpen(socket, frame.type);
    }
  });

  test('signal, chat, typing, leave with a wrong roomId while in a room → not_in_room; the room carries on', async () => {
    const { a, b, roomId } = await room();
    for (const frame of [
      { type: 'signal', roomId: 'wrong-room', data: {} },
      { type: 'chat', roomId: 'wrong-room', text: 'hello?' },
      { type: 'typing', roomId: 'wrong-room' },
      { type: 'leave', roomId: 'wrong-room' },
    ]) {
      a.socket.send(frame);
      await expectError(a.socket, 'not_in_room', frame.type);
    }
    await b.socket.nothingWithin(100);
    a.socket.send({ type: 'typing', roomId });
    assert.equal((await b.socket.next()).type, 'typing');
    await expectOpen(a.socket, 'wrong roomId');
  });

  test("another pair's real roomId → not_in_room, and nothing reaches that room", async () => {
    const { a, b, roomId } = await room('books');
    const intruder = await person('Intruder');
    for (const frame of [
      { type: 'signal', roomId, data: { sdp: 'forged' } },
      { type: 'chat', roomId, text: 'hi from outside' },
      { type: 'typing', roomId },
      { type: 'leave', roomId },
    ]) {
      intruder.send(frame);
      await expectError(intruder, 'not_in_room', `intruder ${frame.type}`);
    }
    await a.socket.nothingWithin(100);
    await b.socket.nothingWithin(0);
    // The room was not ended by the intruder's leave.
    b.socket.send({ type: 'chat', roomId, text: 'still together' });
    assert.equal((await a.socket.next('chat')).text, 'still together');
  });
});
