import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FriendsResponse } from '@small-talk/protocol';
import { useCluster, type ClusterNode } from './cluster.js';
import { acquaintances, api, befriend, connect, member } from './harness.js';

/**
 * Friends across two processes on one Redis and one PostgreSQL: requests, presence and ringing
 * reach a friend whose socket is on the other process, and an answered call is a room like any.
 */
const RING_MS = 1500;

const { skip, nodes, opened } = useCluster(2, { RING_TIMEOUT_MS: String(RING_MS), RESUME_GRACE_MS: '2000' });

/** Ada on process 0 and Bo on process 1, who met in a room and left it. */
async function acrossProcesses() {
  const p = await acquaintances(nodes[0]!, nodes[1]!);
  opened.push(p.a.socket, p.b.socket);
  return { ada: p.a, bo: p.b };
}

describe('friends across two processes', { skip }, () => {
  test('a request from one process reaches the friend on the other live; accepting there tells the asker here', async () => {
    const { ada, bo } = await acrossProcesses();
    const sent = await api(nodes[0]!.url, 'POST', '/api/friends/requests', {
      token: ada.auth.token,
      body: { userId: bo.auth.user.id },
    });
    assert.equal(sent.status, 201);
    const { request } = await bo.socket.next('friend_request');
    assert.equal(request.from.id, ada.auth.user.id);
    // Bo answers through the other process.
    const accepted = await api(nodes[1]!.url, 'POST', `/api/friends/requests/${request.id}/accept`, {
      token: bo.auth.token,
    });
    assert.equal(accepted.status, 200);
    assert.equal((await ada.socket.next('friend_added')).friend.user.id, bo.auth.user.id);
    // Either process lists the friendship, with presence.
    const list = FriendsResponse.parse(
      (await api(nodes[1]!.url, 'GET', '/api/friends', { token: ada.auth.token })).body,
    );
    assert.deepEqual(
      list.friends.map((f) => [f.user.id, f.presence]),
      [[bo.auth.user.id, 'online']],
    );
  });

  test('presence changes on one process reach the friend on the other', async () => {
    const { ada, bo } = await acrossProcesses();
    await befriend(ada, nodes[0]!, bo, nodes[1]!);
    await bo.socket.close();
    assert.deepEqual(await ada.socket.next('presence'), {
      type: 'presence',
      userId: bo.auth.user.id,
      presence: 'offline',
    });
    // Bo comes back on Ada's process this time.
    const back = await connect(nodes[0]!, bo.auth.token);
    opened.push(back);
    assert.deepEqual(await ada.socket.next('presence'), {
      type: 'presence',
      userId: bo.auth.user.id,
      presence: 'online',
    });
    const list = async () =>
      FriendsResponse.parse((await api(nodes[1]!.url, 'GET', '/api/friends', { token: bo.auth.token })).body);
    assert.equal((await list()).friends[0]?.presence, 'online');
  });

  test('ringing crosses processes: accept gives both matched (category null) and the room relays across', async () => {
    const { ada, bo } = await acrossProcesses();
    await befriend(ada, nodes[0]!, bo, nodes[1]!);
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const ringing = await ada.socket.next('call_ringing');
    const incoming = await bo.socket.next('incoming_call');
    assert.equal(incoming.callId, ringing.callId);
    bo.socket.send({ type: 'accept_call', callId: incoming.callId });
    const mA = await ada.socket.next('matched');
    const mB = await bo.socket.next('matched');
    assert.equal(mA.roomId, mB.roomId);
    assert.deepEqual([mA.category, mB.category, mA.initiator, mB.initiator], [null, null, true, false]);
    assert.deepEqual(await ada.socket.next('presence'), {
      type: 'presence',
      userId: bo.auth.user.id,
      presence: 'in_call',
    });
    ada.socket.send({ type: 'signal', roomId: mA.roomId, data: { description: { type: 'offer', sdp: 'x' } } });
    assert.equal((await bo.socket.next('signal')).from, ada.auth.user.id);
    bo.socket.send({ type: 'leave', roomId: mA.roomId });
    assert.equal((await ada.socket.next('peer_left')).reason, 'left');
  });

  test("refs and callId across processes: the call's answers name the frame, the room on both processes names the call, and a callId held on one process is refused on the other", async () => {
    const { ada, bo } = await acrossProcesses();
    await befriend(ada, nodes[0]!, bo, nodes[1]!);
    ada.socket.send({ type: 'call', userId: bo.auth.user.id, callId: 'cross-1', ref: 'a1' });
    const ringing = await ada.socket.next('call_ringing');
    assert.deepEqual([ringing.callId, ringing.ref], ['cross-1', 'a1']);
    assert.equal((await bo.socket.next('incoming_call')).callId, 'cross-1');
    // The ring lives in Redis: process 1 refuses its id too, and says which frame it refuses.
    bo.socket.send({ type: 'call', userId: ada.auth.user.id, callId: 'cross-1', ref: 'b1' });
    const refused = await bo.socket.next('error');
    assert.deepEqual([refused.code, refused.ref], ['bad_request', 'b1']);
    bo.socket.send({ type: 'accept_call', callId: 'cross-1', ref: 'b2' });
    const mA = await ada.socket.next('matched');
    const mB = await bo.socket.next('matched');
    assert.equal(mA.roomId, mB.roomId);
    assert.deepEqual([mA.callId, mB.callId], ['cross-1', 'cross-1']);
    ada.socket.send({ type: 'leave', roomId: mA.roomId, ref: 'a2' });
    assert.deepEqual(await ada.socket.next('left'), { type: 'left', roomId: mA.roomId, ref: 'a2' });
    assert.deepEqual(await bo.socket.next('peer_left'), { type: 'peer_left', roomId: mA.roomId, reason: 'left' });
    // Queue answers on the other process echo refs as well.
    bo.socket.send({ type: 'join', categories: ['music'], ref: 'b3' });
    assert.equal((await bo.socket.next('queued')).ref, 'b3');
    bo.socket.send({ type: 'cancel', ref: 'b4' });
    assert.deepEqual(await bo.socket.next('cancelled'), { type: 'cancelled', ref: 'b4' });
  });

  test('declined, busy and no answer reach the caller on the other process', async () => {
    const { ada, bo } = await acrossProcesses();
    await befriend(ada, nodes[0]!, bo, nodes[1]!);
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const first = await bo.socket.next('incoming_call');
    bo.socket.send({ type: 'decline_call', callId: first.callId });
    assert.equal((await ada.socket.next('call_ended')).reason, 'declined');

    // Bo rings on process 1; a ring from process 1's side to Ada meets her ringing: busy.
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const second = await bo.socket.next('incoming_call');
    bo.socket.send({ type: 'call', userId: ada.auth.user.id });
    assert.equal((await bo.socket.next('error')).code, 'busy');
    // Nobody answers: the timer on Ada's process ends it for both.
    const ended = await ada.socket.next('call_ended', RING_MS + 3000);
    assert.deepEqual([ended.callId, ended.reason], [second.callId, 'no_answer']);
    assert.equal((await bo.socket.next('call_ended')).reason, 'no_answer');
    // The ring is gone everywhere: Bo can ring Ada now.
    bo.socket.send({ type: 'call', userId: ada.auth.user.id });
    await bo.socket.next('call_ringing');
    const third = await ada.socket.next('incoming_call');
    ada.socket.send({ type: 'decline_call', callId: third.callId });
    assert.equal((await bo.socket.next('call_ended')).reason, 'declined');
  });

  test('a declined friend request cannot be repeated through the other process', async () => {
    const { ada, bo } = await acrossProcesses();
    const sent = await api(nodes[0]!.url, 'POST', '/api/friends/requests', {
      token: ada.auth.token,
      body: { userId: bo.auth.user.id },
    });
    assert.equal(sent.status, 201);
    const { request } = await bo.socket.next('friend_request');
    assert.equal(
      (await api(nodes[1]!.url, 'POST', `/api/friends/requests/${request.id}/decline`, { token: bo.auth.token }))
        .status,
      204,
    );
    await ada.socket.next('friend_request_closed');
    const again = await api(nodes[1]!.url, 'POST', '/api/friends/requests', {
      token: ada.auth.token,
      body: { userId: bo.auth.user.id },
    });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'request_declined_recently');
  });
});

describe('sessions across two processes', { skip }, () => {
  test('5 wrong passwords on one process: the 6th attempt is throttled on the other too, even with the right password', async () => {
    const ada = await member(nodes[0]!.url);
    const login = (node: ClusterNode, password: string) =>
      api(node.url, 'POST', '/api/auth/login', { body: { email: ada.email, password } });
    for (let i = 0; i < 5; i++)
      assert.equal((await login(nodes[0]!, 'wrong password')).body.error.code, 'invalid_credentials');
    const throttled = await login(nodes[1]!, ada.password);
    assert.equal(throttled.status, 429, JSON.stringify(throttled.body));
    assert.equal(throttled.body.error.code, 'rate_limited');
    assert.equal(throttled.headers.get('retry-after'), '1');
  });
});
