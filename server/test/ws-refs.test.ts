import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  acquaintances,
  befriend,
  closeAndSettle,
  connect,
  pair,
  startServer,
  user,
  type Client,
  type TestServer,
} from './harness.js';

/**
 * Requests and their answers: a frame's `ref` comes back on the frame that answers it (`queued`,
 * `cancelled`, `left`, `call_ringing`, `error`), and a frame without one is answered as in
 * protocol v1. A `call` may name its ring (`callId`), and the room it becomes says so.
 */

let server: TestServer;
before(async () => {
  server = await startServer({ RESUME_GRACE_MS: '2000' });
});
after(() => server.close());

let opened: Client[] = [];
afterEach(async () => {
  await closeAndSettle(server, opened);
  opened = [];
});

async function someone(name: string) {
  const u = await user(server, name);
  opened.push(u.socket);
  return u;
}

/** Ada and Bo, friends, both online and in no room. */
async function friends() {
  const p = await acquaintances(server);
  opened.push(p.a.socket, p.b.socket);
  await befriend(p.a, server, p.b);
  return { ada: p.a, bo: p.b };
}

describe('ref', () => {
  test('join, cancel: queued and cancelled echo the ref; without one they are exactly as in v1', async () => {
    const ada = await someone('Ada');
    ada.socket.send({ type: 'join', categories: ['music'], ref: 'j1' });
    assert.deepEqual(await ada.socket.next('queued'), { type: 'queued', categories: ['music'], ref: 'j1' });
    ada.socket.send({ type: 'cancel', ref: 'c1' });
    assert.deepEqual(await ada.socket.next('cancelled'), { type: 'cancelled', ref: 'c1' });
    ada.socket.send({ type: 'join', categories: ['music'] });
    assert.deepEqual(await ada.socket.next('queued'), { type: 'queued', categories: ['music'] });
    ada.socket.send({ type: 'cancel' });
    assert.deepEqual(await ada.socket.next('cancelled'), { type: 'cancelled' });
  });

  test("leave: left echoes the ref, the peer's peer_left has none", async () => {
    const { a, b, roomId } = await pair(server, 'books');
    opened.push(a.socket, b.socket);
    a.socket.send({ type: 'leave', roomId, ref: 'bye' });
    assert.deepEqual(await a.socket.next('left'), { type: 'left', roomId, ref: 'bye' });
    assert.deepEqual(await b.socket.next('peer_left'), { type: 'peer_left', roomId, reason: 'left' });
  });

  test('errors answer the frame that earned them: a refused join, a leave of another room, a frame the schema refuses', async () => {
    const p = await pair(server, 'travel');
    const [a, b, roomId] = [p.a.socket, p.b.socket, p.roomId];
    opened.push(a, b);
    a.send({ type: 'join', categories: ['music'], ref: 'again' });
    assert.deepEqual(await a.next('error'), {
      type: 'error',
      code: 'busy',
      message: 'leave your room before joining again',
      ref: 'again',
    });
    a.send({ type: 'leave', roomId: 'not-this-one', ref: 'L' });
    const notInRoom = await a.next('error');
    assert.deepEqual([notInRoom.code, notInRoom.ref], ['not_in_room', 'L']);
    // Refused for its shape (no categories), the frame still named itself.
    a.send({ type: 'join', ref: 'broken' });
    const bad = await a.next('error');
    assert.deepEqual([bad.code, bad.ref], ['bad_request', 'broken']);
    // A ref that is itself invalid is not echoed: the answer cannot name what is not a ref.
    a.send({ type: 'cancel', ref: 'x'.repeat(65) });
    const tooLong = await a.next('error');
    assert.equal(tooLong.code, 'bad_request');
    assert.equal('ref' in tooLong, false);
    // Without a ref, an error is as in v1.
    a.send({ type: 'join', categories: ['music'] });
    assert.deepEqual(Object.keys(await a.next('error')).sort(), ['code', 'message', 'type']);
    // Frames that are answered by nothing stay unanswered with a ref too: the room still relays.
    a.send({ type: 'chat', roomId, text: 'still here', ref: 'm1' });
    assert.equal((await b.next('chat')).text, 'still here');
    await a.nothingWithin(100);
  });

  test('several requests on the wire: each answer names its own', async () => {
    const ada = await someone('Ada');
    ada.socket.send({ type: 'join', categories: ['music'], ref: 'r1' });
    ada.socket.send({ type: 'join', categories: ['nope-no-such-category'], ref: 'r2' });
    ada.socket.send({ type: 'cancel', ref: 'r3' });
    const answers = [await ada.socket.next(), await ada.socket.next(), await ada.socket.next()];
    assert.deepEqual(
      answers.map((f) => [f.type, (f as { ref?: string }).ref]),
      [
        ['queued', 'r1'],
        ['error', 'r2'],
        ['cancelled', 'r3'],
      ],
    );
  });
});

describe('callId', () => {
  test('the caller names the ring: call_ringing and incoming_call carry it, and both matched of the room it becomes', async () => {
    const { ada, bo } = await friends();
    ada.socket.send({ type: 'call', userId: bo.auth.user.id, callId: 'ada-call-1', ref: 'ring' });
    const ringing = await ada.socket.next('call_ringing');
    assert.deepEqual([ringing.callId, ringing.ref], ['ada-call-1', 'ring']);
    assert.equal((await bo.socket.next('incoming_call')).callId, 'ada-call-1');
    bo.socket.send({ type: 'accept_call', callId: 'ada-call-1' });
    const [mA, mB] = [await ada.socket.next('matched'), await bo.socket.next('matched')];
    assert.deepEqual([mA.callId, mB.callId], ['ada-call-1', 'ada-call-1']);
    assert.equal(mA.roomId, mB.roomId);
    // The room given back after a reconnect still names its call.
    await bo.socket.drop();
    const back = await connect(server, bo.auth.token);
    opened.push(back);
    const resumed = await back.next('matched');
    assert.deepEqual([resumed.roomId, resumed.resumed, resumed.callId], [mA.roomId, true, 'ada-call-1']);
    back.send({ type: 'leave', roomId: mA.roomId });
    await ada.socket.next('peer_left');
  });

  test('without callId the server names the ring, as in v1; rooms made by matching carry none', async () => {
    const { ada, bo } = await friends();
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const ringing = await ada.socket.next('call_ringing');
    assert.equal('ref' in ringing, false);
    bo.socket.send({ type: 'accept_call', callId: ringing.callId });
    const matched = await ada.socket.next('matched');
    assert.equal(matched.callId, ringing.callId);
    await bo.socket.next('matched');
    ada.socket.send({ type: 'leave', roomId: matched.roomId });
    await bo.socket.next('peer_left');
    const p = await pair(server, 'movies');
    opened.push(p.a.socket, p.b.socket);
    assert.equal('callId' in p.matchedA, false);
    assert.equal('callId' in p.matchedB, false);
  });

  test('a callId another ring has is refused with bad_request, with the ref; the ring that has it goes on', async () => {
    const { ada, bo } = await friends();
    ada.socket.send({ type: 'call', userId: bo.auth.user.id, callId: 'shared-id' });
    await ada.socket.next('call_ringing');
    assert.equal((await bo.socket.next('incoming_call')).callId, 'shared-id');
    // Bo calls back with the same id: the id is looked at before anything else (busy, here).
    bo.socket.send({ type: 'call', userId: ada.auth.user.id, callId: 'shared-id', ref: 'mine' });
    const refused = await bo.socket.next('error');
    assert.deepEqual([refused.code, refused.ref], ['bad_request', 'mine']);
    bo.socket.send({ type: 'decline_call', callId: 'shared-id' });
    assert.deepEqual((await ada.socket.next('call_ended')).reason, 'declined');
    // Ended, the id is free again.
    ada.socket.send({ type: 'call', userId: bo.auth.user.id, callId: 'shared-id', ref: 'again' });
    assert.equal((await ada.socket.next('call_ringing')).ref, 'again');
    ada.socket.send({ type: 'cancel_call', callId: 'shared-id' });
    assert.equal((await bo.socket.next('call_ended')).reason, 'cancelled');
  });

  test('a callId longer than 64 characters is refused by the schema', async () => {
    const { ada, bo } = await friends();
    ada.socket.send({ type: 'call', userId: bo.auth.user.id, callId: 'c'.repeat(65), ref: 'long' });
    const refused = await ada.socket.next('error');
    assert.deepEqual([refused.code, refused.ref], ['bad_request', 'long']);
  });
});
