/**
 * Real server processes sharing one Redis and one PostgreSQL database: what a deployment with
 * N replicas is, on one machine. Each process is `server/src/main.ts` in a child process on a
 * spare port, so signals (SIGTERM, SIGKILL) reach it exactly as they would in production.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, sparePort, type Endpoint } from './harness.js';
import { createDatabase, startPostgres, startRedis, type Service } from './services.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ClusterNode extends Endpoint {
  index: number;
  port: number;
  child: ChildProcess;
  /** Everything the process printed (it logs at warn). */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
}

export interface Services {
  redis: Service;
  postgres: Service;
  close(): Promise<void>;
}

/** Redis and PostgreSQL for a test file: started by the test, or taken from REDIS_URL / DATABASE_URL. */
export async function startServices(): Promise<Services> {
  const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  return {
    redis,
    postgres,
    async close() {
      await Promise.all([redis.close(), postgres.close()]);
    },
  };
}

export interface Cluster {
  nodes: ClusterNode[];
  env: Record<string, string>;
  /** Starts one more process of this cluster (a replacement, or a scale-up). */
  add(): Promise<ClusterNode>;
  /** Kills every process still running (SIGKILL) and removes their data folders. */
  close(): Promise<void>;
}

/**
 * `count` processes on a fresh database and a fresh Redis prefix. Limits are raised because the
 * tests open thousands of sockets from one loopback address.
 */
export async function startCluster(
  services: Services,
  count: number,
  env: Record<string, string> = {},
): Promise<Cluster> {
  const name = `st_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const clusterEnv: Record<string, string> = {
    DATABASE_URL: await createDatabase(services.postgres.url, name),
    REDIS_URL: services.redis.url,
    REDIS_PREFIX: name,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    MAX_SOCKETS_PER_ADDRESS: '5000',
    GUEST_RATE_LIMIT_PER_MIN: '100000',
    // As in harness.ts: suites rematch the same pair on purpose; the cooldown's tests set it.
    REMATCH_COOLDOWN_S: '0',
    ...env,
  };
  const nodes: ClusterNode[] = [];
  const dirs: string[] = [];
  const add = async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-node-'));
    dirs.push(dir);
    const node = await startNode(nodes.length, { ...clusterEnv, DATA_DIR: dir });
    nodes.push(node);
    return node;
  };
  // One at a time: the first runs the migrations, and two cores are shared with other suites.
  for (let i = 0; i < count; i++) await add();
  return {
    nodes,
    env: clusterEnv,
    add,
    async close() {
      await Promise.all(
        nodes.map(async (node) => {
          if (node.alive()) node.child.kill('SIGKILL');
          await node.exited;
        }),
      );
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startNode(index: number, env: Record<string, string>): Promise<ClusterNode> {
  const port = await sparePort();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, PORT: String(port) };
  delete childEnv.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let running = true;
  void exited.then(() => (running = false));
  // A test file that dies must not leave servers behind.
  const reap = () => {
    if (running) child.kill('SIGKILL');
  };
  process.on('exit', reap);
  void exited.then(() => process.off('exit', reap));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!running) throw new Error(`node ${index} exited while starting:\n${output}`);
    const ok = await api(url, 'GET', '/healthz').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`node ${index} did not answer /healthz:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    index,
    port,
    url,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    child,
    output: () => output,
    exited,
    alive: () => running,
  };
}
