/**
 * Issue 14's shield figures, in headless Chromium (software rendering here, no GPU) against the
 * real server, per model the app can load (MobileNetV2, MobileNetV2Mid; chosen per page through
 * the classifier's localStorage override, as a developer would):
 * - load: the classifier's own `shield-load` measure (fetching tfjs's backend, the model, warm-up);
 * - ms per check: its `shield-check` measures (draw a frame to 224×224, one inference), median and p95;
 * - share of one core at the default interval: a check runs on the page's main thread and the
 *   next starts SHIELD_INTERVAL_MS after the last began, so the share is ms per check over
 *   max(interval, ms per check);
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
import { SAMPLER, samples, shieldMeasures } from '../test/e2e/shield-page.js';
import { median } from './call.js';

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
  checkMs: number[];
  checkMedianMs: number;
  checkP95Ms: number;
  /** Median check over max(interval, median check). */
  coreShare: number;
  firstFrameMs: number[];
  firstUnblurredMs: number[];
  firstFrameMedianMs: number;
  firstUnblurredMedianMs: number;
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
        checkMs: [],
        checkMedianMs: Number.NaN,
        checkP95Ms: Number.NaN,
        coreShare: Number.NaN,
        firstFrameMs: [],
        firstUnblurredMs: [],
        firstFrameMedianMs: Number.NaN,
        firstUnblurredMedianMs: Number.NaN,
        retries: 0,
      };
      let retries = 0;
      for (let i = 1; i <= calls; i++) {
        const users = await Promise.all([AppUser.open(browser, server.url, `Ada ${i}`), AppUser.open(browser, server.url, `Bo ${i}`)]);
        const [a, b] = users;
        try {
          for (const user of users) {
            await user.context.addInitScript({ content: `${SAMPLER};try{localStorage.setItem('smalltalk.shield.model', ${JSON.stringify(model)})}catch{}` });
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
          await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
          const measures = await shieldMeasures(b.page);
          if (!measures.load) throw new Error('the classifier left no shield-load measure');
          const detail = measures.load.detail as { backend?: string; loadMs?: number } | null;
          if (detail?.backend && !f.backends.includes(detail.backend)) f.backends.push(detail.backend);
          f.loadMs.push(detail?.loadMs ?? measures.load.duration);
          f.checkMs.push(...measures.checks);
          f.firstFrameMs.push(seen.at - click);
          f.firstUnblurredMs.push(unblurred - click);
          say(
            `shield ${model} ${String(i).padStart(2)}/${calls}: load ${(detail?.loadMs ?? measures.load.duration).toFixed(0)} ms (${detail?.backend ?? '?'}), ` +
              `first frame ${(seen.at - click).toFixed(0)} ms, first unblurred ${(unblurred - click).toFixed(0)} ms, ` +
              `${measures.checks.length} checks, median ${median(measures.checks).toFixed(0)} ms`,
          );
        } catch (error) {
          const reports = await Promise.all(users.map((u) => u.report()));
          (error as Error).message += `\n${reports.join('\n')}\n--- server:\n${server.tail().slice(-10).join('\n')}`;
          // A busy machine can stall one page; the call is run again (said, and counted), twice at most per model.
          if (retries >= 2) throw error;
          retries += 1;
          f.retries += 1;
          say(`shield ${model} ${String(i).padStart(2)}/${calls}: failed, run again (${(error as Error).message.split('\n')[0]})`);
          i -= 1;
        } finally {
          await Promise.all(users.map((u) => u.close()));
        }
      }
      f.checkMedianMs = median(f.checkMs);
      f.checkP95Ms = percentile(f.checkMs, 95);
      f.coreShare = f.checkMedianMs / Math.max(SHIELD_INTERVAL_MS, f.checkMedianMs);
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

/** The shield's table, one column per model. */
export function renderShield(figures: ShieldFigures): string {
  if (figures.skipped) return `shield skipped: ${figures.skipped}`;
  const fmt = (v: number, digits = 0) => (Number.isNaN(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits }));
  const rows: string[][] = [['figure', ...figures.models.map((m) => m.model), 'target']];
  const row = (figure: string, pick: (m: ShieldModelFigures) => string, target = '') => rows.push([figure, ...figures.models.map(pick), target]);
  row('backend', (m) => m.backends.join(', ') || '?');
  row('calls run again after a failure', (m) => String(m.retries));
  row('(i) load, median (ms)', (m) => fmt(median(m.loadMs)));
  row('    load, slowest (ms)', (m) => fmt(Math.max(...m.loadMs)));
  row('(ii) ms per check, median', (m) => fmt(m.checkMedianMs, 1));
  row('     ms per check, p95', (m) => fmt(m.checkP95Ms, 1));
  row('     checks measured', (m) => String(m.checkMs.length));
  row(`(iii) share of one core at ${SHIELD_INTERVAL_MS} ms`, (m) => `${fmt(m.coreShare * 100, 1)}%`, `< ${SHIELD_TARGETS.coreShare * 100}%`);
  row(`(iv) Start → first remote frame, median of ${figures.models[0]?.firstFrameMs.length ?? 0} (ms)`, (m) => fmt(m.firstFrameMedianMs));
  row('     Start → first unblurred frame, median (ms)', (m) => fmt(m.firstUnblurredMedianMs));
  row('     shield delay (unblurred − first), median (ms)', (m) => fmt(m.firstUnblurredMedianMs - m.firstFrameMedianMs), `≤ ${SHIELD_TARGETS.unblurDelayMs} ms`);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}
