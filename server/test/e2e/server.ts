import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sparePort } from '../harness.js';

/**
 * The real server as `npm start` runs it (server/dist/main.js in its own process), serving the
 * app's web build, so a test can stop it the way a deploy does (SIGTERM: it drains every socket
 * with 1012 and saves its rooms) and start it again on the same port and data folder.
 */

const root = path.resolve(import.meta.dirname, '../../..');

export interface ServerProcessOptions {
  /** The room a dropped member may come back to; long enough to cover a restart. */
  resumeGraceMs?: number;
  /** Folder served at `/`; the app's web build by default. */
  webDir?: string;
  /** Any other variable of server/src/config.ts. */
  env?: Record<string, string>;
}

export interface ServerProcess {
  url: string;
  port: number;
  dataDir: string;
  /** SIGTERM, wait for the process to exit, start it again on the same port and data folder. */
  restart(): Promise<void>;
  /** SIGTERM and wait for the exit, without starting again. */
  stop(): Promise<void>;
  /** The last lines the process printed (it logs at warn: each one is news). */
  tail(): string[];
  /** Everything the process printed on stdout and stderr, across restarts, unabridged. */
  output(): string;
}

const running = new Set<ChildProcess>();
// A test run that ends early must not leave a server holding its port.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The app's web build, as scripts/setup.sh makes it. */
export const WEB_DIR = path.join(root, 'apps/mobile/dist');

export function webBuildExists(webDir = WEB_DIR): boolean {
  return fs.existsSync(path.join(webDir, 'index.html'));
}

export async function startServerProcess(options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const main = path.join(root, 'server/dist/main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: build first (npm run build, or scripts/setup.sh)`);
  const port = await sparePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-e2e-'));
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    WEB_DIR: options.webDir ?? WEB_DIR,
    LOG_LEVEL: 'warn',
    GUEST_RATE_LIMIT_PER_MIN: '100000',
    RESUME_GRACE_MS: String(options.resumeGraceMs ?? 15_000),
    ...options.env,
  };
  const url = `http://127.0.0.1:${port}`;
  const lines: string[] = [];
  let output = '';
  let child: ChildProcess | null = null;

  const start = async () => {
    const proc = spawn(process.execPath, [main], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.add(proc);
    proc.on('exit', () => running.delete(proc));
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        lines.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
        if (lines.length > 50) lines.shift();
      }
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(
          `server exited (${proc.exitCode ?? proc.signalCode}) before it was healthy:\n${lines.join('\n')}`,
        );
      }
      try {
        if ((await fetch(`${url}/healthz`)).status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`server not healthy within 30 s:\n${lines.join('\n')}`);
      await sleep(50);
    }
  };

  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    // It drains sockets for up to SHUTDOWN_GRACE_MS (10 s by default) before it exits.
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      proc.kill('SIGKILL');
    }, 20_000);
    await exited;
    clearTimeout(timer);
    if (hung) throw new Error(`server did not exit within 20 s of SIGTERM:\n${lines.join('\n')}`);
    if (proc.exitCode !== 0)
      throw new Error(`server exited with ${proc.exitCode ?? proc.signalCode} on SIGTERM:\n${lines.join('\n')}`);
  };

  await start();
  return {
    url,
    port,
    dataDir,
    async restart() {
      await stop();
      await start();
    },
    async stop() {
      await stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    tail: () => [...lines],
    output: () => output,
  };
}
