import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { missingServices, startPostgres, startRedis, type Service } from './services.js';

/**
 * Runs the suites whose file names start with `prefix` once more, unchanged, with every test
 * server on the shared services: its own fresh PostgreSQL database and its own Redis namespace
 * (harness.ts reads SMALLTALK_TEST_POSTGRES and SMALLTALK_TEST_REDIS). A child test run, so the
 * suites stay exactly the files that run on SQLite. The HTTP and the WebSocket suites are two
 * test files (scale-http, scale-ws), so that each stays well inside the runner's time per file.
 * The child runs two files at a time: each file's servers have their own database and Redis
 * namespace, and the suites mostly wait on sockets (on a slow 2-core machine, 147 s for both
 * instead of 253, in two runs each).
 */
export function runOnSharedServices(prefix: 'http' | 'ws'): void {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.resolve(here, '../..');
  const files = fs
    .readdirSync(here)
    .filter((f) => f.startsWith(`${prefix}-`) && f.endsWith('.test.ts'))
    .sort()
    .map((f) => path.join('server/test', f));

  const skip = missingServices();
  let postgres: Service | undefined;
  let redis: Service | undefined;
  before(async () => {
    if (!skip) [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  });
  after(() => Promise.all([postgres?.close(), redis?.close()]));

  test(
    `${prefix === 'http' ? 'HTTP' : 'WebSocket'} suites on Redis + PostgreSQL (${files.length} files)`,
    { skip: skip ?? false, timeout: 290_000 },
    async (t) => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        SMALLTALK_TEST_POSTGRES: postgres!.url,
        SMALLTALK_TEST_REDIS: redis!.url,
      };
      // A nested run is a run of its own, not a subtest of ours.
      delete env.NODE_TEST_CONTEXT;
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--test',
          '--test-concurrency=2',
          '--test-reporter=spec',
          '--test-timeout=120000',
          ...files,
        ],
        {
          cwd: root,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      const summary = output.split('\n').filter((line) => /^ℹ (tests|pass|fail|cancelled|skipped) /.test(line));
      if (code !== 0) {
        const failures = output.slice(
          output.indexOf('✖ failing tests') >= 0 ? output.indexOf('✖ failing tests') : -6000,
        );
        assert.fail(`the suites failed on Redis + PostgreSQL (exit ${code}):\n${summary.join('\n')}\n${failures}`);
      }
      assert.ok(
        summary.some((line) => /^ℹ pass [1-9]/.test(line)),
        `no test passed:\n${output.slice(-2000)}`,
      );
      t.diagnostic(summary.join(', '));
    },
  );
}
