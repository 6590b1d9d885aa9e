import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import WebSocket from 'ws';
import type { Principal } from '../src/auth/service.js';
import type { Metrics } from '../src/metrics/metrics.js';
import { STANDING_CHANGED, type UserStanding } from '../src/safety/standing.js';
import type { Handlers } from '../src/signaling/handlers.js';
import { ClientSocket } from '../src/signaling/socket.js';

/**
 * What one socket passes on of the deliveries that reach it, in the order they reach it: the
 * filtering a cluster needs when frames of one room come from different processes (Rooms.end,
 * announceLate), and which of them leave in one write to the connection (together). The sockets'
 * own path, frames in and out, is ws-*.test.ts's.
 */
function socketFor(userId: string): { socket: ClientSocket; sent: string[]; writes: string[][] } {
  const sent: string[] = [];
  // What leaves in each write to the connection: frames sent while it is corked go together.
  const writes: string[][] = [];
  let corks = 0;
  let held: string[] = [];
  const stream = {
    cork: () => void corks++,
    uncork: () => {
      if (corks === 0 || --corks > 0) return;
      if (held.length > 0) writes.push(held);
      held = [];
    },
  };
  // Only what deliver() touches: an open socket with nothing buffered.
  const ws = {
    readyState: WebSocket.OPEN,
    bufferedAmount: 0,
    send: (text: string) => {
      sent.push(text);
      if (corks > 0) held.push(JSON.parse(text).type);
      else writes.push([JSON.parse(text).type]);
    },
  };
  const principal = { user: { id: userId } } as unknown as Principal;
  const socket = new ClientSocket(
    ws as unknown as WebSocket,
    principal,
    {
      handlers: {} as Handlers,
      metrics: {} as Metrics,
      log: pino({ level: 'silent' }),
      rateLimit: { perSecond: 50, bytesPerSecond: 1_000_000, floodCloseMs: 5000 },
    },
    stream,
  );
  return { socket, sent, writes };
}

const matched = (roomId: string) => ({
  text: JSON.stringify({ type: 'matched', roomId, resumed: false }),
  room: { roomId, peerId: 'peer' },
});
const peerLeft = (roomId: string) => ({
  text: JSON.stringify({ type: 'peer_left', roomId, reason: 'left' }),
  room: null,
});
const types = (sent: string[]) => sent.map((text) => `${JSON.parse(text).type} ${JSON.parse(text).roomId}`);

describe('a socket’s deliveries', () => {
  test('a matched of the room it has just left is dropped: a second announcement, from another process, after the end', () => {
    const { socket, sent } = socketFor('ria');
    socket.deliver(matched('room-1'));
    socket.deliver(peerLeft('room-1'));
    socket.deliver(matched('room-1'));
    assert.deepEqual(types(sent), ['matched room-1', 'peer_left room-1']);
    assert.equal(socket.room?.roomId, undefined, 'not back in the room');
    // The next room is not held back by it.
    socket.deliver(matched('room-2'));
    assert.deepEqual(types(sent), ['matched room-1', 'peer_left room-1', 'matched room-2']);
    assert.equal(socket.room?.roomId, 'room-2');
  });

  test('a matched of the room it is in is dropped: the same announcement twice', () => {
    const { socket, sent } = socketFor('ria');
    socket.deliver(matched('room-1'));
    socket.deliver(matched('room-1'));
    socket.deliver(peerLeft('room-1'));
    assert.deepEqual(types(sent), ['matched room-1', 'peer_left room-1']);
  });
});

const queued = JSON.stringify({ type: 'queued', categories: ['music'] });
const turnEnd = () => new Promise((resolve) => setImmediate(resolve));

describe('frames sent together (ClientSocket.together)', () => {
  test('a join matched at once: queued and matched leave in one write', async () => {
    const { socket, writes } = socketFor('ria');
    // The room starts (async): the connection is let go once it has.
    await socket.together(async () => {
      socket.sendText(queued);
      socket.deliver(matched('room-1'));
    });
    assert.deepEqual(writes, [['queued', 'matched']]);
    // Afterwards the connection is not held: the next frame leaves on its own.
    socket.deliver(peerLeft('room-1'));
    assert.deepEqual(writes, [['queued', 'matched'], ['peer_left']]);
  });

  test('a join queued: a match made later in the same turn leaves with queued; the next turn’s frames leave on their own', async () => {
    const { socket, writes } = socketFor('ria');
    await socket.together(() => {
      socket.sendText(queued);
    });
    assert.deepEqual(writes, [], 'held to the end of the turn');
    // Another user's join, read in the same turn, matches this one.
    socket.deliver(matched('room-1'));
    await turnEnd();
    assert.deepEqual(writes, [['queued', 'matched']]);
    socket.deliver(peerLeft('room-1'));
    assert.deepEqual(writes, [['queued', 'matched'], ['peer_left']]);
  });

  test('what was sent leaves at the end of the turn while the rest still waits (a slow or locked database)', async () => {
    const { socket, writes } = socketFor('ria');
    let roomStarted!: () => void;
    const joined = socket.together(() => {
      socket.sendText(queued);
      return new Promise<void>((resolve) => (roomStarted = resolve));
    });
    assert.deepEqual(writes, [], 'held within the turn');
    await turnEnd();
    assert.deepEqual(writes, [['queued']], 'out at the end of the turn, before the room has started');
    socket.deliver(matched('room-1'));
    roomStarted();
    await joined;
    assert.deepEqual(writes, [['queued'], ['matched']]);
  });

  test('a send that throws lets the connection go at once', () => {
    const { socket, writes } = socketFor('ria');
    assert.throws(() =>
      socket.together(() => {
        socket.sendText(queued);
        throw new Error('refused');
      }),
    );
    assert.deepEqual(writes, [['queued']]);
  });
});

describe('the standing a socket keeps for its joins', () => {
  const standing = (languages: string[]) =>
    ({ consent: null, restriction: null, role: 'user', emailVerified: false, languages, bio: '' }) as UserStanding;
  const news = { text: '', stateKey: STANDING_CHANGED };

  /** Asks as a join does; says what it was given to keep and what it allowed. */
  async function join(socket: ClientSocket, read: () => Promise<UserStanding>): Promise<UserStanding | null> {
    let given: UserStanding | null = null;
    await socket.allowedStanding(async (kept) => {
      given = kept;
      return kept ?? read();
    });
    return given;
  }

  test('what the first join was allowed with is given to the next, until the bus tells of a change; the news sends nothing', async () => {
    const { socket, sent } = socketFor('ria');
    const first = standing(['en']);
    assert.equal(await join(socket, async () => first), null, 'nothing kept before the first join');
    assert.equal(await join(socket, async () => standing(['de'])), first);
    assert.equal(socket.deliver(news), true);
    assert.equal(await join(socket, async () => standing(['de'])), null, 'read again after the news');
    assert.deepEqual(sent, [], 'the client gets no frame for it');
  });

  test('a read that began before the news answers its join but is not kept: it may predate the change', async () => {
    const { socket } = socketFor('ria');
    let answer: (standing: UserStanding) => void = () => {};
    const joining = socket.allowedStanding(() => new Promise((resolve) => (answer = resolve)));
    socket.deliver(news);
    const before = standing(['en']);
    answer(before);
    assert.equal(await joining, before);
    assert.equal(await join(socket, async () => standing(['de'])), null, 'not kept');
  });

  test('a refused join keeps nothing', async () => {
    const { socket } = socketFor('ria');
    await assert.rejects(
      socket.allowedStanding(async () => {
        throw new Error('restricted');
      }),
    );
    assert.equal(await join(socket, async () => standing(['en'])), null);
  });
});
