import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CategoriesResponse } from '@small-talk/protocol';
import { api, eventually, startServer, user, type TestServer } from './harness.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const SEEDED = ['music', 'movies', 'books', 'sports', 'gaming', 'travel', 'food', 'tech'];

async function waiting(): Promise<Record<string, number>> {
  const response = await api(server.url, 'GET', '/api/categories');
  assert.equal(response.status, 200);
  const { categories } = CategoriesResponse.parse(response.body);
  return Object.fromEntries(categories.map((c) => [c.slug, c.waiting]));
}

/** Waits until every listed category shows the expected count (the others must be 0). */
function expectWaiting(expected: Record<string, number>): Promise<Record<string, number>> {
  let last: Record<string, number> = {};
  return eventually(`waiting ${JSON.stringify(expected)}`, async () => {
    last = await waiting();
    const ok = Object.entries(last).every(([slug, count]) => count === (expected[slug] ?? 0));
    return ok ? last : undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message}; last seen ${JSON.stringify(last)}`);
  });
}

test('GET /api/categories lists at least the seeded categories as {slug,name,waiting}, without a session', async () => {
  const response = await api(server.url, 'GET', '/api/categories');
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const { categories } = CategoriesResponse.strict().parse(response.body);
  for (const category of categories) {
    assert.deepEqual(Object.keys(category).sort(), ['name', 'slug', 'waiting']);
    assert.ok(category.name.trim().length > 0, `${category.slug} has a name`);
    assert.equal(category.waiting, 0, 'nobody is queued yet');
  }
  const slugs = categories.map((c) => c.slug);
  for (const slug of SEEDED) assert.ok(slugs.includes(slug), `${slug} is seeded`);
  assert.equal(new Set(slugs).size, slugs.length, 'slugs are unique');
});

test('waiting counts users queued now; one queued in two categories counts in both; a match empties them', async () => {
  const ada = await user(server, 'Ada');
  ada.socket.send({ type: 'join', categories: ['music', 'books'] });
  await ada.socket.next('queued');
  await expectWaiting({ music: 1, books: 1 });

  const bo = await user(server, 'Bo');
  bo.socket.send({ type: 'join', categories: ['books', 'travel'] });
  await bo.socket.next('queued');
  // Bo matched Ada in books: Ada leaves every queue she was in, Bo never waits.
  await ada.socket.next('matched');
  await bo.socket.next('matched');
  await expectWaiting({});

  await ada.socket.close();
  await bo.socket.close();
});

test('waiting follows cancel, a re-join that replaces categories, and a socket closed while queued', async () => {
  const cy = await user(server, 'Cy');
  const di = await user(server, 'Di');
  cy.socket.send({ type: 'join', categories: ['gaming', 'tech'] });
  await cy.socket.next('queued');
  di.socket.send({ type: 'join', categories: ['food'] });
  await di.socket.next('queued');
  await expectWaiting({ gaming: 1, tech: 1, food: 1 });

  // Joining again while queued replaces the categories.
  cy.socket.send({ type: 'join', categories: ['sports'] });
  await cy.socket.next('queued');
  await expectWaiting({ sports: 1, food: 1 });

  cy.socket.send({ type: 'cancel' });
  await cy.socket.next('cancelled');
  await expectWaiting({ food: 1 });

  await di.socket.drop();
  await expectWaiting({});
  await cy.socket.close();
});

test('a match takes only the two matched users out of the counts; others stay counted', async () => {
  const users = await Promise.all(['E', 'F', 'G'].map((name) => user(server, name)));
  // E and F share nothing, so both wait.
  const picks = [['movies'], ['music'], ['movies', 'music']];
  users[0]!.socket.send({ type: 'join', categories: picks[0] });
  await users[0]!.socket.next('queued');
  users[1]!.socket.send({ type: 'join', categories: picks[1] });
  await users[1]!.socket.next('queued');
  await expectWaiting({ movies: 1, music: 1 });
  // The third shares both: matched with the longest waiting (E in movies); music keeps F.
  users[2]!.socket.send({ type: 'join', categories: picks[2] });
  await users[2]!.socket.next('matched');
  await expectWaiting({ music: 1 });
  await Promise.all(users.map((u) => u.socket.close()));
});
