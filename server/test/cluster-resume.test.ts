import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startCluster, startServices } from './cluster.js';
import { connect, user } from './harness.js';
import { missingServices } from './services.js';

/**
 * Resume after a process died, on real processes: what the chaos (cluster-chaos.test.ts) found,
 * each case on a cluster of its own, since it kills a process.
 */
const skip =
  missingServices() ??
  (process.env.REDIS_URL || process.env.DATABASE_URL ? 'the test starts and kills its own services' : null);

describe('resume after a process died', { skip: skip ?? false }, () => {
  test(
    'a user queued on a process that dies and matched before it is taken for dead gets its room once on its return: welcome, matched (resumed), no second matched',
    { timeout: 120_000 },
    async () => {
      const services = await startServices();
      const cluster = await startCluster(services, 2, { RESUME_GRACE_MS: '3000' });
      try {
        const [victim, other] = cluster.nodes;
        const queued = await user(victim!, 'Q');
        const partner = await user(other!, 'P');
        queued.socket.send({ type: 'join', categories: ['music'] });
        await queued.socket.next('queued');
        victim!.child.kill('SIGKILL');
        await victim!.exited;
        // Within the lease: Q's queue entry is still there, and Q's `matched` is held for it.
        partner.socket.send({ type: 'join', categories: ['music'] });
        const matched = await partner.socket.next('matched');
        const back = await connect(other!, queued.auth.token);
        assert.equal((await back.next()).type, 'welcome');
        const resumed = await back.next('matched');
        assert.equal(resumed.roomId, matched.roomId);
        assert.equal(resumed.resumed, true);
        await back.nothingWithin(1000);
        back.ws.terminate();
        partner.socket.ws.terminate();
      } finally {
        await cluster.close();
        await services.close();
      }
    },
  );
});
