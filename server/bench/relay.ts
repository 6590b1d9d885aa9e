/**
 * The relay phases of `npm run bench`, on targets that run side by side (the floor, the server,
 * the cluster, the group model): (d) memory per idle socket, (a) matching, (b) relaying at a
 * steady rate, (c) the ramp to the highest rate that holds; and (e), 3 processes matching at once
 * on their own. run.ts starts the targets and prints the table (report.ts).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Load,
  RampPlan,
  Tally,
  targetCpu,
  type LoadShape,
  type MatchResult,
  type RampResult,
  type RelayStep,
} from './load.js';
import { ms, mb, say, seconds } from './print.js';
import { median } from '../test/stats.js';
import { cpuSeconds, startCluster, type Memory, type RedisStats, type Target } from './proc.js';

/**
 * Relaying before (b), unmeasured, per target: the first seconds run on code the JIT has not
 * optimised yet, in both relays alike, and counting them pulls every ratio toward 1.
 */
const WARMUP_MS = 3000;
/**
 * (a)'s unmeasured rounds per target. A join path is still getting faster for its first bursts
 * of 2,000 joins while the JIT optimises it by stages (with one warm-up round, the server's CPU
 * per round fell from 0.22 s to 0.12 s over the first five timed ones), and a deployed server
 * has matched far more users than that before anyone is timed. The floor warms too: in runs of
 * 25 rounds both settled only after about a dozen (docs/architecture.md, "One run").
 */
const MATCH_WARMUP_ROUNDS = 3;
/**
 * (a) runs this many times per target after its warm-up, taking turns (floor, server, floor,
 * server): its figure is the median. One round lasts a tenth of a second, so a neighbour's burst
 * of CPU can double it; with two rounds and their mean, the ratio moved by more than its margin
 * from run to run.
 */
const MATCH_ROUNDS = 9;
/** Frames per second each socket sends in (b). */
export const STEADY_PER_SOCKET = 5;
/** (b) runs in this many slices per target, alternating, so both see the same neighbours. */
const STEADY_SLICES = 4;
/** Per-socket rates of the ramp's steps: the server drops frames above 50/s per socket, so the ramp stops at 40. */
export const RAMP_PER_SOCKET = [5, 7.5, 10, 12.5, 15, 17.5, 20, 25, 30, 35, 40];
/**
 * A ramp step whose p99 goes over this did not hold, by load shape. Paced frames wait for almost
 * nothing while a relay keeps up, so 100 ms is already queueing. A burst of 2,000 frames waits
 * for the relay to get through it and for the generator to send it (one process, one core: its
 * send timer ran 60–165 ms late at every rate), 60–200 ms in either relay at rates it keeps up
 * with. With 100 ms, that noise decided the ramp: the server held 25,000 frames/s in one run and
 * failed 10,000 twice in another on the same code, and the floor went over 100 ms at 10,000
 * with a third of a core busy. 250 ms is that burst plus the backlog ACHIEVED_SHARE allows by
 * the end of a 3 s step (5% of it, 150 ms): past it, the relay is falling behind.
 */
export const P99_LIMIT_MS: Record<LoadShape, number> = { burst: 250, paced: 100 };

/** The relay phases' targets, as ratios to the floor (or the single process) where the issues set them so. */
export const RELAY_TARGETS = {
  /** Issue 18: the single process against the floor. */
  p99Ratio: 1.15,
  cpuPerFrameRatio: 1.1,
  sustainedRatio: 0.9,
  matchRatio: 1.3,
  matchMs: 1000,
  /** Issue 18: two processes on Redis against the single process. */
  clusterP99Ratio: 1.3,
  clusterSustainedRatio: 0.9,
  rssPerSocketKb: 30,
  /** Issue 5: cross-process relay p99 within twice the same-process p99; 3,000 users over 3 processes matched in 2 s. */
  crossP99Ratio: 2,
  clusterMatchMs: 2000,
};

/** The load of the relay phases, from run.ts's flags. */
export interface RelayOptions {
  /** Users per target, a multiple of twice the categories. */
  users: number;
  /** How long (b) relays per target, in all its slices. */
  steadyMs: number;
  /** How long each step of the ramp (c) relays. */
  stepMs: number;
  shape: LoadShape;
}

/** What the relay phases measured on one target. */
export interface Figures {
  idle: { sockets: number; before: Memory; after: Memory; perSocketKb: number; heapPerSocketKb: number };
  /** Rooms whose two members are on different processes (a cluster only). */
  crossRooms: number;
  match: MatchResult;
  steady: RelayStep & { lost: number };
  /** What Redis did for (b), for targets that have one. */
  redis?: RedisUse;
  /** Not for the group model (see the top of run.ts). */
  ramp?: RampResult;
  /** Frames never delivered over the whole run, the ramp's overload included. */
  lostOverall: number;
  /** Lines the process printed: the server logs at warn, so every line is a warning or worse. */
  logLines: number;
  logTail: string[];
}

export type Name = Target['name'];

/** Redis's work for (b), per frame sent, with the CPU of Redis and of the relay's processes in the same windows. */
export interface RedisUse {
  frames: number;
  /** Every command Redis ran (those inside scripts included), per frame; then by command. */
  commandsPerFrame: number;
  commandsPerFrameBy: Record<string, number>;
  /** Bytes Redis read from its clients and wrote to them (subscribers included), per frame. */
  bytesInPerFrame: number;
  bytesOutPerFrame: number;
  redisCores: number;
  /** The relay's node processes, Redis left out. */
  processCores: number;
}

interface RedisReading {
  at: number;
  /** CPU seconds of all the target's processes, Redis included. */
  targetCpuS: number;
  stats: RedisStats;
}

async function readRedis(target: Target): Promise<RedisReading | null> {
  if (!target.redisStats) return null;
  const targetCpuS = target.cpuPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  return { at: performance.now(), targetCpuS, stats: await target.redisStats() };
}

/** Adds up what Redis did between pairs of readings: (b)'s slices, without the other targets' turns between them. */
class RedisMeter {
  private seconds = 0;
  private targetCpuS = 0;
  private redisCpuS = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private readonly calls: Record<string, number> = {};

  add(before: RedisReading | null, after: RedisReading | null): void {
    if (!before || !after) return;
    this.seconds += (after.at - before.at) / 1000;
    this.targetCpuS += after.targetCpuS - before.targetCpuS;
    this.redisCpuS += after.stats.cpuS - before.stats.cpuS;
    this.bytesIn += after.stats.netInBytes - before.stats.netInBytes;
    this.bytesOut += after.stats.netOutBytes - before.stats.netOutBytes;
    for (const [command, calls] of Object.entries(after.stats.calls)) {
      const delta = calls - (before.stats.calls[command] ?? 0);
      if (delta > 0) this.calls[command] = (this.calls[command] ?? 0) + delta;
    }
  }

  result(frames: number): RedisUse | undefined {
    if (this.seconds === 0 || frames === 0) return undefined;
    const total = Object.values(this.calls).reduce((sum, n) => sum + n, 0);
    return {
      frames,
      commandsPerFrame: total / frames,
      commandsPerFrameBy: Object.fromEntries(
        Object.entries(this.calls)
          .sort(([, a], [, b]) => b - a)
          .map(([command, n]) => [command, n / frames]),
      ),
      bytesInPerFrame: this.bytesIn / frames,
      bytesOutPerFrame: this.bytesOut / frames,
      redisCores: this.redisCpuS / this.seconds,
      processCores: (this.targetCpuS - this.redisCpuS) / this.seconds,
    };
  }
}

/** `publish 1.00, evalsha 0.50`: the commands Redis ran per frame, those of at least 0.01. */
export function describeCommands(use: RedisUse): string {
  const kinds = Object.entries(use.commandsPerFrameBy).filter(([, n]) => n >= 0.01);
  return kinds.length ? kinds.map(([command, n]) => `${command} ${n.toFixed(2)}`).join(', ') : 'none';
}

function describeCounts(step: RelayStep): string {
  const parts = [
    ...Object.entries(step.errors).map(([code, n]) => `${n}× error ${code}`),
    ...Object.entries(step.closes).map(([code, n]) => `${n}× close ${code}`),
  ];
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** Cores in use during a step: the relay's, the bench's own, and the rest of the machine's (neighbours). */
function cpuShares(step: RelayStep): string {
  const cores = (cpu: number) => (cpu / (step.durationMs / 1000)).toFixed(2);
  return `cores: relay ${cores(step.targetCpuS)}, bench ${cores(step.generatorCpuS)}, others ${cores(step.othersCpuS)}`;
}

/**
 * Both relays run side by side, but only one carries load at any moment. Keeping both up lets
 * the ramp alternate between them step by step, so that a neighbour's burst of CPU on a shared
 * machine falls on both alike instead of deciding the ratio.
 */
export async function benchRelays(targets: Target[], options: RelayOptions): Promise<Partial<Record<Name, Figures>>> {
  const { users, steadyMs, stepMs, shape } = options;
  const loads = targets.map((target) => ({
    target,
    load: new Load(target, users),
    tag: target.name.padEnd(6),
    ramps: target.name !== 'group',
  }));
  const figures: Partial<Record<Name, Partial<Figures>>> = {};
  try {
    // (d) before anything else: on a process that has done nothing but sign users in. Each
    // target is measured alone, before the other opens its sockets.
    for (const { target, load, tag } of loads) {
      let t = performance.now();
      await load.signIn();
      if (target.needsGuests) say(`${tag} ${users} guests created in ${seconds(t)}`);
      const before = await target.memory();
      t = performance.now();
      await load.connect();
      say(`${tag} ${users} sockets open in ${seconds(t)}`);
      const after = await target.memory();
      target.releaseInspector();
      const idle = {
        sockets: users,
        before,
        after,
        perSocketKb: (after.rssKb - before.rssKb) / users,
        heapPerSocketKb: (after.heapKb - before.heapKb) / users,
      };
      figures[target.name] = { idle };
      say(
        `${tag} (d) RSS ${mb(before.rssKb)} → ${mb(after.rssKb)}: ${idle.perSocketKb.toFixed(1)} KB per idle socket (heap ${idle.heapPerSocketKb.toFixed(1)} KB)`,
      );
    }

    // (a) in rounds, taking turns, so a neighbour's burst of CPU falls on every target alike. The
    // first rounds warm up (their times are not counted, their trouble is): the first bursts of
    // joins run a join path cold (MATCH_WARMUP_ROUNDS). Each round starts once every target is
    // idle: what the last one still did after its round (the ends of its rooms written, its
    // friends told) is not the next one's time to match.
    const matches = loads.map((): MatchResult[] => []);
    for (let round = 0; round < MATCH_WARMUP_ROUNDS + MATCH_ROUNDS; round++) {
      for (const [i, { target, load, tag }] of loads.entries()) {
        if (round > 0) await load.unmatch();
        await untilIdle(loads.map((l) => l.target));
        const match = await load.match();
        matches[i]!.push(match);
        say(
          `${tag} (a)${round < MATCH_WARMUP_ROUNDS ? ' warm-up:' : ''} ${match.matched}/${match.users} matched in ${ms(match.ms)} ms (half in ${ms(match.halfMs)} ms, ${target.name} CPU ${match.targetCpuS.toFixed(2)} s), ` +
            `${match.rooms} rooms, ${match.notMutual} not mutual, ${match.outOfContract} out of contract`,
        );
        if (load.pairedCount === 0) throw new Error(`${target.name}: nobody was matched, nothing to relay`);
      }
    }
    for (const [i, { target, load, tag }] of loads.entries()) {
      figures[target.name]!.match = medianMatch(matches[i]!);
      if (target.ports.length > 1) {
        const fromMatch = load.crossCount / 2;
        await load.repair();
        say(
          `${tag}     ${fromMatch} rooms of (a) split over the 2 processes; paired again for (b) and (c): ${load.crossCount / 2} of ${load.pairedCount / 2} split`,
        );
      }
      figures[target.name]!.crossRooms = load.crossCount / 2;
    }

    // Unmeasured, so that (b) sees code the JIT has optimised (see WARMUP_MS).
    for (const { load } of loads) {
      await load.relay(STEADY_PER_SOCKET * load.pairedCount, WARMUP_MS, 1000, undefined, shape);
    }
    // (b) in slices, alternating between the targets, for the same reason as the ramp.
    const steady = loads.map(({ load }) => new Tally(STEADY_PER_SOCKET * load.pairedCount * (steadyMs / 1000)));
    const meters = loads.map(() => new RedisMeter());
    for (let slice = 0; slice < STEADY_SLICES; slice++) {
      for (const [i, { target, load }] of loads.entries()) {
        const before = await readRedis(target);
        await load.relay(STEADY_PER_SOCKET * load.pairedCount, steadyMs / STEADY_SLICES, 1000, steady[i], shape);
        meters[i]!.add(before, await readRedis(target));
      }
    }
    for (const [i, { target, load, tag }] of loads.entries()) {
      await load.quiesce(5000);
      const step = steady[i]!.summary();
      const f = figures[target.name]!;
      f.steady = { ...step, lost: step.missing };
      f.redis = meters[i]!.result(step.sent);
      say(
        `${tag} (b) ${step.rate} frames/s for ${step.durationMs / 1000} s: p50 ${ms(step.latency.p50)} p95 ${ms(step.latency.p95)} ` +
          `p99 ${ms(step.latency.p99)} ms, ${step.missing} lost, ${step.outOfOrder} out of order, ${cpuShares(step)}${describeCounts(step)}`,
      );
      if (target.ports.length > 1) {
        const { latencySame: same, latencyCross: cross } = step;
        say(
          `${tag}     pairs on one process: p50 ${ms(same.p50)} p95 ${ms(same.p95)} p99 ${ms(same.p99)} ms (${same.count} frames); ` +
            `across processes: p50 ${ms(cross.p50)} p95 ${ms(cross.p95)} p99 ${ms(cross.p99)} ms (${cross.count} frames)`,
        );
      }
      if (f.redis) {
        say(
          `${tag}     Redis: ${f.redis.commandsPerFrame.toFixed(2)} commands per frame (${describeCommands(f.redis)}), ` +
            `${Math.round(f.redis.bytesInPerFrame)} bytes in and ${Math.round(f.redis.bytesOutPerFrame)} out per frame, ` +
            `cores: Redis ${f.redis.redisCores.toFixed(2)}, processes ${f.redis.processCores.toFixed(2)}`,
        );
      }
    }

    const plans = loads.map(({ load, ramps }) =>
      ramps
        ? new RampPlan(
            RAMP_PER_SOCKET.map((r) => Math.round(r * load.pairedCount)),
            P99_LIMIT_MS[shape],
          )
        : null,
    );
    for (;;) {
      let ran = false;
      for (const [i, { load, tag }] of loads.entries()) {
        const plan = plans[i];
        if (!plan) continue;
        const rate = plan.next();
        if (rate === null) continue;
        ran = true;
        const step = await load.relay(rate, stepMs, 1000, undefined, shape);
        const held = plan.record(step);
        say(
          `${tag} (c) ${String(rate).padStart(6)} frames/s: delivered ${String(Math.round(step.achievedRate)).padStart(6)}, p99 ${ms(step.latency.p99).padStart(6)} ms, ${cpuShares(step)}: ` +
            `${held ? 'held' : `failed, ${plan.result.steps.at(-1)!.why}`}${describeCounts(step)}`,
        );
        // A failed step's backlog must clear, or it sinks the next step too.
        if (!held) await load.quiesce(5000);
      }
      if (!ran) break;
    }

    for (const [i, { target, load }] of loads.entries()) {
      const f = figures[target.name]!;
      if (plans[i]) f.ramp = plans[i].result;
      f.lostOverall = await load.lost(5000);
      f.logLines = target.lineCount();
      f.logTail = target.tail();
    }
  } finally {
    for (const { load } of loads) load.close();
  }
  return figures as Partial<Record<Name, Figures>>;
}

/**
 * (a)'s rounds as one figure: times and CPU are medians over the rounds after the warm-up, counts
 * of trouble add up over all of them, counts of users are the worst round's.
 */
function medianMatch(rounds: readonly MatchResult[]): MatchResult {
  const timed = rounds.slice(MATCH_WARMUP_ROUNDS);
  const middle = (pick: (m: MatchResult) => number) => median(timed.map(pick));
  const sum = (pick: (m: MatchResult) => number) => rounds.reduce((total, m) => total + pick(m), 0);
  return {
    users: rounds[0]!.users,
    ms: middle((m) => m.ms),
    halfMs: middle((m) => m.halfMs),
    lastMs: middle((m) => m.lastMs),
    targetCpuS: middle((m) => m.targetCpuS),
    matched: Math.min(...rounds.map((m) => m.matched)),
    unmatched: Math.max(...rounds.map((m) => m.unmatched)),
    rooms: Math.min(...rounds.map((m) => m.rooms)),
    notMutual: sum((m) => m.notMutual),
    outOfContract: sum((m) => m.outOfContract),
  };
}

/** (e) `users` users, split evenly over 3 processes on one Redis, join at once. */
export async function matchOverThree(root: string, users: number, nodeFlags: string[]): Promise<MatchResult> {
  const target = await startCluster(root, 3, 'cluster3', (index) => index % 3, nodeFlags);
  const load = new Load(target, users);
  const tag = 'cluster3'.padEnd(6);
  try {
    let t = performance.now();
    await load.signIn();
    say(`${tag} ${users} guests created on 3 processes in ${seconds(t)}`);
    t = performance.now();
    await load.connect();
    say(`${tag} ${users} sockets open in ${seconds(t)}`);
    const match = await load.match();
    say(
      `${tag} (e) ${match.matched}/${match.users} matched over 3 processes in ${ms(match.ms)} ms (half in ${ms(match.halfMs)} ms, CPU ${match.targetCpuS.toFixed(2)} s with Redis), ` +
        `${match.unmatched} left unmatched, ${match.rooms} rooms, ${match.notMutual} not mutual, ${match.outOfContract} out of contract`,
    );
    return match;
  } finally {
    load.close();
    await target.stop();
  }
}

/** Cores the rest of the machine used on average while this target relayed: neighbours on a shared machine. */
export function neighbours(f: Figures): number {
  const steps = [f.steady, ...(f.ramp?.steps ?? [])];
  return steps.reduce((sum, s) => sum + s.othersCpuS, 0) / (steps.reduce((sum, s) => sum + s.durationMs, 0) / 1000);
}

/**
 * Waits until `targets` together use under a tenth of a core for 100 ms (at most 5 s): a round
 * measured while another target still works would count that work as its own.
 */
async function untilIdle(targets: readonly Target[]): Promise<void> {
  const used = () => targets.reduce((sum, t) => sum + targetCpu(t), 0);
  const deadline = performance.now() + 5000;
  let before = used();
  while (performance.now() < deadline) {
    await sleep(100);
    const now = used();
    if (now - before < 0.015) return; // /proc counts CPU in 10 ms ticks: at most one
    before = now;
  }
}
