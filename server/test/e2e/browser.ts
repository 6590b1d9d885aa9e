import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/**
 * Headless Chromium for real calls on these machines (docs/testing.md): Debian's
 * chromium driven by playwright-core, a fake camera and microphone, and flags that keep every
 * packet on loopback. Also what a test reads of a page's call: the remote <video> and the
 * RTCPeerConnection's getStats(), caught by wrapping the constructor, never through app internals.
 */

/** Debian's build; `npx playwright install` downloads a browser and fails here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** How long a test waits for something a user would see (a screen, a first frame, a status). */
export const UI_TIMEOUT_MS = 20_000;

/**
 * Playwright's own `--disable-features` list, read from the playwright-core installed here.
 * Chromium honours only the last `--disable-features` switch and Playwright passes its own
 * first, so ours must restate it, or the features it turns off (background networking to Google
 * hosts among them) come back on.
 */
export function playwrightDisabledFeatures(): string[] {
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('playwright-core/package.json'));
  // Older releases ship the switches as their own module; newer ones bundle them.
  for (const file of ['lib/server/chromium/chromiumSwitches.js', 'lib/coreBundle.js']) {
    const full = path.join(root, file);
    if (!fs.existsSync(full)) continue;
    const source = fs.readFileSync(full, 'utf8');
    const start = /disabledFeatures\s*=\s*\[/.exec(source);
    if (!start) continue;
    const end = source.indexOf('].filter(Boolean)', start.index);
    if (end < 0) continue;
    const body = source.slice(start.index + start[0].length, end);
    // Evaluated as Playwright evaluates it: entries may depend on an environment variable.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the list is code in playwright-core's own file, and only its result is kept, after checking each entry is a feature name
    const list = new Function('process', `return [${body}].filter(Boolean);`)(process) as unknown;
    if (Array.isArray(list) && list.length > 0 && list.every((f) => typeof f === 'string' && /^\w+$/.test(f)))
      return list as string[];
  }
  throw new Error(
    `cannot find Playwright's --disable-features list in ${root}: the Chromium flags need updating for this playwright-core`,
  );
}

/**
 * The launch flags docs/testing.md explains, one by one. `fakeUi: false` leaves out
 * --use-fake-ui-for-media-stream, so camera access follows the context's permissions (a context
 * without them is denied), as for a user who refused the prompt.
 */
export function chromiumArgs(options: { fakeUi?: boolean } = {}): string[] {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    ...(options.fakeUi === false ? [] : ['--use-fake-ui-for-media-stream']),
    '--use-fake-device-for-media-stream',
    // Without it Chromium gathers candidates only on the outward interface, absent in the namespace.
    '--allow-loopback-in-peer-connection',
    // mDNS candidates would start a responder multicasting on the outward interface.
    `--disable-features=${[...playwrightDisabledFeatures(), 'WebRtcHideLocalIpsWithMdns'].join(',')}`,
    // Chromium's own look-ups of Google hosts.
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
  ];
}

/**
 * Launches Chromium for a suite. Every page of every context it opens is watched for Content
 * Security Policy violations (the server's CSP must let the app do all it does, and nothing
 * more): each is kept, and `close()` fails with the list, so a suite that ran into one fails
 * even if every step it checked looked right.
 */
export async function launchBrowser(options: { fakeUi?: boolean; args?: string[] } = {}): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH))
    throw new Error(`${CHROMIUM_PATH} is missing: apt-get install chromium (scripts/system-deps.sh does)`);
  // `args` adds to the flags above, e.g. a camera clip: --use-file-for-fake-video-capture=<y4m>.
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...chromiumArgs(options), ...(options.args ?? [])],
  });
  const violations: string[] = [];
  cspViolationsOf.set(browser, violations);
  // browser.newPage() opens its context through newContext too, so this catches every page.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (contextOptions) => {
    const context = await newContext(contextOptions);
    await watchCsp(context, violations);
    return context;
  };
  const close = browser.close.bind(browser);
  browser.close = async (closeOptions) => {
    await close(closeOptions);
    if (violations.length > 0) {
      throw new Error(
        `the pages ran into the Content Security Policy ${violations.length} time(s):\n  ${violations.slice(0, 20).join('\n  ')}`,
      );
    }
  };
  return browser;
}

const cspViolationsOf = new WeakMap<Browser, string[]>();

/** The CSP violations the pages of `browser` (from launchBrowser) reported so far. */
export function cspViolations(browser: Browser): readonly string[] {
  return cspViolationsOf.get(browser) ?? [];
}

/** Marks a `securitypolicyviolation` event's report in the console, where the context hears it. */
const CSP_MARK = '[csp-violation]';

/**
 * Each page reports its `securitypolicyviolation` events on the console (a plain script, so no
 * tsx helper names leak into the page), and Chromium's own "Refused to …" CSP messages land
 * there too: both are kept.
 */
export async function watchCsp(context: BrowserContext, violations: string[]): Promise<void> {
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) => console.error(${JSON.stringify(CSP_MARK)} + ' ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber), true);`,
  });
  context.on('console', (message) => {
    const text = message.text();
    if (text.startsWith(CSP_MARK) || /Content Security Policy/i.test(text))
      violations.push(`${message.page()?.url() ?? '?'}: ${text.slice(0, 300)}`);
  });
}

// ---- what runs in the page --------------------------------------------------
// These functions are serialized into the page: they may use only their arguments and the
// page's globals. The server's tsconfig has no DOM types, hence the narrow shapes below.

type StatsEntry = { id: string; type: string; [key: string]: unknown };
interface PagePeerConnection {
  readonly connectionState: string;
  getStats(): Promise<{ forEach(callback: (entry: StatsEntry) => void): void }>;
}
interface PageVideo {
  readonly tagName: string;
  readonly videoWidth: number;
  readonly videoHeight: number;
  querySelector(selector: string): PageVideo | null;
  requestVideoFrameCallback?(callback: (now: number) => void): number;
}
interface PageGlobals {
  __name?: unknown;
  __pcs?: PagePeerConnection[];
  __statusLog?: Array<{ at: number; text: string }>;
  /** Page times at which each testID came into the document. */
  __seen?: Record<string, number[]>;
  RTCPeerConnection?: new (...args: unknown[]) => PagePeerConnection;
  webkitRTCPeerConnection?: unknown;
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };
  document: {
    querySelector(selector: string): (PageVideo & { textContent: string | null }) | null;
    querySelectorAll(selector: string): ArrayLike<{ getAttribute(name: string): string | null }>;
  };
  performance: { now(): number };
}

/**
 * Runs before any of the page's scripts: every RTCPeerConnection the app makes is kept in
 * `__pcs` (a Proxy keeps `instanceof` and subclassing working); every text `call-status` shows
 * is logged with its time, and so is each appearance of a testID, so a state or screen that
 * lasts a moment is never missed by polling.
 */
function instrumentPage(): void {
  const w = globalThis as unknown as PageGlobals;
  // tsx (esbuild keepNames) wraps named functions in `__name(...)`, which pages don't have.
  w.__name ??= (fn: unknown) => fn;
  if (w.__pcs) return;
  const pcs: PagePeerConnection[] = [];
  w.__pcs = pcs;
  const Original = w.RTCPeerConnection;
  if (Original) {
    const Recorded = new Proxy(Original, {
      construct(target, args, newTarget) {
        const pc = Reflect.construct(target, args, newTarget) as PagePeerConnection;
        pcs.push(pc);
        return pc;
      },
    });
    w.RTCPeerConnection = Recorded;
    if (w.webkitRTCPeerConnection) w.webkitRTCPeerConnection = Recorded;
  }
  const log: Array<{ at: number; text: string }> = [];
  w.__statusLog = log;
  const seen: Record<string, number[]> = {};
  w.__seen = seen;
  let present = new Set<string>();
  const observer = new w.MutationObserver(() => {
    const text = w.document.querySelector('[data-testid="call-status"]')?.textContent?.trim() ?? '';
    if (text !== (log.at(-1)?.text ?? '')) log.push({ at: w.performance.now(), text });
    const now = new Set<string>();
    for (const element of Array.from(w.document.querySelectorAll('[data-testid]'))) {
      const id = element.getAttribute('data-testid');
      if (id === null || now.has(id)) continue;
      now.add(id);
      if (!present.has(id)) (seen[id] ??= []).push(w.performance.now());
    }
    present = now;
  });
  // The document itself: its root element may not exist yet when this runs.
  observer.observe(w.document, { subtree: true, childList: true, characterData: true });
}

export interface CandidateInfo {
  address: string;
  port: number;
  candidateType: string;
  protocol: string;
}

/** One look at a page's call: its newest live peer connection and the remote <video>. */
export interface CallSample {
  /** Page clock (performance.now()). */
  at: number;
  /** Peer connections the page made so far, closed ones included. */
  peerConnections: number;
  connectionState: string | null;
  framesDecoded: number;
  audioPacketsReceived: number;
  /** 0 when there is no remote <video> or it has no frame yet. */
  videoWidth: number;
  pair: { state: string; local: CandidateInfo; remote: CandidateInfo } | null;
}

async function sampleInPage(): Promise<CallSample> {
  const w = globalThis as unknown as PageGlobals;
  const all = w.__pcs ?? [];
  const live = all.filter((pc) => pc.connectionState !== 'closed');
  const pc = live.at(-1) ?? null;
  const sample: CallSample = {
    at: w.performance.now(),
    peerConnections: all.length,
    connectionState: pc?.connectionState ?? null,
    framesDecoded: 0,
    audioPacketsReceived: 0,
    videoWidth: 0,
    pair: null,
  };
  const holder = w.document.querySelector('[data-testid="remote-video"]');
  const video = holder?.tagName === 'VIDEO' ? holder : (holder?.querySelector('video') ?? null);
  sample.videoWidth = video?.videoWidth ?? 0;
  if (!pc) return sample;
  const byId = new Map<string, StatsEntry>();
  (await pc.getStats()).forEach((entry) => byId.set(entry.id, entry));
  let pairId: string | undefined;
  for (const entry of byId.values()) {
    if (entry.type === 'inbound-rtp' && entry.kind === 'video')
      sample.framesDecoded += Number(entry.framesDecoded ?? 0);
    if (entry.type === 'inbound-rtp' && entry.kind === 'audio')
      sample.audioPacketsReceived += Number(entry.packetsReceived ?? 0);
    if (entry.type === 'transport' && typeof entry.selectedCandidatePairId === 'string')
      pairId = entry.selectedCandidatePairId;
  }
  const pair = pairId ? byId.get(pairId) : undefined;
  const candidate = (id: unknown): CandidateInfo | null => {
    const c = typeof id === 'string' ? byId.get(id) : undefined;
    if (!c) return null;
    return {
      address: String(c.address ?? c.ip ?? ''),
      port: Number(c.port ?? 0),
      candidateType: String(c.candidateType ?? ''),
      protocol: String(c.protocol ?? ''),
    };
  };
  const local = candidate(pair?.localCandidateId);
  const remote = candidate(pair?.remoteCandidateId);
  if (pair && local && remote) sample.pair = { state: String(pair.state ?? ''), local, remote };
  return sample;
}

/**
 * Resolves with the page time of the first frame the remote <video> presents after now
 * (requestVideoFrameCallback), or of the first decoded frame per getStats if that comes first
 * (before the app has attached the stream to a <video>). Polls every 10 ms until then.
 */
async function firstRemoteFrameInPage(timeoutMs: number): Promise<{ at: number; via: 'video' | 'stats' }> {
  const w = globalThis as unknown as PageGlobals;
  const started = w.performance.now();
  return new Promise((resolve, reject) => {
    let done = false;
    let hooked: PageVideo | null = null;
    const finish = (at: number, via: 'video' | 'stats') => {
      if (done) return;
      done = true;
      resolve({ at, via });
    };
    const tick = async () => {
      if (done) return;
      if (w.performance.now() - started > timeoutMs) {
        done = true;
        reject(new Error(`no remote frame within ${timeoutMs} ms`));
        return;
      }
      const holder = w.document.querySelector('[data-testid="remote-video"]');
      const video = holder?.tagName === 'VIDEO' ? holder : (holder?.querySelector('video') ?? null);
      if (video && video !== hooked && video.requestVideoFrameCallback) {
        hooked = video;
        video.requestVideoFrameCallback((now) => finish(now, 'video'));
      }
      for (const pc of w.__pcs ?? []) {
        if (pc.connectionState === 'closed') continue;
        let decoded = 0;
        (await pc.getStats()).forEach((entry) => {
          if (entry.type === 'inbound-rtp' && entry.kind === 'video') decoded += Number(entry.framesDecoded ?? 0);
        });
        if (decoded > 0) finish(w.performance.now(), 'stats');
      }
      setTimeout(() => void tick(), 10);
    };
    void tick();
  });
}

// ---- users ------------------------------------------------------------------

/**
 * A new user: a browser context (its own cookies and storage), by default allowed the camera
 * and microphone, instrumented before the app's scripts run.
 */
export async function newUser(
  browser: Browser,
  options: {
    baseURL?: string;
    camera?: boolean;
    /** The device's language (navigator.languages), e.g. `de-DE`. */ locale?: string;
  } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    ...(options.locale ? { locale: options.locale } : {}),
    permissions: options.camera === false ? [] : ['camera', 'microphone'],
    viewport: { width: 800, height: 600 },
  });
  await context.addInitScript(instrumentPage);
  const page = await context.newPage();
  return { context, page };
}

export function callSample(page: Page): Promise<CallSample> {
  return page.evaluate(sampleInPage);
}

/** Page time of the first remote frame after this call (see firstRemoteFrameInPage). */
export function firstRemoteFrame(
  page: Page,
  timeoutMs = UI_TIMEOUT_MS,
): Promise<{ at: number; via: 'video' | 'stats' }> {
  return page.evaluate(firstRemoteFrameInPage, timeoutMs);
}

/** Every text `call-status` showed, with its page time, since the page loaded. */
export function statusLog(page: Page): Promise<Array<{ at: number; text: string }>> {
  return page.evaluate(() => (globalThis as unknown as PageGlobals).__statusLog ?? []);
}

/** Whether `testId` came into the document at page time `since` or later (even if gone again). */
export function appearedSince(page: Page, testId: string, since: number): Promise<boolean> {
  return page.evaluate(
    ([testId, since]) => ((globalThis as unknown as PageGlobals).__seen?.[testId] ?? []).some((at) => at >= since),
    [testId, since] as const,
  );
}

export function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as PageGlobals).performance.now());
}

/** One sample of recordFrames: `pc` is the sampled peer connection's index in the page's list. */
export interface FrameSample {
  at: number;
  pc: number;
  framesDecoded: number;
}

/**
 * Records, in the page, the page time and decoded frame count of its newest live peer
 * connection every `everyMs`, until stop() returns them: a stall between two polls from the
 * test process could hide in their latency.
 */
export async function recordFrames(page: Page, everyMs = 100): Promise<{ stop(): Promise<FrameSample[]> }> {
  const key = `__frames${Math.random().toString(36).slice(2)}`;
  await page.evaluate(
    ([key, everyMs]) => {
      const w = globalThis as unknown as PageGlobals & Record<string, unknown>;
      const samples: FrameSample[] = [];
      const tick = async () => {
        if (!w[key]) return;
        const all = w.__pcs ?? [];
        let index = -1;
        for (let i = all.length - 1; i >= 0; i--) {
          if (all[i]!.connectionState !== 'closed') {
            index = i;
            break;
          }
        }
        let decoded = 0;
        if (index >= 0) {
          (await all[index]!.getStats()).forEach((entry) => {
            if (entry.type === 'inbound-rtp' && entry.kind === 'video') decoded += Number(entry.framesDecoded ?? 0);
          });
        }
        samples.push({ at: w.performance.now(), pc: index, framesDecoded: decoded });
        setTimeout(() => void tick(), everyMs);
      };
      w[key] = samples;
      void tick();
    },
    [key, everyMs] as const,
  );
  return {
    async stop() {
      return page.evaluate((key) => {
        const w = globalThis as unknown as Record<string, unknown>;
        const samples = w[key] as FrameSample[];
        delete w[key];
        return samples;
      }, key);
    },
  };
}

// ---- waiting ----------------------------------------------------------------

/**
 * Polls `check` until it returns something other than undefined/false and returns that; after
 * `timeoutMs` fails with `what` and the last value seen (`describe` turns it into text).
 */
export async function eventually<T, S = unknown>(
  what: string,
  probe: () => Promise<S> | S,
  accept: (value: S) => T | undefined | false,
  timeoutMs = UI_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: S | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      const verdict = accept(last);
      if (verdict !== undefined && verdict !== false) return verdict;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const seen = lastError ? `error: ${(lastError as Error).message}` : `last seen: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${seen})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type WorkerState = { state: string } | null;
type ServiceWorkerGlobals = {
  navigator: {
    serviceWorker: {
      controller: unknown;
      getRegistration(): Promise<{ installing: WorkerState; waiting: WorkerState; active: WorkerState } | undefined>;
    };
  };
};

/** The app's worker precaches the shell (megabytes) once the first page has loaded: slow on a loaded machine. */
const SERVICE_WORKER_TIMEOUT_MS = 60_000;

/**
 * Waits until the page's scope has an activated service worker: what an offline reload needs, since
 * a navigation in scope goes to that worker whether or not the current page was claimed. (Waiting
 * on the page's controller instead failed a CI run under load.) On a timeout the message carries
 * the registration's states.
 */
export async function serviceWorkerActivated(page: Page): Promise<void> {
  await eventually(
    'the service worker to be activated',
    () =>
      page.evaluate(async () => {
        const { serviceWorker } = (globalThis as unknown as ServiceWorkerGlobals).navigator;
        const registration = await serviceWorker.getRegistration();
        return {
          registered: registration !== undefined,
          installing: registration?.installing?.state ?? null,
          waiting: registration?.waiting?.state ?? null,
          active: registration?.active?.state ?? null,
          controlled: serviceWorker.controller !== null,
        };
      }),
    (state) => state.active === 'activated',
    SERVICE_WORKER_TIMEOUT_MS,
  );
}

/** Waits until `locator`'s text matches `pattern`; returns the text. */
export function textMatches(locator: Locator, pattern: RegExp, timeoutMs = UI_TIMEOUT_MS): Promise<string> {
  return eventually(
    `${locator} to say ${pattern}`,
    async () => (await locator.first().textContent({ timeout: 1000 }))?.trim() ?? '',
    (text) => (pattern.test(text) ? text : undefined),
    timeoutMs,
  );
}

/**
 * Waits until the page's call is live: remote video decoding (framesDecoded grows by
 * `frames` over what it was when this began), the <video> has a width, audio packets arrive.
 */
export async function mediaFlows(page: Page, who: string, frames = 10, timeoutMs = UI_TIMEOUT_MS): Promise<CallSample> {
  const before = await callSample(page);
  return eventually(
    `${who}'s remote video to decode ${frames} more frames, have a width and receive audio`,
    () => callSample(page),
    (now) =>
      now.framesDecoded >= before.framesDecoded + frames && now.videoWidth > 0 && now.audioPacketsReceived > 0 && now,
    timeoutMs,
  );
}

/**
 * Longest time (ms) in which the page decoded no new frame: a sample counts as progress when its
 * peer connection's count grew, or when a new peer connection has decoded any frame.
 */
export function longestStall(samples: FrameSample[]): number {
  let longest = 0;
  let lastProgress = samples[0]?.at ?? 0;
  for (let i = 1; i < samples.length; i++) {
    const sample = samples[i]!;
    const previous = samples[i - 1]!;
    const progress =
      sample.pc === previous.pc ? sample.framesDecoded > previous.framesDecoded : sample.framesDecoded > 0;
    if (progress) lastProgress = sample.at;
    longest = Math.max(longest, sample.at - lastProgress);
  }
  return longest;
}

export const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1)$/;
