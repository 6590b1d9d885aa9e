import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppUser, PEER_LEFT } from './app.js';
import { eventually, textMatches, UI_TIMEOUT_MS } from './browser.js';
import { browserSuiteSkip, useBrowserSuite } from './suite.js';

/**
 * Issue 12's report in the browser: two people who accepted the rules meet; one reports the
 * other from inside the call with a snapshot of what it saw; the call ends for both; the two
 * are never matched again, while each still meets someone else; the report shows as open
 * under Safety. Driven only by testIDs, in headless Chromium with a fake camera.
 */

const skip = browserSuiteSkip();

const TEST_TIMEOUT_MS = 150_000;

/** Long enough for the queue to have matched two waiting users many times over, were they allowed. */
const NO_MATCH_HOLD_MS = 3_000;

describe('report and block in the browser, end to end', { skip }, () => {
  // No rematch cooldown: only the report's block may keep the two apart.
  const e2e = useBrowserSuite({ server: { env: { REMATCH_COOLDOWN_S: '0' } } });
  const { guest } = e2e;

  async function waitingInMusic(): Promise<number> {
    const body = (await (await fetch(`${e2e.server.url}/api/categories`)).json()) as {
      categories: Array<{ slug: string; waiting: number }>;
    };
    return body.categories.find((category) => category.slug === 'music')?.waiting ?? -1;
  }

  /** The page's own session asks the server (its cookie goes along). */
  function ask<T>(user: AppUser, path: string): Promise<T> {
    return user.page.evaluate(async (path) => (await fetch(path)).json(), path) as Promise<T>;
  }

  /** A test's steps, then no one left waiting in music for the next test's users to meet. */
  const scenario = (steps: () => Promise<void>) =>
    e2e.scenario(steps, () => eventually('empty queues', waitingInMusic, (waiting) => waiting === 0));

  /** `a` searching first, then `b`: both in a call with each other. */
  async function meet(nameA: string, nameB: string): Promise<[AppUser, AppUser]> {
    const [a, b] = await Promise.all([guest(nameA), guest(nameB)]);
    await a.search('music');
    await b.search('music');
    await Promise.all([a.inCallWith(nameB), b.inCallWith(nameA)]);
    return [a, b];
  }

  test(
    'Ada reports Bo mid-call with a snapshot: the call ends for both, they never meet again, each still meets Cy, and the report is open under Safety',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      scenario(async () => {
        const [ada, bo] = await meet('Ada', 'Bo');
        const boId = (await ask<{ user: { id: string } }>(bo, '/api/me')).user.id;

        // The sheet: every reason, a note, and "Attach a snapshot" on by default on the web.
        await (await ada.visible('report-button')).click();
        await ada.visible('report-sheet');
        assert.equal(
          await ada.get('report-attach').getAttribute('aria-checked'),
          'true',
          'Attach a snapshot is on by default',
        );
        assert.ok(await ada.get('report-submit').isDisabled(), 'Submit waits for a reason');
        await ada.get('report-reason-harassment').click({ timeout: UI_TIMEOUT_MS });
        await ada.get('report-note').fill('kept insulting me');
        await ada.get('report-submit').click({ timeout: UI_TIMEOUT_MS });

        // The confirmation says Bo is blocked, and the snapshot (frames taken from Bo's video) reached the server.
        const done = await textMatches(ada.get('report-done'), /Bo is blocked/);
        assert.match(done, /snapshot was sent/, `the snapshot reached the server: ${done}`);

        // Bo sees the call end (nothing says who reported or why).
        await textMatches(bo.get('call-status'), PEER_LEFT);
        await bo.visible('room-ended');

        // Both search again, alone in Music: the queue keeps them apart.
        await ada.get('report-next').click({ timeout: UI_TIMEOUT_MS });
        await bo.get('next-button').click({ timeout: UI_TIMEOUT_MS });
        await eventually('Ada and Bo both waiting in Music', waitingInMusic, (waiting) => waiting === 2);
        const holdUntil = Date.now() + NO_MATCH_HOLD_MS;
        while (Date.now() < holdUntil) {
          assert.equal(await waitingInMusic(), 2, 'Ada and Bo stay queued, unmatched');
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        for (const user of [ada, bo])
          assert.ok(await user.get('searching').first().isVisible(), `${user.name} is still searching`);

        // Someone else still meets them: Cy is matched with one, the other keeps waiting.
        const cy = await guest('Cy');
        await cy.search('music');
        const metName = await textMatches(cy.get('peer-name'), /^(Ada|Bo)$/);
        const [met, left] = metName === 'Ada' ? [ada, bo] : [bo, ada];
        await textMatches(met.get('peer-name'), /^Cy$/);
        await eventually(`${left.name} alone in the queue`, waitingInMusic, (waiting) => waiting === 1);
        assert.ok(await left.get('searching').first().isVisible(), `${left.name} is still searching`);

        // Ada's Safety: the report, open, and Bo among the people blocked.
        const [report] = (
          await ask<{ reports: Array<{ id: string; status: string; userId: string }> }>(ada, '/api/reports')
        ).reports;
        assert.ok(report, 'Ada has a report');
        assert.equal(report.userId, boId);
        if (met === ada) await ada.get('end-button').click({ timeout: UI_TIMEOUT_MS });
        else await ada.get('cancel-search').click({ timeout: UI_TIMEOUT_MS });
        await (await ada.visible('safety-tab')).click();
        await ada.visible(`my-report-${report.id}`);
        await textMatches(ada.get(`my-report-status-${report.id}`), /^Open/);
        await ada.visible(`blocked-${boId}`);
        await ada.visible(`unblock-${boId}`);
        await textMatches(ada.get('safety-rules'), /\S/);
      }),
  );

  test(
    'Dee blocks Eve mid-call without a report: the call ends for Eve, Safety lists Eve, and Unblock takes Eve off',
    { timeout: TEST_TIMEOUT_MS },
    () =>
      scenario(async () => {
        const [dee, eve] = await meet('Dee', 'Eve');
        const eveId = (await ask<{ user: { id: string } }>(eve, '/api/me')).user.id;

        await (await dee.visible('block-button')).click();
        await textMatches(dee.get('block-done'), /Eve is blocked/);
        await textMatches(eve.get('call-status'), PEER_LEFT);
        assert.deepEqual(
          (await ask<{ reports: unknown[] }>(dee, '/api/reports')).reports,
          [],
          'a block sends no report',
        );

        await dee.get('block-close').click({ timeout: UI_TIMEOUT_MS });
        await (await dee.visible('safety-tab')).click();
        await textMatches(dee.get(`blocked-${eveId}`), /Eve/);
        await dee.get(`unblock-${eveId}`).click({ timeout: UI_TIMEOUT_MS });
        await dee.get(`blocked-${eveId}`).waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
        assert.deepEqual(
          (await ask<{ blocks: unknown[] }>(dee, '/api/blocks')).blocks,
          [],
          'the server forgot the block',
        );
      }),
  );
});
