import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BannedLoginBody, CloseCode, NoticeEvent, RestrictedEvent, type AuthResponse } from '@small-talk/protocol';
import { useCluster } from './cluster.js';
import { api, connect, member, refusedUpgrade, within, type Client, type Endpoint } from './harness.js';
import { makeRole } from './moderation.js';

/**
 * Moderators' decisions across two processes on one Redis and one PostgreSQL: the moderator asks
 * process 0, the user's socket is on process 1, and still the room ends, the socket is told and
 * (for a ban) closed with 4003 at once, and every session is refused everywhere.
 */
let moderator: string;
const { skip, nodes, opened } = useCluster(2, {}, async ({ cluster, nodes }) => {
  const mod = await member(nodes[0]!.url, { displayName: 'Mod' });
  await makeRole(cluster, mod.email, 'moderator');
  moderator = mod.token;
});

type Person = { auth: AuthResponse & { email: string; password: string }; socket: Client; node: Endpoint };

async function person(node: Endpoint, displayName: string): Promise<Person> {
  const auth = await member(node.url, { displayName });
  const socket = await connect(node, auth.token);
  await socket.next('welcome');
  opened.push(socket);
  return { auth, socket, node };
}

async function meet(a: Person, b: Person, category: string): Promise<string> {
  a.socket.send({ type: 'join', categories: [category] });
  await a.socket.next('queued');
  b.socket.send({ type: 'join', categories: [category] });
  const matched = await a.socket.next('matched');
  await b.socket.next('matched');
  return matched.roomId;
}

async function decide(node: Endpoint, userId: string, body: Record<string, unknown>): Promise<void> {
  const response = await api(node.url, 'POST', `/api/mod/users/${userId}/actions`, { token: moderator, body });
  assert.equal(response.status, 201, JSON.stringify(response.body));
}

describe('decisions across two processes', { skip }, () => {
  test('a ban on process 0 of a user on process 1 closes its socket with 4003 within a second, after restricted and the notice; its peer gets peer_left', async () => {
    const ada = await person(nodes[0]!, 'Ada');
    const bo = await person(nodes[1]!, 'Bo');
    const roomId = await meet(ada, bo, 'music');
    const started = Date.now();
    await decide(nodes[0]!, bo.auth.user.id, { action: 'ban', reason: 'Threats.' });
    const code = await within(bo.socket.closed, 1000, 'the banned socket to close');
    assert.equal(code, CloseCode.banned);
    assert.ok(Date.now() - started < 1000 + 500);
    assert.deepEqual(await ada.socket.next('peer_left'), { type: 'peer_left', roomId, reason: 'left' });
    const frames = bo.socket.frames;
    assert.deepEqual(
      frames.map((f) => f.type),
      ['left', 'restricted', 'notice'],
    );
    assert.equal(RestrictedEvent.parse(frames[1]).restriction.kind, 'banned');
    assert.equal(NoticeEvent.parse(frames[2]).notice.kind, 'ban');

    // Every session is refused on both processes, over HTTP and on the WebSocket.
    for (const node of nodes) {
      assert.equal((await api(node.url, 'GET', '/api/me', { token: bo.auth.token })).status, 401);
      assert.equal(await refusedUpgrade(node, { authorization: `Bearer ${bo.auth.token}` }), 401);
      const login = await api(node.url, 'POST', '/api/auth/login', {
        body: { email: bo.auth.email, password: bo.auth.password },
      });
      assert.equal(login.status, 403);
      const { appealToken } = BannedLoginBody.parse(login.body);
      assert.equal(await refusedUpgrade(node, { authorization: `Bearer ${appealToken}` }), 401);
      assert.equal((await api(node.url, 'GET', '/api/me/notices', { token: appealToken })).status, 200);
    }
  });

  test('a suspension on process 1 of a user on process 0: restricted then the notice, the socket stays open, the peer gets peer_left', async () => {
    const ada = await person(nodes[1]!, 'Ada');
    const bo = await person(nodes[0]!, 'Bo');
    const roomId = await meet(ada, bo, 'books');
    await decide(nodes[1]!, bo.auth.user.id, { action: 'suspend', reason: 'Spam.', days: 1 });
    assert.deepEqual(await ada.socket.next('peer_left'), { type: 'peer_left', roomId, reason: 'left' });
    const types: string[] = [];
    for (;;) {
      const frame = await bo.socket.next();
      types.push(frame.type);
      if (frame.type === 'notice') break;
    }
    assert.deepEqual(
      types.filter((t) => t !== 'left'),
      ['restricted', 'notice'],
    );
    assert.equal(bo.socket.closeCode, undefined);
    bo.socket.send({ type: 'join', categories: ['books'] });
    assert.equal((await bo.socket.next('error')).code, 'restricted');
  });
});
