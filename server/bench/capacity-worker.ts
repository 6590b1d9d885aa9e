/**
 * One share of the capacity phase's users (capacity.ts), in a process of its own: a process may
 * hold only as many sockets as its fd limit, and 20,000 users need more than that on one side of
 * loopback. Told what to do by its parent over IPC; it answers each command with one message.
 *
 * Guests are created here, so the parent never holds their tokens; the HTTP agent is closed
 * before the sockets open, or its idle keep-alive connections would take server fds the
 * measurement counts on.
 */
import http from 'node:http';
import WebSocket from 'ws';
import type { AuthResponse, ServerMessage } from '@small-talk/protocol';
import { inPool, postJson } from './load.js';

/** What the parent tells a worker. */
export type WorkerCommand =
  | {
      /** Creates the guests; `open` then opens their sockets (the parent reads memory between). */
      type: 'signIn';
      /** The target's ports; user `index` talks to `ports[index % ports.length]`. */
      ports: number[];
      /** This worker's users, by their index over the whole phase. */
      indexes: number[];
      /** Source addresses; user `index` binds to `addresses[index % addresses.length]`. */
      addresses: string[];
      /** Users (by index) that will join later: only they accept the rules, to spare 2 requests each. */
      joiners: number[];
      concurrency: number;
    }
  /** Users (by index) that join now, with their category. */
  | { type: 'join'; categories: Record<number, string> }
  | { type: 'open' }
  | { type: 'stats' }
  | { type: 'close' };

export interface WorkerStats {
  open: number;
  /** Server pings the sockets answered (ws answers them itself): proof that the heartbeat runs. */
  pings: number;
  closes: Record<string, number>;
  errors: Record<string, number>;
}

export interface MatchedUser {
  index: number;
  id: string;
  peerId: string;
  roomId: string;
  initiator: boolean;
  category: string | null;
}

/** What a worker answers. */
export type WorkerReply =
  | { type: 'signedIn' }
  | { type: 'connected'; opened: number; failed: string[] }
  | { type: 'matched'; users: MatchedUser[]; unmatched: number }
  | ({ type: 'stats' } & WorkerStats)
  | { type: 'error'; message: string };

interface Member {
  index: number;
  port: number;
  localAddress: string;
  token: string;
  id: string;
  ws: WebSocket | null;
  matched: MatchedUser | null;
  expectMatch: boolean;
}

const members: Member[] = [];
const stats: WorkerStats = { open: 0, pings: 0, closes: {}, errors: {} };
let closing = false;
let onMatched: (() => void) | null = null;
let waitingFor = 0;
let concurrency = 1;

function send(reply: WorkerReply): void {
  process.send!(reply);
}

process.on('message', (command: WorkerCommand) => {
  void handle(command).catch((error: unknown) =>
    send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));

async function handle(command: WorkerCommand): Promise<void> {
  switch (command.type) {
    case 'signIn':
      return signIn(command);
    case 'open':
      return openAll(concurrency);
    case 'join':
      return join(command.categories);
    case 'stats':
      return send({ type: 'stats', ...stats });
    case 'close':
      closing = true;
      for (const m of members) m.ws?.terminate();
      setTimeout(() => process.exit(0), 100);
      return;
  }
}

async function signIn(command: Extract<WorkerCommand, { type: 'signIn' }>): Promise<void> {
  concurrency = command.concurrency;
  const joiners = new Set(command.joiners);
  for (const index of command.indexes) {
    members.push({
      index,
      port: command.ports[index % command.ports.length]!,
      localAddress: command.addresses[index % command.addresses.length]!,
      token: '',
      id: '',
      ws: null,
      matched: null,
      expectMatch: false,
    });
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: command.concurrency });
  const rules = await fetch(`http://127.0.0.1:${command.ports[0]}/api/rules`);
  const { version } = (await rules.json()) as { version: number };
  await inPool(members, command.concurrency, async (m) => {
    const from = { port: m.port, localAddress: m.localAddress, agent };
    const signedIn = await postJson<AuthResponse>(from, '/api/auth/guest', { displayName: `cap ${m.index}` }, 201);
    m.token = signedIn.token;
    m.id = signedIn.user.id;
    if (joiners.has(m.index))
      await postJson(from, '/api/me/consent', { birthDate: '1980-06-15', rulesVersion: version }, 200, m.token);
  });
  agent.destroy();
  send({ type: 'signedIn' });
}

async function openAll(width: number): Promise<void> {
  const failed: string[] = [];
  await inPool(members, width, (m) =>
    open(m).catch((error: unknown) => {
      failed.push(error instanceof Error ? error.message : String(error));
    }),
  );
  send({ type: 'connected', opened: stats.open, failed: failed.slice(0, 5) });
}

function open(m: Member): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${m.port}/ws`, {
      localAddress: m.localAddress,
      headers: { authorization: `Bearer ${m.token}` },
      perMessageDeflate: false,
    });
    m.ws = ws;
    let welcomed = false;
    ws.on('message', (data) => {
      const event = JSON.parse(String(data)) as ServerMessage;
      if (event.type === 'welcome') {
        welcomed = true;
        stats.open += 1;
        resolve();
      } else onEvent(m, event);
    });
    ws.on('ping', () => (stats.pings += 1));
    ws.on('unexpected-response', (_request, response) => {
      ws.terminate();
      reject(new Error(`user ${m.index} from ${m.localAddress}: HTTP ${response.statusCode}`));
    });
    ws.on('error', (error) => {
      if (!welcomed) reject(error);
    });
    ws.on('close', (code) => {
      if (welcomed) stats.open -= 1;
      if (closing) return;
      stats.closes[code] = (stats.closes[code] ?? 0) + 1;
      if (!welcomed) reject(new Error(`user ${m.index}: closed before welcome: ${code}`));
    });
  });
}

function onEvent(m: Member, event: ServerMessage): void {
  if (event.type === 'error') {
    stats.errors[event.code] = (stats.errors[event.code] ?? 0) + 1;
    return;
  }
  if (event.type !== 'matched' || !m.expectMatch) return;
  if (m.matched) {
    stats.errors['second matched'] = (stats.errors['second matched'] ?? 0) + 1;
    return;
  }
  m.matched = {
    index: m.index,
    id: m.id,
    peerId: event.peer.id,
    roomId: event.roomId,
    initiator: event.initiator,
    category: event.category,
  };
  waitingFor -= 1;
  if (waitingFor === 0) onMatched?.();
}

/** Joins each named user to its category; answers once all of them have `matched` (or after 30 s). */
async function join(categories: Record<number, string>): Promise<void> {
  const joining = members.filter((m) => categories[m.index] !== undefined);
  waitingFor = joining.length;
  const done = new Promise<void>((resolve) => {
    onMatched = resolve;
    if (waitingFor === 0) resolve();
  });
  for (const m of joining) {
    m.expectMatch = true;
    m.ws!.send(JSON.stringify({ type: 'join', categories: [categories[m.index]] }));
  }
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
  await Promise.race([done, timeout]);
  const users = joining.flatMap((m) => (m.matched ? [m.matched] : []));
  send({ type: 'matched', users, unmatched: joining.length - users.length });
}
