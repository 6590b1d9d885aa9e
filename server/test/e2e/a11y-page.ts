import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';

/**
 * What the accessibility suite reads of a page: axe-core's WCAG 2.1 A/AA findings, which element
 * has the keyboard focus, and what the page's live regions said (what a screen reader announces).
 */

/** The WCAG levels the app promises (issue 16): 2.0 and 2.1, A and AA. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

export interface Finding {
  /** The screen it was found on, as the test names it. */
  screen: string;
  rule: string;
  impact: string;
  /** The elements (CSS selectors) and axe's summary of what is wrong with each. */
  nodes: string[];
}

/**
 * axe on the page as it is now; every finding, whatever its impact (the caller picks what fails).
 * A running video would change under axe's feet: its frames are not what is checked.
 */
export async function axeFindings(page: Page, screen: string): Promise<Finding[]> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  return results.violations.map((violation) => ({
    screen,
    rule: violation.id,
    impact: violation.impact ?? 'unknown',
    nodes: violation.nodes.map(
      (node) => `${node.target.join(' ')}: ${node.failureSummary?.replace(/\s+/g, ' ').trim() ?? violation.help}`,
    ),
  }));
}

/** Serious and critical findings: what issue 16 allows none of. */
export function blocking(findings: Finding[]): Finding[] {
  return findings.filter((finding) => finding.impact === 'serious' || finding.impact === 'critical');
}

export function describeFindings(findings: Finding[]): string {
  return findings
    .map(
      (f) =>
        `[${f.screen}] ${f.rule} (${f.impact}), ${f.nodes.length} element(s):\n    ${f.nodes.slice(0, 6).join('\n    ')}`,
    )
    .join('\n');
}

/** The testID of the element with the keyboard focus ('' for none, e.g. the page itself). */
export function focusedTestId(page: Page): Promise<string> {
  return page.evaluate(() => {
    const d = (
      globalThis as unknown as { document: { activeElement: { getAttribute(name: string): string | null } | null } }
    ).document;
    return d.activeElement?.getAttribute('data-testid') ?? '';
  });
}

/**
 * Presses Tab (or Shift+Tab) until `testId` has the focus; returns the testIDs focused on the
 * way, the last one `testId` ('' for an element without one). Fails after `max` presses.
 */
export async function tabTo(
  page: Page,
  testId: string,
  options: { max?: number; back?: boolean } = {},
): Promise<string[]> {
  const path: string[] = [];
  for (let i = 0; i < (options.max ?? 12); i++) {
    await page.keyboard.press(options.back ? 'Shift+Tab' : 'Tab');
    const focused = await focusedTestId(page);
    path.push(focused);
    if (focused === testId) return path;
  }
  throw new Error(
    `${testId} never got the focus; Tab went through: ${path.map((id) => id || '(no testID)').join(' → ')}`,
  );
}

/**
 * Runs in every page before the app: keeps, in order, each text a live region (aria-live polite
 * or assertive, role status or alert) is given — a line added to it, its text changed, or the
 * region coming with its text (an alert) — which is what a screen reader announces.
 * A plain script, so no tsx helper leaks into the page.
 */
export const ANNOUNCEMENT_RECORDER = `(() => {
  const heard = (window.__announced = []);
  const LIVE = '[aria-live="polite"], [aria-live="assertive"], [role="status"], [role="alert"]';
  const say = (text) => {
    text = (text || '').replace(/\\s+/g, ' ').trim();
    if (text) heard.push(text);
  };
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      const at = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      const region = at && at.closest(LIVE);
      if (region && m.type === 'characterData') say(region.textContent);
      else if (region) m.addedNodes.forEach((node) => say(node.textContent));
      else {
        m.addedNodes.forEach((node) => {
          if (node.nodeType !== 1) return;
          if (node.matches(LIVE)) say(node.textContent);
          node.querySelectorAll(LIVE).forEach((inner) => say(inner.textContent));
        });
      }
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
})();`;

/** Every text the page's live regions announced since it loaded. */
export function announcements(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as { __announced?: string[] }).__announced ?? []);
}

/**
 * The pairs of `testIds` (in the order Tab reached them) where the second comes before the first
 * in reading order: on a row above, or on the same row (their boxes overlap vertically) and to
 * its left. None means the focus moved as the eye reads, left to right and top to bottom.
 */
export async function outOfReadingOrder(page: Page, testIds: string[]): Promise<string[]> {
  const boxes = [];
  for (const id of testIds) {
    const box = await page.getByTestId(id).first().boundingBox();
    if (!box) throw new Error(`${id} has no box on the page`);
    boxes.push({ id, ...box });
  }
  const breaks: string[] = [];
  for (let i = 1; i < boxes.length; i++) {
    const a = boxes[i - 1]!;
    const b = boxes[i]!;
    const sameRow = b.y < a.y + a.height && a.y < b.y + b.height;
    if (sameRow ? b.x < a.x : b.y < a.y) breaks.push(`${a.id} → ${b.id}`);
  }
  return breaks;
}
