/**
 * The shield on phones: react-native-webrtc gives JavaScript no access to the peer's frames,
 * so nothing can check them yet (docs/safety.md has the path to a native classifier). What
 * ships is the safe start: each call's video starts hidden with the overlay, and the user
 * chooses to see it (Reveal) or not (Report, Next). The setting turns it off, as on the web.
 * useShield.ts is the browser's, with the classifier.
 */
import { useMemo, useReducer } from 'react';
import type { MediaStreamLike } from '@small-talk/client';
import { ShieldPolicy } from './policy';
import type { Shield, ShieldProblem } from './useShield';
import { useShieldSetting } from './useShieldSetting';

/** Nothing to load on phones. */
export function preloadShield(): void {}

/** Nothing to load on phones. */
export function usePreloadShield(): void {}

export function useShield(_stream: MediaStreamLike | null, callKey: string): Shield {
  const { on } = useShieldSetting();
  // A fresh policy per call (room), made during render so a new peer is never shown with the last one's Reveal.
  const policy = useMemo(() => {
    const fresh = new ShieldPolicy<ShieldProblem>({ enabled: on });
    if (on) fresh.failed({ kind: 'no-classifier' });
    return fresh;
  }, [callKey, on]);
  const [, changed] = useReducer((n: number) => n + 1, 0);
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
