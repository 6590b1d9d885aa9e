/**
 * The shield in the browser: while the peer's video plays, a frame every SHIELD_INTERVAL_MS
 * goes to the classifier on this device, and the policy says whether it may be shown. Nothing
 * of what the classifier saw leaves the page: no frame, no score, no event.
 * useShield.native.ts is the phones' (no classifier: the safe start only).
 */
import { useEffect, useMemo, useReducer } from 'react';
import type { MediaStreamLike } from '@small-talk/client';
import { SHIELD_INTERVAL_MS } from '../../defaults';
import { loadClassifier, type Classifier } from './classifier';
import { ShieldPolicy, type ShieldState } from './policy';
import { shieldOn, useShieldSetting } from './useShieldSetting';

export interface Shield {
  /** What `shield-state` says. */
  state: ShieldState;
  /** The peer's video must not be shown: `checking` (no clean check yet) or `blurred`. */
  hidden: boolean;
  /** Why nothing can check this video (the model did not load; a phone): said on the overlay. */
  problem: ShieldProblem | null;
  /** Reveal: show this call's video whatever the checks say, until the call ends. */
  reveal(): void;
}

/**
 * Why the shield can't check the video, put in words by the overlay: the model did not load, a
 * check stopped working (`detail`: the browser's own words for what failed), or a phone, where
 * nothing can check it yet.
 */
export type ShieldProblem =
  { kind: 'load-failed'; detail: string } | { kind: 'check-failed'; detail: string } | { kind: 'no-classifier' };

/**
 * Before the first frame arrives, look at least this often (besides the video's own events): the
 * first clean check is what shows the peer, so it runs as soon as a frame can be drawn.
 */
const FIRST_FRAME_POLL_MS = 50;

/** How long the app waits for an idle moment before loading the model anyway. */
const PRELOAD_IDLE_TIMEOUT_MS = 2000;

/** One page load fetches and compiles the model once; a failed load is tried again at the next call. */
let classifier: Promise<Classifier> | null = null;

function sharedClassifier(): Promise<Classifier> {
  classifier ??= loadClassifier().catch((error: unknown) => {
    classifier = null;
    throw error;
  });
  return classifier;
}

/** Starts loading the model now, if it isn't loaded or loading: the first check then comes sooner. */
export function preloadShield(): void {
  sharedClassifier().catch(() => {});
}

/**
 * Loads the model at the first idle moment after the app's first screen is drawn, while the user
 * signs in and picks categories, so it is ready before the first match: loading it at Start left
 * it competing with the call's set-up, and it was most of the delay before the first clean check.
 * It loads in a worker (classifier.web.ts), so the screen stays responsive meanwhile; the files
 * are fetched once per browser and cached (docs/safety.md, "What it costs"). Not when the
 * setting is off (the call then loads nothing).
 */
export function usePreloadShield(): void {
  useEffect(() => {
    if (!shieldOn() || typeof window === 'undefined') return;
    if (typeof window.requestIdleCallback === 'function') {
      const handle = window.requestIdleCallback(preloadShield, { timeout: PRELOAD_IDLE_TIMEOUT_MS });
      return () => window.cancelIdleCallback(handle);
    }
    const handle = setTimeout(preloadShield, 0);
    return () => clearTimeout(handle);
  }, []);
}

/**
 * The shield for one call: `callKey` (the room) starts a fresh policy, so each new peer starts
 * hidden again and a Reveal lasts only for its call.
 */
export function useShield(stream: MediaStreamLike | null, callKey: string): Shield {
  const { on } = useShieldSetting();
  // Made during render, not in an effect: the render that shows a new peer's stream already
  // has that peer's policy (`checking`), never the last peer's `clear`.
  const policy = useMemo(() => new ShieldPolicy<ShieldProblem>({ enabled: on }), [callKey, on]);
  const [, changed] = useReducer((n: number) => n + 1, 0);

  useEffect(() => {
    if (!on || !stream || typeof document === 'undefined') return;
    let stopped = false;
    // A video element of our own, off the page, so checks never wait on (or disturb) the one on screen.
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream as MediaStream;
    video.play().catch(() => {});

    const watch = async () => {
      let model: Classifier;
      try {
        model = await sharedClassifier();
      } catch (error) {
        if (stopped) return;
        policy.failed({ kind: 'load-failed', detail: messageOf(error) });
        changed();
        return;
      }
      // Revealed or failed, the policy no longer listens: stop spending the CPU.
      while (!stopped && policy.state !== 'revealed' && policy.failure === null) {
        if (!hasFrame(video)) {
          await nextFrame(video);
          continue;
        }
        const started = performance.now();
        try {
          const scores = await model.classify(video);
          if (stopped) return;
          const before = policy.state;
          // Re-render the call screen only when what it shows changes, not twice a second.
          if (policy.check(scores) !== before) changed();
        } catch (error) {
          if (stopped) return;
          // A check that can't run (e.g. the GPU context was lost) hides the video rather than leave it unchecked.
          policy.failed({ kind: 'check-failed', detail: messageOf(error) });
          changed();
          return;
        }
        // One check at a time: a slow one delays the next instead of piling up behind it.
        await sleep(Math.max(0, SHIELD_INTERVAL_MS - (performance.now() - started)));
      }
    };
    void watch();

    return () => {
      stopped = true;
      video.pause();
      video.srcObject = null;
    };
  }, [policy, on, stream]);

  return {
    state: policy.state,
    hidden: policy.hidden,
    problem: policy.failure,
    reveal: () => {
      policy.reveal();
      changed();
    },
  };
}

function hasFrame(video: HTMLVideoElement): boolean {
  return video.readyState >= 2 /* HAVE_CURRENT_DATA */ && video.videoWidth > 0;
}

/** Resolves when the video may have a frame to draw: its own events, or FIRST_FRAME_POLL_MS at the latest. */
function nextFrame(video: HTMLVideoElement): Promise<void> {
  return new Promise((resolve) => {
    const events = ['loadeddata', 'playing', 'resize'] as const;
    const done = () => {
      clearTimeout(timer);
      for (const name of events) video.removeEventListener(name, done);
      resolve();
    };
    const timer = setTimeout(done, FIRST_FRAME_POLL_MS);
    for (const name of events) video.addEventListener(name, done);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
