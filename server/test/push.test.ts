import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  acquaintances,
  api,
  befriend,
  closeAndSettle,
  connect,
  eventually,
  sleep,
  startServer,
  type Client,
  type TestServer,
} from './harness.js';
import webPush from 'web-push';
import { ExpoSender } from '../src/push/expo.js';
import { startFakeExpo, type FakeExpo } from './expo-push.js';

/**
 * Push notifications: a device registers its token, and a friend's call or request to a user
 * with no socket open wakes it through the Expo Push API (here a local server speaking its JSON).
 */

const RING_MS = 8000;
/** Expo's receipts are fetched this long after a push (15 minutes in production). */
const RECEIPT_DELAY_MS = 1500;
let expo: FakeExpo;
let server: TestServer;
before(async () => {
  expo = await startFakeExpo();
  server = await startServer({
    RING_TIMEOUT_MS: String(RING_MS),
    RESUME_GRACE_MS: '1000',
    PUSH_ENABLED: 'true',
    EXPO_PUSH_URL: expo.url,
    EXPO_ACCESS_TOKEN: 'expo-secret',
    PUSH_RECEIPT_DELAY_MS: String(RECEIPT_DELAY_MS),
  });
});
after(async () => {
  await server.close();
  await expo.close();
});

let opened: Client[] = [];
afterEach(async () => {
  await closeAndSettle(server, opened);
  opened = [];
  expo.delivered.length = 0;
  expo.attempts.length = 0;
  expo.failNext.length = 0;
  expo.receiptRequests.length = 0;
});

let serial = 0;
const expoToken = () => `ExponentPushToken[test-${++serial}-${Math.random().toString(36).slice(2)}]`;

/** Ada (online) and Bo, friends; Bo registered a phone and closed his socket. */
async function friendsWithBoAsleep(target: TestServer = server) {
  const p = await acquaintances(target);
  opened.push(p.a.socket, p.b.socket);
  await befriend(p.a, target, p.b);
  const token = expoToken();
  const registered = await api(target.url, 'POST', '/api/me/push-tokens', {
    token: p.b.auth.token,
    body: { token, platform: 'ios' },
  });
  assert.equal(registered.status, 201);
  assert.deepEqual(registered.body, {});
  await p.b.socket.close();
  await p.a.socket.next('presence'); // Bo: offline
  return { ada: p.a, bo: p.b, token };
}

describe('push tokens', () => {
  test('register answers 201 {}, delete 204 then 404; bad input is a 400 and no session a 401', async () => {
    const { bo, token } = await friendsWithBoAsleep();
    const again = await api(server.url, 'POST', '/api/me/push-tokens', {
      token: bo.auth.token,
      body: { token, platform: 'ios' },
    });
    assert.equal(again.status, 201);
    for (const body of [
      { token, platform: 'windows' },
      { token: '', platform: 'ios' },
      { token: 'x'.repeat(4097), platform: 'android' },
      { token: '{"endpoint":"http://x"}', platform: 'web' },
      { platform: 'ios' },
    ]) {
      const refused = await api(server.url, 'POST', '/api/me/push-tokens', { token: bo.auth.token, body });
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.equal(refused.body.error.code, 'bad_request');
    }
    assert.equal(
      (await api(server.url, 'POST', '/api/me/push-tokens', { body: { token, platform: 'ios' } })).status,
      401,
    );
    const removed = await api(server.url, 'DELETE', `/api/me/push-tokens/${encodeURIComponent(token)}`, {
      token: bo.auth.token,
    });
    assert.equal(removed.status, 204);
    const gone = await api(server.url, 'DELETE', `/api/me/push-tokens/${encodeURIComponent(token)}`, {
      token: bo.auth.token,
    });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'not_found');
  });

  test('a web subscription registers, and its JSON deletes it through the path', async () => {
    const { bo } = await friendsWithBoAsleep();
    const subscription = JSON.stringify({
      endpoint: 'https://push.example.com/send/abc',
      expirationTime: null,
      keys: { p256dh: 'BNc'.repeat(29), auth: 'tBH'.repeat(7) },
    });
    assert.equal(
      (
        await api(server.url, 'POST', '/api/me/push-tokens', {
          token: bo.auth.token,
          body: { token: subscription, platform: 'web' },
        })
      ).status,
      201,
    );
    assert.equal(
      (
        await api(server.url, 'DELETE', `/api/me/push-tokens/${encodeURIComponent(subscription)}`, {
          token: bo.auth.token,
        })
      ).status,
      204,
    );
  });

  test("only one's own token can be deleted; registering it again moves it to the new owner", async () => {
    const { ada, bo, token } = await friendsWithBoAsleep();
    const foreign = await api(server.url, 'DELETE', `/api/me/push-tokens/${encodeURIComponent(token)}`, {
      token: ada.auth.token,
    });
    assert.equal(foreign.status, 404);
    // The phone changes hands: Ada registers it, Bo no longer owns it.
    assert.equal(
      (
        await api(server.url, 'POST', '/api/me/push-tokens', {
          token: ada.auth.token,
          body: { token, platform: 'android' },
        })
      ).status,
      201,
    );
    assert.equal(
      (await api(server.url, 'DELETE', `/api/me/push-tokens/${encodeURIComponent(token)}`, { token: bo.auth.token }))
        .status,
      404,
    );
    // And a call to Bo (asleep, no token now) ends offline at once.
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    assert.equal((await ada.socket.next('call_ended')).reason, 'offline');
    assert.equal(expo.attempts.length, 0);
  });

  test("logout removes the session's tokens: a call then ends offline and nothing is pushed", async () => {
    const { ada, bo } = await friendsWithBoAsleep();
    assert.equal((await api(server.url, 'POST', '/api/auth/logout', { token: bo.auth.token })).status, 204);
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    assert.equal((await ada.socket.next('call_ended')).reason, 'offline');
    await sleep(300);
    assert.equal(expo.attempts.length, 0);
  });

  test('GET /api/push/config: no VAPID keys, no web push key', async () => {
    const config = await api(server.url, 'GET', '/api/push/config');
    assert.equal(config.status, 200);
    assert.deepEqual(config.body, { webPushKey: null });
  });
});

describe('rings that wake a phone', () => {
  test("a call to an asleep friend rings and pushes once with the caller's name and the ring's id; the woken socket gets incoming_call and answers", async () => {
    const { ada, bo, token } = await friendsWithBoAsleep();
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const ringing = await ada.socket.next('call_ringing');
    await eventually('the push', () => expo.delivered.length === 1);
    const [push] = expo.delivered;
    assert.equal(push!.to, token);
    assert.equal(push!.title, 'Ada');
    assert.deepEqual(push!.data, { type: 'incoming_call', callId: ringing.callId, callerId: ada.auth.user.id });
    assert.equal(push!.priority, 'high');
    assert.equal(push!.sound, 'default');
    assert.equal(push!.ttl, RING_MS / 1000);
    assert.equal(push!.authorization, 'Bearer expo-secret');

    const woken = await connect(server, bo.auth.token);
    opened.push(woken);
    await woken.next('welcome');
    const incoming = await woken.next('incoming_call');
    assert.equal(incoming.callId, ringing.callId);
    assert.equal(incoming.peer.displayName, 'Ada');
    woken.send({ type: 'accept_call', callId: incoming.callId });
    const [forAda, forBo] = await Promise.all([ada.socket.next('matched'), woken.next('matched')]);
    assert.equal(forAda.roomId, forBo.roomId);
    assert.equal(forAda.peer.id, bo.auth.user.id);
    await sleep(300);
    assert.equal(expo.delivered.length, 1, 'one push, not two');
  });

  test('no token: the call ends offline at once, as before', async () => {
    const p = await acquaintances(server);
    opened.push(p.a.socket, p.b.socket);
    await befriend(p.a, server, p.b);
    await p.b.socket.close();
    const started = Date.now();
    p.a.socket.send({ type: 'call', userId: p.b.auth.user.id });
    const ended = await p.a.socket.next('call_ended');
    assert.equal(ended.reason, 'offline');
    assert.ok(Date.now() - started < 1000);
    assert.ok(!p.a.socket.frames.some((f) => f.type === 'call_ringing'));
    assert.equal(expo.attempts.length, 0);
  });

  test('5xx is retried with backoff, and the ring does not wait for it', async () => {
    const { ada, bo } = await friendsWithBoAsleep();
    expo.failNext.push(503, 429);
    const started = Date.now();
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const ringing = await ada.socket.next('call_ringing');
    assert.ok(Date.now() - started < 800, 'call_ringing came before any retry');
    await eventually('the push after two failures', () => expo.delivered.length === 1, 6000);
    assert.equal(expo.attempts.length, 3);
    const [first, second, third] = expo.attempts as [number, number, number];
    assert.ok(second - first >= 900, `first retry after ${second - first} ms`);
    assert.ok(third - second >= 1900, `second retry after ${third - second} ms: the wait grows`);
    assert.equal(expo.delivered[0]!.data.callId, ringing.callId);
    ada.socket.send({ type: 'cancel_call', callId: ringing.callId });
    await sleep(200);
  });

  test('a ring cancelled before an answer sends nothing more: its pending retry is dropped', async () => {
    const { ada, bo } = await friendsWithBoAsleep();
    expo.failNext.push(503, 503, 503);
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const ringing = await ada.socket.next('call_ringing');
    await eventually('the first attempt', () => expo.attempts.length === 1);
    ada.socket.send({ type: 'cancel_call', callId: ringing.callId });
    await sleep(3500); // past the first two retries' times
    assert.equal(expo.attempts.length, 1);
    assert.equal(expo.delivered.length, 0);
    expo.failNext.length = 0;
    // And Bo, opening the app now, is rung by nothing.
    const late = await connect(server, bo.auth.token);
    opened.push(late);
    await late.next('welcome');
    await late.nothingWithin(300);
  });

  test('a token the service reports DeviceNotRegistered is deleted: the next call ends offline', async () => {
    const { ada, bo, token } = await friendsWithBoAsleep();
    expo.unregistered.add(token);
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const ringing = await ada.socket.next('call_ringing');
    await eventually('the attempt', () => expo.attempts.length === 1);
    await sleep(300); // the answer is read and the token deleted meanwhile
    ada.socket.send({ type: 'cancel_call', callId: ringing.callId });
    await sleep(200);
    // Bo has no token left: the next call ends offline at once, and his DELETE finds nothing.
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    assert.equal((await ada.socket.next('call_ended')).reason, 'offline');
    assert.equal(
      (await api(server.url, 'DELETE', `/api/me/push-tokens/${encodeURIComponent(token)}`, { token: bo.auth.token }))
        .status,
      404,
    );
    assert.equal(expo.attempts.length, 1, 'not retried');
    assert.equal(expo.delivered.length, 0);
  });
});

describe('push receipts', () => {
  test('a token Expo took but whose receipt says DeviceNotRegistered is deleted once the receipts are fetched; the other phone stays', async () => {
    const { ada, bo, token: dead } = await friendsWithBoAsleep();
    // Bo's second phone: its receipt is ok.
    const alive = expoToken();
    assert.equal(
      (
        await api(server.url, 'POST', '/api/me/push-tokens', {
          token: bo.auth.token,
          body: { token: alive, platform: 'android' },
        })
      ).status,
      201,
    );
    expo.unregisteredLater.add(dead);

    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const ringing = await ada.socket.next('call_ringing');
    await eventually('both pushes', () => expo.delivered.length === 2);
    const pushedAt = Date.now();
    ada.socket.send({ type: 'cancel_call', callId: ringing.callId });
    // Earlier tests' receipts may arrive meanwhile: only the fetches naming these pushes count.
    const tickets = expo.delivered.map((push) => push.ticketId);
    const fetches = () => expo.receiptRequests.filter((r) => r.ids.some((id) => tickets.includes(id)));
    // Expo took both: until the receipts are read, the dead phone is still Bo's.
    assert.equal(fetches().length, 0, 'no receipt asked for before the delay');

    await eventually('the receipts fetch', () => fetches().length === 1, RECEIPT_DELAY_MS + 5000);
    const [fetch] = fetches();
    assert.ok(fetch!.at - pushedAt >= RECEIPT_DELAY_MS - 300, `fetched ${fetch!.at - pushedAt} ms after the push`);
    assert.deepEqual([...fetch!.ids].sort(), [...tickets].sort(), 'one fetch for both tickets');
    assert.equal(fetch!.authorization, 'Bearer expo-secret');
    await sleep(300); // the answer is read and the token deleted meanwhile

    assert.equal(
      (await api(server.url, 'DELETE', `/api/me/push-tokens/${encodeURIComponent(dead)}`, { token: bo.auth.token }))
        .status,
      404,
      'the dead phone is forgotten',
    );
    expo.delivered.length = 0;
    ada.socket.send({ type: 'call', userId: bo.auth.user.id });
    const second = await ada.socket.next('call_ringing');
    await eventually('the push to the phone left', () => expo.delivered.length === 1);
    assert.equal(expo.delivered[0]!.to, alive);
    ada.socket.send({ type: 'cancel_call', callId: second.callId });
    await sleep(200);
  });

  test('receipts are asked for in batches of at most 1000 ids, and ids Expo does not know are left out', async () => {
    const sender = new ExpoSender(expo.url, undefined);
    const ids = Array.from({ length: 2500 }, (_, i) => `unknown-${i}`);
    const receipts = await sender.receipts(ids);
    assert.equal(receipts.size, 0);
    const mine = expo.receiptRequests.filter((r) => r.ids[0]!.startsWith('unknown-'));
    assert.deepEqual(
      mine.map((r) => r.ids.length),
      [1000, 1000, 500],
    );
    assert.deepEqual(
      mine.flatMap((r) => r.ids),
      ids,
    );
  });
});

describe('friend requests that wake a phone', () => {
  test('a request to a user with no socket pushes once; one with a socket open pushes nothing', async () => {
    const p = await acquaintances(server);
    opened.push(p.a.socket, p.b.socket);
    const token = expoToken();
    assert.equal(
      (
        await api(server.url, 'POST', '/api/me/push-tokens', {
          token: p.b.auth.token,
          body: { token, platform: 'android' },
        })
      ).status,
      201,
    );
    // Online: the socket tells him, no push.
    const online = await api(server.url, 'POST', '/api/friends/requests', {
      token: p.a.auth.token,
      body: { userId: p.b.auth.user.id },
    });
    assert.equal(online.status, 201);
    await p.b.socket.next('friend_request');
    await sleep(300);
    assert.equal(expo.attempts.length, 0);
    assert.equal(
      (await api(server.url, 'DELETE', `/api/friends/requests/${online.body.request.id}`, { token: p.a.auth.token }))
        .status,
      204,
    );

    await p.b.socket.close();
    await sleep(100);
    const asked = await api(server.url, 'POST', '/api/friends/requests', {
      token: p.a.auth.token,
      body: { userId: p.b.auth.user.id },
    });
    assert.equal(asked.status, 201);
    await eventually('the push', () => expo.delivered.length === 1);
    assert.equal(expo.delivered[0]!.to, token);
    assert.equal(expo.delivered[0]!.title, 'Ada');
    assert.deepEqual(expo.delivered[0]!.data, {
      type: 'friend_request',
      requestId: asked.body.request.id,
      fromId: p.a.auth.user.id,
    });
    await sleep(300);
    assert.equal(expo.delivered.length, 1);
  });
});

describe('PUSH_ENABLED=false', () => {
  test('nothing is sent: a call to an asleep friend with a token ends offline, a request pushes nothing', async () => {
    const quiet = await startServer({ PUSH_ENABLED: 'false', EXPO_PUSH_URL: expo.url });
    const mine: Client[] = [];
    try {
      const p = await acquaintances(quiet);
      mine.push(p.a.socket, p.b.socket);
      await befriend(p.a, quiet, p.b);
      assert.equal(
        (
          await api(quiet.url, 'POST', '/api/me/push-tokens', {
            token: p.b.auth.token,
            body: { token: expoToken(), platform: 'ios' },
          })
        ).status,
        201,
      );
      await p.b.socket.close();
      await p.a.socket.next('presence');
      p.a.socket.send({ type: 'call', userId: p.b.auth.user.id });
      assert.equal((await p.a.socket.next('call_ended')).reason, 'offline');
      await api(quiet.url, 'DELETE', `/api/friends/${p.b.auth.user.id}`, { token: p.a.auth.token });
      const asked = await api(quiet.url, 'POST', '/api/friends/requests', {
        token: p.a.auth.token,
        body: { userId: p.b.auth.user.id },
      });
      assert.equal(asked.status, 201);
      await sleep(500);
      assert.equal(expo.attempts.length, 0);
    } finally {
      await closeAndSettle(quiet, mine);
      await quiet.close();
    }
  });
});

describe('web push (VAPID)', () => {
  /** A local HTTPS push service (a self-signed certificate, trusted for this suite only). */
  let pushService: https.Server;
  let pushUrl: string;
  const received: Array<{ path: string; headers: http.IncomingHttpHeaders; bytes: number }> = [];
  const gone = new Set<string>();
  let webServer: TestServer;
  const vapid = webPush.generateVAPIDKeys();
  let trust: string | undefined;

  before(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-push-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    pushService = https.createServer(
      { key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) },
      (request, response) => {
        let bytes = 0;
        request.on('data', (chunk: Buffer) => (bytes += chunk.length));
        request.on('end', () => {
          received.push({ path: request.url!, headers: request.headers, bytes });
          response.writeHead(gone.has(request.url!) ? 410 : 201).end();
        });
      },
    );
    await new Promise<void>((resolve) => pushService.listen(0, '127.0.0.1', resolve));
    pushUrl = `https://127.0.0.1:${(pushService.address() as AddressInfo).port}`;
    fs.rmSync(dir, { recursive: true, force: true });
    trust = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    webServer = await startServer({
      RING_TIMEOUT_MS: String(RING_MS),
      PUSH_ENABLED: 'true',
      EXPO_PUSH_URL: expo.url,
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: 'mailto:ops@chat.example',
    });
  });
  after(async () => {
    if (trust === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = trust;
    await webServer.close();
    await new Promise((resolve) => pushService.close(resolve));
  });

  /** A browser's subscription: a real P-256 key and auth secret, as PushManager.subscribe makes them. */
  function subscription(name: string): string {
    const ecdh = crypto.createECDH('prime256v1');
    ecdh.generateKeys();
    return JSON.stringify({
      endpoint: `${pushUrl}/push/${name}`,
      expirationTime: null,
      keys: { p256dh: ecdh.getPublicKey('base64url'), auth: crypto.randomBytes(16).toString('base64url') },
    });
  }

  test('the key is offered to the app; a call to an asleep friend with a subscription sends one signed, encrypted push; a 410 deletes it', async () => {
    assert.deepEqual((await api(webServer.url, 'GET', '/api/push/config')).body, { webPushKey: vapid.publicKey });
    const p = await acquaintances(webServer);
    const mine = [p.a.socket, p.b.socket];
    try {
      await befriend(p.a, webServer, p.b);
      const token = subscription('bo');
      assert.equal(
        (
          await api(webServer.url, 'POST', '/api/me/push-tokens', {
            token: p.b.auth.token,
            body: { token, platform: 'web' },
          })
        ).status,
        201,
      );
      await p.b.socket.close();
      await p.a.socket.next('presence');
      p.a.socket.send({ type: 'call', userId: p.b.auth.user.id });
      const ringing = await p.a.socket.next('call_ringing');
      await eventually('the web push', () => received.length === 1, 5000);
      const [push] = received;
      assert.equal(push!.path, '/push/bo');
      assert.equal(push!.headers.ttl, String(RING_MS / 1000));
      assert.equal(push!.headers.urgency, 'high');
      assert.equal(push!.headers['content-encoding'], 'aes128gcm');
      assert.match(String(push!.headers.authorization), new RegExp(`^vapid t=[^,]+, k=${vapid.publicKey}$`));
      assert.ok(push!.bytes > 100, 'an encrypted payload');
      assert.equal(expo.attempts.length, 0, 'a web token goes to the web, not to Expo');
      p.a.socket.send({ type: 'cancel_call', callId: ringing.callId });
      await sleep(200);

      // The browser dropped the subscription: the push service answers 410, and it is deleted.
      gone.add('/push/bo');
      p.a.socket.send({ type: 'call', userId: p.b.auth.user.id });
      const again = await p.a.socket.next('call_ringing');
      await eventually('the second push', () => received.length === 2, 5000);
      await sleep(300);
      p.a.socket.send({ type: 'cancel_call', callId: again.callId });
      await sleep(200);
      p.a.socket.send({ type: 'call', userId: p.b.auth.user.id });
      assert.equal((await p.a.socket.next('call_ended')).reason, 'offline');
      assert.equal(
        (
          await api(webServer.url, 'DELETE', `/api/me/push-tokens/${encodeURIComponent(token)}`, {
            token: p.b.auth.token,
          })
        ).status,
        404,
      );

      // A subscription nobody can encrypt for (a key of the wrong length) is deleted, not retried.
      const broken = JSON.stringify({
        endpoint: `${pushUrl}/push/broken`,
        keys: { p256dh: 'c2hvcnQ', auth: 'c2hvcnQ' },
      });
      assert.equal(
        (
          await api(webServer.url, 'POST', '/api/me/push-tokens', {
            token: p.b.auth.token,
            body: { token: broken, platform: 'web' },
          })
        ).status,
        201,
      );
      p.a.socket.send({ type: 'call', userId: p.b.auth.user.id });
      const third = await p.a.socket.next('call_ringing');
      await sleep(1500); // past the first retry's time, had it been retried
      p.a.socket.send({ type: 'cancel_call', callId: third.callId });
      await sleep(200);
      p.a.socket.send({ type: 'call', userId: p.b.auth.user.id });
      assert.equal((await p.a.socket.next('call_ended')).reason, 'offline');
      assert.equal(
        (
          await api(webServer.url, 'DELETE', `/api/me/push-tokens/${encodeURIComponent(broken)}`, {
            token: p.b.auth.token,
          })
        ).status,
        404,
      );
      assert.equal(received.length, 2, 'nothing reached the push service for it');
    } finally {
      await closeAndSettle(webServer, mine);
    }
  });
});
