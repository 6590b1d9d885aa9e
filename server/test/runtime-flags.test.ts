import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');
/** The V8 flags the server runs with (scripts/start.sh says why each). */
const NAMES = ['--max-semi-space-size', '--heap-growing-percent'];
const FLAG = new RegExp(`(${NAMES.join('|')})=(\\d+)`, 'g');

/**
 * The server's V8 flags are written where each way of starting it lives: `npm start`, the
 * cluster runner, the container, and the bench, which must measure the server as it runs. One
 * of them drifting would make the bench measure a server nobody deploys.
 */
test('every way of starting the server gives V8 the same heap sizes', () => {
  const launchers = ['scripts/start.sh', 'scripts/cluster.mjs', 'Dockerfile', 'server/bench/proc.ts'];
  const flags = launchers.map((file) => {
    const found = [...fs.readFileSync(path.join(root, file), 'utf8').matchAll(FLAG)].map((m) => `${m[1]}=${m[2]}`);
    for (const name of NAMES)
      assert.ok(
        found.some((flag) => flag.startsWith(`${name}=`)),
        `${file} starts node without ${name}`,
      );
    return { file, flags: [...new Set(found)].sort() };
  });
  for (const { file, flags: each } of flags) assert.deepEqual(each, flags[0]!.flags, `${file} differs`);
});
