import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppUser, CONNECTED, PEER_LEFT, RECONNECTING } from './app.js';
import {
  LOOPBACK,
  callSample,
  eventually,
  launchBrowser,
  longestStall,
  mediaFlows,
  pageNow,
  recordFrames,
  statusLog,
  textMatches,
  UI_TIMEOUT_MS,
} from './browser.js';
import { browserSuiteSkip, useBrowserSuite } from './suite.js';

/**
 * Issue 4 end to end: real people's steps in the app's web build, in headless Chromium with a
 * fake camera and microphone, against the real server in its own process. Run inside a
 * loopback-only network namespace (scripts/test.sh), so every candidate is loopback.
 * At most two live calls at a time: that is what a 2-core machine carries at full quality.
 */

const skip = browserSuiteSkip();

/** A test may take a few page loads, a call set-up or two and a server restart. */
const TEST_TIMEOUT_MS = 120_000;

describe('calls in the browser, end to end', { skip }, () => {
  const e2e = useBrowserSuite({ server: { resumeGraceMs: 15_000 } });
  const { guest, close } = e2e;

  /** Nobody waiting in any category: the users of the last test are gone, so they match no one now. */
  async function settle(): Promise<void> {
    await eventually(
      'empty queues',
      async () =>
        (await (await fetch(`${e2e.server.url}/api/categories`)).json()) as {
          categories: Array<{ slug: string; waiting: number }>;
        },
      (body) => body.categories.every((c) => c.waiting === 0),
    );
  }

  const scenario = (steps: () => Promise<void>) => e2e.scenario(steps, settle);

  /** Ada searching first, then Bo: both in a call with each other. */
  async function call(nameA = 'Ada', nameB = 'Bo'): Promise<[AppUser, AppUser]> {
    const [a, b] = await Promise.all([guest(nameA), guest(nameB)]);
    await a.search('music');
    await b.search('music');
    await Promise.all([a.inCallWith(nameB), b.inCallWith(nameA)]);
    return [a, b];
  }

  test(
    'two users accept the rules and pick music: both search, then each sees the other live (frames decoding, a width, audio) and their name, over loopback',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      scenario(async () => {
        // AppUser.guest passes the first-run screen (rules-text, birth-date-input, rules-agree, consent-submit) as a person would.
        const [ada, bo] = await Promise.all([guest('Ada'), guest('Bo')]);
        await ada.search('music');
        await bo.search('music');
        await Promise.all([ada.inCallWith('Bo'), bo.inCallWith('Ada')]);

        for (const user of [ada, bo]) {
          // Frames keep coming, not just a first few.
          await mediaFlows(user.page, user.name, 20);
          assert.ok(await user.get('local-video').first().isVisible(), `${user.name}'s own preview is shown`);
          // Only loopback exists in this namespace; outside it, an outward address here means a leak.
          const { pair } = await eventually(
            `${user.name}'s selected candidate pair`,
            () => callSample(user.page),
            (s) => s.pair !== null && s,
          );
          assert.match(pair!.local.address, LOOPBACK, `${user.name}'s local candidate: ${JSON.stringify(pair)}`);
          assert.match(pair!.remote.address, LOOPBACK, `${user.name}'s remote candidate: ${JSON.stringify(pair)}`);
        }
      }),
  );

  test(
    'a child who gives its real date of birth sees the neutral underage screen, with no way to retry, now and on the next visit',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      scenario(async () => {
        const kid = e2e.track(await AppUser.open(e2e.browser, e2e.server.url, 'Kid'));
        await kid.signInAsGuest();
        const tenYearsAgo = `${new Date().getUTCFullYear() - 10}-03-01`;
        await kid.acceptRules(tenYearsAgo);
        await kid.visible('underage-screen');
        for (const testId of ['birth-date-input', 'consent-submit', 'start-matching']) {
          assert.equal(await kid.get(testId).count(), 0, `no ${testId} on the underage screen`);
        }
        // The server keeps the answer: back in the app (its cookie), still the same screen.
        await kid.page.reload();
        await kid.visible('underage-screen');
        assert.equal(await kid.get('birth-date-input').count(), 0);
        assert.equal(await kid.get('start-matching').count(), 0);
      }),
  );

  test('chat both ways: a message sent on one side appears on the other', { timeout: TEST_TIMEOUT_MS }, () =>
    scenario(async () => {
      const [ada, bo] = await call();
      await ada.sendChat('hi Bo, what are you listening to?');
      await bo.seesChat('hi Bo, what are you listening to?');
      await bo.sendChat('Mostly jazz, Ada');
      await ada.seesChat('Mostly jazz, Ada');
    }),
  );

  test(
    'Next on one side: the other sees the peer left; a third user is matched with the one who pressed Next and gets video',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      scenario(async () => {
        const [ada, bo] = await call();
        await ada.get('next-button').click({ timeout: UI_TIMEOUT_MS });
        await textMatches(bo.get('call-status'), PEER_LEFT);
        await ada.visible('searching');
        // Bo's part is over: closing the page keeps this machine at one live call.
        await close(bo);

        const cy = await guest('Cy');
        await cy.search('music');
        await Promise.all([ada.inCallWith('Cy'), cy.inCallWith('Ada')]);
      }),
  );

  test(
    'End: back to the categories; the peer sees the peer left and is offered Next',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      scenario(async () => {
        const [ada, bo] = await call();
        await bo.get('end-button').click({ timeout: UI_TIMEOUT_MS });
        await bo.visible('start-matching');
        await textMatches(ada.get('call-status'), PEER_LEFT);
        await ada.visible('next-button');
      }),
  );

  test(
    'the server restarts mid-call: media keeps flowing throughout, the app shows reconnecting, then connected; chat works after',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      scenario(async () => {
        const [ada, bo] = await call();
        const users = [ada, bo];
        const recorders = await Promise.all(users.map((u) => recordFrames(u.page)));
        const since = await Promise.all(users.map((u) => pageNow(u.page)));

        await e2e.server.restart();
        for (const [i, user] of users.entries()) {
          // Logged by the page as it happens, so a short "reconnecting" is not missed by polling.
          await eventually(
            `${user.name}'s call-status to say reconnecting, then connected, after the restart`,
            () => statusLog(user.page),
            (log) => {
              const after = log.filter((entry) => entry.at >= since[i]!);
              const reconnecting = after.findIndex((entry) => RECONNECTING.test(entry.text));
              return (
                reconnecting >= 0 && after.slice(reconnecting + 1).some((entry) => CONNECTED.test(entry.text)) && after
              );
            },
          );
          await textMatches(user.get('call-status'), CONNECTED);
        }
        // A little more media after the reconnect, then the record of the whole stretch.
        await Promise.all(users.map((u) => mediaFlows(u.page, u.name, 10)));
        const records = await Promise.all(recorders.map((r) => r.stop()));

        for (const [i, user] of users.entries()) {
          const samples = records[i]!;
          const stall = longestStall(samples);
          // ≈20 fps: a frame every 50 ms; a busy 2-core machine stretches that, a call set up again stops it for a second or more.
          assert.ok(
            stall < 1500,
            `${user.name}'s video stalled for ${Math.round(stall)} ms over the restart (${samples.length} samples)`,
          );
          // Only signaling went away: the peer connection carrying the media had no reason to change.
          const pcs = new Set(samples.map((s) => s.pc));
          assert.equal(
            pcs.size,
            1,
            `${user.name}'s call was set up again over the restart (peer connections ${[...pcs].join(', ')})`,
          );
          const first = samples[0]!;
          const last = samples.at(-1)!;
          assert.ok(
            last.framesDecoded - first.framesDecoded > ((last.at - first.at) / 1000) * 5,
            `${user.name} decoded ${last.framesDecoded - first.framesDecoded} frames in ${Math.round(last.at - first.at)} ms`,
          );
        }

        // The room itself came back: chat still reaches the peer.
        await ada.sendChat('still there?');
        await bo.seesChat('still there?');
      }),
  );

  test(
    'camera and microphone refused: Searching explains it and offers Retry, which works once they are allowed',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      // With the fake-UI flag Chromium grants every request: this browser asks, and nothing is granted.
      const strict = await launchBrowser({ fakeUi: false });
      try {
        await scenario(async () => {
          const dee = await guest('Dee', { camera: false, browser: strict });
          await dee.search('music');
          const explanation = await textMatches(dee.get('media-error'), /camera|microphone/i);
          assert.ok(explanation.length > 20, `a clear explanation, got "${explanation}"`);
          await dee.visible('retry-media');

          await dee.context.grantPermissions(['camera', 'microphone']);
          await dee.get('retry-media').click();
          await dee.get('media-error').waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
          await dee.visible('searching');
          // Now the camera works, Dee is really queued.
          await eventually(
            'Dee waiting in music',
            async () =>
              (await (await fetch(`${e2e.server.url}/api/categories`)).json()) as {
                categories: Array<{ slug: string; waiting: number }>;
              },
            (body) => body.categories.some((c) => c.slug === 'music' && c.waiting === 1),
          );
        });
      } finally {
        await strict.close();
      }
    },
  );
});
