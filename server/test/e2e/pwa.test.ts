import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Page, type Response } from 'playwright-core';
import { CHROMIUM_PATH, chromiumArgs, eventually, UI_TIMEOUT_MS, watchCsp } from './browser.js';
import { startServerProcess, type ServerProcess } from './server.js';
import { browserSuiteSkip } from './suite.js';

/**
 * The installable web app (issue 16) in Chromium, against the real build and server: Chromium
 * finds it installable, the service worker precaches the app shell, a reload with the network
 * cut opens the app to its offline screen, and the worker never answers or keeps /api or /ws.
 *
 * A persistent profile, not launchBrowser's contexts: those are off the record, and Chromium
 * never offers to install from an incognito window (getInstallabilityErrors says `in-incognito`
 * whatever the page does). http://127.0.0.1 is a secure context, so the worker and the install
 * check need no TLS here.
 */

const skip = browserSuiteSkip();

type PageGlobals = {
  navigator: { onLine: boolean; serviceWorker: { controller: { scriptURL: string } | null } };
  caches: { keys(): Promise<string[]>; open(name: string): Promise<{ keys(): Promise<Array<{ url: string }>> }> };
};

describe('the installable web app in Chromium', { skip }, () => {
  let server: ServerProcess;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const violations: string[] = [];
  const responses: Response[] = [];

  before(async () => {
    server = await startServerProcess();
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-pwa-profile-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: chromiumArgs({ fakeUi: false }),
      baseURL: server.url,
      viewport: { width: 800, height: 600 },
    });
    await watchCsp(context, violations);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('response', (response) => responses.push(response));
  });
  after(async () => {
    await context?.close();
    await server?.stop();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  test('a first visit: Welcome, then the service worker controls the page and Chromium reports no installability error', async () => {
    await page.goto('/');
    await page.getByTestId('display-name-input').waitFor({ timeout: UI_TIMEOUT_MS });
    const worker = await eventually(
      'the service worker to control the page (it registers after load, then precaches the shell)',
      () =>
        page.evaluate(
          () => (globalThis as unknown as PageGlobals).navigator.serviceWorker.controller?.scriptURL ?? null,
        ),
      (url) => url ?? undefined,
    );
    assert.equal(worker, `${server.url}/sw.js`);

    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(
      installabilityErrors,
      [],
      `Chromium would not offer to install: ${JSON.stringify(installabilityErrors)}`,
    );
    const manifest = await cdp.send('Page.getAppManifest');
    assert.equal(manifest.url, `${server.url}/manifest.webmanifest`);
    assert.deepEqual(manifest.errors, []);
    const data = JSON.parse(manifest.data ?? '{}') as {
      name: string;
      display: string;
      start_url: string;
      theme_color: string;
      icons: Array<{ src: string; sizes: string; purpose: string }>;
    };
    assert.equal(data.name, 'Small Talk');
    assert.equal(data.display, 'standalone');
    assert.equal(data.start_url, '/');
    assert.equal(data.theme_color, '#0f1115');
    assert.equal(await page.locator('meta[name="theme-color"]').getAttribute('content'), data.theme_color);
    // Each icon is a PNG of the size the manifest says (its IHDR), a maskable one among them.
    for (const icon of data.icons) {
      const png = Buffer.from(await (await fetch(`${server.url}${icon.src}`)).arrayBuffer());
      assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG', icon.src);
      assert.equal(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`, icon.sizes, icon.src);
    }
    assert.deepEqual(
      new Set(data.icons.map((icon) => `${icon.sizes} ${icon.purpose}`)),
      new Set(['192x192 any', '512x512 any', '192x192 maskable', '512x512 maskable']),
    );
    const touch = Buffer.from(
      await (
        await fetch(`${server.url}${await page.locator('link[rel="apple-touch-icon"]').getAttribute('href')}`)
      ).arrayBuffer(),
    );
    assert.equal(`${touch.readUInt32BE(16)}x${touch.readUInt32BE(20)}`, '180x180');
  });

  test('online, the worker answers the app shell but nothing under /api/ or /ws, and keeps none of it', async () => {
    responses.length = 0;
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    await page.reload();
    await page.getByTestId('display-name-input').fill('Pia');
    await page.getByTestId('continue-as-guest').click();
    // The rules and a date of birth come next: signed in, with the socket open.
    await page.getByTestId('birth-date-input').waitFor({ timeout: UI_TIMEOUT_MS });
    await eventually(
      'the app to open its socket',
      () => sockets,
      (urls) => urls.some((url) => new URL(url).pathname === '/ws'),
    );

    const fromWorker = (pattern: RegExp) => responses.filter((r) => pattern.test(new URL(r.url()).pathname));
    const document = fromWorker(/^\/$/);
    assert.ok(
      document.length > 0 && document.every((r) => r.fromServiceWorker()),
      'the page itself came from the worker (so the check below can see it)',
    );
    // The first screen's scripts (those index.html names) are precached; lazy chunks (the shield's,
    // loaded at the first idle moment) come from the network, as without a worker.
    const html = await (await fetch(`${server.url}/`)).text();
    const firstScreen = new Set([...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((match) => match[1]!));
    assert.ok(firstScreen.size > 0, 'index.html names its scripts');
    const firstScreenResponses = responses.filter((r) => firstScreen.has(new URL(r.url()).pathname));
    assert.ok(
      firstScreenResponses.length > 0 && firstScreenResponses.every((r) => r.fromServiceWorker()),
      "the first screen's bundle came from the worker",
    );
    const apiResponses = fromWorker(/^\/api\//);
    assert.ok(apiResponses.length >= 2, `the app used the API: ${apiResponses.map((r) => r.url()).join(', ')}`);
    assert.deepEqual(
      apiResponses.filter((r) => r.fromServiceWorker()).map((r) => r.url()),
      [],
      'API answers came from the worker',
    );

    const cached = await page.evaluate(async () => {
      const w = globalThis as unknown as PageGlobals;
      const urls: string[] = [];
      for (const name of await w.caches.keys())
        for (const request of await (await w.caches.open(name)).keys()) urls.push(request.url);
      return urls;
    });
    const paths = cached.map((url) => new URL(url).pathname);
    assert.ok(
      paths.includes('/index.html') && paths.includes('/manifest.webmanifest'),
      `the shell is cached: ${paths.join(', ')}`,
    );
    assert.deepEqual(
      paths.filter((p) => /^\/(api|ws)\b/.test(p)),
      [],
      'the worker kept API or socket answers',
    );
    assert.deepEqual(
      paths.filter((p) => p.startsWith('/shield/')),
      [],
      "the shield's model is not precached (fetched on the first match)",
    );

    // Only the app's own pages fall back to the cached app: any other path still asks the server.
    const unknown = await page.goto('/no-such-page');
    assert.equal(unknown?.status(), 404);
    assert.equal(unknown?.fromServiceWorker(), false);
    const home = await page.goto('/');
    assert.ok(home?.fromServiceWorker());
    await page.getByTestId('birth-date-input').waitFor({ timeout: UI_TIMEOUT_MS });
  });

  test('after a first visit, a reload with the network cut opens the app to "You\'re offline"; Try again once it is back starts it', async () => {
    await context.setOffline(true);
    try {
      const reload = await page.reload();
      assert.ok(reload?.fromServiceWorker(), 'the page came from the worker with no network');
      await page.getByTestId('offline-screen').waitFor({ timeout: UI_TIMEOUT_MS });
      assert.match((await page.getByTestId('offline-screen').textContent()) ?? '', /You're offline/);
      await page.getByTestId('offline-retry').click();
      await page.getByTestId('offline-still').waitFor({ timeout: UI_TIMEOUT_MS });
    } finally {
      await context.setOffline(false);
    }
    await page.getByTestId('offline-retry').click();
    // The guest's session (its cookie) is still good: back where it was, the rules screen.
    await page.getByTestId('birth-date-input').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.getByTestId('offline-screen').count(), 0);
    assert.deepEqual(violations, [], 'the pages ran into the Content Security Policy');
  });
});
