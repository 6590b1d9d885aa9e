import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { FriendsResponse, HistoryResponse, MeResponse } from '@small-talk/protocol';
import {
  api,
  closeAndSettle,
  connect,
  eventually,
  guest,
  uniqueEmail,
  type Client,
  type TestServer,
  startServer,
} from './harness.js';

/**
 * Display names: what a user may take (docs/protocol.md "Display names"), and how a stored name
 * that predates the rule is shown. Runs on SQLite here and on PostgreSQL in scale-http.test.ts.
 */

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

let opened: Client[] = [];
afterEach(async () => {
  await closeAndSettle(server, opened);
  opened = [];
});

const REFUSED_CHARACTERS = /control, invisible/;

/** Sends `displayName` as the raw JSON text given (so lone surrogates and NUL go out exactly as written). */
async function signUp(route: 'guest' | 'register', displayNameJson: string) {
  const extra = route === 'register' ? `"email":"${uniqueEmail('names')}","password":"correct horse battery",` : '';
  return api(server.url, 'POST', `/api/auth/${route}`, { body: `{${extra}"displayName":${displayNameJson}}` });
}

type Outcome = { stored: string } | { code: 'bad_request' | 'reserved_name'; message?: RegExp };

/** [what it is, the name as JSON text, the outcome]. JSON escapes keep invisible characters visible here. */
const table: Array<[string, string, Outcome]> = [
  // Ordinary names in many scripts.
  ['Latin with accents', '"José"', { stored: 'José' }],
  ['Chinese', '"张伟"', { stored: '张伟' }],
  ['Arabic', '"محمد"', { stored: 'محمد' }],
  ['Icelandic', '"Ólafur"', { stored: 'Ólafur' }],
  ['Vietnamese', '"Nguyễn"', { stored: 'Nguyễn' }],
  ['Devanagari conjunct', '"स्त्री"', { stored: 'स्त्री' }],
  ['surrounding spaces are trimmed', '"  Ada  "', { stored: 'Ada' }],
  ['NFC: e + U+0301 is stored as é', '"Jose\\u0301"', { stored: 'Jos\u00e9' }],
  [
    'a letter and an emoji joined by ZWJ (one emoji)',
    '"Dev \\ud83d\\udc69\\u200d\\ud83d\\udcbb"',
    { stored: 'Dev 👩‍💻' },
  ],
  ['32 characters, 31 of them emoji', JSON.stringify(`A${'😀'.repeat(31)}`), { stored: `A${'😀'.repeat(31)}` }],
  ['32 characters with family emoji', JSON.stringify(`A${'👨‍👩‍👧‍👦'.repeat(31)}`), { stored: `A${'👨‍👩‍👧‍👦'.repeat(31)}` }],
  [
    '4 stacked marks (pointed Hebrew reaches 4)',
    '"A\\u0300\\u0316\\u0317\\u0318"',
    { stored: '\u00c0\u0316\u0317\u0318' },
  ],
  // Invisible, direction-changing and control characters.
  ['zero-width joiner between letters', '"Ad\\u200da"', { code: 'bad_request', message: REFUSED_CHARACTERS }],
  ['zero-width space', '"Ad\\u200ba"', { code: 'bad_request', message: REFUSED_CHARACTERS }],
  ['right-to-left override U+202E', '"\\u202eadA"', { code: 'bad_request', message: REFUSED_CHARACTERS }],
  ['right-to-left isolate U+2067', '"Ada\\u2067x"', { code: 'bad_request', message: REFUSED_CHARACTERS }],
  ['NUL', '"Ada\\u0000"', { code: 'bad_request', message: REFUSED_CHARACTERS }],
  ['escape (C0 control)', '"Ada\\u001b[31m"', { code: 'bad_request', message: REFUSED_CHARACTERS }],
  ['C1 control', '"Ada\\u0085"', { code: 'bad_request', message: REFUSED_CHARACTERS }],
  ['lone high surrogate', '"Ada\\ud800"', { code: 'bad_request', message: REFUSED_CHARACTERS }],
  ['lone low surrogate', '"\\udc00Ada"', { code: 'bad_request', message: REFUSED_CHARACTERS }],
  ['private use', '"Ada\\ue000"', { code: 'bad_request', message: REFUSED_CHARACTERS }],
  ['noncharacter U+FDD0', '"Ada\\ufdd0"', { code: 'bad_request', message: REFUSED_CHARACTERS }],
  ['noncharacter U+FFFE', '"Ada\\ufffe"', { code: 'bad_request', message: REFUSED_CHARACTERS }],
  ['line separator', '"Ada\\u2028Bo"', { code: 'bad_request', message: REFUSED_CHARACTERS }],
  // Floods, length, content.
  [
    'combining-mark flood',
    JSON.stringify(`Z${'\u0336\u0337\u0338\u0335\u0334'.repeat(8)}algo`),
    { code: 'bad_request', message: /marks/ },
  ],
  ['5 stacked marks', '"A\\u0316\\u0317\\u0318\\u0319\\u031a"', { code: 'bad_request', message: /marks/ }],
  ['33 characters', JSON.stringify('x'.repeat(33)), { code: 'bad_request', message: /at most 32/ }],
  ['33 characters of emoji', JSON.stringify(`A${'😀'.repeat(32)}`), { code: 'bad_request', message: /at most 32/ }],
  ['5,000 characters', JSON.stringify('x'.repeat(5_000)), { code: 'bad_request', message: /at most 32/ }],
  ['only emoji', '"😀😀"', { code: 'bad_request', message: /letter or digit/ }],
  ['only punctuation', '"!!!"', { code: 'bad_request', message: /letter or digit/ }],
  ['only spaces', '"   "', { code: 'bad_request' }],
  ['empty', '""', { code: 'bad_request' }],
  // Names that pass for the service (default RESERVED_NAMES: Small Talk, admin, moderator, support).
  ['the service name', '"Small Talk"', { code: 'reserved_name' }],
  ['digits for letters', '"Sma11 Talk"', { code: 'reserved_name' }],
  ['no space', '"smalltalk"', { code: 'reserved_name' }],
  ['a non-breaking hyphen', '"Small\\u2011Talk"', { code: 'reserved_name' }],
  ['spaced out', '"S m a l l  T a l k"', { code: 'reserved_name' }],
  ['upper case', '"ADMIN"', { code: 'reserved_name' }],
  ['fullwidth', '"ＡＤＭＩＮ"', { code: 'reserved_name' }],
  ['Cyrillic а', '"\\u0430dmin"', { code: 'reserved_name' }],
  ['an accent', '"Ädmin"', { code: 'reserved_name' }],
  ['symbols for letters', '"@dm1n"', { code: 'reserved_name' }],
  ['m0derator', '"m0derator"', { code: 'reserved_name' }],
  ['5upport', '"5upport"', { code: 'reserved_name' }],
  ['a reserved word among others', '"Support Team"', { code: 'reserved_name' }],
  ['the service name with a title', '"Small Talk Support"', { code: 'reserved_name' }],
  // Near misses that are ordinary names: reserved names match whole words only.
  ['Badminton', '"Badminton"', { stored: 'Badminton' }],
  ['Ad Mina', '"Ad Mina"', { stored: 'Ad Mina' }],
  ['Supporter', '"Supporter"', { stored: 'Supporter' }],
  ['Talk Small', '"Talk Small"', { stored: 'Talk Small' }],
];

for (const route of ['guest', 'register'] as const) {
  describe(`POST /api/auth/${route}: the display name rule`, () => {
    for (const [what, json, outcome] of table) {
      test(`${what}: ${'stored' in outcome ? 'taken' : outcome.code}`, async () => {
        const response = await signUp(route, json);
        if ('stored' in outcome) {
          assert.equal(response.status, 201, JSON.stringify(response.body));
          assert.equal(response.body.user.displayName, outcome.stored);
          // What the server kept, not only what it echoed.
          const me = await api(server.url, 'GET', '/api/me', { token: response.body.token });
          assert.equal(MeResponse.parse(me.body).user.displayName, outcome.stored);
        } else {
          assert.equal(response.status, 400, `${what} was taken: ${JSON.stringify(response.body)}`);
          assert.equal(response.body.error.code, outcome.code);
          assert.match(response.body.error.message, /^displayName: |reserved/);
          if (outcome.message) assert.match(response.body.error.message, outcome.message);
        }
      });
    }
  });
}

test('a guest upgrading to a member is held to the same rule', async () => {
  const { token } = await guest(server.url, 'Ada');
  const body = { email: uniqueEmail('upgrade'), password: 'correct horse battery', displayName: 'Adm1n' };
  const reserved = await api(server.url, 'POST', '/api/auth/register', { token, body });
  assert.equal(reserved.status, 400);
  assert.equal(reserved.body.error.code, 'reserved_name');
  const hidden = await api(server.url, 'POST', '/api/auth/register', {
    token,
    body: { ...body, displayName: 'Ada\u202e' },
  });
  assert.equal(hidden.status, 400);
  assert.equal(hidden.body.error.code, 'bad_request');
  const me = await api(server.url, 'GET', '/api/me', { token });
  assert.deepEqual({ name: me.body.user.displayName, kind: me.body.user.kind }, { name: 'Ada', kind: 'guest' });
});

test("RESERVED_NAMES is the operator's list: it replaces the defaults", async () => {
  const own = await startServer({ RESERVED_NAMES: 'Acme Chat, Staff' });
  try {
    const tries = async (displayName: string) =>
      (await api(own.url, 'POST', '/api/auth/guest', { body: { displayName } })).status;
    assert.equal(await tries('ACME-chat'), 400);
    assert.equal(await tries('St4ff'), 400);
    assert.equal(await tries('admin'), 201);
  } finally {
    await own.close();
  }
});

describe('a stored name that breaks the rule (a row from before it)', () => {
  const postgres = () => server.server.db.dialect === 'postgres';
  // PostgreSQL refuses NUL in text outright, so that part of the row exists on SQLite only.
  const badName = () => `\u202eA\u200bda${postgres() ? '' : '\u0000'}\u0007${'\u0301'.repeat(30)}`;
  // Bad code points gone, a + U+0301 composed to á, the 29 marks left capped at 4.
  const shown = `Ad\u00e1${'\u0301'.repeat(4)}`;
  const setName = (id: string, name: string) =>
    server.server.db.kysely.updateTable('users').set({ display_name: name }).where('id', '=', id).execute();

  test('is shown cleaned everywhere it leaves the server: /api/me, matched, history, friends; never a 500', async () => {
    const ada = await guest(server.url, 'Ada');
    const bo = await guest(server.url, 'Bo');
    await setName(ada.user.id, badName());

    const me = await api(server.url, 'GET', '/api/me', { token: ada.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.displayName, shown);

    // The socket takes its user at the upgrade, so the peer sees the cleaned name in `matched`.
    const a = await connect(server, ada.token);
    const b = await connect(server, bo.token);
    opened.push(a, b);
    await a.next('welcome');
    await b.next('welcome');
    a.send({ type: 'join', categories: ['music'] });
    await a.next('queued');
    b.send({ type: 'join', categories: ['music'] });
    assert.equal((await b.next('matched')).peer.displayName, shown);
    await a.next('matched');

    const history = await eventually('history row', async () => {
      const rows = HistoryResponse.parse(
        (await api(server.url, 'GET', '/api/history', { token: bo.token })).body,
      ).connections;
      return rows[0];
    });
    assert.equal(history.peer.displayName, shown);

    const asked = await api(server.url, 'POST', '/api/friends/requests', {
      token: bo.token,
      body: { userId: ada.user.id },
    });
    assert.equal(asked.status, 201, JSON.stringify(asked.body));
    assert.equal(asked.body.request.to.displayName, shown);
    const friends = FriendsResponse.parse((await api(server.url, 'GET', '/api/friends', { token: bo.token })).body);
    assert.equal(friends.outgoing[0]?.to.displayName, shown);
    const accepted = await api(server.url, 'POST', `/api/friends/requests/${asked.body.request.id}/accept`, {
      token: ada.token,
    });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    const after = FriendsResponse.parse((await api(server.url, 'GET', '/api/friends', { token: bo.token })).body);
    assert.equal(after.friends[0]?.user.displayName, shown);
  });

  test('with nothing showable left, it is shown as "Guest"', async () => {
    const cy = await guest(server.url, 'Cy');
    await setName(cy.user.id, '\u202e\u200b\u2066');
    const me = await api(server.url, 'GET', '/api/me', { token: cy.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.displayName, 'Guest');
  });
});
