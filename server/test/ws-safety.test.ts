import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  acquaintances,
  api,
  befriend,
  closeAndSettle,
  connect,
  consent,
  guest,
  startServer,
  user,
  waitingCounts,
  type Client,
  type TestServer,
  restrict,
} from './harness.js';

/** The age and rules gate on the socket: `welcome` shows the user's standing; join and call wait for consent and refuse the restricted. */

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

async function unconsented(name: string) {
  const auth = await guest(server.url, name, { consent: false });
  const socket = await connect(server, auth.token);
  opened.push(socket);
  return { auth, socket, welcome: await socket.next('welcome') };
}

/** The callee was never rung. Presence frames may still arrive (on Redis a friend's coming online can land late); a ring may not. */
async function neverRung(callee: Client): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(
    callee.frames.find((frame) => frame.type === 'incoming_call'),
    undefined,
    'the callee was rung',
  );
}

describe('join behind the gate', () => {
  test('welcome carries consent and restriction: null before the rules are accepted, the consent after', async () => {
    const ada = await unconsented('Ada');
    assert.equal(ada.welcome.user.consent, null);
    assert.equal(ada.welcome.user.restriction, null);
    await consent(server.url, ada.auth.token);
    const again = await connect(server, ada.auth.token);
    opened.push(again);
    const welcome = await again.next('welcome');
    assert.equal(welcome.user.consent?.rulesVersion, 1);
  });

  test('join before consent: error consent_required, and the user is not queued; after consent it is', async () => {
    const ada = await unconsented('Ada');
    ada.socket.send({ type: 'join', categories: ['music'] });
    const error = await ada.socket.next('error');
    assert.equal(error.code, 'consent_required');
    assert.equal((await waitingCounts(server)).music, 0);
    // Someone already waiting is not matched with her either.
    const bo = await user(server, 'Bo');
    opened.push(bo.socket);
    bo.socket.send({ type: 'join', categories: ['music'] });
    await bo.socket.next('queued');
    ada.socket.send({ type: 'join', categories: ['music'] });
    assert.equal((await ada.socket.next('error')).code, 'consent_required');
    await bo.socket.nothingWithin(200);

    await consent(server.url, ada.auth.token);
    ada.socket.send({ type: 'join', categories: ['music'] });
    await ada.socket.next('queued');
    assert.equal((await ada.socket.next('matched')).peer.id, bo.auth.user.id);
  });

  test('a restricted user with consent: join answers restricted, and it is not queued', async () => {
    const ada = await user(server, 'Ada');
    opened.push(ada.socket);
    await restrict(server, ada.auth.user.id, { kind: 'banned', reason: 'Repeated nudity.' });
    ada.socket.send({ type: 'join', categories: ['music'] });
    assert.equal((await ada.socket.next('error')).code, 'restricted');
    assert.equal((await waitingCounts(server)).music, 0);
  });

  test('an adult who joined, then answers the rules screen with a child’s birth date: the next join answers restricted', async () => {
    const ada = await user(server, 'Ada');
    opened.push(ada.socket);
    ada.socket.send({ type: 'join', categories: ['music'] });
    await ada.socket.next('queued');
    ada.socket.send({ type: 'cancel' });
    await ada.socket.next('cancelled');
    const rules = await api(server.url, 'GET', '/api/rules');
    const child = `${new Date().getUTCFullYear() - 10}-01-01`;
    const answer = await api(server.url, 'POST', '/api/me/consent', {
      token: ada.auth.token,
      body: { birthDate: child, rulesVersion: rules.body.version },
    });
    assert.equal(answer.status, 403);
    ada.socket.send({ type: 'join', categories: ['music'] });
    const error = await ada.socket.next('error');
    assert.equal(error.code, 'restricted');
    assert.equal((await waitingCounts(server)).music, 0);
  });

  test('joins landing together, one from a suspended user: the others match each other, it gets restricted', async () => {
    const people = await Promise.all(['Ada', 'Bo', 'Cy', 'Di', 'Ed', 'Flo', 'Sus'].map((name) => user(server, name)));
    opened.push(...people.map((p) => p.socket));
    const suspended = people.at(-1)!;
    const others = people.slice(0, -1);
    await restrict(server, suspended.auth.user.id);
    // Sent in one go, so the server reads them in one turn: their standings are read together.
    for (const p of people) p.socket.send({ type: 'join', categories: ['music'] });
    assert.equal((await suspended.socket.next('error')).code, 'restricted');
    const matched = await Promise.all(others.map((p) => p.socket.next('matched')));
    const ids = new Set(others.map((p) => p.auth.user.id));
    for (const [i, event] of matched.entries()) {
      assert.ok(ids.has(event.peer.id), 'matched with someone outside the burst (the suspended user?)');
      assert.equal(matched.find((m) => m.peer.id === others[i]!.auth.user.id)?.roomId, event.roomId, 'not mutual');
    }
    assert.equal(
      suspended.socket.frames.find((frame) => frame.type === 'matched' || frame.type === 'queued'),
      undefined,
    );
    assert.equal((await waitingCounts(server)).music, 0);
  });
});

describe('call behind the gate', () => {
  test('a new rules version: call answers consent_required until the caller accepts it; a restricted caller gets restricted', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-rules-'));
    const file = path.join(dir, 'rules.md');
    fs.writeFileSync(file, '---\nversion: 1\n---\n# Rules\n');
    let one = await startServer({ RULES_FILE: file });
    const dataDir = one.dataDir;
    const p = await acquaintances(one);
    await befriend(p.a, one, p.b);
    await closeAndSettle(one, [p.a.socket, p.b.socket]);
    await one.close();
    fs.writeFileSync(file, '---\nversion: 2\n---\n# Rules, second edition\n');
    one = await startServer({ RULES_FILE: file, DATA_DIR: dataDir });
    const sockets: Client[] = [];
    try {
      const ada = await connect(one, p.a.auth.token);
      const bo = await connect(one, p.b.auth.token);
      sockets.push(ada, bo);
      await ada.next('welcome');
      await bo.next('welcome');
      ada.send({ type: 'call', userId: p.b.auth.user.id });
      assert.equal((await ada.next('error')).code, 'consent_required');
      await neverRung(bo);

      await consent(one.url, p.a.auth.token);
      await restrict(one, p.a.auth.user.id, { reason: 'Under review.', automated: true });
      ada.send({ type: 'call', userId: p.b.auth.user.id });
      assert.equal((await ada.next('error')).code, 'restricted');
      await neverRung(bo);
    } finally {
      await closeAndSettle(one, sockets);
      await one.close();
    }
  });
});
