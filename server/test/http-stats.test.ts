import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StatsResponse } from '@small-talk/protocol';
import { startCluster, startServices, type Cluster, type Services } from './cluster.js';
import { api, startServer, user, waitFor, type Client, type Endpoint, type TestServer } from './harness.js';
import { missingServices } from './services.js';

/** GET /api/stats: users with a live socket and users queued, without a session, cluster-wide, at most a second stale. */

async function stats(server: Endpoint): Promise<StatsResponse> {
  const response = await api(server.url, 'GET', '/api/stats');
  assert.equal(response.status, 200);
  return StatsResponse.strict().parse(response.body);
}

/** Polls until the stats read `expected`; returns how long that took (the staleness a user sees). */
async function reaches(server: Endpoint, expected: StatsResponse, what: string): Promise<number> {
  const start = Date.now();
  let last: StatsResponse | undefined;
  await waitFor(
    `${what}: ${JSON.stringify(expected)} (last ${JSON.stringify(last)})`,
    async () => {
      last = await stats(server);
      return last.online === expected.online && last.waiting === expected.waiting;
    },
    3000,
  );
  return Date.now() - start;
}

describe('GET /api/stats, one process', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('no session needed; counts sockets and queued users, within a second', async () => {
    assert.deepEqual(await stats(server), { online: 0, waiting: 0 });
    const sockets: Client[] = [];
    const ada = await user(server, 'Ada');
    const bo = await user(server, 'Bo');
    sockets.push(ada.socket, bo.socket);
    assert.ok((await reaches(server, { online: 2, waiting: 0 }, 'two online')) <= 1000);
    ada.socket.send({ type: 'join', categories: ['music'] });
    await ada.socket.next('queued');
    assert.ok((await reaches(server, { online: 2, waiting: 1 }, 'one waiting')) <= 1000);
    bo.socket.send({ type: 'join', categories: ['music'] });
    await bo.socket.next('matched');
    // Matched users are online, not waiting.
    await reaches(server, { online: 2, waiting: 0 }, 'matched');
    await Promise.all(sockets.map((s) => s.close()));
    await reaches(server, { online: 0, waiting: 0 }, 'gone');
  });
});

const skip = missingServices();

describe('GET /api/stats, two processes', { skip: skip ?? false }, () => {
  let services: Services;
  let cluster: Cluster;
  before(async () => {
    services = await startServices();
    cluster = await startCluster(services, 2);
  });
  after(async () => {
    await cluster?.close();
    await services?.close();
  });

  test('both processes answer the cluster’s figures: sockets and queue entries on either count on both, within a second', async () => {
    const [one, two] = [cluster.nodes[0]!, cluster.nodes[1]!];
    const ada = await user(one, 'Ada');
    const bo = await user(two, 'Bo');
    const cy = await user(two, 'Cy');
    ada.socket.send({ type: 'join', categories: ['music'] });
    await ada.socket.next('queued');
    cy.socket.send({ type: 'join', categories: ['books'] });
    await cy.socket.next('queued');
    for (const node of [one, two])
      assert.ok((await reaches(node, { online: 3, waiting: 2 }, 'three online, two waiting')) <= 1000);

    // Bo, on the second process, is matched with Ada, on the first.
    bo.socket.send({ type: 'join', categories: ['music'] });
    await ada.socket.next('matched');
    for (const node of [one, two]) await reaches(node, { online: 3, waiting: 1 }, 'one waiting');

    await ada.socket.close();
    for (const node of [one, two]) assert.ok((await reaches(node, { online: 2, waiting: 1 }, 'Ada gone')) <= 1000);
    await Promise.all([bo.socket.close(), cy.socket.close()]);
    for (const node of [one, two]) await reaches(node, { online: 0, waiting: 0 }, 'all gone');
  });
});
