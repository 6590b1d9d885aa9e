import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { decodePng, encodeY4m, resize } from '../shield-image.js';
import { AppUser } from './app.js';
import { BLURRED, checks, remoteFilter, SAMPLER, samples, stateChanges } from './shield-page.js';
import { eventually, launchBrowser, textMatches, UI_TIMEOUT_MS } from './browser.js';
import { browserSuiteSkip, useBrowserSuite } from './suite.js';

/**
 * Issue 14's shield in the browser, end to end: two people meet and each sees the other's video
 * only once the classifier on their own page has found it clean (`shield-state` goes `checking`
 * → `clear`, and no frame of remote video is ever painted without the blur before that); a
 * person whose camera shows the adversarial image (server/test/e2e/fixtures, noise the shipped
 * model scores as Porn) is `blurred` on the peer's screen within 2 checks, Reveal shows it;
 * with the setting off the video is shown at once; and nothing the classifier saw leaves the
 * page: every request and WebSocket frame the pages send is watched.
 */

const ADVERSARIAL_PNG = path.join(import.meta.dirname, 'fixtures/shield-adversarial.png');

const skip = browserSuiteSkip();

const TEST_TIMEOUT_MS = 180_000;

/** What a page sent: every request (method, URL, body) and every WebSocket frame. */
interface Outbound {
  requests: Array<{ method: string; url: string; body: string }>;
  frames: string[];
}

function watchOutbound(context: BrowserContext, page: Page): Outbound {
  const out: Outbound = { requests: [], frames: [] };
  context.on('request', (request) => {
    out.requests.push({
      method: request.method(),
      url: request.url(),
      body: request.postDataBuffer()?.toString('latin1') ?? '',
    });
  });
  page.on('websocket', (socket) => {
    socket.on('framesent', ({ payload }) =>
      out.frames.push(typeof payload === 'string' ? payload : payload.toString('latin1')),
    );
  });
  return out;
}

/** Words and shapes that would mean a classification (or a frame) left the page. */
const LEAK = /Porn|Hentai|Sexy|Neutral|Drawing|shield|nudity|score|probabilit|data:image|image\/(png|jpeg|webp)/i;

function assertNothingLeft(who: string, out: Outbound, origin: string): void {
  assert.ok(out.requests.length > 0, `${who}: requests were watched`);
  for (const request of out.requests) {
    assert.ok(
      request.url.startsWith(`${origin}/`) || request.url.startsWith('blob:') || request.url.startsWith('data:'),
      `${who} asked only its own origin: ${request.method} ${request.url}`,
    );
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      assert.doesNotMatch(
        request.body,
        LEAK,
        `${who}'s ${request.method} ${request.url} carries nothing of the classifier`,
      );
      assert.ok(
        request.body.length < 16_384,
        `${who}'s ${request.method} ${request.url} is small (${request.body.length} bytes), no frame`,
      );
    }
    // The shield's own files come from our origin; nothing is sent to /shield/.
    if (new URL(request.url, origin).pathname.startsWith('/shield/')) assert.equal(request.method, 'GET');
  }
  assert.ok(out.frames.length > 0, `${who}: WebSocket frames were watched`);
  for (const frame of out.frames) {
    assert.doesNotMatch(
      frame,
      LEAK,
      `${who}'s WebSocket frame carries nothing of the classifier: ${frame.slice(0, 200)}`,
    );
    assert.ok(frame.length < 65_536, `${who}'s WebSocket frame is small (${frame.length} bytes), no picture`);
  }
}

describe('the shield in the browser, end to end', { skip }, () => {
  const e2e = useBrowserSuite({ server: { env: { REMATCH_COOLDOWN_S: '0' } } });
  /** The exposer's browser: its fake camera plays the adversarial clip. */
  let exposing: Browser;
  let clipDir: string;
  /** What each user's page sent, watched from before its first load. */
  const sent = new Map<AppUser, Outbound>();

  before(async () => {
    // The adversarial PNG as a camera: a square Y4M clip (the app draws the frame to 224×224, so a square keeps its shape).
    clipDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shield-clip-'));
    const clip = path.join(clipDir, 'adversarial.y4m');
    fs.writeFileSync(
      clip,
      encodeY4m(resize(decodePng(fs.readFileSync(ADVERSARIAL_PNG)), 448, 448), { frames: 10, fps: 30 }),
    );
    exposing = await launchBrowser({ args: [`--use-file-for-fake-video-capture=${clip}`] });
  });
  after(async () => {
    await exposing?.close();
    fs.rmSync(clipDir, { recursive: true, force: true });
  });

  async function guest(name: string, on: Browser = e2e.browser): Promise<AppUser> {
    const user = await AppUser.open(on, e2e.server.url, name);
    await user.context.addInitScript({ content: SAMPLER });
    // From here on every request and WebSocket frame is watched: the reload opens the app afresh.
    sent.set(user, watchOutbound(user.context, user.page));
    await user.page.reload();
    await user.continueAsGuest();
    return e2e.track(user);
  }

  async function waitingInMusic(): Promise<number> {
    const body = (await (await fetch(`${e2e.server.url}/api/categories`)).json()) as {
      categories: Array<{ slug: string; waiting: number }>;
    };
    return body.categories.find((category) => category.slug === 'music')?.waiting ?? -1;
  }

  const scenario = (steps: () => Promise<void>) =>
    e2e.scenario(steps, () => {
      sent.clear();
      return eventually('empty queues', waitingInMusic, (waiting) => waiting === 0);
    });

  async function meet(a: AppUser, b: AppUser): Promise<void> {
    await a.search('music');
    await b.search('music');
    await Promise.all([a.inCallWith(b.name), b.inCallWith(a.name)]);
  }

  /**
   * From the moment the remote <video> exists until `shield-state` first says `clear`, the video
   * is blurred on every sample, frame presented or not; returns when it cleared. Every sample, not
   * only those with a presented frame: the classifier reads its own off-page copy of the stream,
   * so a fast first check can clear before the on-screen element has painted anything, and a
   * test that needed a painted frame before clear failed on a fast machine for no fault of the app.
   */
  async function neverUnblurredBeforeClear(user: AppUser): Promise<void> {
    await textMatches(user.get('shield-state'), /^clear$/, UI_TIMEOUT_MS);
    // The sampler logs at the next frame it is called for: wait until it has caught up with clear.
    const log = await eventually(
      `${user.name}'s sampler to see clear`,
      () => samples(user.page),
      (l) => l.some((s) => s.state === 'clear') && l,
    );
    const firstClear = log.findIndex((s) => s.state === 'clear');
    assert.ok(firstClear >= 0, `${user.name}'s sampler saw shield-state clear`);
    const before = log.slice(0, firstClear);
    assert.ok(before.length > 0, `${user.name}: the remote video was on screen before the first clean check`);
    const firstState = log.find((s) => s.state !== '')?.state;
    assert.equal(firstState, 'checking', `${user.name}'s shield-state starts at checking`);
    const bare = before.filter((s) => !BLURRED.test(s.filter));
    assert.deepEqual(
      bare,
      [],
      `${user.name}: the remote video was never without the blur before the first clean check`,
    );
    // And once clear, the video is shown unblurred.
    await eventually(
      `${user.name}'s remote video unblurred`,
      () => remoteFilter(user.page),
      (f) => f === 'none',
    );
  }

  test(
    'two people meet: each sees checking → clear on the normal camera, never an unblurred frame before, and nothing leaves the page',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      scenario(async () => {
        const [ada, bo] = await Promise.all([guest('Ada'), guest('Bo')]);
        const traffic = [sent.get(ada)!, sent.get(bo)!];
        await meet(ada, bo);
        await Promise.all([neverUnblurredBeforeClear(ada), neverUnblurredBeforeClear(bo)]);
        // Checks keep running while the call lasts; let a few more go by, then look at all that was sent.
        const ran = await checks(ada.page);
        await eventually(
          "more checks on Ada's page",
          () => checks(ada.page),
          (n) => n >= ran + 3,
        );
        for (const user of [ada, bo])
          assert.equal(
            (await user.get('shield-state').first().textContent())?.trim(),
            'clear',
            `${user.name} stays clear`,
          );
        assertNothingLeft('Ada', traffic[0]!, e2e.server.url);
        assertNothingLeft('Bo', traffic[1]!, e2e.server.url);
        assert.ok(
          traffic[0]!.requests.some((r) => new URL(r.url).pathname.startsWith('/shield/')),
          'the model came from our own origin',
        );
        // The checks run off the page's main thread, in a worker whose script is ours.
        for (const user of [ada, bo]) {
          const workers = user.page.workers().map((worker) => worker.url());
          assert.ok(
            workers.some((url) => url.startsWith(`${e2e.server.url}/`) && /shieldWorker/.test(url)),
            `${user.name}'s checks run in our own worker (${workers.join(', ')})`,
          );
        }
      }),
  );

  test(
    "a camera showing the adversarial image is blurred on the peer's screen within 2 checks; Reveal shows it",
    { timeout: TEST_TIMEOUT_MS },
    () =>
      scenario(async () => {
        const [cy, eve] = await Promise.all([guest('Cy'), guest('Eve', exposing)]);
        const traffic = sent.get(cy)!;
        await meet(cy, eve);
        const state = await textMatches(cy.get('shield-state'), /^(blurred|clear)$/, UI_TIMEOUT_MS);
        // The page's sampler writes down what it shows at its next animation frame.
        const log = await eventually(
          'the sampler to see the state',
          () => samples(cy.page),
          (l) => l.some((s) => s.state === 'blurred' || s.state === 'clear') && l,
        );
        assert.equal(
          state,
          'blurred',
          `Cy's shield blurred Eve's video (states seen: ${[...new Set(log.map((s) => s.state))].join(' → ')})`,
        );
        const changes = await stateChanges(cy.page);
        const firstBlurred = changes.find((c) => c.state === 'blurred');
        // The policy blurs on the 2nd sexual check; the page says so when React next renders, which
        // on a busy machine (checks on the main thread, two browsers on 2 cores) can land after the
        // 3rd check has finished too. More than that, or a `clear` on the way, fails.
        assert.ok(
          firstBlurred && firstBlurred.checks <= 3,
          `blurred within 2 checks, said by the 3rd (${JSON.stringify(changes)})`,
        );
        assert.deepEqual(
          changes
            .map((c) => c.state)
            .filter(Boolean)
            .slice(0, 2),
          ['checking', 'blurred'],
          'checking, then blurred, nothing between',
        );
        assert.ok(!log.some((s) => s.state === 'clear'), 'never clear on the way');
        assert.deepEqual(
          log.filter((s) => (s.presented || s.playing) && !BLURRED.test(s.filter)),
          [],
          'no frame of Eve shown unblurred',
        );
        await cy.visible('shield-overlay');
        // Eve, on a normal page, sees Cy's ordinary camera clear.
        await textMatches(eve.get('shield-state'), /^clear$/);

        await (await cy.visible('shield-reveal')).click();
        await textMatches(cy.get('shield-state'), /^revealed$/);
        await eventually(
          "Eve's video unblurred for Cy",
          () => remoteFilter(cy.page),
          (f) => f === 'none',
        );
        // Still revealed a while later: Reveal lasts the call.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.equal((await cy.get('shield-state').first().textContent())?.trim(), 'revealed');
        assertNothingLeft('Cy', traffic, e2e.server.url);
      }),
  );

  test(
    'when the model cannot load, the video stays blurred with Reveal, and the overlay says why',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      scenario(async () => {
        const [gus, hal] = await Promise.all([guest('Gus'), guest('Hal')]);
        // Gus's browser can't get the model (as on a network that drops it): every fetch of it fails.
        await gus.context.route('**/shield/models/**', (route) => route.abort('failed'));
        await gus.page.reload();
        await meet(gus, hal);
        await textMatches(gus.get('shield-state'), /^blurred$/, UI_TIMEOUT_MS);
        const overlay = await gus.visible('shield-overlay');
        assert.match(
          (await overlay.textContent()) ?? '',
          /could not start/,
          'the overlay says the check could not start',
        );
        const log = await eventually(
          "frames sampled on Gus's page",
          () => samples(gus.page),
          (l) => l.some((s) => s.presented || s.playing) && l,
        );
        assert.deepEqual(
          log.filter((s) => (s.presented || s.playing) && !BLURRED.test(s.filter)),
          [],
          'no frame of Hal shown unblurred',
        );
        assert.equal(await checks(gus.page), 0, 'no check ran');
        await (await gus.visible('shield-reveal')).click();
        await textMatches(gus.get('shield-state'), /^revealed$/);
        await eventually(
          "Hal's video unblurred for Gus",
          () => remoteFilter(gus.page),
          (f) => f === 'none',
        );
      }),
  );

  test('with the setting off, video is shown at once, from its first frame', { timeout: TEST_TIMEOUT_MS }, () =>
    scenario(async () => {
      const [dee, fay] = await Promise.all([guest('Dee'), guest('Fay', exposing)]);
      await (await dee.visible('safety-tab')).click();
      const setting = await dee.visible('shield-setting');
      assert.equal(await setting.getAttribute('aria-checked'), 'true', 'on by default');
      await setting.click();
      await eventually(
        'the setting off',
        () => setting.getAttribute('aria-checked'),
        (v) => v === 'false',
      );
      await dee.get('safety-back').click({ timeout: UI_TIMEOUT_MS });
      await dee.visible('start-matching');
      await meet(dee, fay);
      const log = await eventually(
        "remote frames sampled on Dee's page",
        () => samples(dee.page),
        (l) => l.some((s) => s.presented || s.playing) && l,
      );
      const shown = log.filter((s) => s.presented || s.playing);
      assert.ok(shown.length > 0, 'remote frames were shown');
      assert.deepEqual(
        shown.filter((s) => s.filter !== 'none'),
        [],
        'every remote frame unblurred, the first one too',
      );
      assert.equal(await checks(dee.page), 0, 'no checks run with the setting off');
      // Kept on the device: a reload still has it off. The call ends first: a page reloaded
      // mid-call goes back into the call, not to Categories.
      await dee.get('end-button').click({ timeout: UI_TIMEOUT_MS });
      await dee.visible('safety-tab');
      await dee.page.reload();
      await (await dee.visible('safety-tab')).click();
      await eventually(
        'the setting still off after a reload',
        async () => dee.get('shield-setting').first().getAttribute('aria-checked'),
        (v) => v === 'false',
      );
    }),
  );
});
