import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Fastify from 'fastify';
import { ErrorBody, SECURE_SESSION_COOKIE, SESSION_COOKIE } from '@small-talk/protocol';
import { requireBodyType } from '../src/http/body-type.js';
import { api, guest, openSocket, sparePort, startServer, type TestServer, type Json } from './harness.js';

/**
 * The web surface a security review expects: CSRF and body types, the session cookie, whose
 * forwarded headers are believed, the security headers, who may read /metrics, and plugin errors.
 */

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Json;
}

/** One HTTP request exactly as given (headers, raw body, source address): fetch adds and forbids headers. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; localAddress?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
    const request = http.request(
      url,
      { method: options.method ?? 'GET', headers, agent: false, localAddress: options.localAddress },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          let body: Json = text;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
        });
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

function assertError(answer: { status: number; body: unknown }, status: number, code: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(ErrorBody.strict().parse(answer.body).error.code, code);
}

const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});
async function serve(env: Record<string, string> = {}): Promise<TestServer> {
  const server = await startServer(env);
  servers.push(server);
  return server;
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

describe('CSRF: a state-changing request a browser sent for another site is refused', async () => {
  const server = await serve({
    ALLOWED_ORIGINS: 'https://app.partner.example',
    PUBLIC_URL: 'https://chat.smalltalk.example',
  });
  const own = server.url; // http://127.0.0.1:<port>, what the Host header says

  /** A fresh guest and its cookie header. */
  async function signedIn() {
    const { token } = await guest(server.url, 'Csrf Target');
    return { token, cookie: `${SESSION_COOKIE}=${token}` };
  }
  const stillSignedIn = async (cookie: string) =>
    (await send(`${server.url}/api/me`, { headers: { cookie } })).status === 200;
  const logout = (headers: Record<string, string>) =>
    send(`${server.url}/api/auth/logout`, { method: 'POST', headers });

  test('a cookie-authenticated logout from a foreign Origin (or "null") is 403 forbidden_origin, and the session lives on', async () => {
    const { cookie } = await signedIn();
    for (const origin of ['https://evil.example', 'null', `${own}.evil.example`, 'http://127.0.0.1']) {
      assertError(await logout({ cookie, origin }), 403, 'forbidden_origin');
    }
    assert.ok(await stillSignedIn(cookie), 'a refused logout logged the user out');
  });

  test('the page’s own origin (by Host, either scheme), PUBLIC_URL’s origin and ALLOWED_ORIGINS pass', async () => {
    for (const origin of [
      own,
      own.replace('http:', 'https:'),
      'https://chat.smalltalk.example',
      'https://app.partner.example',
    ]) {
      const { cookie } = await signedIn();
      const answer = await logout({ cookie, origin });
      assert.equal(answer.status, 204, `${origin}: ${JSON.stringify(answer.body)}`);
      assert.ok(!(await stillSignedIn(cookie)), `${origin}: logged out`);
    }
  });

  test('without Origin, Sec-Fetch-Site decides: cross-site and same-site are refused, same-origin and none pass', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const { cookie } = await signedIn();
      assertError(await logout({ cookie, 'sec-fetch-site': site }), 403, 'forbidden_origin');
      assert.ok(await stillSignedIn(cookie));
    }
    for (const site of ['same-origin', 'none']) {
      const { cookie } = await signedIn();
      assert.equal((await logout({ cookie, 'sec-fetch-site': site })).status, 204, site);
    }
  });

  test('neither Origin nor Sec-Fetch-Site: not a browser, it passes', async () => {
    const { cookie } = await signedIn();
    assert.equal((await logout({ cookie })).status, 204);
  });

  test('Bearer-authenticated requests are unaffected by Origin', async () => {
    const { token, cookie } = await signedIn();
    const answer = await logout({
      authorization: `Bearer ${token}`,
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
    });
    assert.equal(answer.status, 204, JSON.stringify(answer.body));
    assert.ok(!(await stillSignedIn(cookie)));
  });

  test('a friend request, its acceptance and a DELETE from a foreign page are refused before anything happens', async () => {
    const { cookie } = await signedIn();
    const headers = { cookie, origin: 'https://evil.example' };
    assertError(
      await send(`${server.url}/api/friends/requests`, json({ userId: 'someone' }, headers)),
      403,
      'forbidden_origin',
    );
    assertError(
      await send(`${server.url}/api/friends/requests/1/accept`, { method: 'POST', headers }),
      403,
      'forbidden_origin',
    );
    assertError(
      await send(`${server.url}/api/friends/someone`, { method: 'DELETE', headers }),
      403,
      'forbidden_origin',
    );
    // Reading is not state-changing: GET from anywhere is answered (the browser keeps it from the other page).
    assert.equal((await send(`${server.url}/api/me`, { headers })).status, 200);
  });

  test('signing in from a foreign page is refused too (login CSRF), cookie or not', async () => {
    const answer = await send(
      `${server.url}/api/auth/guest`,
      json({ displayName: 'Planted' }, { origin: 'https://evil.example' }),
    );
    assertError(answer, 403, 'forbidden_origin');
    assert.equal(answer.headers['set-cookie'], undefined);
    const login = await send(
      `${server.url}/api/auth/login`,
      json({ email: 'a@example.com', password: 'whatever1' }, { 'sec-fetch-site': 'cross-site' }),
    );
    assertError(login, 403, 'forbidden_origin');
  });
});

describe('bodies must be JSON (415 unsupported_media_type)', async () => {
  const server = await serve();
  const bodyAs = (contentType: string | null, body: string, extra: Record<string, string> = {}) =>
    send(`${server.url}/api/auth/guest`, {
      method: 'POST',
      headers: { ...(contentType ? { 'content-type': contentType } : {}), ...extra },
      body,
    });

  test('text/plain, a form, multipart and a body with no Content-Type are refused, whatever they hold', async () => {
    const text = JSON.stringify({ displayName: 'Sneaky' });
    assertError(await bodyAs('text/plain', text), 415, 'unsupported_media_type');
    assertError(await bodyAs('text/plain;charset=UTF-8', text), 415, 'unsupported_media_type');
    assertError(await bodyAs('application/x-www-form-urlencoded', 'displayName=Sneaky'), 415, 'unsupported_media_type');
    assertError(
      await bodyAs(
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="displayName"\r\n\r\nSneaky\r\n--x--\r\n',
      ),
      415,
      'unsupported_media_type',
    );
    assertError(await bodyAs(null, text), 415, 'unsupported_media_type');
    // A cookie-authenticated text/plain logout from the page's own origin: refused for its type.
    const { token } = await guest(server.url, 'Typed');
    const logout = await send(`${server.url}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: `${SESSION_COOKIE}=${token}`, 'content-type': 'text/plain' },
      body: '{}',
    });
    assertError(logout, 415, 'unsupported_media_type');
    assert.equal((await api(server.url, 'GET', '/api/me', { token })).status, 200, 'the refused logout did nothing');
  });

  test('application/json (with parameters, in any case) is taken; no body needs no type', async () => {
    assert.equal((await bodyAs('application/json', JSON.stringify({ displayName: 'Plain' }))).status, 201);
    assert.equal(
      (await bodyAs('Application/JSON; charset=utf-8', JSON.stringify({ displayName: 'Cased' }))).status,
      201,
    );
    const { token } = await guest(server.url, 'Bodiless');
    assert.equal(
      (await send(`${server.url}/api/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }))
        .status,
      204,
    );
  });

  test('a route that declares its own body type (config.bodyType) takes that type and refuses JSON', async () => {
    const app = Fastify();
    app.setErrorHandler((error, _request, reply) =>
      reply.code((error as { status?: number }).status ?? 500).send({ code: (error as { code?: string }).code }),
    );
    app.addHook('onRequest', requireBodyType);
    app.addContentTypeParser('image/jpeg', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    app.post('/upload', { config: { bodyType: 'image/jpeg' } }, async (request) => ({
      bytes: (request.body as Buffer).length,
    }));
    try {
      const jpeg = await app.inject({
        method: 'POST',
        url: '/upload',
        headers: { 'content-type': 'image/jpeg' },
        payload: Buffer.from([0xff, 0xd8, 0xff]),
      });
      assert.equal(jpeg.statusCode, 200, jpeg.body);
      assert.deepEqual(jpeg.json(), { bytes: 3 });
      const asJson = await app.inject({
        method: 'POST',
        url: '/upload',
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      });
      assert.equal(asJson.statusCode, 415);
      assert.equal(asJson.json().code, 'unsupported_media_type');
    } finally {
      await app.close();
    }
  });
});

/** The session cookie a response sets, by name, with its attributes lower-cased. */
function cookieSet(headers: http.IncomingHttpHeaders, name: string): { value: string; attributes: string[] } | null {
  for (const line of headers['set-cookie'] ?? []) {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair!.indexOf('=');
    if (pair!.slice(0, eq) === name)
      return { value: pair!.slice(eq + 1), attributes: attributes.map((a) => a.toLowerCase()) };
  }
  return null;
}

describe('the session cookie', () => {
  const newGuest = (server: TestServer, options: { headers?: Record<string, string>; localAddress?: string } = {}) =>
    send(`${server.url}/api/auth/guest`, {
      ...json({ displayName: 'Cookie' }, options.headers),
      localAddress: options.localAddress,
    });

  test('by default: st_session; HttpOnly; SameSite=Lax; Path=/, not Secure (plain http on a LAN must work)', async () => {
    const server = await serve();
    const answer = await newGuest(server);
    const cookie = cookieSet(answer.headers, SESSION_COOKIE);
    assert.ok(cookie, JSON.stringify(answer.headers['set-cookie']));
    assert.equal(cookie.value, answer.body.token);
    assert.ok(!cookie.attributes.includes('secure'));
    assert.equal(cookieSet(answer.headers, SECURE_SESSION_COOKIE), null);
  });

  for (const env of [{ COOKIE_SECURE: 'true' }, { PUBLIC_URL: 'https://chat.smalltalk.example' }] as Array<
    Record<string, string>
  >) {
    test(`${JSON.stringify(env)}: __Host-st_session; Secure; HttpOnly; SameSite=Lax; Path=/, no Domain; it authenticates HTTP and /ws`, async () => {
      const server = await serve(env);
      const answer = await newGuest(server);
      assert.equal(answer.status, 201);
      assert.equal(cookieSet(answer.headers, SESSION_COOKIE), null, 'no plain cookie beside it');
      const cookie = cookieSet(answer.headers, SECURE_SESSION_COOKIE);
      assert.ok(cookie, JSON.stringify(answer.headers['set-cookie']));
      assert.equal(cookie.value, answer.body.token);
      for (const attribute of ['secure', 'httponly', 'samesite=lax', 'path=/'])
        assert.ok(cookie.attributes.includes(attribute), attribute);
      assert.ok(!cookie.attributes.some((a) => a.startsWith('domain')), '__Host- cookies have no Domain');

      const header = `${SECURE_SESSION_COOKIE}=${cookie.value}`;
      assert.equal((await send(`${server.url}/api/me`, { headers: { cookie: header } })).status, 200);
      const socket = await openSocket(server, { cookie: header });
      assert.equal((await socket.next('welcome')).user.id, answer.body.user.id);
      await socket.close();

      // A cookie from before Secure was turned on still works, and logout clears both names.
      const old = await guest(server.url, 'Before');
      assert.equal(
        (await send(`${server.url}/api/me`, { headers: { cookie: `${SESSION_COOKIE}=${old.token}` } })).status,
        200,
      );
      const out = await send(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie: header } });
      assert.equal(out.status, 204);
      for (const name of [SESSION_COOKIE, SECURE_SESSION_COOKIE]) {
        const cleared = cookieSet(out.headers, name);
        assert.ok(cleared, `logout clears ${name}`);
        assert.equal(cleared.value, '');
        assert.ok(cleared.attributes.includes('max-age=0'));
      }
      assert.ok(
        cookieSet(out.headers, SECURE_SESSION_COOKIE)!.attributes.includes('secure'),
        'a browser only accepts a __Host- cookie with Secure, clearing included',
      );
    });
  }

  test('X-Forwarded-Proto: https makes it Secure only when a TRUST_PROXY proxy says so', async () => {
    const server = await serve({ TRUST_PROXY: '127.0.0.2' });
    const viaProxy = await newGuest(server, { headers: { 'x-forwarded-proto': 'https' }, localAddress: '127.0.0.2' });
    assert.ok(cookieSet(viaProxy.headers, SECURE_SESSION_COOKIE), JSON.stringify(viaProxy.headers['set-cookie']));
    const forged = await newGuest(server, { headers: { 'x-forwarded-proto': 'https' }, localAddress: '127.0.0.1' });
    assert.ok(cookieSet(forged.headers, SESSION_COOKIE), JSON.stringify(forged.headers['set-cookie']));
    assert.equal(cookieSet(forged.headers, SECURE_SESSION_COOKIE), null);
  });
});

describe('TRUST_PROXY: whose X-Forwarded-For is believed', () => {
  const guestFrom = (server: TestServer, localAddress: string, forwardedFor?: string) =>
    send(`${server.url}/api/auth/guest`, {
      ...json({ displayName: 'Forwarded' }, forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
      localAddress,
    });

  test('per-address limits key on the client a trusted proxy names, and on the TCP peer for anyone else', async () => {
    const server = await serve({ GUEST_RATE_LIMIT_PER_MIN: '2', TRUST_PROXY: '127.0.0.2' });
    // Through the trusted proxy: each client it names has its own allowance.
    assert.equal((await guestFrom(server, '127.0.0.2', '203.0.113.1')).status, 201);
    assert.equal((await guestFrom(server, '127.0.0.2', '203.0.113.1')).status, 201);
    assertError(await guestFrom(server, '127.0.0.2', '203.0.113.1'), 429, 'rate_limited');
    assert.equal((await guestFrom(server, '127.0.0.2', '203.0.113.2')).status, 201, 'another client behind the proxy');
    // A client the proxy forwards cannot escape by prepending its own X-Forwarded-For: the
    // proxy appends the address it saw, and that last hop is what counts.
    assertError(await guestFrom(server, '127.0.0.2', '198.51.100.9, 203.0.113.1'), 429, 'rate_limited');
    // An untrusted peer forging the header: keyed on its own address, whatever it names.
    assert.equal((await guestFrom(server, '127.0.0.3', '203.0.113.50')).status, 201);
    assert.equal((await guestFrom(server, '127.0.0.3', '203.0.113.51')).status, 201);
    assertError(await guestFrom(server, '127.0.0.3', '203.0.113.52'), 429, 'rate_limited');
  });

  test('the per-address socket cap counts the forwarded client behind a trusted proxy, and the TCP peer otherwise', async () => {
    const server = await serve({ MAX_SOCKETS_PER_ADDRESS: '1', TRUST_PROXY: '127.0.0.2' });
    /** A WebSocket upgrade from `localAddress` naming `forwardedFor`: its status, and the socket when it opened. */
    const upgrade = async (localAddress: string, forwardedFor: string) => {
      const { token } = await guest(server.url, 'Capped');
      return new Promise<{ status: number; socket: net.Socket | null }>((resolve, reject) => {
        const request = http.request(`${server.url}/ws`, {
          localAddress,
          agent: false,
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
            authorization: `Bearer ${token}`,
            'x-forwarded-for': forwardedFor,
          },
        });
        request.on('upgrade', (response, socket) => resolve({ status: response.statusCode ?? 0, socket }));
        request.on('response', (response) => {
          response.resume();
          resolve({ status: response.statusCode ?? 0, socket: null });
        });
        request.on('error', reject);
        request.end();
      });
    };
    const held: net.Socket[] = [];
    try {
      const first = await upgrade('127.0.0.2', '203.0.113.1');
      assert.equal(first.status, 101);
      held.push(first.socket!);
      const sameClient = await upgrade('127.0.0.2', '203.0.113.1');
      assert.equal(sameClient.status, 429, 'a second socket of the same client behind the proxy');
      const otherClient = await upgrade('127.0.0.2', '203.0.113.2');
      assert.equal(otherClient.status, 101, 'another client behind the same proxy');
      held.push(otherClient.socket!);
      const untrusted = await upgrade('127.0.0.3', '203.0.113.3');
      assert.equal(untrusted.status, 101);
      held.push(untrusted.socket!);
      const forged = await upgrade('127.0.0.3', '203.0.113.4');
      assert.equal(forged.status, 429, 'an untrusted peer cannot name new clients to get more sockets');
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});

describe('security headers on every page, asset and answer', async () => {
  const webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-web-'));
  fs.mkdirSync(path.join(webDir, '_expo/static/js/web'), { recursive: true });
  const resetCss = '\n      html, body { height: 100%; }\n    ';
  fs.writeFileSync(
    path.join(webDir, 'index.html'),
    `<!doctype html><title>Small Talk</title><style id="expo-reset">${resetCss}</style><div id="root"></div>`,
  );
  fs.writeFileSync(path.join(webDir, '_expo/static/js/web/index-abc123.js'), 'console.log("app")');
  const server = await serve({ WEB_DIR: webDir });

  /** The CSP as directive → sources. */
  const csp = (header: string | string[] | undefined) =>
    new Map(
      String(header)
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((d) => d[0])
        .map(([name, ...sources]) => [name!, sources]),
    );

  test('/, a hashed bundle under /_expo, /api answers and 404s all carry them', async () => {
    for (const route of ['/', '/_expo/static/js/web/index-abc123.js', '/api/categories', '/api/me', '/no/such/page']) {
      const { headers, status } = await send(server.url + route);
      assert.ok(status < 500, `${route}: ${status}`);
      assert.equal(headers['x-content-type-options'], 'nosniff', route);
      assert.equal(headers['referrer-policy'], 'no-referrer', route);
      assert.equal(headers['permissions-policy'], 'camera=(self), microphone=(self), geolocation=()', route);
      assert.equal(headers['x-frame-options'], 'DENY', route);
      const policy = csp(headers['content-security-policy']);
      assert.deepEqual(policy.get('frame-ancestors'), ["'none'"], route);
      assert.deepEqual(policy.get('default-src'), ["'self'"], route);
      // 'wasm-unsafe-eval' compiles WebAssembly only (the shield's tfjs wasm backend): no JS eval.
      assert.deepEqual(
        policy.get('script-src'),
        ["'self'", "'wasm-unsafe-eval'"],
        `${route}: scripts from our origin only, no inline, no eval`,
      );
      assert.deepEqual(policy.get('connect-src'), ["'self'"], `${route}: fetch and /ws to our origin only`);
      assert.deepEqual(policy.get('worker-src'), ["'self'"], route);
      assert.deepEqual(policy.get('object-src'), ["'none'"], route);
      for (const [name, sources] of policy) {
        assert.ok(
          !sources.some(
            (s) => s === "'unsafe-inline'" || s === "'unsafe-eval'" || s === '*' || s === 'http:' || s === 'https:',
          ),
          `${route}: ${name} ${sources.join(' ')}`,
        );
        for (const local of ['data:', 'blob:']) {
          if (sources.includes(local))
            assert.ok(
              ['img-src', 'media-src', 'font-src'].includes(name),
              `${route}: ${local} only for images, media and fonts, not ${name}`,
            );
        }
      }
      assert.ok(!policy.has('upgrade-insecure-requests'), 'plain http (npm start on a LAN) must keep working');
    }
  });

  test('style-src admits exactly index.html’s inline <style> by hash (and the empty one react-native-web fills through CSSOM)', async () => {
    const { headers } = await send(`${server.url}/`);
    const styles = csp(headers['content-security-policy']).get('style-src') ?? [];
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    assert.deepEqual([...styles].sort(), ["'self'", hash(''), hash(resetCss)].sort());
  });
});

describe('/metrics: never public', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';

  test('by default only this machine may read it: a remote peer or anything a proxy forwarded gets 403 forbidden', async () => {
    const server = await serve({ TRUST_PROXY: '127.0.0.2' });
    assert.equal((await send(`${server.url}/metrics`)).status, 200, 'loopback');
    const remote = await server.server.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9' });
    assert.equal(remote.statusCode, 403, remote.body);
    assert.equal(ErrorBody.parse(remote.json()).error.code, 'forbidden');
    // A proxy on this machine connects from loopback; what it forwards is the internet's.
    for (const localAddress of ['127.0.0.1', '127.0.0.2']) {
      assertError(
        await send(`${server.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' }, localAddress }),
        403,
        'forbidden',
      );
      assertError(
        await send(`${server.url}/metrics`, { headers: { forwarded: 'for=203.0.113.9' }, localAddress }),
        403,
        'forbidden',
      );
    }
  });

  test('METRICS_TOKEN: Authorization: Bearer <token> or 401 unauthenticated, from anywhere', async () => {
    const server = await serve({ METRICS_TOKEN: TOKEN });
    assertError(await send(`${server.url}/metrics`), 401, 'unauthenticated');
    assertError(
      await send(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } }),
      401,
      'unauthenticated',
    );
    assertError(
      await send(`${server.url}/metrics`, {
        headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
      }),
      401,
      'unauthenticated',
    );
    const ok = await send(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^# HELP smalltalk_/m);
    const remote = await server.server.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '203.0.113.9',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(remote.statusCode, 200);
  });

  test('METRICS_PORT: served there by the real entry point, and not on PORT', async () => {
    const metricsPort = await sparePort();
    const running = await runMain({ METRICS_PORT: String(metricsPort) });
    try {
      assertError(await send(`${running.url}/metrics`), 404, 'not_found');
      const scraped = await send(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(scraped.status, 200);
      assert.match(scraped.body, /^# TYPE smalltalk_sockets_open gauge$/m);
      assertError(await send(`http://127.0.0.1:${metricsPort}/api/me`), 404, 'not_found');
      assert.equal((await send(`${running.url}/healthz`)).status, 200, 'PORT serves the rest');
    } finally {
      await running.stop();
    }
  });
});

describe('errors from plugins stay 4xx in our shape', () => {
  test('a forbidden static path is 403, a bad URL 400, a dot-file 404: our {error} shape, and nothing logged at error level', async () => {
    const webDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-web-'));
    fs.writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>Small Talk</title>');
    fs.writeFileSync(path.join(webDir, '.env'), 'SECRET=1');
    const running = await runMain({ WEB_DIR: webDir, LOG_LEVEL: 'info' });
    try {
      assertError(await send(`${running.url}/%00`), 403, 'forbidden');
      assertError(await send(`${running.url}/a%ZZ`), 400, 'bad_request');
      assertError(await send(`${running.url}/.env`), 404, 'not_found');
      assertError(await send(`${running.url}/%2e%2e/%2e%2e/etc/passwd`), 404, 'not_found');
      assert.equal((await send(`${running.url}/%2e%2e/`)).status, 200, 'normalised to / itself');
    } finally {
      await running.stop();
    }
    const errors = running
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level >= 50);
    assert.deepEqual(errors, [], 'a client’s bad path is no server error');
  });
});

const root = path.resolve(import.meta.dirname, '../..');
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/**
 * The real entry point (server/src/main.ts) in a child process: it alone listens on METRICS_PORT,
 * and its pino output (written straight to file descriptor 1) can be read whole.
 */
async function runMain(env: Record<string, string>): Promise<{ url: string; output(): string; stop(): Promise<void> }> {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-security-')),
    LOG_LEVEL: 'info',
    ...env,
  };
  delete childEnv.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const deadline = Date.now() + 20_000;
  let url: string | undefined;
  // With METRICS_PORT two listeners log "Server listening"; PORT's is the one not on METRICS_PORT.
  const port = (text: string) =>
    [...text.matchAll(/Server listening at http:\/\/127\.0\.0\.1:(\d+)/g)]
      .map((m) => m[1])
      .find((p) => p !== env.METRICS_PORT);
  const ready = () => {
    const main = port(output);
    if (!main) return undefined;
    if (env.METRICS_PORT && !output.includes(`127.0.0.1:${env.METRICS_PORT}`)) return undefined;
    return `http://127.0.0.1:${main}`;
  };
  while (!(url = ready())) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}
