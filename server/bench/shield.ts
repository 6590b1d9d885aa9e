/**
 * Issue 14's shield figures, in headless Chromium (software rendering here, no GPU) against the
 * real server, per model the app can load (MobileNetV2, MobileNetV2Mid; chosen per page through
 * the classifier's localStorage override, as a developer would):
 * - load: the classifier's own `shield-load` measure (starting its worker, the backend, fetching
 *   the model, warm-up), and when it ended relative to the click on Start (negative: the model was
 *   ready before Start, as the app now loads it while the user is on Categories);
 * - per check, from its `shield-check` measures: the round trip (the page asks for a 224×224
 *   frame, the worker classifies it, the scores are back), and the busy time: how long the page's
 *   main thread and the worker each worked on it, measured around their synchronous parts
 *   (performance.now, so a thread preempted by other processes counts as busy: on a loaded
 *   machine this overstates the CPU time, never understates it). Medians and p95;
 * - share of one core at the default interval: the CPU time (user + system, as the kernel counts
 *   it in /proc) of the shield's worker threads in both pages of a call (Chromium names them
 *   "DedicatedWorker thread"; the app starts no other worker) over a HOLD_MS stretch of steady
 *   checking, divided by the checks both pages finished in it: CPU ms per check, over
 *   SHIELD_INTERVAL_MS. Other processes' load doesn't inflate it (time spent waiting for a core
 *   is not CPU time), and a slow machine that runs fewer checks than one per interval is counted
 *   as if it ran them all. The page's own part (asking the browser for a small ImageBitmap) is
 *   not in it: its busy time is in the busy figure above, tenths of a ms;
 * - start-matching → first remote frame, and → first remote frame shown unblurred (presented
 *   with no CSS filter): the shield's delay is their difference. Medians over `calls` calls.
 *
 *   npm run bench -- --only shield [--calls 10]
 *
 * Not in the default set: two models × 10 calls, each call held a few seconds to collect
 * checks, take 4–9 minutes (539 s on a 2-core machine other work kept at a load average of 11;
 * run.ts gives up after 10 minutes).
 */
import fs from 'node:fs';
import { AppUser } from '../test/e2e/app.js';
import { CHROMIUM_PATH, firstRemoteFrame, launchBrowser } from '../test/e2e/browser.js';
import { startServerProcess, webBuildExists } from '../test/e2e/server.js';
import { checks, SAMPLER, samples, shieldMeasures, stateChanges } from '../test/e2e/shield-page.js';
import { median } from '../test/stats.js';

/** The targets. */
export const SHIELD_TARGETS = {
  /** Median first unblurred frame within this of the first frame. */
  unblurDelayMs: 1000,
  /** A check's cost at the default interval, as a share of one core. */
  coreShare: 0.25,
};

/** SHIELD_INTERVAL_MS's default (apps/mobile/src/defaults.ts). */
export const SHIELD_INTERVAL_MS = 500;

/** How long each call stays up after it cleared, so checks pile up to measure. */
const HOLD_MS = 4000;

export const SHIELD_BENCH_MODELS = ['mobilenet_v2', 'mobilenet_v2_mid'] as const;

export interface ShieldModelFigures {
  model: string;
  /** The backends the classifier ran on (from its `shield-load` measure). */
  backends: string[];
  loadMs: number[];
  /** When the load ended, relative to the click on Start (ms; negative: before it). */
  readyAtMs: number[];
  /** Round trip of each check (page → worker → page). */
  checkMs: number[];
  checkMedianMs: number;
  checkP95Ms: number;
  /** Busy time of each check (the page's main thread + the worker, no waiting). */
  busyMs: number[];
  busyMedianMs: number;
  busyP95Ms: number;
  /** CPU ms of the worker threads per check, one figure per call (from /proc). */
  cpuPerCheckMs: number[];
  /** Median CPU ms per check over SHIELD_INTERVAL_MS. */
  coreShare: number;
  firstFrameMs: number[];
  firstUnblurredMs: number[];
  firstFrameMedianMs: number;
  firstUnblurredMedianMs: number;
  /**
   * Where the shield's delay goes, per call, from the first remote frame (ms): the first check
   * began (`checkStart`), its scores were back (`checkEnd`), shield-state said clear (`clear`),
   * the first unblurred frame was presented (`shown`).
   */
  delay: Array<{ checkStart: number; checkEnd: number; clear: number; shown: number }>;
  /** Calls that failed and were run again. */
  retries: number;
}

export interface ShieldFigures {
  skipped?: string;
  models: ShieldModelFigures[];
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function benchShield(options: { calls: number; say(line: string): void }): Promise<ShieldFigures> {
  const { calls, say } = options;
  if (!fs.existsSync(CHROMIUM_PATH)) return { skipped: `${CHROMIUM_PATH} is missing`, models: [] };
  if (!webBuildExists()) return { skipped: 'apps/mobile/dist is not built', models: [] };
  const server = await startServerProcess({ env: { REMATCH_COOLDOWN_S: '0' } });
  const browser = await launchBrowser();
  const figures: ShieldFigures = { models: [] };
  try {
    for (const model of SHIELD_BENCH_MODELS) {
      const f: ShieldModelFigures = {
        model,
        backends: [],
        loadMs: [],
        readyAtMs: [],
        checkMs: [],
        checkMedianMs: Number.NaN,
        checkP95Ms: Number.NaN,
        busyMs: [],
        busyMedianMs: Number.NaN,
        busyP95Ms: Number.NaN,
        cpuPerCheckMs: [],
        coreShare: Number.NaN,
        firstFrameMs: [],
        firstUnblurredMs: [],
        firstFrameMedianMs: Number.NaN,
        firstUnblurredMedianMs: Number.NaN,
        delay: [],
        retries: 0,
      };
      let retries = 0;
      for (let i = 1; i <= calls; i++) {
        const users = await Promise.all([
          AppUser.open(browser, server.url, `Ada ${i}`),
          AppUser.open(browser, server.url, `Bo ${i}`),
        ]);
        const [a, b] = users;
        try {
          for (const user of users) {
            await user.context.addInitScript({
              content: `${SAMPLER};try{localStorage.setItem('smalltalk.shield.model', ${JSON.stringify(model)})}catch{}`,
            });
            await user.page.reload();
          }
          await Promise.all([a.continueAsGuest(), b.continueAsGuest()]);
          await a.search('music');
          await b.pick('music');
          const clicked = await b.clickTimestamp('start-matching');
          const frame = firstRemoteFrame(b.page, 30_000);
          await b.startMatching();
          const [click, seen] = await Promise.all([clicked(), frame]);
          // The first presented frame with no filter: the first the user saw.
          let unblurred: number | undefined;
          const deadline = Date.now() + 30_000;
          while (unblurred === undefined && Date.now() < deadline) {
            unblurred = (await samples(b.page)).find((s) => s.presented && s.filter === 'none')?.at;
            if (unblurred === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
          }
          if (unblurred === undefined) throw new Error('no unblurred remote frame within 30 s');
          // Steady checking: the CPU the workers spend, against the checks they finish meanwhile.
          const cpuBefore = workerThreadsCpuMs();
          const checksBefore = (await checks(a.page)) + (await checks(b.page));
          await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
          const checksRun = (await checks(a.page)) + (await checks(b.page)) - checksBefore;
          const cpuAfter = workerThreadsCpuMs();
          let cpuMs = 0;
          for (const [thread, ms] of cpuAfter) cpuMs += ms - (cpuBefore.get(thread) ?? ms);
          if (cpuBefore.size === 0 || checksRun === 0)
            throw new Error(`no shield worker threads (${cpuBefore.size}) or no checks (${checksRun}) to measure`);
          const cpuPerCheck = cpuMs / checksRun;
          f.cpuPerCheckMs.push(cpuPerCheck);
          const measures = await shieldMeasures(b.page);
          if (!measures.load) throw new Error('the classifier left no shield-load measure');
          const detail = measures.load.detail as { backend?: string; loadMs?: number } | null;
          if (detail?.backend && !f.backends.includes(detail.backend)) f.backends.push(detail.backend);
          f.loadMs.push(detail?.loadMs ?? measures.load.duration);
          const readyAt = measures.load.startTime + measures.load.duration - click;
          f.readyAtMs.push(readyAt);
          f.checkMs.push(...measures.checks.map((c) => c.duration));
          f.busyMs.push(...measures.checks.map((c) => c.busyMs).filter((ms) => !Number.isNaN(ms)));
          f.firstFrameMs.push(seen.at - click);
          const first = measures.checks[0];
          const clear = (await stateChanges(b.page)).find((c) => c.state === 'clear');
          const delay = {
            checkStart: first ? first.startTime - seen.at : Number.NaN,
            checkEnd: first ? first.startTime + first.duration - seen.at : Number.NaN,
            clear: clear ? clear.at - seen.at : Number.NaN,
            shown: unblurred - seen.at,
          };
          f.delay.push(delay);
          f.firstUnblurredMs.push(unblurred - click);
          say(
            `shield ${model} ${String(i).padStart(2)}/${calls}: load ${(detail?.loadMs ?? measures.load.duration).toFixed(0)} ms (${detail?.backend ?? '?'}, ready ${readyAt.toFixed(0)} ms from Start), ` +
              `first frame ${(seen.at - click).toFixed(0)} ms, first unblurred ${(unblurred - click).toFixed(0)} ms, ` +
              `${measures.checks.length} checks, median ${median(measures.checks.map((c) => c.duration)).toFixed(0)} ms round trip, ` +
              `${median(measures.checks.map((c) => c.busyMs)).toFixed(0)} ms busy, ${cpuPerCheck.toFixed(0)} ms CPU (${checksRun} checks in ${HOLD_MS} ms on ${cpuBefore.size} workers); ` +
              `from the first frame: first check ${delay.checkStart.toFixed(0)}–${delay.checkEnd.toFixed(0)} ms, clear ${delay.clear.toFixed(0)} ms, shown ${delay.shown.toFixed(0)} ms`,
          );
        } catch (error) {
          const reports = await Promise.all(users.map((u) => u.report()));
          (error as Error).message += `\n${reports.join('\n')}\n--- server:\n${server.tail().slice(-10).join('\n')}`;
          // A busy machine can stall one page; the call is run again (said, and counted), twice at most per model.
          if (retries >= 2) throw error;
          retries += 1;
          f.retries += 1;
          say(
            `shield ${model} ${String(i).padStart(2)}/${calls}: failed, run again (${(error as Error).message.split('\n')[0]})`,
          );
          i -= 1;
        } finally {
          await Promise.all(users.map((u) => u.close()));
        }
      }
      f.checkMedianMs = median(f.checkMs);
      f.checkP95Ms = percentile(f.checkMs, 95);
      f.busyMedianMs = median(f.busyMs);
      f.busyP95Ms = percentile(f.busyMs, 95);
      f.coreShare = median(f.cpuPerCheckMs) / SHIELD_INTERVAL_MS;
      f.firstFrameMedianMs = median(f.firstFrameMs);
      f.firstUnblurredMedianMs = median(f.firstUnblurredMs);
      figures.models.push(f);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  return figures;
}

/**
 * CPU time (user + system) so far of every Web Worker thread among this process's descendants
 * (the browser we launched and its renderers; not another job's Chromium), keyed by pid/tid.
 * Chromium names a dedicated worker's thread "DedicatedWorker thread", of which the kernel keeps
 * 15 characters. /proc counts in USER_HZ ticks (100 a second): ±10 ms per thread per reading.
 */
function workerThreadsCpuMs(): Map<string, number> {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const ours = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, parent] of parentOf) {
      if (!ours.has(pid) && ours.has(parent)) {
        ours.add(pid);
        grew = true;
      }
    }
  }
  const cpu = new Map<string, number>();
  for (const pid of ours) {
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        if (!fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('DedicatedWorker')) continue;
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        cpu.set(`${pid}/${tid}`, ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S) * 1000);
      } catch {
        // The thread ended while we looked.
      }
    }
  }
  return cpu;
}

/** USER_HZ, the unit of /proc's times: 100 on every Linux build we run on (as server/bench/proc.ts). */
const CLOCK_TICKS_PER_S = 100;

/** The shield's table, one column per model. */
export function renderShield(figures: ShieldFigures): string {
  if (figures.skipped) return `shield skipped: ${figures.skipped}`;
  const fmt = (v: number, digits = 0) =>
    Number.isNaN(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits });
  const rows: string[][] = [['figure', ...figures.models.map((m) => m.model), 'target']];
  const row = (figure: string, pick: (m: ShieldModelFigures) => string, target = '') =>
    rows.push([figure, ...figures.models.map(pick), target]);
  row('backend', (m) => m.backends.join(', ') || '?');
  row('calls run again after a failure', (m) => String(m.retries));
  row('(i) load, median (ms)', (m) => fmt(median(m.loadMs)));
  row('    load, slowest (ms)', (m) => fmt(Math.max(...m.loadMs)));
  row('     load ended, from Start, median (ms; < 0: before)', (m) => fmt(median(m.readyAtMs)));
  row('(ii) ms per check, round trip, median', (m) => fmt(m.checkMedianMs, 1));
  row('     ms per check, round trip, p95', (m) => fmt(m.checkP95Ms, 1));
  row('     ms per check, busy (page + worker), median', (m) => fmt(m.busyMedianMs, 1));
  row('     ms per check, busy (page + worker), p95', (m) => fmt(m.busyP95Ms, 1));
  row('     checks measured', (m) => String(m.checkMs.length));
  row('     CPU ms per check (worker threads, /proc), median of calls', (m) => fmt(median(m.cpuPerCheckMs), 1));
  row(
    `(iii) share of one core at ${SHIELD_INTERVAL_MS} ms (CPU per check / interval)`,
    (m) => `${fmt(m.coreShare * 100, 1)}%`,
    `< ${SHIELD_TARGETS.coreShare * 100}%`,
  );
  row(`(iv) Start → first remote frame, median of ${figures.models[0]?.firstFrameMs.length ?? 0} (ms)`, (m) =>
    fmt(m.firstFrameMedianMs),
  );
  row('     Start → first unblurred frame, median (ms)', (m) => fmt(m.firstUnblurredMedianMs));
  row(
    '     shield delay (unblurred − first), median (ms)',
    (m) => fmt(m.firstUnblurredMedianMs - m.firstFrameMedianMs),
    `≤ ${SHIELD_TARGETS.unblurDelayMs} ms`,
  );
  row('     of which: first frame → first check began, median (ms)', (m) =>
    fmt(median(m.delay.map((d) => d.checkStart))),
  );
  row('              first check, round trip, median (ms)', (m) =>
    fmt(median(m.delay.map((d) => d.checkEnd - d.checkStart))),
  );
  row('              scores → shield-state clear, median (ms)', (m) =>
    fmt(median(m.delay.map((d) => d.clear - d.checkEnd))),
  );
  row('              clear → first unblurred frame shown, median (ms)', (m) =>
    fmt(median(m.delay.map((d) => d.shown - d.clear))),
  );
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '))
    .join('\n');
}
