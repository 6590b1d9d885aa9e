import { describe, expect, test } from '@jest/globals';
import { Api, ApiError } from '../src/api';
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
    const http = fakeFetch(defaultRoutes({ 'GET /api/me': ({ headers }) => (headers.authorization === 'Bearer token-ada' ? [200, { user: ada }] : [401]) }));
    const api = new Api({ httpBase: 'http://10.0.2.2:3000', auth: 'bearer', fetch: http.fetch });
    await api.guest('Ada');
    expect(await api.me()).toEqual(ada);
    expect(http.calls[1]!.url).toBe('http://10.0.2.2:3000/api/me');

    await api.logout();
    expect(api.token).toBeUndefined();
  });

  test("errors carry the protocol's code", async () => {
    const http = fakeFetch(defaultRoutes({ 'POST /api/auth/login': () => [401, { error: { code: 'invalid_credentials', message: 'wrong email or password' } }] }));
    const api = new Api({ httpBase: '', auth: 'cookie', fetch: http.fetch });
    await expect(api.login({ email: 'ada@example.com', password: 'nope' })).rejects.toMatchObject({ code: 'invalid_credentials', status: 401 });
    await expect(api.me()).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  test('no answer at all is a network error; an answer that is not protocol v1 is invalid_response', async () => {
    const offline = new Api({ httpBase: '', auth: 'cookie', fetch: (async () => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch });
    await expect(offline.categories()).rejects.toEqual(new ApiError('network', 'Failed to fetch', null));

    const odd = new Api({ httpBase: '', auth: 'cookie', fetch: fakeFetch({ 'GET /api/categories': () => [200, { nope: true }] }).fetch });
    await expect(odd.categories()).rejects.toMatchObject({ code: 'invalid_response' });
  });
});
