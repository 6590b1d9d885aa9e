import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { logFormatFor } from '../src/logging/output.js';
import { api } from './harness.js';

/**
 * What `npm start` prints (server/src/logging/output.ts): readable lines after "where to open
 * the app" in a terminal, JSON everywhere else. The terminal is a real pseudo-terminal, made by
 * util-linux's `script` (in every Debian), so the server finds stdout.isTTY as in a shell.
 */

const root = path.resolve(import.meta.dirname, '../..');
const TURN_SECRET = 'turn-secret-never-logged-0123456789';
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGKILL');
});

// ANSI colour codes (pino-pretty colours a terminal's lines) and the terminal's \r.
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');

async function serve(
  terminal: boolean,
): Promise<{ url: string; output(): string; until(line: RegExp): Promise<void>; stop(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-log-output-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'trace',
    TURN_URLS: 'turn:127.0.0.1:3478?transport=udp',
    TURN_SECRET,
    // Colours on, as in most terminals, so the test reads through them.
    FORCE_COLOR: '1',
  };
  delete env.NODE_TEST_CONTEXT;
  delete env.NO_COLOR;
  const server = [process.execPath, '--import', 'tsx', 'server/src/main.ts'];
  const [command, args] = terminal
    ? ['script', ['-qfec', server.map((part) => `'${part}'`).join(' '), '/dev/null']]
    : [server[0]!, server.slice(1)];
  // Its own process group: stop() signals the server behind `script` too.
  const child = spawn(command as string, args as string[], {
    cwd: root,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!(url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(plain(output))?.[1])) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url,
    output: () => plain(output),
    // A request's "completed" line is written once its response has left, so the test may have
    // the response first; stopping then could cut the line off (or `script` drop the terminal's
    // last lines as the server exits). Waiting for it is what a person at the terminal does.
    async until(line) {
      const deadline = Date.now() + 10_000;
      while (!line.test(plain(output))) {
        if (Date.now() > deadline) throw new Error(`no line matching ${line} in:\n${plain(output)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      // The server, as Ctrl-C or a supervisor would stop it; `script` then ends with it. Signalling
      // `script` itself would add its own "Session terminated" line to the terminal.
      for (const pid of terminal ? childrenOf(child.pid!) : [child.pid!]) process.kill(pid, 'SIGTERM');
      await exited;
    },
  };
}

/** The processes `pid` started (Linux's /proc): the shell `script` runs, or the server it became. */
function childrenOf(pid: number): number[] {
  const text = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  if (!text) throw new Error(`process ${pid} has no child`);
  return text.split(/\s+/).map(Number);
}

/** A guest signs in and asks for TURN credentials: a token, a cookie and credentials that must not be logged. */
async function exercise(url: string): Promise<string[]> {
  const guest = (await api(url, 'POST', '/api/auth/guest', { body: { displayName: 'Ada' } })).body as { token: string };
  const ice = (await api(url, 'GET', '/api/ice', { headers: { cookie: `st_session=${guest.token}` } })).body as {
    iceServers: Array<{ username: string; credential: string }>;
  };
  const { username, credential } = ice.iceServers[0]!;
  return [guest.token, username, credential, TURN_SECRET];
}

describe('what npm start prints', () => {
  test('the choice: readable lines for a terminal, JSON for anything else', () => {
    assert.equal(logFormatFor({ isTTY: true }), 'pretty');
    assert.equal(logFormatFor({ isTTY: false }), 'json');
    assert.equal(logFormatFor({}), 'json');
  });

  test('in a terminal: first where to open the app, then one readable line per event, secrets still redacted', async () => {
    const server = await serve(true);
    const secrets = await exercise(server.url);
    await server.until(/INFO: request completed .*"statusCode":200/);
    await server.stop();
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.trim() !== '');
    const port = new URL(server.url).port;
    assert.equal(
      lines[0],
      `Small Talk is running: open http://localhost:${port}`,
      `the first line:\n${lines.slice(0, 5).join('\n')}`,
    );
    const events = lines.slice(1);
    // The events of the requests above, each on one line: time, level, message, its fields.
    assert.ok(events.length >= 6, `few lines:\n${events.join('\n')}`);
    for (const line of events) {
      assert.match(
        line,
        /^\[\d\d:\d\d:\d\d\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): \S/,
        'a line that is not one readable event',
      );
      assert.throws(() => JSON.parse(line), 'a JSON line in the terminal');
    }
    assert.ok(
      events.some((line) => /INFO: request completed .*"statusCode":200/.test(line)),
      'the requests are logged',
    );
    assert.ok(events.some((line) => line.includes('INFO: Server listening at')));
    for (const secret of secrets) {
      const line = events.find((l) => l.includes(secret));
      assert.equal(line, undefined, `the terminal shows ${JSON.stringify(secret)}: ${line}`);
    }
  });

  test('not a terminal (a container, a pipe): JSON lines as before, no banner', async () => {
    const server = await serve(false);
    const secrets = await exercise(server.url);
    await server.until(/"msg":"request completed"/);
    await server.stop();
    const lines = server
      .output()
      .split('\n')
      .filter((line) => line.trim() !== '');
    assert.ok(lines.length >= 6);
    for (const line of lines) {
      const entry = JSON.parse(line) as { level: number; msg: string };
      assert.equal(typeof entry.level, 'number');
      assert.equal(typeof entry.msg, 'string');
    }
    assert.ok(!server.output().includes('Small Talk is running'));
    assert.ok(lines.some((line) => line.includes('"request completed"')));
    for (const secret of secrets)
      assert.ok(!server.output().includes(secret), `the log holds ${JSON.stringify(secret)}`);
  });
});
