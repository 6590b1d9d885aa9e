import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sparePort } from '../harness.js';

/**
 * A real coturn on loopback, with the flags found to work here (docs/testing.md), checking
 * TURN REST API credentials (`use-auth-secret`) against `secret`: what docs/deploy.md runs in
 * production, minus TLS and plus loopback peers (every candidate is loopback in the test namespace).
 */

export interface TurnServer {
  /** The UDP and TCP port coturn listens on. */
  port: number;
  /** Relayed media uses ports in this range (relay candidates have one of them). */
  relayPorts: { min: number; max: number };
  /** A TURN URL for TURN_URLS. */
  url(transport?: 'udp' | 'tcp'): string;
  /** coturn's log so far. */
  log(): string;
  stop(): Promise<void>;
}

export function turnserverInstalled(): boolean {
  return spawnSync('sh', ['-c', 'command -v turnserver'], { stdio: 'ignore' }).status === 0;
}

const running = new Set<ChildProcess>();
// A test run that ends early must not leave coturn holding its ports.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startTurnServer(options: { secret: string; realm?: string }): Promise<TurnServer> {
  const port = await sparePort();
  // A window of its own, so a second coturn (another suite outside a network namespace) rarely collides.
  const min = 49160 + 100 * Math.floor(Math.random() * 150);
  const relayPorts = { min, max: min + 99 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-turn-'));
  const logFile = path.join(dir, 'turn.log');
  const args = [
    '-n',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    `--min-port=${relayPorts.min}`,
    `--max-port=${relayPorts.max}`,
    '--use-auth-secret',
    `--static-auth-secret=${options.secret}`,
    `--realm=${options.realm ?? 'smalltalk'}`,
    '--fingerprint',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--no-rfc5780',
    '--no-multicast-peers',
    // Every peer is on loopback here; without this each CreatePermission gets 403. Never in production.
    '--allow-loopback-peers',
    // Keeps coturn out of /var/lib/turn.
    `--userdb=${path.join(dir, 'turndb')}`,
    `--pidfile=${path.join(dir, 'turn.pid')}`,
    `--log-file=${logFile}`,
    '--simple-log',
    '--no-stdout-log',
  ];
  const child = spawn('turnserver', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');

  // Ready once its TCP listener accepts (it opens UDP and TCP on the same port together).
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `turnserver exited (${child.exitCode ?? child.signalCode}) before listening:\n${stderr}\n${log()}`,
      );
    }
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`turnserver not listening on ${port} within 10 s:\n${stderr}\n${log()}`);
    }
    await sleep(50);
  }

  return {
    port,
    relayPorts,
    url: (transport = 'udp') => `turn:127.0.0.1:${port}?transport=${transport}`,
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
