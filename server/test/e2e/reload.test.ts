import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppUser, CONNECTED } from './app.js';
import { callSample, eventually, mediaFlows, textMatches, UI_TIMEOUT_MS } from './browser.js';
import { browserSuiteSkip, useBrowserSuite } from './suite.js';

/**
 * Issue 16, native essentials: a page reloaded mid-call comes back into the call. The server
 * gives the reloaded page its room back (`matched`, resumed); the app shows that room's call
 * screen rather than Categories, and the new page's call asks the peer to start its connection
 * afresh (the old one spoke to a page that is gone). Headless Chromium, fake camera, the real
 * server in its own process, as call.test.ts.
 */

const skip = browserSuiteSkip();

const TEST_TIMEOUT_MS = 120_000;

describe('a page reloaded mid-call, end to end', { skip }, () => {
  const e2e = useBrowserSuite({ server: { resumeGraceMs: 15_000 } });
  const { guest, scenario } = e2e;

  /** The page's newest peer connection is not the one it had before, and is connected. */
  async function newConnection(user: AppUser, before: number): Promise<void> {
    await eventually(
      `${user.name}'s call on a new peer connection, connected`,
      () => callSample(user.page),
      (s) => s.peerConnections > before && s.connectionState === 'connected' && s,
    );
  }

  test(
    'Bo reloads its page mid-call: both are back in the same call, with the same peer names, media flowing both ways, and chat',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      scenario(async () => {
        const [ada, bo] = await Promise.all([guest('Ada'), guest('Bo')]);
        await ada.search('music');
        await bo.search('music');
        await Promise.all([ada.inCallWith('Bo'), bo.inCallWith('Ada')]);
        const adaBefore = await callSample(ada.page);

        await bo.page.reload();
        // Straight back to the call, not Categories.
        await textMatches(bo.get('peer-name'), /Ada/);
        assert.equal(await bo.get('start-matching').count(), 0, 'Bo is not shown Categories');
        // Ada's side started afresh: a new peer connection speaking to Bo's new page.
        await newConnection(ada, adaBefore.peerConnections);
        await newConnection(bo, 0);
        await Promise.all([mediaFlows(ada.page, 'Ada', 20), mediaFlows(bo.page, 'Bo', 20)]);
        for (const user of [ada, bo]) {
          await textMatches(user.get('call-status'), CONNECTED);
          assert.ok(await user.get('local-video').first().isVisible(), `${user.name}'s own preview is shown`);
        }
        await textMatches(ada.get('peer-name'), /Bo/);

        // The same room: chat reaches the peer both ways.
        await bo.sendChat('back again');
        await ada.seesChat('back again');
        await ada.sendChat('welcome back');
        await bo.seesChat('welcome back');

        // Next on the reloaded page searches its category again (the room's).
        await bo.get('next-button').click({ timeout: UI_TIMEOUT_MS });
        await bo.visible('searching');
        await eventually(
          'Bo waiting in music',
          async () =>
            (await (await fetch(`${e2e.server.url}/api/categories`)).json()) as {
              categories: Array<{ slug: string; waiting: number }>;
            },
          (body) => body.categories.some((c) => c.slug === 'music' && c.waiting >= 1),
        );
      }),
  );
});
