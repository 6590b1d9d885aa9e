/**
 * The bench's tables: the main one (each figure for the server, the cluster and the floor, their
 * ratios, the issues' targets and a verdict), with the rows of the phases that have no floor
 * (calls, friends, attack, chaos), the tables of the phases that print their own (capacity,
 * shield, web, soak), issue 5's comparison of our cluster with the group model; then everything
 * as JSON, for comparing runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ACCOUNTS_TARGETS, type AccountsFigures } from './accounts.js';
import { ATTACK_TARGETS, type AttackFigures } from './attack.js';
import { CALL_TARGETS, type CallFigures } from './call.js';
import { CAPACITY_TARGETS, renderCapacity, type CapacityFigures } from './capacity.js';
import { chaosRows } from './chaos.js';
import {
  FRIENDS_EACH,
  FRIENDS_TARGETS,
  HUB_FRIENDS,
  MATCH_USERS as FRIENDS_MATCH_USERS,
  RING_PAIRS,
  type FriendsFigures,
} from './friends.js';
import { LANGUAGES_TARGETS, type LanguagesFigures } from './languages.js';
import { CATEGORIES, FRAME_BYTES, SOURCE_ADDRESSES, type LoadShape, type MatchResult, type RelayStep } from './load.js';
import { ms, say } from './print.js';
import {
  describeCommands,
  neighbours,
  P99_LIMIT_MS,
  RAMP_PER_SOCKET,
  RELAY_TARGETS,
  STEADY_PER_SOCKET,
  type Figures,
  type Name,
} from './relay.js';
import { SAFETY_TARGETS, type SafetyFigures } from './safety.js';
import { renderShield, SHIELD_TARGETS, type ShieldFigures } from './shield.js';
import { renderSoak, type SoakFigures } from './soak.js';
import { renderWeb, type WebFigures } from './web.js';
import type { ChaosReport } from '../test/chaos.js';
import { median } from '../test/stats.js';

/** Everything one run measured; a phase that did not run is undefined (or empty). */
export interface Measured {
  results: Partial<Record<Name, Figures>>;
  clusterMatch: MatchResult | undefined;
  call: CallFigures | undefined;
  turnCall: CallFigures | undefined;
  friends: FriendsResults;
  safety: Record<string, SafetyFigures>;
  languages: Record<string, LanguagesFigures>;
  accounts: AccountsFigures | undefined;
  attack: AttackFigures | undefined;
  capacity: CapacityFigures | undefined;
  chaos: ChaosReport | undefined;
  shield: ShieldFigures | undefined;
  web: WebFigures | undefined;
  soak: SoakFigures | undefined;
}

/** The run's load, from run.ts's flags: for the tables' labels and the JSON. */
export interface RunLoad {
  users: number;
  calls: number;
  steadyMs: number;
  stepMs: number;
  shape: LoadShape;
}

/** Prints the tables of what ran, then writes it all, figures and tables, as JSON to `file`. */
export function printAndSave(measured: Measured, load: RunLoad, file: string): void {
  const { results, clusterMatch, call, turnCall, friends, attack, capacity, chaos, shield, web, soak } = measured;
  const { users, calls, steadyMs, stepMs, shape } = load;
  const relayRows =
    results.server || results.cluster || results.floor || clusterMatch
      ? table(results.server, results.cluster, results.floor, clusterMatch, users)
      : [];
  const rows = [
    ...relayRows,
    ...callRows(call, turnCall, calls),
    ...friendsRows(friends),
    ...attackRows(attack),
    ...chaosTableRows(chaos),
  ];
  if (rows.length > 0) {
    say('');
    say(render(rows));
  }
  if (capacity) {
    say('\nIssue 18: capacity, one process and then 3 on Redis (loopback, heartbeats on):\n');
    say(renderCapacity(capacity));
  }
  if (shield) {
    say('\nIssue 14: the shield in headless Chromium (software rendering), per model:\n');
    say(renderShield(shield));
  }
  if (web) {
    say("\nIssue 16: the web app's first screen in headless Chromium (loopback, no throttling):\n");
    say(renderWeb(web));
  }
  if (soak) {
    say(`\nIssue 18: soak, ${soak.minutes} min of churn, fits after a ${soak.warmUpMin.toFixed(1)}-min warm-up:\n`);
    say(renderSoak(soak));
  }
  const groupRows = results.group ? groupTable(results.cluster, results.group) : [];
  if (groupRows.length > 0) {
    say(
      `\nIssue 5: our cluster beside the ${GROUP_MODEL}, both 2 processes on a Redis of their own, (b) at the same load, the same users on the same processes:\n`,
    );
    say(renderGroup(groupRows));
  }
  const busy = Math.max(...Object.values(results).map((f) => neighbours(f)));
  if (busy > 0.25) {
    say(
      `\nNote: other processes kept ${busy.toFixed(2)} of ${os.cpus().length} cores busy while frames were relayed; ` +
        'latency and max sustained say as much about them as about the relay. Run again on a quiet machine.',
    );
  }
  for (const [name, f] of [
    ...Object.entries(results),
    ...Object.entries(friends).map(([name, f]) => [`${name} (friends)`, f] as const),
  ]) {
    if (f.logLines > 0)
      say(
        `\n${name} printed ${f.logLines} log lines (warn or worse); the last:\n  ${f.logTail.slice(-5).join('\n  ')}`,
      );
  }

  fs.mkdirSync(path.dirname(file), { recursive: true });
  const report = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.versions.node, loadavg: os.loadavg() },
    load: {
      users: users,
      categories: CATEGORIES.length,
      sourceAddresses: SOURCE_ADDRESSES.length,
      frameBytes: FRAME_BYTES,
      steadyPerSocket: STEADY_PER_SOCKET,
      steadyMs: steadyMs,
      rampPerSocket: RAMP_PER_SOCKET,
      stepMs: stepMs,
      shape,
      p99LimitMs: P99_LIMIT_MS[shape],
    },
    targets: {
      ...RELAY_TARGETS,
      call: CALL_TARGETS,
      friends: FRIENDS_TARGETS,
      safety: SAFETY_TARGETS,
      languages: LANGUAGES_TARGETS,
      accounts: ACCOUNTS_TARGETS,
      shield: SHIELD_TARGETS,
      capacity: CAPACITY_TARGETS,
    },
    ...measured,
    table: rows,
    groupTable: groupRows,
  };
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

/** The friends phase's figures, on the server and on the cluster. */
export type FriendsResults = Partial<Record<'server' | 'cluster', FriendsFigures>>;

/** One line of the main table: a figure for the server, the cluster and the floor, their ratios, the target and its verdict. */
interface Row {
  figure: string;
  server: string;
  cluster: string;
  floor: string;
  ratio: string;
  clusterRatio: string;
  target: string;
  result: 'PASS' | 'MISS' | '';
}

/** The relay phases' rows, (a) to (e); `users` is how many each target had. */
function table(
  server: Figures | undefined,
  cluster: Figures | undefined,
  floor: Figures | undefined,
  clusterMatch: MatchResult | undefined,
  users: number,
): Row[] {
  const rows: Row[] = [];
  const fmt = (v: number | undefined, digits = 1) =>
    v === undefined || Number.isNaN(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits });
  const ratio = (s: number | undefined, f: number | undefined) =>
    s === undefined || f === undefined || !f || Number.isNaN(s) ? '—' : `${(s / f).toFixed(2)}×`;
  const verdict = (ok: boolean | undefined): Row['result'] => (ok === undefined ? '' : ok ? 'PASS' : 'MISS');
  const pickOr = (f: Figures | undefined, pick: (f: Figures) => number) => (f ? pick(f) : undefined);
  const row = (
    figure: string,
    pick: ((f: Figures) => number) | null,
    digits: number,
    target = '',
    ok?: boolean,
    only?: 'cluster',
  ) => {
    const p = pick ?? (() => NaN);
    const s = only ? undefined : pickOr(server, p);
    const c = pickOr(cluster, p);
    const f = only ? undefined : pickOr(floor, p);
    rows.push({
      figure,
      server: fmt(s, digits),
      cluster: fmt(c, digits),
      floor: fmt(f, digits),
      ratio: ratio(s, f),
      clusterRatio: ratio(c, f),
      target,
      result: verdict(ok),
    });
  };
  const both = <T>(test: (s: Figures, f: Figures) => T) => (server && floor ? test(server, floor) : undefined);
  /** Issue 18's targets for two processes: a ratio to the single process of the same run, in the 2 procs column. */
  const againstServer = (
    figure: string,
    pick: (f: Figures) => number,
    target: string,
    ok: (ratio: number) => boolean,
  ) => {
    const s = pickOr(server, pick);
    const c = pickOr(cluster, pick);
    const r = s !== undefined && c !== undefined && s > 0 ? c / s : NaN;
    rows.push({
      figure,
      server: '',
      cluster: ratio(c, s),
      floor: '',
      ratio: '',
      clusterRatio: '',
      target,
      result: verdict(Number.isNaN(r) ? undefined : ok(r)),
    });
  };
  const clean = (f: Figures | undefined) => (f ? f.steady.lost === 0 && f.steady.outOfOrder === 0 : undefined);

  row(
    `(a) match ${users.toLocaleString('en-US')} users (ms)`,
    (f) => f.match.ms,
    0,
    `≤ ${RELAY_TARGETS.matchRatio}× floor, < ${RELAY_TARGETS.matchMs} ms, all mutual`,
    both(
      (s, f) =>
        s.match.ms <= RELAY_TARGETS.matchRatio * f.match.ms &&
        s.match.ms < RELAY_TARGETS.matchMs &&
        s.match.notMutual === 0 &&
        s.match.outOfContract === 0,
    ),
  );
  row('    users matched', (f) => f.match.matched, 0);
  row(
    '    not mutual / out of contract',
    (f) => f.match.notMutual + f.match.outOfContract,
    0,
    '0',
    cluster ? cluster.match.notMutual + cluster.match.outOfContract === 0 : undefined,
  );
  row('(b) relay p50 (ms)', (f) => f.steady.latency.p50, 2);
  row('    relay p95 (ms)', (f) => f.steady.latency.p95, 2);
  row(
    '    relay p99 (ms)',
    (f) => f.steady.latency.p99,
    2,
    `≤ ${RELAY_TARGETS.p99Ratio}× floor`,
    both((s, f) => s.steady.latency.p99 <= RELAY_TARGETS.p99Ratio * f.steady.latency.p99),
  );
  againstServer(
    '    relay p99, 2 procs / server',
    (f) => f.steady.latency.p99,
    `≤ ${RELAY_TARGETS.clusterP99Ratio}× server`,
    (r) => r <= RELAY_TARGETS.clusterP99Ratio,
  );
  row(
    '    frames lost',
    (f) => f.steady.lost,
    0,
    '0',
    server || cluster ? [server, cluster].every((f) => !f || f.steady.lost === 0) : undefined,
  );
  row(
    '    frames out of order',
    (f) => f.steady.outOfOrder,
    0,
    '0',
    server || cluster ? [server, cluster].every((f) => !f || f.steady.outOfOrder === 0) : undefined,
  );
  row('    rooms split over 2 processes', (f) => f.crossRooms, 0, '', undefined, 'cluster');
  row('    same-process pairs p50 (ms)', (f) => f.steady.latencySame.p50, 2, '', undefined, 'cluster');
  row('    same-process pairs p99 (ms)', (f) => f.steady.latencySame.p99, 2, '', undefined, 'cluster');
  row('    cross-process pairs p50 (ms)', (f) => f.steady.latencyCross.p50, 2, '', undefined, 'cluster');
  row(
    '    cross-process pairs p99 (ms)',
    (f) => f.steady.latencyCross.p99,
    2,
    `≤ ${RELAY_TARGETS.crossP99Ratio}× same-process`,
    cluster && cluster.steady.latencyCross.count > 0
      ? cluster.steady.latencyCross.p99 <= RELAY_TARGETS.crossP99Ratio * cluster.steady.latencySame.p99 &&
          clean(cluster)
      : undefined,
    'cluster',
  );
  row('    relay CPU (cores)', (f) => f.steady.targetCpuS / (f.steady.durationMs / 1000), 2);
  row(
    '    relay CPU per 1,000 frames (ms)',
    (f) => (f.steady.targetCpuS * 1e6) / f.steady.received,
    1,
    `≤ ${RELAY_TARGETS.cpuPerFrameRatio}× floor`,
    both(
      (s, f) =>
        s.steady.targetCpuS / s.steady.received <=
        (RELAY_TARGETS.cpuPerFrameRatio * f.steady.targetCpuS) / f.steady.received,
    ),
  );
  row('    rest of the machine (cores)', (f) => f.steady.othersCpuS / (f.steady.durationMs / 1000), 2);
  row(
    '(c) max sustained (frames/s)',
    (f) => f.ramp?.maxSustained ?? NaN,
    0,
    `≥ ${RELAY_TARGETS.sustainedRatio * 100}% of floor`,
    // A floor that sustained nothing measured nothing (the machine was too busy): no verdict.
    both((s, f) =>
      f.ramp && f.ramp.maxSustained > 0
        ? (s.ramp?.maxSustained ?? NaN) >= RELAY_TARGETS.sustainedRatio * f.ramp.maxSustained
        : undefined,
    ),
  );
  againstServer(
    '    max sustained, 2 procs / server',
    (f) => f.ramp?.maxSustained ?? NaN,
    `≥ ${RELAY_TARGETS.clusterSustainedRatio}× server`,
    (r) => r >= RELAY_TARGETS.clusterSustainedRatio,
  );
  row('    lost over the whole run', (f) => f.lostOverall, 0);
  row(
    '(d) RSS per idle socket (KB)',
    (f) => f.idle.perSocketKb,
    1,
    `≤ ${RELAY_TARGETS.rssPerSocketKb} KB`,
    server && server.idle.perSocketKb <= RELAY_TARGETS.rssPerSocketKb,
  );
  row('    heap per idle socket (KB)', (f) => f.idle.heapPerSocketKb, 1);
  row('    RSS with sockets open (MB)', (f) => f.idle.after.rssKb / 1024, 1);
  if (clusterMatch) {
    rows.push({
      figure: `(e) match ${clusterMatch.users.toLocaleString('en-US')} users over 3 processes (ms)`,
      server: '—',
      cluster: fmt(clusterMatch.ms, 0),
      floor: '—',
      ratio: '—',
      clusterRatio: '—',
      target: `< ${RELAY_TARGETS.clusterMatchMs} ms, all mutual`,
      result: verdict(
        clusterMatch.ms < RELAY_TARGETS.clusterMatchMs &&
          clusterMatch.notMutual === 0 &&
          clusterMatch.outOfContract === 0,
      ),
    });
    rows.push({
      figure: '    users left unmatched',
      server: '—',
      cluster: fmt(clusterMatch.unmatched, 0),
      floor: '—',
      ratio: '—',
      clusterRatio: '—',
      target: '0',
      result: verdict(clusterMatch.unmatched === 0),
    });
  }
  return rows;
}

const GROUP_MODEL = 'group_send model (per-room channel)';

interface GroupRow {
  figure: string;
  ours: string;
  model: string;
  /** The model's figure over ours. */
  ratio: string;
}

/** Issue 5's comparison: our cluster's figures of (b) beside the group model's, pair for pair. */
function groupTable(ours: Figures | undefined, model: Figures): GroupRow[] {
  const rows: GroupRow[] = [];
  const fmt = (v: number | undefined, digits: number) =>
    v === undefined || Number.isNaN(v)
      ? '—'
      : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const row = (figure: string, pick: (f: Figures) => number | undefined, digits: number) => {
    const o = ours ? pick(ours) : undefined;
    const m = pick(model);
    const ratio =
      o === undefined || m === undefined || Number.isNaN(o) || Number.isNaN(m) || o === 0
        ? '—'
        : `${(m / o).toFixed(2)}×`;
    rows.push({ figure, ours: fmt(o, digits), model: fmt(m, digits), ratio });
  };
  const latencies = (label: string, pick: (f: Figures) => RelayStep['latency'] & { count?: number }) => {
    row(`${label} p50 (ms)`, (f) => pick(f).p50, 2);
    row('    p95 (ms)', (f) => pick(f).p95, 2);
    row('    p99 (ms)', (f) => pick(f).p99, 2);
  };
  latencies('(b) all pairs', (f) => f.steady.latency);
  latencies('    pairs on one process', (f) => f.steady.latencySame);
  latencies('    pairs across processes', (f) => f.steady.latencyCross);
  row('    frames relayed', (f) => f.steady.received, 0);
  row('    frames lost', (f) => f.steady.lost, 0);
  row('    frames out of order', (f) => f.steady.outOfOrder, 0);
  // Commands a script runs count too: our cross-process frame is one EVALSHA that runs a GET and a PUBLISH.
  row('    Redis commands per frame', (f) => f.redis?.commandsPerFrame, 2);
  rows.push({
    figure: '      by command',
    ours: ours?.redis ? describeCommands(ours.redis) : '—',
    model: model.redis ? describeCommands(model.redis) : '—',
    ratio: '',
  });
  row('    PUBLISHes per frame', (f) => (f.redis ? (f.redis.commandsPerFrameBy.publish ?? 0) : undefined), 2);
  row('    Redis bytes in per frame', (f) => f.redis?.bytesInPerFrame, 0);
  row('    Redis bytes out per frame', (f) => f.redis?.bytesOutPerFrame, 0);
  row('    Redis CPU (cores)', (f) => f.redis?.redisCores, 2);
  row('    relay processes CPU (cores)', (f) => f.redis?.processCores, 2);
  return rows;
}

function renderGroup(rows: GroupRow[]): string {
  const header: GroupRow = { figure: 'figure', ours: 'ours (2 procs)', model: GROUP_MODEL, ratio: 'model/ours' };
  const all = [header, ...rows];
  const width = (key: keyof GroupRow) => Math.max(...all.map((r) => r[key].length));
  const widths = { figure: width('figure'), ours: width('ours'), model: width('model'), ratio: width('ratio') };
  const line = (r: GroupRow) =>
    [
      r.figure.padEnd(widths.figure),
      r.ours.padStart(widths.ours),
      r.model.padStart(widths.model),
      r.ratio.padStart(widths.ratio),
    ]
      .join('  ')
      .trimEnd();
  return [line(header), '-'.repeat(line(header).length), ...rows.map(line)].join('\n');
}

/** Issues 4's and 6's rows: measured on the server alone, so the floor and ratio columns stay empty. */
function callRows(call: CallFigures | undefined, turnCall: CallFigures | undefined, calls: number): Row[] {
  if (!call) return [];
  const ran = !call.skipped && call.firstFrameMs.length > 0;
  const fmt = (v: number | undefined, digits: number) =>
    v === undefined || Number.isNaN(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits });
  const row = (figure: string, server: string, target = '', ok?: boolean): Row => ({
    figure,
    server,
    cluster: '—',
    floor: '—',
    ratio: '—',
    clusterRatio: '—',
    target,
    result: ok === undefined ? '' : ok ? 'PASS' : 'MISS',
  });
  const times = call.firstFrameMs;
  return [
    row(
      `(f) Start → first remote frame, median of ${times.length || calls} (ms)`,
      ran ? fmt(call.medianMs, 0) : '—',
      `≤ ${CALL_TARGETS.firstFrameMs} ms`,
      ran ? call.medianMs <= CALL_TARGETS.firstFrameMs : undefined,
    ),
    row('    fastest / slowest (ms)', ran ? `${fmt(Math.min(...times), 0)} / ${fmt(Math.max(...times), 0)}` : '—'),
    row('    until both sides see video, median (ms)', ran ? fmt(median(call.bothMs), 0) : '—'),
    ...turnRows(turnCall, calls, fmt, row),
    row('(g) web JS gzipped (KB)', fmt(call.bundle ? call.bundle.gzipBytes / 1024 : undefined, 1)),
    row('    web JS raw (KB)', fmt(call.bundle ? call.bundle.bytes / 1024 : undefined, 1)),
  ];
}

/** The same call through TURN (coturn, relay only), beside the direct one. */
function turnRows(
  turnCall: CallFigures | undefined,
  calls: number,
  fmt: (v: number | undefined, digits: number) => string,
  row: (figure: string, server: string) => Row,
): Row[] {
  if (!turnCall) return [];
  const ran = !turnCall.skipped && turnCall.firstFrameMs.length > 0;
  const times = turnCall.firstFrameMs;
  return [
    row(
      `    through TURN (relay only), median of ${times.length || calls} (ms)`,
      ran ? fmt(turnCall.medianMs, 0) : '—',
    ),
    row(
      '    through TURN, fastest / slowest (ms)',
      ran ? `${fmt(Math.min(...times), 0)} / ${fmt(Math.max(...times), 0)}` : '—',
    ),
    row('    through TURN, until both sides see video (ms)', ran ? fmt(median(turnCall.bothMs), 0) : '—'),
  ];
}

/** Issue 7's rows: the server and the cluster, each on its own fresh processes; no floor to compare with. */
function friendsRows({ server, cluster }: FriendsResults): Row[] {
  if (!server && !cluster) return [];
  const fmt = (v: number | undefined, digits: number) =>
    v === undefined || Number.isNaN(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits });
  const times = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : `${v.toFixed(2)}×`);
  const row = (
    figure: string,
    pick: (f: FriendsFigures) => number,
    digits: number,
    target = '',
    test?: (f: FriendsFigures) => boolean,
  ): Row => {
    const measured = [server, cluster].filter((f) => f !== undefined);
    return {
      figure,
      server: server ? fmt(pick(server), digits) : '—',
      cluster: cluster ? fmt(pick(cluster), digits) : '—',
      floor: '—',
      ratio: '—',
      clusterRatio: '—',
      target,
      result: test ? (measured.every(test) ? 'PASS' : 'MISS') : '',
    };
  };
  const ratio = (figure: string, pick: (f: FriendsFigures) => number): Row => ({
    figure,
    server: times(server && pick(server)),
    cluster: times(cluster && pick(cluster)),
    floor: '—',
    ratio: '—',
    clusterRatio: '—',
    target: '',
    result: '',
  });
  return [
    row(`(h1) ${RING_PAIRS} friends ring at once: incoming call p50 (ms)`, (f) => f.ring.incoming.p50, 1),
    row('     incoming call p95 (ms)', (f) => f.ring.incoming.p95, 1),
    row(
      '     incoming call p99 (ms)',
      (f) => f.ring.incoming.p99,
      1,
      `≤ ${FRIENDS_TARGETS.ringP99Ms} ms, all rang`,
      (f) => f.ring.incoming.p99 <= FRIENDS_TARGETS.ringP99Ms && f.ring.rang === f.ring.pairs,
    ),
    row('     answered at once: both matched p50 (ms)', (f) => f.ring.answer.p50, 1),
    row(
      '     both matched p99 (ms)',
      (f) => f.ring.answer.p99,
      1,
      'all matched',
      (f) => f.ring.answered === f.ring.pairs,
    ),
    row(`(h2) ${HUB_FRIENDS} friends told offline, median (ms)`, (f) => f.presence.offlineMedianMs, 1),
    row(
      '     told online again, median (ms)',
      (f) => f.presence.onlineMedianMs,
      1,
      '0 missing',
      (f) => f.presence.missed === 0,
    ),
    row(
      `(h3) match ${FRIENDS_MATCH_USERS.toLocaleString('en-US')} users, no friends (ms)`,
      (f) => f.matchCost.withoutMs,
      0,
    ),
    row(`     with ${FRIENDS_EACH} friends each online (ms)`, (f) => f.matchCost.withMs, 0),
    ratio('     with friends / without', (f) => f.matchCost.msRatio),
    row('     target CPU, no friends (s)', (f) => f.matchCost.withoutCpuS, 2),
    row('     target CPU, with friends (s)', (f) => f.matchCost.withCpuS, 2),
    ratio('     CPU with friends / without', (f) => f.matchCost.cpuRatio),
  ];
}

/** The main table as text, its columns aligned. */
function render(rows: Row[]): string {
  const header: Row = {
    figure: 'figure',
    server: 'server',
    cluster: '2 procs',
    floor: 'floor',
    ratio: 'server/floor',
    clusterRatio: '2 procs/floor',
    target: 'target',
    result: '',
  };
  const all = [header, ...rows];
  const width = (key: keyof Row) => Math.max(...all.map((r) => r[key].length));
  const widths = {
    figure: width('figure'),
    server: width('server'),
    cluster: width('cluster'),
    floor: width('floor'),
    ratio: width('ratio'),
    clusterRatio: width('clusterRatio'),
    target: width('target'),
  };
  const line = (r: Row) =>
    [
      r.figure.padEnd(widths.figure),
      r.server.padStart(widths.server),
      r.cluster.padStart(widths.cluster),
      r.floor.padStart(widths.floor),
      r.ratio.padStart(widths.ratio),
      r.clusterRatio.padStart(widths.clusterRatio),
      r.target.padEnd(widths.target),
      r.result,
    ]
      .join('  ')
      .trimEnd();
  const rule = '-'.repeat(line(header).length + 6);
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Issue 11's rows: measured on the server alone. */
function attackRows(f: AttackFigures | undefined): Row[] {
  if (!f) return [];
  const row = (figure: string, server: string, target = '', ok?: boolean): Row => ({
    figure,
    server,
    cluster: '—',
    floor: '—',
    ratio: '—',
    clusterRatio: '—',
    target,
    result: ok === undefined ? '' : ok ? 'PASS' : 'MISS',
  });
  return [
    row(
      '(i) attacked: /healthz p99 (ms)',
      ms(f.attacked.healthz.p99),
      `< ${ATTACK_TARGETS.healthP99Ms} ms`,
      f.attacked.healthz.p99 < ATTACK_TARGETS.healthP99Ms,
    ),
    row('    /healthz p99 with / without attacker', `${f.healthP99Ratio.toFixed(2)}×`),
    row('    other pair relay p99 without / with (ms)', `${ms(f.baseline.relay.p99)} / ${ms(f.attacked.relay.p99)}`),
    row(
      '    other pair relay p99 with / without',
      `${f.relayP99Ratio.toFixed(2)}×`,
      `< ${ATTACK_TARGETS.relayP99Ratio}×`,
      f.relayP99Ratio < ATTACK_TARGETS.relayP99Ratio,
    ),
    row('    server log lines (warn or worse)', String(f.logLines ?? 0), '0', (f.logLines ?? 0) === 0),
  ];
}

/** Issue 18's chaos rows: measured on the cluster of its own, in the server's column. */
function chaosTableRows(chaos: ChaosReport | undefined): Row[] {
  return (chaos ? chaosRows(chaos) : []).map((r): Row => ({
    figure: r.figure,
    server: r.value,
    cluster: '—',
    floor: '—',
    ratio: '—',
    clusterRatio: '—',
    target: r.target,
    result: r.ok === undefined ? '' : r.ok ? 'PASS' : 'MISS',
  }));
}
