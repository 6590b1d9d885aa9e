import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { LanguageCode } from '@small-talk/protocol';
import {
  api,
  closeAndSettle,
  sample,
  scrape,
  startServer,
  user,
  waitFor,
  waitingCounts,
  type Client,
  type TestServer,
} from './harness.js';

/**
 * Matching that fits (issue 15): two users meet only when they share a language (or either named
 * none), and a user who asked for `anyone` widens its search after FALLBACK_AFTER_MS to every
 * other widened user who shares a language, in any category.
 */

const FALLBACK_MS = 600;

let server: TestServer;
before(async () => {
  server = await startServer({ FALLBACK_AFTER_MS: String(FALLBACK_MS), RESUME_GRACE_MS: '10000' });
});
after(() => server.close());

let opened: Client[] = [];
afterEach(async () => {
  await closeAndSettle(server, opened);
  opened = [];
});

/** A guest with an open socket that speaks `languages` (none: the default) and says `bio`. */
async function person(displayName: string, languages: LanguageCode[] = [], bio?: string) {
  const u = await user(server, displayName);
  opened.push(u.socket);
  if (languages.length > 0 || bio !== undefined) {
    const body: Record<string, unknown> = {};
    if (languages.length > 0) body.languages = languages;
    if (bio !== undefined) body.bio = bio;
    const patched = await api(server.url, 'PATCH', '/api/me', { token: u.auth.token, body });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
  }
  return { id: u.auth.user.id, displayName, token: u.auth.token, socket: u.socket, languages };
}
type Person = Awaited<ReturnType<typeof person>>;

async function join(p: Person, categories: string[], anyone?: boolean): Promise<number> {
  p.socket.send(anyone === undefined ? { type: 'join', categories } : { type: 'join', categories, anyone });
  assert.deepEqual(await p.socket.next(), { type: 'queued', categories }, `${p.displayName} queued`);
  return Date.now();
}

async function historyOf(p: Person) {
  const response = await api(server.url, 'GET', '/api/history', { token: p.token });
  assert.equal(response.status, 200);
  return response.body.connections as Array<{
    id: string;
    category: string | null;
    peer: { id: string; languages: string[] };
  }>;
}

describe('languages', () => {
  test('no common language blocks an otherwise perfect match; adding the other one’s language allows it', async () => {
    const ada = await person('Ada', ['en']);
    const bo = await person('Bo', ['fr']);
    await join(ada, ['music']);
    await join(bo, ['music']);
    await ada.socket.nothingWithin(200);
    await bo.socket.nothingWithin(0);
    assert.equal((await waitingCounts(server)).music, 2, 'both wait in music');

    bo.socket.send({ type: 'cancel' });
    await bo.socket.next('cancelled');
    assert.equal(
      (await api(server.url, 'PATCH', '/api/me', { token: bo.token, body: { languages: ['fr', 'en'] } })).status,
      200,
    );
    await join(bo, ['music']);
    const mBo = await bo.socket.next('matched');
    const mAda = await ada.socket.next('matched');
    assert.equal(mBo.roomId, mAda.roomId);
    assert.equal(mBo.category, 'music');
    assert.deepEqual(mBo.peer.languages, ['en']);
    assert.deepEqual(mAda.peer.languages, ['fr', 'en']);
  });

  test('a user who named no language meets anyone, and anyone meets it', async () => {
    const ada = await person('Ada', ['en']);
    const cy = await person('Cy');
    const dee = await person('Dee', ['ja']);
    await join(ada, ['music']);
    await join(cy, ['music']);
    assert.equal((await cy.socket.next('matched')).peer.id, ada.id);
    await ada.socket.next('matched');

    const eve = await person('Eve');
    await join(eve, ['books']);
    await join(dee, ['books']);
    const mDee = await dee.socket.next('matched');
    assert.equal(mDee.peer.id, eve.id);
    assert.deepEqual(mDee.peer.languages, []);
  });

  test('FIFO among the compatible: the longest-waiting user who shares a language, past earlier ones who share none', async () => {
    const de = await person('De', ['de']);
    const en1 = await person('En1', ['en']);
    const fr = await person('Fr', ['fr', 'en']);
    await join(de, ['music']);
    await join(en1, ['books']);
    await join(fr, ['music', 'books']);
    // Fr shares music with De but no language; it shares books and English with En1.
    const mFr = await fr.socket.next('matched');
    assert.equal(mFr.peer.id, en1.id);
    assert.equal(mFr.category, 'books');
    await en1.socket.next('matched');

    const none = await person('None');
    await join(none, ['music']);
    assert.equal(
      (await none.socket.next('matched')).peer.id,
      de.id,
      'a user with no language takes the head of the whole category',
    );
    await de.socket.next('matched');
  });

  test('matched.peer carries the peer’s languages and bio; history its languages', async () => {
    const ada = await person('Ada', ['en', 'es'], 'Plays the cello badly');
    const bo = await person('Bo', ['es']);
    await join(ada, ['music']);
    await join(bo, ['music']);
    const mBo = await bo.socket.next('matched');
    assert.deepEqual(mBo.peer, {
      id: ada.id,
      displayName: 'Ada',
      languages: ['en', 'es'],
      bio: 'Plays the cello badly',
    });
    const mAda = await ada.socket.next('matched');
    assert.deepEqual(mAda.peer, { id: bo.id, displayName: 'Bo', languages: ['es'], bio: '' });
    const [row] = await historyOf(bo);
    assert.equal(row!.id, mBo.roomId);
    assert.deepEqual(row!.peer.languages, ['en', 'es']);
  });
});

describe('anyone: the widened search', () => {
  test('two users in different categories who said anyone: not before the delay; after it matched with category null, in matched and in history', async () => {
    const ada = await person('Ada', ['en']);
    const bo = await person('Bo', ['en', 'pt']);
    const joinedAda = await join(ada, ['music'], true);
    await join(bo, ['books'], true);
    // Nothing before the delay: neither widened nor matched.
    await ada.socket.nothingWithin(FALLBACK_MS - 250);
    await bo.socket.nothingWithin(0);

    // Ada widens first and finds nobody widened yet: she is told, and waits among the widened.
    assert.deepEqual(await ada.socket.next(), { type: 'widened' });
    assert.ok(Date.now() - joinedAda >= FALLBACK_MS, 'not before the delay');
    // Bo widens next and finds her.
    const mBo = await bo.socket.next('matched');
    const mAda = await ada.socket.next('matched');
    assert.equal(mBo.roomId, mAda.roomId);
    assert.equal(mBo.category, null);
    assert.equal(mAda.category, null);
    assert.equal(mBo.initiator, true, 'the one who widened last makes the offer');
    assert.equal(mAda.initiator, false);
    assert.deepEqual(mBo.peer.languages, ['en']);
    for (const p of [ada, bo]) {
      const row = (await historyOf(p)).find((c) => c.id === mBo.roomId);
      assert.ok(row, `${p.displayName} has the room in history`);
      assert.equal(row.category, null);
    }
    const metrics = await scrape(server);
    assert.ok(sample(metrics, 'smalltalk_widened_matches_total') >= 1);
  });

  test('widening keeps languages: two widened users with no common language are not matched', async () => {
    const ada = await person('Ada', ['en']);
    const bo = await person('Bo', ['fr']);
    await join(ada, ['music'], true);
    await join(bo, ['books'], true);
    assert.deepEqual(await ada.socket.next(undefined, 3000), { type: 'widened' });
    assert.deepEqual(await bo.socket.next(undefined, 3000), { type: 'widened' });
    await ada.socket.nothingWithin(300);
    await bo.socket.nothingWithin(0);
  });

  test('only users who said anyone widen: one who did not stays in its categories', async () => {
    const ada = await person('Ada', ['en']);
    const bo = await person('Bo', ['en']);
    await join(ada, ['music'], true);
    await join(bo, ['books'], false);
    assert.deepEqual(await ada.socket.next(undefined, 3000), { type: 'widened' });
    await bo.socket.nothingWithin(FALLBACK_MS);
    await ada.socket.nothingWithin(0);
  });

  test('a widened user still matches normally in its categories (with the category), with a joiner who did not say anyone', async () => {
    const ada = await person('Ada', ['en']);
    await join(ada, ['music'], true);
    assert.deepEqual(await ada.socket.next(undefined, 3000), { type: 'widened' });
    const cy = await person('Cy', ['en']);
    await join(cy, ['music']);
    const mCy = await cy.socket.next('matched');
    assert.equal(mCy.peer.id, ada.id);
    assert.equal(mCy.category, 'music');
    assert.equal((await ada.socket.next('matched')).category, 'music');
  });

  test('a re-join restarts the wait; a cancel ends it', async () => {
    const ada = await person('Ada', ['en']);
    await join(ada, ['music'], true);
    await new Promise((resolve) => setTimeout(resolve, FALLBACK_MS / 2));
    const rejoined = await join(ada, ['music', 'books'], true);
    assert.deepEqual(await ada.socket.next(undefined, 3000), { type: 'widened' });
    assert.ok(
      Date.now() - rejoined >= FALLBACK_MS,
      `widened ${Date.now() - rejoined} ms after the re-join, not counted from the first join`,
    );

    // Bo (another category) cancels before the delay: he neither widens nor meets the widened Ada.
    const bo = await person('Bo', ['en']);
    await join(bo, ['art'], true);
    bo.socket.send({ type: 'cancel' });
    await bo.socket.next('cancelled');
    await bo.socket.nothingWithin(FALLBACK_MS + 200);
    await ada.socket.nothingWithin(0);
  });

  test('a blocked pair is never matched by widening either', async () => {
    const ada = await person('Ada', ['en']);
    const bo = await person('Bo', ['en']);
    const blocked = await api(server.url, 'POST', '/api/blocks', { token: ada.token, body: { userId: bo.id } });
    assert.equal(blocked.status, 201, JSON.stringify(blocked.body));
    await join(ada, ['music'], true);
    await join(bo, ['books'], true);
    assert.deepEqual(await ada.socket.next(undefined, 3000), { type: 'widened' });
    assert.deepEqual(await bo.socket.next(undefined, 3000), { type: 'widened' });
    // A third widened user who shares a language meets the one who widened first.
    const cy = await person('Cy', ['en']);
    await join(cy, ['art'], true);
    const mCy = await cy.socket.next('matched', 3000);
    assert.equal(mCy.peer.id, ada.id);
    assert.equal(mCy.category, null);
    await ada.socket.next('matched');
    await bo.socket.nothingWithin(100);
  });

  test('a socket that closes while waiting is not widened, and its wait is over', async () => {
    const ada = await person('Ada', ['en']);
    await join(ada, ['music'], true);
    await ada.socket.close();
    const bo = await person('Bo', ['en']);
    await join(bo, ['books'], true);
    assert.deepEqual(await bo.socket.next(undefined, 3000), { type: 'widened' });
    await bo.socket.nothingWithin(200);
    await waitFor('only Bo waiting', async () => (await api(server.url, 'GET', '/api/stats')).body.waiting === 1);
  });
});
