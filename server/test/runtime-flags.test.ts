import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');
const FLAG = /--max-semi-space-size=(\d+)/g;

/**
 * The server's V8 flags are written where each way of starting it lives: `npm start`, the
 * cluster runner, the container, and the bench, which must measure the server as it runs. One
 * of them drifting would make the bench measure a server nobody deploys.
 */
test('every way of starting the server gives V8 the same young generation', () => {
  const launchers = ['scripts/start.sh', 'scripts/cluster.mjs', 'Dockerfile', 'server/bench/proc.ts'];
  const sizes = launchers.map((file) => {
    const found = [...fs.readFileSync(path.join(root, file), 'utf8').matchAll(FLAG)].map((m) => m[1]);
    assert.ok(found.length > 0, `${file} starts node without --max-semi-space-size`);
    return { file, sizes: [...new Set(found)] };
  });
  for (const { file, sizes: each } of sizes) assert.deepEqual(each, sizes[0]!.sizes, `${file} differs`);
});
