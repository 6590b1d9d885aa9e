import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorBody } from '@small-talk/protocol';
import { api, eventually, sample, scrape, startServer, user, type TestServer } from './harness.js';

describe('GET /healthz', () => {
  test('answers 200 {status:"ok"} while the database answers', async () => {
    const server = await startServer();
    try {
      const response = await api(server.url, 'GET', '/healthz');
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, { status: 'ok' });
    } finally {
      await server.close();
    }
  });

  test('answers 503 when the database is unreachable', async () => {
    const server = await startServer();
    assert.equal((await api(server.url, 'GET', '/healthz')).status, 200);
    try {
      await server.server.db.close();
      const response = await api(server.url, 'GET', '/healthz');
      assert.equal(response.status, 503, JSON.stringify(response.body));
      assert.notEqual(response.body?.status, 'ok');
      // Every HTTP error carries {error:{code,message}}.
      ErrorBody.parse({ error: response.body?.error });
    } finally {
      await server.close();
    }
  });
});

describe('GET /metrics', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('is Prometheus text with every Small Talk series', async () => {
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const types: Record<string, string> = {
      smalltalk_sockets_open: 'gauge',
      smalltalk_queued_users: 'gauge',
      smalltalk_rooms_live: 'gauge',
      smalltalk_matches_total: 'counter',
      smalltalk_frames_relayed_total: 'counter',
      smalltalk_frames_sent_away_total: 'counter',
      smalltalk_errors_total: 'counter',
      smalltalk_match_wait_seconds: 'histogram',
    };
    for (const [name, type] of Object.entries(types)) {
      assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'), `${name} has HELP`);
      assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `${name} is a ${type}`);
    }
    for (const name of [
      'smalltalk_sockets_open',
      'smalltalk_queued_users',
      'smalltalk_rooms_live',
      'smalltalk_matches_total',
      'smalltalk_frames_relayed_total',
    ]) {
      assert.match(text, new RegExp(`^${name} 0$`, 'm'), `${name} starts at 0`);
    }
    // One process: nothing is sent to another.
    assert.match(text, /^smalltalk_frames_sent_away_total\{path="link"\} 0$/m);
    assert.match(text, /^smalltalk_frames_sent_away_total\{path="redis"\} 0$/m);
    assert.match(text, /^smalltalk_match_wait_seconds_bucket\{le="\+Inf"\} 0$/m);
    assert.match(text, /^smalltalk_match_wait_seconds_count 0$/m);
  });

  test('the values move when users connect, queue, match, relay, err, leave and close', async () => {
    const value = async (name: string, labels: Record<string, string> = {}) =>
      sample(await scrape(server), name, labels);
    /** Waits for a series to reach `expected` (gauges read state that settles a moment after a frame). */
    const expectValue = async (name: string, expected: number, labels: Record<string, string> = {}) => {
      let last = NaN;
      await eventually(
        `${name}${JSON.stringify(labels)} = ${expected}`,
        async () => (last = await value(name, labels)) === expected,
      ).catch((error: Error) => {
        throw new Error(`${error.message} (last ${last})`);
      });
    };

    const ada = await user(server, 'Ada');
    await expectValue('smalltalk_sockets_open', 1);
    ada.socket.send({ type: 'join', categories: ['music'] });
    await ada.socket.next('queued');
    await expectValue('smalltalk_queued_users', 1);
    assert.equal(await value('smalltalk_rooms_live'), 0);

    // Ada waits a measurable while before Bo arrives: the histogram records that wait.
    const waitedMs = 300;
    await new Promise((resolve) => setTimeout(resolve, waitedMs));
    const bo = await user(server, 'Bo');
    await expectValue('smalltalk_sockets_open', 2);
    bo.socket.send({ type: 'join', categories: ['music'] });
    const { roomId } = await ada.socket.next('matched');
    await bo.socket.next('matched');

    const text = await scrape(server);
    assert.equal(sample(text, 'smalltalk_queued_users'), 0);
    assert.equal(sample(text, 'smalltalk_rooms_live'), 1);
    assert.equal(sample(text, 'smalltalk_matches_total'), 1);
    assert.equal(sample(text, 'smalltalk_match_wait_seconds_count'), 1);
    const waited = sample(text, 'smalltalk_match_wait_seconds_sum');
    assert.ok(
      waited >= (waitedMs - 50) / 1000 && waited < 5,
      `match wait ${waited}s, expected about ${waitedMs / 1000}s`,
    );
    assert.equal(
      sample(text, 'smalltalk_match_wait_seconds_bucket', { le: '0.1' }),
      0,
      'a 300 ms wait is not under 0.1 s',
    );
    assert.equal(sample(text, 'smalltalk_match_wait_seconds_bucket', { le: '+Inf' }), 1);

    // Relayed frames: signal, chat and typing each count once the peer has them.
    ada.socket.send({ type: 'signal', roomId, data: { sdp: 'offer' } });
    await bo.socket.next('signal');
    await expectValue('smalltalk_frames_relayed_total', 1);
    bo.socket.send({ type: 'chat', roomId, text: 'hi' });
    await ada.socket.next('chat');
    bo.socket.send({ type: 'typing', roomId });
    await ada.socket.next('typing');
    await expectValue('smalltalk_frames_relayed_total', 3);

    // Errors, by code: frames and HTTP alike.
    ada.socket.send('not json');
    assert.equal((await ada.socket.next('error')).code, 'bad_request');
    await expectValue('smalltalk_errors_total', 1, { code: 'bad_request' });
    ada.socket.send({ type: 'join', categories: ['music'] });
    assert.equal((await ada.socket.next('error')).code, 'busy');
    await expectValue('smalltalk_errors_total', 1, { code: 'busy' });
    assert.equal((await api(server.url, 'GET', '/api/me')).status, 401);
    await expectValue('smalltalk_errors_total', 1, { code: 'unauthenticated' });
    assert.equal(await value('smalltalk_errors_total', { code: 'bad_request' }), 1, 'each code counts apart');

    ada.socket.send({ type: 'leave', roomId });
    await ada.socket.next('left');
    await expectValue('smalltalk_rooms_live', 0);
    assert.equal(await value('smalltalk_matches_total'), 1, 'a counter does not go down');

    await ada.socket.close();
    await bo.socket.close();
    await expectValue('smalltalk_sockets_open', 0);
  });
});
