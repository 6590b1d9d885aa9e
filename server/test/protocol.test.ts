import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { z } from 'zod';
import {
  AuthResponse,
  CategoriesResponse,
  ClientMessage,
  CloseCode,
  Connection,
  ErrorBody,
  ErrorCode,
  GuestRequest,
  HistoryQuery,
  LoginRequest,
  MAX_CHAT_CHARS,
  MAX_FRAME_BYTES,
  MAX_JOIN_CATEGORIES,
  RegisterRequest,
  SESSION_COOKIE,
  ServerMessage,
} from '@small-talk/protocol';

function accepts<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  assert.ok(result.success, `rejected ${JSON.stringify(input)}: ${result.error?.message}`);
  return result.data;
}

function rejects(schema: z.ZodType, input: unknown): void {
  assert.equal(schema.safeParse(input).success, false, `accepted ${JSON.stringify(input)?.slice(0, 200)}`);
}

const user = { id: 'u1', displayName: 'Ada', kind: 'guest' };
const roomId = 'r1';

describe('HTTP bodies', () => {
  test('GuestRequest: displayName is trimmed, then 1..32 characters', () => {
    assert.equal(accepts(GuestRequest, { displayName: '  Ada  ' }).displayName, 'Ada');
    accepts(GuestRequest, { displayName: 'A' });
    accepts(GuestRequest, { displayName: 'x'.repeat(32) });
    assert.equal(accepts(GuestRequest, { displayName: ` ${'x'.repeat(32)}\n` }).displayName, 'x'.repeat(32));
    for (const displayName of ['', '   ', 'x'.repeat(33), 42, null, undefined]) rejects(GuestRequest, { displayName });
    rejects(GuestRequest, null);
  });

  test('RegisterRequest: an email, a password of 8..128 characters, a display name', () => {
    const good = { email: 'ada@example.com', password: '12345678', displayName: 'Ada' };
    accepts(RegisterRequest, good);
    accepts(RegisterRequest, { ...good, password: 'p'.repeat(128) });
    rejects(RegisterRequest, { ...good, password: '1234567' });
    rejects(RegisterRequest, { ...good, password: 'p'.repeat(129) });
    rejects(RegisterRequest, { ...good, email: 'ada' });
    rejects(RegisterRequest, { ...good, email: '' });
    rejects(RegisterRequest, { ...good, displayName: ' ' });
    rejects(RegisterRequest, { email: good.email, password: good.password });
  });

  test('emails are trimmed and lower-cased, so one address is one account', () => {
    assert.equal(
      accepts(RegisterRequest, { email: ' Ada@Example.COM ', password: '12345678', displayName: 'A' }).email,
      'ada@example.com',
    );
    assert.equal(accepts(LoginRequest, { email: 'ADA@example.com', password: 'x' }).email, 'ada@example.com');
  });

  test('LoginRequest: any non-empty password (a wrong one is invalid_credentials, not bad_request)', () => {
    accepts(LoginRequest, { email: 'ada@example.com', password: 'short' });
    rejects(LoginRequest, { email: 'ada@example.com', password: '' });
    rejects(LoginRequest, { email: 'ada@example.com' });
    rejects(LoginRequest, { password: 'whatever1' });
  });

  test('AuthResponse, CategoriesResponse and Connection have the contract shapes', () => {
    accepts(AuthResponse, { user, token: 't' });
    rejects(AuthResponse, { user: { ...user, kind: 'admin' }, token: 't' });
    rejects(AuthResponse, { user });
    accepts(CategoriesResponse, { categories: [{ slug: 'music', name: 'Music', waiting: 0 }] });
    rejects(CategoriesResponse, { categories: [{ slug: 'music', name: 'Music', waiting: -1 }] });
    rejects(CategoriesResponse, { categories: [{ slug: 'Music', name: 'Music', waiting: 0 }] });
    const live = {
      id: 'c1',
      category: 'music',
      peer: { id: 'u2', displayName: 'Bo' },
      startedAt: '2025-01-01T00:00:00.000Z',
      endedAt: null,
      endReason: null,
    };
    accepts(Connection, live);
    accepts(Connection, { ...live, endedAt: '2025-01-01T00:01:00.000Z', endReason: 'left' });
    accepts(Connection, { ...live, endedAt: '2025-01-01T00:01:00+02:00', endReason: 'disconnected' });
    rejects(Connection, { ...live, endReason: 'kicked' });
    rejects(Connection, { ...live, startedAt: 'yesterday' });
    rejects(Connection, { ...live, peer: { id: 'u2' } });
  });

  test('HistoryQuery: limit from the query string, 1..500, default 100', () => {
    assert.equal(accepts(HistoryQuery, {}).limit, 100);
    assert.equal(accepts(HistoryQuery, { limit: '7' }).limit, 7);
    for (const limit of ['0', '501', 'abc', '1.5']) rejects(HistoryQuery, { limit });
  });

  test('ErrorBody: {error:{code,message}} with a known snake_case code', () => {
    accepts(ErrorBody, { error: { code: 'bad_request', message: 'no' } });
    rejects(ErrorBody, { error: { code: 'BadRequest', message: 'no' } });
    rejects(ErrorBody, { error: { code: 'bad_request' } });
    rejects(ErrorBody, { code: 'bad_request', message: 'no' });
    for (const code of ErrorCode.options) assert.match(code, /^[a-z]+(_[a-z]+)*$/);
    for (const code of [
      'bad_request',
      'unknown_category',
      'busy',
      'not_in_room',
      'rate_limited',
      'unauthenticated',
      'invalid_credentials',
      'email_taken',
    ]) {
      assert.ok(ErrorCode.options.includes(code as ErrorCode), `${code} is an error code`);
    }
  });

  test('the session cookie is st_session', () => {
    assert.equal(SESSION_COOKIE, 'st_session');
  });
});

describe('client frames', () => {
  test('join: 1..10 category slugs', () => {
    accepts(ClientMessage, { type: 'join', categories: ['music'] });
    accepts(ClientMessage, { type: 'join', categories: ['music', 'books', 'sci-fi', 'k2'] });
    assert.equal(MAX_JOIN_CATEGORIES, 10);
    accepts(ClientMessage, { type: 'join', categories: Array.from({ length: 10 }, (_, i) => `c${i}`) });
    rejects(ClientMessage, { type: 'join', categories: Array.from({ length: 11 }, (_, i) => `c${i}`) });
    rejects(ClientMessage, { type: 'join', categories: [] });
    rejects(ClientMessage, { type: 'join' });
    rejects(ClientMessage, { type: 'join', categories: 'music' });
    for (const slug of ['Music', 'rock music', '', '-music', 'x'.repeat(33)])
      rejects(ClientMessage, { type: 'join', categories: [slug] });
  });

  test('signal: a roomId and any JSON data, which is required', () => {
    const data = { sdp: 'v=0\r\n', candidates: [1, 'two', null, { three: true }] };
    assert.deepEqual(accepts(ClientMessage, { type: 'signal', roomId, data }), { type: 'signal', roomId, data });
    for (const value of [null, 0, 'text', false, []]) accepts(ClientMessage, { type: 'signal', roomId, data: value });
    rejects(ClientMessage, { type: 'signal', roomId });
    rejects(ClientMessage, { type: 'signal', data });
    rejects(ClientMessage, { type: 'signal', roomId: '', data });
  });

  test('chat: text of 1..1000 characters', () => {
    assert.equal(MAX_CHAT_CHARS, 1000);
    accepts(ClientMessage, { type: 'chat', roomId, text: 'h' });
    accepts(ClientMessage, { type: 'chat', roomId, text: 'x'.repeat(1000) });
    rejects(ClientMessage, { type: 'chat', roomId, text: '' });
    rejects(ClientMessage, { type: 'chat', roomId, text: 'x'.repeat(1001) });
    rejects(ClientMessage, { type: 'chat', roomId, text: 5 });
    rejects(ClientMessage, { type: 'chat', text: 'hi' });
  });

  test('typing, leave and cancel', () => {
    accepts(ClientMessage, { type: 'typing', roomId });
    rejects(ClientMessage, { type: 'typing' });
    accepts(ClientMessage, { type: 'leave', roomId });
    rejects(ClientMessage, { type: 'leave' });
    accepts(ClientMessage, { type: 'cancel' });
  });

  test('an unknown or missing type is rejected', () => {
    rejects(ClientMessage, { type: 'hello' });
    rejects(ClientMessage, { categories: ['music'] });
    rejects(ClientMessage, 'join');
    rejects(ClientMessage, null);
  });
});

describe('server frames', () => {
  test('welcome, queued, cancelled', () => {
    accepts(ServerMessage, { type: 'welcome', user });
    rejects(ServerMessage, { type: 'welcome', user: { id: 'u1', displayName: 'Ada' } });
    accepts(ServerMessage, { type: 'queued', categories: ['music', 'books'] });
    accepts(ServerMessage, { type: 'cancelled' });
  });

  test('matched carries roomId, peer, category, initiator, resumed and iceTransportPolicy', () => {
    const matched = {
      type: 'matched',
      roomId,
      peer: { id: 'u2', displayName: 'Bo' },
      category: 'music',
      initiator: true,
      resumed: false,
      iceTransportPolicy: 'relay',
    };
    accepts(ServerMessage, matched);
    accepts(ServerMessage, { ...matched, category: null, iceTransportPolicy: 'all' });
    for (const key of ['roomId', 'peer', 'initiator', 'resumed', 'iceTransportPolicy']) {
      const { [key]: _dropped, ...rest } = matched as Record<string, unknown>;
      rejects(ServerMessage, rest);
    }
    rejects(ServerMessage, { ...matched, initiator: 'yes' });
    rejects(ServerMessage, { ...matched, iceTransportPolicy: 'none' });
  });

  test('signal, chat, typing carry from; chat carries an ISO sentAt', () => {
    accepts(ServerMessage, { type: 'signal', roomId, from: 'u1', data: { any: ['json'] } });
    rejects(ServerMessage, { type: 'signal', roomId, data: {} });
    accepts(ServerMessage, { type: 'chat', roomId, from: 'u1', text: 'hi', sentAt: new Date().toISOString() });
    rejects(ServerMessage, { type: 'chat', roomId, from: 'u1', text: 'hi', sentAt: 'now' });
    accepts(ServerMessage, { type: 'typing', roomId, from: 'u1' });
  });

  test('left, peer_left (left | disconnected) and error (a known code)', () => {
    accepts(ServerMessage, { type: 'left', roomId });
    accepts(ServerMessage, { type: 'peer_left', roomId, reason: 'left' });
    accepts(ServerMessage, { type: 'peer_left', roomId, reason: 'disconnected' });
    rejects(ServerMessage, { type: 'peer_left', roomId, reason: 'bored' });
    for (const code of ['bad_request', 'unknown_category', 'busy', 'not_in_room', 'rate_limited']) {
      accepts(ServerMessage, { type: 'error', code, message: 'm' });
    }
    rejects(ServerMessage, { type: 'error', code: 'oops', message: 'm' });
  });

  test('limits and close codes of the contract', () => {
    assert.equal(MAX_FRAME_BYTES, 64 * 1024);
    assert.equal(CloseCode.messageTooBig, 1009);
    assert.equal(CloseCode.policyViolation, 1008);
    assert.equal(CloseCode.replaced, 4000);
    assert.equal(CloseCode.loggedOut, 4001);
  });
});
