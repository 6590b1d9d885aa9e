import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { IceResponse } from '@small-talk/protocol';
import { api, guest } from '../harness.js';
import { AppUser } from './app.js';
import { CHROMIUM_PATH, LOOPBACK, callSample, eventually, launchBrowser, mediaFlows, statusLog, textMatches } from './browser.js';
import { startServerProcess, webBuildExists, type ServerProcess } from './server.js';
import { startTurnServer, turnserverInstalled, type TurnServer } from './turn.js';

/**
 * Issue 6 end to end: a real coturn checking TURN REST API credentials, the real server handing
 * them out (GET /api/ice) with ICE_TRANSPORT_POLICY=relay, and two users of the web app in
 * headless Chromium. Run inside a loopback-only network namespace (scripts/test.sh), coturn
 * included. One live call at a time.
 */

const skip = !fs.existsSync(CHROMIUM_PATH)
  ? `${CHROMIUM_PATH} is missing (scripts/system-deps.sh installs it as root)`
  : !webBuildExists()
    ? 'apps/mobile/dist is not built (scripts/setup.sh builds it)'
    : !turnserverInstalled()
      ? 'turnserver is missing (scripts/system-deps.sh installs coturn as root)'
      : false;

const TEST_TIMEOUT_MS = 120_000;
/** The bound: a call that cannot connect says so on both sides within this long. */
const COULD_NOT_CONNECT_WITHIN_MS = 30_000;
const COULD_NOT_CONNECT = /could not connect/i;

type PageIceServer = { urls: string | string[]; username?: string; credential?: string };

/** What the page's newest peer connection was configured with (getConfiguration), credentials included. */
function pageIceConfig(page: Page): Promise<{ iceServers: PageIceServer[]; iceTransportPolicy: string } | null> {
  return page.evaluate(() => {
    const pcs = (globalThis as unknown as { __pcs?: Array<{ getConfiguration(): { iceServers?: PageIceServer[]; iceTransportPolicy: string } }> }).__pcs ?? [];
    const config = pcs.at(-1)?.getConfiguration();
    return config ? { iceServers: config.iceServers ?? [], iceTransportPolicy: config.iceTransportPolicy } : null;
  });
}

describe('calls through TURN (coturn), end to end', { skip }, () => {
  // Fresh each run, like an operator's `openssl rand -hex 32`.
  const secret = randomBytes(24).toString('hex');
  const wrongSecret = randomBytes(24).toString('hex');
  /** Every TURN username and credential handed out in this suite: none may show in the server's output. */
  const issued = new Set<string>();
  const servers: ServerProcess[] = [];
  const open = new Set<AppUser>();
  let turn: TurnServer;
  let browser: Browser;

  before(async () => {
    turn = await startTurnServer({ secret });
    browser = await launchBrowser();
  });
  after(async () => {
    await Promise.all([...open].map((user) => user.close()));
    await browser?.close();
    await Promise.all(servers.map((server) => server.stop()));
    await turn?.stop();
  });

  /** The server as an operator would run it beside coturn, relay only, logging everything it logs. */
  async function serve(turnSecret: string): Promise<ServerProcess> {
    const server = await startServerProcess({
      env: { TURN_URLS: turn.url('udp'), TURN_SECRET: turnSecret, ICE_TRANSPORT_POLICY: 'relay', LOG_LEVEL: 'trace' },
    });
    servers.push(server);
    return server;
  }

  /** Ada searching first, then Bo, on `server`; closed (with a report on failure) after `steps`. */
  async function scenario(server: ServerProcess, steps: (ada: AppUser, bo: AppUser) => Promise<void>): Promise<void> {
    const [ada, bo] = await Promise.all([AppUser.guest(browser, server.url, 'Ada'), AppUser.guest(browser, server.url, 'Bo')]);
    open.add(ada).add(bo);
    try {
      await steps(ada, bo);
    } catch (error) {
      const reports = await Promise.all([ada, bo].map((u) => u.report()));
      (error as Error).message += `\n${reports.join('\n')}\n--- server:\n${server.tail().slice(-10).join('\n')}\n--- coturn:\n${turn.log().split('\n').slice(-15).join('\n')}`;
      throw error;
    } finally {
      // What the pages were given, for the check that the server never printed it.
      for (const user of [ada, bo]) {
        const config = await pageIceConfig(user.page).catch(() => null);
        for (const server of config?.iceServers ?? []) for (const value of [server.username, server.credential]) if (value) issued.add(value);
      }
      await Promise.all([ada.close(), bo.close()]);
      open.delete(ada);
      open.delete(bo);
    }
  }

  test('relay only, with the right secret: a live call whose selected candidate pair is relay on both sides, through coturn', { timeout: TEST_TIMEOUT_MS }, async () => {
    const server = await serve(secret);
    await scenario(server, async (ada, bo) => {
      await ada.search('music');
      await bo.search('music');
      await Promise.all([ada.inCallWith('Bo'), bo.inCallWith('Ada')]);

      for (const user of [ada, bo]) {
        await mediaFlows(user.page, user.name, 20);
        const config = await pageIceConfig(user.page);
        assert.equal(config?.iceTransportPolicy, 'relay', `${user.name}'s peer connection: ${JSON.stringify(config)}`);
        const turnServer = config?.iceServers.find((s) => [s.urls].flat().includes(turn.url('udp')));
        assert.match(turnServer?.username ?? '', /^\d+:[\w-]+$/, `${user.name} got TURN credentials from /api/ice`);

        const { pair } = await eventually(`${user.name}'s selected candidate pair`, () => callSample(user.page), (s) => s.pair !== null && s);
        const where = `${user.name}'s selected pair: ${JSON.stringify(pair)}`;
        assert.equal(pair!.local.candidateType, 'relay', where);
        assert.equal(pair!.remote.candidateType, 'relay', where);
        // Relayed by this coturn: its relay address, a port from its range.
        for (const candidate of [pair!.local, pair!.remote]) {
          assert.match(candidate.address, LOOPBACK, where);
          assert.ok(candidate.port >= turn.relayPorts.min && candidate.port <= turn.relayPorts.max, where);
        }
      }
    });
  });

  test('a wrong secret (the server signs with another than coturn checks): both sides say "could not connect" within 30 s, and keep saying it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const server = await serve(wrongSecret);
    await scenario(server, async (ada, bo) => {
      await ada.search('music');
      const started = Date.now();
      await bo.search('music');
      const left = () => COULD_NOT_CONNECT_WITHIN_MS - (Date.now() - started);
      await Promise.all([ada, bo].map((user) => textMatches(user.get('call-status'), COULD_NOT_CONNECT, left())));
      const tookMs = Date.now() - started;

      // It does not flip back to "connecting" or "reconnecting" while the user reads it.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      for (const user of [ada, bo]) {
        const log = await statusLog(user.page);
        const first = log.findIndex((entry) => COULD_NOT_CONNECT.test(entry.text));
        assert.deepEqual(log.slice(first).map((entry) => entry.text), ['could not connect'], `${user.name}'s call-status history: ${JSON.stringify(log)}`);
        const sample = await callSample(user.page);
        assert.notEqual(sample.connectionState, 'connected', `${user.name}: ${JSON.stringify(sample)}`);
        assert.equal(sample.framesDecoded, 0);
        assert.ok(await user.get('next-button').first().isVisible(), `${user.name} is offered Next`);
      }
      // coturn refused each user's credentials: that is why, not some other failure.
      for (const user of [ada, bo]) {
        const username = (await pageIceConfig(user.page))?.iceServers.find((s) => s.username)?.username;
        assert.ok(username, `${user.name} got TURN credentials`);
        const refused = turn.log().split('\n').find((line) => line.includes(username) && /credentials|401|unauthori[sz]ed/i.test(line));
        assert.ok(refused, `coturn's log shows ${username} refused:\n${turn.log().split('\n').slice(-10).join('\n')}`);
      }
      assert.ok(tookMs <= COULD_NOT_CONNECT_WITHIN_MS, `took ${tookMs} ms`);
    });
  });

  test("neither the TURN secret nor any TURN username or credential appears anywhere in the servers' output", { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.equal(servers.length, 2, 'both servers ran');
    // The credentials the pages got, and some more, straight from /api/ice.
    for (const server of servers) {
      const { token } = await guest(server.url, 'Cy');
      for (const options of [{ token }, { headers: { cookie: `st_session=${token}` } }]) {
        const response = await api(server.url, 'GET', '/api/ice', options);
        for (const entry of IceResponse.parse(response.body).iceServers) for (const value of [entry.username, entry.credential]) if (value) issued.add(value);
      }
    }
    assert.ok(issued.size >= 2 * 4, `credentials collected: ${issued.size}`);
    for (const server of servers) await server.stop();

    for (const [i, server] of servers.entries()) {
      const output = server.output();
      // Not a vacuous pass: the server logged, /api/ice requests included.
      assert.match(output, /\/api\/ice/, `server ${i + 1} logged its /api/ice requests`);
      for (const value of [secret, wrongSecret, ...issued]) {
        const line = output.split('\n').find((l) => l.includes(value));
        assert.equal(line, undefined, `server ${i + 1}'s output holds ${JSON.stringify(value)}: ${line}`);
      }
    }
  });
});
