import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import WebSocket from 'ws';
import type { Principal } from '../src/auth/service.js';
import type { Metrics } from '../src/metrics/metrics.js';
import type { Handlers } from '../src/signaling/handlers.js';
import { ClientSocket } from '../src/signaling/socket.js';

/**
 * What one socket passes on of the deliveries that reach it, in the order they reach it: the
 * filtering a cluster needs when frames of one room come from different processes (Rooms.end,
 * announceLate). The sockets' own path, frames in and out, is ws-*.test.ts's.
 */
function socketFor(userId: string): { socket: ClientSocket; sent: string[] } {
  const sent: string[] = [];
  // Only what deliver() touches: an open socket with nothing buffered.
  const ws = { readyState: WebSocket.OPEN, bufferedAmount: 0, send: (text: string) => sent.push(text) };
  const principal = { user: { id: userId } } as unknown as Principal;
  const socket = new ClientSocket(ws as unknown as WebSocket, principal, {
    handlers: {} as Handlers,
    metrics: {} as Metrics,
    log: pino({ level: 'silent' }),
    rateLimit: { perSecond: 50, bytesPerSecond: 1_000_000, floodCloseMs: 5000 },
  });
  return { socket, sent };
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
