#!/usr/bin/env node
/**
 * Makes the exported web build an installable app, after `expo export --platform web`:
 *
 *   dist/icons/*.png, dist/favicon.ico   every size, rendered from the one source image,
 *                                        assets/icon.svg (resvg), never drawn by hand
 *   dist/manifest.webmanifest            name, icons, colours (src/ui/theme.ts), standalone, /
 *   dist/index.html                      + the <link>s and <meta>s that point at them
 *   dist/sw.js                           the service worker (Workbox generateSW): precaches the
 *                                        app shell, so the installed app opens offline
 *   dist/sw-push.js                      its push and notificationclick handlers (scripts/sw-push.js,
 *                                        copied as written), loaded by sw.js with importScripts
 *
 * Why after the export and into dist/: the worker's precache list names the hashed bundles,
 * which exist only once Metro has written them, and index.html is Expo's output (its web
 * template has no place for a manifest). The head tags are inserted before </head>, beside and
 * not inside Expo's inline <style>, whose CSP hash the server computes from this same file
 * (server/src/web/routes.ts), so the hashes hold.
 *
 * The worker never caches or answers /api/ or /ws: it answers only the precached files and, for
 * a page navigation (the installed app opened offline), the cached index.html. Everything else,
 * the shield's model and wasm among them (megabytes a visitor may never need), goes to the
 * network as if there were no worker.
 *
 * Usage: node scripts/pwa-assets.mjs [distDir]   (default: apps/mobile/dist)
 */
import fs from 'node:fs';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { generateSW } from 'workbox-build';

const app = path.resolve(import.meta.dirname, '..');

/** The one source image of every icon. */
export const ICON_SOURCE = path.join(app, 'assets', 'icon.svg');

export const APP_NAME = 'Small Talk';
export const SERVICE_WORKER = 'sw.js';
/** The worker's push handlers: written by hand, beside Workbox's generated precaching. */
export const PUSH_HANDLERS = 'sw-push.js';
export const MANIFEST = 'manifest.webmanifest';

/**
 * Sizes browsers ask for: 192 and 512 (Chrome's install prompt and splash screen, Android's home
 * screen), maskable versions of both (Android crops them to its shape), 180 (iOS's home screen
 * takes apple-touch-icon, not the manifest) and 16/32/48 in favicon.ico (tabs, bookmarks).
 */
const ICONS = [
  { file: 'icons/icon-192.png', size: 192, purpose: 'any' },
  { file: 'icons/icon-512.png', size: 512, purpose: 'any' },
  { file: 'icons/maskable-192.png', size: 192, purpose: 'maskable' },
  { file: 'icons/maskable-512.png', size: 512, purpose: 'maskable' },
];
const APPLE_TOUCH_ICON = { file: 'icons/apple-touch-icon.png', size: 180 };
const FAVICON_SIZES = [16, 32, 48];

/**
 * A maskable icon must keep its mark inside the central circle of 80 % of its width (Android
 * masks the rest away): the source drawn at this share of the canvas, on its own background.
 */
const MASKABLE_SCALE = 0.8;

/** The app's colours, read from src/ui/theme.ts so the manifest and the screens never disagree. */
export function themeColors() {
  const theme = fs.readFileSync(path.join(app, 'src', 'ui', 'theme.ts'), 'utf8');
  const color = (name) => {
    const match = new RegExp(`\\b${name}:\\s*'(#[0-9a-fA-F]{6})'`).exec(theme);
    if (!match) throw new Error(`src/ui/theme.ts has no colour "${name}"`);
    return match[1];
  };
  return { background: color('background') };
}

function renderPng(svg, size) {
  return new Resvg(svg, { fitTo: { mode: 'width', value: size }, font: { loadSystemFonts: false } }).render().asPng();
}

/** The source scaled down onto its own background: the same mark, inside the maskable safe zone. */
function maskableSvg(svg, background) {
  const inner = Buffer.from(svg).toString('base64');
  const offset = (512 * (1 - MASKABLE_SCALE)) / 2;
  const side = 512 * MASKABLE_SCALE;
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 512 512" width="512" height="512">
  <rect width="512" height="512" fill="${background}"/>
  <image x="${offset}" y="${offset}" width="${side}" height="${side}" xlink:href="data:image/svg+xml;base64,${inner}"/>
</svg>`;
}

/** An .ico holding PNG images (every browser since IE 9 reads those): a 6-byte header, a 16-byte entry per image. */
export function icoOf(pngs) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(pngs.length, 4);
  let offset = 6 + 16 * pngs.length;
  const entries = pngs.map(({ size, png }) => {
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size >= 256 ? 0 : size, 0); // width (0 means 256)
    entry.writeUInt8(size >= 256 ? 0 : size, 1); // height
    entry.writeUInt8(0, 2); // no palette
    entry.writeUInt8(0, 3); // reserved
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += png.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...pngs.map(({ png }) => png)]);
}

export function writeIcons(dist) {
  const svg = fs.readFileSync(ICON_SOURCE, 'utf8');
  const { background } = themeColors();
  const maskable = maskableSvg(svg, background);
  const write = (file, bytes) => {
    fs.mkdirSync(path.dirname(path.join(dist, file)), { recursive: true });
    fs.writeFileSync(path.join(dist, file), bytes);
  };
  for (const icon of ICONS) write(icon.file, renderPng(icon.purpose === 'maskable' ? maskable : svg, icon.size));
  write(APPLE_TOUCH_ICON.file, renderPng(svg, APPLE_TOUCH_ICON.size));
  write('favicon.ico', icoOf(FAVICON_SIZES.map((size) => ({ size, png: renderPng(svg, size) }))));
}

export function manifest() {
  const { background } = themeColors();
  return {
    // The app's identity across start_url changes: an installed app is the same app after a deploy.
    id: '/',
    name: APP_NAME,
    short_name: APP_NAME,
    description: 'Meet someone who shares your interests, face to face.',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    orientation: 'portrait',
    background_color: background,
    theme_color: background,
    icons: ICONS.map(({ file, size, purpose }) => ({
      src: `/${file}`,
      sizes: `${size}x${size}`,
      type: 'image/png',
      purpose,
    })),
  };
}

/** What index.html needs in its <head> to be installable and to show the icons. */
export function headTags() {
  const { background } = themeColors();
  return [
    `<link rel="manifest" href="/${MANIFEST}">`,
    `<meta name="theme-color" content="${background}">`,
    '<link rel="icon" href="/favicon.ico" sizes="16x16 32x32 48x48">',
    `<link rel="apple-touch-icon" href="/${APPLE_TOUCH_ICON.file}">`,
    // iOS: full screen from the home screen, with the app's name under the icon.
    '<meta name="mobile-web-app-capable" content="yes">',
    `<meta name="apple-mobile-web-app-title" content="${APP_NAME}">`,
  ];
}

/** Inserts the head tags once (a second run over the same build changes nothing). */
export function withHeadTags(html) {
  const MARK = '<!-- pwa -->';
  if (html.includes(MARK)) html = html.replace(new RegExp(`${MARK}[\\s\\S]*?${MARK}\\n?`), '');
  if (!html.includes('</head>')) throw new Error('index.html has no </head>');
  return html.replace('</head>', `${MARK}\n${headTags().join('\n')}\n${MARK}\n</head>`);
}

/**
 * The app shell's scripts: those index.html loads. Lazy chunks (TensorFlow.js for the shield, ~3
 * MB, loaded on the first match) are fetched when needed, as without a worker: offline they would
 * be of no use, since nobody can be met without the server.
 */
export function firstScreenScripts(html) {
  return [...html.matchAll(/<script\b[^>]*\bsrc="\/([^"]+)"/g)].map((match) => match[1]);
}

/** Workbox's generateSW over the build: the file list and the worker's routes. */
export function workboxConfig(dist) {
  const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
  return {
    globDirectory: dist,
    swDest: path.join(dist, SERVICE_WORKER),
    globPatterns: [
      'index.html',
      MANIFEST,
      'favicon.ico',
      'icons/*.png',
      ...firstScreenScripts(html),
      // The other languages' strings: small chunks (index-*.js, beside the first screen's) that a
      // user whose language is not English needs to draw the first screen at all, offline too.
      '_expo/static/js/web/index-*.js',
      // Stylesheets, fonts and images the bundles reference, when the app has any.
      ...(fs.existsSync(path.join(dist, '_expo/static/css')) ? ['_expo/static/css/**/*.css'] : []),
      ...(fs.existsSync(path.join(dist, 'assets')) ? ['assets/**/*'] : []),
    ],
    // The shield's model and wasm (megabytes) are fetched on the first match, as without a worker.
    // sw-push.js is the worker's own script (importScripts): the browser keeps and updates it with sw.js.
    globIgnores: ['shield/**', SERVICE_WORKER, PUSH_HANDLERS, 'workbox-*.js'],
    // A lazy chunk past this size would be left out of the precache silently: fail the build instead.
    maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
    // Named by their content already: no ?__WB_REVISION__ needed to tell versions apart.
    dontCacheBustURLsMatching: /^_expo\/static\//,
    // A navigation to one of the app's pages (the installed app opened offline, a mailed /reset
    // link) gets the cached app: the pages the server serves index.html at (APP_PAGES in
    // server/src/web/routes.ts); any other path still reaches the server and its 404. Matched
    // against the path and query. Never an API path (and /ws never reaches a worker at all:
    // WebSockets bypass it).
    navigateFallback: '/index.html',
    navigateFallbackAllowlist: [/^\/(\?|$)/, /^\/index\.html(\?|$)/, /^\/reset(\?|$)/],
    navigateFallbackDenylist: [/^\/api\//, /^\/ws/, /^\/healthz/, /^\/metrics/],
    // No runtimeCaching: anything not precached goes to the network untouched.
    // A new deploy's worker takes over at once and drops the old build's files.
    skipWaiting: true,
    clientsClaim: true,
    cleanupOutdatedCaches: true,
    // Workbox's runtime inlined (no workbox-<hash>.js beside it); the only script imported is ours.
    inlineWorkboxRuntime: true,
    importScripts: [PUSH_HANDLERS],
    mode: 'production',
    sourcemap: false,
  };
}

export async function makeInstallable(dist) {
  const index = path.join(dist, 'index.html');
  if (!fs.existsSync(index)) throw new Error(`${index} is missing: run expo export first`);
  writeIcons(dist);
  fs.writeFileSync(path.join(dist, MANIFEST), JSON.stringify(manifest(), null, 2));
  fs.writeFileSync(index, withHeadTags(fs.readFileSync(index, 'utf8')));
  fs.copyFileSync(path.join(import.meta.dirname, PUSH_HANDLERS), path.join(dist, PUSH_HANDLERS));
  const { count, size, warnings } = await generateSW(workboxConfig(dist));
  if (warnings.length > 0) throw new Error(`workbox: ${warnings.join('; ')}`);
  return { count, size };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dist = path.resolve(process.argv[2] ?? path.join(app, 'dist'));
  const { count, size } = await makeInstallable(dist);
  console.log(
    `pwa: manifest, icons and ${SERVICE_WORKER} precaching ${count} files (${Math.round(size / 1024)} KB) in ${path.relative(process.cwd(), dist) || '.'}`,
  );
}
