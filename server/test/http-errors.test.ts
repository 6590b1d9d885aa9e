import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorBody } from '@small-talk/protocol';
import { api, guest, startServer, type TestServer } from './harness.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

/** Every HTTP error: the status, a JSON body {error:{code,message}} and a snake_case code. */
function assertError(
  response: { status: number; body: unknown; headers: Headers },
  status: number,
  code: string,
): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = ErrorBody.strict().parse(response.body);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
  assert.equal(body.error.code, code);
  assert.match(body.error.code, /^[a-z]+(_[a-z]+)*$/);
  assert.ok(body.error.message.length > 0);
}

test('an unknown route answers 404 {error:{code:"not_found"}}', async () => {
  for (const [method, route] of [
    ['GET', '/nope'],
    ['GET', '/api/nope'],
    ['POST', '/api/nope'],
    ['DELETE', '/api/me'],
    ['GET', '/api/auth/guest'],
  ] as const) {
    assertError(await api(server.url, method, route), 404, 'not_found');
  }
});

test('an invalid JSON body answers 400 bad_request', async () => {
  for (const body of ['{"displayName":', '{displayName: "Ada"}', 'not json', '{"displayName":"Ada"}}']) {
    assertError(await api(server.url, 'POST', '/api/auth/guest', { body }), 400, 'bad_request');
  }
  const token = (await guest(server.url)).token;
  assertError(
    await api(server.url, 'POST', '/api/auth/register', {
      body: '{"email":"a@example.com","password":"12345678",',
      token,
    }),
    400,
    'bad_request',
  );
  assertError(await api(server.url, 'POST', '/api/auth/login', { body: '[1,', token }), 400, 'bad_request');
});

test('a body over the limit answers 413', async () => {
  const huge = JSON.stringify({ displayName: 'x'.repeat(1024 * 1024) });
  const response = await api(server.url, 'POST', '/api/auth/guest', { body: huge });
  assert.equal(response.status, 413);
  const body = ErrorBody.parse(response.body);
  assert.equal(body.error.code, 'payload_too_large');
  // A body under the limit with the same shape gets as far as validation.
  assertError(
    await api(server.url, 'POST', '/api/auth/guest', { body: { displayName: 'x'.repeat(4000) } }),
    400,
    'bad_request',
  );
});

test('a body that is not JSON is refused (415) in the error shape', async () => {
  // Raw fetch: api() always labels a body application/json.
  const response = await fetch(`${server.url}/api/auth/guest`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'displayName=Ada',
  });
  // The contract takes JSON bodies; refusing others as 415 or as 400 both keep it, in the error shape.
  const refused = { status: response.status, body: await response.json(), headers: response.headers };
  if (refused.status === 415) assertError(refused, 415, 'unsupported_media_type');
  else assertError(refused, 400, 'bad_request');
});

test('authentication errors have the error shape too', async () => {
  assertError(await api(server.url, 'GET', '/api/me'), 401, 'unauthenticated');
  assertError(await api(server.url, 'GET', '/api/history'), 401, 'unauthenticated');
  assertError(
    await api(server.url, 'POST', '/api/auth/login', { body: { email: 'nobody@example.com', password: 'whatever1' } }),
    401,
    'invalid_credentials',
  );
});
