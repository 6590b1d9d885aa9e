import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ADULT_BIRTH_DATE } from './app.js';
import { CHROMIUM_PATH, chromiumArgs, serviceWorkerActivated, UI_TIMEOUT_MS, watchCsp } from './browser.js';
import { startServerProcess, type ServerProcess } from './server.js';
import { browserSuiteSkip } from './suite.js';

/**
 * The web app in the device's language (issue 16), against the real build and server: a German
 * browser gets German from the first screen on (English is bundled, German is a chunk of its
 * own, fetched before anything is drawn), Profile's `ui-language` switch changes every screen at
 * once and is kept across a reload, and the chosen language's chunk is in the service worker's
 * cache, so the app opened offline still speaks it.
 *
 * A persistent profile, as in pwa.test.ts: off-the-record contexts get no service worker install.
 */

const skip = browserSuiteSkip();

type PageGlobals = {
  document: { documentElement: { lang: string } };
};

describe('the web app in the device language', { skip }, () => {
  let server: ServerProcess;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const violations: string[] = [];

  before(async () => {
    server = await startServerProcess();
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-languages-profile-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: chromiumArgs({ fakeUi: false }),
      baseURL: server.url,
      locale: 'de-DE',
      viewport: { width: 800, height: 600 },
    });
    await watchCsp(context, violations);
    page = context.pages()[0] ?? (await context.newPage());
  });
  after(async () => {
    await context?.close();
    await server?.stop();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    assert.deepEqual(violations, []);
  });

  const text = async (testId: string) =>
    (await page.getByTestId(testId).first().textContent({ timeout: UI_TIMEOUT_MS })) ?? '';
  const lang = () => page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.lang);

  test('a German device sees German from the first screen, and the page says so (lang="de")', async () => {
    await page.goto('/');
    await page
      .getByText('Triff jemanden, der mag, was du magst, von Angesicht zu Angesicht.')
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await text('continue-as-guest'), 'Als Gast weiter');
    assert.equal(await lang(), 'de');

    await page.getByTestId('display-name-input').fill('Ada');
    await page.getByTestId('continue-as-guest').click();
    await page.getByTestId('birth-date-input').fill(ADULT_BIRTH_DATE);
    await page.getByTestId('rules-agree').click();
    await page.getByTestId('consent-submit').click();
    await page.getByText('Worüber möchtest du reden?').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(await text('category-music'), /Musik/);
  });

  test('choosing Français on Profile switches at once, and a reload keeps it', async () => {
    await page.getByTestId('profile-tab').click();
    await page.getByTestId('ui-language').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.getByTestId('ui-language-de').getAttribute('aria-checked'), 'true');
    await page.getByTestId('ui-language-fr').click();
    await page.getByText('Langues que vous parlez').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.getByTestId('ui-language-fr').getAttribute('aria-checked'), 'true');
    assert.equal(await lang(), 'fr');

    await page.reload();
    await page.getByText('De quoi voulez-vous parler ?').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.match(await text('category-music'), /Musique/);
  });

  test('opened offline, the app still speaks the chosen language (its chunk is precached)', async () => {
    await serviceWorkerActivated(page);
    await context.setOffline(true);
    try {
      await page.reload();
      await page.getByTestId('offline-screen').waitFor({ timeout: UI_TIMEOUT_MS });
      assert.match(await text('offline-screen'), /Vous êtes hors ligne/);
    } finally {
      await context.setOffline(false);
    }
  });
});
