import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A relay under test, running in its own process so its RSS and CPU are its own. */
export interface Target {
  name: 'server' | 'floor';
  pid: number;
  port: number;
  /** The server wants a guest session per socket; the floor takes anyone. */
  needsGuests: boolean;
  /** The last lines the process wrote (warnings, a crash), for the report. */
  tail(): string[];
  /** Lines the process wrote while we ran: the server logs at warn, so any line is news. */
  lineCount(): number;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();

// A bench that dies must not leave a server holding a port and 2 cores' worth of sockets.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
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
 * RSS once it has stopped moving: V8 frees and the kernel reclaims lazily, so one reading right
 * after a burst of work can be off by megabytes. Takes the lowest of a few readings.
 */
export async function settledRssKb(pid: number, ms = 2000): Promise<number> {
  let lowest = Infinity;
  const readings = 5;
  for (let i = 0; i < readings; i++) {
    await sleep(ms / readings);
    lowest = Math.min(lowest, rssKb(pid));
  }
  return lowest;
}

function launch(name: Target['name'], args: string[], env: Record<string, string>, cwd: string) {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines: string[] = [];
  let count = 0;
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      count += 1;
      lines.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
      if (lines.length > 20) lines.shift();
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    exited,
    tail: () => [...lines],
    lineCount: () => count,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(5000, 'timeout' as const)]);
      if (code === 'timeout') child.kill('SIGKILL');
      await exited;
    },
    label: `${name} (pid ${child.pid})`,
  };
}

/** Resolves when `ready` does, or rejects with the process's last words if it dies or takes too long. */
async function untilReady(proc: ReturnType<typeof launch>, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) {
      throw new Error(`${proc.label} exited with ${proc.child.exitCode} before it was ready:\n${proc.tail().join('\n')}`);
    }
    if (await ready()) return;
    await sleep(100);
  }
  await proc.stop();
  throw new Error(`${proc.label} was not ready within ${timeoutMs} ms:\n${proc.tail().join('\n')}`);
}

/** The real server, built (server/dist), with a fresh database and its default per-address limits. */
export async function startServer(root: string): Promise<Target> {
  const port = await sparePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-bench-'));
  const proc = launch('server', [path.join(root, 'server/dist/main.js')], { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, root);
  await untilReady(
    proc,
    async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
      } catch {
        return false; // not listening yet
      }
    },
    60_000,
  );
  return {
    name: 'server',
    pid: proc.child.pid!,
    port,
    needsGuests: true,
    tail: proc.tail,
    lineCount: proc.lineCount,
    async stop() {
      await proc.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The bare relay of floor.ts, run through tsx like the bench itself. */
export async function startFloor(root: string): Promise<Target> {
  const port = await sparePort();
  const proc = launch('floor', ['--import', 'tsx', path.join(root, 'server/bench/floor.ts')], { PORT: String(port) }, root);
  await untilReady(proc, async () => proc.tail().some((line) => line.startsWith('floor listening')), 30_000);
  return { name: 'floor', pid: proc.child.pid!, port, needsGuests: false, tail: proc.tail, lineCount: () => proc.lineCount() - 1, stop: proc.stop };
}
