import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { api, startServer } from './harness.js';

/** The app's web build at `/`: same origin as /api and /ws, so the session cookie just works. */
describe('web app at /', () => {
  test("serves index.html (never cached), hashed bundles and the shield's files (cached for good), beside the API", async () => {
    const webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-web-'));
    fs.mkdirSync(path.join(webDir, '_expo/static/js/web'), { recursive: true });
    fs.writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>Small Talk</title><div id="root"></div>');
    fs.writeFileSync(path.join(webDir, '_expo/static/js/web/index-abc123.js'), 'console.log("app")');
    const server = await startServer({ WEB_DIR: webDir });
    try {
      const page = await fetch(`${server.url}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await page.text(), /<title>Small Talk<\/title>/);
      assert.equal(page.headers.get('cache-control'), 'no-cache');

      const bundle = await fetch(`${server.url}/_expo/static/js/web/index-abc123.js`);
      assert.equal(bundle.status, 200);
      assert.equal(await bundle.text(), 'console.log("app")');
      assert.match(bundle.headers.get('cache-control') ?? '', /immutable/);

      // The shield's files (apps/mobile/scripts/shield-assets.mjs): weights named by their hash
      // and wasm in a versioned folder are cached for good; model.json (which names the weights)
      // is revalidated, so a new model reaches browsers on their next load.
      fs.mkdirSync(path.join(webDir, 'shield/models/mobilenet_v2'), { recursive: true });
      fs.mkdirSync(path.join(webDir, 'shield/tfjs-backend-wasm-4.22.0'), { recursive: true });
      fs.writeFileSync(path.join(webDir, 'shield/models/mobilenet_v2/model.json'), '{}');
      fs.writeFileSync(
        path.join(webDir, 'shield/models/mobilenet_v2/weights.0123456789abcdef.bin'),
        Buffer.from([1, 2, 3]),
      );
      fs.writeFileSync(
        path.join(webDir, 'shield/tfjs-backend-wasm-4.22.0/tfjs-backend-wasm-simd.wasm'),
        Buffer.from([0, 97, 115, 109]),
      );
      const model = await fetch(`${server.url}/shield/models/mobilenet_v2/model.json`);
      assert.equal(model.status, 200);
      assert.equal(model.headers.get('cache-control'), 'no-cache');
      assert.ok(model.headers.get('etag'), 'model.json revalidates by ETag');
      const weights = await fetch(`${server.url}/shield/models/mobilenet_v2/weights.0123456789abcdef.bin`);
      assert.equal(weights.status, 200);
      assert.deepEqual([...new Uint8Array(await weights.arrayBuffer())], [1, 2, 3]);
      assert.match(weights.headers.get('cache-control') ?? '', /immutable/);
      const wasm = await fetch(`${server.url}/shield/tfjs-backend-wasm-4.22.0/tfjs-backend-wasm-simd.wasm`);
      assert.equal(wasm.status, 200);
      // WebAssembly.instantiateStreaming needs this type, or the browser falls back to a slower compile.
      assert.equal(wasm.headers.get('content-type'), 'application/wasm');
      assert.match(wasm.headers.get('cache-control') ?? '', /immutable/);

      // A mailed link opens the app at its own path: the same page, read fresh.
      const reset = await fetch(`${server.url}/reset?token=abc`);
      assert.equal(reset.status, 200);
      assert.match(await reset.text(), /<title>Small Talk<\/title>/);
      assert.equal(reset.headers.get('cache-control'), 'no-cache');
      assert.equal((await fetch(`${server.url}/resets`)).status, 404);

      assert.equal((await api(server.url, 'GET', '/api/categories')).status, 200);
      const missing = await api(server.url, 'GET', '/api/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'not_found');
    } finally {
      await server.close();
    }
  });

  test("the installable app's files: the service worker revalidated on every check, with a script type; the manifest as a manifest", async () => {
    const webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-web-'));
    fs.mkdirSync(path.join(webDir, 'icons'));
    fs.writeFileSync(
      path.join(webDir, 'index.html'),
      '<!doctype html><title>Small Talk</title><link rel="manifest" href="/manifest.webmanifest">',
    );
    fs.writeFileSync(path.join(webDir, 'sw.js'), 'self.addEventListener("fetch", () => {})');
    fs.writeFileSync(path.join(webDir, 'manifest.webmanifest'), JSON.stringify({ name: 'Small Talk', start_url: '/' }));
    fs.writeFileSync(path.join(webDir, 'icons/icon-192.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    fs.writeFileSync(path.join(webDir, 'favicon.ico'), Buffer.from([0, 0, 1, 0]));
    const server = await startServer({ WEB_DIR: webDir });
    try {
      // A browser checks /sw.js for an update on each visit: a cached copy would keep an old
      // build's worker (and its precached app) alive for as long as the cache said.
      const worker = await fetch(`${server.url}/sw.js`);
      assert.equal(worker.status, 200);
      assert.equal(worker.headers.get('cache-control'), 'no-cache');
      assert.match(worker.headers.get('content-type') ?? '', /^(application|text)\/javascript\b/);
      assert.ok(worker.headers.get('etag'), 'the update check revalidates by ETag');
      // At the root, so its scope is the whole app without a Service-Worker-Allowed header.
      assert.equal(worker.headers.get('service-worker-allowed'), null);
      // The page's CSP lets it register the worker and read the manifest (both 'self').
      const csp = worker.headers.get('content-security-policy') ?? '';
      assert.match(csp, /worker-src 'self'/);
      assert.match(csp, /default-src 'self'/);

      const manifest = await fetch(`${server.url}/manifest.webmanifest`);
      assert.equal(manifest.status, 200);
      assert.equal(manifest.headers.get('content-type'), 'application/manifest+json');
      assert.equal(manifest.headers.get('cache-control'), 'no-cache');
      assert.equal(((await manifest.json()) as { name: string }).name, 'Small Talk');

      const icon = await fetch(`${server.url}/icons/icon-192.png`);
      assert.equal(icon.status, 200);
      assert.equal(icon.headers.get('content-type'), 'image/png');
      const favicon = await fetch(`${server.url}/favicon.ico`);
      assert.equal(favicon.status, 200);
      assert.match(favicon.headers.get('content-type') ?? '', /^image\/(x-icon|vnd\.microsoft\.icon)$/);
    } finally {
      await server.close();
    }
  });

  test('without a web build, / says how to get one instead of failing silently', async () => {
    const server = await startServer({ WEB_DIR: path.join(os.tmpdir(), 'smalltalk-no-such-web-dir') });
    try {
      const response = await api(server.url, 'GET', '/');
      assert.equal(response.status, 404);
      assert.equal(response.body.error.code, 'not_found');
      assert.match(response.body.error.message, /npm start/);
    } finally {
      await server.close();
    }
  });
});
