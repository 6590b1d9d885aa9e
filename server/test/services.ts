/**
 * Real PostgreSQL and Redis for the scale-out suites, started by the tests themselves: a
 * throw-away PostgreSQL cluster (initdb from the machine's binaries, as the `postgres` user when
 * running as root) and a `redis-server` without persistence, each on a spare port, each stopped
 * and removed at the end, even when a test file dies half way (see `cleanUpAtExit`).
 *
 * `DATABASE_URL` / `REDIS_URL` in the environment name existing services to use instead; the
 * fault tests, which must stop and restart a service, skip themselves then.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface Service {
  /** Where the service listens (for PostgreSQL: the `postgres` database, for creating others). */
  url: string;
  /** False when the service came from the environment: the tests cannot stop it. */
  owned: boolean;
  /** Stops the service, keeping its data directory, so `start` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes what it left on disk. */
  close(): Promise<void>;
}

/** Why a scale-out suite cannot run here, or null when it can. */
export function missingServices(): string | null {
  const missing: string[] = [];
  if (!process.env.DATABASE_URL && !pgBin('initdb')) missing.push('postgresql');
  if (!process.env.REDIS_URL && !onPath('redis-server')) missing.push('redis-server');
  if (missing.length === 0) return null;
  return `needs ${missing.join(' and ')}: install them (Debian: apt-get install ${missing.join(' ')}) or set DATABASE_URL / REDIS_URL`;
}

async function sparePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** A PostgreSQL binary from the newest version installed under /usr/lib/postgresql, or from PATH. */
function pgBin(name: string): string | null {
  const base = '/usr/lib/postgresql';
  if (fs.existsSync(base)) {
    const versions = fs.readdirSync(base).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const file = path.join(base, version, 'bin', name);
      if (fs.existsSync(file)) return file;
    }
  }
  return onPath(name) ? name : null;
}

const cleanups = new Set<() => void>();
let exitHookInstalled = false;
/** Synchronous last resort for services a crashed test file never stopped: no stray servers or temp dirs. */
function cleanUpAtExit(cleanup: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const fn of cleanups) {
        try {
          fn();
        } catch {
          // best effort at exit
        }
      }
    });
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// ---- PostgreSQL ---------------------------------------------------------------

/**
 * A throw-away PostgreSQL cluster on a spare port. initdb refuses to run as root, so as root
 * every command runs as the `postgres` user in a temp folder handed to it.
 */
export async function startPostgres(): Promise<Service> {
  if (process.env.DATABASE_URL) return external(process.env.DATABASE_URL);
  const initdb = pgBin('initdb');
  const pgCtl = pgBin('pg_ctl');
  if (!initdb || !pgCtl) throw new Error(missingServices() ?? 'PostgreSQL binaries not found');
  const root = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-pg-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  if (root) execFileSync('chown', ['postgres:postgres', dir]);
  const run = (file: string, args: string[]) => {
    const [command, argv] = root ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
    return spawnSync(command, argv, { encoding: 'utf8', cwd: dir });
  };
  const initialized = run(initdb, [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  if (initialized.status !== 0) throw new Error(`initdb failed: ${initialized.stderr}`);
  const port = await sparePort();
  // No fsync: the cluster is thrown away, and writes still reach the OS, so a crash of PostgreSQL
  // (the restart test stops it with -m immediate) loses nothing. Not synchronous_commit=off: that
  // leaves commits in PostgreSQL's own buffers, which an immediate stop does lose.
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=300',
    '-c shared_buffers=32MB',
  ].join(' ');
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

  let running = false;
  const start = async () => {
    const started = run(pgCtl, ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '30', 'start']);
    if (started.status !== 0)
      throw new Error(`pg_ctl start failed: ${started.stderr}\n${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    running = true;
  };
  // `immediate`: the restart test wants the abrupt stop a crash would be, and it is quickest.
  const stopNow = () => {
    if (!running) return;
    run(pgCtl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
    running = false;
  };
  const remove = () => {
    stopNow();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const forget = cleanUpAtExit(remove);
  await start();
  return {
    url,
    owned: true,
    start,
    async stop() {
      stopNow();
    },
    async close() {
      forget();
      remove();
    },
  };
}

/**
 * Creates database `name` on the server of `adminUrl` (once: an existing one is kept, so a
 * server restarted on the same data folder finds its data) and returns its URL.
 */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database "${name}"`);
  } catch (error) {
    if ((error as { code?: string }).code !== '42P04') throw error; // duplicate_database
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A database name (and Redis prefix) derived from a server's data folder: one per test server. */
export function nameFor(dataDir: string): string {
  return `st_${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
}

// ---- Redis ----------------------------------------------------------------------

/** Sends PING over a bare TCP socket: true when Redis answers +PONG. */
function redisAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    let text = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      text += chunk.toString();
      if (text.includes('\r\n')) done(text.startsWith('+PONG'));
    });
  });
}

/** A `redis-server` on a spare port with no persistence: a restart comes back empty, as a lost Redis would. */
export async function startRedis(): Promise<Service> {
  if (process.env.REDIS_URL) return external(process.env.REDIS_URL);
  if (!onPath('redis-server')) throw new Error(missingServices() ?? 'redis-server not found');
  const port = await sparePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-redis-'));
  let child: ChildProcess | null = null;
  const start = async () => {
    const spawned = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--loglevel',
        'warning',
      ],
      { stdio: 'ignore' },
    );
    child = spawned;
    await waitUntil(
      'redis-server to answer',
      async () => {
        if (spawned.exitCode !== null) throw new Error(`redis-server exited with ${spawned.exitCode}`);
        return redisAnswers(port);
      },
      10_000,
    );
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    running.kill('SIGKILL');
    await once(running, 'exit');
  };
  const forget = cleanUpAtExit(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    owned: true,
    start,
    stop,
    async close() {
      await stop();
      forget();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function external(url: string): Service {
  const refuse = async () => {
    throw new Error(`${url} came from the environment: the tests do not stop or start it`);
  };
  return { url, owned: false, stop: refuse, start: refuse, close: async () => {} };
}
