import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { IceResponse } from '@small-talk/protocol';
import { iceServersFor, turnCredentials, type IceSettings } from '../src/ice/service.js';
import { api, guest, startServer, type TestServer } from './harness.js';

/**
 * GET /api/ice: STUN/TURN servers for a call, with TURN credentials in the TURN REST API
 * convention coturn checks with `use-auth-secret` (username `<unix expiry>:<user id>`,
 * credential base64(HMAC-SHA1(secret, username))).
 */

const SECRET = 'north-sea-turn-secret-2026';
const ADA = '3f6c2a1e-8b4d-4c2f-9e1a-5d7b8c9e0f12';
/** 2026-05-04T18:02:11.482Z: unix time 1777917731 (the fraction is dropped), plus an hour. */
const NOW_MS = Date.parse('2026-05-04T18:02:11.482Z');
/**
 * Computed outside this code base, with OpenSSL:
 *   printf %s '1777921331:3f6c2a1e-8b4d-4c2f-9e1a-5d7b8c9e0f12' \
 *     | openssl dgst -sha1 -hmac 'north-sea-turn-secret-2026' -binary | base64
 */
const VECTOR = { username: `1777921331:${ADA}`, credential: 'acLaqDj2RKbMxuNIeCadbQalnBo=' };

const TURN_URLS =
  'turn:127.0.0.1:3478?transport=udp,turn:127.0.0.1:3478?transport=tcp,turns:turn.example:443?transport=tcp';
const STUN_URLS = 'stun:stun.example:3478,stun:127.0.0.1:3478';

/** The credential a coturn with `static-auth-secret=secret` expects for `username`. */
function hmac(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

describe('TURN credentials (the service)', () => {
  test('the known vector: username <unix expiry>:<user id>, credential base64(HMAC-SHA1(secret, username))', () => {
    assert.deepEqual(turnCredentials(SECRET, ADA, 1777921331), VECTOR);
  });

  test('with a fixed clock: STUN first, then TURN with credentials expiring TURN_TTL_S after now', () => {
    const settings: IceSettings = {
      stunUrls: ['stun:stun.example:3478'],
      turnUrls: ['turn:turn.example:3478'],
      turnSecret: SECRET,
      ttlS: 3600,
      policy: 'all',
    };
    assert.deepEqual(iceServersFor(settings, ADA, NOW_MS), {
      iceServers: [{ urls: ['stun:stun.example:3478'] }, { urls: ['turn:turn.example:3478'], ...VECTOR }],
      iceTransportPolicy: 'all',
      ttl: 3600,
    });
  });

  test('the expiry moves with the clock and the TTL, and the credential with the user', () => {
    const settings: IceSettings = {
      stunUrls: [],
      turnUrls: ['turn:turn.example:3478'],
      turnSecret: SECRET,
      ttlS: 90,
      policy: 'relay',
    };
    const [turn] = iceServersFor(settings, 'bo', 1_000_999).iceServers;
    assert.equal(turn?.username, '1090:bo');
    assert.equal(turn?.credential, hmac(SECRET, '1090:bo'));
    assert.notEqual(iceServersFor(settings, 'cy', 1_000_999).iceServers[0]?.credential, turn?.credential);
  });
});

describe('GET /api/ice', () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  async function serve(env: Record<string, string> = {}): Promise<TestServer> {
    const server = await startServer(env);
    servers.push(server);
    return server;
  }

  /** GET /api/ice as a new guest; the body is checked against the protocol's schema, strictly. */
  async function iceOf(server: TestServer, how: 'bearer' | 'cookie' = 'bearer') {
    const { user, token } = await guest(server.url, 'Ada');
    const response = await api(
      server.url,
      'GET',
      '/api/ice',
      how === 'bearer' ? { token } : { headers: { cookie: `st_session=${token}` } },
    );
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.headers.get('cache-control'), 'no-store', 'credentials are never cached');
    const body = IceResponse.strict().parse(response.body);
    for (const server of body.iceServers)
      assert.deepEqual(
        Object.keys(server).sort(),
        server.username === undefined ? ['urls'] : ['credential', 'urls', 'username'],
      );
    return { user, body };
  }

  test('401 unauthenticated without a valid session', async () => {
    const server = await serve({ TURN_URLS, TURN_SECRET: SECRET });
    for (const options of [{}, { token: 'bogus' }, { headers: { cookie: 'st_session=bogus' } }]) {
      const response = await api(server.url, 'GET', '/api/ice', options);
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, {
        error: { code: 'unauthenticated', message: 'sign in first: no valid session' },
      });
    }
  });

  test('nothing configured: no servers (host candidates only), policy all, ttl TURN_TTL_S', async () => {
    const { body } = await iceOf(await serve());
    assert.deepEqual(body, { iceServers: [], iceTransportPolicy: 'all', ttl: 3600 });
  });

  test('STUN only: one server with the STUN_URLS, no credentials', async () => {
    const { body } = await iceOf(await serve({ STUN_URLS }));
    assert.deepEqual(body, {
      iceServers: [{ urls: ['stun:stun.example:3478', 'stun:127.0.0.1:3478'] }],
      iceTransportPolicy: 'all',
      ttl: 3600,
    });
  });

  test('TURN: the URLs verbatim, username <expiry>:<user id> expiring TURN_TTL_S from now, the HMAC of it as credential (Bearer and cookie)', async () => {
    const server = await serve({ STUN_URLS, TURN_URLS, TURN_SECRET: SECRET, TURN_TTL_S: '600' });
    for (const how of ['bearer', 'cookie'] as const) {
      const before = Math.floor(Date.now() / 1000);
      const { user, body } = await iceOf(server, how);
      const after = Math.floor(Date.now() / 1000);
      assert.equal(body.iceTransportPolicy, 'all');
      assert.equal(body.ttl, 600);
      assert.equal(body.iceServers.length, 2);
      assert.deepEqual(body.iceServers[0], { urls: STUN_URLS.split(',') });
      const turn = body.iceServers[1]!;
      assert.deepEqual(turn.urls, TURN_URLS.split(','));
      const match = /^(\d+):(.+)$/.exec(turn.username ?? '');
      assert.ok(match, `username ${turn.username}`);
      assert.equal(match[2], user.id);
      const expiry = Number(match[1]);
      assert.ok(
        expiry >= before + 600 && expiry <= after + 600,
        `expiry ${expiry} is not now + 600 s (${before}..${after})`,
      );
      assert.equal(turn.credential, hmac(SECRET, turn.username!));
    }
  });

  test('ICE_TRANSPORT_POLICY=relay is passed on; each user gets credentials of their own', async () => {
    const server = await serve({
      TURN_URLS: 'turn:127.0.0.1:3478',
      TURN_SECRET: SECRET,
      ICE_TRANSPORT_POLICY: 'relay',
    });
    const ada = await iceOf(server);
    const bo = await iceOf(server);
    assert.equal(ada.body.iceTransportPolicy, 'relay');
    assert.equal(ada.body.ttl, 3600);
    const [adaTurn, boTurn] = [ada.body.iceServers[0]!, bo.body.iceServers[0]!];
    assert.ok(adaTurn.username!.endsWith(`:${ada.user.id}`));
    assert.ok(boTurn.username!.endsWith(`:${bo.user.id}`));
    assert.notEqual(adaTurn.credential, boTurn.credential);
  });
});
