import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { api, closeAndSettle, pair, startServer, type Client, type TestServer } from './harness.js';

/** A room's traffic: signal, chat and typing reach the peer unchanged and in order; leave ends it. */

let server: TestServer;
before(async () => {
  server = await startServer({
    // The ordering tests send 1,000 frames back to back from one socket. The default limit
    // (50/s, burst 100) would drop most of them, which ws-limits tests; here every frame must pass.
    WS_RATE_LIMIT: '2000',
  });
});
after(() => server.close());

let opened: Client[] = [];
afterEach(async () => {
  await closeAndSettle(server, opened);
  opened = [];
});

async function room(category = 'music') {
  const p = await pair(server, category);
  opened.push(p.a.socket, p.b.socket);
  return { ...p, ada: p.a.auth.user, bo: p.b.auth.user };
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

describe('signal', () => {
  test('the peer gets {type, roomId, from, data}; the sender gets no echo', async () => {
    const { a, b, roomId, ada } = await room();
    a.socket.send({ type: 'signal', roomId, data: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } });
    assert.deepEqual(await b.socket.next(), {
      type: 'signal',
      roomId,
      from: ada.id,
      data: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' },
    });
    await a.socket.nothingWithin(100);
  });

  test('data is relayed unchanged, whatever JSON it is', async () => {
    const { a, b, roomId, ada, bo } = await room();
    const values: unknown[] = [
      {
        candidate: 'candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host',
        sdpMid: '0',
        sdpMLineIndex: 0,
        usernameFragment: null,
      },
      {
        nested: { deeper: { deepest: [1, [2, [3, { four: 4 }]], { five: [null, true, false] }] } },
        'key with spaces': '',
        ключ: 'значение',
        emoji: '🎥📞',
      },
      { z: 1, a: 2, m: 3 }, // key order kept
      'a plain string with "quotes", \\ backslashes, \n newlines, \t tabs and \u0000 nul',
      '',
      0,
      -1.5,
      0.1,
      1e21,
      Number.MAX_SAFE_INTEGER,
      null,
      true,
      false,
      [],
      {},
      [1, 'two', { three: 3 }, [null]],
    ];
    for (const data of values) a.socket.send({ type: 'signal', roomId, data });
    for (const data of values) {
      const frame = await b.socket.next();
      assert.deepEqual(frame, { type: 'signal', roomId, from: ada.id, data });
      if (frame.type === 'signal')
        assert.equal(JSON.stringify(frame.data), JSON.stringify(data), 'same JSON text, same key order');
    }
    // And the other way.
    b.socket.send({ type: 'signal', roomId, data: { type: 'answer', sdp: 'v=0' } });
    assert.deepEqual(await a.socket.next(), {
      type: 'signal',
      roomId,
      from: bo.id,
      data: { type: 'answer', sdp: 'v=0' },
    });
  });

  test('data is relayed as the exact text the sender wrote: whitespace, key order, escapes, duplicates and number spelling kept', async () => {
    const { a, b, roomId, ada } = await room();
    const raw: string[] = [];
    b.socket.ws.on('message', (data) => raw.push(data.toString()));
    const texts = [
      '{ "z" : 1 ,\n\t"a":[ 1.0, 1e2, -0 ],"esc":"\\u00e9\\u0041\\n\\/\\"", "dup":1, "dup":2 }',
      '"\\ud83c\\udfa5 \\u2028"',
      '1E+2',
      '[ ]',
      'null',
      // 32 levels in all (the frame is level 1): the deepest allowed, relayed without error.
      '['.repeat(30) + '{"deep":true}' + ']'.repeat(30),
    ];
    for (const text of texts) a.socket.send(`{"type":"signal","roomId":"${roomId}",  "data" :  ${text}  }`);
    for (const text of texts) {
      await b.socket.next('signal');
      assert.equal(raw.shift(), `{"type":"signal","roomId":"${roomId}","from":"${ada.id}","data":${text}}`);
    }
    // data may come first, and the frame may be spread over lines.
    a.socket.send(`{\n  "data": {"b":2,"a":1},\n  "roomId": "${roomId}",\n  "type": "signal"\n}`);
    await b.socket.next('signal');
    assert.equal(raw.shift(), `{"type":"signal","roomId":"${roomId}","from":"${ada.id}","data":{"b":2,"a":1}}`);
    await a.socket.nothingWithin(50);
  });

  test('1,000 signals from one user reach the peer in the order sent, both ways at once', async () => {
    const { a, b, roomId, ada, bo } = await room();
    const N = 1000;
    for (let seq = 0; seq < N; seq++) {
      a.socket.send({ type: 'signal', roomId, data: { seq, from: 'a' } });
      b.socket.send({ type: 'signal', roomId, data: { seq, from: 'b' } });
    }
    for (const [receiver, sender] of [
      [b, ada],
      [a, bo],
    ] as const) {
      const got: number[] = [];
      for (let i = 0; i < N; i++) {
        const frame = await receiver.socket.next();
        assert.equal(frame.type, 'signal');
        if (frame.type !== 'signal') return;
        assert.equal(frame.from, sender.id);
        got.push((frame.data as { seq: number }).seq);
      }
      assert.deepEqual(
        got,
        Array.from({ length: N }, (_, i) => i),
      );
    }
    await a.socket.nothingWithin(50);
    await b.socket.nothingWithin(0);
  });

  test('signal, chat and typing interleaved keep their order', async () => {
    const { a, b, roomId } = await room();
    const kinds = ['signal', 'chat', 'typing'] as const;
    const sent: string[] = [];
    for (let i = 0; i < 300; i++) {
      const kind = kinds[i % 3]!;
      if (kind === 'signal') a.socket.send({ type: 'signal', roomId, data: { i } });
      if (kind === 'chat') a.socket.send({ type: 'chat', roomId, text: `message ${i}` });
      if (kind === 'typing') a.socket.send({ type: 'typing', roomId });
      sent.push(kind === 'typing' ? 'typing' : `${kind} ${i}`);
    }
    const got: string[] = [];
    for (let i = 0; i < 300; i++) {
      const frame = await b.socket.next();
      if (frame.type === 'signal') got.push(`signal ${(frame.data as { i: number }).i}`);
      else if (frame.type === 'chat') got.push(`chat ${frame.text.slice('message '.length)}`);
      else got.push(frame.type);
    }
    assert.deepEqual(got, sent);
  });
});

describe('chat and typing', () => {
  test('chat: the peer gets {type, roomId, from, text, sentAt} with text unchanged and sentAt ISO 8601', async () => {
    const { a, b, roomId, ada, bo } = await room();
    const texts = [
      'hi!',
      '  spaced out  ',
      'multi\nline',
      'ünïcödé 👋 日本語',
      'x'.repeat(1000),
      '<b>not html</b> & "quotes"',
    ];
    for (const text of texts) {
      const before = Date.now();
      a.socket.send({ type: 'chat', roomId, text });
      const frame = await b.socket.next();
      assert.equal(frame.type, 'chat');
      if (frame.type !== 'chat') return;
      assert.deepEqual(frame, { type: 'chat', roomId, from: ada.id, text, sentAt: frame.sentAt });
      assert.match(frame.sentAt, ISO);
      const sentAt = Date.parse(frame.sentAt);
      assert.ok(sentAt >= before - 1000 && sentAt <= Date.now() + 1000, `sentAt ${frame.sentAt} is now`);
    }
    await a.socket.nothingWithin(50);
    b.socket.send({ type: 'chat', roomId, text: 'and back' });
    const back = await a.socket.next('chat');
    assert.equal(back.from, bo.id);
    assert.equal(back.text, 'and back');
  });

  test('chat: bidi controls and control characters other than newline are removed before relay', async () => {
    const { a, b, roomId } = await room();
    const bidi = [
      '\u061C',
      '\u200E',
      '\u200F',
      '\u202A',
      '\u202B',
      '\u202C',
      '\u202D',
      '\u202E',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
    ];
    const controls = ['\u0000', '\u0007', '\t', '\r', '\u001B', '\u007F', '\u0080', '\u009F'];
    const cases: Array<[string, string]> = [
      ['invoice\u202Egnp.exe', 'invoicegnp.exe'],
      [`a${bidi.join('')}b`, 'ab'],
      [`a${controls.join('')}b`, 'ab'],
      ['line one\r\nline two\n', 'line one\nline two\n'],
      // Neighbours of the removed ranges stay: NBSP (U+00A0), zero-width joiner (U+200D, emoji), U+2070.
      ['\u00A0👩\u200D💻\u2070', '\u00A0👩\u200D💻\u2070'],
    ];
    for (const [sent, relayed] of cases) {
      a.socket.send({ type: 'chat', roomId, text: sent });
      assert.equal((await b.socket.next('chat')).text, relayed, JSON.stringify(sent));
    }
  });

  test('chat: a text with nothing left once cleaned is bad_request, not relayed', async () => {
    const { a, b, roomId } = await room();
    for (const text of ['\u202E', '\u0000\u0001\t', '\u2066\u2069\r']) {
      a.socket.send({ type: 'chat', roomId, text });
      const error = await a.socket.next('error');
      assert.equal(error.code, 'bad_request', JSON.stringify(text));
    }
    await b.socket.nothingWithin(100);
    a.socket.send({ type: 'chat', roomId, text: '\n' });
    assert.equal((await b.socket.next('chat')).text, '\n', 'a newline alone is kept');
  });

  test('typing: the peer gets {type, roomId, from}; the sender gets no echo', async () => {
    const { a, b, roomId, ada, bo } = await room();
    a.socket.send({ type: 'typing', roomId });
    assert.deepEqual(await b.socket.next(), { type: 'typing', roomId, from: ada.id });
    b.socket.send({ type: 'typing', roomId });
    assert.deepEqual(await a.socket.next(), { type: 'typing', roomId, from: bo.id });
    await a.socket.nothingWithin(100);
    await b.socket.nothingWithin(0);
  });
});

describe('leave', () => {
  test('leave → left to the sender, peer_left reason left to the peer, and nothing more is relayed in that room', async () => {
    const { a, b, roomId } = await room();
    a.socket.send({ type: 'leave', roomId });
    assert.deepEqual(await a.socket.next(), { type: 'left', roomId });
    assert.deepEqual(await b.socket.next(), { type: 'peer_left', roomId, reason: 'left' });
    for (const [sender, other] of [
      [a, b],
      [b, a],
    ] as const) {
      sender.socket.send({ type: 'signal', roomId, data: 'after the end' });
      assert.equal((await sender.socket.next('error')).code, 'not_in_room');
      sender.socket.send({ type: 'leave', roomId });
      assert.equal((await sender.socket.next('error')).code, 'not_in_room');
      await other.socket.nothingWithin(50);
    }
  });

  test('frames sent right before leave reach the peer before peer_left', async () => {
    const { a, b, roomId } = await room();
    a.socket.send({ type: 'signal', roomId, data: 'bye' });
    a.socket.send({ type: 'chat', roomId, text: 'see you' });
    a.socket.send({ type: 'leave', roomId });
    assert.equal((await b.socket.next()).type, 'signal');
    assert.equal((await b.socket.next()).type, 'chat');
    assert.deepEqual(await b.socket.next(), { type: 'peer_left', roomId, reason: 'left' });
  });

  test('after leave both may join again at once (and meet in a new room)', async () => {
    const { a, b, roomId, ada, bo } = await room();
    a.socket.send({ type: 'leave', roomId });
    await a.socket.next('left');
    await b.socket.next('peer_left');
    a.socket.send({ type: 'join', categories: ['music'] });
    assert.deepEqual(await a.socket.next(), { type: 'queued', categories: ['music'] });
    b.socket.send({ type: 'join', categories: ['music'] });
    assert.deepEqual(await b.socket.next(), { type: 'queued', categories: ['music'] });
    const toB = await b.socket.next('matched');
    const toA = await a.socket.next('matched');
    assert.equal(toA.peer.id, bo.id);
    assert.equal(toB.peer.id, ada.id);
    assert.equal(toA.roomId, toB.roomId);
    assert.notEqual(toA.roomId, roomId, 'a new room');
    assert.equal(toA.resumed, false);
    // The new room relays.
    a.socket.send({ type: 'signal', roomId: toA.roomId, data: 1 });
    assert.equal((await b.socket.next('signal')).roomId, toA.roomId);
  });

  test('frames sent in one burst behind leave all take effect, in order: leave, typing, join, cancel', async () => {
    const { a, roomId } = await room();
    // leave awaits the store; every frame behind it must wait, then run, none stuck or reordered.
    a.socket.send({ type: 'leave', roomId });
    a.socket.send({ type: 'typing', roomId });
    a.socket.send({ type: 'join', categories: ['books'] });
    a.socket.send({ type: 'cancel' });
    assert.deepEqual(await a.socket.next(), { type: 'left', roomId });
    const notInRoom = await a.socket.next();
    assert.equal(notInRoom.type === 'error' && notInRoom.code, 'not_in_room');
    assert.deepEqual(await a.socket.next(), { type: 'queued', categories: ['books'] });
    assert.deepEqual(await a.socket.next(), { type: 'cancelled' });
    const books = (await api(server.url, 'GET', '/api/categories')).body.categories.find(
      (c: { slug: string }) => c.slug === 'books',
    );
    assert.equal(books.waiting, 0, 'cancel came last, so the user is out of the queue');
  });

  test('history records the end: endReason left with endedAt, for both members', async () => {
    const { a, b, roomId } = await room('movies');
    b.socket.send({ type: 'leave', roomId });
    await b.socket.next('left');
    await a.socket.next('peer_left');
    for (const token of [a.auth.token, b.auth.token]) {
      const history = await api(server.url, 'GET', '/api/history', { token });
      assert.equal(history.status, 200, JSON.stringify(history.body));
      const row = history.body.connections.find((c: { id: string }) => c.id === roomId);
      assert.equal(row?.endReason, 'left');
      assert.match(row?.endedAt ?? '', ISO);
      assert.ok(Date.parse(row.endedAt) >= Date.parse(row.startedAt));
    }
  });
});
