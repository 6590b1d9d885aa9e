import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { AppUser, ADULT_BIRTH_DATE, CONNECTED, PEER_LEFT } from './app.js';
import {
  ANNOUNCEMENT_RECORDER,
  announcements,
  axeFindings,
  blocking,
  describeFindings,
  focusedTestId,
  outOfReadingOrder,
  tabTo,
  type Finding,
} from './a11y-page.js';
import { appearedSince, eventually, pageNow, serviceWorkerActivated, textMatches, UI_TIMEOUT_MS } from './browser.js';
import { browserSuiteSkip, useBrowserSuite } from './suite.js';

/**
 * Issue 16's accessibility, in the web build: axe-core (WCAG 2.1 A and AA) on every screen a
 * user or a moderator can reach, with no serious or critical finding allowed; and one person who
 * uses only the keyboard, from Welcome to a call and Next, hearing what a screen reader would
 * (the live regions' texts) along the way. Driven only by testIDs and keys.
 */

const skip = browserSuiteSkip();

const root = path.resolve(import.meta.dirname, '../../..');
const TEST_TIMEOUT_MS = 180_000;
const PASSWORD = 'correct horse battery staple';

describe('accessibility in the browser, end to end', { skip }, () => {
  // No rematch cooldown: the keyboard user may meet someone the first test's users met.
  const e2e = useBrowserSuite({ server: { env: { REMATCH_COOLDOWN_S: '0' } } });
  before(() => {
    // Every page records what its live regions announce, from its first script on.
    const { browser } = e2e;
    const newContext = browser.newContext.bind(browser);
    browser.newContext = async (options) => {
      const context = await newContext(options);
      await context.addInitScript({ content: ANNOUNCEMENT_RECORDER });
      return context;
    };
  });

  /** A user on Welcome. */
  async function visitor(name: string): Promise<AppUser> {
    const user = e2e.track(await AppUser.open(e2e.browser, e2e.server.url, name));
    await user.visible('display-name-input');
    return user;
  }

  async function guest(name: string): Promise<AppUser> {
    const user = await visitor(name);
    await user.continueAsGuest();
    return user;
  }

  async function register(displayName: string): Promise<{ id: string; email: string }> {
    const email = `${displayName.toLowerCase()}@example.com`;
    const response = await fetch(`${e2e.server.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, displayName }),
    });
    assert.equal(response.status, 201, `register ${displayName}: ${await response.clone().text()}`);
    const body = (await response.json()) as { user: { id: string } };
    return { id: body.user.id, email };
  }

  async function signIn(user: AppUser, email: string): Promise<void> {
    await (await user.visible('show-sign-in')).click();
    await (await user.visible('email-input')).fill(email);
    await user.get('password-input').fill(PASSWORD);
    await user.get('sign-in-submit').click({ timeout: UI_TIMEOUT_MS });
  }

  const withReports = (steps: () => Promise<void>) => e2e.scenario(steps);

  /**
   * axe on each screen a test shows, the findings kept per screen: `done()` prints them all (the
   * minor and moderate ones too, for the record) and fails on any serious or critical one.
   */
  function axeRound() {
    const findings: Finding[] = [];
    const screens: string[] = [];
    return {
      async scan(user: AppUser, screen: string): Promise<void> {
        const started = Date.now();
        findings.push(...(await axeFindings(user.page, screen)));
        screens.push(`${screen} (${Date.now() - started} ms)`);
      },
      done(): void {
        const counts = screens.map((screen) => {
          const here = findings.filter((f) => screen.startsWith(`${f.screen} (`));
          return `${screen}: ${blocking(here).length} serious/critical, ${here.length - blocking(here).length} other`;
        });
        console.log(`axe, per screen:\n  ${counts.join('\n  ')}`);
        const minor = findings.filter((f) => blocking([f]).length === 0);
        if (minor.length > 0) console.log(`minor and moderate findings:\n${describeFindings(minor)}`);
        assert.deepEqual(
          blocking(findings),
          [],
          `serious or critical axe findings:\n${describeFindings(blocking(findings))}`,
        );
      },
    };
  }

  test(
    'axe: Welcome and its forms, the rules, underage, Categories and the screens behind its links, a reset link, offline',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      withReports(async () => {
        const { scan, done } = axeRound();
        const ada = await visitor('Ada');
        await scan(ada, 'welcome');
        await ada.get('show-sign-in').click();
        await ada.visible('password-input');
        await scan(ada, 'sign in');
        await ada.get('forgot-password').click();
        await ada.visible('forgot-email-input');
        await scan(ada, 'forgot password');
        await ada.get('show-register').click();
        await ada.visible('register-submit');
        await scan(ada, 'create account');
        await ada.get('show-guest').click();
        await ada.signInAsGuest();
        await textMatches(ada.get('rules-text'), /\S/);
        await scan(ada, 'rules and date of birth');
        await ada.acceptRules();
        await ada.visible('start-matching');
        await ada.pick('music');
        await scan(ada, 'categories');
        for (const [tab, screen, shown, back] of [
          ['profile-tab', 'profile', 'profile-save', 'profile-back'],
          ['friends-tab', 'friends', 'friends', 'friends-back'],
          ['safety-tab', 'safety', 'safety', 'safety-back'],
        ] as const) {
          await ada.get(tab).click();
          await ada.visible(shown);
          await scan(ada, screen);
          await ada.get(back).click();
          await ada.visible('start-matching');
        }

        // A child's answer: the underage screen.
        const kid = await visitor('Kid');
        await kid.signInAsGuest();
        await kid.acceptRules(`${new Date().getUTCFullYear() - 10}-03-01`);
        await kid.visible('underage-screen');
        await scan(kid, 'underage');

        // A password-reset link's page.
        await ada.page.goto('/reset?token=x');
        await ada.visible('reset-password-input');
        await scan(ada, 'reset password');

        // Offline: a reload without network, from the service worker's copy.
        await serviceWorkerActivated(kid.page);
        await kid.context.setOffline(true);
        try {
          await kid.page.reload();
          await kid.visible('offline-screen');
          await scan(kid, 'offline');
        } finally {
          await kid.context.setOffline(false);
        }
        done();
      }),
  );

  test(
    'axe: searching, a call with chat, the report sheet, a friend request, the ended call, Friends and a friend ringing, History and a report sent from it, a guest creating an account, the moderation console with that report, a ban and its appeal',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      withReports(async () => {
        const { scan, done } = axeRound();
        const mia = await register('Mia');
        const { stdout } = await promisify(execFile)(
          'npm',
          ['run', '--silent', 'admin', '--', 'set-role', mia.email, 'moderator'],
          {
            cwd: root,
            env: { ...process.env, DATA_DIR: e2e.server.dataDir, LOG_LEVEL: 'warn' },
          },
        );
        assert.match(stdout, /now moderator/);
        const [ada, bo] = await Promise.all([guest('Ada'), guest('Bo')]);
        await ada.search('music');
        await ada.visible('cancel-search');
        await scan(ada, 'searching');
        await bo.search('music');
        await Promise.all([ada.inCallWith('Bo'), bo.inCallWith('Ada')]);
        await scan(ada, 'call');
        await bo.sendChat('Hi Ada, what do you listen to?');
        await ada.seesChat('what do you listen to');
        await ada.sendChat('Mostly jazz');
        await bo.seesChat('Mostly jazz');
        await scan(ada, 'call with chat');
        await ada.get('report-button').click();
        await ada.visible('report-sheet');
        // The sheet takes the keyboard focus as it opens, and gives it back to Report as it closes.
        await eventually(
          'the report sheet to have the focus',
          () => focusedTestId(ada.page),
          (id) => id === 'report-sheet',
        );
        await scan(ada, 'report');
        await ada.get('report-cancel').click();
        await eventually(
          'Report to have the focus again',
          () => focusedTestId(ada.page),
          (id) => id === 'report-button',
        );

        // A friend request in the call, then Friends, and a friend's call ringing on both sides.
        await ada.get('add-friend').click();
        await bo.visible('request-banner');
        await scan(bo, 'friend request');
        await bo.get('accept-friend').click();
        await textMatches(ada.get('add-friend'), /friends/);
        await bo.get('end-button').click();
        await textMatches(ada.get('call-status'), PEER_LEFT);
        await ada.visible('room-ended');
        await scan(ada, 'call ended');
        await ada.get('end-button').click();
        await (await ada.visible('friends-tab')).click();
        await ada.page.locator('[data-testid^="friend-"]').first().waitFor({ timeout: UI_TIMEOUT_MS });
        await scan(ada, 'friends, with one');
        await textMatches(ada.page.locator('[data-testid^="presence-"]').first(), /online/i);
        await ada.get('call-friend').click();
        await bo.visible('incoming-call');
        await ada.visible('outgoing-call');
        // A ringing call takes the keyboard focus from whatever screen is under it, on both sides.
        await eventually(
          "Bo's ringing call to have the focus",
          () => focusedTestId(bo.page),
          (id) => id === 'incoming-call',
        );
        await eventually(
          "Ada's outgoing call to have the focus",
          () => focusedTestId(ada.page),
          (id) => id === 'outgoing-call',
        );
        await scan(bo, 'a friend calling');
        await scan(ada, 'calling a friend');
        await bo.get('decline-call').click();
        await textMatches(ada.get('direct-call-status'), /^declined$/);
        await ada.get('dismiss-call').click();
        await ada.get('friends-back').click();
        await bo.close();

        // History, and a report from there: the sheet's answer.
        await ada.get('open-history').click();
        await ada.visible('history-item');
        await scan(ada, 'history');
        await ada.get('history-report').click();
        await ada.get('report-reason-spam').click({ timeout: UI_TIMEOUT_MS });
        await ada.get('report-submit').click();
        await ada.visible('report-done');
        await scan(ada, 'report sent');
        await ada.get('report-close').click();
        await ada.get('history-back').click();
        await (await ada.visible('create-account')).click();
        await ada.visible('register-submit');
        await scan(ada, 'create account (guest)');
        await ada.get('email-input').fill('ada@example.com');
        await ada.get('password-input').fill(PASSWORD);
        await ada.get('register-submit').click();
        await ada.visible('verify-code-input');
        await scan(ada, 'verify email');

        // Mia, a moderator, with Bo's case from Ada's report.
        const miaPage = await visitor('Mia');
        await signIn(miaPage, mia.email);
        await miaPage.acceptRules();
        await (await miaPage.visible('moderation-tab')).click();
        await textMatches(miaPage.get('mod-queue'), /Bo/);
        await scan(miaPage, 'moderation queue');
        await miaPage.page
          .locator('[data-testid^="mod-case-"]:not([data-testid^="mod-case-priority-"])')
          .first()
          .click();
        await textMatches(miaPage.get('mod-case'), /Spam/i);
        await scan(miaPage, 'moderation case');
        await miaPage.get('mod-case-back').click();
        await miaPage.get('mod-tab-appeals').click();
        await miaPage.visible('mod-appeals');
        await scan(miaPage, 'moderation appeals');
        await miaPage.get('mod-tab-audit').click();
        await miaPage.visible('mod-audit');
        await scan(miaPage, 'moderation audit log');

        // Ada, now a member, banned while signed in: the word of it on Welcome, then the ban and its appeal form.
        const adaId = await ada.page.evaluate(
          async () => ((await (await fetch('/api/me')).json()) as { user: { id: string } }).user.id,
        );
        const banned = await miaPage.page.evaluate(
          async ([id, reason]) =>
            (
              await fetch(`/api/mod/users/${id}/actions`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ action: 'ban', reason }),
              })
            ).status,
          [adaId, 'Spam links in every call.'] as const,
        );
        assert.equal(banned, 201);
        await textMatches(ada.page.locator('body'), /Your account has been banned/);
        await scan(ada, 'signed out by a ban');
        await signIn(ada, 'ada@example.com');
        await ada.visible('appeal-text');
        await scan(ada, 'restriction and appeal');
        done();
      }),
  );

  test(
    'keyboard only: guest, rules, a category, a call and Next; focus follows the screen and a screen reader hears the call',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      withReports(async () => {
        const cy = await visitor('Cy');
        const { page } = cy;
        const key = (name: string) => page.keyboard.press(name);

        // Welcome: the name field first, then the button it enables.
        assert.deepEqual(
          await tabTo(page, 'display-name-input', { max: 1 }),
          ['display-name-input'],
          'the first Tab reaches the name field',
        );
        await page.keyboard.type('Cy');
        assert.deepEqual(
          await tabTo(page, 'continue-as-guest', { max: 1 }),
          ['continue-as-guest'],
          'Tab from the name reaches "Continue as guest"',
        );
        await key('Enter');

        // The rules: the date of birth, "I agree", Continue, in that order.
        await textMatches(cy.get('rules-text'), /\S/);
        await tabTo(page, 'birth-date-input', { max: 4 });
        await page.keyboard.type(ADULT_BIRTH_DATE);
        assert.deepEqual(
          await tabTo(page, 'rules-agree', { max: 1 }),
          ['rules-agree'],
          'Tab from the date reaches "I agree"',
        );
        await key('Space');
        await eventually(
          '"I agree" to be ticked',
          () => cy.get('rules-agree').getAttribute('aria-checked'),
          (checked) => checked === 'true',
        );
        assert.deepEqual(
          await tabTo(page, 'consent-submit', { max: 1 }),
          ['consent-submit'],
          'Tab from "I agree" reaches Continue',
        );
        await key('Enter');

        // Categories: the header's links, then the tiles, "Meet anyone" and Start, as they read; Space picks music.
        await cy.visible('start-matching');
        const toMusic = await tabTo(page, 'category-music', { max: 20 });
        assert.equal(toMusic[0], 'friends-tab', `the first Tab is on the header's first link: ${toMusic.join(' → ')}`);
        assert.deepEqual(
          await outOfReadingOrder(page, toMusic),
          [],
          `Tab follows the reading order: ${toMusic.join(' → ')}`,
        );
        await key('Space');
        await eventually(
          'the music tile to be picked',
          () => cy.get('category-music').getAttribute('aria-checked'),
          (checked) => checked === 'true',
        );
        const toStart = await tabTo(page, 'start-matching', { max: 20 });
        assert.equal(toStart.at(-2), 'anyone-toggle', `"Meet anyone" just before Start: ${toStart.join(' → ')}`);
        assert.deepEqual(
          await outOfReadingOrder(page, ['category-music', ...toStart]),
          [],
          `Tab follows the reading order: ${toStart.join(' → ')}`,
        );
        const since = await pageNow(page);
        await key('Enter');
        await eventually(
          "Cy's searching screen",
          () => appearedSince(page, 'searching', since),
          (shown) => shown,
        );

        // Dan (mouse and all) meets Cy; Cy hears the call connect and Dan's message.
        const dan = await guest('Dan');
        await dan.search('music');
        await Promise.all([cy.inCallWith('Dan'), dan.inCallWith('Cy')]);
        await textMatches(cy.get('call-status'), CONNECTED);
        await eventually(
          'Cy to hear that the call connected',
          () => announcements(page),
          (heard) => heard.includes('Connected to Dan'),
        );
        await dan.sendChat('Hello from Dan');
        await cy.seesChat('Hello from Dan');
        await eventually(
          "Cy to hear Dan's message",
          () => announcements(page),
          (heard) => heard.includes('Message from Dan: Hello from Dan'),
        );

        // Next, from the keyboard: the call's controls come before the chat.
        const toNext = await tabTo(page, 'next-button', { max: 12 });
        assert.equal(toNext[0], 'toggle-mic', `the first Tab is on the call's first control: ${toNext.join(' → ')}`);
        assert.ok(!toNext.includes('chat-input'), `the call's controls before the chat: ${toNext.join(' → ')}`);
        assert.deepEqual(
          await outOfReadingOrder(page, toNext),
          [],
          `Tab follows the reading order: ${toNext.join(' → ')}`,
        );
        const nextAt = await pageNow(page);
        await key('Enter');
        await eventually(
          "Cy's searching screen after Next",
          () => appearedSince(page, 'searching', nextAt),
          (shown) => shown,
        );
        await textMatches(dan.get('call-status'), PEER_LEFT);
        await eventually(
          'Dan to hear that Cy left',
          () => announcements(dan.page),
          (heard) => heard.includes('Cy left the call'),
        );
        // The focus did not stay on a control that is gone: Tab reaches the searching screen's Cancel at once.
        assert.equal((await tabTo(page, 'cancel-search', { max: 2 })).at(-1), 'cancel-search');
      }),
  );
});
