import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useCluster, type ClusterNode } from './cluster.js';
import { openSocket, pair, sleep, type Client } from './harness.js';

/**
 * Three real server processes on one Redis: pairs on different processes relay numbered signal
 * frames both ways at a steady rate while one user of each pair moves to another process
 * mid-stream. Frames from the peer are in flight to the old process while the move happens, and
 * the peer's process still has the old route cached: whatever path they take (held, forwarded,
 * straight to the new process), the user sees them once each and in order.
 */
const suite = useCluster(3, { RESUME_GRACE_MS: '10000', WS_RATE_LIMIT: '2000' });
const { skip, nodes, opened } = suite;

/** Frames each side sends, one every INTERVAL_MS: the move happens around frame MOVE_AT. */
const FRAMES = 150;
const INTERVAL_MS = 8;
const MOVE_AT = 50;

type Move = 'takeover' | 'drop';

interface Stream {
  /** The socket the side sends on now; null while it moves. */
  socket: Client | null;
  /** Every socket the side had, in order: what it received is read from all of them. */
  sockets: Client[];
}

function numbers(socket: Client): number[] {
  return socket.frames.filter((f) => f.type === 'signal').map((f) => (f.data as { n: number }).n);
}

async function untilLast(socket: Client, from: Client[]): Promise<void> {
  // Reads (without consuming others' frames) until the last number arrives on the socket in use.
  const deadline = Date.now() + 20_000;
  while (!numbers(socket).includes(FRAMES - 1)) {
    if (Date.now() > deadline)
      throw new Error(`the last frame never came: got ${from.flatMap(numbers).slice(-5).join(',')}`);
    await sleep(20);
  }
}

async function relayWhileMoving(
  category: string,
  from: ClusterNode,
  peerOn: ClusterNode,
  to: ClusterNode,
  move: Move,
): Promise<void> {
  const { a, b, roomId, matchedA } = await pair(from, category, peerOn);
  opened.push(a.socket, b.socket);
  const ada: Stream = { socket: a.socket, sockets: [a.socket] };
  const bo: Stream = { socket: b.socket, sockets: [b.socket] };
  const signal = (n: number) => ({ type: 'signal', roomId, data: { n } });

  const boSends = (async () => {
    for (let n = 0; n < FRAMES; n++) {
      bo.socket!.send(signal(n));
      await sleep(INTERVAL_MS);
    }
  })();
  const adaSends = (async () => {
    let n = 0;
    while (n < FRAMES) {
      if (n === MOVE_AT) {
        // Ada's last frames are still on their way through the old process while she moves.
        ada.socket = null;
        const old = ada.sockets.at(-1)!;
        if (move === 'drop') {
          await old.drop();
          await sleep(100);
        }
        const moved = await openSocket(to, { authorization: `Bearer ${a.auth.token}` });
        opened.push(moved);
        ada.sockets.push(moved);
        if (move === 'takeover') assert.equal(await old.closed, 4000);
        assert.deepEqual(await moved.next('matched', 10_000), { ...matchedA, resumed: true });
        // next() consumed the frames before `matched` (only the welcome): none are signals.
        ada.socket = moved;
      }
      ada.socket!.send(signal(n++));
      await sleep(INTERVAL_MS);
    }
  })();
  await Promise.all([boSends, adaSends]);
  await untilLast(ada.sockets.at(-1)!, ada.sockets);
  await untilLast(b.socket, [b.socket]);

  const all = Array.from({ length: FRAMES }, (_, n) => n);
  const boGot = numbers(b.socket);
  if (move === 'takeover') {
    // Bo got every one of Ada's frames, once each, in order: her moving changed nothing for him.
    assert.deepEqual(boGot, all, `takeover to another process: Bo's view of Ada's frames`);
  } else {
    // A dropped connection can lose what Ada wrote into it last: when her side closes with Bo's
    // frames unread, the kernel resets the connection and the server's side discards what it had
    // not read yet. Those are the only ones Bo may miss, and the rest come once each, in order.
    const lost = all.filter((n) => !boGot.includes(n));
    assert.deepEqual(
      boGot,
      all.filter((n) => !lost.includes(n)),
      `drop: Bo's view of Ada's frames, in order`,
    );
    assert.deepEqual(
      lost,
      all.slice(MOVE_AT - lost.length, MOVE_AT),
      'drop: Bo missed only the last frames Ada sent on the dropped connection',
    );
    assert.ok(lost.length <= 500 / INTERVAL_MS, `drop: at most half a second of frames lost (${lost.length})`);
  }
  const got = ada.sockets.flatMap(numbers);
  if (move === 'takeover') {
    // The old socket closed cleanly (4000) after the last frame it was given: nothing is lost.
    assert.deepEqual(got, all, 'takeover: Ada got all of Bo’s frames across her two sockets, once each, in order');
  } else {
    // Frames written to the dropped connection before the server saw it drop are gone with it
    // (as they always were); everything after is held and comes on the new socket, in order.
    const before = numbers(ada.sockets[0]!);
    const after = numbers(ada.sockets[1]!);
    assert.deepEqual(before, all.slice(0, before.length), 'the dropped socket got a first run, in order');
    assert.ok(after.length > 0 && after.at(-1) === FRAMES - 1);
    assert.deepEqual(after, all.slice(after[0]), 'the new socket got the rest, once each, in order');
    assert.ok(after[0]! >= before.length, 'nothing twice');
    // How many depends on how soon the loaded process sees the drop: half a second of frames at most.
    assert.ok(
      after[0]! - before.length <= 500 / INTERVAL_MS,
      `only frames sent into the dead connection are missing (${after[0]! - before.length})`,
    );
  }
}

describe('cross-process ordering while users move', { skip }, () => {
  test(
    'pairs relaying both ways while one side moves mid-stream (takeover or drop, to a third process or to the peer’s): every frame once, in order',
    { timeout: 60_000 },
    async () => {
      const [n0, n1, n2] = [nodes[0]!, nodes[1]!, nodes[2]!];
      // One category per pair, so the pairs match as planned; then all relay and move at once.
      await Promise.all([
        relayWhileMoving('music', n0, n1, n2, 'takeover'),
        relayWhileMoving('movies', n1, n2, n2, 'takeover'),
        relayWhileMoving('books', n2, n0, n1, 'drop'),
        relayWhileMoving('sports', n0, n2, n2, 'drop'),
      ]);
    },
  );
});
