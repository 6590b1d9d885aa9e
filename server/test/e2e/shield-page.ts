import type { Page } from 'playwright-core';

/**
 * What the shield's browser tests and bench read of a page: the remote <video>'s blur from the
 * first frame on, what `shield-state` says, and the classifier's own User Timing measures
 * (`shield-load`, `shield-check`, made by apps/mobile/src/features/shield/classifier.web.ts).
 * Never the app's internals.
 */

/**
 * Runs in every page before the app: on every animation frame and every presented frame of the
 * remote <video>, records the page time, whether a frame was presented, the video's computed CSS
 * filter and what `shield-state` says. A plain script, so no tsx helper leaks into the page.
 */
export const SAMPLER = `(() => {
  const log = (window.__shieldLog = []);
  let hooked = null;
  const sample = (presented) => {
    const video = document.querySelector('video[data-testid="remote-video"]');
    if (!video) return;
    const state = document.querySelector('[data-testid="shield-state"]');
    log.push({
      at: performance.now(),
      presented,
      playing: video.readyState >= 2 && video.videoWidth > 0,
      filter: getComputedStyle(video).filter,
      state: state ? state.textContent.trim() : '',
      checks: performance.getEntriesByName('shield-check').length,
    });
    if (log.length > 20000) log.splice(0, 10000);
  };
  const onFrame = () => {
    sample(true);
    const video = document.querySelector('video[data-testid="remote-video"]');
    if (video) video.requestVideoFrameCallback(onFrame);
    else hooked = null;
  };
  const tick = () => {
    const video = document.querySelector('video[data-testid="remote-video"]');
    if (video && video !== hooked) {
      hooked = video;
      video.requestVideoFrameCallback(onFrame);
    }
    sample(false);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  // Every change of shield-state's text, as React commits it (a microtask, before any later check
  // can run), with the checks finished by then.
  const states = (window.__shieldStates = []);
  new MutationObserver(() => {
    const el = document.querySelector('[data-testid="shield-state"]');
    const state = el ? el.textContent.trim() : '';
    if (states.length === 0 || states[states.length - 1].state !== state) {
      states.push({ at: performance.now(), state, checks: performance.getEntriesByName('shield-check').length });
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
})();`;

export interface Sample {
  at: number;
  presented: boolean;
  playing: boolean;
  filter: string;
  state: string;
  /** Checks the classifier had finished by then (its `shield-check` measures). */
  checks: number;
}

export function samples(page: Page): Promise<Sample[]> {
  return page.evaluate(() => (globalThis as unknown as { __shieldLog: Sample[] }).__shieldLog.slice());
}

/** Each change of `shield-state`'s text, with the number of checks finished when it changed. */
export function stateChanges(page: Page): Promise<Array<{ at: number; state: string; checks: number }>> {
  return page.evaluate(() =>
    (
      globalThis as unknown as { __shieldStates: Array<{ at: number; state: string; checks: number }> }
    ).__shieldStates.slice(),
  );
}

/** The number of checks the page's classifier has run (its User Timing measures). */
export function checks(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      (
        globalThis as unknown as { performance: { getEntriesByName(n: string): unknown[] } }
      ).performance.getEntriesByName('shield-check').length,
  );
}

export const BLURRED = /blur\(/;

/** The remote <video>'s computed CSS filter now. */
export function remoteFilter(page: Page): Promise<string> {
  return page.evaluate<string>(`getComputedStyle(document.querySelector('video[data-testid="remote-video"]')).filter`);
}

/** One check as the page measured it: its round trip, and the time a thread worked on it. */
export interface CheckMeasure {
  /** Page time the check began (the page asked for the frame). */
  startTime: number;
  /** From the page asking for the frame to the scores back (waiting for the worker included), ms. */
  duration: number;
  /** The page's main thread and the worker's busy time on it (no waiting), ms; NaN if the build doesn't say. */
  busyMs: number;
}

/** The classifier's measures in the page: its load (with model, backend) and every check. */
export function shieldMeasures(
  page: Page,
): Promise<{ load: { startTime: number; duration: number; detail: unknown } | null; checks: CheckMeasure[] }> {
  return page.evaluate(() => {
    const p = (
      globalThis as unknown as {
        performance: { getEntriesByName(n: string): Array<{ startTime: number; duration: number; detail?: unknown }> };
      }
    ).performance;
    const load = p.getEntriesByName('shield-load')[0];
    return {
      load: load ? { startTime: load.startTime, duration: load.duration, detail: load.detail ?? null } : null,
      checks: p.getEntriesByName('shield-check').map((e) => ({
        startTime: e.startTime,
        duration: e.duration,
        busyMs:
          typeof (e.detail as { busyMs?: unknown } | null)?.busyMs === 'number'
            ? (e.detail as { busyMs: number }).busyMs
            : Number.NaN,
      })),
    };
  });
}
