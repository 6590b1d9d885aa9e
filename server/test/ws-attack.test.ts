import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ATTACK_TARGETS, measureAttack, type AttackFigures } from '../bench/attack.js';
import { startCluster, startServices, type Cluster, type Services } from './cluster.js';
import { startServerProcess, type ServerProcess } from './e2e/server.js';
import { sample, scrape } from './harness.js';
import { missingServices } from './services.js';

/**
 * Issue 11: while one socket sends the worst frames it is allowed (64 KiB signals nested 32 deep,
 * frames one level deeper, 64 KiB joins) inside a room, at its byte budget, `/healthz` p99 stays
 * under 50 ms and another pair's relay p99 under twice what it is without the attacker, measured
 * in the same run (bench/attack.ts alternates slices without and with the attacker). The bounds
 * are the issue's own; `npm run bench -- --only attack` reports the same figures.
 */

const SLICE_MS = 500;
const SLICES = 10;
/**
 * A p99 over a few seconds on a shared machine can catch a neighbour's burst in one phase only;
 * a run that misses is run again, up to this many times in all. A server that really stalls
 * (parsing a deep frame for tens of milliseconds) misses every time.
 */
const ATTEMPTS = 3;

/** Runs `measure` until its figures hold the bounds, up to ATTEMPTS times; fails with the last. */
async function heldWithin(
  t: { diagnostic(message: string): void },
  measure: () => Promise<AttackFigures>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const figures = await measure();
    t.diagnostic(`attempt ${attempt}: ${describeFigures(figures)}`);
    try {
      assertHeld(figures);
      return;
    } catch (error) {
      if (attempt === ATTEMPTS) throw error;
    }
  }
}

function describeFigures(f: AttackFigures): string {
  const l = (x: { p50: number; p99: number; count: number }) =>
    `p50 ${x.p50.toFixed(2)} p99 ${x.p99.toFixed(2)} ms (${x.count})`;
  return (
    `relay: ${l(f.baseline.relay)} → ${l(f.attacked.relay)}; healthz: ${l(f.baseline.healthz)} → ${l(f.attacked.healthz)}; ` +
    `attacker sent ${f.attacker.framesSent} frames, ${(f.attacker.bytesSent / 1024).toFixed(0)} KiB, got ${JSON.stringify(f.attacker.errors)}`
  );
}

function assertHeld(f: AttackFigures): void {
  const what = describeFigures(f);
  assert.equal(f.attacker.closeCode, undefined, `the attacker stayed within its budget and was not closed: ${what}`);
  // It really attacked: its deep frames were refused, its joins too, and its signals relayed.
  assert.ok((f.attacker.errors.bad_request ?? 0) > 0, `frames one level too deep were refused: ${what}`);
  assert.ok((f.attacker.errors.payload_too_large ?? 0) > 0, `large joins were refused: ${what}`);
  assert.equal(f.attacker.errors.internal, undefined, `no internal errors: ${what}`);
  // Each costs more than the whole burst (its structure counted), so a few fit in a run.
  assert.ok(f.attacker.partnerBytes >= 2 * 64 * 1024, `the large deep signals were relayed: ${what}`);
  assert.ok(f.attacked.relay.count > 50 && f.baseline.relay.count > 50, `enough relay samples: ${what}`);
  assert.ok(
    f.attacked.healthz.p99 < ATTACK_TARGETS.healthP99Ms,
    `/healthz p99 under ${ATTACK_TARGETS.healthP99Ms} ms: ${what}`,
  );
  assert.ok(
    f.relayP99Ratio < ATTACK_TARGETS.relayP99Ratio,
    `relay p99 within ${ATTACK_TARGETS.relayP99Ratio}× its baseline: ${what}`,
  );
}

// The server in a process of its own, as deployed: in the test's own process the measuring
// clients (and the attacker's 64 KiB sends) would share its event loop and time themselves.
// The Redis + PostgreSQL rerun (scale-ws) skips it: the two-process test below covers that.
describe(
  'one process',
  { skip: process.env.SMALLTALK_TEST_POSTGRES ? 'the two-process test covers Redis + PostgreSQL' : false },
  () => {
    let server: ServerProcess;
    let endpoint: Endpoint;
    before(async () => {
      server = await startServerProcess({ env: { GUEST_RATE_LIMIT_PER_MIN: '100000', REMATCH_COOLDOWN_S: '0' } });
      endpoint = { url: server.url, wsUrl: `${server.url.replace(/^http/, 'ws')}/ws` };
    });
    after(() => server?.stop());

    test('the worst allowed frames from one socket stall neither /healthz nor another pair', async (t) => {
      await heldWithin(t, () =>
        measureAttack({
          victims: [endpoint, endpoint],
          attackers: [endpoint, endpoint],
          health: endpoint,
          sliceMs: SLICE_MS,
          slices: SLICES,
        }),
      );
      assert.equal(
        sample(await scrape(endpoint), 'smalltalk_errors_total', { code: 'internal' }),
        0,
        'no internal error on the server',
      );
      assert.doesNotMatch(server.output(), /"level":(50|60)/, 'the server logged an error');
    });
  },
);

// On the shared services once: scale-ws.test.ts reruns this file with the one-process test
// already on Redis + PostgreSQL, where a second cluster would only double the time.
const skip = process.env.SMALLTALK_TEST_POSTGRES
  ? 'the one-process test covers Redis + PostgreSQL in this run'
  : missingServices();

describe('two processes on Redis + PostgreSQL', { skip: skip ?? false }, () => {
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

  test('with the victims and the attacker each split over both processes, neither stalls, and nothing is logged at error', async (t) => {
    const [one, two] = cluster.nodes as [Endpoint, Endpoint] & typeof cluster.nodes;
    await heldWithin(t, () =>
      measureAttack({ victims: [one, two], attackers: [one, two], health: one, sliceMs: SLICE_MS, slices: SLICES }),
    );
    for (const node of cluster.nodes) {
      // The processes log at warn: an error line (level 50) would be a frame gone wrong.
      assert.doesNotMatch(node.output(), /"level":(50|60)/, `process ${node.index} logged an error`);
    }
  });
});

type Endpoint = { url: string; wsUrl: string };
