import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pair, startServer, type TestServer } from './harness.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('two users who pick music are matched and can signal each other', async () => {
  const { a, b, matchedA, matchedB, roomId } = await pair(server);
  assert.equal(matchedA.roomId, matchedB.roomId);
  assert.equal(matchedA.peer.displayName, 'Bo');
  assert.equal(matchedB.peer.displayName, 'Ada');
  assert.notEqual(matchedA.initiator, matchedB.initiator);
  b.socket.send({ type: 'signal', roomId, data: { sdp: 'offer' } });
  const signal = await a.socket.next('signal');
  assert.deepEqual(signal, { type: 'signal', roomId, from: b.auth.user.id, data: { sdp: 'offer' } });
  a.socket.send({ type: 'leave', roomId });
  assert.equal((await a.socket.next('left')).roomId, roomId);
  assert.equal((await b.socket.next('peer_left')).reason, 'left');
  await a.socket.close();
  await b.socket.close();
});
