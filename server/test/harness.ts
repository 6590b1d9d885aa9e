import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import WebSocket from 'ws';
import type { AuthResponse, ServerMessage } from '@small-talk/protocol';
import { buildApp, type SmallTalk } from '../src/app.js';
import { loadConfig } from '../src/config.js';

/** A real server on a spare loopback port, with its own SQLite file in a fresh folder. */
export interface TestServer {
  url: string;
  wsUrl: string;
  port: number;
  dataDir: string;
  server: SmallTalk;
  close(): Promise<void>;
}

export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-test-'));
  const config = loadConfig({ LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0', ...env, DATA_DIR: dataDir });
  const server = await buildApp(config);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
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
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(base + route, {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

export async function guest(base: string, displayName = 'Guest'): Promise<AuthResponse> {
  const response = await api(base, 'POST', '/api/auth/guest', { body: { displayName } });
  if (response.status !== 201) throw new Error(`guest failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as AuthResponse;
}

type Frame = ServerMessage;

/** A WebSocket client that queues every frame it receives, so tests can await them in order. */
export class Client {
  readonly frames: Frame[] = [];
  private readonly waiters: Array<() => void> = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
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
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) while waiting for ${type ?? 'a frame'}`);
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

export async function connect(server: TestServer, token: string, headers: Record<string, string> = {}): Promise<Client> {
  const ws = new WebSocket(server.wsUrl, { headers: { authorization: `Bearer ${token}`, ...headers } });
  const client = new Client(ws);
  await once(ws, 'open');
  return client;
}

/** Opens a socket and expects the upgrade to be refused; resolves with the HTTP status. */
export function refusedUpgrade(server: TestServer, headers: Record<string, string>): Promise<number> {
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
export async function user(server: TestServer, displayName: string): Promise<{ auth: AuthResponse; socket: Client }> {
  const auth = await guest(server.url, displayName);
  const socket = await connect(server, auth.token);
  await socket.next('welcome');
  return { auth, socket };
}

/** Two users matched into a room in `category`; returns both sides' `matched`. */
export async function pair(server: TestServer, category = 'music') {
  const a = await user(server, 'Ada');
  const b = await user(server, 'Bo');
  a.socket.send({ type: 'join', categories: [category] });
  await a.socket.next('queued');
  b.socket.send({ type: 'join', categories: [category] });
  await b.socket.next('queued');
  const matchedA = await a.socket.next('matched');
  const matchedB = await b.socket.next('matched');
  return { a, b, matchedA, matchedB, roomId: matchedA.roomId };
}
