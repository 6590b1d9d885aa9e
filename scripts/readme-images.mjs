/**
 * Redraws the README's pictures of the installed web app: Chromium installs it (DevTools'
 * PWA.install, as the browser's Install button would), opens it in its own window, and the
 * window itself is captured: docs/installed-app.png (Categories, English) and
 * docs/installed-app-es.png (Profile after choosing Español in the App language switch).
 *
 * A window needs a display: this runs Chromium with a window on a virtual one (Xvfb) and
 * captures it with xwd and ImageMagick. None of that is needed to run or test Small Talk:
 *
 *   apt-get install xvfb x11-apps imagemagick
 *   sh scripts/setup.sh && node scripts/readme-images.mjs
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.resolve(import.meta.dirname, '..');
const DISPLAY = ':77';
const WINDOW = { width: 460, height: 860 };

function sparePort() {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(what, check, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The installed app's own window (its title is the app's name alone; the browser's adds " - Chromium"). */
function appWindowId() {
  const tree = execFileSync('xwininfo', ['-root', '-tree'], { env: { ...process.env, DISPLAY } }).toString();
  return tree.match(/^\s*(0x[0-9a-f]+) "Small Talk": \("crx_/m)?.[1];
}

function captureWindow(id, file) {
  const xwd = path.join(os.tmpdir(), `small-talk-${process.pid}.xwd`);
  execFileSync('sh', ['-c', `xwd -id ${id} -silent > ${xwd}`], { env: { ...process.env, DISPLAY } });
  // /usr/bin/convert: ImageMagick itself, whatever else is earlier on PATH.
  execFileSync('/usr/bin/convert', [xwd, file]);
  fs.rmSync(xwd);
  console.log(`wrote ${path.relative(root, file)}`);
}

const xvfb = spawn('Xvfb', [DISPLAY, '-screen', '0', '1280x1000x24'], { stdio: 'ignore' });
const port = await sparePort();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'small-talk-images-'));
const server = spawn(process.execPath, ['server/dist/main.js'], {
  cwd: root,
  env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'error' },
  stdio: 'inherit',
});
const url = `http://127.0.0.1:${port}/`;
let context;
try {
  await waitFor('the server', () => fetch(`${url}healthz`).then((r) => r.ok));
  context = await chromium.launchPersistentContext(path.join(dataDir, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: false,
    env: { ...process.env, DISPLAY },
    args: ['--no-sandbox', '--disable-features=Translate', `--window-size=${WINDOW.width},${WINDOW.height}`],
    locale: 'en-US',
    viewport: null,
  });
  const tab = context.pages()[0] ?? (await context.newPage());
  await tab.goto(url);
  await tab.getByTestId('display-name-input').waitFor();
  const cdp = await context.newCDPSession(tab);
  await cdp.send('PWA.install', { manifestId: url });
  await cdp.send('PWA.changeAppUserSettings', { manifestId: url, displayMode: 'standalone' });
  await cdp.send('PWA.launch', { manifestId: url });
  await tab.close();
  const app = await waitFor('the app window', async () => context.pages().find((page) => page.url().startsWith(url)));
  const windowId = await waitFor('its X window', async () => appWindowId());

  await app.getByTestId('display-name-input').fill('Ada');
  await app.getByTestId('continue-as-guest').click();
  await app.getByTestId('birth-date-input').fill('1990-04-12');
  await app.getByTestId('rules-agree').click();
  await app.getByTestId('consent-submit').click();
  for (const slug of ['music', 'books']) await app.getByTestId(`category-${slug}`).click();
  await app.waitForTimeout(1500);
  captureWindow(windowId, path.join(root, 'docs/installed-app.png'));

  await app.getByTestId('profile-tab').click();
  await app.getByTestId('ui-language-es').click();
  await app.getByText('Idioma de la app').waitFor();
  await app.waitForTimeout(800);
  captureWindow(windowId, path.join(root, 'docs/installed-app-es.png'));
} finally {
  await context?.close();
  server.kill();
  xvfb.kill();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
