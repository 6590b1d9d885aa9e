import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { closeAndSettle, pair, sendBurst, sleep, startServer, user, within, type Client, type TestServer } from './harness.js';

/** What a socket may send: 64 KiB per frame, and a token bucket per socket with the flood rule on top. */

let opened: Client[] = [];

describe('at the defaults (burst 100, 50 frames/s)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());
  afterEach(async () => {
    await closeAndSettle(server, opened);
    opened = [];
  });

  async function room() {
    const p = await pair(server);
    opened.push(p.a.socket, p.b.socket);
    return p;
  }

  /** A signal frame of exactly `bytes` bytes (ASCII, so characters are bytes). */
  function signalOfSize(roomId: string, bytes: number): string {
    const head = `{"type":"signal","roomId":"${roomId}","data":"`;
    const tail = '"}';
    return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
  }

  test('a frame of exactly 64 KiB is handled; one byte more closes the socket with 1009', async () => {
    const { a, b, roomId } = await room();
    const exact = signalOfSize(roomId, 64 * 1024);
    assert.equal(Buffer.byteLength(exact), 65536);
    a.socket.send(exact);
    const relayed = await b.socket.next('signal');
    assert.equal((relayed.data as string).length, JSON.parse(exact).data.length);
    assert.equal(a.socket.closeCode, undefined);

    a.socket.send(signalOfSize(roomId, 64 * 1024 + 1));
    assert.equal(await within(a.socket.closed, 3000, 'close after an oversized frame'), 1009);
    // The oversized frame was not relayed.
    await b.socket.nothingWithin(100);
  });

  test('any oversized frame closes with 1009, even one that is not valid JSON', async () => {
    const { socket } = await user(server, 'Big Ben');
    opened.push(socket);
    socket.send('{'.repeat(100 * 1024));
    assert.equal(await within(socket.closed, 3000, 'close after an oversized frame'), 1009);
  });

  test('a burst of 100 frames passes; the 101st and later are dropped with one rate_limited error; the socket stays open', async () => {
    const { a, b, roomId } = await room();
    // pair() spent one token on join: let the bucket fill up again (50/s → 20 ms a token).
    await sleep(100);
    let lastRelayedAt = 0;
    b.socket.ws.on('message', () => (lastRelayedAt = Date.now()));
    const sentAt = Date.now();
    // In one TCP write, so the server reads the 130 frames together and handles them back to back.
    sendBurst(
      a.socket,
      Array.from({ length: 130 }, (_, seq) => ({ type: 'signal', roomId, data: { seq } })),
    );
    const relayed: number[] = [];
    for (let i = 0; i < 100; i++) relayed.push(((await b.socket.next('signal')).data as { seq: number }).seq);
    assert.deepEqual(relayed, Array.from({ length: 100 }, (_, i) => i), 'the first 100 pass, in order');
    await sleep(300);
    const beyond = b.socket.frames.filter((f) => f.type === 'signal');
    // The bucket refills while the server works through the burst (a token per 20 ms). On an idle
    // machine that takes well under 20 ms, so nothing past the 100th may pass; on a loaded one the
    // server cannot have taken longer than the client saw, which bounds the tokens it got back.
    const refilled = Math.floor(((lastRelayedAt - sentAt) * 50) / 1000);
    assert.ok(
      beyond.length <= refilled,
      `${beyond.length} frames passed beyond the burst of 100, in ${lastRelayedAt - sentAt} ms (room for ${refilled} refilled tokens)`,
    );
    b.socket.frames.length = 0;

    const error = await a.socket.next();
    assert.equal(error.type, 'error');
    if (error.type === 'error') {
      assert.equal(error.code, 'rate_limited');
      assert.equal(typeof error.message, 'string');
    }
    await a.socket.nothingWithin(0);
    assert.equal(a.socket.closeCode, undefined, 'still open');

    // Tokens come back at 50/s: the socket is served again.
    await sleep(200);
    a.socket.send({ type: 'signal', roomId, data: 'after the burst' });
    assert.equal((await b.socket.next('signal')).data, 'after the burst');
  });
});

describe('flooding (WS_RATE_LIMIT=10, so burst 20; WS_FLOOD_CLOSE_MS=1500)', () => {
  let server: TestServer;
  before(async () => {
    // A small bucket and a short flood window keep the flood tests to a few seconds.
    server = await startServer({ WS_RATE_LIMIT: '10', WS_FLOOD_CLOSE_MS: '1500' });
  });
  after(() => server.close());
  afterEach(async () => {
    await closeAndSettle(server, opened);
    opened = [];
  });

  /** Sends `cancel` about 1,000 times a second until `ms` have passed or the socket closes. */
  async function flood(client: Client, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end && client.closeCode === undefined) {
      for (let i = 0; i < 5; i++) client.send({ type: 'cancel' });
      await sleep(5);
    }
  }

  /** Arrival times of the rate_limited errors a client has received so far (other frames are discarded). */
  function rateLimitedArrivals(client: Client, arrivals: number[]): void {
    client.ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'error' && frame.code === 'rate_limited') arrivals.push(Date.now());
    });
  }

  test('a socket still flooding WS_FLOOD_CLOSE_MS after its drops began is closed with 1008; rate_limited at most once a second before that', async () => {
    const { socket } = await user(server, 'Flood Flo');
    opened.push(socket);
    const arrivals: number[] = [];
    rateLimitedArrivals(socket, arrivals);
    let closedAt = 0;
    void socket.closed.then(() => (closedAt = Date.now()));

    await flood(socket, 5000);
    assert.equal(await within(socket.closed, 1000, 'the 1008 close'), 1008);
    assert.ok(arrivals.length >= 1, 'told it was rate limited');
    for (let i = 1; i < arrivals.length; i++) {
      // At most one a second (900 ms leaves room for delivery jitter, not for a second error per second).
      assert.ok(arrivals[i]! - arrivals[i - 1]! >= 900, `rate_limited errors ${arrivals[i]! - arrivals[i - 1]!} ms apart`);
    }
    // 1.5 s of dropping allows the first error and one a second later, not one per dropped frame.
    assert.ok(arrivals.length <= 2, `${arrivals.length} rate_limited errors in a 1.5 s flood`);
    // Not closed early: the socket was open for most of the flood window after the first drop.
    assert.ok(closedAt - arrivals[0]! >= 1200, `closed ${closedAt - arrivals[0]!} ms after the first drop`);
  });

  test('a streak of drops ends after a second without one: bursts with pauses are never closed, each burst is told once', async () => {
    const { socket } = await user(server, 'Bursty Bea');
    opened.push(socket);
    const arrivals: number[] = [];
    rateLimitedArrivals(socket, arrivals);
    // Three bursts of ~0.8 s of drops: 2.4 s of dropping in all, more than the 1.5 s window,
    // but no streak is longer than 0.8 s because each pause exceeds a second.
    for (let round = 0; round < 3; round++) {
      await flood(socket, 800);
      assert.equal(socket.closeCode, undefined, `still open after burst ${round + 1}`);
      await sleep(1150);
    }
    assert.equal(socket.closeCode, undefined, 'never closed');
    assert.equal(arrivals.length, 3, 'one rate_limited error per burst');
    // And served normally after the bursts.
    socket.frames.length = 0;
    socket.send({ type: 'join', categories: ['music'] });
    assert.deepEqual(await socket.next(), { type: 'queued', categories: ['music'] });
  });
});
