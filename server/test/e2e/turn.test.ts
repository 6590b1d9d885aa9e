import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { IceResponse } from '@small-talk/protocol';
import { api, guest } from '../harness.js';
import { AppUser } from './app.js';
import { LOOPBACK, UI_TIMEOUT_MS, callSample, eventually, mediaFlows, statusLog, textMatches } from './browser.js';
import { startServerProcess, type ServerProcess } from './server.js';
import { browserSuiteSkip, useBrowserSuite } from './suite.js';
import { startTurnServer, type TurnServer } from './turn.js';

/**
 * Issues 6 and 11 end to end: a real coturn checking TURN REST API credentials, the real server
 * handing them out (GET /api/ice) with its default ICE policies (strangers `relay` because TURN
 * is configured, friends `all`), and two users of the web app in headless Chromium. Run inside
 * a loopback-only network namespace (scripts/test.sh), coturn included. One live call at a time.
 */

const skip = browserSuiteSkip({ turn: true });

const TEST_TIMEOUT_MS = 120_000;
/** The bound: a call that cannot connect says so on both sides within this long. */
const COULD_NOT_CONNECT_WITHIN_MS = 30_000;
const COULD_NOT_CONNECT = /could not connect/i;

type PageIceServer = { urls: string | string[]; username?: string; credential?: string };

/** What the page's newest peer connection was configured with (getConfiguration), credentials included. */
function pageIceConfig(page: Page): Promise<{ iceServers: PageIceServer[]; iceTransportPolicy: string } | null> {
  return page.evaluate(() => {
    const pcs =
      (
        globalThis as unknown as {
          __pcs?: Array<{ getConfiguration(): { iceServers?: PageIceServer[]; iceTransportPolicy: string } }>;
        }
      ).__pcs ?? [];
    const config = pcs.at(-1)?.getConfiguration();
    return config ? { iceServers: config.iceServers ?? [], iceTransportPolicy: config.iceTransportPolicy } : null;
  });
}

type Received = { wire: string[]; applied: string[] };

/**
 * From now on (and afresh on each call), records every ICE candidate the page receives from its
 * peer: `wire`, as the socket hands over `signal` frames (candidates and the `a=candidate` lines
 * of descriptions, read through MessageEvent's `data`, so the app's own socket is covered
 * without touching it); `applied`, as they reach RTCPeerConnection (addIceCandidate,
 * setRemoteDescription). The app's socket and peer connections exist already: both hooks sit on
 * prototypes, which they use at each call.
 */
function recordReceivedCandidates(page: Page): Promise<void> {
  return page.evaluate(() => {
    type Proto = Record<string, unknown>;
    const w = globalThis as unknown as {
      __received?: Received;
      MessageEvent: { prototype: Proto };
      WebSocket: abstract new (...args: never[]) => unknown;
      RTCPeerConnection: { prototype: Proto };
    };
    if (w.__received) {
      w.__received.wire.length = 0;
      w.__received.applied.length = 0;
      return;
    }
    const received: Received = { wire: [], applied: [] };
    w.__received = received;
    const linesOf = (sdp: unknown) =>
      typeof sdp === 'string'
        ? sdp
            .split(/\r?\n/)
            .filter((line) => line.startsWith('a=candidate:'))
            .map((line) => line.slice(2))
        : [];

    const data = Object.getOwnPropertyDescriptor(w.MessageEvent.prototype, 'data')!;
    const read = new WeakSet<object>();
    Object.defineProperty(w.MessageEvent.prototype, 'data', {
      ...data,
      get(this: { target: unknown }) {
        const value = data.get!.call(this) as unknown;
        if (typeof value === 'string' && this.target instanceof w.WebSocket && !read.has(this)) {
          read.add(this);
          try {
            const frame = JSON.parse(value) as {
              type?: string;
              data?: { candidate?: { candidate?: unknown }; description?: { sdp?: unknown } };
            };
            if (frame.type === 'signal') {
              const candidate = frame.data?.candidate?.candidate;
              if (typeof candidate === 'string' && candidate) received.wire.push(candidate);
              received.wire.push(...linesOf(frame.data?.description?.sdp));
            }
          } catch {
            // Not JSON: not a frame of ours.
          }
        }
        return value;
      },
    });

    const pc = w.RTCPeerConnection.prototype as Proto & {
      addIceCandidate(this: unknown, candidate?: { candidate?: string } | null): Promise<void>;
      setRemoteDescription(this: unknown, description: { sdp?: string }): Promise<void>;
    };
    const addIceCandidate = pc.addIceCandidate;
    pc.addIceCandidate = function (this: unknown, candidate) {
      if (candidate?.candidate) received.applied.push(candidate.candidate);
      return addIceCandidate.call(this, candidate);
    };
    const setRemoteDescription = pc.setRemoteDescription;
    pc.setRemoteDescription = function (this: unknown, description) {
      received.applied.push(...linesOf(description?.sdp));
      return setRemoteDescription.call(this, description);
    };
  });
}

function receivedCandidates(page: Page): Promise<Received> {
  return page.evaluate(
    () => (globalThis as unknown as { __received?: Received }).__received ?? { wire: [], applied: [] },
  );
}

const typeOf = (candidate: string) => / typ (\S+)/.exec(candidate)?.[1] ?? '?';

describe('calls through TURN (coturn), end to end', { skip }, () => {
  // Fresh each run, like an operator's `openssl rand -hex 32`.
  const secret = randomBytes(24).toString('hex');
  const wrongSecret = randomBytes(24).toString('hex');
  /** Every TURN username and credential handed out in this suite: none may show in the server's output. */
  const issued = new Set<string>();
  const servers: ServerProcess[] = [];
  let turn: TurnServer;
  // Each test starts its own server (serve), beside one coturn for the suite.
  const e2e = useBrowserSuite({ server: false });

  before(async () => {
    turn = await startTurnServer({ secret });
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await turn?.stop();
  });

  /** The server as an operator would run it beside coturn, with its default ICE policies, logging everything it logs. */
  async function serve(turnSecret: string): Promise<ServerProcess> {
    const server = await startServerProcess({
      env: { TURN_URLS: turn.url('udp'), TURN_SECRET: turnSecret, LOG_LEVEL: 'trace', RING_TIMEOUT_MS: '8000' },
    });
    servers.push(server);
    return server;
  }

  /** The signed-in user's id, as the page's own session sees it. */
  const idOf = (user: AppUser) =>
    user.page.evaluate(async () => ((await (await fetch('/api/me')).json()) as { user: { id: string } }).user.id);

  /** Ada searching first, then Bo, on `server`; closed (with a report on failure) after `steps`. */
  async function scenario(server: ServerProcess, steps: (ada: AppUser, bo: AppUser) => Promise<void>): Promise<void> {
    const [ada, bo] = await Promise.all([
      AppUser.guest(e2e.browser, server.url, 'Ada'),
      AppUser.guest(e2e.browser, server.url, 'Bo'),
    ]);
    for (const user of [ada, bo]) e2e.track(user);
    try {
      await steps(ada, bo);
    } catch (error) {
      const reports = await Promise.all([ada, bo].map((u) => u.report()));
      (error as Error).message +=
        `\n${reports.join('\n')}\n--- server:\n${server.tail().slice(-10).join('\n')}\n--- coturn:\n${turn.log().split('\n').slice(-15).join('\n')}`;
      throw error;
    } finally {
      // What the pages were given, for the check that the server never printed it.
      for (const user of [ada, bo]) {
        const config = await pageIceConfig(user.page).catch(() => null);
        for (const server of config?.iceServers ?? [])
          for (const value of [server.username, server.credential]) if (value) issued.add(value);
      }
      await e2e.close(ada, bo);
    }
  }

  test(
    'strangers: the selected pair is relay on both sides through coturn and neither page receives a candidate that is not relay; the same two as friends get `all` and may connect directly',
    { timeout: 2 * TEST_TIMEOUT_MS },
    async (t) => {
      const server = await serve(secret);
      await scenario(server, async (ada, bo) => {
        for (const user of [ada, bo]) await recordReceivedCandidates(user.page);
        await ada.search('music');
        await bo.search('music');
        await Promise.all([ada.inCallWith('Bo'), bo.inCallWith('Ada')]);

        for (const user of [ada, bo]) {
          await mediaFlows(user.page, user.name, 20);
          // The server's process-wide default stays `all`: relay is the room's doing (matched.iceTransportPolicy).
          const ice = await user.page.evaluate(
            async () => ((await (await fetch('/api/ice')).json()) as { iceTransportPolicy: string }).iceTransportPolicy,
          );
          assert.equal(ice, 'all', `${user.name}'s GET /api/ice`);
          const config = await pageIceConfig(user.page);
          assert.equal(
            config?.iceTransportPolicy,
            'relay',
            `${user.name}'s peer connection: ${JSON.stringify(config)}`,
          );
          const turnServer = config?.iceServers.find((s) => [s.urls].flat().includes(turn.url('udp')));
          assert.match(turnServer?.username ?? '', /^\d+:[\w-]+$/, `${user.name} got TURN credentials from /api/ice`);

          const { pair } = await eventually(
            `${user.name}'s selected candidate pair`,
            () => callSample(user.page),
            (s) => s.pair !== null && s,
          );
          const where = `${user.name}'s selected pair: ${JSON.stringify(pair)}`;
          assert.equal(pair!.local.candidateType, 'relay', where);
          assert.equal(pair!.remote.candidateType, 'relay', where);
          // Relayed by this coturn: its relay address, a port from its range.
          for (const candidate of [pair!.local, pair!.remote]) {
            assert.match(candidate.address, LOOPBACK, where);
            assert.ok(candidate.port >= turn.relayPorts.min && candidate.port <= turn.relayPorts.max, where);
          }

          // What the stranger learnt of this user's addresses: only coturn's.
          const received = await receivedCandidates(user.page);
          const what = `${user.name} received: ${JSON.stringify(received, null, 1)}`;
          assert.ok(received.wire.length > 0 && received.applied.length > 0, what);
          assert.deepEqual([...new Set([...received.wire, ...received.applied].map(typeOf))], ['relay'], what);
        }

        // They add each other, hang up, and Ada calls Bo back from Friends.
        const [adaId, boId] = await Promise.all([idOf(ada), idOf(bo)]);
        await ada.get('add-friend').click({ timeout: UI_TIMEOUT_MS });
        await (await bo.visible('accept-friend')).click();
        await ada.get('end-button').click({ timeout: UI_TIMEOUT_MS });
        await bo
          .get('end-button')
          .click({ timeout: UI_TIMEOUT_MS })
          .catch(() => {
            // Bo's call may already show that Ada left; End (or Back) still takes him out.
          });
        for (const [user, friendId] of [
          [ada, boId],
          [bo, adaId],
        ] as const) {
          await (await user.visible('friends-tab')).click();
          await textMatches(user.get(`friend-${friendId}`), /online/i);
          await recordReceivedCandidates(user.page);
        }
        await ada.get(`friend-${boId}`).getByTestId('call-friend').click({ timeout: UI_TIMEOUT_MS });
        await (await bo.visible('accept-call', 10_000)).click();
        await Promise.all([ada.inCallWith('Bo'), bo.inCallWith('Ada')]);

        for (const user of [ada, bo]) {
          const config = await pageIceConfig(user.page);
          assert.equal(config?.iceTransportPolicy, 'all', `${user.name}'s direct call: ${JSON.stringify(config)}`);
          const received = await receivedCandidates(user.page);
          // The policy differs for real: the friend's own addresses came through.
          assert.ok(
            received.wire.some((c) => typeOf(c) === 'host'),
            `${user.name} received: ${JSON.stringify(received, null, 1)}`,
          );
          const { pair } = await eventually(
            `${user.name}'s selected candidate pair`,
            () => callSample(user.page),
            (s) => s.pair !== null && s,
          );
          t.diagnostic(`${user.name}'s direct call: ${pair!.local.candidateType}/${pair!.remote.candidateType}`);
        }
      });
    },
  );

  test(
    'a wrong secret (the server signs with another than coturn checks): both sides say "could not connect" within 30 s, and keep saying it',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
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
          assert.deepEqual(
            log.slice(first).map((entry) => entry.text),
            ['could not connect'],
            `${user.name}'s call-status history: ${JSON.stringify(log)}`,
          );
          const sample = await callSample(user.page);
          assert.notEqual(sample.connectionState, 'connected', `${user.name}: ${JSON.stringify(sample)}`);
          assert.equal(sample.framesDecoded, 0);
          assert.ok(await user.get('next-button').first().isVisible(), `${user.name} is offered Next`);
        }
        // coturn refused each user's credentials: that is why, not some other failure.
        for (const user of [ada, bo]) {
          const username = (await pageIceConfig(user.page))?.iceServers.find((s) => s.username)?.username;
          assert.ok(username, `${user.name} got TURN credentials`);
          const refused = turn
            .log()
            .split('\n')
            .find((line) => line.includes(username) && /credentials|401|unauthori[sz]ed/i.test(line));
          assert.ok(
            refused,
            `coturn's log shows ${username} refused:\n${turn.log().split('\n').slice(-10).join('\n')}`,
          );
        }
        assert.ok(tookMs <= COULD_NOT_CONNECT_WITHIN_MS, `took ${tookMs} ms`);
      });
    },
  );

  test(
    "neither the TURN secret nor any TURN username or credential appears anywhere in the servers' output",
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      assert.equal(servers.length, 2, 'both servers ran');
      // The credentials the pages got, and some more, straight from /api/ice.
      for (const server of servers) {
        const { token } = await guest(server.url, 'Cy');
        for (const options of [{ token }, { headers: { cookie: `st_session=${token}` } }]) {
          const response = await api(server.url, 'GET', '/api/ice', options);
          for (const entry of IceResponse.parse(response.body).iceServers)
            for (const value of [entry.username, entry.credential]) if (value) issued.add(value);
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
    },
  );
});

describe(
  'the server says at start when strangers would see each other',
  {
    skip: fs.existsSync(new URL('../../dist/main.js', import.meta.url))
      ? false
      : 'server/dist is not built (npm run build)',
  },
  () => {
    const WARNING = /no TURN server configured \(TURN_URLS\): strangers in a call will see each other's IP addresses/;

    test(
      'without TURN: once, in plain words, at warn level; with TURN: never',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const bare = await startServerProcess();
        const relayed = await startServerProcess({
          env: { TURN_URLS: 'turn:127.0.0.1:3478?transport=udp', TURN_SECRET: randomBytes(24).toString('hex') },
        });
        await Promise.all([bare.stop(), relayed.stop()]);
        const warnings = (server: ServerProcess) =>
          server
            .output()
            .split('\n')
            .filter((line) => WARNING.test(line));
        assert.equal(warnings(bare).length, 1, bare.output());
        assert.equal(JSON.parse(warnings(bare)[0]!).level, 40, 'pino warn');
        assert.deepEqual(warnings(relayed), []);
      },
    );
  },
);
