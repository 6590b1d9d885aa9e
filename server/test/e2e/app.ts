import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import {
  UI_TIMEOUT_MS,
  appearedSince,
  callSample,
  eventually,
  mediaFlows,
  pageNow,
  newUser,
  statusLog,
  textMatches,
  type CallSample,
} from './browser.js';

/**
 * One person using the web app, driven only through the testIDs of issue 4 (the contract other
 * tests rely on too) and what any page shows: its <video> and RTCPeerConnection stats.
 */
export class AppUser {
  /** The page's console errors and warnings and uncaught errors, newest last: for failure reports. */
  readonly problems: string[] = [];

  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        this.remember(`console.${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.remember(`uncaught: ${error.message}`));
  }

  /** A new user (its own context) on the app's first screen. */
  static async open(
    browser: Browser,
    baseURL: string,
    name: string,
    options: { camera?: boolean; locale?: string } = {},
  ): Promise<AppUser> {
    const { context, page } = await newUser(browser, { baseURL, ...options });
    const user = new AppUser(name, context, page);
    await page.goto('/');
    return user;
  }

  /** A user signed in as a guest, on Categories. */
  static async guest(
    browser: Browser,
    baseURL: string,
    name: string,
    options: { camera?: boolean; locale?: string } = {},
  ): Promise<AppUser> {
    const user = await AppUser.open(browser, baseURL, name, options);
    await user.continueAsGuest();
    return user;
  }

  get(testId: string): Locator {
    return this.page.getByTestId(testId);
  }

  async visible(testId: string, timeoutMs = UI_TIMEOUT_MS): Promise<Locator> {
    const locator = this.get(testId).first();
    await locator.waitFor({ state: 'visible', timeout: timeoutMs });
    return locator;
  }

  /** Signs in as a guest and accepts the rules as an adult, as every new user does: on Categories. */
  async continueAsGuest(): Promise<void> {
    await this.signInAsGuest();
    await this.acceptRules();
    await this.visible('start-matching');
  }

  /** Welcome's guest form: the app then asks for the rules (issue 12's first-run screen). */
  async signInAsGuest(): Promise<void> {
    await (await this.visible('display-name-input')).fill(this.name);
    await this.get('continue-as-guest').click({ timeout: UI_TIMEOUT_MS });
  }

  /**
   * The first-run screen, driven by its testIDs: the rules are shown, the date of birth is typed
   * as YYYY-MM-DD, "I agree" is ticked, Continue. Continue stays disabled until both are given.
   */
  async acceptRules(birthDate = ADULT_BIRTH_DATE): Promise<void> {
    await textMatches(this.get('rules-text'), /\S/);
    const submit = this.get('consent-submit');
    await (await this.visible('birth-date-input')).fill(birthDate);
    if (!(await submit.isDisabled()))
      throw new Error(`${this.name}: consent-submit is enabled before "I agree" is ticked`);
    await this.get('rules-agree').click({ timeout: UI_TIMEOUT_MS });
    await submit.click({ timeout: UI_TIMEOUT_MS });
  }

  /** Picks a category unless it is picked already (the tile is a checkbox: a second click unpicks it). */
  async pick(slug: string): Promise<void> {
    const tile = await this.visible(`category-${slug}`);
    if ((await tile.getAttribute('aria-checked')) === 'true') return;
    await tile.click();
    // Apps that mark the pick get a moment to do so; others are trusted.
    if ((await tile.getAttribute('aria-checked')) !== null) {
      await eventually(
        `${this.name}'s ${slug} tile to be checked`,
        () => tile.getAttribute('aria-checked'),
        (v) => v === 'true',
      );
    }
  }

  /** Clicks `start-matching` (waiting for it to be enabled). */
  async startMatching(): Promise<void> {
    await this.get('start-matching').click({ timeout: UI_TIMEOUT_MS });
  }

  /**
   * Picks `slug`, starts, and waits for the Searching screen; with someone already waiting it
   * may last only as long as the camera takes to start, so having been shown is enough.
   */
  async search(slug = 'music'): Promise<void> {
    await this.pick(slug);
    const since = await pageNow(this.page);
    await this.startMatching();
    await eventually(
      `${this.name}'s searching screen`,
      () => appearedSince(this.page, 'searching', since),
      (shown) => shown,
    );
  }

  /**
   * Waits for a live call with `peer`: the remote video decodes frames and has a width, audio
   * arrives, `peer-name` shows the peer's name, the own preview exists, and the status says connected.
   */
  async inCallWith(peer: string): Promise<CallSample> {
    await textMatches(this.get('peer-name'), new RegExp(escape(peer)));
    await this.get('local-video').first().waitFor({ state: 'attached', timeout: UI_TIMEOUT_MS });
    const sample = await mediaFlows(this.page, this.name);
    await textMatches(this.get('call-status'), CONNECTED);
    return sample;
  }

  async sendChat(text: string): Promise<void> {
    await (await this.visible('chat-input')).fill(text);
    await this.get('chat-send').click({ timeout: UI_TIMEOUT_MS });
  }

  /** Waits until a `chat-message` containing `text` is shown. */
  async seesChat(text: string): Promise<void> {
    await this.page
      .getByTestId('chat-message')
      .filter({ hasText: text })
      .first()
      .waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  }

  /** The page time of the next click on `testId`'s element, once it happens (listen before clicking). */
  async clickTimestamp(testId: string): Promise<() => Promise<number>> {
    const key = `__click_${testId.replace(/\W/g, '_')}`;
    await this.page.evaluate(
      ([key, testId]) => {
        const w = globalThis as unknown as Record<string, unknown> & {
          addEventListener(
            type: string,
            listener: (event: { target: unknown; timeStamp: number }) => void,
            capture: boolean,
          ): void;
        };
        delete w[key];
        w.addEventListener(
          'click',
          (event) => {
            const target = event.target as { closest?(selector: string): unknown } | null;
            if (w[key] === undefined && target?.closest?.(`[data-testid="${testId}"]`)) w[key] = event.timeStamp;
          },
          true,
        );
      },
      [key, testId] as const,
    );
    return () =>
      eventually(
        `the click on ${testId}`,
        () => this.page.evaluate((key) => (globalThis as unknown as Record<string, unknown>)[key], key),
        (at) => (typeof at === 'number' ? at : undefined),
        5000,
      );
  }

  /** What the page shows and said, for a failure message. */
  async report(): Promise<string> {
    const lines = [`--- ${this.name} (${this.page.url()})`];
    try {
      const shown = await this.page.evaluate(() => {
        const d = (
          globalThis as unknown as {
            document: {
              querySelectorAll(
                s: string,
              ): ArrayLike<{ getAttribute(n: string): string | null; textContent: string | null }>;
            };
          }
        ).document;
        return Array.from(d.querySelectorAll('[data-testid]'))
          .map((el) => `${el.getAttribute('data-testid')}: ${(el.textContent ?? '').trim().slice(0, 80)}`)
          .slice(0, 40);
      });
      lines.push(`testIDs: ${shown.join(' | ') || '(none)'}`);
      lines.push(`call: ${JSON.stringify(await callSample(this.page))}`);
      lines.push(`call-status history: ${JSON.stringify(await statusLog(this.page))}`);
    } catch (error) {
      lines.push(`(page unreadable: ${(error as Error).message})`);
    }
    if (this.problems.length) lines.push(`console:\n  ${this.problems.join('\n  ')}`);
    return lines.join('\n');
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => {});
  }

  private remember(line: string): void {
    this.problems.push(line.slice(0, 300));
    if (this.problems.length > 20) this.problems.shift();
  }
}

/** A date of birth well over the default MIN_AGE (18). */
export const ADULT_BIRTH_DATE = '1980-06-15';

/** `call-status` once media flows: "connected", not "reconnecting" nor "disconnected". */
export const CONNECTED = /^(?!.*reconnect).*\bconnected\b/i;
export const RECONNECTING = /reconnecting/i;
export const PEER_LEFT = /peer left/i;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
