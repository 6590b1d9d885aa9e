import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCluster, startServices, type Cluster, type ClusterNode, type Services } from './cluster.js';
import { api, connect, eventually, guest, openSocket, sleep, user, waitingCounts, type Client } from './harness.js';
import { missingServices } from './services.js';
import { SWEEP_MS } from '../src/storage/bus/redis.js';

/**
 * What issue 5 calls faults, on real processes: kill -9 of one, Redis stopped for 10 s, PostgreSQL
 * restarted, and a SIGTERM drain. Each test has a cluster of its own.
 */
const skip =
  missingServices() ??
  (process.env.REDIS_URL || process.env.DATABASE_URL
    ? 'services from the environment cannot be stopped by the tests'
    : null);
const GRACE_MS = 3000;

let services: Services;
before(async () => {
  if (!skip) services = await startServices();
});
after(() => services?.close());

const clusters: Cluster[] = [];
const sockets: Client[] = [];
async function cluster(count: number, env: Record<string, string> = {}): Promise<ClusterNode[]> {
  const c = await startCluster(services, count, { RESUME_GRACE_MS: String(GRACE_MS), ...env });
  clusters.push(c);
  return c.nodes;
}
after(async () => {
  for (const s of sockets) if (s.closeCode === undefined) s.ws.terminate();
  for (const c of clusters) await c.close();
});

async function on(node: ClusterNode, name: string) {
  const u = await user(node, name);
  sockets.push(u.socket);
  return u;
}

async function pairAcross(first: ClusterNode, second: ClusterNode, category: string) {
  const a = await on(first, 'A');
  const b = await on(second, 'B');
  a.socket.send({ type: 'join', categories: [category] });
  await a.socket.next('queued');
  b.socket.send({ type: 'join', categories: [category] });
  await b.socket.next('queued');
  const matchedA = await a.socket.next('matched');
  await b.socket.next('matched');
  return { a, b, matchedA, roomId: matchedA.roomId };
}

const health = (node: ClusterNode) =>
  api(node.url, 'GET', '/healthz').then(
    (r) => r.status,
    () => 0,
  );

describe('faults', { skip: skip ?? false }, () => {
  test(
    'kill -9 of a process: its users resume elsewhere within the grace; the peers of those who do not get peer_left within grace + 5 s; its queue entries go; history is closed',
    { timeout: 60_000 },
    async (t) => {
      const [victim, one, two] = await cluster(3);
      // Gone for good: its peer on another process must be told, after the grace and not before.
      const lost = await pairAcross(victim!, one!, 'music');
      // Comes back on another process: its peer must hear nothing.
      const back = await pairAcross(victim!, two!, 'books');
      // Queued on the victim.
      const queued = await on(victim!, 'Q');
      queued.socket.send({ type: 'join', categories: ['travel'] });
      await queued.socket.next('queued');
      assert.equal((await waitingCounts(one!)).travel, 1);

      victim!.child.kill('SIGKILL');
      const killedAt = Date.now();
      await victim!.exited;

      // Sent while the returning user has no socket anywhere: held for it.
      back.b.socket.send({ type: 'chat', roomId: back.roomId, text: 'are you there?' });
      await sleep(300);
      const resumed = await openSocket(one!, { authorization: `Bearer ${back.a.auth.token}` });
      sockets.push(resumed);
      assert.deepEqual(await resumed.next(), { type: 'welcome', user: back.a.auth.user });
      assert.deepEqual(await resumed.next(), { ...back.matchedA, resumed: true });
      assert.equal((await resumed.next('chat')).text, 'are you there?');
      resumed.send({ type: 'signal', roomId: back.roomId, data: 'on another process now' });
      assert.equal((await back.b.socket.next('signal')).data, 'on another process now');

      // Nothing for the lost user's peer before the grace has run. The grace counts from when the
      // process was last alive, its last lease renewal: up to one sweep before the kill.
      const left = await lost.b.socket.next(undefined, GRACE_MS + 5000 - (Date.now() - killedAt));
      assert.deepEqual(left, { type: 'peer_left', roomId: lost.roomId, reason: 'disconnected' });
      const peerLeftMs = lost.b.socket.arrivedAt.get(left)! - killedAt;
      assert.ok(peerLeftMs >= GRACE_MS - SWEEP_MS - 100, `peer_left ${peerLeftMs} ms after the kill, before the grace`);
      assert.ok(peerLeftMs <= GRACE_MS + 5000, `peer_left ${peerLeftMs} ms after the kill`);
      t.diagnostic(`peer_left ${peerLeftMs} ms after kill -9 (grace ${GRACE_MS} ms)`);
      await eventually('the queue entry gone', async () => (await waitingCounts(two!)).travel === 0, 1000);
      assert.ok(Date.now() - killedAt <= GRACE_MS + 5000);

      const row = (await api(two!.url, 'GET', '/api/history', { token: lost.b.auth.token })).body.connections[0];
      assert.equal(row.id, lost.roomId);
      assert.equal(row.endReason, 'disconnected');
      assert.ok(row.endedAt);
      // The resumed room is still open, and its peer never heard of the kill.
      await back.b.socket.nothingWithin(200);
      const open = (await api(two!.url, 'GET', '/api/history', { token: back.b.auth.token })).body.connections[0];
      assert.equal(open.endedAt, null);
    },
  );

  test(
    'Redis stopped for 10 s, then back: HTTP keeps serving, /healthz 503 then 200 within 5 s, no crash, joins work again',
    { timeout: 60_000 },
    async (t) => {
      const nodes = await cluster(2);
      const early = await on(nodes[0]!, 'Early'); // connected before the outage, joins after it
      const call = await pairAcross(nodes[0]!, nodes[1]!, 'sports'); // in a room across the outage
      await services.redis.stop();
      const stoppedAt = Date.now();
      for (const node of nodes)
        await eventually(`node ${node.index} /healthz 503`, async () => (await health(node)) === 503, 3000);

      // The database still answers: accounts work; matchmaking says it is unavailable, at once.
      const during = await guest(nodes[1]!.url, 'During');
      assert.equal((await api(nodes[1]!.url, 'GET', '/api/me', { token: during.token })).status, 200);
      early.socket.send({ type: 'join', categories: ['music'] });
      assert.equal((await early.socket.next('error')).code, 'unavailable');

      await sleep(10_000 - (Date.now() - stoppedAt));
      for (const node of nodes) assert.equal(await health(node), 503);
      await services.redis.start();
      const restartedAt = Date.now();
      for (const node of nodes)
        await eventually(`node ${node.index} /healthz 200`, async () => (await health(node)) === 200, 5000);
      assert.ok(Date.now() - restartedAt <= 5000);
      t.diagnostic(`/healthz 200 on both ${Date.now() - restartedAt} ms after Redis came back`);
      for (const node of nodes) assert.ok(node.alive(), `node ${node.index} is still running`);

      // Redis came back empty. A call that was going on goes on (each process said again which
      // sockets it holds), and leaving it still works, though the room record is gone.
      call.b.socket.send({ type: 'signal', roomId: call.roomId, data: 'after the outage' });
      assert.equal((await call.a.socket.next('signal')).data, 'after the outage');
      call.a.socket.send({ type: 'leave', roomId: call.roomId });
      assert.deepEqual(await call.a.socket.next(), { type: 'left', roomId: call.roomId });
      assert.deepEqual(await call.b.socket.next('peer_left'), {
        type: 'peer_left',
        roomId: call.roomId,
        reason: 'left',
      });
      const row = (await api(nodes[1]!.url, 'GET', '/api/history', { token: call.b.auth.token })).body.connections[0];
      assert.equal(row.endReason, 'left');

      // The socket opened before the outage is known again and can be matched.
      early.socket.send({ type: 'join', categories: ['music'] });
      await early.socket.next('queued');
      const late = await on(nodes[1]!, 'Late');
      late.socket.send({ type: 'join', categories: ['music'] });
      await late.socket.next('queued');
      const [m1, m2] = [await early.socket.next('matched'), await late.socket.next('matched')];
      assert.equal(m1.roomId, m2.roomId);
      (m1.initiator ? early : late).socket.send({ type: 'signal', roomId: m1.roomId, data: 1 });
      assert.equal((await (m1.initiator ? late : early).socket.next('signal')).data, 1);
    },
  );

  test(
    'PostgreSQL restarted: /healthz 503 while it is down, 200 again by itself, no crash',
    { timeout: 60_000 },
    async () => {
      const nodes = await cluster(2);
      await Promise.all(nodes.map((node) => guest(node.url, 'Warm')));
      await services.postgres.stop();
      for (const node of nodes)
        await eventually(`node ${node.index} /healthz 503`, async () => (await health(node)) === 503, 5000);
      await sleep(2000);
      await services.postgres.start();
      for (const node of nodes)
        await eventually(`node ${node.index} /healthz 200`, async () => (await health(node)) === 200, 5000);
      for (const node of nodes) {
        assert.ok(node.alive());
        const g = await guest(node.url, 'After');
        assert.equal((await api(node.url, 'GET', '/api/me', { token: g.token })).status, 200);
      }
    },
  );

  test(
    'SIGTERM drains: /healthz 503 at once, every socket closed 1012 within 10 s, calls continue through another process, exit 0',
    { timeout: 60_000 },
    async (t) => {
      const [draining, other] = await cluster(2);
      const call = await pairAcross(draining!, other!, 'tech');
      const sameProcess = await pairAcross(draining!, draining!, 'food');
      const idle = await on(draining!, 'Idle');
      const queued = await on(draining!, 'Queued');
      queued.socket.send({ type: 'join', categories: ['art'] });
      await queued.socket.next('queued');

      draining!.child.kill('SIGTERM');
      const signalledAt = Date.now();
      // The signal reaches the process asynchronously: a request already on its way may still be
      // answered 200. From the first answer after that, it is 503, well inside one health-check
      // interval of a load balancer.
      const stoppedWithin = await eventually(
        '/healthz 503 after SIGTERM',
        async () => (await health(draining!)) === 503 && Date.now() - signalledAt,
        1000,
      );
      t.diagnostic(`/healthz 503 ${stoppedWithin} ms after SIGTERM`);
      assert.equal(await health(draining!), 503, 'and stays so');
      const codes = await Promise.all([call.a, sameProcess.a, sameProcess.b, idle, queued].map((u) => u.socket.closed));
      assert.deepEqual(codes, [1012, 1012, 1012, 1012, 1012]);
      assert.ok(Date.now() - signalledAt <= 10_000);

      // The peer keeps talking while its partner moves; the partner picks it all up on the other process.
      for (let i = 0; i < 10; i++) call.b.socket.send({ type: 'signal', roomId: call.roomId, data: { i } });
      const moved = await connect(other!, call.a.auth.token);
      sockets.push(moved);
      assert.deepEqual(await moved.next(), { type: 'welcome', user: call.a.auth.user });
      assert.deepEqual(await moved.next(), { ...call.matchedA, resumed: true });
      for (let i = 0; i < 10; i++) assert.deepEqual((await moved.next('signal')).data, { i });
      // Both members of a room that was all on the draining process come back too.
      const [ma, mb] = await Promise.all([
        connect(other!, sameProcess.a.auth.token),
        connect(other!, sameProcess.b.auth.token),
      ]);
      sockets.push(ma, mb);
      await ma.next('welcome');
      assert.equal((await ma.next('matched')).resumed, true);
      await mb.next('welcome');
      assert.equal((await mb.next('matched')).resumed, true);
      ma.send({ type: 'chat', roomId: sameProcess.roomId, text: 'still talking' });
      assert.equal((await mb.next('chat')).text, 'still talking');

      const exit = await draining!.exited;
      assert.deepEqual(exit, { code: 0, signal: null });
      t.diagnostic(`drained process exited 0 after ${Date.now() - signalledAt} ms`);
      await call.b.socket.nothingWithin(GRACE_MS + 500);
      assert.equal((await waitingCounts(other!)).art, 0, "the drained process's queue entry is gone");
    },
  );
});
