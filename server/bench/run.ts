/**
 * `npm run bench`: the server against a bare relay (the floor), one at a time, same load.
 * Prints a table with each figure, its ratio to the floor and the targets of issue 3, and
 * writes the figures to .tmp/bench-latest.json.
 *
 *   node --import tsx server/bench/run.ts [--users 2000] [--steady-s 20] [--step-s 3] [--only server|floor]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { CATEGORIES, FRAME_BYTES, Load, SOURCE_ADDRESSES, type MatchResult, type RampResult, type RelayStep } from './load.js';
import { settledRssKb, startFloor, startServer, type Target } from './proc.js';

const root = path.resolve(import.meta.dirname, '../..');

/** The load of issue 3's Benchmark section; flags exist to shorten a run while working on the bench. */
const { values: flags } = parseArgs({
  options: {
    users: { type: 'string', default: '2000' },
    'steady-s': { type: 'string', default: '20' },
    'step-s': { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const USERS = Number(flags.users);
// Everyone must find a partner: an even number of users in every category.
if (!Number.isInteger(USERS) || USERS <= 0 || USERS % (2 * CATEGORIES.length) !== 0) {
  throw new Error(`--users must be a positive multiple of ${2 * CATEGORIES.length}, got ${flags.users}`);
}
const STEADY_MS = Number(flags['steady-s']) * 1000;
const STEP_MS = Number(flags['step-s']) * 1000;
/** Frames per second each socket sends in (b). */
const STEADY_PER_SOCKET = 5;
/** Per-socket rates of the ramp's steps; the server drops frames above 50/s per socket, so the ramp stops at 40. */
const RAMP_PER_SOCKET = [5, 7.5, 10, 12.5, 15, 17.5, 20, 25, 30, 35, 40];
const RAMP_PER_SOCKET_LIMIT = 40;
const P99_LIMIT_MS = 100;

const TARGETS = {
  p99Ratio: 1.5,
  sustainedRatio: 0.7,
  matchMs: 1000,
  rssPerSocketKb: 30,
};

interface Figures {
  idle: { sockets: number; rssBeforeKb: number; rssAfterKb: number; perSocketKb: number };
  match: MatchResult;
  steady: RelayStep & { lost: number };
  ramp: RampResult;
  /** Frames never delivered over the whole run, the ramp's overload included. */
  lostOverall: number;
  /** Lines the process printed: the server logs at warn, so every line is a warning or worse. */
  logLines: number;
  logTail: string[];
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function measure(target: Target): Promise<Figures> {
  const load = new Load(target, USERS);
  const tag = target.name.padEnd(6);
  try {
    let t = performance.now();
    await load.signIn();
    if (target.needsGuests) say(`${tag} ${USERS} guests created in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // (d) first, on a process that has done nothing but sign users in: later phases grow the heap,
    // and memory freed by them would be reused by the sockets and hide their cost.
    const rssBeforeKb = await settledRssKb(target.pid);
    t = performance.now();
    await load.connect();
    say(`${tag} ${USERS} sockets open in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const rssAfterKb = await settledRssKb(target.pid);
    const idle = { sockets: USERS, rssBeforeKb, rssAfterKb, perSocketKb: (rssAfterKb - rssBeforeKb) / USERS };
    say(`${tag} (d) RSS ${(rssBeforeKb / 1024).toFixed(1)} → ${(rssAfterKb / 1024).toFixed(1)} MB: ${idle.perSocketKb.toFixed(1)} KB per idle socket`);

    const match = await load.match();
    say(`${tag} (a) ${match.matched}/${match.users} matched in ${match.ms.toFixed(0)} ms, ${match.rooms} rooms, ${match.notMutual} not mutual`);
    if (load.pairedCount === 0) throw new Error(`${target.name}: nobody was matched, nothing to relay`);

    const rate = STEADY_PER_SOCKET * load.pairedCount;
    const steadyStep = await load.relay(rate, STEADY_MS, 5000);
    const steady = { ...steadyStep, lost: steadyStep.missing };
    say(
      `${tag} (b) ${rate} frames/s for ${STEADY_MS / 1000} s: p50 ${ms(steady.latency.p50)} p95 ${ms(steady.latency.p95)} p99 ${ms(steady.latency.p99)} ms, ` +
        `${steady.lost} lost, ${steady.outOfOrder} out of order`,
    );

    const ramp = await load.ramp({
      rates: RAMP_PER_SOCKET.map((r) => Math.round(r * load.pairedCount)),
      stepMs: STEP_MS,
      drainMs: 1000,
      p99LimitMs: P99_LIMIT_MS,
      perSocketLimit: RAMP_PER_SOCKET_LIMIT,
    });
    for (const step of ramp.steps) {
      say(
        `${tag} (c) ${String(step.rate).padStart(6)} frames/s: p99 ${ms(step.latency.p99).padStart(7)} ms, ` +
          `timer lag ${step.maxTimerLagMs.toFixed(0).padStart(4)} ms, CPU ${target.name} ${(step.targetCpuS / (step.durationMs / 1000)).toFixed(2)} ` +
          `bench ${(step.generatorCpuS / (step.durationMs / 1000)).toFixed(2)}  ${step.held ? 'held' : `failed: ${step.why}`}` +
          describeCounts(step),
      );
    }
    const lostOverall = await load.lost(5000);
    return { idle, match, steady, ramp, lostOverall, logLines: target.lineCount(), logTail: target.tail() };
  } finally {
    load.close();
  }
}

function describeCounts(step: RelayStep): string {
  const parts = [
    ...Object.entries(step.errors).map(([code, n]) => `${n}× error ${code}`),
    ...Object.entries(step.closes).map(([code, n]) => `${n}× close ${code}`),
  ];
  return parts.length ? ` (${parts.join(', ')})` : '';
}

const ms = (value: number) => (Number.isNaN(value) ? '—' : value < 10 ? value.toFixed(2) : value.toFixed(1));

async function main(): Promise<void> {
  const started = performance.now();
  say(
    `Small Talk bench: ${USERS} users over ${CATEGORIES.length} categories from ${SOURCE_ADDRESSES.length} loopback addresses, ` +
      `${FRAME_BYTES}-byte signals, ${os.cpus().length} CPUs, Node ${process.versions.node}`,
  );
  const results: Partial<Record<Target['name'], Figures>> = {};
  const starters = { server: startServer, floor: startFloor } as const;
  for (const name of ['server', 'floor'] as const) {
    if (flags.only && flags.only !== name) continue;
    const target = await starters[name](root);
    try {
      results[name] = await measure(target);
    } finally {
      await target.stop();
    }
    // Let the machine settle between targets, so the second does not pay for the first's teardown.
    await sleep(1000);
  }

  const { server, floor } = results;
  const rows = table(server, floor);
  say('');
  say(render(rows));
  for (const [name, figures] of Object.entries(results)) {
    if (figures.logLines > 0) say(`\n${name} printed ${figures.logLines} log lines (warn or worse); the last:\n  ${figures.logTail.slice(-5).join('\n  ')}`);
  }

  const file = path.join(root, '.tmp/bench-latest.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const report = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.versions.node, loadavg: os.loadavg() },
    load: { users: USERS, categories: CATEGORIES.length, sourceAddresses: SOURCE_ADDRESSES.length, frameBytes: FRAME_BYTES, steadyPerSocket: STEADY_PER_SOCKET, steadyMs: STEADY_MS, stepMs: STEP_MS, p99LimitMs: P99_LIMIT_MS },
    targets: TARGETS,
    results,
    table: rows,
  };
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  say(`\nwritten to ${path.relative(root, file)} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

interface Row {
  figure: string;
  server: string;
  floor: string;
  ratio: string;
  target: string;
  result: 'PASS' | 'MISS' | '';
}

function table(server: Figures | undefined, floor: Figures | undefined): Row[] {
  const rows: Row[] = [];
  const fmt = (v: number | undefined, digits = 1) => (v === undefined || Number.isNaN(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits }));
  const ratio = (s: number | undefined, f: number | undefined) => (s === undefined || f === undefined || !f || Number.isNaN(s) ? '—' : `${(s / f).toFixed(2)}×`);
  const verdict = (ok: boolean | undefined): Row['result'] => (ok === undefined ? '' : ok ? 'PASS' : 'MISS');
  const row = (figure: string, pick: (f: Figures) => number, digits: number, target = '', ok?: boolean) =>
    rows.push({
      figure,
      server: fmt(server && pick(server), digits),
      floor: fmt(floor && pick(floor), digits),
      ratio: ratio(server && pick(server), floor && pick(floor)),
      target,
      result: verdict(ok),
    });
  const both = <T>(test: (s: Figures, f: Figures) => T) => (server && floor ? test(server, floor) : undefined);

  row('(a) match 2,000 users (ms)', (f) => f.match.ms, 0, `< ${TARGETS.matchMs} ms, all mutual`, server && server.match.ms < TARGETS.matchMs && server.match.notMutual === 0 && server.match.outOfContract === 0);
  row('    users matched', (f) => f.match.matched, 0);
  row('    not mutual / out of contract', (f) => f.match.notMutual + f.match.outOfContract, 0);
  row('(b) relay p50 (ms)', (f) => f.steady.latency.p50, 2);
  row('    relay p95 (ms)', (f) => f.steady.latency.p95, 2);
  row('    relay p99 (ms)', (f) => f.steady.latency.p99, 2, `≤ ${TARGETS.p99Ratio}× floor`, both((s, f) => s.steady.latency.p99 <= TARGETS.p99Ratio * f.steady.latency.p99));
  row('    frames lost', (f) => f.steady.lost, 0, '0', server && server.steady.lost === 0);
  row('    frames out of order', (f) => f.steady.outOfOrder, 0, '0', server && server.steady.outOfOrder === 0);
  row('    relay CPU (cores)', (f) => f.steady.targetCpuS / (f.steady.durationMs / 1000), 2);
  row('(c) max sustained (frames/s)', (f) => f.ramp.maxSustained, 0, `≥ ${TARGETS.sustainedRatio * 100}% of floor`, both((s, f) => s.ramp.maxSustained >= TARGETS.sustainedRatio * f.ramp.maxSustained));
  row('    lost over the whole run', (f) => f.lostOverall, 0);
  row('(d) RSS per idle socket (KB)', (f) => f.idle.perSocketKb, 1, `≤ ${TARGETS.rssPerSocketKb} KB`, server && server.idle.perSocketKb <= TARGETS.rssPerSocketKb);
  row('    RSS with sockets open (MB)', (f) => f.idle.rssAfterKb / 1024, 1);
  rows[0]!.figure = `(a) match ${USERS.toLocaleString('en-US')} users (ms)`;
  return rows;
}

function render(rows: Row[]): string {
  const header: Row = { figure: 'figure', server: 'server', floor: 'floor', ratio: 'server/floor', target: 'target', result: '' };
  const all = [header, ...rows];
  const width = (key: keyof Row) => Math.max(...all.map((r) => r[key].length));
  const widths = { figure: width('figure'), server: width('server'), floor: width('floor'), ratio: width('ratio'), target: width('target') };
  const line = (r: Row) =>
    [r.figure.padEnd(widths.figure), r.server.padStart(widths.server), r.floor.padStart(widths.floor), r.ratio.padStart(widths.ratio), r.target.padEnd(widths.target), r.result]
      .join('  ')
      .trimEnd();
  const rule = '-'.repeat(line(header).length + 6);
  return [line(header), rule, ...rows.map(line)].join('\n');
}

// A watchdog: whatever hangs, the bench ends and (through proc.ts's exit hook) takes its children with it.
const watchdog = setTimeout(() => {
  console.error('bench: still running after 10 minutes; giving up');
  process.exit(1);
}, 10 * 60_000);
watchdog.unref();

try {
  await main();
  process.exit(0);
} catch (error) {
  console.error('bench failed:', error);
  process.exit(1);
}
