import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  CHROMIUM_PATH,
  LOOPBACK,
  callSample,
  eventually,
  launchBrowser,
  mediaFlows,
  newUser,
  playwrightDisabledFeatures,
} from './browser.js';

/**
 * The browser harness alone, without the app: two users' pages call each other with bare
 * RTCPeerConnections (signaled through this process), so when call.test.ts fails, this tells
 * whether the machine's browser setup or the app is at fault.
 */

/** A page that can place a call: camera and mic into a peer connection, remote tracks into a <video>. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>probe</title>
<video data-testid="remote-video" autoplay playsinline muted></video>
<script>
  window.pc = new RTCPeerConnection();
  pc.ontrack = (event) => { document.querySelector('video').srcObject = event.streams[0]; };
  window.ready = navigator.mediaDevices.getUserMedia({ video: true, audio: true })
    .then((stream) => { for (const track of stream.getTracks()) pc.addTrack(track, stream); });
  // Whole descriptions, candidates included: one round trip through the test is enough.
  window.gathered = () => pc.iceGatheringState === 'complete' ? Promise.resolve()
    : new Promise((resolve) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve()));
</script>`;

type Description = { type: string; sdp: string };
/** What PAGE puts on the page's window, as the test reads it. */
type ProbeGlobals = {
  pc: {
    localDescription: Description;
    createOffer(): Promise<Description>;
    createAnswer(): Promise<Description>;
    setLocalDescription(description: Description): Promise<void>;
    setRemoteDescription(description: Description): Promise<void>;
  };
  ready: Promise<void>;
  gathered(): Promise<void>;
};

describe(
  'browser harness: a bare WebRTC call between two contexts',
  { skip: !fs.existsSync(CHROMIUM_PATH) && `${CHROMIUM_PATH} is missing` },
  () => {
    let site: http.Server;
    let url: string;
    let browser: Browser;
    before(async () => {
      site = http.createServer((_request, response) =>
        response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE),
      );
      site.listen(0, '127.0.0.1');
      await once(site, 'listening');
      url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      site?.close();
    });

    test("the browser's last --disable-features switch (the one Chromium honours) is Playwright's list plus WebRtcHideLocalIpsWithMdns", async () => {
      const features = playwrightDisabledFeatures();
      assert.ok(features.length >= 5, `only ${features.length} features`);
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto('chrome://version');
        const commandLine = (await page.locator('#command_line').textContent()) ?? '';
        const last = [...commandLine.matchAll(/--disable-features=(\S+)/g)].at(-1)?.[1]?.split(',') ?? [];
        assert.deepEqual(new Set(last), new Set([...features, 'WebRtcHideLocalIpsWithMdns']));
      } finally {
        await context.close();
      }
    });

    test('offer/answer between two users: frames decode both ways, audio arrives, the selected pair is loopback host candidates', async () => {
      const a = await newUser(browser);
      const b = await newUser(browser);
      try {
        await Promise.all([a.page.goto(url), b.page.goto(url)]);
        const offer = await a.page.evaluate(async () => {
          const w = globalThis as unknown as ProbeGlobals;
          await w.ready;
          await w.pc.setLocalDescription(await w.pc.createOffer());
          await w.gathered();
          return { type: w.pc.localDescription.type, sdp: w.pc.localDescription.sdp } as Description;
        });
        const answer = await b.page.evaluate(async (offer: Description) => {
          const w = globalThis as unknown as ProbeGlobals;
          await w.ready;
          await w.pc.setRemoteDescription(offer);
          await w.pc.setLocalDescription(await w.pc.createAnswer());
          await w.gathered();
          return { type: w.pc.localDescription.type, sdp: w.pc.localDescription.sdp } as Description;
        }, offer);
        await a.page.evaluate(
          (answer: Description) => (globalThis as unknown as ProbeGlobals).pc.setRemoteDescription(answer),
          answer,
        );

        for (const [who, page] of [
          ['a', a.page],
          ['b', b.page],
        ] as Array<[string, Page]>) {
          const sample = await mediaFlows(page, who, 20);
          assert.equal(sample.connectionState, 'connected');
          const pair = await eventually(
            `${who}'s selected candidate pair`,
            () => callSample(page),
            (s) => s.pair ?? undefined,
          );
          assert.match(pair.local.address, LOOPBACK, `${who} local candidate ${JSON.stringify(pair.local)}`);
          assert.match(pair.remote.address, LOOPBACK, `${who} remote candidate ${JSON.stringify(pair.remote)}`);
          assert.equal(pair.local.candidateType, 'host');
        }
      } finally {
        await a.context.close();
        await b.context.close();
      }
    });

    test('without the fake-UI flag, a context not granted the camera gets NotAllowedError', async () => {
      const strict = await launchBrowser({ fakeUi: false });
      try {
        const { page } = await newUser(strict, { camera: false });
        await page.goto(url);
        const error = await page.evaluate(() =>
          (globalThis as unknown as ProbeGlobals).ready.then(
            () => 'granted',
            (e: { name: string }) => e.name,
          ),
        );
        assert.equal(error, 'NotAllowedError');
      } finally {
        await strict.close();
      }
    });
  },
);
