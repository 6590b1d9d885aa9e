import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  closeAndSettle,
  pair,
  sendBurst,
  sleep,
  startServer,
  user,
  within,
  type Client,
  type TestServer,
} from './harness.js';

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
    assert.deepEqual(
      relayed,
      Array.from({ length: 100 }, (_, i) => i),
      'the first 100 pass, in order',
    );
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
      assert.ok(
        arrivals[i]! - arrivals[i - 1]! >= 900,
        `rate_limited errors ${arrivals[i]! - arrivals[i - 1]!} ms apart`,
      );
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

describe('depth, size by type, and bytes (issue 11)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ WS_RATE_LIMIT: '1000' });
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

  /** A signal whose frame nests `levels` deep in all: the frame's object is level 1, data's array level 2. */
  const nested = (roomId: string, levels: number) =>
    `{"type":"signal","roomId":"${roomId}","data":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

  test('a frame nested 33 deep is refused with bad_request before parsing; 32 deep is relayed; the socket keeps working', async () => {
    const { a, b, roomId } = await room();
    a.socket.send(nested(roomId, 33));
    const error = await a.socket.next('error');
    assert.equal(error.code, 'bad_request');
    assert.match(error.message, /32/);
    await b.socket.nothingWithin(100);
    a.socket.send(nested(roomId, 32));
    const relayed = await b.socket.next('signal');
    assert.equal(JSON.stringify(relayed.data), '['.repeat(31) + ']'.repeat(31));
    // Very deep frames (the attack: thousands of levels) cost no more: refused the same way.
    a.socket.send(`{"type":"signal","roomId":"${roomId}","data":${'['.repeat(30_000)}${']'.repeat(30_000)}}`);
    assert.equal((await a.socket.next('error')).code, 'bad_request');
    // Depth counts objects as well as arrays.
    a.socket.send(`{"type":"signal","roomId":"${roomId}","data":${'{"k":'.repeat(32)}1${'}'.repeat(32)}}`);
    assert.equal((await a.socket.next('error')).code, 'bad_request');
    a.socket.send({ type: 'signal', roomId, data: 'still here' });
    assert.equal((await b.socket.next('signal')).data, 'still here');
    assert.equal(a.socket.closeCode, undefined);
  });

  test('a frame holding more than 4096 values is refused with bad_request before parsing; 4096 pass; strings do not count', async () => {
    const { a, b, roomId } = await room();
    // The envelope holds 6 values ({, three colons, two commas) and data's array 1: the rest are its elements.
    const withValues = (values: number) =>
      `{"type":"signal","roomId":"${roomId}","data":[${Array.from({ length: values - 7 + 1 }, () => '0').join(',')}]}`;
    a.socket.send(withValues(4097));
    const error = await a.socket.next('error');
    assert.equal(error.code, 'bad_request');
    assert.match(error.message, /4096 values/);
    await b.socket.nothingWithin(100);
    a.socket.send(withValues(4096));
    assert.equal(((await b.socket.next('signal')).data as unknown[]).length, 4096 - 7 + 1);
    // Commas and colons inside a string are text, not values: an SDP-sized string passes whole.
    const sdp = 'a=candidate:1 1 udp 2122260223 10.0.0.2 5000 typ host, a:b, [c]\r\n'.repeat(800);
    a.socket.send({ type: 'signal', roomId, data: { type: 'offer', sdp } });
    assert.equal(((await b.socket.next('signal')).data as { sdp: string }).sdp, sdp);
    assert.equal(a.socket.closeCode, undefined);
  });

  test('brackets inside strings, escaped quotes included, do not count as depth', async () => {
    const { a, b, roomId } = await room();
    const data = { sdp: '['.repeat(100) + '{"\\"'.repeat(50) + ']\\"['.repeat(40), nested: [[['\\', '"[[[[']]] };
    a.socket.send({ type: 'signal', roomId, data });
    assert.deepEqual((await b.socket.next('signal')).data, data);
  });

  test('frames other than signal and chat may be 4096 bytes, not one more: payload_too_large, socket kept', async () => {
    const { socket } = await user(server, 'Pad Pat');
    opened.push(socket);
    const join = (bytes: number) => {
      const head = '{"type":"join","categories":["music"],"pad":"';
      return `${head}${'x'.repeat(bytes - head.length - 2)}"}`;
    };
    assert.equal(Buffer.byteLength(join(4096)), 4096);
    socket.send(join(4097));
    const error = await socket.next('error');
    assert.equal(error.code, 'payload_too_large');
    assert.match(error.message, /4096/);
    // Bytes, not characters: 4,097 bytes in 3,997 characters (100 of them take two bytes).
    const twoByte = join(4097 - 100).replace('x'.repeat(100), 'é'.repeat(100));
    assert.equal(Buffer.byteLength(twoByte), 4097);
    socket.send(twoByte);
    assert.equal((await socket.next('error')).code, 'payload_too_large');
    socket.send(join(4096));
    assert.deepEqual(await socket.next('queued'), { type: 'queued', categories: ['music'] });
    // Any type: leave, call, typing, and a frame with no type at all.
    for (const frame of [
      { type: 'leave', roomId: 'x'.repeat(5000) },
      { type: 'call', userId: 'x'.repeat(5000) },
      { type: 'typing', roomId: 'x'.repeat(5000) },
      { pad: 'x'.repeat(5000) },
    ]) {
      socket.send(frame);
      assert.equal((await socket.next('error')).code, 'payload_too_large', JSON.stringify(frame).slice(0, 30));
    }
    assert.equal(socket.closeCode, undefined);
  });

  test('signal and chat may be larger: a 5,000-byte chat of 1,000 characters is relayed', async () => {
    const { a, b, roomId } = await room();
    const text = '🎥'.repeat(500); // 1,000 UTF-16 characters, 2,000 bytes; with padding below it passes 4 KiB
    const frame = JSON.stringify({ type: 'chat', roomId, text, pad: ' '.repeat(3000) });
    assert.ok(Buffer.byteLength(frame) > 4096);
    a.socket.send(frame);
    assert.equal((await b.socket.next('chat')).text, text);
  });
});

describe('byte rate (WS_BYTES_PER_S=65536, so burst 128 KiB; WS_FLOOD_CLOSE_MS=1500)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ WS_BYTES_PER_S: '65536', WS_FLOOD_CLOSE_MS: '1500' });
  });
  after(() => server.close());
  afterEach(async () => {
    await closeAndSettle(server, opened);
    opened = [];
  });

  const bigSignal = (roomId: string, seq: number) => {
    const head = `{"type":"signal","roomId":"${roomId}","data":{"seq":${seq},"pad":"`;
    return `${head}${'x'.repeat(60 * 1024 - head.length - 3)}"}}`;
  };

  test('within the byte budget every large frame passes', async () => {
    const p = await pair(server);
    opened.push(p.a.socket, p.b.socket);
    // 2 frames of 60 KiB at once (burst 128 KiB), then one a second (64 KiB/s).
    for (let seq = 0; seq < 4; seq++) {
      p.a.socket.send(bigSignal(p.roomId, seq));
      if (seq >= 1) await sleep(1000);
    }
    for (let seq = 0; seq < 4; seq++)
      assert.equal(((await p.b.socket.next('signal')).data as { seq: number }).seq, seq);
    await p.a.socket.nothingWithin(0);
  });

  test('a socket sending large frames past its byte budget, though few frames a second, gets rate_limited, then 1008', async () => {
    const p = await pair(server);
    opened.push(p.a.socket, p.b.socket);
    const arrivals: number[] = [];
    p.a.socket.ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'error' && frame.code === 'rate_limited') arrivals.push(Date.now());
    });
    // 10 frames of 60 KiB a second: 600 KiB/s against 64 KiB/s, at a fifth of the frame limit.
    let seq = 0;
    const end = Date.now() + 5000;
    while (Date.now() < end && p.a.socket.closeCode === undefined) {
      p.a.socket.send(bigSignal(p.roomId, seq++));
      await sleep(100);
    }
    assert.equal(await within(p.a.socket.closed, 1000, 'the 1008 close'), 1008);
    assert.ok(
      arrivals.length >= 1 && arrivals.length <= 2,
      `${arrivals.length} rate_limited errors in a 1.5 s flood: ${arrivals.map((t) => t - arrivals[0]!)}, closed after ${Date.now() - arrivals[0]!} ms`,
    );
    const relayed = p.b.socket.frames.filter((f) => f.type === 'signal').length;
    // The burst (2) and what the budget refilled while the flood lasted (about 1 a second), no more.
    assert.ok(relayed >= 2 && relayed <= 6, `${relayed} of ${seq} large frames relayed`);
  });
});
