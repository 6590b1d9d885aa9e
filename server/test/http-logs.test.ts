import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { api, Client, uniqueEmail } from './harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** coturn's static-auth-secret: signs TURN credentials, so neither it nor they may be logged. */
const TURN_SECRET = 'turn-secret-never-logged-0123456789';
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/**
 * Runs the real entry point (server/src/main.ts) in a child process, so its pino output on
 * stdout can be read whole: pino writes to file descriptor 1 directly, past process.stdout.
 */
async function serve(logLevel: string): Promise<{ url: string; output(): string; stop(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-logs-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: logLevel,
    GUEST_RATE_LIMIT_PER_MIN: '100000',
    TURN_URLS: 'turn:127.0.0.1:3478?transport=udp',
    TURN_SECRET,
  };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const deadline = Date.now() + 20_000;
  let url: string | undefined;
  while (!(url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1])) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

async function openSocket(url: string, headers: Record<string, string>): Promise<Client> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers });
  const client = new Client(ws);
  await once(ws, 'open');
  await client.next('welcome');
  return client;
}

/** Signs in every way there is, with secrets in every place a log line could pick them up. */
async function exercise(url: string): Promise<{ secrets: string[]; requests: number }> {
  const password = 'Pa55word-never-logged';
  const wrongPassword = 'Wr0ng-password-never-logged';
  const signalSecret = 'a=candidate 198.51.100.23 never-logged';
  const email = uniqueEmail('logs');
  let requests = 0;
  const call = (method: string, route: string, options: Parameters<typeof api>[3] = {}) => {
    requests += 1;
    return api(url, method, route, options);
  };

  const ada = (await call('POST', '/api/auth/guest', { body: { displayName: 'Ada' } })).body;
  const bo = (await call('POST', '/api/auth/guest', { body: { displayName: 'Bo' } })).body;
  const upgraded = (
    await call('POST', '/api/auth/register', { body: { email, password, displayName: 'Ada' }, token: ada.token })
  ).body;
  await call('POST', '/api/auth/register', { body: { email, password, displayName: 'Again' } }); // 409
  await call('POST', '/api/auth/register', { body: { email: uniqueEmail(), password: 'short', displayName: 'Short' } }); // 400
  await call('POST', '/api/auth/login', { body: { email, password: wrongPassword } }); // 401
  await call('POST', '/api/auth/login', { body: `{"email":"${email}","password":"${password}"` }); // invalid JSON
  const login = (await call('POST', '/api/auth/login', { body: { email, password } })).body;
  await call('GET', '/api/me', { headers: { cookie: `st_session=${login.token}` } });
  await call('GET', '/api/me', { token: login.token });
  await call('GET', '/api/me', { token: ada.token }); // replaced by the upgrade: 401
  await call('GET', '/api/history', { headers: { cookie: `st_session=${upgraded.token}` } });
  // Both accept the rules, as everyone must before joining.
  await call('POST', '/api/me/consent', { token: login.token, body: { birthDate: '1980-06-15', rulesVersion: 1 } });
  await call('POST', '/api/me/consent', { token: bo.token, body: { birthDate: '1980-06-15', rulesVersion: 1 } });
  // TURN credentials, by Bearer and by cookie.
  const turn = [
    (await call('GET', '/api/ice', { token: login.token })).body.iceServers[0],
    (await call('GET', '/api/ice', { headers: { cookie: `st_session=${bo.token}` } })).body.iceServers[0],
  ] as Array<{ username: string; credential: string }>;

  // Two sockets (Bearer and cookie) meet in a room and relay a signal with an address in it.
  const a = await openSocket(url, { authorization: `Bearer ${login.token}` });
  const b = await openSocket(url, { cookie: `st_session=${bo.token}` });
  a.send({ type: 'join', categories: ['music'] });
  await a.next('queued');
  b.send({ type: 'join', categories: ['music'] });
  const { roomId } = await a.next('matched');
  await b.next('matched');
  a.send({ type: 'signal', roomId, data: { candidate: signalSecret } });
  await b.next('signal');
  b.send({ type: 'chat', roomId, text: 'hello' });
  await a.next('chat');

  // Logging out closes the socket (4001) and revokes the token.
  await call('POST', '/api/auth/logout', { token: login.token });
  await a.closed;
  await b.close();
  await call('POST', '/api/auth/logout', { headers: { cookie: `st_session=${bo.token}` } });

  return {
    secrets: [
      ...[
        ada.token,
        bo.token,
        upgraded.token,
        login.token,
        password,
        wrongPassword,
        signalSecret,
        'st_session=',
        TURN_SECRET,
      ],
      ...turn.flatMap(({ username, credential }) => [username, credential]),
    ],
    requests,
  };
}

for (const level of ['info', 'trace']) {
  test(`LOG_LEVEL=${level}: logs never contain a token, a password, the cookie, a signal payload, the TURN secret or a TURN credential`, async () => {
    const server = await serve(level);
    const { secrets, requests } = await exercise(server.url);
    await server.stop();
    const output = server.output();
    // Guard against a vacuous pass: the requests were logged, so the output is the server's log.
    const completed = output.split('\n').filter((line) => line.includes('"request completed"')).length;
    assert.ok(completed >= requests, `expected ${requests} request logs, found ${completed}:\n${output}`);
    for (const secret of secrets) {
      const line = output.split('\n').find((l) => l.includes(secret));
      assert.equal(line, undefined, `the log holds ${JSON.stringify(secret)}: ${line}`);
    }
  });
}
