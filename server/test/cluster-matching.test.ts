import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { LanguageCode, MatchedEvent } from '@small-talk/protocol';
import { useCluster } from './cluster.js';
import { api, sleep, user, waitFor, type Endpoint } from './harness.js';

/**
 * Matching that fits, across two processes on one Redis and one PostgreSQL: languages, the
 * widened search (its wait timed by the process holding the socket, the match made in Redis)
 * and blocks keep every guarantee of protocol v1 when joins on both processes race.
 */
const FALLBACK_MS = 500;

const { skip, nodes, opened } = useCluster(2, { FALLBACK_AFTER_MS: String(FALLBACK_MS), RESUME_GRACE_MS: '2000' });
afterEach(async () => {
  await waitFor('nobody waiting', async () => (await api(nodes[0]!.url, 'GET', '/api/stats')).body.waiting === 0, 5000);
});

async function person(node: Endpoint, displayName: string, languages: LanguageCode[]) {
  const u = await user(node, displayName);
  opened.push(u.socket);
  if (languages.length > 0) {
    const patched = await api(node.url, 'PATCH', '/api/me', { token: u.auth.token, body: { languages } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
  }
  return { id: u.auth.user.id, token: u.auth.token, socket: u.socket, node, languages };
}

function compatible(a: readonly string[], b: readonly string[]): boolean {
  return a.length === 0 || b.length === 0 || a.some((code) => b.includes(code));
}

describe('matching across two processes', { skip }, () => {
  test('languages hold across processes: no match without a common one, the compatible one who came later is taken', async () => {
    const ada = await person(nodes[0]!, 'Ada', ['en']);
    const bo = await person(nodes[1]!, 'Bo', ['fr']);
    for (const p of [ada, bo]) {
      p.socket.send({ type: 'join', categories: ['music'] });
      await p.socket.next('queued');
    }
    await bo.socket.nothingWithin(200);
    const cy = await person(nodes[1]!, 'Cy', ['fr', 'en']);
    cy.socket.send({ type: 'join', categories: ['music'] });
    const mCy = await cy.socket.next('matched');
    assert.equal(mCy.peer.id, ada.id, 'Ada waited longest of those Cy can talk to');
    assert.deepEqual(mCy.peer.languages, ['en']);
    assert.equal((await ada.socket.next('matched')).roomId, mCy.roomId);
  });

  test('the widened search across processes: not before the delay, then category null in matched and in history on either process', async () => {
    const ada = await person(nodes[0]!, 'Ada', ['en']);
    const bo = await person(nodes[1]!, 'Bo', ['en']);
    ada.socket.send({ type: 'join', categories: ['music'], anyone: true });
    await ada.socket.next('queued');
    const joined = Date.now();
    bo.socket.send({ type: 'join', categories: ['books'], anyone: true });
    await bo.socket.next('queued');
    await ada.socket.nothingWithin(FALLBACK_MS - 200);
    assert.deepEqual(await ada.socket.next(undefined, 3000), { type: 'widened' });
    assert.ok(Date.now() - joined >= FALLBACK_MS - 50);
    const mBo = await bo.socket.next('matched', 3000);
    const mAda = await ada.socket.next('matched', 3000);
    assert.equal(mBo.roomId, mAda.roomId);
    assert.deepEqual([mBo.category, mAda.category], [null, null]);
    for (const [p, node] of [
      [ada, nodes[1]!],
      [bo, nodes[0]!],
    ] as const) {
      const history = await api(node.url, 'GET', '/api/history', { token: p.token });
      const row = history.body.connections.find((c: { id: string }) => c.id === mBo.roomId);
      assert.ok(row);
      assert.equal(row.category, null);
    }
  });

  test('124 users joining at once over both processes, with languages, blocks and half saying anyone: every guarantee holds', async () => {
    const categories = ['music', 'movies', 'books', 'sports'];
    const languages: LanguageCode[] = ['en', 'fr', 'de', 'es', 'ja'];
    const people = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        person(
          nodes[i % 2]!,
          `u${i}`,
          i % 10 === 0 ? [] : [...new Set([languages[i % 5]!, languages[(i * 3 + 1) % 5]!])].slice(0, 1 + (i % 2)),
        ).then((p) => ({
          ...p,
          categories: [...new Set([categories[i % 4]!, categories[(i * 3 + 1) % 4]!])].slice(0, 1 + ((i >> 1) % 2)),
          anyone: i % 4 < 2,
        })),
      ),
    );
    // Four who speak only Icelandic, each alone in a category nobody else chose: only widening can pair them.
    for (const [i, category] of ['art', 'food', 'tech', 'travel'].entries()) {
      const p = await person(nodes[i % 2]!, `is${i}`, ['is']);
      people.push({ ...p, categories: [category], anyone: true });
    }
    // Each of every third user blocks the user five further on.
    const blocked = new Set<string>();
    for (let i = 0; i < 120; i += 3) {
      const other = people[(i + 5) % 120]!;
      const made = await api(nodes[i % 2]!.url, 'POST', '/api/blocks', {
        token: people[i]!.token,
        body: { userId: other.id },
      });
      assert.equal(made.status, 201);
      blocked.add([people[i]!.id, other.id].sort().join(' '));
    }
    for (const p of people) p.socket.send({ type: 'join', categories: p.categories, anyone: p.anyone });
    // The waits run out, the widened find each other; then nothing changes any more.
    await sleep(FALLBACK_MS + 1500);

    const byId = new Map(people.map((p) => [p.id, p]));
    const matched = new Map<string, MatchedEvent>();
    const widened = new Set<string>();
    for (const p of people) {
      for (const frame of p.socket.frames) {
        if (frame.type === 'matched') {
          assert.ok(!matched.has(p.id), `${p.id} was matched twice`);
          matched.set(p.id, frame);
        } else if (frame.type === 'widened') {
          assert.ok(p.anyone, 'only those who said anyone widen');
          widened.add(p.id);
        } else assert.equal(frame.type, 'queued', JSON.stringify(frame));
      }
    }
    for (const [id, m] of matched) {
      assert.notEqual(m.peer.id, id, 'never self');
      const back = matched.get(m.peer.id);
      assert.ok(back, `${m.peer.id} was not told of its room`);
      assert.equal(back.roomId, m.roomId, 'one room for both');
      assert.equal(back.peer.id, id);
      const me = byId.get(id)!;
      const peer = byId.get(m.peer.id)!;
      assert.ok(!blocked.has([id, peer.id].sort().join(' ')), 'a blocked pair was matched');
      assert.ok(compatible(me.languages, peer.languages), 'matched without a common language');
      if (m.category === null) assert.ok(me.anyone && peer.anyone, 'category null only between two who said anyone');
      else assert.ok(me.categories.includes(m.category) && peer.categories.includes(m.category));
    }
    // Nobody left waiting who could meet: every anyone user still waiting has widened by now.
    const waiting = people.filter((p) => !matched.has(p.id));
    for (const p of waiting)
      if (p.anyone) assert.ok(widened.has(p.id), `${p.id} said anyone, waited, and was not widened`);
    for (const [i, a] of waiting.entries()) {
      for (const b of waiting.slice(i + 1)) {
        if (blocked.has([a.id, b.id].sort().join(' ')) || !compatible(a.languages, b.languages)) continue;
        assert.ok(
          !a.categories.some((c) => b.categories.includes(c)),
          `${a.id} and ${b.id} could meet in a category and both wait`,
        );
        assert.ok(!(a.anyone && b.anyone), `${a.id} and ${b.id} both widened, share a language, and both wait`);
      }
    }
    assert.ok(matched.size >= 60, `most are matched (${matched.size})`);
    assert.ok(
      [...matched.values()].some((m) => m.category === null),
      'some matches came from widening',
    );
    const stats = await api(nodes[1]!.url, 'GET', '/api/stats');
    await waitFor(
      'stats agree',
      async () => (await api(nodes[1]!.url, 'GET', '/api/stats')).body.waiting === waiting.length,
    );
    assert.equal(stats.status, 200);
  });
});
