import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_PATH, launchBrowser, newUser } from '../test/e2e/browser.js';
import { startServerProcess, WEB_DIR, webBuildExists } from '../test/e2e/server.js';
import { median } from '../test/stats.js';

/**
 * Issue 16: what the web app costs before a person can use it. The first screen's JavaScript as a
 * browser receives it (each <script> of index.html, gzipped), the language chunks loaded beside it
 * for a non-English user, and the time to interactive of the first screen in headless Chromium:
 *
 * - cold: a new browser context (empty HTTP cache, no service worker), English device;
 * - cold, German: the same with a `de-DE` device, which also fetches the German strings' chunk;
 * - warm: the same context loading again once the service worker has installed (the installed
 *   app's every later start: everything comes from its cache).
 *
 * Time to interactive follows Lighthouse's definition on a page without network noise: from the
 * navigation's start, the later of "the first screen's name field is in the page" and the end of
 * the last long task (> 50 ms on the main thread) before a quiet window of QUIET_MS with none.
 */

export const WEB_LOADS = 7;
const QUIET_MS = 5_000;
/** The first screen's field a person types into first (WelcomeScreen). */
const FIRST_SCREEN_TEST_ID = 'display-name-input';

export interface WebFigures {
  skipped?: string;
  firstScreenGzipBytes: number;
  /** Gzipped bytes of each non-English language's chunk, by file. */
  languageChunkGzipBytes: number[];
  coldMs: number[];
  coldGermanMs: number[];
  warmMs: number[];
  /** Time to the first screen's field alone (before the quiet window), cold, median. */
  coldVisibleMs: number[];
}

/**
 * Installed before the app's scripts (as text: this file has no DOM types): records when the
 * first screen's field appears and every long task.
 */
const INSTRUMENT = `(() => {
  const state = { visibleAt: null, longTasks: [] };
  window.__tti = state;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) state.longTasks.push([entry.startTime, entry.startTime + entry.duration]);
  }).observe({ type: 'longtask', buffered: true });
  const observer = new MutationObserver(() => {
    if (state.visibleAt === null && document.querySelector('[data-testid="${FIRST_SCREEN_TEST_ID}"]')) {
      state.visibleAt = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { childList: true, subtree: true });
})();`;

type PageState = { __tti: { visibleAt: number | null; longTasks: Array<[number, number]> } };

async function timeToInteractive(page: Page): Promise<{ ttiMs: number; visibleMs: number }> {
  await page.waitForFunction(() => (globalThis as unknown as PageState).__tti.visibleAt !== null, null, {
    timeout: 30_000,
  });
  // Wait until QUIET_MS have passed with no long task after the field appeared.
  for (;;) {
    const { now, visibleAt, lastEnd } = await page.evaluate(() => {
      const s = (globalThis as unknown as PageState).__tti;
      return {
        now: performance.now(),
        visibleAt: s.visibleAt ?? 0,
        lastEnd: Math.max(0, ...s.longTasks.map(([, end]) => end)),
      };
    });
    const from = Math.max(visibleAt, lastEnd);
    if (now - from >= QUIET_MS) return { ttiMs: from, visibleMs: visibleAt };
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS - (now - from) + 50));
  }
}

function gzipped(file: string): number {
  return gzipSync(fs.readFileSync(file), { level: 9 }).length;
}

function bundleFigures(dist: string): { firstScreen: number; languages: number[] } {
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  const first = [...html.matchAll(/<script\b[^>]*\bsrc="\/([^"]+)"/g)].map((m) => m[1]!);
  const jsDir = path.join(dist, '_expo/static/js/web');
  // The language chunks: index-*.js besides the first screen's (the shield's worker is named after it).
  const languages = fs
    .readdirSync(jsDir)
    .filter((f) => /^index-.*\.js$/.test(f) && !first.includes(`_expo/static/js/web/${f}`))
    .map((f) => gzipped(path.join(jsDir, f)));
  return { firstScreen: first.reduce((sum, src) => sum + gzipped(path.join(dist, src)), 0), languages };
}

async function load(
  browser: Browser,
  url: string,
  locale: string,
): Promise<{ cold: { ttiMs: number; visibleMs: number }; warm?: { ttiMs: number; visibleMs: number } }> {
  const { context, page } = await newUser(browser, { baseURL: url, locale, camera: false });
  try {
    await context.addInitScript(INSTRUMENT);
    await page.goto('/');
    const cold = await timeToInteractive(page);
    if (locale !== 'en-US') return { cold };
    // The service worker has installed and precached the shell: the next start is the installed app's.
    await page.evaluate('navigator.serviceWorker.ready.then(() => undefined)');
    await page.reload();
    const warm = await timeToInteractive(page);
    return { cold, warm };
  } finally {
    await context.close();
  }
}

export async function benchWeb(options: {
  loads?: number;
  say: (line: string) => void;
  /** Another build to time (e.g. an older commit's), instead of apps/mobile/dist. */ webDir?: string;
}): Promise<WebFigures> {
  const empty: WebFigures = {
    firstScreenGzipBytes: NaN,
    languageChunkGzipBytes: [],
    coldMs: [],
    coldGermanMs: [],
    warmMs: [],
    coldVisibleMs: [],
  };
  const webDir = options.webDir ?? WEB_DIR;
  if (!webBuildExists(webDir))
    return { ...empty, skipped: `${webDir} is not built (scripts/setup.sh builds apps/mobile/dist)` };
  if (!fs.existsSync(CHROMIUM_PATH)) return { ...empty, skipped: `${CHROMIUM_PATH} is missing` };
  const bundle = bundleFigures(webDir);
  const figures: WebFigures = {
    ...empty,
    firstScreenGzipBytes: bundle.firstScreen,
    languageChunkGzipBytes: bundle.languages,
  };
  const server = await startServerProcess({ webDir });
  const browser = await launchBrowser();
  try {
    for (let i = 0; i < (options.loads ?? WEB_LOADS); i++) {
      const english = await load(browser, server.url, 'en-US');
      figures.coldMs.push(english.cold.ttiMs);
      figures.coldVisibleMs.push(english.cold.visibleMs);
      if (english.warm) figures.warmMs.push(english.warm.ttiMs);
      const german = await load(browser, server.url, 'de-DE');
      figures.coldGermanMs.push(german.cold.ttiMs);
      options.say(
        `web    load ${i + 1}: cold ${english.cold.ttiMs.toFixed(0)} ms, cold (de) ${german.cold.ttiMs.toFixed(0)} ms, warm ${english.warm?.ttiMs.toFixed(0) ?? '—'} ms`,
      );
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  return figures;
}

export function renderWeb(figures: WebFigures): string {
  if (figures.skipped) return `web skipped: ${figures.skipped}`;
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const ms = (values: number[]) => `${median(values).toFixed(0)} ms`;
  const rows: Array<[string, string]> = [
    ["first screen's JS, gzipped", kb(figures.firstScreenGzipBytes)],
    ['  each other language (own chunk, gzipped), largest', kb(Math.max(0, ...figures.languageChunkGzipBytes))],
    [`time to interactive, cold, English device, median of ${figures.coldMs.length}`, ms(figures.coldMs)],
    ['  of which: first screen drawn, median', ms(figures.coldVisibleMs)],
    [`time to interactive, cold, German device, median of ${figures.coldGermanMs.length}`, ms(figures.coldGermanMs)],
    [`time to interactive, warm (service worker), median of ${figures.warmMs.length}`, ms(figures.warmMs)],
  ];
  const width = Math.max(...rows.map(([figure]) => figure.length));
  return rows.map(([figure, value]) => `${figure.padEnd(width)}  ${value.padStart(9)}`).join('\n');
}
