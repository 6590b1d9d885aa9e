import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useCluster, type ClusterNode } from './cluster.js';
import { acquaintances, api, befriend, pair, user } from './harness.js';

/**
 * Blocks and the rematch cooldown across two processes on one Redis and one PostgreSQL: a block
 * made on one process acts at once on sockets on the other, and the shared queue never pairs a
 * blocked pair, nor two who just met, whichever process each joined through.
 */

const { skip, nodes, opened } = useCluster(2, { RESUME_GRACE_MS: '2000', REMATCH_COOLDOWN_S: '1' });

async function person(node: ClusterNode, name: string) {
  const p = await user(node, name);
  opened.push(p.socket);
  return p;
}

describe('blocks across two processes', { skip }, () => {
  test('a block on one process ends the room with a peer on the other at once', async () => {
    const { a, b, roomId } = await pair(nodes[0]!, 'music', nodes[1]!);
    opened.push(a.socket, b.socket);
    const blocked = await api(nodes[0]!.url, 'POST', '/api/blocks', {
      token: a.auth.token,
      body: { userId: b.auth.user.id },
    });
    assert.equal(blocked.status, 201);
    assert.deepEqual(await a.socket.next(), { type: 'left', roomId });
    assert.deepEqual(await b.socket.next(undefined, 2000), { type: 'peer_left', roomId, reason: 'left' });
  });

  test('a block through one process ends the friendship at once: friend_removed to both, each on its own process', async () => {
    const p = await acquaintances(nodes[0]!, nodes[1]!);
    opened.push(p.a.socket, p.b.socket);
    await befriend(p.a, nodes[0]!, p.b, nodes[1]!);
    // Bo is on process 1; he blocks through process 0.
    assert.equal(
      (await api(nodes[0]!.url, 'POST', '/api/blocks', { token: p.b.auth.token, body: { userId: p.a.auth.user.id } }))
        .status,
      201,
    );
    assert.deepEqual(await p.a.socket.next('friend_removed'), { type: 'friend_removed', userId: p.b.auth.user.id });
    assert.deepEqual(await p.b.socket.next('friend_removed'), { type: 'friend_removed', userId: p.a.auth.user.id });
    p.a.socket.send({ type: 'call', userId: p.b.auth.user.id });
    assert.equal((await p.a.socket.next('error')).code, 'not_allowed');
  });

  test('a blocked pair split across the processes never match; a third on either is matched FIFO', async () => {
    const ada = await person(nodes[0]!, 'Ada');
    const bo = await person(nodes[1]!, 'Bo');
    assert.equal(
      (await api(nodes[1]!.url, 'POST', '/api/blocks', { token: ada.auth.token, body: { userId: bo.auth.user.id } }))
        .status,
      201,
    );
    ada.socket.send({ type: 'join', categories: ['music'] });
    await ada.socket.next('queued');
    bo.socket.send({ type: 'join', categories: ['music'] });
    await bo.socket.next('queued');
    await ada.socket.nothingWithin(400);
    const cy = await person(nodes[1]!, 'Cy');
    cy.socket.send({ type: 'join', categories: ['music'] });
    assert.equal((await cy.socket.next('matched')).peer.id, ada.auth.user.id);
    const di = await person(nodes[0]!, 'Di');
    di.socket.send({ type: 'join', categories: ['music'] });
    assert.equal((await di.socket.next('matched')).peer.id, bo.auth.user.id);
  });

  test('no rematch across processes: kept apart within REMATCH_COOLDOWN_S, together after it', async () => {
    const { a, b, roomId } = await pair(nodes[0]!, 'books', nodes[1]!);
    opened.push(a.socket, b.socket);
    b.socket.send({ type: 'leave', roomId });
    await b.socket.next('left');
    await a.socket.next('peer_left');
    const ended = Date.now();
    a.socket.send({ type: 'join', categories: ['books'] });
    await a.socket.next('queued');
    b.socket.send({ type: 'join', categories: ['books'] });
    await b.socket.next('queued');
    await a.socket.nothingWithin(300);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, ended + 1100 - Date.now())));
    b.socket.send({ type: 'join', categories: ['books'] });
    await b.socket.next('queued');
    assert.equal((await b.socket.next('matched')).peer.id, a.auth.user.id);
  });
});
