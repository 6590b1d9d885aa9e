/**
 * The floor: the least a relay can do and still speak Small Talk's frames to the load
 * generator. No auth, no validation, no database, no limits, one category per join, FIFO, and a
 * leave that ends the room.
 * Whatever the server costs above this is the price of its rules.
 *
 * It still parses each frame and serializes the event it sends, because the peer must get
 * `from` added to the frame: splicing bytes would make a floor no real relay could reach.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

interface Member {
  id: string;
  ws: WebSocket;
  peer: Member | null;
  /** The category it waits in, while it waits. */
  waitingIn: string | null;
}

const queues = new Map<string, Member[]>();

const wss = new WebSocketServer({
  port: Number(process.env.PORT ?? 0),
  host: '127.0.0.1',
  perMessageDeflate: false,
  clientTracking: false,
});

// The bench stops its targets with SIGTERM; exiting normally lets a profiled floor (--cpu-prof) write its profile.
process.on('SIGTERM', () => process.exit(0));

wss.on('listening', () => {
  // The bench waits for this line.
  console.log(`floor listening ${(wss.address() as AddressInfo).port}`);
});

wss.on('connection', (ws) => {
  const me: Member = { id: randomUUID(), ws, peer: null, waitingIn: null };
  ws.send(JSON.stringify({ type: 'welcome', user: { id: me.id, displayName: 'floor', kind: 'guest' } }));

  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString());
    if (frame.type === 'signal') {
      me.peer?.ws.send(JSON.stringify({ type: 'signal', roomId: frame.roomId, from: me.id, data: frame.data }));
      return;
    }
    if (frame.type === 'leave') {
      // So the bench can match the same sockets again (its rounds of (a)).
      const peer = me.peer;
      if (!peer) return;
      me.peer = null;
      peer.peer = null;
      ws.send(JSON.stringify({ type: 'left', roomId: frame.roomId }));
      peer.ws.send(JSON.stringify({ type: 'peer_left', roomId: frame.roomId, reason: 'left' }));
      return;
    }
    if (frame.type !== 'join') return;
    const category: string = frame.categories[0];
    ws.send(JSON.stringify({ type: 'queued', categories: [category] }));
    let queue = queues.get(category);
    if (!queue) queues.set(category, (queue = []));
    const waiting = queue.shift();
    if (!waiting) {
      queue.push(me);
      me.waitingIn = category;
      return;
    }
    waiting.waitingIn = null;
    me.peer = waiting;
    waiting.peer = me;
    // UUIDs like the server's, so both relay frames of the same size.
    const roomId = randomUUID();
    const matched = (to: Member, peer: Member, initiator: boolean) =>
      to.ws.send(
        JSON.stringify({
          type: 'matched',
          roomId,
          peer: { id: peer.id, displayName: 'floor' },
          category,
          initiator,
          resumed: false,
        }),
      );
    matched(waiting, me, false);
    matched(me, waiting, true);
  });

  ws.on('close', () => {
    // A closed socket waiting in a queue would be matched with nobody on the other end.
    const queue = me.waitingIn === null ? undefined : queues.get(me.waitingIn);
    if (queue) queue.splice(queue.indexOf(me), 1);
  });
});
