import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { BlockResponse, BlocksResponse, ErrorBody } from '@small-talk/protocol';
import { api, guest, sample, scrape, sleep, startServer, type TestServer } from './harness.js';

/** POST/GET/DELETE /api/blocks, and the friend requests a block refuses. */

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const block = (token: string, userId: unknown) => api(server.url, 'POST', '/api/blocks', { token, body: { userId } });
const blocksOf = async (token: string) => {
  const response = await api(server.url, 'GET', '/api/blocks', { token });
  assert.equal(response.status, 200);
  return BlocksResponse.parse(response.body).blocks;
};

describe('POST /api/blocks', () => {
  test('201 with the block; again 200 with the same block; it shows in GET /api/blocks', async () => {
    const ada = await guest(server.url, 'Ada');
    const bo = await guest(server.url, 'Bo');
    const first = await block(ada.token, bo.user.id);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const { block: made } = BlockResponse.parse(first.body);
    assert.deepEqual(made.user, { id: bo.user.id, displayName: 'Bo', languages: [] });
    assert.ok(Math.abs(Date.parse(made.createdAt) - Date.now()) < 5000);
    const again = await block(ada.token, bo.user.id);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { block: made });
    assert.deepEqual(await blocksOf(ada.token), [made]);
    assert.deepEqual(await blocksOf(bo.token), [], 'only the blocker lists it');
  });

  test('unknown user → 404 not_found; yourself → 400 bad_request; no userId → 400; no session → 401', async () => {
    const ada = await guest(server.url, 'Ada');
    const unknown = await block(ada.token, randomUUID());
    assert.equal(unknown.status, 404);
    assert.equal(ErrorBody.parse(unknown.body).error.code, 'not_found');
    const self = await block(ada.token, ada.user.id);
    assert.equal(self.status, 400);
    assert.equal(ErrorBody.parse(self.body).error.code, 'bad_request');
    const empty = await api(server.url, 'POST', '/api/blocks', { token: ada.token, body: {} });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.code, 'bad_request');
    const anonymous = await api(server.url, 'POST', '/api/blocks', { body: { userId: ada.user.id } });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await blocksOf(ada.token), []);
  });

  test('GET lists newest first; the blocks counter counts new blocks only', async () => {
    const ada = await guest(server.url, 'Ada');
    const before = sample(await scrape(server), 'smalltalk_blocks_total');
    const people = [await guest(server.url, 'Bo'), await guest(server.url, 'Cy'), await guest(server.url, 'Di')];
    for (const person of people) {
      assert.equal((await block(ada.token, person.user.id)).status, 201);
      await sleep(5); // distinct createdAt
    }
    assert.equal((await block(ada.token, people[0]!.user.id)).status, 200);
    assert.deepEqual(
      (await blocksOf(ada.token)).map((b) => b.user.displayName),
      ['Di', 'Cy', 'Bo'],
    );
    assert.equal(sample(await scrape(server), 'smalltalk_blocks_total') - before, 3);
  });
});

describe('DELETE /api/blocks/:userId', () => {
  test('204, gone from the list; again (or never blocked) → 404 not_found', async () => {
    const ada = await guest(server.url, 'Ada');
    const bo = await guest(server.url, 'Bo');
    await block(ada.token, bo.user.id);
    const removed = await api(server.url, 'DELETE', `/api/blocks/${bo.user.id}`, { token: ada.token });
    assert.equal(removed.status, 204);
    assert.deepEqual(await blocksOf(ada.token), []);
    const again = await api(server.url, 'DELETE', `/api/blocks/${bo.user.id}`, { token: ada.token });
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, 'not_found');
    // Only the blocker can lift its own block.
    await block(ada.token, bo.user.id);
    const byOther = await api(server.url, 'DELETE', `/api/blocks/${ada.user.id}`, { token: bo.token });
    assert.equal(byOther.status, 404);
    assert.equal((await blocksOf(ada.token)).length, 1);
  });
});

describe('friend requests between blocked users', () => {
  test('403 not_allowed in both directions, whoever blocked; after unblocking the rules are as before', async () => {
    const ada = await guest(server.url, 'Ada');
    const bo = await guest(server.url, 'Bo');
    await block(ada.token, bo.user.id);
    for (const [from, to] of [
      [ada, bo],
      [bo, ada],
    ] as const) {
      const asked = await api(server.url, 'POST', '/api/friends/requests', {
        token: from.token,
        body: { userId: to.user.id },
      });
      assert.equal(asked.status, 403, JSON.stringify(asked.body));
      assert.equal(asked.body.error.code, 'not_allowed');
    }
    await api(server.url, 'DELETE', `/api/blocks/${bo.user.id}`, { token: ada.token });
    // They never met: the usual answer, not not_allowed.
    const asked = await api(server.url, 'POST', '/api/friends/requests', {
      token: bo.token,
      body: { userId: ada.user.id },
    });
    assert.equal(asked.body.error.code, 'no_connection');
  });
});
