import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MeResponse, RulesResponse } from '@small-talk/protocol';
import { Standing } from '../src/safety/standing.js';
import {
  acquaintances,
  api,
  closeAndSettle,
  consent,
  guest,
  sample,
  scrape,
  startServer,
  type TestServer,
  restrict,
} from './harness.js';

/** The age and rules gate over HTTP: the rules, the consent answers, and friend requests behind the gate. */

/** A day `years` years before today (UTC), shifted by `days`, as YYYY-MM-DD. */
function birthDate(years: number, days = 0): string {
  const now = new Date();
  const date = new Date(Date.UTC(now.getUTCFullYear() - years, now.getUTCMonth(), now.getUTCDate() + days));
  return date.toISOString().slice(0, 10);
}

function rulesFile(version: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-rules-'));
  const file = path.join(dir, 'rules.md');
  fs.writeFileSync(file, `---\nversion: ${version}\n---\n# Rules\n\nBe {{minAge}} or older. Be kind.\n`);
  return file;
}

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const postConsent = (token: string, body: unknown) => api(server.url, 'POST', '/api/me/consent', { token, body });

describe('GET /api/rules', () => {
  test('needs no session and answers the shipped rules: version, minimum age, Markdown that says it', async () => {
    const response = await api(server.url, 'GET', '/api/rules');
    assert.equal(response.status, 200);
    const rules = RulesResponse.strict().parse(response.body);
    assert.equal(rules.version, 1);
    assert.equal(rules.minAge, 18);
    assert.match(rules.text, /^# Small Talk community rules/);
    assert.match(rules.text, /18 or older/, 'the minimum age in the text is the one the server checks');
    assert.doesNotMatch(rules.text, /\{\{minAge\}\}|^---/m);
    assert.match(rules.text, /nudity/i);
    assert.match(rules.text, /Report/);
  });

  test("the operator's file and MIN_AGE: its version, and the age written into its text", async () => {
    const other = await startServer({ RULES_FILE: rulesFile(7), MIN_AGE: '16' });
    try {
      const rules = (await api(other.url, 'GET', '/api/rules')).body;
      assert.deepEqual(rules, {
        version: 7,
        minAge: 16,
        text: '# Rules\n\nBe 16 or older. Be kind.',
        contactEmail: null,
      });
    } finally {
      await other.close();
    }
  });

  test('a rules file without a version stops the server at start-up', async () => {
    const file = rulesFile(1);
    fs.writeFileSync(file, '# Rules without front matter\n');
    await assert.rejects(startServer({ RULES_FILE: file }), /version/);
  });
});

describe('the own user: consent and restriction', () => {
  test('a new guest has neither, in the auth answer and in /api/me', async () => {
    const ada = await guest(server.url, 'Ada', { consent: false });
    assert.equal(ada.user.consent, null);
    assert.equal(ada.user.restriction, null);
    const me = await api(server.url, 'GET', '/api/me', { token: ada.token });
    assert.deepEqual(Object.keys(me.body.user).sort(), [
      'bio',
      'consent',
      'displayName',
      'emailVerified',
      'id',
      'kind',
      'languages',
      'restriction',
      'role',
    ]);
    assert.deepEqual([me.body.user.consent, me.body.user.restriction, me.body.user.role], [null, null, 'user']);
  });
});

describe('POST /api/me/consent', () => {
  test('the current version and an adult birth date: 200 with the consent; /api/me and a new login show it', async () => {
    const ada = await guest(server.url, 'Ada', { consent: false });
    const before = Date.now();
    const response = await postConsent(ada.token, { birthDate: '1990-04-01', rulesVersion: 1 });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const { user } = MeResponse.strict().parse(response.body);
    assert.equal(user.consent?.rulesVersion, 1);
    assert.ok(Date.parse(user.consent!.at) >= before - 1000);
    assert.equal(user.restriction, null);
    assert.deepEqual((await api(server.url, 'GET', '/api/me', { token: ada.token })).body.user.consent, user.consent);
  });

  test('only the year of birth is kept, with the outcome and when', async () => {
    const ada = await guest(server.url, 'Ada', { consent: false });
    await postConsent(ada.token, { birthDate: '1991-07-23', rulesVersion: 1 });
    const rows = await server.server.db.kysely
      .selectFrom('consents')
      .selectAll()
      .where('user_id', '=', ada.user.id)
      .execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.birth_year, 1991);
    assert.equal(rows[0]!.outcome, 'accepted');
    assert.doesNotMatch(JSON.stringify(rows), /07-23|1991-07/);
  });

  test('another version than the current one: 409 rules_changed, nothing recorded', async () => {
    const ada = await guest(server.url, 'Ada', { consent: false });
    for (const rulesVersion of [2, 3]) {
      const response = await postConsent(ada.token, { birthDate: '1990-04-01', rulesVersion });
      assert.equal(response.status, 409);
      assert.equal(response.body.error.code, 'rules_changed');
    }
    assert.equal((await api(server.url, 'GET', '/api/me', { token: ada.token })).body.user.consent, null);
  });

  test('not a real date, in the future, more than 120 years ago, or no body: 400 bad_request', async () => {
    const ada = await guest(server.url, 'Ada', { consent: false });
    for (const date of [
      '2001-02-30',
      '1999-13-01',
      '1999-00-10',
      'yesterday',
      '01-02-1990',
      birthDate(0, 1),
      birthDate(121),
    ]) {
      const response = await postConsent(ada.token, { birthDate: date, rulesVersion: 1 });
      assert.equal(response.status, 400, `${date}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, 'bad_request');
    }
    assert.equal((await postConsent(ada.token, { rulesVersion: 1 })).status, 400);
    assert.equal((await api(server.url, 'GET', '/api/me', { token: ada.token })).body.user.consent, null);
  });

  test('needs a session', async () => {
    const response = await api(server.url, 'POST', '/api/me/consent', {
      body: { birthDate: '1990-04-01', rulesVersion: 1 },
    });
    assert.equal(response.status, 401);
  });

  test('exactly MIN_AGE today is old enough; a day short is not', async () => {
    const adult = await guest(server.url, 'Ada', { consent: false });
    assert.equal((await postConsent(adult.token, { birthDate: birthDate(18), rulesVersion: 1 })).status, 200);
    const young = await guest(server.url, 'Bo', { consent: false });
    const response = await postConsent(young.token, { birthDate: birthDate(18, 1), rulesVersion: 1 });
    assert.equal(response.status, 403);
    assert.equal(response.body.error.code, 'underage');
  });

  test('underage: 403, an underage restriction (not appealable, no end), and every later attempt is 403 underage whatever it sends', async () => {
    const refusalsBefore = sample(await scrape(server), 'smalltalk_consent_refusals_total', { reason: 'underage' });
    const kid = await guest(server.url, 'Kid', { consent: false });
    const first = await postConsent(kid.token, { birthDate: birthDate(15), rulesVersion: 1 });
    assert.equal(first.status, 403);
    assert.equal(first.body.error.code, 'underage');

    const me = MeResponse.parse((await api(server.url, 'GET', '/api/me', { token: kid.token })).body).user;
    assert.equal(me.consent, null);
    assert.ok(me.restriction);
    assert.equal(me.restriction.kind, 'underage');
    assert.equal(me.restriction.until, null);
    assert.equal(me.restriction.appealable, false);
    assert.match(me.restriction.reason, /18/);

    // A neutral screen: the right answer now changes nothing, nor does a wrong version or no body.
    for (const body of [
      { birthDate: '1980-01-01', rulesVersion: 1 },
      { birthDate: '1980-01-01', rulesVersion: 9 },
      { birthDate: 'nonsense' },
      undefined,
    ]) {
      const again = await postConsent(kid.token, body);
      assert.equal(again.status, 403, JSON.stringify(body));
      assert.equal(again.body.error.code, 'underage');
    }
    assert.equal((await api(server.url, 'GET', '/api/me', { token: kid.token })).body.user.consent, null);
    const rows = await server.server.db.kysely
      .selectFrom('consents')
      .select(['outcome', 'birth_year'])
      .where('user_id', '=', kid.user.id)
      .execute();
    assert.deepEqual(rows, [{ outcome: 'underage', birth_year: Number(birthDate(15).slice(0, 4)) }]);
    assert.equal(
      sample(await scrape(server), 'smalltalk_consent_refusals_total', { reason: 'underage' }),
      refusalsBefore + 1,
    );
  });

  test("MIN_AGE is the operator's: with 13, a 14-year-old is accepted", async () => {
    const teen = await startServer({ MIN_AGE: '13' });
    try {
      const kid = await guest(teen.url, 'Teen', { consent: false });
      const response = await api(teen.url, 'POST', '/api/me/consent', {
        token: kid.token,
        body: { birthDate: birthDate(14), rulesVersion: 1 },
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
    } finally {
      await teen.close();
    }
  });
});

describe('friend requests behind the gate', () => {
  test('a new rules version: 403 consent_required until the user accepts it; then the request goes through', async () => {
    const file = rulesFile(1);
    let first = await startServer({ RULES_FILE: file });
    const { dataDir } = first;
    const p = await acquaintances(first);
    await closeAndSettle(first, [p.a.socket, p.b.socket]);
    await first.close();
    // The operator raises the version: everybody must accept again.
    fs.writeFileSync(file, '---\nversion: 2\n---\n# Rules, second edition\n');
    first = await startServer({ RULES_FILE: file, DATA_DIR: dataDir });
    try {
      const me = (await api(first.url, 'GET', '/api/me', { token: p.a.auth.token })).body.user;
      assert.equal(me.consent.rulesVersion, 1, 'the old consent is still shown, for the version it was');
      const asked = await api(first.url, 'POST', '/api/friends/requests', {
        token: p.a.auth.token,
        body: { userId: p.b.auth.user.id },
      });
      assert.equal(asked.status, 403);
      assert.equal(asked.body.error.code, 'consent_required');
      await consent(first.url, p.a.auth.token);
      const again = await api(first.url, 'POST', '/api/friends/requests', {
        token: p.a.auth.token,
        body: { userId: p.b.auth.user.id },
      });
      assert.equal(again.status, 201, JSON.stringify(again.body));
    } finally {
      await first.close();
    }
  });

  test('a restricted user: 403 restricted, even with consent', async () => {
    const p = await acquaintances(server);
    await closeAndSettle(server, [p.a.socket, p.b.socket]);
    await restrict(server, p.a.auth.user.id, { reason: 'Under review.', until: new Date(Date.now() + 3_600_000) });
    const asked = await api(server.url, 'POST', '/api/friends/requests', {
      token: p.a.auth.token,
      body: { userId: p.b.auth.user.id },
    });
    assert.equal(asked.status, 403);
    assert.equal(asked.body.error.code, 'restricted');
    const me = MeResponse.parse((await api(server.url, 'GET', '/api/me', { token: p.a.auth.token })).body).user;
    assert.equal(me.restriction?.kind, 'suspended');
    assert.equal(me.restriction?.appealable, true);
    assert.ok(me.restriction?.until);
  });

  test('a restriction that has run out no longer counts', async () => {
    const p = await acquaintances(server);
    await closeAndSettle(server, [p.a.socket, p.b.socket]);
    await new Standing(server.server.db.kysely).restrict(
      p.a.auth.user.id,
      {
        kind: 'suspended',
        reason: 'A day off.',
        until: new Date(Date.now() - 1000),
        automated: false,
        appealable: true,
      },
      new Date(Date.now() - 86_400_000),
    );
    assert.equal((await api(server.url, 'GET', '/api/me', { token: p.a.auth.token })).body.user.restriction, null);
    const asked = await api(server.url, 'POST', '/api/friends/requests', {
      token: p.a.auth.token,
      body: { userId: p.b.auth.user.id },
    });
    assert.equal(asked.status, 201, JSON.stringify(asked.body));
  });
});
