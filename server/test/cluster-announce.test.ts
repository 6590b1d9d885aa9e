import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { LEASE_MS } from '../src/storage/bus/lease.js';
import { SWEEP_MS } from '../src/storage/bus/redis.js';
import { useCluster, type ClusterNode } from './cluster.js';
import { api, eventually, openSocket, user } from './harness.js';

/**
 * A room whose process was killed after making it and before sending its `matched` (issue 18's
 * chaos found it: a user who waited in the queue heard of its room only from the room's end).
 * The process records each room it makes as unannounced until both `matched` have left; the
 * survivor that takes the dead process over announces what is left, before the dead process's
 * users' graces can end those rooms.
 *
 * To kill a process at that moment every time, the test holds the history table: a process
 * writes a room's history row before it announces the room, so with the table locked the
 * process makes the room in Redis and then waits.
 */
const GRACE_MS = 8000;
const suite = useCluster(2, { RESUME_GRACE_MS: String(GRACE_MS) });

/**
 * Holds the history table while `join` makes rooms on `victim`, waits until the victim is stuck
 * writing their history rows (made in Redis, not yet announced), kills it there and lets the
 * table go. Returns when it was killed.
 */
async function killBeforeAnnouncing(victim: ClusterNode, join: () => Promise<void>): Promise<number> {
  const db = new pg.Client({ connectionString: suite.cluster.env.DATABASE_URL });
  await db.connect();
  try {
    await db.query('BEGIN');
    await db.query('LOCK TABLE connections IN EXCLUSIVE MODE');
    await join();
    await eventually(
      'the victim waiting to write the history',
      async () => {
        // pg_stat_activity holds still within a transaction, from its first read: without this,
        // a first poll that came before the victim's insert would be all this loop ever saw.
        await db.query('SELECT pg_stat_clear_snapshot()');
        const waiting = await db.query(
          `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE 'insert into "connections"%'`,
        );
        return waiting.rowCount! > 0;
      },
      // A loaded machine can take seconds to get the victim's insert as far as the lock.
      15_000,
    );
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.exited;
    return killedAt;
  } finally {
    await db.query('ROLLBACK');
    await db.end();
  }
}

describe('a room made by a process that died before announcing it', { skip: suite.skip }, () => {
  test(
    'kill -9 between making a room and sending its matched: the waiting peer gets matched from the survivor, then peer_left after the grace; a member who comes back gets its room once',
    { timeout: 60_000 },
    async (t) => {
      const [victim, survivor] = suite.nodes;
      // Waiting on the survivor's process, each for a partner who joins on the victim's.
      const gone = { waiting: await user(survivor!, 'Pat'), joining: await user(victim!, 'Vic') };
      const back = { waiting: await user(survivor!, 'Pia'), joining: await user(victim!, 'Val') };
      suite.opened.push(gone.waiting.socket, gone.joining.socket, back.waiting.socket, back.joining.socket);
      for (const [pair, category] of [
        [gone, 'music'],
        [back, 'books'],
      ] as const) {
        pair.waiting.socket.send({ type: 'join', categories: [category] });
        await pair.waiting.socket.next('queued');
      }

      const killedAt = await killBeforeAnnouncing(victim!, async () => {
        for (const [pair, category] of [
          [gone, 'music'],
          [back, 'books'],
        ] as const) {
          pair.joining.socket.send({ type: 'join', categories: [category] });
          // `queued` comes once the store has matched the join: the room is made, in Redis.
          await pair.joining.socket.next('queued');
        }
      });
      assert.equal(gone.waiting.socket.frames.length, 0, 'nothing reached the waiting user before the kill');

      // The survivor notices the death a lease after the last renewal, and announces both rooms.
      const noticeMs = LEASE_MS + 2 * SWEEP_MS + 3000;
      const matched = await gone.waiting.socket.next(undefined, noticeMs);
      assert.equal(matched.type, 'matched');
      assert.ok(matched.type === 'matched');
      assert.deepEqual(
        { peer: matched.peer.id, category: matched.category, initiator: matched.initiator, resumed: matched.resumed },
        { peer: gone.joining.auth.user.id, category: 'music', initiator: false, resumed: false },
      );
      t.diagnostic(`matched ${Date.now() - killedAt} ms after the kill`);
      const matchedBack = await back.waiting.socket.next(undefined, noticeMs);
      assert.ok(matchedBack.type === 'matched' && matchedBack.peer.id === back.joining.auth.user.id);

      // Val comes back on the survivor within the grace: its room once, and the call goes on.
      const resumed = await openSocket(survivor!, { authorization: `Bearer ${back.joining.auth.token}` });
      suite.opened.push(resumed);
      assert.equal((await resumed.next()).type, 'welcome');
      const again = await resumed.next();
      assert.ok(again.type === 'matched');
      assert.deepEqual(
        { roomId: again.roomId, resumed: again.resumed, initiator: again.initiator },
        { roomId: matchedBack.roomId, resumed: true, initiator: true },
      );
      resumed.send({ type: 'signal', roomId: again.roomId, data: { sdp: 'offer' } });
      assert.deepEqual((await back.waiting.socket.next('signal')).data, { sdp: 'offer' });
      await resumed.nothingWithin(300);

      // Vic never comes back: Pat is told once the grace, counted from the victim's last renewal, has run.
      const left = await gone.waiting.socket.next(undefined, GRACE_MS + 5000 - (Date.now() - killedAt));
      assert.deepEqual(left, { type: 'peer_left', roomId: matched.roomId, reason: 'disconnected' });
      const history = await api(survivor!.url, 'GET', '/api/history', { token: gone.waiting.auth.token });
      const row = history.body.connections[0];
      assert.deepEqual(
        { id: row.id, endReason: row.endReason, ended: row.endedAt !== null },
        { id: matched.roomId, endReason: 'disconnected', ended: true },
      );
      const open = (await api(survivor!.url, 'GET', '/api/history', { token: back.waiting.auth.token })).body
        .connections[0];
      assert.deepEqual({ id: open.id, endedAt: open.endedAt }, { id: matchedBack.roomId, endedAt: null });
    },
  );

  test(
    'kill -9 before the matched, then the member whose process died resumes on the survivor and leaves before the survivor noticed: its peer gets matched, then peer_left, and nothing more',
    { timeout: 60_000 },
    async (t) => {
      const survivor = suite.nodes[1]!;
      const victim = suite.nodes[0]!.alive() ? suite.nodes[0]! : await suite.cluster.restart(suite.nodes[0]!);
      const waiting = await user(survivor, 'Ria');
      const joining = await user(victim, 'Rex');
      suite.opened.push(waiting.socket, joining.socket);
      waiting.socket.send({ type: 'join', categories: ['travel'] });
      await waiting.socket.next('queued');

      const killedAt = await killBeforeAnnouncing(victim, async () => {
        joining.socket.send({ type: 'join', categories: ['travel'] });
        await joining.socket.next('queued');
      });
      assert.equal(waiting.socket.frames.length, 0, 'nothing reached the waiting user before the kill');

      // Rex is back at once, on the survivor: the store has its room, so it resumes, and it leaves.
      const resumed = await openSocket(survivor, { authorization: `Bearer ${joining.auth.token}` });
      suite.opened.push(resumed);
      assert.equal((await resumed.next()).type, 'welcome');
      const room = await resumed.next();
      assert.ok(room.type === 'matched' && room.resumed && room.peer.id === waiting.auth.user.id);
      resumed.send({ type: 'leave', roomId: room.roomId });
      // Its own socket drops the room's `matched` told at the end: it is in that room.
      assert.deepEqual(await resumed.next(), { type: 'left', roomId: room.roomId });

      // Ria hears of the room before its end, and is then free to join again.
      const matched = await waiting.socket.next();
      assert.ok(matched.type === 'matched');
      assert.deepEqual(
        { roomId: matched.roomId, peer: matched.peer.id, initiator: matched.initiator, resumed: matched.resumed },
        { roomId: room.roomId, peer: joining.auth.user.id, initiator: false, resumed: false },
      );
      assert.deepEqual(await waiting.socket.next(), { type: 'peer_left', roomId: room.roomId, reason: 'left' });
      const toldMs = Date.now() - killedAt;
      t.diagnostic(`matched and peer_left ${toldMs} ms after the kill`);
      // The earliest a survivor can take the victim for dead is a lease after its last renewal:
      // told before then, so the end announced the room, not the survivor's announceLate.
      assert.ok(toldMs < LEASE_MS - SWEEP_MS, `told ${toldMs} ms after the kill: the survivor may have announced it`);

      // Once the survivor has taken the victim over, it does not announce the ended room again.
      await waiting.socket.nothingWithin(LEASE_MS + 2 * SWEEP_MS + 1000 - (Date.now() - killedAt));
      await resumed.nothingWithin(0);
      const history = await api(survivor.url, 'GET', '/api/history', { token: waiting.auth.token });
      const row = history.body.connections[0];
      assert.deepEqual(
        { id: row.id, endReason: row.endReason, ended: row.endedAt !== null },
        { id: room.roomId, endReason: 'left', ended: true },
      );
    },
  );
});
