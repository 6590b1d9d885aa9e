import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { api, member, startServer, type TestServer } from './harness.js';
import { createDatabase, missingServices, startPostgres, type Service } from './services.js';

/**
 * `npm run admin -- set-role <email> <role>`, the real command from the checkout's root (as an
 * operator runs it, against the built server: `npm run build` or `npm start` made it), on the
 * SQLite default and on PostgreSQL, while the server runs.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function admin(args: string[], env: Record<string, string>): Promise<Run> {
  // The server's variables only: none of this test process's own (a DATABASE_URL of the shared
  // suites would point the CLI elsewhere).
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '', DATA_DIR: '', ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  return new Promise((resolve) => {
    execFile('npm', ['run', 'admin', '--', ...args], { cwd: root, env: childEnv }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function roleOf(server: TestServer, token: string): Promise<string> {
  const me = await api(server.url, 'GET', '/api/me', { token });
  assert.equal(me.status, 200);
  return me.body.user.role;
}

before(() => {
  assert.ok(fs.existsSync(path.join(root, 'server/dist/moderation/admin-cli.js')), 'build first: npm run build');
});

describe('npm run admin on the SQLite default', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ DATABASE_URL: '' });
  });
  after(() => server.close());

  test('set-role makes a member a moderator, says so, counts at once, and is in the audit log', async () => {
    const tess = await member(server.url, { displayName: 'Tess' });
    assert.equal(await roleOf(server, tess.token), 'user');
    const run = await admin(['set-role', tess.email, 'moderator'], { DATA_DIR: server.dataDir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      new RegExp(
        `set-role: ${tess.email.replace(/[.]/g, '\\.')} \\(Tess, id ${tess.user.id}\\) is now moderator \\(was user\\)`,
      ),
    );
    assert.equal(await roleOf(server, tess.token), 'moderator');

    const audit = await api(server.url, 'GET', '/api/mod/audit', { token: tess.token });
    assert.equal(audit.status, 200);
    const entry = audit.body.entries.find(
      (e: { action: string; subjectUserId: string }) => e.action === 'set_role' && e.subjectUserId === tess.user.id,
    );
    assert.deepEqual(entry?.actor, { id: 'cli', displayName: 'npm run admin' });
    assert.deepEqual(entry?.detail, { from: 'user', to: 'moderator' });

    const again = await admin(['set-role', tess.email.toUpperCase(), 'admin'], { DATA_DIR: server.dataDir });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(await roleOf(server, tess.token), 'admin', 'the e-mail is matched as login matches it');
  });

  test('an unknown e-mail exits non-zero with a clear message and changes nothing', async () => {
    const run = await admin(['set-role', 'nobody@example.com', 'admin'], { DATA_DIR: server.dataDir });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no member has the e-mail nobody@example\.com; nothing changed/);
  });

  test('wrong usage exits 2 with the usage', async () => {
    const tess = await member(server.url);
    for (const args of [
      ['set-role', tess.email, 'god'],
      ['set-role', tess.email],
      ['promote', tess.email, 'admin'],
      [],
    ]) {
      const run = await admin(args, { DATA_DIR: server.dataDir });
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /usage: npm run admin -- set-role <email> <role>/);
    }
    assert.equal(await roleOf(server, tess.token), 'user');
  });
});

describe('npm run admin on PostgreSQL (DATABASE_URL)', { skip: missingServices() ?? false }, () => {
  let postgres: Service;
  let server: TestServer;
  let databaseUrl: string;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smalltalk-cli-'));
  before(async () => {
    postgres = await startPostgres();
    databaseUrl = await createDatabase(postgres.url, `st_cli_${randomUUID().replace(/-/g, '').slice(0, 12)}`);
    server = await startServer({ DATABASE_URL: databaseUrl });
  });
  after(async () => {
    await server?.close();
    await postgres?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('set-role on DATABASE_URL: the running server sees the role; an unknown e-mail exits 1', async () => {
    const ada = await member(server.url, { displayName: 'Ada' });
    // DATA_DIR points at an empty folder: the CLI must use DATABASE_URL, not a SQLite file there.
    const run = await admin(['set-role', ada.email, 'admin'], { DATABASE_URL: databaseUrl, DATA_DIR: dataDir });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /is now admin \(was user\), in PostgreSQL/);
    assert.equal(await roleOf(server, ada.token), 'admin');
    assert.equal(fs.existsSync(path.join(dataDir, 'smalltalk.db')), false);

    const unknown = await admin(['set-role', 'ghost@example.com', 'moderator'], {
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
    });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no member has the e-mail ghost@example\.com/);
  });
});
