/**
 * Issue 4's call figures: how long from pressing Start (the peer already searching) until the
 * first frame of the peer's video, in headless Chromium against the real server over loopback;
 * and how much the browser downloads of the web app's JavaScript (gzipped). Issue 6's: the same
 * through TURN, a real coturn relaying every call (ICE_TRANSPORT_POLICY=relay).
 *
 *   npm run bench -- --only call [--calls 10]
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { AppUser } from '../test/e2e/app.js';
import { CHROMIUM_PATH, callSample, firstRemoteFrame, launchBrowser } from '../test/e2e/browser.js';
import { startServerProcess, webBuildExists, WEB_DIR } from '../test/e2e/server.js';
import { startTurnServer, turnserverInstalled, type TurnServer } from '../test/e2e/turn.js';
import { median } from '../test/stats.js';

/** Issue 4's targets. */
export const CALL_TARGETS = {
  /** Median time from Start to the first remote frame; WebRTC alone measured 0.8–1.6 s here. */
  firstFrameMs: 1500,
};

export interface CallFigures {
  /** Why the call phase did not run (no Chromium, no web build), if it didn't. */
  skipped?: string;
  /** Per call: ms from the click on `start-matching` to the first remote frame, on the clicker's page. */
  firstFrameMs: number[];
  /** How each first frame was seen: the <video> presenting it, or getStats counting it decoded. */
  via: Array<'video' | 'stats'>;
  medianMs: number;
  /** Per call: ms from the same click until the user already searching had its first remote frame too. */
  bothMs: number[];
  bundle: BundleSize | null;
}

export interface BundleSize {
  files: number;
  bytes: number;
  /** zlib's default level (6), as a server compressing on the fly sends it. */
  gzipBytes: number;
}

/** The web build's JavaScript (apps/mobile/dist/_expo/static/js/**.js), raw and gzipped. */
export function bundleSize(webDir = WEB_DIR): BundleSize | null {
  const dir = path.join(webDir, '_expo/static/js');
  if (!fs.existsSync(dir)) return null;
  const size: BundleSize = { files: 0, bytes: 0, gzipBytes: 0 };
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const content = fs.readFileSync(path.join(entry.parentPath, entry.name));
    size.files += 1;
    size.bytes += content.length;
    size.gzipBytes += zlib.gzipSync(content).length;
  }
  return size;
}

/**
 * `calls` calls, one at a time, each between two new users: A searches music, then B picks
 * music and clicks Start; the clock runs on B's page from the click's event time to the first
 * frame its remote <video> presents. Page loads and sign-in are outside the measure.
 */
export async function benchCalls(options: {
  calls: number;
  say(line: string): void;
  turn?: boolean;
}): Promise<CallFigures> {
  const { calls, say } = options;
  const tag = options.turn ? 'turn  ' : 'call  ';
  const bundle = bundleSize();
  const figures: CallFigures = { firstFrameMs: [], via: [], medianMs: Number.NaN, bothMs: [], bundle };
  if (!fs.existsSync(CHROMIUM_PATH)) return { ...figures, skipped: `${CHROMIUM_PATH} is missing` };
  if (!webBuildExists()) return { ...figures, skipped: 'apps/mobile/dist is not built' };
  if (options.turn && !turnserverInstalled()) return { ...figures, skipped: 'turnserver (coturn) is missing' };

  // Through TURN: relay only, so every call's media goes through coturn and nothing else.
  let turn: TurnServer | null = null;
  let env: Record<string, string> = {};
  if (options.turn) {
    const secret = randomBytes(24).toString('hex');
    turn = await startTurnServer({ secret });
    env = { TURN_URLS: turn.url('udp'), TURN_SECRET: secret, ICE_TRANSPORT_POLICY: 'relay' };
  }
  const server = await startServerProcess({ env });
  const browser = await launchBrowser();
  try {
    for (let i = 1; i <= calls; i++) {
      const [a, b] = await Promise.all([
        AppUser.open(browser, server.url, `Ada ${i}`),
        AppUser.open(browser, server.url, `Bo ${i}`),
      ]);
      try {
        await Promise.all([a.continueAsGuest(), b.continueAsGuest()]);
        await a.search('music');
        await b.pick('music');
        const clicked = await b.clickTimestamp('start-matching');
        const frameB = firstRemoteFrame(b.page);
        const frameA = firstRemoteFrame(a.page);
        await b.startMatching();
        const [click, seenB, seenA] = await Promise.all([clicked(), frameB, frameA]);
        // Two pages, two clocks: compare A's frame to B's click through wall-clock origins.
        const [originA, originB] = await Promise.all(
          [a, b].map((u) =>
            u.page.evaluate(
              () => (globalThis as unknown as { performance: { timeOrigin: number } }).performance.timeOrigin,
            ),
          ),
        );
        const ms = seenB.at - click;
        const both = Math.max(ms, originA! + seenA.at - (originB! + click));
        if (options.turn) {
          // A figure "through TURN" must be one: the selected pair is relay (outside the measure).
          const { pair } = await callSample(b.page);
          if (pair?.local.candidateType !== 'relay')
            throw new Error(`the call did not go through TURN: ${JSON.stringify(pair)}`);
        }
        figures.firstFrameMs.push(ms);
        figures.via.push(seenB.via);
        figures.bothMs.push(both);
        say(
          `${tag} ${String(i).padStart(2)}/${calls}: first remote frame ${ms.toFixed(0)} ms after Start (${seenB.via}), both sides ${both.toFixed(0)} ms`,
        );
      } catch (error) {
        const reports = await Promise.all([a, b].map((u) => u.report()));
        (error as Error).message += `\n${reports.join('\n')}\n--- server:\n${server.tail().slice(-10).join('\n')}`;
        throw error;
      } finally {
        // One call at a time: both pages go before the next pair opens theirs.
        await Promise.all([a.close(), b.close()]);
      }
    }
  } finally {
    await browser.close();
    await server.stop();
    await turn?.stop();
  }
  figures.medianMs = median(figures.firstFrameMs);
  return figures;
}
