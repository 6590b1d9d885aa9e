import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ModUserResponse } from '@small-talk/protocol';
import { useCluster, type ClusterNode } from './cluster.js';
import { api, eventually, member, sleep, user, type Endpoint } from './harness.js';
import { makeRole } from './moderation.js';

/**
 * Evidence retention on two processes sharing Redis and PostgreSQL, with a retention of seconds:
 * the images of a decided report are deleted once it has passed, by one sweep of one process;
 * the images of an open report stay however old; and the two processes together sweep once per
 * check interval, not once each (the `evidence` lease in the `sweeps` table).
 */

const RETENTION_S = 3;
const CHECK_MS = 500;

const suite = useCluster(2, {
  EVIDENCE_RETENTION_DAYS: String(RETENTION_S / 86_400),
  EVIDENCE_SWEEP_CHECK_MS: String(CHECK_MS),
  // The sweep's line is at info.
  LOG_LEVEL: 'info',
});
const { skip, nodes, opened } = suite;

type Person = Awaited<ReturnType<typeof user>> & { node: Endpoint };

async function person(node: Endpoint, name: string): Promise<Person> {
  const p = await user(node, name);
  opened.push(p.socket);
  return { ...p, node };
}

/** `reporter` (on its node) meets `reported` (on the other) and reports it with `images` JPEGs attached. */
async function reportWithEvidence(
  reporter: Person,
  reported: Person,
  images: number,
): Promise<{ reportId: string; evidence: string[] }> {
  reporter.socket.send({ type: 'join', categories: ['music'] });
  await reporter.socket.next('queued');
  reported.socket.send({ type: 'join', categories: ['music'] });
  await reported.socket.next('queued');
  const { roomId } = await reporter.socket.next('matched');
  await reported.socket.next('matched');
  const filed = await api(reporter.node.url, 'POST', '/api/reports', {
    token: reporter.auth.token,
    body: { userId: reported.auth.user.id, connectionId: roomId, reason: 'nudity' },
  });
  assert.equal(filed.status, 201, JSON.stringify(filed.body));
  const evidence: string[] = [];
  for (let i = 0; i < images; i++) {
    const image = Buffer.alloc(1000, 0x30 + i);
    image.set([0xff, 0xd8, 0xff, 0xe0]);
    const response = await fetch(`${reporter.node.url}/api/reports/${filed.body.report.id}/evidence`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${reporter.auth.token}` },
      body: image,
    });
    assert.equal(response.status, 201);
    evidence.push(((await response.json()) as { evidence: { id: string } }).evidence.id);
  }
  return { reportId: filed.body.report.id, evidence };
}

/** Every evidence sweep a process made: the time of the lease it took, and how many images it deleted. */
function sweepsOf(node: ClusterNode): Array<{ node: number; time: number; evidence: number }> {
  return node
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; leaseAt?: string; evidence?: number })
    .filter((entry) => entry.msg === 'swept evidence past its retention')
    .map((entry) => ({ node: node.index, time: Date.parse(entry.leaseAt ?? ''), evidence: entry.evidence ?? -1 }));
}

describe('evidence retention across two processes', { skip }, () => {
  test('a decided report loses its evidence once the retention has passed, in one sweep of one process; an open report keeps its own', async () => {
    const staff = await member(nodes[0]!.url, { displayName: 'Mo' });
    await makeRole(suite.cluster, staff.email, 'moderator');
    const evidenceOf = async (node: Endpoint, userId: string) => {
      const page = await api(node.url, 'GET', `/api/mod/users/${userId}`, { token: staff.token });
      assert.equal(page.status, 200, JSON.stringify(page.body));
      return ModUserResponse.parse(page.body).reports.flatMap((r) => r.evidence);
    };

    const [ada, bo, cy, dee] = await Promise.all([
      person(nodes[0]!, 'Ada'),
      person(nodes[1]!, 'Bo'),
      person(nodes[1]!, 'Cy'),
      person(nodes[0]!, 'Dee'),
    ]);
    const decided = await reportWithEvidence(ada, bo, 2);
    const open = await reportWithEvidence(cy, dee, 1);

    // A moderator decides one now (on the other process): its evidence is kept for the retention.
    const decidedAt = Date.now();
    const decision = await api(nodes[1]!.url, 'POST', `/api/mod/users/${bo.auth.user.id}/actions`, {
      token: staff.token,
      body: { action: 'warn', reason: 'no nudity on camera', reportIds: [decided.reportId] },
    });
    assert.equal(decision.status, 201, JSON.stringify(decision.body));
    assert.deepEqual(await evidenceOf(nodes[1]!, bo.auth.user.id), decided.evidence);
    const early = await api(nodes[1]!.url, 'GET', `/api/mod/evidence/${decided.evidence[0]}`, { token: staff.token });
    assert.equal(early.status, 200, 'within its retention the evidence is still there');

    // Gone soon after the retention: the retention plus one check, with room for a busy machine.
    await eventually(
      "the decided report's evidence deleted",
      async () => (await evidenceOf(nodes[0]!, bo.auth.user.id)).length === 0,
      RETENTION_S * 1000 + CHECK_MS * 2 + 5000,
    );
    assert.ok(Date.now() - decidedAt >= RETENTION_S * 1000, 'not before the retention passed');
    for (const id of decided.evidence) {
      const gone = await api(nodes[1]!.url, 'GET', `/api/mod/evidence/${id}`, { token: staff.token });
      assert.equal(gone.status, 404);
    }

    // The open report's evidence, older than the retention by now, stays through more sweeps.
    await sleep(CHECK_MS * 4);
    assert.deepEqual(await evidenceOf(nodes[1]!, dee.auth.user.id), open.evidence);
    const kept = await api(nodes[0]!.url, 'GET', `/api/mod/evidence/${open.evidence[0]}`, { token: staff.token });
    assert.equal(kept.status, 200);

    const sweeps = [...sweepsOf(nodes[0]!), ...sweepsOf(nodes[1]!)].sort((a, b) => a.time - b.time);
    // Deleted exactly once: one sweep of one process took both images; every other sweep found nothing.
    assert.deepEqual(
      sweeps.filter((s) => s.evidence !== 0).map((s) => s.evidence),
      [2],
      JSON.stringify(sweeps),
    );
    // One lease per check interval for the whole cluster: the leases' own times are at least a
    // check interval apart, however late a busy machine runs the timers or logs the sweeps. Two
    // processes each sweeping on their own would take leases half an interval apart, or closer.
    assert.ok(sweeps.length >= 5, `sweeps: ${JSON.stringify(sweeps)}`);
    assert.ok(
      sweeps.every((s) => Number.isFinite(s.time)),
      `every sweep logs its lease: ${JSON.stringify(sweeps)}`,
    );
    const gaps = sweeps.slice(1).map((s, i) => s.time - sweeps[i]!.time);
    assert.ok(
      gaps.every((gap) => gap >= CHECK_MS),
      `leases closer than a check interval (${CHECK_MS} ms): ${JSON.stringify(gaps)}`,
    );
    const span = sweeps.at(-1)!.time - sweeps[0]!.time;
    assert.ok(sweeps.length <= span / CHECK_MS + 2, `${sweeps.length} sweeps in ${span} ms`);
  });
});
