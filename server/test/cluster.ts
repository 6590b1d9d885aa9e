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
import { after, afterEach, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { api, sparePort, type Client, type Endpoint } from './harness.js';
import { createDatabase, missingServices, startPostgres, startRedis, type Service } from './services.js';

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
  /** Starts a process that exited again, on its port and data folder, as a supervisor would; it takes its place in `nodes`. */
  restart(node: ClusterNode): Promise<ClusterNode>;
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
  const restart = async (node: ClusterNode) => {
    if (node.alive()) throw new Error(`node ${node.index} is still running`);
    const again = await startNode(node.index, { ...clusterEnv, DATA_DIR: dirs[node.index]! }, node.port);
    nodes[node.index] = again;
    return again;
  };
  // One at a time: the first runs the migrations, and two cores are shared with other suites.
  for (let i = 0; i < count; i++) await add();
  return {
    nodes,
    env: clusterEnv,
    add,
    restart,
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

export async function startNode(index: number, env: Record<string, string>, port?: number): Promise<ClusterNode> {
  port ??= await sparePort();
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

export interface ClusterSuite {
  /** For the file's describe(): why it cannot run here (Redis or PostgreSQL missing), or false. */
  skip: string | false;
  /** The processes started for the file, filled by its first `before`. */
  nodes: ClusterNode[];
  /** Sockets a test opened: each is closed (or its close awaited) after the test, so no user stays queued into the next. */
  opened: Client[];
  /** Started in the first `before`; reading it earlier is a mistake in the test. */
  readonly services: Services;
  readonly cluster: Cluster;
}

/**
 * A test file's cluster, set up once: `count` processes on fresh Redis and PostgreSQL before the
 * file's first test, killed and removed after its last, and the sockets in `opened` closed after
 * each test. Called at the file's top level. A top-level `before` starts at once, beside the
 * others, so what the cluster needs first goes in `env` (an async function: it starts a fake
 * SMTP server and returns its URL) and what needs the cluster goes in `ready` (a moderator made).
 */
export function useCluster(
  count: number,
  env: Record<string, string> | (() => Promise<Record<string, string>>) = {},
  ready?: (suite: ClusterSuite) => Promise<void>,
): ClusterSuite {
  const skip = missingServices() ?? false;
  let services: Services | undefined;
  let cluster: Cluster | undefined;
  const nodes: ClusterNode[] = [];
  const opened: Client[] = [];
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the cluster's ${what} is read before its before() ran`);
    return value;
  };
  const suite: ClusterSuite = {
    skip,
    nodes,
    opened,
    get services() {
      return started(services, 'services');
    },
    get cluster() {
      return started(cluster, 'processes');
    },
  };
  before(async () => {
    if (skip) return;
    const clusterEnv = typeof env === 'function' ? await env() : env;
    services = await startServices();
    cluster = await startCluster(services, count, clusterEnv);
    nodes.push(...cluster.nodes);
    await ready?.(suite);
  });
  after(async () => {
    await cluster?.close();
    await services?.close();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => (c.closeCode === undefined ? c.close() : c.closed)));
  });
  return suite;
}
