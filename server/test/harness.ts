import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import WebSocket from 'ws';
import type { AuthResponse, ServerMessage } from '@small-talk/protocol';
import { buildApp, type SmallTalk } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { Standing } from '../src/safety/standing.js';
import { createDatabase, nameFor } from './services.js';

/**
 * A body the server answered, as a test reads it: whatever shape it has, the test's assertions on
 * it are what check that shape, so a wrong one fails there rather than in a cast.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on answer shapes instead of declaring them
export type Json = any;

/** Where a server answers: enough for the helpers below, so they work on cluster processes too (cluster.ts). */
export interface Endpoint {
  url: string;
  wsUrl: string;
}

/** A real server on a spare loopback port, with its own SQLite file in a fresh folder. */
export interface TestServer {
  url: string;
  wsUrl: string;
  port: number;
  dataDir: string;
  server: SmallTalk;
  close(): Promise<void>;
}

/** A TCP port nobody listens on right now, for a server that must come back on the same port. */
export async function sparePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Set by scale-suites.ts (scale-http and scale-ws.test.ts) when it runs the protocol suites again on shared services: every
 * server then gets a fresh PostgreSQL database and its own Redis namespace (REDIS_PREFIX), named
 * after its data folder so that a server restarted on the same folder finds its data again.
 */
const SHARED_POSTGRES = process.env.SMALLTALK_TEST_POSTGRES;
const SHARED_REDIS = process.env.SMALLTALK_TEST_REDIS;

/**
 * Data folders this process made, removed when it exits: not on close, because a test may start
 * a server again on the same folder to see what survives a restart.
 */
const madeDirs: string[] = [];
process.on('exit', () => {
  for (const dir of madeDirs) fs.rmSync(dir, { recursive: true, force: true });
});

export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  let dataDir = env.DATA_DIR;
  if (dataDir === undefined) madeDirs.push((dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-test-'))));
  const shared: Record<string, string> = {};
  if (SHARED_POSTGRES) shared.DATABASE_URL = await createDatabase(SHARED_POSTGRES, nameFor(dataDir));
  if (SHARED_REDIS) Object.assign(shared, { REDIS_URL: SHARED_REDIS, REDIS_PREFIX: nameFor(dataDir) });
  // Suites meet the same two users again and again on purpose; the rematch cooldown has its own tests.
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    GUEST_RATE_LIMIT_PER_MIN: '100000',
    REMATCH_COOLDOWN_S: '0',
    ...shared,
    ...env,
    DATA_DIR: dataDir,
  });
  const server = await buildApp(config);
  await server.app.listen({ port: config.PORT, host: '127.0.0.1' });
  const address = server.app.server.address();
  if (!address || typeof address === 'string') throw new Error('server has no port');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    wsUrl: `ws://127.0.0.1:${address.port}/ws`,
    port: address.port,
    dataDir,
    server,
    async close() {
      await server.close();
    },
  };
}

export async function api(
  base: string,
  method: string,
  route: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(base + route, {
    method,
    headers,
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: Json = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

/** A date of birth old enough for any MIN_AGE the config allows (≤ 99). */
export const ADULT_BIRTH_DATE = '1980-06-15';

/**
 * Accepts the server's current rules as an adult, as the app's first-run screen does; every user
 * must before it may join, call or ask for friendship. Returns the user with its consent.
 */
export async function consent(
  base: string,
  token: string,
  birthDate = ADULT_BIRTH_DATE,
): Promise<AuthResponse['user']> {
  const rules = await api(base, 'GET', '/api/rules');
  const response = await api(base, 'POST', '/api/me/consent', {
    token,
    body: { birthDate, rulesVersion: rules.body.version },
  });
  if (response.status !== 200) throw new Error(`consent failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.user;
}

/**
 * A new guest that has accepted the rules (so it may join at once), unless `options.consent` is
 * false: then it is as the server makes it, with `consent: null`.
 */
export async function guest(
  base: string,
  displayName = 'Guest',
  options: { consent?: boolean } = {},
): Promise<AuthResponse> {
  const response = await api(base, 'POST', '/api/auth/guest', { body: { displayName } });
  if (response.status !== 201) throw new Error(`guest failed: ${response.status} ${JSON.stringify(response.body)}`);
  const signedIn = response.body as AuthResponse;
  if (options.consent === false) return signedIn;
  return { ...signedIn, user: await consent(base, signedIn.token) };
}

type Frame = ServerMessage;

/** A WebSocket client that queues every frame it receives, so tests can await them in order. */
export class Client {
  readonly frames: Frame[] = [];
  /** When each frame arrived (Date.now()), for tests that bound a frame's time. */
  readonly arrivedAt = new WeakMap<Frame, number>();
  private readonly waiters: Array<() => void> = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.arrivedAt.set(frame, Date.now());
      this.frames.push(frame);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        this.wake();
        resolve(code);
      }),
    );
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame (of `type`, if given; frames of other types before it are consumed too). */
  async next<T extends Frame['type']>(type?: T, timeoutMs = 5000): Promise<Extract<Frame, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.shift();
      if (frame) {
        if (!type || frame.type === type) return frame as Extract<Frame, { type: T }>;
        continue;
      }
      if (this.closeCode !== undefined)
        throw new Error(`socket closed (${this.closeCode}) while waiting for ${type ?? 'a frame'}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${type ?? 'a frame'}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Asserts that no frame arrives within `ms`. */
  async nothingWithin(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (this.frames.length > 0) throw new Error(`unexpected frame: ${JSON.stringify(this.frames[0])}`);
  }

  close(code?: number): Promise<number> {
    this.ws.close(code);
    return this.closed;
  }

  /** Drops the TCP connection without a close frame, as a phone losing its network would. */
  drop(): Promise<number> {
    this.ws.terminate();
    return this.closed;
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

export async function connect(server: Endpoint, token: string, headers: Record<string, string> = {}): Promise<Client> {
  const ws = new WebSocket(server.wsUrl, { headers: { authorization: `Bearer ${token}`, ...headers } });
  const client = new Client(ws);
  await once(ws, 'open');
  return client;
}

/** Opens a socket and expects the upgrade to be refused; resolves with the HTTP status. */
export function refusedUpgrade(server: Endpoint, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.wsUrl, { headers });
    ws.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('upgrade was accepted'));
    });
    ws.on('error', () => {});
  });
}

/** A signed-in guest with an open socket that has had its `welcome`. */
export async function user(server: Endpoint, displayName: string): Promise<{ auth: AuthResponse; socket: Client }> {
  const auth = await guest(server.url, displayName);
  const socket = await connect(server, auth.token);
  await socket.next('welcome');
  return { auth, socket };
}

/**
 * Two users matched into a room in `category`; returns both sides' `matched`. With `second`,
 * Bo connects there (another process of a cluster) while Ada stays on `server`.
 */
export async function pair(server: Endpoint, category = 'music', second: Endpoint = server) {
  const a = await user(server, 'Ada');
  const b = await user(second, 'Bo');
  a.socket.send({ type: 'join', categories: [category] });
  await a.socket.next('queued');
  b.socket.send({ type: 'join', categories: [category] });
  await b.socket.next('queued');
  const matchedA = await a.socket.next('matched');
  const matchedB = await b.socket.next('matched');
  return { a, b, matchedA, matchedB, roomId: matchedA.roomId };
}

// ---- HTTP suite helpers -------------------------------------------------------

/** Polls `check` until it returns a value other than undefined/false, and returns that value; fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 2000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let emailSeq = 0;
/** An email address no other test in this process has used. */
/**
 * Restricts a user straight in the database, as a moderator's decision or the automatic
 * suspension records it: for tests of what a restriction does, not of how it is decided. A
 * suspension by a moderator, for good and appealable, unless `restriction` says otherwise. Its
 * socket is not told (tellStandingChanged): one that has joined keeps the standing it joined
 * with, so restrict before the socket's first join, or decide as a moderator.
 */
export function restrict(
  server: TestServer,
  userId: string,
  restriction: Partial<Parameters<Standing['restrict']>[1]> = {},
): ReturnType<Standing['restrict']> {
  return new Standing(server.server.db.kysely).restrict(
    userId,
    {
      kind: 'suspended',
      reason: 'a moderator suspended this account',
      until: null,
      automated: false,
      appealable: true,
      ...restriction,
    },
    new Date(),
  );
}

export function uniqueEmail(prefix = 'user'): string {
  emailSeq += 1;
  return `${prefix}-${process.pid}-${emailSeq}@example.com`;
}

/** A registered member; with `token` (a guest's), the guest is upgraded in place. */
export async function member(
  base: string,
  fields: { email?: string; password?: string; displayName?: string } = {},
  token?: string,
): Promise<AuthResponse & { email: string; password: string }> {
  const email = fields.email ?? uniqueEmail();
  const password = fields.password ?? 'correct horse battery';
  const body = { email, password, displayName: fields.displayName ?? 'Member' };
  const response = await api(base, 'POST', '/api/auth/register', token ? { body, token } : { body });
  if (response.status !== 201) throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  const signedIn = response.body as AuthResponse;
  // A new account accepts the rules, as a guest does; an upgraded guest keeps its own answer.
  if (!token) signedIn.user = await consent(base, signedIn.token);
  return { ...signedIn, email, password };
}

/** The `st_session` Set-Cookie of a response, split into its value and lower-cased attributes. */
export function sessionCookie(headers: Headers): { value: string; attributes: string[] } | null {
  for (const line of headers.getSetCookie()) {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq) === 'st_session') {
      return { value: pair.slice(eq + 1), attributes: attributes.map((a) => a.toLowerCase()) };
    }
  }
  return null;
}

/** The text of /metrics. */
export async function scrape(server: Endpoint): Promise<string> {
  const response = await fetch(`${server.url}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

/**
 * The value of one Prometheus sample, e.g. `sample(text, 'smalltalk_errors_total', { code: 'busy' })`;
 * 0 when the series has no sample yet (a labelled counter appears on its first increment).
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m): [string, string] => [
        m[1] ?? '',
        m[2] ?? '',
      ]),
    );
    if (wanted.every(([key, value]) => have.get(key) === value)) return Number(match[3]);
  }
  return 0;
}

// ---- helpers for the WebSocket protocol suites (ws-*.test.ts) ---------------

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Opens a socket with exactly these headers (no token added) and waits for it to open. */
export async function openSocket(
  server: Endpoint,
  headers: Record<string, string>,
  options: { autoPong?: boolean; path?: string } = {},
): Promise<Client> {
  const ws = new WebSocket(server.wsUrl.replace(/\/ws$/, options.path ?? '/ws'), {
    headers,
    autoPong: options.autoPong ?? true,
  });
  const client = new Client(ws);
  await once(ws, 'open');
  return client;
}

/** Like refusedUpgrade, but also reads the response body (parsed as JSON when it is). */
export function refusedUpgradeWithBody(
  server: Endpoint,
  headers: Record<string, string>,
  path = '/ws',
): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.wsUrl.replace(/\/ws$/, path), { headers });
    ws.on('unexpected-response', (_request, response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        let body: Json = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: response.statusCode ?? 0, body });
        ws.terminate();
      });
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('upgrade was accepted'));
    });
    ws.on('error', () => {});
  });
}

/** `waiting` per category slug, as GET /api/categories reports it. */
export async function waitingCounts(server: Endpoint): Promise<Record<string, number>> {
  const response = await api(server.url, 'GET', '/api/categories');
  if (response.status !== 200) throw new Error(`categories failed: ${response.status}`);
  return Object.fromEntries(
    (response.body.categories as Array<{ slug: string; waiting: number }>).map((c) => [c.slug, c.waiting]),
  );
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Closes the sockets and waits until nobody is queued, so the next test on the same server
 * starts with empty queues (the server notices a close a moment after the client does).
 */
export async function closeAndSettle(server: Endpoint, clients: Client[]): Promise<void> {
  await Promise.all(clients.map((c) => (c.closeCode === undefined ? c.close() : c.closed)));
  await waitFor('empty queues', async () => Object.values(await waitingCounts(server)).every((n) => n === 0));
}

/** Rejects when `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Sends a close frame and then goes silent: neither reads nor closes the TCP connection, as a
 * phone does when it closes the app and loses its network in the same moment. Resolves once the
 * server has answered with its own close frame (so it has seen ours), read from the raw socket.
 * Uses ws's private `_socket`: the public API always completes the closing handshake.
 */
export async function closeFrameThenSilence(client: Client): Promise<{ destroy(): void }> {
  const raw = (client.ws as unknown as { _socket: import('node:net').Socket })._socket;
  // Paused, the socket still buffers what arrives but never emits it, nor its end: reading the
  // server's FIN would make Node end our side too, completing the close we want to leave hanging.
  raw.pause();
  // FIN opcode 0x8 (close), masked (clients must mask), 2-byte payload 1000 with an all-zero mask.
  raw.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
  // The server's close frame (0x88, length, code) lands in the buffer: it has seen ours.
  await waitFor("the server's close frame", () => raw.readableLength >= 4);
  return { destroy: () => raw.destroy() };
}

/** Sockets the server holds open now (its `smalltalk_sockets_open` gauge), to know it has seen a close. */
export async function serverSocketsOpen(server: Endpoint): Promise<number> {
  return sample(await scrape(server), 'smalltalk_sockets_open');
}

/**
 * Sends text frames in one TCP write, so the server reads them in one chunk and handles them
 * back to back: a burst measured in microseconds even on a loaded machine, which `send` in a loop
 * (one write per frame) cannot promise. Writes masked frames on ws's private `_socket`.
 */
export function sendBurst(client: Client, frames: unknown[]): void {
  const chunks = frames.map((frame) => {
    const payload = Buffer.from(typeof frame === 'string' ? frame : JSON.stringify(frame));
    // FIN + text opcode; MASK bit set (clients must mask) with an all-zero key, so the payload goes as is.
    const length = payload.length;
    const header =
      length < 126
        ? Buffer.from([0x81, 0x80 | length])
        : length < 65536
          ? Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff])
          : (() => {
              throw new Error('sendBurst: frame too large');
            })();
    return Buffer.concat([header, Buffer.alloc(4), payload]);
  });
  (client.ws as unknown as { _socket: import('node:net').Socket })._socket.write(Buffer.concat(chunks));
}

/**
 * Stops reading the socket (ws's private `_socket`), so the client never sees what the server
 * sends next (a close frame included) and keeps sending as if the socket were open: a phone on a
 * network that only works one way for a moment. Returns a function that destroys the socket.
 */
export function stopReading(client: Client): () => void {
  const raw = (client.ws as unknown as { _socket: import('node:net').Socket })._socket;
  raw.pause();
  return () => raw.destroy();
}

// ---- helpers for the friends suites ------------------------------------------

type Person = { auth: AuthResponse; socket: Client };

/**
 * Two users who were in a room together and left it: the only people who may become friends.
 * Both sockets stay open (Ada on `server`, Bo on `second`).
 */
export async function acquaintances(server: Endpoint, second: Endpoint = server) {
  const p = await pair(server, 'music', second);
  p.a.socket.send({ type: 'leave', roomId: p.roomId });
  await p.a.socket.next('left');
  await p.b.socket.next('peer_left');
  return p;
}

/** `from` asks, `to` accepts over HTTP; both have had their `friend_added`. */
export async function befriend(
  from: Person,
  fromServer: Endpoint,
  to: Person,
  toServer: Endpoint = fromServer,
): Promise<void> {
  const asked = await api(fromServer.url, 'POST', '/api/friends/requests', {
    token: from.auth.token,
    body: { userId: to.auth.user.id },
  });
  if (asked.status !== 201) throw new Error(`friend request failed: ${asked.status} ${JSON.stringify(asked.body)}`);
  const { request } = await to.socket.next('friend_request');
  const accepted = await api(toServer.url, 'POST', `/api/friends/requests/${request.id}/accept`, {
    token: to.auth.token,
  });
  if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  await from.socket.next('friend_added');
  await to.socket.next('friend_added');
}
