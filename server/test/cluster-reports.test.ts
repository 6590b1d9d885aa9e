import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RestrictedEvent } from '@small-talk/protocol';
import { useCluster } from './cluster.js';
import { api, user, waitingCounts, type Endpoint } from './harness.js';

/**
 * Reports and automatic suspension across two processes on one Redis and one PostgreSQL: the
 * reported user's socket is on the other process from the reporters, and still every effect
 * reaches it at once.
 */

const { skip, nodes, opened } = useCluster(2);

type Person = Awaited<ReturnType<typeof user>> & { node: Endpoint };

async function person(node: Endpoint, name: string): Promise<Person> {
  const p = await user(node, name);
  opened.push(p.socket);
  return { ...p, node };
}

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

function reportOf(reporter: Person, reported: Person, connectionId: string) {
  return api(reporter.node.url, 'POST', '/api/reports', {
    token: reporter.auth.token,
    body: { userId: reported.auth.user.id, connectionId, reason: 'harassment' },
  });
}

describe('reports across two processes', { skip }, () => {
  test('a report on process 0 ends the room with a user on process 1 at once, and blocks', async () => {
    const ada = await person(nodes[0]!, 'Ada');
    const bo = await person(nodes[1]!, 'Bo');
    const roomId = await meet(ada, bo, 'music');
    const response = await reportOf(ada, bo, roomId);
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal((await ada.socket.next('left')).roomId, roomId);
    assert.deepEqual(await bo.socket.next('peer_left'), { type: 'peer_left', roomId, reason: 'left' });
    const blocks = await api(nodes[1]!.url, 'GET', '/api/blocks', { token: ada.auth.token });
    assert.deepEqual(
      blocks.body.blocks.map((b: { user: { id: string } }) => b.user.id),
      [bo.auth.user.id],
    );
  });

  test('the third distinct reporter suspends a user whose socket is on the other process: restricted, out of its room, socket open', async () => {
    const target = await person(nodes[1]!, 'Troll');
    const reporters: Array<{ reporter: Person; roomId: string }> = [];
    for (const name of ['R1', 'R2', 'R3']) {
      const reporter = await person(nodes[0]!, name);
      const roomId = await meet(reporter, target, 'books');
      reporter.socket.send({ type: 'leave', roomId });
      await reporter.socket.next('left');
      await target.socket.next('peer_left');
      reporters.push({ reporter, roomId });
    }
    for (const { reporter, roomId } of reporters.slice(0, 2))
      assert.equal((await reportOf(reporter, target, roomId)).status, 201);

    // In a live room with a peer on process 0 when the third report lands on process 0.
    const peer = await person(nodes[0]!, 'Peer');
    const roomId = await meet(peer, target, 'sports');
    const third = reporters[2]!;
    assert.equal((await reportOf(third.reporter, target, third.roomId)).status, 201);

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
    assert.deepEqual(await peer.socket.next('peer_left'), { type: 'peer_left', roomId, reason: 'left' });

    // The socket stays open, and join is refused on its own process.
    assert.equal(target.socket.closeCode, undefined);
    target.socket.send({ type: 'join', categories: ['sports'] });
    assert.equal((await target.socket.next('error')).code, 'restricted');
    assert.equal((await waitingCounts(nodes[0]!)).sports, 0);
    const me = await api(nodes[0]!.url, 'GET', '/api/me', { token: target.auth.token });
    assert.deepEqual(me.body.user.restriction, restricted.restriction);
  });
});
