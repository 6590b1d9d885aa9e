import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LEASE_MS } from '../src/storage/bus/lease.js';
import { SWEEP_MS } from '../src/storage/bus/redis.js';
import { useCluster } from './cluster.js';
import { pair } from './harness.js';

/**
 * When the grace of a killed process's users starts. The process was last known alive at its last
 * lease renewal (at most a sweep before the kill); a survivor notices only once that lease ran
 * out, LEASE_MS later. Counting the grace from the notice would make the peer wait grace + lease
 * for a user who is gone; counting it from the renewal makes it wait the grace, as when a socket
 * closes. cluster-faults.test.ts bounds the wait loosely (grace + 5 s); this pins it between the two.
 */
// Longer than the time to notice (LEASE_MS + a sweep), so the peer is told when the grace ends and
// not when the survivor notices: the two countings are then LEASE_MS apart.
const GRACE_MS = 2 * LEASE_MS;
const suite = useCluster(2, { RESUME_GRACE_MS: String(GRACE_MS) });

describe('the grace of a killed process’s users', { skip: suite.skip }, () => {
  test(
    'kill -9: the peer on the survivor gets peer_left a grace after the process was last alive, not a grace after the survivor noticed',
    { timeout: 60_000 },
    async (t) => {
      const [victim, survivor] = suite.nodes;
      const call = await pair(victim!, 'music', survivor!);
      suite.opened.push(call.a.socket, call.b.socket);

      victim!.child.kill('SIGKILL');
      const killedAt = Date.now();
      const left = await call.b.socket.next('peer_left', GRACE_MS + 2 * LEASE_MS);
      const waitedMs = Date.now() - killedAt;
      assert.deepEqual(left, { type: 'peer_left', roomId: call.roomId, reason: 'disconnected' });
      t.diagnostic(`peer_left ${waitedMs} ms after kill -9 (grace ${GRACE_MS} ms, lease ${LEASE_MS} ms)`);

      // Counted from the last renewal: between grace − a sweep and the grace, plus delivery. Counted
      // from the notice it would be at least grace + LEASE_MS − a sweep: half a lease of room each
      // side for a loaded machine, and either counting lands outside the other's bounds.
      assert.ok(
        waitedMs > GRACE_MS - SWEEP_MS - LEASE_MS / 2,
        `peer_left ${waitedMs} ms after the kill: before the grace`,
      );
      assert.ok(
        waitedMs <= GRACE_MS + LEASE_MS / 2,
        `peer_left ${waitedMs} ms after the kill: the grace was counted from when the survivor noticed, not from the last renewal`,
      );
    },
  );
});
