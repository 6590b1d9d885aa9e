import { describe, expect, test } from '@jest/globals';
import { Api, ApiError, describeApiError } from '../src/api';
import { ada, defaultRoutes, fakeFetch } from './fakes';

describe('Api', () => {
  test('web: same-origin relative URLs, the cookie goes along, no Authorization header', async () => {
    const http = fakeFetch(defaultRoutes());
    const api = new Api({ httpBase: '', auth: 'cookie', fetch: http.fetch });
    await api.guest('Ada');
    await api.categories();

    expect(api.token).toBeUndefined();
    expect(http.calls.map((call) => call.url)).toEqual(['/api/auth/guest', '/api/categories']);
    for (const call of http.calls) {
      expect(call.init.credentials).toBe('include');
      expect((call.init.headers as Record<string, string>).authorization).toBeUndefined();
    }
  });

  test('native: the server URL, and the token from sign-in as a Bearer header until logout', async () => {
    const http = fakeFetch(
      defaultRoutes({
        'GET /api/me': ({ headers }) => (headers.authorization === 'Bearer token-ada' ? [200, { user: ada }] : [401]),
      }),
    );
    const api = new Api({ httpBase: 'http://10.0.2.2:3000', auth: 'bearer', fetch: http.fetch });
    await api.guest('Ada');
    expect(await api.me()).toEqual(ada);
    expect(http.calls[1]!.url).toBe('http://10.0.2.2:3000/api/me');

    await api.logout();
    expect(api.token).toBeUndefined();
  });

  test("errors carry the protocol's code", async () => {
    const http = fakeFetch(
      defaultRoutes({
        'POST /api/auth/login': () => [
          401,
          { error: { code: 'invalid_credentials', message: 'wrong email or password' } },
        ],
      }),
    );
    const api = new Api({ httpBase: '', auth: 'cookie', fetch: http.fetch });
    await expect(api.login({ email: 'ada@example.com', password: 'nope' })).rejects.toMatchObject({
      code: 'invalid_credentials',
      status: 401,
    });
    await expect(api.me()).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  test('no answer at all is a network error; an answer that is not protocol v1 is invalid_response', async () => {
    const offline = new Api({
      httpBase: '',
      auth: 'cookie',
      fetch: (async () => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch,
    });
    await expect(offline.categories()).rejects.toEqual(new ApiError('network', 'Failed to fetch', null));

    const odd = new Api({
      httpBase: '',
      auth: 'cookie',
      fetch: fakeFetch({ 'GET /api/categories': () => [200, { nope: true }] }).fetch,
    });
    await expect(odd.categories()).rejects.toMatchObject({ code: 'invalid_response' });
  });
});

describe('Api: accounts, profile, stats', () => {
  test('each call goes to its route with its method and body, and reads its answer', async () => {
    const member = { ...ada, kind: 'member' as const };
    const http = fakeFetch(
      defaultRoutes({
        'POST /api/auth/email/verify-start': () => [202, {}],
        'POST /api/auth/email/verify': () => [200, { user: { ...member, emailVerified: true } }],
        'POST /api/auth/password/reset-start': () => [202, {}],
        'POST /api/auth/password/reset': () => [200, { user: member, token: 'token-new' }],
        'PATCH /api/me': ({ body }) => [200, { user: { ...member, ...body } }],
        'GET /api/stats': () => [200, { online: 3, waiting: 1 }],
      }),
    );
    const api = new Api({ httpBase: 'http://10.0.2.2:3000', auth: 'bearer', fetch: http.fetch });
    await api.verifyEmailStart();
    expect((await api.verifyEmail('424242')).emailVerified).toBe(true);
    await api.resetPasswordStart('ada@example.com');
    expect(await api.resetPassword({ token: 'tok', password: 'long enough' })).toEqual({
      user: member,
      token: 'token-new',
    });
    // A reset signs in: the new session's token goes on every later request.
    expect(api.token).toBe('token-new');
    expect((await api.updateProfile({ languages: ['de', 'en'], bio: 'hi' })).languages).toEqual(['de', 'en']);
    expect(await api.stats()).toEqual({ online: 3, waiting: 1 });

    expect(http.calls.map((call) => `${call.method} ${call.path} ${call.init.body ?? ''}`)).toEqual([
      'POST /api/auth/email/verify-start ',
      'POST /api/auth/email/verify {"code":"424242"}',
      'POST /api/auth/password/reset-start {"email":"ada@example.com"}',
      'POST /api/auth/password/reset {"token":"tok","password":"long enough"}',
      'PATCH /api/me {"languages":["de","en"],"bio":"hi"}',
      'GET /api/stats ',
    ]);
    expect((http.calls[5]!.init.headers as Record<string, string>).authorization).toBe('Bearer token-new');
  });

  test('the new codes reach the screens as their own words', async () => {
    for (const [code, words] of [
      ['invalid_code', 'That code is wrong or has expired.'],
      ['invalid_token', 'This reset link is wrong, used or expired.'],
      ['verification_required', 'Please confirm your email address first (Profile).'],
    ] as const) {
      const api = new Api({
        httpBase: '',
        auth: 'cookie',
        fetch: fakeFetch({ 'POST /api/auth/email/verify': () => [400, { error: { code, message: 'x' } }] }).fetch,
      });
      const failure = await api.verifyEmail('1').catch((error: unknown) => error);
      expect(failure).toMatchObject({ code });
      expect(describeApiError(failure)).toContain(words);
    }
  });
});
