// `npm run start:cluster -- [N]`: N server processes (default 2) on consecutive ports from PORT
// (default 3000), all on the Redis of REDIS_URL and, when DATABASE_URL is set, that PostgreSQL
// (otherwise they share the SQLite file in DATA_DIR, which works on one machine). For trying the
// cluster on one machine; production runs one process per container (docs/deploy.md).
//
// Each process starts as `npm start` starts one (scripts/start.sh says why these V8 flags).
//
// Every other variable (docs: the README's table) reaches each process unchanged. SIGTERM or
// Ctrl-C drains every process (each closes its sockets with 1012) and exits when all have.
import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const count = Number(process.argv[2] ?? 2);
if (!Number.isInteger(count) || count < 1) {
  console.error(`start:cluster: the number of processes must be a positive integer, got ${process.argv[2]}`);
  process.exit(2);
}
if (!process.env.REDIS_URL) {
  console.error(
    'start:cluster: set REDIS_URL (and DATABASE_URL=postgres://… to share PostgreSQL): processes share their state through Redis',
  );
  process.exit(2);
}
const base = Number(process.env.PORT || 3000);

let stopping = false;
const children = Array.from({ length: count }, (_, i) => {
  const port = base + i;
  const child = spawn(
    process.execPath,
    ['--max-semi-space-size=32', '--heap-growing-percent=400', path.join(root, 'server/dist/main.js')],
    { cwd: root, env: { ...process.env, PORT: String(port) }, stdio: 'inherit' },
  );
  child.on('exit', (code, signal) => {
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const allGone = children.every((c) => c.exitCode !== null || c.signalCode !== null);
    if (!stopping)
      console.error(
        `start:cluster: the process on port ${port} exited (${how})${allGone ? '' : '; the others keep serving'}`,
      );
    if (allGone) process.exit(stopping && children.every((c) => c.exitCode === 0) ? 0 : 1);
  });
  return child;
});
console.error(
  `start:cluster: ${count} processes on ports ${base}–${base + count - 1}; put a WebSocket-aware load balancer in front (docs/deploy.md)`,
);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    stopping = true;
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  });
}
