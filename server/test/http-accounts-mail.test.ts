import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { pino } from 'pino';
import { Mailer } from '../src/mail/mailer.js';
import { resetMail, verificationMail } from '../src/mail/messages.js';
import { api, eventually, sparePort, uniqueEmail } from './harness.js';
import { codeIn, resetTokenIn, startSmtp } from './smtp.js';

/**
 * How mail leaves the server: without SMTP_URL as .eml files under DATA_DIR/mail (the path logged,
 * never the content), and over SMTP with retries, ending in an error log that carries no code,
 * link or address when the server never answers.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** The real entry point in a child process, so its pino output on stdout can be read whole (as http-logs.test.ts does). */
async function serve(
  env: Record<string, string>,
): Promise<{ url: string; dataDir: string; output(): string; stop(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-mail-'));
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...env,
  };
  delete childEnv.NODE_TEST_CONTEXT;
  delete childEnv.SMTP_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    cwd: root,
    env: childEnv,
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
    dataDir,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The log lines (JSON) with this message. */
const linesWith = (output: string, msg: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);

describe('the embedded default (no SMTP_URL)', () => {
  test('each mail is an .eml file under DATA_DIR/mail, readable only by its owner; the log gives its path and no code, link or address', async () => {
    const server = await serve({ PUBLIC_URL: 'http://localhost:4321' });
    try {
      const email = uniqueEmail('eml');
      const registered = await api(server.url, 'POST', '/api/auth/register', {
        body: { email, password: 'correct horse battery', displayName: 'Emma' },
      });
      assert.equal(registered.status, 201);
      const [written] = await eventually('the code mail to be written', () => {
        const lines = linesWith(server.output(), 'mail written to a file (no SMTP_URL)');
        return lines.length >= 1 && lines;
      });
      const file = String(written!.path);
      assert.equal(written!.purpose, 'verify');
      assert.equal(path.dirname(file), path.join(path.resolve(server.dataDir), 'mail'));
      assert.match(file, /\.eml$/);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const mail = await simpleParser(fs.readFileSync(file));
      const code = codeIn({ from: '', to: email, subject: mail.subject ?? '', text: mail.text ?? '', html: '' });
      assert.equal(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : undefined, email);
      assert.equal(typeof mail.html, 'string', 'HTML as well as text');

      // The code in the file works.
      const token = (registered.body as { token: string }).token;
      const verified = await api(server.url, 'POST', '/api/auth/email/verify', { token, body: { code } });
      assert.equal(verified.status, 200);

      assert.equal((await api(server.url, 'POST', '/api/auth/password/reset-start', { body: { email } })).status, 202);
      const resetLine = await eventually('the reset mail to be written', () =>
        linesWith(server.output(), 'mail written to a file (no SMTP_URL)').find((line) => line.purpose === 'reset'),
      );
      const resetText = (await simpleParser(fs.readFileSync(String(resetLine.path)))).text ?? '';
      assert.ok(resetText.includes('http://localhost:4321/reset?token='));
      const resetToken = resetTokenIn({ from: '', to: email, subject: '', text: resetText, html: '' });

      const log = server.output();
      for (const secret of [code, resetToken, email]) assert.ok(!log.includes(secret), `the log holds ${secret}`);
    } finally {
      await server.stop();
    }
  });
});

/** A pino logger whose lines the test reads. */
function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines, text: () => text };
}

describe('sending over SMTP', () => {
  test('a server that never answers: tried again after each delay, then one error log with the purpose and no code, link or address', async () => {
    const port = await sparePort(); // nobody listens there
    const { log, lines, text } = capturedLog();
    const mailer = new Mailer({
      smtpUrl: `smtp://127.0.0.1:${port}`,
      from: 'Small Talk <a@b.test>',
      mailDir: '/nonexistent',
      log,
      retryDelaysMs: [30, 60],
    });
    const email = uniqueEmail('down');
    const token = 'SECRET-token-that-must-not-be-logged_0123456789';
    const started = Date.now();
    mailer.send(resetMail(email, token, 'http://chat.example.test'));
    assert.ok(Date.now() - started < 50, 'send only queues');
    await eventually('the mail to be given up', () => mailer.pending() === 0, 5000);
    const retries = lines.filter((line) => line.msg === 'mail not sent yet; retrying');
    assert.deepEqual(
      retries.map((line) => [line.attempts, line.retryInMs]),
      [
        [1, 30],
        [2, 60],
      ],
    );
    const errors = lines.filter((line) => line.msg === 'mail not sent');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.level, 50);
    assert.equal(errors[0]!.purpose, 'reset');
    assert.equal(errors[0]!.attempts, 3);
    assert.equal(errors[0]!.code, 'ESOCKET'); // nodemailer's code for a refused connection
    for (const secret of [token, 'reset?token', email]) assert.ok(!text().includes(secret), `the log holds ${secret}`);
    await mailer.close();
  });

  test('a server that comes back between tries gets the mail on the retry', async () => {
    const port = await sparePort();
    const { log, lines } = capturedLog();
    const mailer = new Mailer({
      smtpUrl: `smtp://127.0.0.1:${port}`,
      from: 'Small Talk <a@b.test>',
      mailDir: '/nonexistent',
      log,
      retryDelaysMs: [500, 500],
    });
    const email = uniqueEmail('back');
    mailer.send(verificationMail(email, '123456', 'http://chat.example.test'));
    await eventually(
      'the first try to fail',
      () => lines.some((line) => line.msg === 'mail not sent yet; retrying'),
      5000,
    );
    const smtp = await startSmtp(port);
    try {
      const mail = await smtp.next(email, 5000);
      assert.equal(codeIn(mail), '123456');
      await eventually('the queue to empty', () => mailer.pending() === 0);
      assert.equal(lines.filter((line) => line.msg === 'mail not sent').length, 0);
      assert.ok(lines.some((line) => line.msg === 'mail sent after a retry' && line.attempts === 2));
    } finally {
      await mailer.close();
      await smtp.close();
    }
  });

  test('close drops mails waiting for a retry, and says so in the log', async () => {
    const port = await sparePort();
    const { log, lines } = capturedLog();
    const mailer = new Mailer({
      smtpUrl: `smtp://127.0.0.1:${port}`,
      from: 'Small Talk <a@b.test>',
      mailDir: '/nonexistent',
      log,
      retryDelaysMs: [60_000],
    });
    mailer.send(verificationMail(uniqueEmail('drop'), '654321', 'http://chat.example.test'));
    await eventually(
      'the first try to fail',
      () => lines.some((line) => line.msg === 'mail not sent yet; retrying'),
      5000,
    );
    const closing = Date.now();
    await mailer.close();
    assert.ok(Date.now() - closing < 1000, 'close does not wait out the backoff');
    assert.equal(mailer.pending(), 0);
    assert.deepEqual(
      lines.filter((line) => line.msg === 'mail dropped: the server is shutting down').map((line) => line.purpose),
      ['verify'],
    );
  });
});
