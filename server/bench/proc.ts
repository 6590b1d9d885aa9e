import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import WebSocket from 'ws';

/** A relay under test, running in its own process(es) so its RSS and CPU are its own. */
export interface Target {
  name: 'server' | 'cluster' | 'group' | 'floor' | 'cluster3';
  pid: number;
  port: number;
  /** Every port users may connect to (one per process), and which one user `index` uses. */
  ports: number[];
  nodeOf(index: number): number;
  /** Processes whose CPU is the relay's: the server processes, and Redis for a cluster. */
  cpuPids: number[];
  /** The data folder of the server's SQLite database (servers and clusters only). */
  dataDir?: string;
  /** The server wants a guest session per socket; the floor takes anyone. */
  needsGuests: boolean;
  /** The last lines the process wrote (warnings, a crash), for the report. */
  tail(): string[];
  /** Lines the process wrote while we ran: the server logs at warn, so any line is news. */
  lineCount(): number;
  /** Memory in use after a full garbage collection. */
  memory(): Promise<Memory>;
  /** Ends the session memory() opened, before load runs. */
  releaseInspector(): void;
  /** What the target's Redis has done so far, for targets that have one. */
  redisStats?(): Promise<RedisStats>;
  stop(): Promise<void>;
}

export interface Memory {
  rssKb: number;
  heapKb: number;
}

/** Counters from Redis's INFO: subtract two readings to see what happened between them. */
export interface RedisStats {
  /** Calls by command (INFO commandstats), the commands scripts run included; the readings' own INFO left out. */
  calls: Record<string, number>;
  /** CPU seconds Redis has used (user + system). */
  cpuS: number;
  /** Bytes Redis has read from and written to its clients. */
  netInBytes: number;
  netOutBytes: number;
}

const children = new Set<ChildProcess>();
const scratchDirs = new Set<string>();

// A bench that stops early, by error or Ctrl-C, must not leave a relay holding a port and its
// sockets, nor a database in /tmp.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of scratchDirs) fs.rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => process.exit(128 + os.constants.signals[signal]));
}

/** Another build of the server to start instead of server/dist (run.ts --server-main): to measure an older commit. */
let serverMain: string | null = null;
export function useServerBuild(mainJs: string): void {
  serverMain = mainJs;
}

/** A port nobody listens on right now: good enough on a machine where we pick the port and start at once. */
export async function sparePort(): Promise<number> {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as net.AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

/** Resident set of a process in KB, as the kernel counts it (heap, code, and every buffer the process touched). */
export function rssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux build we run on. */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces, so count fields after its ')': utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * CPU seconds the whole machine spent busy so far (every process and the kernel), from
 * /proc/stat: with the target's and the bench's own share taken out, what remains shows how
 * much a neighbour took while we measured.
 */
export function machineBusySeconds(): number {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
}

/**
 * A DevTools session on a target, used for one thing: a full garbage collection before memory
 * is read, so that RSS counts what is alive rather than what the last GC happened to leave.
 * The session is closed before any load runs, so it costs the target nothing later.
 */
class Inspector {
  private lastId = 0;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const reply = JSON.parse(data.toString()) as { id?: number; result?: unknown };
      if (reply.id !== undefined) this.pending.get(reply.id)?.(reply.result);
    });
  }

  static async open(url: string): Promise<Inspector> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await once(ws, 'open');
    return new Inspector(ws);
  }

  call(method: string, params: object = {}): Promise<unknown> {
    const id = ++this.lastId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`inspector: no answer to ${method}`)), 30_000);
      this.pending.set(id, (result) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(result);
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** What the inspector prints on stderr: not the target's own output. */
const INSPECTOR_CHATTER =
  /^(Debugger listening on|For help, see: https:\/\/nodejs.org|Debugger attached|Debugger ending on|Waiting for the debugger to disconnect)/;

interface LaunchOptions {
  name: Target['name'];
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Extra node flags (e.g. --cpu-prof) for profiling a target. */
  nodeFlags: string[];
  /** A line the process prints once it listens; it is not counted as output. */
  readyLine?: RegExp;
}

type Process = Pick<Target, 'pid' | 'tail' | 'lineCount' | 'memory' | 'releaseInspector' | 'stop'> & {
  /** Resolves when `ready` does; rejects with the process's last words if it dies or takes too long. */
  until(ready: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void>;
  sawReadyLine(): boolean;
};

/**
 * The V8 flags `npm start` runs the server with (scripts/start.sh, where it says why), given to
 * every relay here, the floor too: the floor is the same runtime without the product, so a
 * setting that makes any relay cheaper never shows as the server's own gain.
 */
export const RUNTIME_FLAGS = ['--max-semi-space-size=32', '--heap-growing-percent=400'];

/** Starts node with the inspector on a spare loopback port, keeping the last lines it prints. */
function launch(options: LaunchOptions): Process {
  const { name } = options;
  const child = spawn(
    process.execPath,
    ['--inspect=127.0.0.1:0', ...RUNTIME_FLAGS, ...options.nodeFlags, ...options.args],
    {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  const lines: string[] = [];
  let count = 0;
  let readySeen = false;
  let inspectorUrl: string | null = null;
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      if (INSPECTOR_CHATTER.test(line)) {
        inspectorUrl ??= /ws:\/\/\S+/.exec(line)?.[0] ?? null;
        continue;
      }
      if (!readySeen && options.readyLine?.test(line)) {
        readySeen = true;
        continue;
      }
      count += 1;
      lines.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
      if (lines.length > 20) lines.shift();
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) =>
    child.on('exit', () => {
      children.delete(child);
      resolve();
    }),
  );
  let inspector: Inspector | null = null;

  const proc: Process = {
    pid: child.pid!,
    tail: () => [...lines],
    lineCount: () => count,
    sawReadyLine: () => readySeen,

    async until(ready, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (child.exitCode !== null)
          throw new Error(`${name} exited with ${child.exitCode} before it was ready:\n${lines.join('\n')}`);
        if (await ready()) return;
        await sleep(100);
      }
      await proc.stop();
      throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${lines.join('\n')}`);
    },

    async memory() {
      if (!inspectorUrl) throw new Error(`${name}: the inspector did not say where it listens`);
      inspector ??= await Inspector.open(inspectorUrl);
      // Twice: the first collection runs finalizers whose garbage only the second one frees.
      await inspector.call('HeapProfiler.collectGarbage');
      await inspector.call('HeapProfiler.collectGarbage');
      const heap = (await inspector.call('Runtime.evaluate', {
        expression: 'process.memoryUsage().heapUsed',
        returnByValue: true,
      })) as {
        result: { value: number };
      };
      // The kernel takes freed pages back lazily: the lowest of a few readings.
      let lowest = Infinity;
      for (let i = 0; i < 5; i++) {
        await sleep(200);
        lowest = Math.min(lowest, rssKb(child.pid!));
      }
      return { rssKb: lowest, heapKb: heap.result.value / 1024 };
    },

    releaseInspector() {
      inspector?.close();
      inspector = null;
    },

    async stop() {
      // Close the session first: node waits for an attached debugger before it exits.
      proc.releaseInspector();
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      if ((await Promise.race([exited, sleep(5000, 'timeout' as const)])) === 'timeout') child.kill('SIGKILL');
      await exited;
    },
  };
  return proc;
}

/**
 * The real server, as built in server/dist, with a fresh database and its default per-address
 * limits unless `env` sets others.
 */
export async function startServer(
  root: string,
  nodeFlags: string[] = [],
  env: Record<string, string> = {},
): Promise<Target> {
  const port = await sparePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-bench-'));
  scratchDirs.add(dataDir);
  const proc = launch({
    name: 'server',
    args: [serverMain ?? path.join(root, 'server/dist/main.js')],
    env: {
      GUEST_RATE_LIMIT_PER_MIN: '1000000',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
    cwd: root,
    nodeFlags,
  });
  const healthy = async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
    } catch {
      return false; // not listening yet
    }
  };
  await proc.until(healthy, 60_000);
  return {
    ...proc,
    name: 'server',
    port,
    ports: [port],
    nodeOf: () => 0,
    cpuPids: [proc.pid],
    needsGuests: true,
    dataDir,
    async stop() {
      await proc.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
      scratchDirs.delete(dataDir);
    },
  };
}

/** The bare relay of floor.ts, run through tsx like the bench itself. */
export async function startFloor(root: string, nodeFlags: string[] = []): Promise<Target> {
  const port = await sparePort();
  const proc = launch({
    name: 'floor',
    args: ['--import', 'tsx', path.join(root, 'server/bench/floor.ts')],
    env: { PORT: String(port) },
    cwd: root,
    nodeFlags,
    readyLine: /^floor listening/,
  });
  await proc.until(proc.sawReadyLine, 30_000);
  return { ...proc, name: 'floor', port, ports: [port], nodeOf: () => 0, cpuPids: [proc.pid], needsGuests: false };
}

/** True when a `redis-server` can be started for the cluster target. */
export function haveRedis(): boolean {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => dir && fs.existsSync(path.join(dir, 'redis-server')));
}

interface RedisProcess {
  port: number;
  pid: number;
  stats(): Promise<RedisStats>;
  stop(): Promise<void>;
}

/** A `redis-server` of the bench's own, on loopback, without persistence: the same for every target that has one. */
async function startRedis(dataDir: string): Promise<RedisProcess> {
  const port = await sparePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dataDir],
    { stdio: 'ignore' },
  );
  children.add(redis);
  const exited = new Promise<void>((resolve) => redis.on('exit', () => resolve()));
  // The bench's own connection, opened at the first reading, which is before the load.
  let client: Redis | null = null;
  return {
    port,
    pid: redis.pid!,
    async stats() {
      client ??= new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
      return parseInfo(await client.info('all'));
    },
    async stop() {
      client?.disconnect();
      redis.kill('SIGKILL');
      await exited;
      children.delete(redis);
    },
  };
}

function parseInfo(info: string): RedisStats {
  const stats: RedisStats = { calls: {}, cpuS: 0, netInBytes: 0, netOutBytes: 0 };
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (key.startsWith('cmdstat_')) {
      const command = key.slice('cmdstat_'.length);
      if (command !== 'info') stats.calls[command] = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
    } else if (key === 'used_cpu_user' || key === 'used_cpu_sys') {
      stats.cpuS += Number(value);
    } else if (key === 'total_net_input_bytes') {
      stats.netInBytes = Number(value);
    } else if (key === 'total_net_output_bytes') {
      stats.netOutBytes = Number(value);
    }
  }
  return stats;
}

/**
 * `count` server processes, as built in server/dist, on a `redis-server` of their own (no
 * persistence) and one SQLite file in a shared folder (as `npm run start:cluster` does on one
 * machine): the scale-out configuration without PostgreSQL, whose cost is not the relay's.
 * Users go to the processes by `nodeOf`; `env` adds settings to every process.
 */
export async function startCluster(
  root: string,
  count: number,
  name: 'cluster' | 'cluster3',
  nodeOf: (index: number) => number,
  nodeFlags: string[] = [],
  env: Record<string, string> = {},
): Promise<Target> {
  return onOwnRedis({ name, count, nodeOf, needsGuests: true }, async (port, redisUrl, dataDir) => {
    const proc = launch({
      name: 'server',
      args: [serverMain ?? path.join(root, 'server/dist/main.js')],
      env: {
        GUEST_RATE_LIMIT_PER_MIN: '1000000',
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        REDIS_URL: redisUrl,
        REDIS_PREFIX: 'bench',
      },
      cwd: root,
      nodeFlags,
    });
    // One after the other (onOwnRedis waits): the first creates the SQLite schema.
    await proc.until(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
      } catch {
        return false;
      }
    }, 60_000);
    return proc;
  });
}

/**
 * The group_send model (group-relay.ts): two processes on a `redis-server` of their own, set up
 * as the cluster's, users split between them by `nodeOf` as in the cluster.
 */
export async function startGroupModel(
  root: string,
  nodeOf: (index: number) => number,
  nodeFlags: string[] = [],
): Promise<Target> {
  return onOwnRedis({ name: 'group', count: 2, nodeOf, needsGuests: false }, async (port, redisUrl) => {
    const proc = launch({
      name: 'group',
      args: ['--import', 'tsx', path.join(root, 'server/bench/group-relay.ts')],
      env: { PORT: String(port), REDIS_URL: redisUrl },
      cwd: root,
      nodeFlags,
      readyLine: /^group listening/,
    });
    await proc.until(proc.sawReadyLine, 30_000);
    return proc;
  });
}

/**
 * `count` processes on a `redis-server` of their own (no persistence) and a scratch folder, started
 * one after the other by `start` (which returns once its process is ready), seen as one Target.
 */
async function onOwnRedis(
  target: Pick<Target, 'name' | 'nodeOf' | 'needsGuests'> & { count: number },
  start: (port: number, redisUrl: string, dataDir: string) => Promise<Process>,
): Promise<Target> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-bench-'));
  scratchDirs.add(dataDir);
  const redis = await startRedis(dataDir);
  const procs: Array<Process & { port: number }> = [];
  const stopAll = async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await redis.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    scratchDirs.delete(dataDir);
  };
  try {
    for (let i = 0; i < target.count; i++) {
      const port = await sparePort();
      procs.push(Object.assign(await start(port, `redis://127.0.0.1:${redis.port}`, dataDir), { port }));
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  const first = procs[0]!;
  return {
    name: target.name,
    pid: first.pid,
    port: first.port,
    ports: procs.map((p) => p.port),
    nodeOf: target.nodeOf,
    dataDir,
    cpuPids: [...procs.map((p) => p.pid), redis.pid],
    needsGuests: target.needsGuests,
    tail: () => procs.flatMap((p, i) => p.tail().map((line) => `[${i}] ${line}`)),
    lineCount: () => procs.reduce((n, p) => n + p.lineCount(), 0),
    async memory() {
      // Every process, and Redis (which holds a presence key per connected user).
      const each = await Promise.all(procs.map((p) => p.memory()));
      return {
        rssKb: each.reduce((n, m) => n + m.rssKb, 0) + rssKb(redis.pid),
        heapKb: each.reduce((n, m) => n + m.heapKb, 0),
      };
    },
    releaseInspector: () => procs.forEach((p) => p.releaseInspector()),
    redisStats: () => redis.stats(),
    stop: stopAll,
  };
}
