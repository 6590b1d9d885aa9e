import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { api, startServer } from './harness.js';

/** The app's web build at `/`: same origin as /api and /ws, so the session cookie just works. */
describe('web app at /', () => {
  test('serves index.html (never cached) and hashed bundles (cached for good), beside the API', async () => {
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

      assert.equal((await api(server.url, 'GET', '/api/categories')).status, 200);
      const missing = await api(server.url, 'GET', '/api/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'not_found');
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
