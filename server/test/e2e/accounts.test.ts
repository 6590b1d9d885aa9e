import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { AppUser } from './app.js';
import { eventually, textMatches, UI_TIMEOUT_MS } from './browser.js';
import { browserSuiteSkip, useBrowserSuite } from './suite.js';

/**
 * Issue 15 in the browser, driven only by testIDs: a member who forgot its password gets a link
 * by mail (the embedded default: an .eml file under DATA_DIR/mail, as `npm start` writes it),
 * opens it, sets a new password and is signed in; and two people who share no language are not
 * matched until one of them adds the other's in Profile. Their languages come from the device
 * (the browser's locale) on first run, as a phone's would.
 */

const skip = browserSuiteSkip();

const TEST_TIMEOUT_MS = 150_000;

/** Long enough for the queue to have matched two waiting users many times over, were they allowed. */
const NO_MATCH_HOLD_MS = 3_000;

describe('accounts and languages in the browser, end to end', { skip }, () => {
  // No rematch cooldown, and a fallback far beyond the test: only languages keep people apart.
  const e2e = useBrowserSuite({ server: { env: { REMATCH_COOLDOWN_S: '0', FALLBACK_AFTER_MS: '600000' } } });

  async function user(name: string, options: { locale?: string; guest?: boolean } = {}): Promise<AppUser> {
    return options.guest === false
      ? e2e.track(await AppUser.open(e2e.browser, e2e.server.url, name, options))
      : e2e.guest(name, options);
  }

  async function waitingInMusic(): Promise<number> {
    const body = (await (await fetch(`${e2e.server.url}/api/categories`)).json()) as {
      categories: Array<{ slug: string; waiting: number }>;
    };
    return body.categories.find((category) => category.slug === 'music')?.waiting ?? -1;
  }

  /** The page's own session asks the server (its cookie goes along). */
  function ask<T>(appUser: AppUser, urlPath: string): Promise<T> {
    return appUser.page.evaluate(async (urlPath) => (await fetch(urlPath)).json(), urlPath) as Promise<T>;
  }

  async function post(urlPath: string, body: unknown): Promise<Response> {
    return fetch(`${e2e.server.url}${urlPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /** The mails written so far under DATA_DIR/mail, parsed: the embedded default's outbox. */
  async function mailbox(): Promise<Array<{ to: string; subject: string; text: string }>> {
    const dir = path.join(e2e.server.dataDir, 'mail');
    if (!fs.existsSync(dir)) return [];
    const files = fs
      .readdirSync(dir)
      .filter((name) => name.endsWith('.eml'))
      .sort();
    return Promise.all(
      files.map(async (name) => {
        const mail = await simpleParser(fs.readFileSync(path.join(dir, name)));
        const to = Array.isArray(mail.to) ? mail.to.map((a) => a.text).join(', ') : (mail.to?.text ?? '');
        return { to, subject: mail.subject ?? '', text: mail.text ?? '' };
      }),
    );
  }

  /** A test's steps, then no one left waiting in music for the next test's users to meet. */
  const scenario = (steps: () => Promise<void>) =>
    e2e.scenario(steps, () => eventually('empty queues', waitingInMusic, (waiting) => waiting === 0));

  test(
    'Forgot password: Ann asks on sign-in, the mail holds a link, the link opens the app, the new password signs her in and the old one no longer works',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      scenario(async () => {
        const email = `ann-${Date.now()}@example.com`;
        const registered = await post('/api/auth/register', { email, password: 'old password 1', displayName: 'Ann' });
        assert.equal(registered.status, 201);

        const ann = await user('Ann', { guest: false });
        await (await ann.visible('show-sign-in')).click();
        await (await ann.visible('forgot-password')).click();
        await (await ann.visible('forgot-email-input')).fill(email);
        await ann.get('forgot-submit').click({ timeout: UI_TIMEOUT_MS });
        const sent = await textMatches(ann.get('forgot-sent'), /\S/);
        assert.doesNotMatch(
          sent,
          /no account|not found|unknown/i,
          'the confirmation never tells whether an account exists',
        );

        // The mail: to Ann, saying why, with a link to this server's /reset.
        const mail = await eventually(
          'the reset mail',
          async () => (await mailbox()).find((m) => m.to.includes(email) && /reset/i.test(m.subject)),
          (found) => found,
        );
        const link = /https?:\/\/\S+\/reset\?token=[\w%-]+/.exec(mail.text)?.[0];
        assert.ok(link, `the mail carries a reset link:\n${mail.text}`);
        const { pathname, search } = new URL(link);

        await ann.page.goto(`${pathname}${search}`);
        await (await ann.visible('reset-password-input')).fill('new password 2');
        await ann.get('reset-submit').click({ timeout: UI_TIMEOUT_MS });
        await ann.visible('reset-done');

        // Signed in: the page's own session is Ann's, and the app goes on to the rules she has not accepted yet.
        const me = await ask<{ user: { displayName: string; kind: string } }>(ann, '/api/me');
        assert.equal(me.user.displayName, 'Ann');
        assert.equal(me.user.kind, 'member');
        await (await ann.visible('reset-continue')).click();
        await ann.acceptRules();
        await ann.visible('start-matching');

        assert.equal(
          (await post('/api/auth/login', { email, password: 'old password 1' })).status,
          401,
          'the old password is refused',
        );
        assert.equal(
          (await post('/api/auth/login', { email, password: 'new password 2' })).status,
          200,
          'the new one signs in',
        );
        // The link was for one use.
        await ann.page.goto(`${pathname}${search}`);
        await (await ann.visible('reset-password-input')).fill('third password 3');
        await ann.get('reset-submit').click({ timeout: UI_TIMEOUT_MS });
        await textMatches(ann.get('reset-error'), /\S/);
      }),
  );

  test(
    'Dieter (German phone) and Françoise (French phone) both wait in Music unmatched; once she adds German in Profile, they meet',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      scenario(async () => {
        const [dieter, francoise] = await Promise.all([
          user('Dieter', { locale: 'de-DE' }),
          user('Françoise', { locale: 'fr-FR' }),
        ]);
        // First run: each device's language became the user's.
        await eventually(
          'Dieter speaks German',
          async () => (await ask<{ user: { languages: string[] } }>(dieter, '/api/me')).user.languages,
          (l) => l.join() === 'de',
        );
        await eventually(
          'Françoise speaks French',
          async () => (await ask<{ user: { languages: string[] } }>(francoise, '/api/me')).user.languages,
          (l) => l.join() === 'fr',
        );

        await dieter.search('music');
        await francoise.search('music');
        await eventually('both waiting in Music', waitingInMusic, (waiting) => waiting === 2);
        const holdUntil = Date.now() + NO_MATCH_HOLD_MS;
        while (Date.now() < holdUntil) {
          assert.equal(await waitingInMusic(), 2, 'no common language: they stay queued, unmatched');
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        for (const u of [dieter, francoise])
          assert.ok(await u.get('searching').first().isVisible(), `${u.name} is still searching`);

        // Françoise stops, adds German in Profile, and searches again: Dieter is still there.
        await francoise.get('cancel-search').click({ timeout: UI_TIMEOUT_MS });
        await (await francoise.visible('profile-tab')).click();
        await francoise.visible('profile-language-fr');
        await (await francoise.visible('profile-language-search')).fill('Deutsch');
        await (await francoise.visible('profile-language-add-de')).click();
        await francoise.visible('profile-language-de');
        await francoise.get('profile-save').click({ timeout: UI_TIMEOUT_MS });
        await francoise.visible('profile-saved');
        await (await francoise.visible('profile-back')).click();

        await francoise.search('music');
        await Promise.all([
          textMatches(dieter.get('peer-name'), /^Françoise$/),
          textMatches(francoise.get('peer-name'), /^Dieter$/),
        ]);
      }),
  );
});
