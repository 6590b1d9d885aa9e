import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { useCluster } from './cluster.js';
import { startFakeExpo, type FakeExpo } from './expo-push.js';
import { acquaintances, api, befriend, connect, eventually, sleep } from './harness.js';

/**
 * Pushes across two processes on one Redis and one PostgreSQL: the process that handles the call
 * (or the request) sends the push, exactly once, whichever process the token was registered on,
 * and the device woken connects to either process and answers.
 */
const RING_MS = 8000;
const RECEIPT_DELAY_MS = 1500;

let expo: FakeExpo;
const { skip, nodes, opened } = useCluster(2, async () => {
  expo = await startFakeExpo();
  return {
    RING_TIMEOUT_MS: String(RING_MS),
    RESUME_GRACE_MS: '1000',
    PUSH_ENABLED: 'true',
    EXPO_PUSH_URL: expo.url,
    PUSH_RECEIPT_DELAY_MS: String(RECEIPT_DELAY_MS),
  };
});
after(async () => {
  await expo?.close();
});
afterEach(() => {
  expo.delivered.length = 0;
  expo.attempts.length = 0;
  expo.receiptRequests.length = 0;
});

describe('push across two processes', { skip }, () => {
  test('Ada calls on process 0, Bo registered his phone on process 1 and sleeps: exactly one push; woken on process 1 he answers', async () => {
    const p = await acquaintances(nodes[0]!, nodes[1]!);
    opened.push(p.a.socket, p.b.socket);
    const { a: ada, b: bo } = p;
    await befriend(ada, nodes[0]!, bo, nodes[1]!);
    const token = 'ExponentPushToken[cluster-bo]';
    assert.equal(
      (
        await api(nodes[1]!.url, 'POST', '/api/me/push-tokens', {
          token: bo.auth.token,
          body: { token, platform: 'android' },
        })
      ).status,
      201,
    );
    await bo.socket.close();
    assert.equal((await ada.socket.next('presence')).presence, 'offline');

    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const ringing = await ada.socket.next('call_ringing');
    await eventually('the push', () => expo.delivered.length >= 1);
    await sleep(1000); // a second push from the other process would have arrived by now
    assert.equal(expo.delivered.length, 1, 'one push, not two');
    assert.equal(expo.attempts.length, 1);
    assert.equal(expo.delivered[0]!.to, token);
    assert.equal(expo.delivered[0]!.title, 'Ada');
    assert.equal(expo.delivered[0]!.data.callId, ringing.callId);

    const woken = await connect(nodes[1]!, bo.auth.token);
    opened.push(woken);
    await woken.next('welcome');
    const incoming = await woken.next('incoming_call');
    assert.equal(incoming.callId, ringing.callId);
    woken.send({ type: 'accept_call', callId: incoming.callId });
    const [forAda, forBo] = await Promise.all([ada.socket.next('matched'), woken.next('matched')]);
    assert.equal(forAda.roomId, forBo.roomId);
    assert.equal(expo.delivered.length, 1);
  });

  test('a receipt that says DeviceNotRegistered: the process that sent fetches it once, and the token is gone for both', async () => {
    const p = await acquaintances(nodes[0]!, nodes[1]!);
    opened.push(p.a.socket, p.b.socket);
    const { a: ada, b: bo } = p;
    await befriend(ada, nodes[0]!, bo, nodes[1]!);
    const token = 'ExponentPushToken[cluster-bo-uninstalled]';
    expo.unregisteredLater.add(token);
    assert.equal(
      (
        await api(nodes[1]!.url, 'POST', '/api/me/push-tokens', {
          token: bo.auth.token,
          body: { token, platform: 'ios' },
        })
      ).status,
      201,
    );
    await bo.socket.close();
    assert.equal((await ada.socket.next('presence')).presence, 'offline');

    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const ringing = await ada.socket.next('call_ringing');
    await eventually('the push', () => expo.delivered.length === 1);
    ada.socket.send({ type: 'cancel_call', callId: ringing.callId });
    // The earlier test's receipts may arrive meanwhile: only the fetches naming this push count.
    const { ticketId } = expo.delivered[0]!;
    const fetches = () => expo.receiptRequests.filter((r) => r.ids.includes(ticketId));
    await eventually('the receipts fetch', () => fetches().length >= 1, RECEIPT_DELAY_MS + 5000);
    await sleep(1000); // a second fetch from the other process would have arrived by now
    assert.equal(fetches().length, 1, 'one fetch, by the process that sent');

    // Bo, asleep, can no longer be woken: the next call ends offline at once, and the process he
    // registered on finds no token either.
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    assert.equal((await ada.socket.next('call_ended')).reason, 'offline');
    assert.equal(
      (await api(nodes[1]!.url, 'DELETE', `/api/me/push-tokens/${encodeURIComponent(token)}`, { token: bo.auth.token }))
        .status,
      404,
    );
    assert.equal(expo.delivered.length, 1);
  });

  test('a friend request on process 1 to a user whose phone registered on process 0: exactly one push', async () => {
    const p = await acquaintances(nodes[0]!, nodes[1]!);
    opened.push(p.a.socket, p.b.socket);
    const token = 'ExponentPushToken[cluster-ada]';
    assert.equal(
      (
        await api(nodes[0]!.url, 'POST', '/api/me/push-tokens', {
          token: p.a.auth.token,
          body: { token, platform: 'ios' },
        })
      ).status,
      201,
    );
    await p.a.socket.close();
    await sleep(200);
    const asked = await api(nodes[1]!.url, 'POST', '/api/friends/requests', {
      token: p.b.auth.token,
      body: { userId: p.a.auth.user.id },
    });
    assert.equal(asked.status, 201);
    await eventually('the push', () => expo.delivered.length >= 1);
    await sleep(1000);
    assert.equal(expo.delivered.length, 1);
    assert.deepEqual(expo.delivered[0]!.data, {
      type: 'friend_request',
      requestId: asked.body.request.id,
      fromId: p.b.auth.user.id,
    });
  });
});
