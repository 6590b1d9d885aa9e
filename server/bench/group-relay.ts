/**
 * The group_send model: the original's relay design, reduced to what decides its cost, speaking
 * Small Talk's frames to the load generator. The bench runs two of these on one Redis and races
 * them against our cluster (issue 5: "do not route every frame through a per-room broadcast
 * group: measure the difference").
 *
 * As channels_redis's pub/sub layer does for a Channels consumer:
 * - each socket's consumer subscribes a channel of its own (`consumer:<id>`), which is how the
 *   process of a waiting user learns it was matched from whichever process matched it;
 * - a match adds both members to the room's group: every process with a member there subscribes
 *   the room's channel (`group:<roomId>`), once per process;
 * - every signal is one PUBLISH to the room's channel (group_send), even when both members are on
 *   this process; each subscribed process gets it back from Redis and hands it to its members in
 *   the group, and the sender's consumer drops its own echo.
 *
 * It is otherwise as lean as the floor (no auth, no limits, no validation beyond JSON.parse, the
 * event serialized once by the sender), so what it costs above our cluster is the design's, not
 * this model's. Matching is one Lua script over a list per category, outside what is measured.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';

interface Member {
  id: string;
  ws: WebSocket;
  roomId: string | null;
  /** The category it waits in, while it waits. */
  waitingIn: string | null;
}

/** Takes the first user waiting in the category, or queues this one: atomic, so across processes nobody is matched twice. */
const MATCH = `
local waiting = redis.call('LPOP', KEYS[1])
if waiting then return waiting end
redis.call('RPUSH', KEYS[1], ARGV[1])
return false
`;

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error('group-relay: REDIS_URL is required');
// As our server's connections (storage/redis.ts): commands issued in one tick leave in one write,
// so the model pays no more per PUBLISH than our cluster pays per script.
const commands = new Redis(redisUrl, { enableAutoPipelining: true, lazyConnect: true });
const subscriber = new Redis(redisUrl, { lazyConnect: true });
await Promise.all([commands.connect(), subscriber.connect()]);

const members = new Map<string, Member>();
/** This process's members of each room it subscribes, and the SUBSCRIBE in flight for it. */
const groups = new Map<string, { members: Set<Member>; subscribed: Promise<unknown> }>();

const GROUP = 'group:';
const CONSUMER = 'consumer:';

subscriber.on('message', (channel: string, message: string) => {
  if (channel.startsWith(GROUP)) return onGroupMessage(channel.slice(GROUP.length), message);
  const member = members.get(channel.slice(CONSUMER.length));
  if (!member) return;
  const { roomId, peerId, category } = JSON.parse(message) as { roomId: string; peerId: string; category: string };
  void groupAdd(roomId, member).then(() => sendMatched(member, roomId, peerId, category, false));
});

/** Group messages: `s` (signal) or `l` (leave), the sender's id, a newline, the frame its peers get. */
function onGroupMessage(roomId: string, message: string): void {
  const group = groups.get(roomId);
  if (!group) return;
  const newline = message.indexOf('\n');
  const sender = message.slice(1, newline);
  const text = message.slice(newline + 1);
  for (const member of group.members) {
    // The consumer's filter: the sender's own frame comes back to it too.
    if (member.id === sender) continue;
    member.ws.send(text);
    if (message[0] === 'l') groupDiscard(member);
  }
}

function groupAdd(roomId: string, member: Member): Promise<unknown> {
  let group = groups.get(roomId);
  if (!group)
    groups.set(roomId, (group = { members: new Set(), subscribed: subscriber.subscribe(`${GROUP}${roomId}`) }));
  group.members.add(member);
  member.roomId = roomId;
  return group.subscribed;
}

function groupDiscard(member: Member): void {
  const roomId = member.roomId;
  if (roomId === null) return;
  member.roomId = null;
  const group = groups.get(roomId);
  if (!group) return;
  group.members.delete(member);
  if (group.members.size > 0) return;
  groups.delete(roomId);
  void subscriber.unsubscribe(`${GROUP}${roomId}`);
}

function sendMatched(member: Member, roomId: string, peerId: string, category: string, initiator: boolean): void {
  member.ws.send(
    JSON.stringify({
      type: 'matched',
      roomId,
      peer: { id: peerId, displayName: 'group' },
      category,
      initiator,
      resumed: false,
    }),
  );
}

async function join(me: Member, category: string): Promise<void> {
  const waiting = (await commands.eval(MATCH, 1, `queue:${category}`, me.id)) as string | null;
  // After the script, so a user told `queued` is in the list before anyone else joins.
  me.ws.send(JSON.stringify({ type: 'queued', categories: [category] }));
  if (!waiting) {
    me.waitingIn = category;
    return;
  }
  // UUIDs like the server's, so both relay frames of the same size.
  const roomId = randomUUID();
  await groupAdd(roomId, me);
  await commands.publish(`${CONSUMER}${waiting}`, JSON.stringify({ roomId, peerId: me.id, category }));
  sendMatched(me, roomId, waiting, category, true);
}

const wss = new WebSocketServer({
  port: Number(process.env.PORT ?? 0),
  host: '127.0.0.1',
  perMessageDeflate: false,
  clientTracking: false,
});

wss.on('listening', () => {
  // The bench waits for this line.
  console.log(`group listening ${(wss.address() as AddressInfo).port}`);
});

wss.on('connection', (ws) => {
  const me: Member = { id: randomUUID(), ws, roomId: null, waitingIn: null };
  members.set(me.id, me);
  const consumer = subscriber.subscribe(`${CONSUMER}${me.id}`);
  // Welcomed once subscribed: nobody can match a user whose consumer is not listening yet.
  void consumer.then(() =>
    ws.send(JSON.stringify({ type: 'welcome', user: { id: me.id, displayName: 'group', kind: 'guest' } })),
  );

  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString());
    switch (frame.type) {
      case 'signal': {
        if (frame.roomId !== me.roomId) return;
        const text = JSON.stringify({ type: 'signal', roomId: frame.roomId, from: me.id, data: frame.data });
        void commands.publish(`${GROUP}${frame.roomId}`, `s${me.id}\n${text}`);
        return;
      }
      case 'leave': {
        const roomId: string = frame.roomId;
        if (roomId !== me.roomId) return;
        void commands.publish(
          `${GROUP}${roomId}`,
          `l${me.id}\n${JSON.stringify({ type: 'peer_left', roomId, reason: 'left' })}`,
        );
        ws.send(JSON.stringify({ type: 'left', roomId }));
        groupDiscard(me);
        return;
      }
      case 'join':
        void join(me, frame.categories[0]);
        return;
    }
  });

  ws.on('close', () => {
    members.delete(me.id);
    groupDiscard(me);
    void subscriber.unsubscribe(`${CONSUMER}${me.id}`);
    // A closed socket waiting in a queue would be matched with nobody on the other end.
    if (me.waitingIn !== null) void commands.lrem(`queue:${me.waitingIn}`, 0, me.id);
  });
});
