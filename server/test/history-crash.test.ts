/**
 * A process without Redis keeps its rooms in memory: killed with SIGKILL (no drain), it leaves
 * their calls open in history. The next start ends them as `disconnected` at the time the process
 * was last alive, while a clean restart keeps its calls open (they come back from its rooms file).
 * The server runs as `npm start` runs it, in a child process, so SIGKILL reaches it for real.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ALIVE_EVERY_MS } from '../src/history/crashes.js';
import { api, connect, pair, sleep, sparePort, type Endpoint, type Json } from './harness.js';
import { createDatabase, missingServices, startPostgres, type Service } from './services.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** One server, started again and again on the same port and data: what a host restarting it looks like. */
interface Server extends Endpoint {
  start(): Promise<void>;
  kill(): Promise<void>;
  /** SIGTERM: drains, saves its rooms, exits 0. */
  stop(): Promise<void>;
  output(): string;
  remove(): void;
}

async function server(env: Record<string, string> = {}): Promise<Server> {
  // A fixed port: a process saves its rooms for the next run on the same port.
  const port = await sparePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-crash-'));
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    GUEST_RATE_LIMIT_PER_MIN: '100000',
    // Long enough that no grace ends a call while the test restarts the server.
    RESUME_GRACE_MS: '60000',
    ...env,
  };
  delete childEnv.NODE_TEST_CONTEXT;
  delete childEnv.REDIS_URL;
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let output = '';
  const reap = () => child?.kill('SIGKILL');
  process.on('exit', reap);

  const exit = async (signal: NodeJS.Signals) => {
    const proc = child!;
    const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    proc.kill(signal);
    const [code] = await exited;
    child = null;
    return code;
  };

  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    async start() {
      const proc = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
        cwd: root,
        env: childEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = proc;
      proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`server exited:\n${output}`);
        const healthy = await api(url, 'GET', '/healthz').then(
          (r) => r.status === 200,
          () => false,
        );
        if (healthy) return;
        if (Date.now() > deadline) throw new Error(`server not healthy within 60 s:\n${output}`);
        await sleep(100);
      }
    },
    async kill() {
      await exit('SIGKILL');
    },
    async stop() {
      assert.equal(await exit('SIGTERM'), 0, `a clean stop exits 0:\n${output}`);
    },
    output: () => output,
    remove() {
      if (child) child.kill('SIGKILL');
      process.off('exit', reap);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The call as the user sees it in GET /api/history. */
async function call(on: Endpoint, token: string, roomId: string): Promise<Json> {
  const response = await api(on.url, 'GET', '/api/history', { token });
  assert.equal(response.status, 200);
  const row = (response.body.connections as Json[]).find((c) => c.id === roomId);
  assert.ok(row, `room ${roomId} is in the history`);
  return row;
}

/**
 * Two users matched, then the process killed: after the next start both see the call ended
 * `disconnected`, no later than the kill and no earlier than the process's last sign of life.
 */
async function killedMidCall(on: Server): Promise<void> {
  const { a, b, roomId } = await pair(on);
  const open = await call(on, a.auth.token, roomId);
  assert.equal(open.endedAt, null, 'the call is open while it lasts');
  // Long enough for the process to say it is alive after the call began: the end shown is that
  // moment, not the call's start.
  await sleep(ALIVE_EVERY_MS + 1500);
  const killedAt = Date.now();
  await on.kill();
  a.socket.ws.terminate();
  b.socket.ws.terminate();
  await on.start();

  for (const token of [a.auth.token, b.auth.token]) {
    const ended = await call(on, token, roomId);
    assert.equal(ended.endReason, 'disconnected');
    assert.ok(ended.endedAt, 'the call has an end');
    const endedAt = Date.parse(ended.endedAt);
    assert.ok(
      endedAt <= killedAt,
      `ended ${ended.endedAt}, no later than the kill ${new Date(killedAt).toISOString()}`,
    );
    assert.ok(endedAt >= Date.parse(ended.startedAt), `ended ${ended.endedAt}, not before it began ${ended.startedAt}`);
    assert.ok(
      endedAt >= killedAt - ALIVE_EVERY_MS - 1000,
      `ended ${ended.endedAt}: when the process was last alive, at most ${ALIVE_EVERY_MS} ms before the kill`,
    );
  }
}

describe('history after a process dies without a drain (SQLite)', () => {
  let on: Server;
  before(async () => {
    on = await server();
    await on.start();
  });
  after(() => on?.remove());

  test('SIGKILL mid-call: the next start shows the call ended disconnected, when the process was last alive', async () => {
    await killedMidCall(on);
  });

  test('a clean restart keeps the call open and both resume it; a kill after that ends it as the new process last saw it', async () => {
    const { a, b, roomId } = await pair(on);
    await on.stop();
    await on.start();
    assert.equal((await call(on, a.auth.token, roomId)).endedAt, null, 'the restored call is still open');

    for (const side of [a, b]) {
      const socket = await connect(on, side.auth.token);
      await socket.next('welcome');
      const matched = await socket.next('matched');
      assert.equal(matched.roomId, roomId);
      assert.equal(matched.resumed, true, 'the room came back from the rooms file');
      socket.ws.terminate();
    }
    const open = await call(on, b.auth.token, roomId);
    assert.equal(open.endedAt, null);
    assert.equal(open.endReason, null);

    // The process that restored the room holds its call now: its own kill ends it.
    const killedAt = Date.now();
    await on.kill();
    await on.start();
    const ended = await call(on, a.auth.token, roomId);
    assert.equal(ended.endReason, 'disconnected');
    assert.ok(Date.parse(ended.endedAt) <= killedAt);
  });
});

const skip = missingServices()?.includes('postgresql') ? missingServices() : null;

describe('history after a process dies without a drain (PostgreSQL)', { skip: skip ?? false }, () => {
  let postgres: Service;
  let on: Server;
  before(async () => {
    postgres = await startPostgres();
    const databaseUrl = await createDatabase(postgres.url, `st_${randomUUID().replace(/-/g, '').slice(0, 16)}`);
    on = await server({ DATABASE_URL: databaseUrl });
    await on.start();
  });
  after(async () => {
    on?.remove();
    await postgres?.close();
  });

  test('SIGKILL mid-call: the next start shows the call ended disconnected, when the process was last alive', async () => {
    await killedMidCall(on);
  });
});
