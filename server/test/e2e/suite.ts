import fs from 'node:fs';
import { after, before } from 'node:test';
import type { Browser } from 'playwright-core';
import { AppUser } from './app.js';
import { CHROMIUM_PATH, launchBrowser } from './browser.js';
import { startServerProcess, webBuildExists, type ServerProcess, type ServerProcessOptions } from './server.js';
import { turnserverInstalled } from './turn.js';

/**
 * What every browser suite sets up alike: whether it can run here, the real server and Chromium
 * for the whole file, and the users it opened, closed after it (docs/testing.md).
 */

/**
 * For a browser suite's describe(): what this machine lacks to run it (Chromium, the app's web
 * build, coturn when `turn`), or false. A missing piece skips the suite, saying how to get it.
 */
export function browserSuiteSkip(needs: { turn?: boolean } = {}): string | false {
  if (!fs.existsSync(CHROMIUM_PATH)) return `${CHROMIUM_PATH} is missing (scripts/system-deps.sh installs it as root)`;
  if (!webBuildExists()) return 'apps/mobile/dist is not built (scripts/setup.sh builds it)';
  if (needs.turn && !turnserverInstalled())
    return 'turnserver is missing (scripts/system-deps.sh installs coturn as root)';
  return false;
}

export interface BrowserSuite {
  /** Started in the suite's first `before`; reading it earlier is a mistake in the test. */
  readonly server: ServerProcess;
  readonly browser: Browser;
  /** The users opened and not closed yet: each is closed after the suite, if not before. */
  readonly open: Set<AppUser>;
  /** A user signed in as a guest, on Categories (AppUser.guest), on `options.browser` or the suite's. */
  guest(name: string, options?: { camera?: boolean; locale?: string; browser?: Browser }): Promise<AppUser>;
  /** Keeps a user opened some other way among those closed after the suite. */
  track(user: AppUser): AppUser;
  /** Closes users now, and forgets them. */
  close(...users: AppUser[]): Promise<void>;
  /**
   * Runs a test's steps with the users they open closed afterwards, then `settle` (e.g. waiting
   * for empty queues, so the next test's users meet no one left over). A failure carries what
   * each of those pages showed and logged, and the server's last lines.
   */
  scenario(steps: () => Promise<void>, settle?: () => Promise<unknown>): Promise<void>;
}

/**
 * The suite's server (startServerProcess(`server`); a function when its options need what an
 * earlier `before` started; false for a suite that starts its own) and browser
 * (launchBrowser(`browser`)), started before its first test; after its last, its users, the
 * browser and the server are closed, in that order. Called inside the suite's describe(), before
 * any hook of its own that uses them: hooks run in the order they are declared.
 */
export function useBrowserSuite(
  options: {
    server?: ServerProcessOptions | (() => ServerProcessOptions) | false;
    browser?: Parameters<typeof launchBrowser>[0];
  } = {},
): BrowserSuite {
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  const open = new Set<AppUser>();
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the suite's ${what} is read before its before() ran`);
    return value;
  };

  before(async () => {
    const serverOptions = typeof options.server === 'function' ? options.server() : options.server;
    if (serverOptions !== false) server = await startServerProcess(serverOptions);
    browser = await launchBrowser(options.browser);
  });
  after(async () => {
    await Promise.all([...open].map((user) => user.close()));
    await browser?.close();
    await server?.stop();
  });

  const suite: BrowserSuite = {
    get server() {
      return started(server, 'server');
    },
    get browser() {
      return started(browser, 'browser');
    },
    open,
    async guest(name, { browser: on, ...userOptions } = {}) {
      return suite.track(await AppUser.guest(on ?? suite.browser, suite.server.url, name, userOptions));
    },
    track(user) {
      open.add(user);
      return user;
    },
    async close(...users) {
      await Promise.all(users.map((user) => user.close()));
      for (const user of users) open.delete(user);
    },
    async scenario(steps, settle) {
      const already = new Set(open);
      const opened = () => [...open].filter((user) => !already.has(user));
      try {
        await steps();
      } catch (error) {
        const reports = await Promise.all(opened().map((user) => user.report()));
        const serverTail = server?.tail().slice(-10) ?? [];
        (error as Error).message +=
          `\n${reports.join('\n')}${serverTail.length ? `\n--- server:\n${serverTail.join('\n')}` : ''}`;
        throw error;
      } finally {
        await suite.close(...opened());
        await settle?.();
      }
    },
  };
  return suite;
}
